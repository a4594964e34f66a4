"""New mail live: streaming notifications update alice's open list and counts while others deliver and change mail.

Two users are signed in to one emulator: alice watches support@'s Inbox in the real window; bob (or carol, who
has Full Access to support@) delivers, reads, moves and deletes. Polling is set to an hour, so whatever reaches
alice's list within seconds came by streaming notifications.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from tests.support.app_driver import WEBENGINE_LOG_IGNORE, Driver
from tests.support.emulator import account

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

WAIT_MS = 20_000
OWN = "alice@example.com"
SUPPORT = "support@example.com"
HOUR_MS = 3_600_000


def _hub(emu: Any) -> Any:
    from ews_emulator.ops.notifications import hub

    class _Ctx:  # hub() only reads ctx.backend
        backend = emu.backend

    return hub(_Ctx())  # type: ignore[arg-type]


def _send(emu: Any, sender: str, subject: str, to: str = SUPPORT) -> None:
    from exchangelib import Mailbox, Message

    Message(account=account(emu, sender), subject=subject, body="Hello",
            to_recipients=[Mailbox(email_address=to)]).send()


def _subjects(d: Driver) -> list[str]:
    return [m.subject for m in d.app.list_model.summaries()]


def _alice_on_support(qtbot: Any, emu: Any, drive: Any, **options: Any) -> tuple[Driver, Any]:
    d = drive(emu, "alice", poll_interval_ms=options.pop("poll_interval_ms", HOUR_MS), **options)
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(SUPPORT)
    d.wait_list_loaded(ref)
    qtbot.waitUntil(lambda: d.app.live.state(SUPPORT) == "live" and not d.app.mail.is_syncing(), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)  # the catch-up after subscribing
    return d, ref


def _stream_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("mailroom-stream")]


def test_bobs_message_to_support_appears_in_alices_list_with_its_counts(qtbot, fresh_emulator, drive) -> None:
    d, ref = _alice_on_support(qtbot, fresh_emulator, drive)
    assert not d.app.mail.is_polling(), "a streamed mailbox is not polled"
    assert d.app.live.groups() == [[OWN, SUPPORT]], "one hanging connection for both mailboxes, anchored on alice"
    subs = _hub(fresh_emulator).subscriptions()
    assert {s.anchor for s in subs} == {OWN}, "every subscription of the group names its anchor mailbox"
    rows, unread = d.app.list_model.rowCount(), d.node(ref).unread

    started = time.monotonic()
    _send(fresh_emulator, "bob", "Printer on fire")
    qtbot.waitUntil(lambda: "Printer on fire" in _subjects(d), timeout=WAIT_MS)
    assert time.monotonic() - started < 5
    assert d.app.list_model.rowCount() == rows + 1
    top = d.app.list_model.summary(0)
    assert top.subject == "Printer on fire" and not top.is_read
    qtbot.waitUntil(lambda: d.node(ref).unread == unread + 1, timeout=WAIT_MS)  # the sidebar
    assert f"{unread + 1} unread" in d.window.folder_label.text()  # the status bar


def test_carols_read_move_and_delete_update_alices_list(qtbot, fresh_emulator, drive) -> None:
    d, ref = _alice_on_support(qtbot, fresh_emulator, drive)
    c = drive(fresh_emulator, "carol", poll_interval_ms=HOUR_MS)  # Full Access to support@
    # Her own Inbox opens first by itself (the last place): then she goes to support@.
    qtbot.waitUntil(lambda: c.app.mailboxes.tree(SUPPORT) is not None and c.window.folder is not None
                    and not c.app.mailboxes.is_loading(), timeout=WAIT_MS)
    carol_ref = c.open_folder(SUPPORT)
    c.wait_list_loaded(carol_ref)
    unread_rows = [m for m in d.app.list_model.summaries() if not m.is_read]
    target, moved, deleted = unread_rows[0], unread_rows[1], unread_rows[2]
    unread = d.node(ref).unread

    c.app.mail.mark_read(carol_ref, [target.item_id], True)
    qtbot.waitUntil(lambda: d.app.list_model.summary(d.app.list_model.row_of(target.item_id)).is_read,
                    timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.node(ref).unread == unread - 1, timeout=WAIT_MS)
    assert f"{unread - 1} unread" in d.window.folder_label.text()  # the status bar, though the total is the same

    done = c.folder_ref(SUPPORT, "deleteditems")
    c.app.mail.move(carol_ref, [moved.item_id], done)
    qtbot.waitUntil(lambda: d.app.list_model.row_of(moved.item_id) == -1, timeout=WAIT_MS)
    c.app.mail.delete(carol_ref, [deleted.item_id], permanent=True)
    qtbot.waitUntil(lambda: d.app.list_model.row_of(deleted.item_id) == -1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.node(ref).unread == unread - 3, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.node(done).unread >= 1, timeout=WAIT_MS)  # another folder's count: the sidebar


def test_a_dropped_connection_reconnects_and_still_delivers(qtbot, fresh_emulator, drive) -> None:
    d, _ref = _alice_on_support(qtbot, fresh_emulator, drive)
    the_hub = _hub(fresh_emulator)
    opened = the_hub.connections_opened
    the_hub.drop_connections()
    qtbot.waitUntil(lambda: the_hub.connections_opened > opened and d.app.live.state(SUPPORT) == "live",
                    timeout=WAIT_MS)
    _send(fresh_emulator, "bob", "After the drop")
    qtbot.waitUntil(lambda: "After the drop" in _subjects(d), timeout=WAIT_MS)
    assert not d.app.mail.is_polling()


def test_missed_events_trigger_a_resync_and_the_list_ends_correct(qtbot, fresh_emulator, drive) -> None:
    d, ref = _alice_on_support(qtbot, fresh_emulator, drive)
    the_hub = _hub(fresh_emulator)
    the_hub.queue_limit = 3
    counts = fresh_emulator.backend.operation_counts
    subscribes, syncs = counts.get("Subscribe", 0), counts.get("SyncFolderItems", 0)
    carol = account(fresh_emulator, "carol", SUPPORT)
    gone = [m.item_id for m in d.app.list_model.summaries()[:6]]
    carol.bulk_move(ids=[(i, None) for i in gone], to_folder=carol.trash)  # 12 events at once: the queue overflows
    qtbot.waitUntil(lambda: all(d.app.list_model.row_of(i) == -1 for i in gone), timeout=WAIT_MS)
    assert counts.get("Subscribe", 0) > subscribes, "the lost subscription was replaced"
    assert counts.get("SyncFolderItems", 0) > syncs
    stored = {m.id for m in carol.inbox.all().only("id")}
    assert {m.item_id for m in d.app.list_model.summaries()} <= stored  # nothing stale left in the loaded rows
    qtbot.waitUntil(lambda: d.app.live.state(SUPPORT) == "live", timeout=WAIT_MS)


def test_an_expired_subscription_is_replaced_and_the_gap_resynced(qtbot, fresh_emulator, drive) -> None:
    d, _ref = _alice_on_support(qtbot, fresh_emulator, drive)
    the_hub = _hub(fresh_emulator)
    the_hub.lifetime_s = 0.2  # the connection stays down (1 s back-off) longer than the subscription lives
    subscribes = fresh_emulator.backend.operation_counts.get("Subscribe", 0)
    victim = d.app.list_model.summary(0).item_id
    the_hub.drop_connections()
    account(fresh_emulator, "carol", SUPPORT).bulk_delete(ids=[(victim, None)])
    qtbot.waitUntil(lambda: d.app.list_model.row_of(victim) == -1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: fresh_emulator.backend.operation_counts.get("Subscribe", 0) > subscribes,
                    timeout=WAIT_MS)
    _send(fresh_emulator, "bob", "On the new subscription")
    qtbot.waitUntil(lambda: "On the new subscription" in _subjects(d), timeout=WAIT_MS)


def test_nothing_goes_to_the_server_while_nothing_changes(qtbot, fresh_emulator, drive) -> None:
    d, _ref = _alice_on_support(qtbot, fresh_emulator, drive)
    counts = fresh_emulator.backend.operation_counts
    counts.clear()
    qtbot.wait(3000)
    assert dict(counts) == {}, "only the hanging GetStreamingEvents (already open) while idle"
    assert d.app.runner.pending_count(SUPPORT) == 0, "the stream holds no mailbox queue"


def test_a_server_without_streaming_is_polled(qtbot, start_fresh_emulator, drive) -> None:
    emu = start_fresh_emulator(quirks=["no-streaming"])
    d = drive(emu, "alice", poll_interval_ms=300)
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(SUPPORT)
    d.wait_list_loaded(ref)
    qtbot.waitUntil(lambda: d.app.live.state(SUPPORT) == "polling" and d.app.mail.is_polling()
                    and not d.app.mail.is_syncing(), timeout=WAIT_MS)  # the starting point is taken
    qtbot.waitUntil(lambda: d.app.live.threads_alive() == 0 and not _stream_threads(), timeout=WAIT_MS)
    _send(emu, "bob", "Old server, still arrives")
    qtbot.waitUntil(lambda: "Old server, still arrives" in _subjects(d), timeout=WAIT_MS)


def test_stopping_closes_the_stream_at_once_and_leaves_no_thread(qtbot, fresh_emulator, drive) -> None:
    d, _ref = _alice_on_support(qtbot, fresh_emulator, drive)
    assert len(_stream_threads()) == 1
    started = time.monotonic()
    d.app.live.stop()  # sign-out and quit go through here
    assert time.monotonic() - started < 1.0
    assert not _stream_threads()
    assert d.app.live.state(SUPPORT) == ""
    assert d.app.mail.is_polling(), "without a stream the open folder is polled again"


def test_a_sync_asked_for_while_one_runs_runs_after_it(qtbot, fresh_emulator, drive) -> None:
    d, _ref = _alice_on_support(qtbot, fresh_emulator, drive)
    d.app.live.stop()  # only the mail service now; its timer is at an hour
    counts = fresh_emulator.backend.operation_counts
    syncs = counts.get("SyncFolderItems", 0)
    assert d.app.mail.poll_now() is not None
    deadline = time.monotonic() + 10
    while counts.get("SyncFolderItems", 0) == syncs and time.monotonic() < deadline:
        time.sleep(0.01)  # the GUI thread is held: the running sync's outcome cannot arrive yet
    time.sleep(0.3)
    _send(fresh_emulator, "bob", "Arrived during a sync")  # after that sync read the folder
    assert d.app.mail.poll_now() is None  # one is in flight: it is not started twice at once …
    qtbot.waitUntil(lambda: "Arrived during a sync" in _subjects(d), timeout=WAIT_MS)  # … but once more after it


def test_mail_that_arrives_before_the_starting_point_still_reaches_the_list(
        qtbot, fresh_emulator, drive, monkeypatch) -> None:
    # The folder's first sync only takes a starting point and reports no changes: a message delivered between the
    # first page and that sync was folded into it and never shown. A longer delay before the starting point opens
    # that window wide enough to deliver into it every time.
    from app.services import mail

    monkeypatch.setattr(mail, "BASELINE_DELAY_MS", 3_000)
    d = drive(fresh_emulator, "alice", poll_interval_ms=HOUR_MS)
    d.wait_mailboxes(OWN, SUPPORT)
    qtbot.waitUntil(lambda: d.app.live.state(SUPPORT) == "live", timeout=WAIT_MS)
    ref = d.open_folder(SUPPORT)
    d.wait_list_loaded(ref)
    assert d.app.mail.is_syncing(), "the starting point is still to be taken"
    rows, unread = d.app.list_model.rowCount(), d.node(ref).unread

    _send(fresh_emulator, "bob", "Sent in the first second")
    qtbot.waitUntil(lambda: "Sent in the first second" in _subjects(d), timeout=WAIT_MS)
    assert d.app.list_model.rowCount() == rows + 1
    qtbot.waitUntil(lambda: d.node(ref).unread == unread + 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not d.app.mail.is_syncing(), timeout=WAIT_MS)
    assert _subjects(d).count("Sent in the first second") == 1, "shown once"
