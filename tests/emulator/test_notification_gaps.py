"""Streaming subscriptions' lifetime, missed events, dropped connections, affinity and servers without streaming."""

from __future__ import annotations

import time

import pytest

from tests.emulator.test_notifications import WAIT, Listener, _send
from tests.support.emulator import account

SUPPORT = "support@example.com"


def _hub(emu):
    from ews_emulator.ops.notifications import hub

    class _Ctx:  # hub() only reads ctx.backend
        backend = emu.backend

    return hub(_Ctx())  # type: ignore[arg-type]


def test_a_streaming_subscription_outlives_its_connection_only_for_its_lifetime(fresh_emulator) -> None:
    from exchangelib.errors import ErrorSubscriptionNotFound

    the_hub = _hub(fresh_emulator)
    inbox = account(fresh_emulator, "alice", "support").inbox
    kept = inbox.subscribe_to_streaming()
    the_hub.lifetime_s = 0.5
    time.sleep(0.1)
    # Within the lifetime the subscription is still there: a new connection gets what happened meanwhile.
    _send(fresh_emulator, "bob", SUPPORT, "While nobody listened")
    listener = Listener(inbox, kept)
    seen = listener.wait_for("NewMailEvent")
    assert seen[-1].parent_folder_id.id == inbox.id
    # A subscription carried by an open connection never expires.
    time.sleep(0.8)
    assert the_hub.get(kept) is not None
    inbox.account.unsubscribe(kept)
    assert listener.closed.wait(WAIT)

    lapsed = inbox.subscribe_to_streaming()
    time.sleep(0.8)  # no connection for longer than the lifetime
    with pytest.raises(ErrorSubscriptionNotFound):
        list(inbox.get_streaming_events(lapsed, connection_timeout=1))


def test_an_overflowing_queue_answers_missed_events_and_ends_the_subscription(fresh_emulator) -> None:
    from exchangelib.errors import ErrorMissedNotificationEvents, ErrorSubscriptionNotFound

    the_hub = _hub(fresh_emulator)
    the_hub.queue_limit = 3
    inbox = account(fresh_emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    for n in range(3):  # each delivery is several events (created, new mail, folder modified)
        _send(fresh_emulator, "bob", SUPPORT, f"Burst {n}")
    with pytest.raises(ErrorMissedNotificationEvents):
        list(inbox.get_streaming_events(sid, connection_timeout=1))
    with pytest.raises(ErrorSubscriptionNotFound):  # it is gone: subscribe again (and resync)
        list(inbox.get_streaming_events(sid, connection_timeout=1))


def test_a_burst_faster_than_the_connection_reads_ends_the_stream_with_missed_events(fresh_emulator) -> None:
    the_hub = _hub(fresh_emulator)
    the_hub.queue_limit = 3
    carol = account(fresh_emulator, "carol", "support")
    inbox = account(fresh_emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    listener = Listener(inbox, sid)
    time.sleep(0.3)
    ids = [(m.id, m.changekey) for m in carol.inbox.all().only("id", "changekey")[:6]]
    carol.bulk_move(ids=ids, to_folder=carol.trash)  # 12 events in one request
    assert listener.closed.wait(WAIT)
    assert type(listener.error).__name__ == "ErrorMissedNotificationEvents"
    assert the_hub.get(sid) is None


def test_dropped_connections_end_mid_answer_and_the_subscription_stays(fresh_emulator) -> None:
    the_hub = _hub(fresh_emulator)
    inbox = account(fresh_emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    listener = Listener(inbox, sid)
    deadline = time.monotonic() + WAIT
    while the_hub.open_streams == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    the_hub.drop_connections()
    assert listener.closed.wait(WAIT)
    assert listener.error is not None  # no ConnectionStatus Closed: the body was cut
    _send(fresh_emulator, "bob", SUPPORT, "After the drop")
    again = Listener(inbox, sid)  # the subscription survived the drop: the queued event arrives
    assert again.wait_for("NewMailEvent")[-1].parent_folder_id.id == inbox.id
    inbox.account.unsubscribe(sid)
    assert again.closed.wait(WAIT)


def test_restart_forgets_every_subscription(fresh_emulator) -> None:
    from exchangelib.errors import ErrorSubscriptionNotFound

    inbox = account(fresh_emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    _hub(fresh_emulator).restart()
    with pytest.raises(ErrorSubscriptionNotFound):
        list(inbox.get_streaming_events(sid, connection_timeout=1))


def test_subscribe_with_server_affinity_sets_the_backend_cookie(emulator) -> None:
    from exchangelib.services.subscribe import SubscribeToStreaming

    support = account(emulator, "alice", "support")
    svc = SubscribeToStreaming(account=support)
    [sid] = list(svc.call(folders=[support.inbox], event_types=["NewMailEvent"]))
    assert support.affinity_cookie  # exchangelib read it from the answer's Set-Cookie
    sub = next(s for s in _hub(emulator).subscriptions() if s.id == sid)
    assert sub.anchor == SUPPORT  # exchangelib anchors on the subscribed mailbox
    support.unsubscribe(sid)


def test_no_streaming_quirk_refuses_streaming_but_keeps_pull(start_fresh_emulator) -> None:
    from exchangelib.errors import ErrorInvalidSubscriptionRequest

    emu = start_fresh_emulator(quirks=["no-streaming"])
    inbox = account(emu, "alice", "support").inbox
    with pytest.raises(ErrorInvalidSubscriptionRequest):
        inbox.subscribe_to_streaming()
    sid, watermark = inbox.subscribe_to_pull()
    assert sid and watermark
    inbox.account.unsubscribe(sid)


def test_a_stream_ends_when_its_subscription_expires_elsewhere(fresh_emulator) -> None:
    inbox = account(fresh_emulator, "alice", "support").inbox
    sid = inbox.subscribe_to_streaming()
    listener = Listener(inbox, sid)
    time.sleep(0.3)
    _hub(fresh_emulator).restart()
    assert listener.closed.wait(WAIT) and listener.error is None  # ConnectionStatus Closed
