"""Creating a folder and moving messages when the server loses its answer after acting (``drop-after``)."""

from __future__ import annotations

from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.ews import actions
from app.ews.client import EwsClient
from app.ews.folder_admin import create_folder
from tests.support.emulator import BUILD, account

SUPPORT = "support@example.com"


def _client(emu) -> EwsClient:
    return EwsClient(emu.ews_url, "alice@example.com", "alice-pass", AuthMethod.NTLM, ServerVersion(*BUILD))


def test_a_folder_whose_create_answer_is_lost_is_found_not_made_twice(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(fail_mode="drop-after")
    client = _client(emu)
    try:
        emu.server.faults.rate = 1.0
        calls = []
        original = emu.server.faults.decide

        def first_only():  # the CreateFolder loses its answer; the questions after it are answered
            calls.append(1)
            return original() if len(calls) == 1 else None

        emu.server.faults.decide = first_only
        ref = create_folder(client, FolderRef(SUPPORT, well_known="inbox"), "Escalations")
    finally:
        client.close()
    assert emu.faults.drop_after == 1
    inbox = account(emu, "alice", SUPPORT).inbox
    names = [f.name for f in inbox.children if f.name == "Escalations"]
    assert names == ["Escalations"], "created once"
    assert ref.folder_id == next(f.id for f in inbox.children if f.name == "Escalations")


def test_a_copy_whose_answer_is_lost_is_not_repeated(start_fresh_emulator) -> None:
    import pytest

    from app.domain.errors import OutcomeUnknown

    emu = start_fresh_emulator(fail_mode="drop-after")
    acc = account(emu, "alice", SUPPORT)
    first = next(iter(acc.inbox.all().only("id", "subject").order_by("-datetime_received")[:1]))
    client = _client(emu)
    try:
        emu.server.faults.rate = 1.0
        with pytest.raises(OutcomeUnknown):
            actions.move(client, FolderRef(SUPPORT, well_known="inbox"), [first.id],
                         FolderRef(SUPPORT, well_known="deleteditems"), True, lambda *_: None, lambda: False)
    finally:
        client.close()
    emu.server.faults.rate = 0.0
    copies = list(acc.trash.filter(subject=first.subject))
    assert len(copies) == 1, "one copy, not one per retry"
