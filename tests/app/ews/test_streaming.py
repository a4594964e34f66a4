"""app.ews.streaming against the emulator: affinity groups, the hanging connection's own socket, errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from app.domain.errors import ConnectionFailed
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.domain.messages import ListQuery
from app.ews import streaming
from app.ews.client import EwsClient
from app.ews.messages import find_page
from tests.support.emulator import BUILD
from tests.support.emulator import account as el_account

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SUPPORT_INBOX = FolderRef(SUPPORT, well_known="inbox")
WAIT = 10.0


def _client(emu, user: str = "alice") -> EwsClient:
    address = f"{user}@example.com"
    return EwsClient(emu.ews_url, address, f"{user}-pass", AuthMethod.NTLM, ServerVersion(*BUILD),
                     user=MailboxRef(address))


def _hub(emu):
    from ews_emulator.ops.notifications import hub

    class _Ctx:
        backend = emu.backend

    return hub(_Ctx())  # type: ignore[arg-type]


@pytest.fixture
def alice(fresh_emulator) -> Iterator[EwsClient]:
    client = _client(fresh_emulator)
    yield client
    client.close()


class Stream:
    """``connection.events(ids)`` consumed on a thread."""

    def __init__(self, connection: streaming.StreamConnection, ids: list[str]) -> None:
        self.news: list[streaming.FolderNews] = []
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(connection, ids), daemon=True)
        self.thread.start()

    def _run(self, connection: streaming.StreamConnection, ids: list[str]) -> None:
        try:
            self.news.extend(connection.events(ids, 1))
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            self.error = error


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_groups_are_sorted_anchored_and_bounded() -> None:
    assert streaming.group_mailboxes(["support@example.com", "Alice@example.com"]) == [[OWN, SUPPORT]]
    split = streaming.group_mailboxes([OWN, SUPPORT, "hr@example.com"],
                                      {SUPPORT: "EURP1", "hr@example.com": "EURP1"})
    assert split == [[OWN], ["hr@example.com", SUPPORT]]
    many = [f"m{n:03d}@example.com" for n in range(450)]
    groups = streaming.group_mailboxes(many)
    assert [len(g) for g in groups] == [200, 200, 50]
    spread = streaming.group_mailboxes(many, {a: a for a in many})
    assert len(spread) == streaming.MAX_CONNECTIONS  # Exchange Online's hanging connections per user


def test_subscriptions_of_a_group_name_its_anchor_and_share_its_cookie(fresh_emulator, alice) -> None:
    affinity = streaming.Affinity(OWN)
    streaming.subscribe(alice, OWN, [FolderRef(OWN, well_known="inbox")], affinity)
    assert affinity.cookie, "the first Subscribe answered the backend cookie"
    sid = streaming.subscribe(alice, SUPPORT, [SUPPORT_INBOX], affinity)
    sub = next(s for s in _hub(fresh_emulator).subscriptions() if s.id == sid)
    assert sub.anchor == OWN  # exchangelib alone would have sent support@ (its own mailbox)
    pooled = alice.own.protocol._session_pool.queue
    assert not any(c.name == streaming.COOKIE for s in pooled for c in s.cookies), \
        "the group's cookie does not ride along on the pool's other requests"


def test_the_hanging_connection_leaves_the_pool_free_and_closes_at_once(fresh_emulator) -> None:
    client = _client(fresh_emulator)
    client.own.protocol.max_connections = 1  # stock exchangelib would now block every call while streaming
    try:
        affinity = streaming.Affinity(OWN)
        sid = streaming.subscribe(client, SUPPORT, [SUPPORT_INBOX], affinity)
        connection = streaming.StreamConnection(client, affinity)
        stream = Stream(connection, [sid])
        _wait(lambda: _hub(fresh_emulator).open_streams == 1, "the stream to open")
        page = find_page(client, SUPPORT_INBOX, ListQuery(), 0, 5)  # on the pool, beside the stream
        assert len(page.items) == 5
        started = time.monotonic()
        connection.close()
        stream.thread.join(WAIT)
        assert not stream.thread.is_alive() and time.monotonic() - started < 1.0
        assert isinstance(stream.error, ConnectionFailed)
    finally:
        client.close()


def test_news_names_the_changed_folder(fresh_emulator, alice) -> None:
    from exchangelib import Mailbox, Message

    affinity = streaming.Affinity(OWN)
    sid = streaming.subscribe(alice, SUPPORT, [SUPPORT_INBOX], affinity)
    connection = streaming.StreamConnection(alice, affinity)
    stream = Stream(connection, [sid])
    _wait(lambda: _hub(fresh_emulator).open_streams == 1, "the stream to open")
    Message(account=el_account(fresh_emulator, "bob"), subject="Hi", body="x",
            to_recipients=[Mailbox(email_address=SUPPORT)]).send()
    _wait(lambda: stream.news, "the news")
    inbox_id = el_account(fresh_emulator, "alice", SUPPORT).inbox.id
    assert stream.news[0].subscription_id == sid and inbox_id in stream.news[0].folder_ids
    connection.close()
    stream.thread.join(WAIT)


def test_lost_subscriptions_are_named(fresh_emulator, alice) -> None:
    affinity = streaming.Affinity(OWN)
    sid = streaming.subscribe(alice, SUPPORT, [SUPPORT_INBOX], affinity)
    _hub(fresh_emulator).restart()
    connection = streaming.StreamConnection(alice, affinity)
    with pytest.raises(streaming.SubscriptionsLost) as lost:
        list(connection.events([sid], 1))
    assert lost.value.subscription_ids == (sid,) and lost.value.code == "ErrorSubscriptionNotFound"
    connection.close()


def test_a_server_without_streaming_refuses(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(quirks=["no-streaming"])
    client = _client(emu)
    try:
        with pytest.raises(streaming.StreamingRefused):
            streaming.subscribe(client, SUPPORT, [SUPPORT_INBOX], streaming.Affinity(OWN))
    finally:
        client.close()
