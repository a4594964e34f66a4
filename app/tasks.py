"""The one task API: run blocking work in a worker thread, get the outcome back on the GUI thread.

Every blocking call (EWS, disk) goes through :meth:`TaskRunner.run`. Tasks that share a ``key`` (a mailbox
address) run one at a time in the order they were submitted, like Vorta's per-repository queue: that keeps
the order of a user's actions on a mailbox and the load on the server polite. Tasks with different keys, or
with none, run in parallel on a small thread pool.

Callbacks always run on the thread that owns the runner (the GUI thread), delivered by a queued signal. A
failure without an ``on_error`` callback goes to the single :attr:`TaskRunner.task_failed` signal.

Example::

    handle = runner.run(lambda: connect(params), key=address,
                        on_result=window.show_connected, on_error=window.show_error)
    handle.cancel()   # not started yet: it never runs; running: its outcome is dropped
"""

from __future__ import annotations

import contextlib
import enum
import itertools
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal

from app.domain.errors import Cancelled, MailroomError

T = TypeVar("T")

_local = threading.local()
_ids = itertools.count(1)
log = logging.getLogger(__name__)


class TaskState(enum.Enum):
    """Where a task is in its life."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class TaskHandle(Generic[T]):
    """A submitted task. :meth:`cancel` and :meth:`is_cancelled` may be called from any thread.

    Attributes:
        task_id: A number unique in this process.
        key: The serialisation key (casefolded), or ``None``.
        description: What the task does, for logs and error reports.
    """

    def __init__(
        self,
        fn: Callable[[], T],
        key: str | None,
        description: str,
        on_result: Callable[[T], Any] | None,
        on_error: Callable[[BaseException], Any] | None,
    ) -> None:
        self.task_id = next(_ids)
        self.key = key
        self.description = description or getattr(fn, "__qualname__", repr(fn))
        self._fn = fn
        self._on_result = on_result
        self._on_error = on_error
        self._cancelled = threading.Event()
        self._state = TaskState.PENDING
        self._lock = threading.Lock()

    @property
    def state(self) -> TaskState:
        """The current state."""
        with self._lock:
            return self._state

    def _set_state(self, state: TaskState) -> None:
        with self._lock:
            self._state = state

    def cancel(self) -> None:
        """Ask the task to stop: a pending task never runs, a running one has its outcome dropped.

        A running task stops early only if it polls :meth:`is_cancelled` or :meth:`raise_if_cancelled`.
        """
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._cancelled.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`~app.domain.errors.Cancelled` if the task was cancelled (call it from the worker)."""
        if self._cancelled.is_set():
            raise Cancelled(f"{self.description} was cancelled.")

    def __repr__(self) -> str:
        return f"<TaskHandle #{self.task_id} {self.description!r} key={self.key!r} {self.state.value}>"


def current_task() -> TaskHandle[Any] | None:
    """The task running on the calling worker thread, or ``None`` outside a task.

    Lets blocking code poll for cancellation without the handle being passed in::

        connect(params, cancelled=current_task().is_cancelled)
    """
    return getattr(_local, "task", None)


class TaskRunner(QObject):
    """Runs callables in worker threads and delivers results and errors on the thread that owns it.

    Create it on the GUI thread. Call :meth:`shutdown` before the application quits.

    Signals:
        task_failed(TaskHandle, BaseException): a task without an ``on_error`` callback raised. Connect it to
            the one place that shows errors to the user.
        task_finished(TaskHandle): any task reached SUCCEEDED, FAILED or CANCELLED (after its callbacks ran).
    """

    task_failed = Signal(object, object)
    task_finished = Signal(object)
    # Internal: emitted by workers, received (queued) on the owner thread.
    _outcome = Signal(object, bool, object)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = 4) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._queues: dict[str, deque[TaskHandle[Any]]] = {}
        self._busy_keys: set[str] = set()
        self._live: dict[int, TaskHandle[Any]] = {}
        self._closed = False
        self._outcome.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def run(
        self,
        fn: Callable[[], T],
        *,
        key: str | None = None,
        on_result: Callable[[T], Any] | None = None,
        on_error: Callable[[BaseException], Any] | None = None,
        description: str = "",
    ) -> TaskHandle[T]:
        """Run ``fn()`` in a worker thread.

        Args:
            fn: The blocking work; takes no arguments (bind them with a lambda or ``functools.partial``).
            key: Tasks with the same key (case-insensitive) run one at a time, in submission order.
            on_result: Called on the owner thread with the return value.
            on_error: Called on the owner thread with the exception; else :attr:`task_failed` is emitted.
            description: What the task does, for error reports.

        Returns:
            A handle to cancel the task or read its state.

        Raises:
            RuntimeError: After :meth:`shutdown`.
        """
        if self._closed:
            raise RuntimeError("TaskRunner is shut down")
        norm_key = key.casefold() if key is not None else None
        handle: TaskHandle[T] = TaskHandle(fn, norm_key, description, on_result, on_error)
        self._live[handle.task_id] = handle
        if norm_key is None:
            self._start(handle)
        elif norm_key in self._busy_keys:
            self._queues.setdefault(norm_key, deque()).append(handle)
        else:
            self._busy_keys.add(norm_key)
            self._start(handle)
        return handle

    def pending_count(self, key: str | None = None) -> int:
        """Tasks submitted and not finished: all of them, or those of one key."""
        if key is None:
            return len(self._live)
        norm = key.casefold()
        return sum(1 for h in self._live.values() if h.key == norm)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel every task, refuse new ones and wait for running workers.

        Args:
            timeout_ms: How long to wait for workers blocked in a call.

        Returns:
            True if every worker finished in time.
        """
        self._closed = True
        for handle in list(self._live.values()):
            handle.cancel()
            handle._set_state(TaskState.CANCELLED)
        self._queues.clear()
        self._live.clear()
        return self._pool.waitForDone(timeout_ms)

    # -- internals -------------------------------------------------------------------------------------------

    def _start(self, handle: TaskHandle[Any]) -> None:
        self._pool.start(lambda: self._execute(handle))

    def _execute(self, handle: TaskHandle[Any]) -> None:
        """Runs on a worker thread."""
        if handle.is_cancelled():
            ok, payload = False, Cancelled(f"{handle.description} was cancelled.")
        else:
            handle._set_state(TaskState.RUNNING)
            _local.task = handle
            try:
                ok, payload = True, handle._fn()
            except BaseException as error:  # delivered to the owner thread, not swallowed
                ok, payload = False, error
            finally:
                _local.task = None
        # RuntimeError: the runner's C++ object is gone because the application is tearing down.
        with contextlib.suppress(RuntimeError):
            self._outcome.emit(handle, ok, payload)

    def _deliver(self, handle: TaskHandle[Any], ok: bool, payload: object) -> None:
        """Runs on the owner thread."""
        if self._live.pop(handle.task_id, None) is None:
            return  # shut down meanwhile
        if handle.key is not None:
            self._start_next(handle.key)
        if handle.is_cancelled():
            handle._set_state(TaskState.CANCELLED)
        elif ok:
            handle._set_state(TaskState.SUCCEEDED)
            if handle._on_result is not None:
                handle._on_result(payload)
        else:
            assert isinstance(payload, BaseException)
            handle._set_state(TaskState.FAILED)
            if not isinstance(payload, MailroomError):  # a bug: the user sees "this is a bug"; the log gets why
                log.error("%s failed with an unexpected error", handle.description, exc_info=payload)
            if handle._on_error is not None:
                handle._on_error(payload)
            else:
                self.task_failed.emit(handle, payload)
        self.task_finished.emit(handle)

    def _start_next(self, key: str) -> None:
        queue = self._queues.get(key)
        while queue:
            handle = queue.popleft()
            if handle.is_cancelled():  # never ran: finish it here, in order
                self._live.pop(handle.task_id, None)
                handle._set_state(TaskState.CANCELLED)
                self.task_finished.emit(handle)
                continue
            self._start(handle)
            return
        self._queues.pop(key, None)
        self._busy_keys.discard(key)
