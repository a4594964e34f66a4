"""Faults that lose the answer after the server acted, and the Internet Message-ID a client gives a message.

``drop-after`` and ``http500-after`` carry the request out and then drop the connection or answer a bare HTTP 500;
a client sees the same error as for a request that never ran. Telling the two apart needs the message's own
Internet Message-ID, which Exchange keeps when a client supplies it (CreateItem, then SendItem or a send of the
saved draft) and carries to the recipient, and which FindItem can look for.
"""

from __future__ import annotations

import uuid

import pytest
from exchangelib import Message
from exchangelib.errors import EWSError
from exchangelib.extended_properties import ExtendedProperty

from tests.support.emulator import account, extended_field

SUPPORT = "support@example.com"


def _mid() -> str:
    return f"<{uuid.uuid4().hex}@example.com>"


class InternetMessageIdProp(ExtendedProperty):
    """PR_INTERNET_MESSAGE_ID (0x1035)."""

    property_tag = 0x1035
    property_type = "String"


@pytest.mark.parametrize("mode", ["drop-after", "http500-after"])
def test_a_faulted_send_was_carried_out(start_fresh_emulator, mode):
    emu = start_fresh_emulator(fail_rate=0.0, fail_mode=mode)
    acc = account(emu, "alice", SUPPORT)
    sent = acc.sent  # resolved before the faults start
    emu.server.faults.rate = 1.0
    subject = f"Lost answer {mode}"
    message = Message(account=acc, folder=sent, subject=subject, body="hello",
                      to_recipients=["bob@example.com"], message_id=_mid())
    with pytest.raises(EWSError):
        message.send_and_save()
    assert getattr(emu.faults, mode.replace("-", "_")) == 1
    emu.server.faults.rate = 0.0
    received = list(account(emu, "bob").inbox.filter(subject=subject).only("message_id"))
    assert [m.message_id for m in received] == [message.message_id], "sent once, carrying the client's id"


def test_the_before_modes_still_never_execute(start_fresh_emulator):
    emu = start_fresh_emulator(fail_rate=0.0, fail_mode="drop")
    acc = account(emu, "alice", SUPPORT)
    sent = acc.sent
    emu.server.faults.rate = 1.0
    message = Message(account=acc, folder=sent, subject="Never sent", body="x",
                      to_recipients=["bob@example.com"])
    with pytest.raises(EWSError):
        message.send_and_save()
    emu.server.faults.rate = 0.0
    assert not list(account(emu, "bob").inbox.filter(subject="Never sent"))


def test_a_client_message_id_survives_draft_send_and_delivery(fresh_emulator):
    acc = account(fresh_emulator, "alice", SUPPORT)
    mid = _mid()
    draft = Message(account=acc, folder=acc.drafts, subject="Kept id", body="b", to_recipients=["bob@example.com"],
                    message_id=mid)
    draft.save()
    stored = acc.drafts.get(id=draft.id)
    assert stored.message_id == mid, "CreateItem SaveOnly keeps the client's InternetMessageId"
    stored.send(save_copy=True, copy_to_folder=acc.sent)  # SendItem of the saved draft
    assert [m.message_id for m in acc.sent.filter(message_id=mid).only("message_id")] == [mid]
    received = list(account(fresh_emulator, "bob").inbox.filter(message_id=mid).only("subject"))
    assert [m.subject for m in received] == ["Kept id"]
    assert not list(acc.drafts.filter(message_id=mid)), "the sent draft is gone from Drafts"


def test_find_by_message_id_over_the_mapi_tag_too(fresh_emulator):
    acc = account(fresh_emulator, "alice", SUPPORT)
    mid = _mid()
    Message(account=acc, folder=acc.sent, subject="By tag", body="b", to_recipients=["bob@example.com"],
            message_id=mid).send_and_save()
    assert not list(acc.sent.filter(message_id=_mid())), "another id matches nothing"
    with extended_field(Message, "imid", InternetMessageIdProp):
        hits = list(acc.sent.filter(imid=mid).only("subject"))
    assert [m.subject for m in hits] == ["By tag"]
