"""The thread behind one hanging GetStreamingEvents connection (one affinity group of mailboxes).

It subscribes each mailbox of its group, keeps one GetStreamingEvents open and re-issues it when its
ConnectionTimeout ends (``ConnectionStatus Closed``): while nothing changes that is the only traffic. It tells
its :class:`Sink` what happened; the sink (:class:`app.services.live.LiveMail`) turns that into SyncFolderItems
on the mailbox's task queue. Gaps are repaired by a resync, never by guessing:

* ``ErrorMissedNotificationEvents``, ``ErrorSubscriptionNotFound`` (expired: the connection was down longer than
  the subscription's lifetime, or the server restarted) and the like: subscribe again, then resync.
* A dropped connection: reconnect with back-off (1 s doubling to 60 s), then resync (events in flight when the
  connection broke may be lost).
* A server without streaming (:class:`~app.ews.streaming.StreamingRefused`): report it; the sink polls.

It never runs on the task runner: a blocking call for up to 30 minutes would hold a pool thread and a mailbox's
queue. :meth:`GroupWorker.stop` closes the socket, so the thread ends at once.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Protocol

from app.domain.errors import AccessDenied, MailroomError
from app.domain.folders import FolderRef

log = logging.getLogger(__name__)

FIRST_RETRY_S = 1.0
MAX_RETRY_S = 60.0
CONNECTION_TIMEOUT_MIN = 30
"""GetStreamingEvents' ConnectionTimeout: the longest Exchange allows; then the request is issued again."""


class Sink(Protocol):
    """Where a worker reports (called on the worker's thread)."""

    def report_news(self, worker: GroupWorker, mailbox: str, folder_ids: frozenset[str]) -> None:
        """Folders of ``mailbox`` changed."""

    def report_resync(self, worker: GroupWorker, mailboxes: list[str]) -> None:
        """Events of these mailboxes may have been missed: synchronise them."""

    def report_state(self, worker: GroupWorker, state: str, detail: str) -> None:
        """``live``, ``reconnecting`` (detail: why and when) or ``refused`` (the server has no streaming)."""


@dataclass(frozen=True)
class Member:
    """One mailbox of a group and the folders to watch in it."""

    mailbox: str
    folders: tuple[FolderRef, ...]


class GroupWorker:
    """One affinity group's streaming connection, on a thread of its own.

    Args:
        client: The signed-in user's ``EwsClient``.
        members: The group's mailboxes (the anchor is the first).
        sink: Gets the news.
        connection_timeout_min: GetStreamingEvents' ConnectionTimeout (1-30 minutes).
        first_retry_s: The first back-off after a failure (doubling up to ``max_retry_s``).
        max_retry_s: The longest back-off.
    """

    def __init__(self, client: object, members: list[Member], sink: Sink,
                 connection_timeout_min: int = CONNECTION_TIMEOUT_MIN, first_retry_s: float = FIRST_RETRY_S,
                 max_retry_s: float = MAX_RETRY_S) -> None:
        from app.ews import streaming  # lazy: exchangelib is slow to import

        self.members = members
        self.mailboxes = [m.mailbox for m in members]
        self._client = client
        self._sink = sink
        self._timeout_min = connection_timeout_min
        self._first_retry = first_retry_s
        self._max_retry = max_retry_s
        self._stop = threading.Event()
        self._affinity = streaming.Affinity(self.mailboxes[0])
        self._connection = streaming.StreamConnection(client, self._affinity)  # type: ignore[arg-type]
        self._thread = threading.Thread(target=self._run, name=f"mailroom-stream-{self.mailboxes[0]}", daemon=True)
        self.subscriptions: dict[str, str] = {}  # subscription id -> mailbox

    @property
    def anchor(self) -> str:
        return self.mailboxes[0]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end and close its socket (returns at once; any thread)."""
        self._stop.set()
        self._connection.close()

    def join(self, timeout_s: float) -> bool:
        """Wait for the thread; True when it ended."""
        if self._thread.ident is not None:
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    # -- the thread ----------------------------------------------------------------------------------------
    def _run(self) -> None:
        from app.ews import streaming

        delay = self._first_retry
        dirty: set[str] = set()  # mailboxes to resync once subscribed (and connected) again
        losses = 0  # subscription losses in a row, without a notification in between
        while not self._stop.is_set():
            try:
                self._subscribe_missing(dirty)
                if not self.subscriptions:
                    return  # nothing left to watch

                def opened() -> None:  # every subscription was accepted: now the gap can be closed, once
                    if dirty:
                        self._sink.report_resync(self, sorted(dirty))
                        dirty.clear()
                    self._sink.report_state(self, "live", "")

                for news in self._connection.events(list(self.subscriptions), self._timeout_min, opened):
                    delay, losses = self._first_retry, 0
                    mailbox = self.subscriptions.get(news.subscription_id)
                    if mailbox is not None:
                        self._sink.report_news(self, mailbox, news.folder_ids)
                delay, losses = self._first_retry, 0  # Closed: the ConnectionTimeout ended; issue it again
            except streaming.StreamingRefused as refused:
                if not self._stop.is_set():
                    log.info("No streaming notifications for %s: %s", ", ".join(self.mailboxes), refused)
                    self._sink.report_state(self, "refused", str(refused))
                return
            except streaming.SubscriptionsLost as lost:
                if self._stop.is_set():
                    return
                ids = [i for i in lost.subscription_ids if i in self.subscriptions] or list(self.subscriptions)
                log.info("Subscriptions lost (%s) for %s: subscribing again", lost.code,
                         ", ".join(self.subscriptions[i] for i in ids))
                for sid in ids:
                    dirty.add(self.subscriptions.pop(sid))
                losses += 1
                if losses > 1:  # lost again at once: do not hammer the server
                    self._sink.report_state(self, "reconnecting", str(lost))
                    if self._stop.wait(delay):
                        return
                    delay = min(delay * 2, self._max_retry)
            except MailroomError as error:
                if self._stop.is_set():
                    return
                dirty.update(self.subscriptions.values())
                log.info("Streaming connection for %s failed (%s); again in %.0f s", self.anchor, error, delay)
                self._sink.report_state(self, "reconnecting", str(error))
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self._max_retry)
            except Exception:  # a bug: log it, keep going slowly rather than die silently
                if self._stop.is_set():
                    return
                log.exception("Streaming worker for %s failed", self.anchor)
                dirty.update(self.subscriptions.values())
                if self._stop.wait(self._max_retry):
                    return

    def _subscribe_missing(self, dirty: set[str]) -> None:
        from app.ews import streaming

        have = set(self.subscriptions.values())
        for member in self.members:
            if member.mailbox in have or self._stop.is_set():
                continue
            try:
                sid = streaming.subscribe(self._client, member.mailbox, member.folders,  # type: ignore[arg-type]
                                          self._affinity)
            except AccessDenied as denied:  # rights changed: nothing of it to watch any more
                log.info("Not watching %s: %s", member.mailbox, denied)
                self.members = [m for m in self.members if m is not member]
                continue
            self.subscriptions[sid] = member.mailbox
            # A subscription sees what happens from now on: what happened since the list was read (or since a
            # lost subscription's last event) is caught up by one resync.
            dirty.add(member.mailbox)

