"""The task API: results and errors arrive on the GUI thread, per-key queues keep order, cancellation."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from PySide6.QtCore import QCoreApplication, QThread

from app.domain.errors import Cancelled
from app.tasks import TaskRunner, TaskState, current_task

WAIT_MS = 10_000


@pytest.fixture
def runner(qapp) -> Iterator[TaskRunner]:
    r = TaskRunner(max_threads=4)
    yield r
    assert r.shutdown(WAIT_MS), "a worker did not finish"
    r.deleteLater()


def test_result_is_delivered_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker_thread"] = threading.get_ident()
        seen["current"] = current_task()
        return 42

    def on_result(value: int) -> None:
        seen["value"] = value
        seen["callback_qthread"] = QThread.currentThread()
        seen["callback_thread"] = threading.get_ident()

    handle = runner.run(work, on_result=on_result, description="answer")
    qtbot.waitUntil(lambda: "value" in seen, timeout=WAIT_MS)

    assert seen["value"] == 42
    assert seen["callback_qthread"] is QCoreApplication.instance().thread()
    assert seen["callback_thread"] == threading.get_ident()
    assert seen["worker_thread"] != threading.get_ident()
    assert seen["current"] is handle
    assert handle.state is TaskState.SUCCEEDED
    assert current_task() is None


def test_error_goes_to_the_error_callback_on_the_gui_thread(qtbot, runner: TaskRunner) -> None:
    errors: list[tuple[BaseException, object]] = []
    results: list[object] = []

    def work() -> None:
        raise ValueError("boom")

    handle = runner.run(
        work,
        on_result=results.append,
        on_error=lambda e: errors.append((e, QThread.currentThread())),
    )
    qtbot.waitUntil(lambda: bool(errors), timeout=WAIT_MS)

    error, thread = errors[0]
    assert isinstance(error, ValueError) and str(error) == "boom"
    assert thread is QCoreApplication.instance().thread()
    assert results == []
    assert handle.state is TaskState.FAILED


def test_error_without_handler_goes_to_task_failed(qtbot, runner: TaskRunner) -> None:
    def work() -> None:
        raise KeyError("missing")

    with qtbot.waitSignal(runner.task_failed, timeout=WAIT_MS) as blocker:
        handle = runner.run(work, description="lookup")
    failed_handle, error = blocker.args
    assert failed_handle is handle
    assert isinstance(error, KeyError)


def test_tasks_with_one_key_run_one_at_a_time_in_order(qtbot, runner: TaskRunner) -> None:
    started: list[int] = []
    delivered: list[int] = []
    active = 0
    max_active = 0
    lock = threading.Lock()

    def make(i: int):
        def work() -> int:
            nonlocal active, max_active
            with lock:
                active += 1
                max_active = max(max_active, active)
                started.append(i)
            # Give a second worker a chance to sneak in if the queue were not serial.
            threading.Event().wait(0.002)
            with lock:
                active -= 1
            return i

        return work

    for i in range(20):
        # Mixed case: keys are mailbox addresses, compared case-insensitively.
        key = "Support@Example.com" if i % 2 else "support@example.com"
        runner.run(make(i), key=key, on_result=delivered.append)
    assert runner.pending_count("SUPPORT@example.com") == 20

    qtbot.waitUntil(lambda: len(delivered) == 20, timeout=WAIT_MS)
    assert started == list(range(20))
    assert delivered == list(range(20))
    assert max_active == 1
    assert runner.pending_count() == 0


def test_tasks_with_different_keys_run_in_parallel(qtbot, runner: TaskRunner) -> None:
    b_running = threading.Event()
    results: list[str] = []

    def task_a() -> str:
        # Finishes only if task_b runs at the same time; a serial runner would time out here.
        return "a" if b_running.wait(timeout=5) else "a-starved"

    def task_b() -> str:
        b_running.set()
        return "b"

    runner.run(task_a, key="alice@example.com", on_result=results.append)
    runner.run(task_b, key="bob@example.com", on_result=results.append)
    qtbot.waitUntil(lambda: len(results) == 2, timeout=WAIT_MS)
    assert sorted(results) == ["a", "b"]


def test_cancelled_pending_task_never_runs(qtbot, runner: TaskRunner) -> None:
    release = threading.Event()
    ran: list[str] = []
    results: list[str] = []

    def blocker() -> str:
        release.wait(timeout=10)
        ran.append("first")
        return "first"

    def second() -> str:
        ran.append("second")
        return "second"

    def third() -> str:
        ran.append("third")
        return "third"

    first_handle = runner.run(blocker, key="k", on_result=results.append)
    second_handle = runner.run(second, key="k", on_result=results.append, on_error=results.append)
    third_handle = runner.run(third, key="k", on_result=results.append)
    second_handle.cancel()
    release.set()

    qtbot.waitUntil(lambda: third_handle.state is TaskState.SUCCEEDED, timeout=WAIT_MS)
    assert ran == ["first", "third"]
    assert results == ["first", "third"]
    assert first_handle.state is TaskState.SUCCEEDED
    assert second_handle.state is TaskState.CANCELLED


def test_cancelling_a_running_task_drops_its_outcome(qtbot, runner: TaskRunner) -> None:
    started = threading.Event()
    outcomes: list[object] = []

    def work() -> str:
        started.set()
        task = current_task()
        assert task is not None
        for _ in range(1000):
            if task.is_cancelled():
                break
            threading.Event().wait(0.01)
        task.raise_if_cancelled()
        return "finished"

    handle = runner.run(work, on_result=outcomes.append, on_error=outcomes.append)
    assert started.wait(timeout=10)
    with qtbot.waitSignal(runner.task_finished, timeout=WAIT_MS):
        handle.cancel()
    assert handle.state is TaskState.CANCELLED
    assert outcomes == []


def test_raise_if_cancelled_raises_the_domain_error(runner: TaskRunner) -> None:
    handle = runner.run(lambda: None)
    handle.cancel()
    with pytest.raises(Cancelled):
        handle.raise_if_cancelled()


def test_shutdown_refuses_new_work(qapp) -> None:
    r = TaskRunner()
    assert r.shutdown(WAIT_MS)
    with pytest.raises(RuntimeError, match="shut down"):
        r.run(lambda: 1)
    r.deleteLater()


def test_a_bug_in_a_task_is_logged_with_its_traceback_and_a_known_error_is_not(
        qtbot, runner: TaskRunner, caplog: pytest.LogCaptureFixture) -> None:
    outcomes: list[BaseException] = []

    def buggy() -> None:
        raise TypeError("a bug of ours")

    def refused() -> None:
        raise Cancelled("the user closed the view")

    with caplog.at_level("ERROR", logger="app.tasks"):
        runner.run(buggy, on_error=outcomes.append, description="Reading the labels")
        runner.run(refused, on_error=outcomes.append, description="Closing")
        qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=WAIT_MS)
    records = [r for r in caplog.records if r.name == "app.tasks"]
    assert [r.getMessage() for r in records] == ["Reading the labels failed with an unexpected error"]
    assert records[0].exc_info is not None and "a bug of ours" in caplog.text
