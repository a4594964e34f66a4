"""Mail in a folder: pages of the list, the reading pane, actions on messages, bulk jobs and new mail.

Every call runs on the mailbox's task queue (key = the mailbox address), so a user's actions on one mailbox
reach the server in the order they were made. Calls are wrapped in ``EwsClient.retrying``: while Exchange
throttles (ErrorServerBusy) the wait is announced on :attr:`MailService.status`.

Actions are optimistic: the attached message list (:meth:`MailService.attach_list`, normally the
:class:`~app.models.message_list_model.MessageListModel`) changes at once, and is put back when the server
refuses, with the reason on :attr:`MailService.error` — the single bridge of mail errors to the user.

Every action returns a :class:`~app.services.mail_jobs.BulkJob` (defined in :mod:`app.services.mail_jobs`,
importable from here too). Jobs on more than :data:`BULK_THRESHOLD` messages are announced on
:attr:`MailService.bulk_started` so the window can show a progress bar with Cancel.

New mail: while a folder is watched (:meth:`MailService.watch_folder`), SyncFolderItems runs for it whenever
the server says it changed (streaming notifications, :mod:`app.services.live`, call :meth:`MailService.poll_now`)
or, for a mailbox whose server offers no streaming, every :attr:`MailService.poll_interval_ms`; the changes go to
the attached list, with :attr:`MailService.folder_changed` and the folder's new counts. The first sync of a folder (the starting point)
waits until the folder's first list page has arrived and been painted, so that it never competes with them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain.errors import Cancelled, MailroomError, user_message
from app.domain.folders import FolderRef
from app.domain.messages import ListQuery, MessageDetail, Page
from app.services.mail_jobs import BULK_THRESHOLD, BulkJob, ListTarget
from app.services.mailboxes import MailboxService
from app.tasks import TaskHandle, TaskRunner, TaskState, current_task

if TYPE_CHECKING:
    from app.ews.client import EwsClient

log = logging.getLogger(__name__)

CHUNK = 50
"""At most this many messages per request when the service splits an action (read state, flag) for progress;
a bulk job is cut in about ten steps (at least 10 messages each)."""
DEFAULT_POLL_MS = 15_000
BASELINE_DELAY_MS = 200
CATCH_UP_ROWS = 100
"""Rows read again when news arrived before a folder's sync starting point was taken (the first page's size)."""
"""The first sync of a folder starts this long after its first list page arrived (once that page is painted)."""


class MailService(QObject):
    """Loads and changes mail, one task queue per mailbox.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient`` (called on the GUI thread).
        mailboxes: When given, it learns the new folder counts found after new mail (its ``counts_updated``
            feeds the sidebar) and lends mailbox display names.
        poll_interval_ms: How often the watched folder is checked for new mail.
        parent: Qt parent.

    Signals:
        status(str): a passing message (throttling waits, "Moved 30 messages").
        error(str): something failed; user-facing text. The one place mail errors reach the user.
        folder_changed(FolderRef, list): SyncFolderItems changes of the watched folder (already applied to the
            attached list).
        counts_changed(FolderRef, int, int): a folder's total and unread counts, from the server (polling).
        counts_adjusted(FolderRef, int, int): an optimistic change moved a folder's (total, unread) counts by
            these deltas (negative on rollback; for the target folder of a move once it is done).
        bulk_started(BulkJob): a job on more than BULK_THRESHOLD messages started (show its progress).
    """

    status = Signal(str)
    error = Signal(str)
    folder_changed = Signal(object, object)
    counts_changed = Signal(object, int, int)
    counts_adjusted = Signal(object, int, int)
    bulk_started = Signal(object)
    # Internal: from worker threads, delivered queued on the GUI thread.
    _worker_status = Signal(str)
    _worker_progress = Signal(int, int, int)  # job id, done, total

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 mailboxes: MailboxService | None = None, poll_interval_ms: int = DEFAULT_POLL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._mailboxes = mailboxes
        self._list: ListTarget | None = None
        self._jobs: dict[int, BulkJob] = {}
        self._job_of_task: dict[int, BulkJob] = {}
        self._watched: FolderRef | None = None
        self._sync_state: dict[tuple[str, str], str | None] = {}
        self._sync_handle: TaskHandle[Any] | None = None
        self._first_pages: dict[tuple[str, str], TaskHandle[Any]] = {}  # first list page in flight, per folder
        # The watched folder's starting-point sync is due but waits: for this first page, or (True) a short delay.
        self._baseline_after: TaskHandle[Any] | bool | None = None
        self._closed = False
        self._sync_again = False  # poll_now was asked while a sync ran: run once more after it
        # News of the watched folder arrived before its starting point was taken: the starting-point sync folds
        # that change in and drops it, so the first page is read again after it (see _catch_up).
        self._gap_news = False
        self._sync_from_scratch = False
        self._streamed: set[str] = set()  # mailboxes whose changes arrive by streaming notifications: no timer
        self._timer = QTimer(self)
        self._timer.setInterval(poll_interval_ms)
        self._timer.timeout.connect(self.poll_now)
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)
        self._worker_progress.connect(self._on_worker_progress, Qt.ConnectionType.QueuedConnection)
        runner.task_finished.connect(self._on_task_finished)

    # -- configuration -------------------------------------------------------------------------------------
    def attach_list(self, target: ListTarget | None) -> None:
        """The message list that shows optimistic changes and new mail (None: none)."""
        self._list = target

    @property
    def poll_interval_ms(self) -> int:
        """Milliseconds between two checks for new mail."""
        return self._timer.interval()

    def set_poll_interval(self, ms: int) -> None:
        """Check for new mail every ``ms`` milliseconds."""
        self._timer.setInterval(ms)

    # -- reading -------------------------------------------------------------------------------------------
    def load_page(self, folder: FolderRef, query: ListQuery, offset: int, limit: int,
                  on_page: Callable[[Page], Any],
                  on_error: Callable[[str], Any] | None = None) -> TaskHandle[Page]:
        """One FindItem page of a folder (the message list's page source).

        Args:
            folder: The folder.
            query: Sort order and search.
            offset: First row.
            limit: Rows wanted.
            on_page: Gets the :class:`~app.domain.messages.Page` on the GUI thread.
            on_error: Gets the user-facing text when it fails (also emitted on :attr:`error`).
        """
        client = self._client()

        def work() -> Page:
            from app.ews import messages

            return messages.find_page(client, folder, query, offset, limit, on_wait=self._status_from_worker)

        handle = self._runner.run(work, key=folder.mailbox, on_result=on_page,
                                  on_error=self._error_handler("load the messages", on_error),
                                  description=f"Listing {folder.mailbox} from row {offset}")
        if offset == 0:
            self._first_pages[folder.key] = handle
        return handle

    def load_detail(self, folder: FolderRef, item_id: str, on_detail: Callable[[MessageDetail], Any],
                    on_error: Callable[[str], Any] | None = None) -> TaskHandle[MessageDetail]:
        """Everything the reading pane shows of one message."""
        client = self._client()

        def work() -> MessageDetail:
            from app.ews import messages

            return messages.get_detail(client, folder, item_id, on_wait=self._status_from_worker)

        return self._runner.run(work, key=folder.mailbox, on_result=on_detail,
                                on_error=self._error_handler("open the message", on_error),
                                description=f"Reading a message in {folder.mailbox}")

    # -- actions -------------------------------------------------------------------------------------------
    def mark_read(self, folder: FolderRef, ids: Sequence[str], read: bool) -> BulkJob:
        """Mark messages read or unread."""
        ids = list(ids)
        what = "read" if read else "unread"
        token, target = self._local(folder, lambda t: t.set_read_local(ids, read))

        def call(client: EwsClient, chunk: list[str]) -> None:
            from app.ews import messages

            messages.set_read(client, folder.mailbox, chunk, read, on_wait=self._status_from_worker)

        return self._start_chunked(folder, ids, call, f"Marking {_n(len(ids))} as {what}",
                                   f"mark {_the(len(ids))} as {what}", token, target)

    def set_flag(self, folder: FolderRef, ids: Sequence[str], flagged: bool) -> BulkJob:
        """Flag or unflag messages for follow-up."""
        ids = list(ids)
        token, target = self._local(folder, lambda t: t.set_flag_local(ids, flagged))
        verb = "flag" if flagged else "unflag"

        def call(client: EwsClient, chunk: list[str]) -> None:
            from app.ews import messages

            messages.set_flag(client, folder.mailbox, chunk, flagged, on_wait=self._status_from_worker)

        return self._start_chunked(folder, ids, call, f"{verb.title()}ging {_n(len(ids))}",
                                   f"{verb} {_the(len(ids))}", token, target)

    def set_categories(self, folder: FolderRef, ids: Sequence[str], categories: Sequence[str]) -> BulkJob:
        """Give messages exactly these categories."""
        ids, cats = list(ids), list(categories)
        token, target = self._local(folder, lambda t: t.set_categories_local(ids, cats))

        def call(client: EwsClient, chunk: list[str]) -> None:
            from app.ews import messages

            for item_id in chunk:
                messages.set_categories(client, folder.mailbox, item_id, cats, on_wait=self._status_from_worker)

        return self._start_chunked(folder, ids, call, f"Categorising {_n(len(ids))}",
                                   f"categorise {_the(len(ids))}", token, target, chunk_size=1)

    def delete(self, folder: FolderRef, ids: Sequence[str], permanent: bool = False) -> BulkJob:
        """Delete messages: to the mailbox's own Deleted Items, or permanently."""
        ids = list(ids)
        token, target = self._local(folder, lambda t: t.remove_local(ids))
        where = "permanently" if permanent else f"to the Deleted Items of {folder.mailbox}"

        def work(client: EwsClient, progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            from app.ews import messages

            return int(messages.delete(client, folder.mailbox, ids, permanent, progress, cancelled,
                                       on_wait=self._status_from_worker))

        return self._start(folder, ids, work, f"Deleting {_n(len(ids))} {where}", f"delete {_the(len(ids))}",
                           token, target)

    def move(self, folder: FolderRef, ids: Sequence[str], target_folder: FolderRef,
             copy: bool = False) -> BulkJob:
        """Move (or copy) messages to another folder, in this mailbox or another."""
        ids = list(ids)
        token, target = (None, None) if copy else self._local(folder, lambda t: t.remove_local(ids))
        verb = "copy" if copy else "move"

        def work(client: EwsClient, progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            from app.ews import messages

            return int(messages.move(client, folder, ids, target_folder, copy, progress, cancelled,
                                     on_wait=self._status_from_worker))

        description = f"{'Copying' if copy else 'Moving'} {_n(len(ids))} to {self._place(target_folder)}"
        return self._start(folder, ids, work, description, f"{verb} {_the(len(ids))}", token, target,
                           target_folder=target_folder)

    # -- new mail ------------------------------------------------------------------------------------------
    def watch_folder(self, folder: FolderRef | None) -> None:
        """Check this folder for new mail periodically (None: stop). Call it when the list opens a folder.

        It first takes a starting point (a sync whose changes are dropped: the list was just loaded). Only for a
        folder never synced before is that a full SyncFolderItems pass by id (one round trip per 512 items); it
        runs on a queue of its own (and, the pool having several connections, on a connection of its own) so that
        it never holds up the list's pages, and it starts once the folder's first page has arrived (when one is
        in flight), so that it does not compete with the first paint either.
        """
        if folder == self._watched:
            return
        self._watched = folder
        self._baseline_after = None
        if self._sync_handle is not None:
            self._sync_handle.cancel()
            self._sync_handle = None
        self._sync_again = False
        self._gap_news = False
        self._timer.stop()
        if folder is None or self._closed:
            return
        self._update_timer()
        first_page = self._first_pages.get(folder.key)
        if first_page is not None and not first_page.is_cancelled() \
                and first_page.state in (TaskState.PENDING, TaskState.RUNNING):
            self._baseline_after = first_page  # started by _on_task_finished
            return
        self.poll_now(baseline=True)

    @property
    def watched_folder(self) -> FolderRef | None:
        """The folder polled for new mail, or None."""
        return self._watched

    def is_polling(self) -> bool:
        """True while the new-mail timer runs."""
        return self._timer.isActive()

    def set_streamed(self, mailboxes: set[str]) -> None:
        """The mailboxes whose changes arrive by streaming notifications (their folders are not polled)."""
        self._streamed = {m.casefold() for m in mailboxes}
        self._update_timer()

    def _update_timer(self) -> None:
        folder = self._watched
        poll = folder is not None and not self._closed and folder.mailbox.casefold() not in self._streamed
        if poll and not self._timer.isActive():
            self._timer.start()
        elif not poll:
            self._timer.stop()

    def has_running_jobs(self) -> bool:
        """True while an action on messages (a :class:`BulkJob` of any size) has not finished."""
        return bool(self._jobs)

    def is_syncing(self) -> bool:
        """True while a SyncFolderItems for the watched folder is in flight or its starting point is due."""
        return self._sync_handle is not None or self._baseline_after is not None

    def poll_now(self, baseline: bool = False) -> TaskHandle[Any] | None:
        """Run SyncFolderItems for the watched folder now (skipped while one is in flight).

        Args:
            baseline: Only move the sync state to now, dropping the changes (after the list was reloaded).
        """
        folder = self._watched
        if folder is None or self._closed:
            return None
        if self._sync_handle is not None:
            # The running sync may have read the folder before this change: one more after it (coalesced).
            self._sync_again = self._sync_again or not baseline
            self._gap_news = self._gap_news or (not baseline and self._sync_from_scratch)
            return None
        self._sync_again = False
        self._baseline_after = None  # whatever runs now takes the starting point when there is none yet
        client = self._client()
        key = folder.key
        state = self._sync_state.get(key)
        from_scratch = not state  # a starting-point pass: it reports no changes, whatever happened since the list
        self._gap_news = self._gap_news or (from_scratch and not baseline)
        self._sync_from_scratch = from_scratch
        mailbox_ref = self._mailboxes.mailbox_ref(folder.mailbox) if self._mailboxes is not None else None
        # The first full pass can be long: its own queue. Later syncs keep their place among the user's actions.
        queue = folder.mailbox if state else f"{folder.mailbox}#sync"

        def work() -> tuple[list[Any], str, Any]:
            from app.ews import folders, messages

            task = current_task()
            changes, new_state = messages.sync_changes(
                client, folder, state, cancelled=task.is_cancelled if task is not None else None,
                on_wait=self._status_from_worker)
            tree = None
            if changes and not baseline:  # new counts for the sidebar: only when something changed
                try:
                    tree = folders.list_folders(client, mailbox_ref or folder.mailbox)
                except MailroomError as error:  # counts are a nicety: never hide the new mail for them
                    log.info("Could not refresh the counts of %s: %s", folder.mailbox, error)
            return list(changes), new_state, tree

        handle: TaskHandle[Any] | None = None

        def on_result(result: tuple[list[Any], str, Any]) -> None:
            if self._sync_handle is handle:
                self._sync_handle = None
            changes, new_state, tree = result
            self._sync_state[key] = new_state
            if self._sync_again and folder == self._watched:
                QTimer.singleShot(0, self, self.poll_now)
            if from_scratch and self._gap_news and folder == self._watched:
                self._gap_news = False
                self._catch_up(folder)
            if baseline or folder != self._watched:
                return
            if changes:
                if self._list is not None and self._list.folder == folder:
                    self._list.apply_changes(changes)
                self.folder_changed.emit(folder, changes)
            if tree is not None:
                node = next((n for n in tree.folders if n.ref.key == key), None)
                if node is not None:
                    self.counts_changed.emit(folder, node.total, node.unread)
                if self._mailboxes is not None:
                    self._mailboxes.apply_tree(tree)

        def on_error(error: BaseException) -> None:
            if self._sync_handle is handle:
                self._sync_handle = None
            if self._sync_again and folder == self._watched and not isinstance(error, Cancelled):
                QTimer.singleShot(0, self, self.poll_now)
            if not isinstance(error, Cancelled):
                # Polling trouble is passing (network): say so quietly and try again at the next tick.
                self.status.emit(f"Could not check for new mail: {user_message(error)}")

        handle = self._runner.run(work, key=queue, on_result=on_result, on_error=on_error,
                                  description=f"Checking {folder.mailbox} for new mail")
        self._sync_handle = handle
        return handle

    def _catch_up(self, folder: FolderRef) -> None:
        """Read the list's first page again and add what it lacks: mail that arrived before the starting point.

        The starting-point sync (no sync state yet) reports no changes, so a message delivered between the first
        page and that sync would never reach the list. When news of the folder came in that window, the first page
        is read once more, its new rows inserted where the sort puts them, and the folder's counts refreshed.
        """
        target = self._list
        if target is None or target.folder != folder or self._closed:
            return
        client = self._client()
        query = target.query
        mailbox_ref = self._mailboxes.mailbox_ref(folder.mailbox) if self._mailboxes is not None else None

        def work() -> tuple[Page, Any]:
            from app.ews import folders, messages

            page = messages.find_page(client, folder, query, 0, CATCH_UP_ROWS, on_wait=self._status_from_worker)
            try:
                tree = folders.list_folders(client, mailbox_ref or folder.mailbox)
            except MailroomError as error:  # counts are a nicety: never hide the new mail for them
                log.info("Could not refresh the counts of %s: %s", folder.mailbox, error)
                tree = None
            return page, tree

        def on_result(result: tuple[Page, Any]) -> None:
            page, tree = result
            if self._list is not None and self._list.folder == folder and self._list.query == query:
                self._list.insert_summaries(page.items)
            if tree is not None:
                node = next((n for n in tree.folders if n.ref.key == folder.key), None)
                if node is not None:
                    self.counts_changed.emit(folder, node.total, node.unread)
                if self._mailboxes is not None:
                    self._mailboxes.apply_tree(tree)

        self._runner.run(work, key=folder.mailbox, on_result=on_result,
                         on_error=lambda error: log.info("Could not read %s again: %s", folder.mailbox, error),
                         description=f"Reading the top of {folder.mailbox} again after new mail")

    def shutdown(self) -> None:
        """Stop the timer and cancel running work; call before the task runner shuts down. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._timer.stop()
        self._baseline_after = None
        self._first_pages.clear()
        if self._sync_handle is not None:
            self._sync_handle.cancel()
            self._sync_handle = None
        for job in list(self._jobs.values()):
            job.cancel()
        with contextlib.suppress(RuntimeError, TypeError):
            self._runner.task_finished.disconnect(self._on_task_finished)

    # -- internals -----------------------------------------------------------------------------------------
    def _place(self, ref: FolderRef) -> str:
        """"Customer Support › Done" when the mailbox service knows the folder, else the mailbox address."""
        tree = self._mailboxes.tree(ref.mailbox) if self._mailboxes is not None else None
        node = next((n for n in tree.folders if n.ref.key == ref.key), None) if tree is not None else None
        if node is None:
            return ref.mailbox
        return f"{tree.mailbox.display_name} › {node.name}"

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
            self._worker_status.emit(text)

    def _error_handler(self, what: str, on_error: Callable[[str], Any] | None) -> Callable[[BaseException], None]:
        def handle(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                return
            message = f"Could not {what}: {user_message(error)}"
            if not isinstance(error, MailroomError):
                log.error("%s", message, exc_info=error)
            if on_error is not None:
                on_error(message)
            self.error.emit(message)

        return handle

    def _local(self, folder: FolderRef, change: Callable[[ListTarget], Any]) -> tuple[Any, ListTarget | None]:
        """Apply an optimistic change to the attached list when it shows ``folder``."""
        target = self._list
        if target is None or target.folder is None or target.folder.key != folder.key:
            return None, None
        token = change(target)
        self._emit_delta(folder, token, None)
        return token, target

    def _start_chunked(self, folder: FolderRef, ids: list[str], call: Callable[[EwsClient, list[str]], None],
                       description: str, what: str, token: Any, target: ListTarget | None,
                       chunk_size: int = CHUNK) -> BulkJob:
        """An action the ews layer does in one call per list of ids: split it for progress and Cancel."""

        def work(client: EwsClient, progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            size = min(chunk_size, max(10, -(-len(ids) // 10))) if len(ids) > BULK_THRESHOLD else max(len(ids), 1)
            done = 0
            for start in range(0, len(ids), size):
                if cancelled():
                    raise Cancelled(f"{description} was cancelled.")
                chunk = ids[start:start + size]
                call(client, chunk)  # app.ews retries a busy server per call, so no chunk is done twice
                done += len(chunk)
                progress(done, len(ids))
            return done

        return self._start(folder, ids, work, description, what, token, target)

    def _start(self, folder: FolderRef, ids: list[str],
               work: Callable[[EwsClient, Callable[[int, int], None], Callable[[], bool]], int],
               description: str, what: str, token: Any, target: ListTarget | None,
               target_folder: FolderRef | None = None) -> BulkJob:
        job = BulkJob(description, len(ids))  # no Qt parent: it lives as long as the service or a view holds it
        job.setObjectName(description)
        job._ids = ids
        job._rollback = lambda only: self._rollback(folder, target, token, only)
        if self._closed:
            job._fail("Mailroom is closing.")
            return job
        client = self._client()
        job_id = job.job_id

        def run() -> int:
            task = current_task()
            cancelled = task.is_cancelled if task is not None else (lambda: False)

            def progress(done: int, total: int) -> None:
                with contextlib.suppress(RuntimeError):
                    self._worker_progress.emit(job_id, done, total)

            return work(client, progress, cancelled)

        def on_result(count: int) -> None:
            self._forget(job)
            if target_folder is not None and token is not None:
                total, unread = token.count_delta()
                self.counts_adjusted.emit(target_folder, -total, -unread)
            job._finish(count)
            if job.is_bulk:
                self.status.emit(f"{description}: done.")

        def on_error(error: BaseException) -> None:
            self._forget(job)
            if isinstance(error, Cancelled):
                self._after_cancel(job)
                return
            job._rollback(ids[job.done:])
            message = f"Could not {what}: {user_message(error)}"
            job._fail(message)
            self.error.emit(message)

        self._jobs[job_id] = job
        handle = self._runner.run(run, key=folder.mailbox, on_result=on_result, on_error=on_error,
                                  description=description)
        job._handle = handle
        self._job_of_task[handle.task_id] = job
        if job.is_bulk:
            self.bulk_started.emit(job)
        return job

    def _rollback(self, folder: FolderRef, target: ListTarget | None, token: Any, only: list[str]) -> None:
        """Put back in the list what the server did not do (``only``: the ids not done)."""
        if target is None or token is None or not only:
            return
        self._emit_delta(folder, token, only, sign=-1)
        target.undo(token, only)

    def _emit_delta(self, folder: FolderRef, token: Any, only: list[str] | None, sign: int = 1) -> None:
        delta = getattr(token, "count_delta", None)
        if delta is None:
            return
        total, unread = delta(only)
        if total or unread:
            self.counts_adjusted.emit(folder, sign * total, sign * unread)

    def _after_cancel(self, job: BulkJob) -> None:
        if not job.is_running:
            return
        job._rollback(job._ids[job.done:])
        job._cancel_done()
        self.status.emit(f"{job.description}: cancelled after {job.done} of {job.total}.")

    def _forget(self, job: BulkJob) -> None:
        self._jobs.pop(job.job_id, None)
        if job._handle is not None:
            self._job_of_task.pop(job._handle.task_id, None)

    def _take_baseline(self, folder: FolderRef | None) -> None:
        if self._baseline_after is True and folder == self._watched:  # else a poll or another folder came first
            self.poll_now(baseline=True)

    def _on_worker_progress(self, job_id: int, done: int, total: int) -> None:
        job = self._jobs.get(job_id)
        if job is not None:
            job._set_progress(done, total)

    def _on_task_finished(self, handle: TaskHandle[Any]) -> None:
        for key, first_page in list(self._first_pages.items()):
            if first_page is handle:
                del self._first_pages[key]
        if handle is self._baseline_after:  # the first page is in (or failed, or was dropped): take the start
            self._baseline_after = True
            folder = self._watched
            QTimer.singleShot(BASELINE_DELAY_MS, self, lambda: self._take_baseline(folder))
        # A cancelled task's outcome is dropped by the runner: finish its job here.
        job = self._job_of_task.get(handle.task_id)
        if job is not None and handle.state is TaskState.CANCELLED:
            self._forget(job)
            self._after_cancel(job)


def _n(count: int) -> str:
    return "1 message" if count == 1 else f"{count} messages"


def _the(count: int) -> str:
    return "the message" if count == 1 else f"the {count} messages"
