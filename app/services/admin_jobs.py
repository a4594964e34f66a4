"""Background jobs of the label and rule services (relabel messages, run a rule now), with progress and Cancel.

An :class:`AdminJob` looks like :class:`app.services.mail.BulkJob` to the status bar's ``JobProgress``
(``description``, ``total``, ``done``, ``progress``, ``finished``, ``failed``, ``cancelled``, ``cancel()``), so the
window shows it the same way; dialogs may show it too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal

from app.domain.errors import Cancelled, MailroomError, user_message
from app.tasks import TaskHandle, TaskRunner, TaskState, current_task

log = logging.getLogger(__name__)
Work = Callable[[Callable[[int, int], None], Callable[[], bool]], Any]


class AdminJob(QObject):
    """One background job on a mailbox's queue.

    Signals:
        progress(int, int): done, total.
        finished(object): the work's result.
        failed(str): user-facing reason.
        cancelled(int): stopped by :meth:`cancel` after this many.
    """

    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal(int)
    _worker_progress = Signal(int, int)

    def __init__(self, description: str, total: int = 0, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.description = description
        self.total = total
        self.done = 0
        self.result: Any = None
        self.error = ""
        self._handle: TaskHandle[Any] | None = None
        self._runner: TaskRunner | None = None
        self._over = False
        self._worker_progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)

    @property
    def is_running(self) -> bool:
        return not self._over

    def cancel(self) -> None:
        """Stop between two requests (what was done stays done)."""
        if self._handle is not None and not self._over:
            self._handle.cancel()

    def start(self, runner: TaskRunner, key: str, work: Work) -> AdminJob:
        """Run ``work(progress, cancelled)`` on ``key``'s queue."""

        def run() -> Any:
            task = current_task()
            cancelled = task.is_cancelled if task is not None else (lambda: False)

            def progress(done: int, total: int) -> None:
                with contextlib.suppress(RuntimeError):  # the job is gone: the app is closing
                    self._worker_progress.emit(done, total)

            return work(progress, cancelled)

        self._runner = runner
        runner.task_finished.connect(self._on_task_finished)
        self._handle = runner.run(run, key=key, on_result=self._finish, on_error=self._error,
                                  description=self.description)
        return self

    def _on_progress(self, done: int, total: int) -> None:
        if self._over:
            return
        self.done, self.total = done, total
        self.progress.emit(done, total)

    def _finish(self, result: Any) -> None:
        if self._over:
            return
        self._over, self.result = True, result
        self.finished.emit(result)

    def _error(self, error: BaseException) -> None:
        if self._over:
            return
        if isinstance(error, Cancelled):
            self._over = True
            self.cancelled.emit(self.done)
            return
        if not isinstance(error, MailroomError):
            log.error("%s failed", self.description, exc_info=error)
        self._over = True
        self.error = user_message(error)
        self.failed.emit(self.error)

    def _on_task_finished(self, handle: TaskHandle[Any]) -> None:
        if handle is not self._handle or self._runner is None:
            return
        with contextlib.suppress(RuntimeError, TypeError):
            self._runner.task_finished.disconnect(self._on_task_finished)
        if handle.state is TaskState.CANCELLED and not self._over:  # the runner drops a cancelled task's outcome
            self._over = True
            self.cancelled.emit(self.done)
