"""app.ews.actions against the emulator over HTTP: read state, flag, categories, delete, move and copy.

Every test changes data, so each gets a private emulator (``fresh_emulator``). Results are checked with a
separate exchangelib account, not with the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.messages import ListQuery
from app.ews.actions import CHUNK, delete, move, set_categories, set_flag, set_read
from app.ews.client import EwsClient
from app.ews.messages import find_page
from tests.support.emulator import BUILD
from tests.support.emulator import account as el_account

SUPPORT_INBOX = FolderRef("support@example.com", well_known="inbox")
BILLING_INBOX = FolderRef("billing@example.com", well_known="inbox")
SALES_INBOX = FolderRef("sales@example.com", well_known="inbox")
HR_INBOX = FolderRef("hr@example.com", well_known="inbox")


@pytest.fixture
def alice(fresh_emulator) -> Iterator[EwsClient]:
    client = EwsClient(fresh_emulator.ews_url, "alice@example.com", "alice-pass", AuthMethod.NTLM,
                       ServerVersion(*BUILD))
    yield client
    client.close()


def rows(client: EwsClient, folder: FolderRef, n: int = 1000):
    return find_page(client, folder, ListQuery(), 0, n).items


class Recorder:
    """progress() and cancelled() callbacks that remember what they were told."""

    def __init__(self, cancel_after: int | None = None) -> None:
        self.calls: list[tuple[int, int]] = []
        self.cancel_after = cancel_after

    def progress(self, done: int, total: int) -> None:
        self.calls.append((done, total))

    def cancelled(self) -> bool:
        return self.cancel_after is not None and len(self.calls) >= self.cancel_after


def test_mark_read_and_unread_in_bulk(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX)][:120]
    support = el_account(fresh_emulator, "alice", "support@example.com")

    def read_states(some: list[str]) -> list[bool]:
        return [m.is_read for m in support.fetch(ids=[(i, None) for i in some], only_fields=["is_read"])]

    fresh_emulator.backend.operation_counts.clear()
    set_read(alice, "support@example.com", ids, False)
    assert fresh_emulator.backend.operation_counts == {"UpdateItem": 2}  # 100 per request
    assert not any(read_states(ids))
    set_read(alice, "support@example.com", ids[:3], True)
    assert read_states(ids[:4]) == [True, True, True, False]


def test_a_reviewer_may_mark_read_but_not_flag(fresh_emulator, alice) -> None:
    """alice is Reviewer on sales@'s Inbox: the read state is hers to change, the flag is not."""
    row = next(m for m in rows(alice, SALES_INBOX) if not m.is_read)
    set_read(alice, "sales@example.com", [row.item_id], True)
    assert next(m for m in rows(alice, SALES_INBOX) if m.item_id == row.item_id).is_read
    with pytest.raises(AccessDenied, match=r"flag messages in sales@example\.com"):
        set_flag(alice, "sales@example.com", [row.item_id], True)
    with pytest.raises(AccessDenied, match=r"categorise messages in sales@example\.com"):
        set_categories(alice, "sales@example.com", row.item_id, ["Renewal"])
    assert not next(m for m in rows(alice, SALES_INBOX) if m.item_id == row.item_id).flagged


def test_flag_and_unflag(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX, 3)]
    set_flag(alice, "support@example.com", ids, True)
    flagged = {m.item_id: m.flagged for m in rows(alice, SUPPORT_INBOX, 5)}
    assert [flagged[i] for i in ids] == [True, True, True] and list(flagged.values()).count(True) == 3
    set_flag(alice, "support@example.com", ids[:1], False)
    flagged = {m.item_id: m.flagged for m in rows(alice, SUPPORT_INBOX, 5)}
    assert [flagged[i] for i in ids] == [False, True, True]
    support = el_account(fresh_emulator, "alice", "support@example.com")
    from app.ews.client import FlagStatus  # registered on Message by EwsClient

    assert FlagStatus.property_tag == 0x1090
    assert [m.flag_status for m in support.fetch(ids=[(i, None) for i in ids], only_fields=["flag_status"])] == [
        0, 2, 2]


def test_set_and_clear_categories(fresh_emulator, alice) -> None:
    row = rows(alice, SUPPORT_INBOX, 1)[0]
    set_categories(alice, "support@example.com", row.item_id, ["Urgent", "Bug"])
    assert rows(alice, SUPPORT_INBOX, 1)[0].categories == ("Urgent", "Bug")
    set_categories(alice, "support@example.com", row.item_id, [])
    assert rows(alice, SUPPORT_INBOX, 1)[0].categories == ()


def test_delete_goes_to_the_shared_mailboxs_deleted_items(fresh_emulator, alice) -> None:
    victims = [m.item_id for m in rows(alice, SUPPORT_INBOX, 3)]
    subjects = {m.subject for m in rows(alice, SUPPORT_INBOX, 3)}
    mine_before = el_account(fresh_emulator, "alice").trash.total_count
    rec = Recorder()
    assert delete(alice, "support@example.com", victims, False, rec.progress, rec.cancelled) == 3
    assert rec.calls == [(3, 3)]
    support = el_account(fresh_emulator, "alice", "support@example.com")
    assert {m.subject for m in support.trash.all().only("subject")} >= subjects
    assert not set(victims) & {m.item_id for m in rows(alice, SUPPORT_INBOX)}
    alice_trash = el_account(fresh_emulator, "alice").trash
    alice_trash.refresh()
    assert alice_trash.total_count == mine_before, "nothing lands in alice's own Deleted Items"


def test_permanent_delete_leaves_nothing(fresh_emulator, alice) -> None:
    victim = rows(alice, SUPPORT_INBOX, 1)[0]
    support = el_account(fresh_emulator, "alice", "support@example.com")
    trash_before = support.trash.total_count
    rec = Recorder()
    assert delete(alice, "support@example.com", [victim.item_id], True, rec.progress, rec.cancelled) == 1
    support.trash.refresh()
    assert support.trash.total_count == trash_before
    assert victim.item_id not in {m.item_id for m in rows(alice, SUPPORT_INBOX)}


def test_delete_denied_in_hr_names_the_mailbox_and_keeps_the_mail(fresh_emulator, alice) -> None:
    """alice may edit but not delete in hr@'s Inbox."""
    row = rows(alice, HR_INBOX, 1)[0]
    assert row.rights.modify and not row.rights.delete
    rec = Recorder()
    with pytest.raises(AccessDenied, match=r"You may not delete messages in hr@example\.com"):
        delete(alice, "hr@example.com", [row.item_id], False, rec.progress, rec.cancelled)
    assert row.item_id in {m.item_id for m in rows(alice, HR_INBOX)}
    set_flag(alice, "hr@example.com", [row.item_id], True)  # editing is allowed there


def test_move_across_mailboxes_in_chunks_with_progress(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX)][: CHUNK * 2 + 7]
    support_total = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 1).total
    billing_total = find_page(alice, BILLING_INBOX, ListQuery(), 0, 1).total
    rec = Recorder()
    fresh_emulator.backend.operation_counts.clear()
    done = move(alice, SUPPORT_INBOX, ids, BILLING_INBOX, False, rec.progress, rec.cancelled)
    assert done == len(ids)
    assert fresh_emulator.backend.operation_counts == {"MoveItem": 3}
    assert rec.calls == [(CHUNK, len(ids)), (CHUNK * 2, len(ids)), (len(ids), len(ids))]
    assert find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 1).total == support_total - len(ids)
    assert find_page(alice, BILLING_INBOX, ListQuery(), 0, 1).total == billing_total + len(ids)


def test_cancel_stops_between_chunks(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX)][: CHUNK * 3]
    target = FolderRef("support@example.com", well_known="archive")
    rec = Recorder(cancel_after=1)
    assert move(alice, SUPPORT_INBOX, ids, target, False, rec.progress, rec.cancelled) == CHUNK
    assert rec.calls == [(CHUNK, CHUNK * 3)]
    remaining = {m.item_id for m in rows(alice, SUPPORT_INBOX)}
    assert not set(ids[:CHUNK]) & remaining and set(ids[CHUNK:]) <= remaining


def test_copy_keeps_the_original(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX, 2)]
    billing_total = find_page(alice, BILLING_INBOX, ListQuery(), 0, 1).total
    rec = Recorder()
    assert move(alice, SUPPORT_INBOX, ids, BILLING_INBOX, True, rec.progress, rec.cancelled) == 2
    assert set(ids) <= {m.item_id for m in rows(alice, SUPPORT_INBOX)}
    assert find_page(alice, BILLING_INBOX, ListQuery(), 0, 1).total == billing_total + 2


def test_moving_out_of_a_read_only_folder_is_denied(fresh_emulator, alice) -> None:
    row = rows(alice, SALES_INBOX, 1)[0]
    rec = Recorder()
    with pytest.raises(AccessDenied, match=r"move messages from sales@example\.com › Inbox to alice@example\.com"):
        move(alice, SALES_INBOX, [row.item_id], FolderRef("alice@example.com", well_known="inbox"), False,
             rec.progress, rec.cancelled)
    assert rec.calls == []


def test_a_denial_after_some_chunks_says_how_many_were_done(fresh_emulator, alice) -> None:
    ids = [m.item_id for m in rows(alice, SUPPORT_INBOX)][:CHUNK] + [rows(alice, HR_INBOX, 1)[0].item_id]
    rec = Recorder()
    with pytest.raises(AccessDenied, match=rf"\({CHUNK} of {CHUNK + 1} were deleted before that\.\)"):
        delete(alice, "support@example.com", ids, False, rec.progress, rec.cancelled)
    assert rec.calls == [(CHUNK, CHUNK + 1)]
