"""New mail live: streaming notifications for every open mailbox, turned into SyncFolderItems and counts.

The open mailboxes (:class:`~app.services.mailboxes.MailboxService`) are put in affinity groups
(:func:`app.ews.streaming.group_mailboxes`); each group has one :class:`~app.services.live_worker.GroupWorker`
thread with one hanging GetStreamingEvents. When a notification says a folder changed:

* the watched folder (the open list): :meth:`MailService.poll_now` runs SyncFolderItems on the mailbox's task
  queue (after the user's own actions), which updates the list in place and then the folder's counts;
* another folder of the mailbox: its folders are listed again (one request) for the sidebar's counts.

Nothing runs while nothing changes. A mailbox whose server refuses streaming is polled instead
(:meth:`MailService.set_streamed`). The workers are plain threads, never the task runner's: a call that hangs
for 30 minutes must not hold a pool thread or a mailbox's queue. :meth:`LiveMail.stop` closes their sockets and
joins them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain.errors import Cancelled, MailroomError
from app.domain.folders import FolderKind
from app.services.live_worker import CONNECTION_TIMEOUT_MIN, FIRST_RETRY_S, GroupWorker, Member
from app.services.mail import MailService
from app.services.mailboxes import MailboxService
from app.tasks import TaskHandle, TaskRunner

log = logging.getLogger(__name__)

REGROUP_DELAY_MS = 300
"""Mailboxes open one after another at sign-in: the groups are formed once they have settled."""
JOIN_TIMEOUT_S = 5.0


class LiveMail(QObject):
    """Keeps a streaming connection per affinity group of the open mailboxes.

    Args:
        runner: The task runner (for the counts refresh, on the mailbox's queue).
        client_provider: Returns the signed-in user's ``EwsClient``.
        mailboxes: The open mailboxes and their folder trees.
        mail: The mail service whose watched folder is synchronised on news.
        connection_timeout_min: GetStreamingEvents' ConnectionTimeout.
        first_retry_s: The first reconnect delay after a failure.
        parent: Qt parent.

    Signals:
        state_changed(str, str, str): mailbox, ``live`` / ``reconnecting`` / ``polling``, and a detail.
        news(str, object): a mailbox and the ids of its folders that changed (after the reaction started).
    """

    state_changed = Signal(str, str, str)
    news = Signal(str, object)
    # Internal: from the worker threads, delivered queued on the GUI thread.
    _worker_news = Signal(object, str, object)
    _worker_resync = Signal(object, object)
    _worker_state = Signal(object, str, str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], Any], mailboxes: MailboxService,
                 mail: MailService, connection_timeout_min: int = CONNECTION_TIMEOUT_MIN,
                 first_retry_s: float = FIRST_RETRY_S, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._mailboxes = mailboxes
        self._mail = mail
        self._timeout_min = connection_timeout_min
        self._first_retry = first_retry_s
        self._workers: list[GroupWorker] = []
        self._retiring: list[GroupWorker] = []  # stopped, their threads not joined yet
        self._states: dict[str, str] = {}
        self._refused: set[str] = set()
        self._counts: dict[str, TaskHandle[Any]] = {}
        self._counts_again: set[str] = set()
        self._running = False
        self._closed = False
        self._regroup = QTimer(self)
        self._regroup.setSingleShot(True)
        self._regroup.setInterval(REGROUP_DELAY_MS)
        self._regroup.timeout.connect(self._apply_groups)
        self._worker_news.connect(self._on_news, Qt.ConnectionType.QueuedConnection)
        self._worker_resync.connect(self._on_resync, Qt.ConnectionType.QueuedConnection)
        self._worker_state.connect(self._on_state, Qt.ConnectionType.QueuedConnection)
        mailboxes.mailbox_opened.connect(self._schedule)
        mailboxes.mailbox_removed.connect(self._schedule)

    # -- public --------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Watch the open mailboxes (and those opened later) until :meth:`stop`. Restarts when running."""
        if self._closed:
            return
        self.stop()
        self._running = True
        self._schedule()

    def stop(self) -> None:
        """Close every streaming connection and wait for its thread (sign-out, quit). Idempotent."""
        self._running = False
        self._regroup.stop()
        workers, self._workers = self._workers + self._retiring, []
        self._retiring = []
        for worker in workers:
            worker.stop()
        for worker in workers:
            if not worker.join(JOIN_TIMEOUT_S):
                log.warning("The streaming thread of %s did not end in time", worker.anchor)
        for handle in self._counts.values():
            handle.cancel()
        self._counts.clear()
        self._counts_again.clear()
        self._states.clear()
        self._refused.clear()
        self._mail.set_streamed(set())

    def shutdown(self) -> None:
        """Stop for good (before the task runner shuts down)."""
        self.stop()
        self._closed = True

    def set_connection_timeout(self, minutes: int) -> None:
        """GetStreamingEvents' ConnectionTimeout (1-30) for the connections started from now on."""
        self._timeout_min = max(1, min(30, minutes))

    def state(self, mailbox: str) -> str:
        """``live``, ``reconnecting``, ``polling``, or "" (not watched)."""
        return self._states.get(mailbox.casefold(), "")

    def threads_alive(self) -> int:
        """Streaming threads running (for tests and diagnostics)."""
        return sum(1 for w in self._workers + self._retiring if w.is_alive())

    def groups(self) -> list[list[str]]:
        """The mailboxes of each streaming connection, the anchor first."""
        return [list(w.mailboxes) for w in self._workers]

    # -- grouping ------------------------------------------------------------------------------------------
    def _schedule(self, *_args: object) -> None:
        if self._running and not self._closed:
            self._regroup.start()

    def _wanted(self) -> list[Member]:
        members = []
        for ref in self._mailboxes.mailboxes():
            if ref.address.casefold() in self._refused:
                continue
            tree = self._mailboxes.tree(ref.address)
            folders = tuple(n.ref for n in tree.folders if n.kind is FolderKind.MAIL and n.rights.read) \
                if tree is not None else ()
            if folders:
                members.append(Member(ref.address.casefold(), folders))
        return members

    def _apply_groups(self) -> None:
        if not self._running:
            return
        from app.ews.streaming import group_mailboxes  # lazy: exchangelib is slow to import

        wanted = {m.mailbox: m for m in self._wanted()}
        groups = [[wanted[a] for a in group] for group in group_mailboxes(wanted)]
        current = {tuple(w.members): w for w in self._workers}
        keep = [current.pop(tuple(g)) for g in groups if tuple(g) in current]
        for worker in current.values():  # membership changed: that connection goes (joined at stop: a
            worker.stop()                  # Subscribe in flight cannot be cut, and the GUI thread never waits)
            self._retiring.append(worker)
        self._retiring = [w for w in self._retiring if w.is_alive()]
        self._workers = keep
        client = self._client()
        for group in groups:
            if any(w.members == group for w in keep):
                continue
            worker = GroupWorker(client, group, self, connection_timeout_min=self._timeout_min,
                                 first_retry_s=self._first_retry)
            self._workers.append(worker)
            worker.start()
        self._states = {k: v for k, v in self._states.items() if k in wanted or k in self._refused}

    # -- the workers' reports (live_worker.Sink; on their threads) ----------------------------------------
    def report_news(self, worker: GroupWorker, mailbox: str, folder_ids: frozenset[str]) -> None:
        with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
            self._worker_news.emit(worker, mailbox, folder_ids)

    def report_resync(self, worker: GroupWorker, mailboxes: list[str]) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_resync.emit(worker, mailboxes)

    def report_state(self, worker: GroupWorker, state: str, detail: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_state.emit(worker, state, detail)

    # -- on the GUI thread ---------------------------------------------------------------------------------
    def _current(self, worker: GroupWorker) -> bool:
        return self._running and any(w is worker for w in self._workers)

    def _on_news(self, worker: GroupWorker, mailbox: str, folder_ids: frozenset[str]) -> None:
        if not self._current(worker):
            return
        watched = self._mail.watched_folder
        in_watched = watched is not None and watched.mailbox.casefold() == mailbox and \
            (not watched.folder_id or watched.folder_id in folder_ids)
        if in_watched:
            self._mail.poll_now()  # its result brings the watched folder's counts (and the tree) along
        if not in_watched or len(folder_ids) > 1:
            self._refresh_counts(mailbox)
        self.news.emit(mailbox, folder_ids)

    def _on_resync(self, worker: GroupWorker, mailboxes: list[str]) -> None:
        if not self._current(worker):
            return
        watched = self._mail.watched_folder
        for mailbox in mailboxes:
            log.debug("Synchronising %s: its subscription is new, or its notifications had a gap", mailbox)
            if watched is not None and watched.mailbox.casefold() == mailbox:
                self._mail.poll_now()
            self._refresh_counts(mailbox)

    def _on_state(self, worker: GroupWorker, state: str, detail: str) -> None:
        if not self._current(worker):
            return
        if state == "refused":
            self._refused.update(worker.mailboxes)
            self._workers = [w for w in self._workers if w is not worker]
            self._retiring.append(worker)  # its thread is ending by itself
            state = "polling"
        for mailbox in worker.mailboxes:
            self._states[mailbox] = state
            self.state_changed.emit(mailbox, state, detail)
        streamed = {m for w in self._workers for m in w.mailboxes}
        self._mail.set_streamed(streamed)

    def _refresh_counts(self, mailbox: str) -> None:
        """List the mailbox's folders again (its queue) and hand the tree to the mailbox service (counts)."""
        if mailbox in self._counts:
            self._counts_again.add(mailbox)  # that listing may have been read before this change
            return
        client = self._client()
        ref = self._mailboxes.mailbox_ref(mailbox)
        handle: TaskHandle[Any] | None = None

        def work() -> Any:
            from app.ews import folders

            return folders.list_folders(client, ref if ref.display_name != ref.address else ref.address)

        def done() -> None:
            if self._counts.get(mailbox) is handle:
                del self._counts[mailbox]
            if mailbox in self._counts_again:
                self._counts_again.discard(mailbox)
                if self._running:
                    self._refresh_counts(mailbox)

        def on_result(tree: Any) -> None:
            done()
            if self._running:
                self._mailboxes.apply_tree(tree)

        def on_error(error: BaseException) -> None:
            done()
            if not isinstance(error, Cancelled | MailroomError):
                log.error("Refreshing the counts of %s failed", mailbox, exc_info=error)

        handle = self._runner.run(work, key=mailbox, on_result=on_result, on_error=on_error,
                                  description=f"Counting the messages of {mailbox}")
        self._counts[mailbox] = handle
