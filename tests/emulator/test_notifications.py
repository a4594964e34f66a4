"""Notifications over real HTTP with exchangelib: streaming and pull subscriptions, rights, unsubscribe."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from tests.support.emulator import account

WAIT = 10  # seconds; an upper bound, never reached when things work


def _send(emu, sender: str, to: str, subject: str) -> None:
    from exchangelib import Mailbox, Message

    acc = account(emu, sender)
    Message(account=acc, folder=acc.sent, subject=subject, body="Hello", to_recipients=[Mailbox(email_address=to)]
            ).send_and_save()


def _as_user(folder, other):
    """The same folder (by id) addressed through another user's Account."""
    return type(folder)(root=other.root, id=folder.id, changekey=folder.changekey)


class Listener:
    """Consumes one GetStreamingEvents stream on a thread; every event lands in ``events``."""

    def __init__(self, folder, subscription_id: str, minutes: int = 1) -> None:
        # exchangelib's pool holds one session per (endpoint, credentials): a stream would block every other call
        # of the same user until it ends, so let the pool grow.
        folder.account.protocol.max_connections = 4
        self.events: queue.Queue = queue.Queue()
        self.error: BaseException | None = None
        self.closed = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(folder, subscription_id, minutes), daemon=True)
        self._thread.start()

    def _run(self, folder, subscription_id: str, minutes: int) -> None:
        try:
            for notification in folder.get_streaming_events(subscription_id, connection_timeout=minutes):
                assert notification.subscription_id == subscription_id
                for event in notification.events:
                    self.events.put(event)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.error = exc
        finally:
            self.closed.set()

    def wait_for(self, kind: str, timeout: float = WAIT) -> list:
        """Events up to and including the first ``kind`` event; fails after ``timeout``."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                event = self.events.get(timeout=0.1)
            except queue.Empty:
                continue
            seen.append(event)
            if type(event).__name__ == kind:
                return seen
        raise AssertionError(f"no {kind} within {timeout} s (got {seen}, error {self.error})")


def test_streaming_new_mail_in_a_shared_inbox(fresh_emulator) -> None:
    support = account(fresh_emulator, "alice", "support")
    inbox = support.inbox
    sid = inbox.subscribe_to_streaming()
    listener = Listener(inbox, sid)
    started = time.monotonic()
    _send(fresh_emulator, "bob", "support@example.com", "Streaming hello")
    seen = listener.wait_for("NewMailEvent")
    assert time.monotonic() - started < 5
    kinds = [type(e).__name__ for e in seen]
    assert "CreatedEvent" in kinds
    new_mail = seen[-1]
    assert new_mail.parent_folder_id.id == inbox.id
    assert new_mail.watermark and new_mail.timestamp
    [item] = list(support.fetch(ids=[(new_mail.item_id.id, new_mail.item_id.changekey)]))
    assert item.subject == "Streaming hello"
    # Unsubscribing ends the stream with ConnectionStatus Closed (exchangelib's generator stops).
    support.unsubscribe(sid)
    assert listener.closed.wait(WAIT) and listener.error is None


def test_subscribing_needs_a_visible_folder(emulator) -> None:
    from exchangelib.errors import ErrorAccessDenied

    inbox = account(emulator, "alice", "support").inbox
    with pytest.raises(ErrorAccessDenied):
        _as_user(inbox, account(emulator, "dave")).subscribe_to_streaming()
    # bob is Reviewer on support@'s Inbox: he may subscribe to it.
    bob_inbox = _as_user(inbox, account(emulator, "bob"))
    sid = bob_inbox.subscribe_to_streaming()
    assert bob_inbox.unsubscribe(sid) is True


def test_events_reach_only_subscribers_who_may_read_the_items(fresh_emulator) -> None:
    from ews_emulator.rights import from_role

    store = fresh_emulator.backend.store
    support, dave = store.directory.by_smtp("support@example.com"), store.directory.by_smtp("dave@example.com")
    inbox_row = store.folders.by_well_known(support.id, "inbox")

    def grant(role: str) -> None:
        with store.db.tx() as con:
            entries = store.folders.permissions(inbox_row.id)
            entries[dave.id] = from_role(role)
            store.folders.set_permissions(con, inbox_row.id, entries)

    grant("Contributor")  # the folder is visible to dave, its items are not readable
    inbox = account(fresh_emulator, "alice", "support").inbox
    dave_inbox = _as_user(inbox, account(fresh_emulator, "dave"))
    dave_sid = dave_inbox.subscribe_to_streaming()
    dave_listener = Listener(dave_inbox, dave_sid)
    alice_sid = inbox.subscribe_to_streaming()
    alice_listener = Listener(inbox, alice_sid)
    _send(fresh_emulator, "bob", "support@example.com", "Not for dave")
    alice_listener.wait_for("NewMailEvent")
    time.sleep(1.0)  # ten polling rounds
    assert dave_listener.events.empty()
    # Rights are checked at delivery time: as Reviewer, dave now gets the next message's events.
    grant("Reviewer")
    _send(fresh_emulator, "bob", "support@example.com", "For dave too")
    seen = dave_listener.wait_for("NewMailEvent")
    [item] = list(account(fresh_emulator, "dave").fetch(ids=[(seen[-1].item_id.id, seen[-1].item_id.changekey)]))
    assert item.subject == "For dave too"
    account(fresh_emulator, "dave").unsubscribe(dave_sid)
    inbox.unsubscribe(alice_sid)
    assert dave_listener.closed.wait(WAIT) and alice_listener.closed.wait(WAIT)
    assert dave_listener.error is None and alice_listener.error is None


def test_pull_subscription_reports_moves_and_advances_the_watermark(fresh_emulator) -> None:
    support = account(fresh_emulator, "alice", "support")
    inbox = support.inbox
    done = inbox / "Done"
    sid, watermark = inbox.subscribe_to_pull()
    [first] = list(next(inbox.get_events(sid, watermark)).events)
    assert type(first).__name__ == "StatusEvent"
    message = inbox.all().order_by("-datetime_received")[0]
    old_id = message.id
    message.move(done)
    notification = next(inbox.get_events(sid, watermark))
    moved = [e for e in notification.events if type(e).__name__ == "MovedEvent"]
    assert len(moved) == 1
    assert moved[0].old_item_id.id == old_id and moved[0].item_id.id != old_id
    assert moved[0].old_parent_folder_id.id == inbox.id and moved[0].parent_folder_id.id == done.id
    assert not notification.more_events
    after = next(inbox.get_events(sid, moved[0].watermark))
    assert [type(e).__name__ for e in after.events] == ["StatusEvent"]
    support.unsubscribe(sid)


def test_folder_events_with_subscribe_to_all_folders(fresh_emulator) -> None:
    from exchangelib import Folder
    from exchangelib.services import SubscribeToPull

    alice = account(fresh_emulator, "alice")
    sid, watermark = SubscribeToPull(account=alice).get(
        folders=None, event_types=["CreatedEvent", "MovedEvent", "NewMailEvent"], watermark=None, timeout=5)
    created = Folder(parent=alice.inbox, name="Projects")
    created.save()
    _send(fresh_emulator, "carol", "alice@example.com", "To all folders")
    events = next(alice.inbox.get_events(sid, watermark)).events
    folder_events = [e for e in events if e.folder_id is not None]
    assert [(type(e).__name__, e.folder_id.id, e.parent_folder_id.id) for e in folder_events] == \
        [("CreatedEvent", created.id, alice.inbox.id)]
    assert "NewMailEvent" in [type(e).__name__ for e in events]
    assert {type(e).__name__ for e in events} <= {"CreatedEvent", "NewMailEvent"}


def test_subscription_errors(emulator) -> None:
    from exchangelib.errors import (
        ErrorInvalidSubscription,
        ErrorSubscriptionAccessDenied,
        ErrorSubscriptionNotFound,
    )

    inbox = account(emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    carol_inbox = _as_user(inbox, account(emulator, "carol", "support"))
    with pytest.raises(ErrorSubscriptionAccessDenied):
        list(carol_inbox.get_streaming_events(sid, connection_timeout=1))
    inbox.unsubscribe(sid)
    with pytest.raises(ErrorSubscriptionNotFound):
        list(inbox.get_streaming_events(sid, connection_timeout=1))
    with pytest.raises(ErrorSubscriptionNotFound):
        inbox.unsubscribe(sid)
    with pytest.raises(ErrorInvalidSubscription):
        list(inbox.get_streaming_events("bm90LWFuLWlk", connection_timeout=1))
