"""Labels of the open mailboxes: the master lists (read, changed), per-label message counts, bulk relabelling.

Reading and changing a master list and relabelling run on the mailbox's task queue, in order with the user's
other actions there. Counting does not: it runs on :data:`COUNT_QUEUE`, one low-priority queue for every
mailbox (so it takes at most one worker thread and never holds a mailbox's queue, which the message list
needs), and it is cheap — one tiny FindItem per (label, folder), see :func:`app.ews.labels.count_labels`. A
newer count of a mailbox supersedes (cancels) the one in flight; counts younger than :data:`FRESH_SECONDS` are
reused unless the caller forces a recount. Relabelling and changes of the master list recount by themselves.

After a change to a master list the :class:`LookupService`'s cache of that mailbox is refreshed too, so the
message list and the reading pane recolour their chips.

Signals carry the mailbox address first; views filter on it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from app.domain.categories import Category, MasterList
from app.domain.errors import AccessDenied, Cancelled, user_message
from app.domain.folders import FolderNode, FolderRef
from app.domain.labels import LabelEdit, LabelError, check_name
from app.services.admin_jobs import AdminJob
from app.tasks import TaskHandle, TaskRunner, TaskState, current_task

if TYPE_CHECKING:
    from app.ews.client import EwsClient
    from app.services.lookups import LookupService

COUNT_QUEUE = "#label-counts"  # the task queue of every label count: never a mailbox's own queue
FRESH_SECONDS = 60.0  # counts younger than this are reused when a mailbox is opened again
MAX_COUNTED_FOLDERS = 12  # more mail folders than this: count the Inbox, its subfolders and Sent Items only


@dataclass(frozen=True)
class CountScope:
    """The folders a label count covers and, in words, what that means for the user."""

    folders: tuple[FolderRef, ...]
    description: str


def count_scope(folders: Sequence[FolderRef], nodes: Sequence[FolderNode] = (),
                limit: int = MAX_COUNTED_FOLDERS) -> CountScope:
    """Which of a mailbox's readable mail ``folders`` label counts cover.

    All of them when they are at most ``limit``; else the Inbox, its subfolders (found through ``nodes``, the
    mailbox's folder tree) and Sent Items, where a team's labelled mail lives: the cost of a count is labels x
    folders requests.
    """
    folders = list(folders)
    n = len(folders)
    if n <= limit:
        return CountScope(tuple(folders), f"Counts cover all {n} mail folder{'s' if n != 1 else ''} you can read.")
    inbox = next((f for f in folders if f.well_known == "inbox"), None)
    parents = {node.ref.folder_id: node.parent_id for node in nodes if node.ref.folder_id}

    def under_inbox(ref: FolderRef) -> bool:
        seen: set[str] = set()
        parent = parents.get(ref.folder_id, "")
        while parent and parent not in seen:
            if inbox is not None and parent == inbox.folder_id:
                return True
            seen.add(parent)
            parent = parents.get(parent, "")
        return False

    subfolders = [f for f in folders if f is not inbox and f.folder_id and inbox is not None and under_inbox(f)]
    chosen = {f.key for f in subfolders}
    chosen |= {f.key for f in folders if f is inbox or f.well_known == "sentitems"}
    picked = tuple(f for f in folders if f.key in chosen)
    if not picked:
        picked = tuple(folders[:limit])
        return CountScope(picked, f"Counts cover {len(picked)} of the {n} mail folders you can read.")
    k = len(subfolders)
    return CountScope(picked, f"Counts cover the Inbox, its {k} subfolder{'s' if k != 1 else ''} and Sent Items "
                              f"({len(picked)} of the {n} mail folders you can read); messages elsewhere are not "
                              "counted.")


class LabelService(QObject):
    """Master label lists and labels on messages.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient``.
        lookups: Its category cache is refreshed after a change (optional).
        parent: Qt parent.
        folder_nodes: Returns a mailbox's folder tree (to find the Inbox's subfolders, :func:`count_scope`).

    Signals:
        labels_loaded(str, list): mailbox, its master list (list of Category) — after a read or a change (empty
            for a list that could not be read: :meth:`master_list` says so and why).
        counts_loaded(str, object): mailbox, a ``LabelCounts`` (messages per label and folder; its ``scope`` says
            what the counts cover).
        edit_failed(str, str): mailbox, why a change of the master list failed.
        job_started(AdminJob): a relabelling started (for the status bar's progress).
        status(str): a passing message.
    """

    labels_loaded = Signal(str, list)
    counts_loaded = Signal(str, object)
    edit_failed = Signal(str, str)
    job_started = Signal(object)
    status = Signal(str)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 lookups: LookupService | None = None, parent: QObject | None = None,
                 folder_nodes: Callable[[str], Sequence[FolderNode]] | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._lookups = lookups
        self.folder_nodes = folder_nodes
        self._labels: dict[str, list[Category]] = {}
        self._masters: dict[str, MasterList] = {}
        self._counts: dict[str, Any] = {}
        self._counting: dict[str, TaskHandle[Any]] = {}
        self._count_folders: dict[str, list[FolderRef]] = {}
        self._stale: set[str] = set()
        self._changes: dict[str, int] = {}  # master-list changes per mailbox: a count's older read is not shown
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)

    # -- queries -------------------------------------------------------------------------------------------
    def labels(self, mailbox: str) -> list[Category] | None:
        """The master list last read for a mailbox, or None."""
        return self._labels.get(mailbox.casefold())

    def master_list(self, mailbox: str) -> MasterList | None:
        """What the last read of a mailbox's master list found (whether it could be read), or None."""
        return self._masters.get(mailbox.casefold())

    def counts(self, mailbox: str) -> Any:
        """The ``LabelCounts`` last counted for a mailbox, or None."""
        return self._counts.get(mailbox.casefold())

    def counting(self, mailbox: str) -> TaskHandle[Any] | None:
        """The count of a mailbox that is queued or running (not superseded), or None."""
        handle = self._counting.get(mailbox.casefold())
        if handle is None or handle.is_cancelled() or handle.state not in (TaskState.PENDING, TaskState.RUNNING):
            return None
        return handle

    def scope(self, mailbox: str, folders: Sequence[FolderRef]) -> CountScope:
        """What a count of ``folders`` (the mailbox's readable mail folders) covers."""
        nodes = self.folder_nodes(mailbox) if self.folder_nodes is not None else ()
        return count_scope(folders, nodes or ())

    def is_fresh(self, mailbox: str, folders: Sequence[FolderRef], names: Iterable[str] = ()) -> bool:
        """Whether the last counts of a mailbox are recent and cover these folders and labels."""
        key = mailbox.casefold()
        counts = self._counts.get(key)
        if counts is None or key in self._stale or time.monotonic() - counts.counted_at > FRESH_SECONDS:
            return False
        wanted = {f.key for f in self.scope(mailbox, folders).folders}
        return wanted <= counts.folder_keys() and all(counts.covers(n) for n in self._names(key, names))

    # -- reading -------------------------------------------------------------------------------------------
    def load(self, mailbox: str, on_error: Callable[[str], Any] | None = None, *, background: bool = False) -> None:
        """Read a mailbox's master list; :attr:`labels_loaded` follows (``on_error`` gets the reason).

        A list the user may not read is no failure: :meth:`master_list` then says so (``readable`` False).

        ``background``: outside the mailbox's queue (one small read that nothing there waits for; a list changed
        meanwhile by the user is not overwritten with the older read).
        """
        client = self._client()
        key = mailbox.casefold()
        changes = self._changes.get(key, 0)

        def work() -> MasterList:
            from app.ews import categories

            return categories.master_list(client, mailbox, on_wait=self._status_from_worker)

        def done(found: MasterList) -> None:
            if self._changes.get(key, 0) == changes:
                self._loaded(mailbox, list(found.categories), master=found)

        self._runner.run(work, key=None if background else mailbox, on_result=done,
                         on_error=self._quiet(f"read the labels of {mailbox}", on_error),
                         description=f"Reading the labels of {mailbox}")

    def count(self, mailbox: str, folders: Sequence[FolderRef], on_error: Callable[[str], Any] | None = None, *,
              force: bool = False, names: Iterable[str] = ()) -> TaskHandle[Any] | None:
        """Count the messages per label of a mailbox; :attr:`counts_loaded` follows.

        Runs on :data:`COUNT_QUEUE`, not the mailbox's queue: it first reads the master list (one
        GetUserConfiguration; :attr:`labels_loaded` follows), then asks one FindItem per (label, folder).

        Args:
            folders: The mailbox's readable mail folders; :meth:`scope` picks those counted.
            force: Count again although the counts are fresh, superseding a count in flight (after a change).
            names: Labels to count besides the master list's and those counted before (say, seen on messages).

        Returns:
            The count in flight (a new one, or the one already running when not forced), or None when the
            counts are fresh.
        """
        key = mailbox.casefold()
        folders = list(folders)
        if not folders:
            return None
        self._count_folders[key] = folders
        running = self.counting(mailbox)
        if running is not None:
            if not force:
                return running  # its outcome is on its way
            running.cancel()  # superseded: it stops before its next request, its outcome is dropped
        elif not force and self.is_fresh(mailbox, folders, names):
            return None
        client = self._client()
        scope = self.scope(mailbox, folders)
        extra = self._names(key, names)
        changes = self._changes.get(key, 0)

        def work() -> tuple[list[Category] | None, Any]:
            from app.ews import labels

            task = current_task()
            cancelled = task.is_cancelled if task is not None else None
            try:
                master: list[Category] | None = labels.read_list(
                    client, mailbox, on_wait=self._status_from_worker).categories()
            except (AccessDenied, LabelError):
                master = None  # count the labels known otherwise (seen on messages, counted before)
            in_use: list[str] = []
            if master is None:  # which labels are in use is then only known from the messages themselves
                # A folder refused: count what is known (the count says which folders it covers).
                with contextlib.suppress(AccessDenied):
                    in_use = labels.labels_in_use(client, mailbox, scope.folders, on_wait=self._status_from_worker,
                                                  cancelled=cancelled)
            wanted = [c.name for c in master or []] + extra + in_use
            counts = labels.count_labels(client, mailbox, scope.folders, wanted, on_wait=self._status_from_worker,
                                         cancelled=cancelled)
            counts.scope = scope.description
            return master, counts

        def done(result: tuple[list[Category] | None, Any]) -> None:
            self._forget_count(key, handle)
            master, counts = result
            self._counts[key] = counts
            self._stale.discard(key)
            if master is not None and self._changes.get(key, 0) == changes:
                self._loaded(mailbox, master)
            self.counts_loaded.emit(mailbox, counts)

        quiet = self._quiet(f"count the labelled messages of {mailbox}", on_error)

        def failed(error: BaseException) -> None:
            self._forget_count(key, handle)
            quiet(error)

        handle = self._runner.run(work, key=COUNT_QUEUE, on_result=done, on_error=failed,
                                  description=f"Counting labelled messages in {mailbox}")
        self._counting[key] = handle
        return handle

    def invalidate(self, mailbox: str) -> None:
        """Forget that a mailbox's counts are fresh (the next :meth:`count` counts again)."""
        self._stale.add(mailbox.casefold())

    # -- changing ------------------------------------------------------------------------------------------
    def edit(self, mailbox: str, edit: LabelEdit, on_done: Callable[[list[Category]], Any] | None = None,
             on_error: Callable[[str], Any] | None = None) -> None:
        """Change the master list (add, rename, recolour, delete); :attr:`labels_loaded` follows.

        Failures go to ``on_error`` and :attr:`edit_failed` ("You may not change the labels of sales@…").
        """
        try:
            _check_locally(edit, self.labels(mailbox))
        except LabelError as error:
            self._failed(mailbox, str(error), on_error)
            return
        client = self._client()

        def work() -> list[Category]:
            from app.ews import labels

            return labels.edit_list(client, mailbox, [edit], on_wait=self._status_from_worker)

        def done(found: list[Category]) -> None:
            self._changes[mailbox.casefold()] = self._changes.get(mailbox.casefold(), 0) + 1
            self._loaded(mailbox, found, changed=True)
            self.status.emit(f"{edit.describe()} in {mailbox}.")
            self._recount_after_change(mailbox)
            if on_done is not None:
                on_done(found)

        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                self._failed(mailbox, user_message(error), on_error)

        self._runner.run(work, key=mailbox, on_result=done, on_error=failed,
                         description=f"Changing the labels of {mailbox}")

    def relabel(self, mailbox: str, folders: Sequence[FolderRef], old: str, new: str | None) -> AdminJob:
        """Rename (``new``) or remove (``new`` None) a label on every message carrying it, in the background."""
        what = f"Renaming “{old}” to “{new}”" if new is not None else f"Removing “{old}”"
        job = AdminJob(f"{what} on the messages of {mailbox}")
        client = self._client()
        folders = list(folders)

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> int:
            from app.ews import labels

            return labels.relabel(client, mailbox, folders, old, new, progress, cancelled,
                                  on_wait=self._status_from_worker)

        job.finished.connect(lambda n: self.status.emit(f"{what}: {n} message{'s' if n != 1 else ''} updated."))
        # Messages changed (also when stopped or failed part-way): count again, before anyone else asks.
        job.finished.connect(lambda *_: self._recount_after_change(mailbox, folders))
        job.cancelled.connect(lambda *_: self._recount_after_change(mailbox, folders))
        job.failed.connect(lambda *_: self._recount_after_change(mailbox, folders))
        job.start(self._runner, mailbox, work)
        self.job_started.emit(job)
        return job

    # -- internals -----------------------------------------------------------------------------------------
    def _names(self, key: str, names: Iterable[str]) -> list[str]:
        """Labels to count besides the master list's: those the caller saw, the master list known on this
        thread, and those found on messages last time (labels not in the master list included)."""
        known = list(self._labels.get(key) or (self._lookups.categories(key) if self._lookups is not None else None)
                     or [])
        counts = self._counts.get(key)
        out = [*names, *(c.name for c in known), *(counts.names() if counts is not None else [])]
        seen: dict[str, str] = {}
        for name in out:
            if name.strip():
                seen.setdefault(name.strip().casefold(), name.strip())
        return list(seen.values())

    def _recount_after_change(self, mailbox: str, folders: Sequence[FolderRef] | None = None) -> None:
        key = mailbox.casefold()
        self.invalidate(mailbox)
        folders = list(folders or []) or self._count_folders.get(key)
        if folders:
            self.count(mailbox, folders, force=True)

    def _forget_count(self, key: str, handle: TaskHandle[Any]) -> None:
        if self._counting.get(key) is handle:
            del self._counting[key]

    def _loaded(self, mailbox: str, found: list[Category], changed: bool = False,
                master: MasterList | None = None) -> None:
        self._labels[mailbox.casefold()] = list(found)
        self._masters[mailbox.casefold()] = master if master is not None else MasterList(tuple(found))
        if changed and self._lookups is not None:
            self._lookups.forget_categories(mailbox)
            self._lookups.load_categories(mailbox)
        self.labels_loaded.emit(mailbox, list(found))

    def _failed(self, mailbox: str, reason: str, on_error: Callable[[str], Any] | None) -> None:
        if on_error is not None:
            on_error(reason)
        self.edit_failed.emit(mailbox, reason)

    def _quiet(self, what: str, on_error: Callable[[str], Any] | None) -> Callable[[BaseException], None]:
        def handle(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                return
            text = f"Could not {what}: {user_message(error)}"
            if on_error is not None:
                on_error(text)
            else:
                self.status.emit(text)

        return handle

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_status.emit(text)


def _check_locally(edit: LabelEdit, known: list[Category] | None) -> None:
    """Refuse at once what the server's list would refuse too (the list is checked again before writing)."""
    if known is None:
        return
    names = [c.name for c in known]
    if edit.kind == "add":
        check_name(edit.name, names)
    elif edit.kind == "rename":
        check_name(edit.new_name, names, allow=edit.name)
