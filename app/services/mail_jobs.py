"""Bulk jobs of the mail service: :class:`BulkJob` (one action on one or many messages, with progress and
Cancel) and :class:`ListTarget`, what the service needs of a message list for optimistic updates.

Split out of :mod:`app.services.mail`, which drives the jobs (and re-exports these names).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from app.domain.folders import FolderRef
from app.domain.messages import ListQuery, MessageSummary
from app.tasks import TaskHandle

BULK_THRESHOLD = 20
"""Actions on more messages than this are bulk jobs: progress bar, Cancel."""
_job_ids = itertools.count(1)


class ListTarget(Protocol):
    """What the service needs of a message list for optimistic updates (MessageListModel fits)."""

    @property
    def folder(self) -> FolderRef | None: ...
    def set_read_local(self, ids: Iterable[str], read: bool) -> Any: ...
    def set_flag_local(self, ids: Iterable[str], flagged: bool) -> Any: ...
    def set_categories_local(self, ids: Iterable[str], categories: Sequence[str]) -> Any: ...
    def remove_local(self, ids: Iterable[str]) -> Any: ...
    def undo(self, token: Any, only: Iterable[str] | None = None) -> None: ...
    def apply_changes(self, changes: Iterable[Any]) -> None: ...
    @property
    def query(self) -> ListQuery: ...
    def insert_summaries(self, summaries: Sequence[MessageSummary]) -> int: ...


class BulkJob(QObject):
    """An action on one or many messages, running on the mailbox's queue.

    Args:
        description: "Moving 30 messages to Done", for the progress bar.
        total: Messages concerned.
        parent: Qt parent (the service).

    Signals:
        progress(int, int): done, total.
        finished(int): the server did it; how many messages were affected.
        failed(str): the server refused or failed (user-facing text); local changes were rolled back.
        cancelled(int): stopped by :meth:`cancel`; how many were done before it stopped.
    """

    progress = Signal(int, int)
    finished = Signal(int)
    failed = Signal(str)
    cancelled = Signal(int)

    def __init__(self, description: str, total: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job_id = next(_job_ids)
        self.description = description
        self.total = total
        self.done = 0
        self.result: int | None = None
        self.error = ""
        self._handle: TaskHandle[Any] | None = None
        self._over = False
        self._ids: list[str] = []
        self._rollback: Callable[[list[str]], None] = lambda only: None

    @property
    def is_bulk(self) -> bool:
        """True above :data:`BULK_THRESHOLD` messages (the window shows progress)."""
        return self.total > BULK_THRESHOLD

    @property
    def is_running(self) -> bool:
        """False once finished, failed or cancelled."""
        return not self._over

    def cancel(self) -> None:
        """Stop between two requests; what was done stays done, the rest is put back in the list."""
        if self._handle is not None and not self._over:
            self._handle.cancel()

    def _set_progress(self, done: int, total: int) -> None:
        if self._over:
            return
        self.done, self.total = done, total
        self.progress.emit(done, total)

    def _finish(self, count: int) -> None:
        self._over, self.result = True, count
        self.finished.emit(count)

    def _fail(self, message: str) -> None:
        self._over, self.error = True, message
        self.failed.emit(message)

    def _cancel_done(self) -> None:
        self._over = True
        self.cancelled.emit(self.done)
