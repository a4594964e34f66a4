"""The crash handler: report files, the dialog (GUI thread, one at a time), exit code 70 without a GUI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, QTimer, qVersion
from PySide6.QtWidgets import QPushButton

from app import __version__
from app.crash import EXIT_CRASH, CrashHandler, report_text, write_report
from app.crash_dialog import CLOSE, OPEN_FOLDER, QUIT, CrashBridge, attach

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def crash(qtbot, tmp_path: Path) -> Iterator[tuple[CrashHandler, CrashBridge]]:
    """A crash handler with dialogs, installed for the test (pytest-qt's own capture is off in these tests)."""
    handler = CrashHandler(tmp_path / "logs", exit_process=lambda code: pytest.fail(f"exit({code}) with a GUI"))
    handler.install()
    bridge = attach(handler, dialogs=True)
    quits: list[int] = []
    opened: list[Path] = []
    bridge.quit_app = quits.append
    bridge.open_folder = lambda folder: opened.append(folder) or True
    bridge.quits, bridge.opened = quits, opened  # type: ignore[attr-defined]
    try:
        yield handler, bridge
    finally:
        handler.uninstall()
        if bridge.dialog is not None:
            bridge.dialog.close()
        bridge.deleteLater()


def _button(bridge: CrashBridge, text: str) -> QPushButton:
    assert bridge.dialog is not None
    return next(b for b in bridge.dialog.buttons() if b.text() == text)


class Boom(QObject):
    def explode(self) -> None:
        raise RuntimeError("slot failed, password=hunter2-secret")


@pytest.mark.qt_no_exception_capture
def test_exception_in_a_qt_slot_writes_a_report_and_shows_the_dialog(qtbot, crash) -> None:
    handler, bridge = crash
    boom = Boom()
    QTimer.singleShot(0, boom.explode)
    qtbot.waitUntil(lambda: bridge.dialog is not None and bridge.dialog.isVisible(), timeout=5000)

    assert len(handler.reports) == 1
    report = handler.reports[0]
    assert report.parent == handler.directory and report.name.startswith("crash-") and report.suffix == ".txt"
    text = report.read_text(encoding="utf-8")
    assert f"Mailroom: {__version__}" in text
    assert f"Qt: {qVersion()}" in text and f"PySide6: {pyside_version}" in text
    assert "Python: 3." in text and "OS: " in text
    assert "RuntimeError: slot failed" in text and "in explode" in text
    assert "hunter2-secret" not in text and "password=<redacted>" in text

    dialog = bridge.dialog
    assert "RuntimeError: slot failed" in dialog.text()
    assert str(report) in dialog.informativeText() and __version__ in dialog.informativeText()
    assert f"Qt: {qVersion()}" in dialog.detailedText()
    assert {b.text() for b in dialog.buttons()} >= {OPEN_FOLDER, CLOSE, QUIT}

    _button(bridge, OPEN_FOLDER).click()
    assert bridge.opened == [handler.directory]
    assert bridge.dialog is None  # every button closes the box
    assert bridge.quits == []


@pytest.mark.qt_no_exception_capture
def test_worker_thread_exception_reaches_the_gui_thread_and_repeats_share_one_dialog(qtbot, crash) -> None:
    handler, bridge = crash

    def work() -> None:
        raise ValueError("worker failed")

    thread = threading.Thread(target=work, name="worker-7")
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bridge.dialog is not None and bridge.dialog.isVisible(), timeout=5000)
    first = bridge.dialog
    assert "Thread: worker-7" in handler.reports[0].read_text(encoding="utf-8")
    assert "ValueError: worker failed" in first.text()

    QTimer.singleShot(0, Boom().explode)
    qtbot.waitUntil(lambda: "1 more error happened since" in first.informativeText(), timeout=5000)
    assert bridge.dialog is first and len(handler.reports) == 2
    assert handler.reports[0] != handler.reports[1]  # same second: crash-…-1.txt

    _button(bridge, QUIT).click()
    assert bridge.quits == [EXIT_CRASH]


@pytest.mark.qt_no_exception_capture
def test_without_dialogs_the_event_loop_ends_with_70(qtbot, tmp_path: Path) -> None:
    handler = CrashHandler(tmp_path, exit_process=lambda code: pytest.fail("no exit without a GUI expected"))
    handler.install()
    bridge = attach(handler, dialogs=False)
    codes: list[int] = []
    bridge.quit_app = codes.append
    try:
        QTimer.singleShot(0, Boom().explode)
        qtbot.waitUntil(lambda: codes == [EXIT_CRASH], timeout=5000)
        assert bridge.dialog is None and len(handler.reports) == 1
    finally:
        handler.uninstall()
        bridge.deleteLater()


def test_a_crash_inside_the_handler_is_not_handled_again(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    calls: list[str] = []
    handler = CrashHandler(blocker / "logs", exit_process=lambda code: calls.append(f"exit {code}"))

    def failing_gui(path: Path | None, summary: str) -> None:
        calls.append(f"gui {path} {summary}")
        raise RuntimeError("the dialog itself failed")

    handler.gui = failing_gui
    try:
        raise KeyError("first")
    except KeyError:
        with pytest.raises(RuntimeError, match="the dialog itself failed"):
            handler.handle(sys.exc_info())  # type: ignore[arg-type]
    assert calls == ["gui None KeyError: 'first'"]  # no report (the folder is a file), no second round
    assert "could not write a crash report" in capsys.readouterr().err

    handler.gui = None
    handler._busy.active = True  # as if inside the handler: a new exception is only printed
    try:
        raise KeyError("nested")
    except KeyError:
        assert handler.handle(sys.exc_info()) is None  # type: ignore[arg-type]
    assert calls == ["gui None KeyError: 'first'"]
    assert "KeyError: 'nested'" in capsys.readouterr().err


def test_report_names_do_not_collide_and_text_is_redacted(tmp_path: Path) -> None:
    try:
        raise OSError("Authorization: Basic YWxpY2U6c2VjcmV0LXBhc3M=")
    except OSError:
        text = report_text(sys.exc_info(), "MainThread")  # type: ignore[arg-type]
    assert "YWxpY2U6c2VjcmV0LXBhc3M" not in text and "Authorization: <redacted>" in text
    paths = {write_report(tmp_path, text) for _ in range(3)}
    assert len(paths) == 3 and all(p.read_text(encoding="utf-8") == text for p in paths)


@pytest.mark.slow
def test_without_qt_an_unhandled_exception_exits_70_with_a_report(tmp_path: Path) -> None:
    code = (
        "import pathlib, sys\n"
        "from app.crash import CrashHandler\n"
        "CrashHandler(pathlib.Path(sys.argv[1])).install()\n"
        "raise LookupError('no such thing; token=abc123def')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert done.returncode == EXIT_CRASH, done.stderr
    reports = list(tmp_path.glob("crash-*.txt"))
    assert len(reports) == 1
    text = reports[0].read_text(encoding="utf-8")
    assert "LookupError: no such thing" in text and "abc123def" not in text
    assert "Qt:" not in text  # Qt was never imported for this
    assert f"report written to {reports[0]}; exiting with code 70" in done.stderr
    assert "abc123def" not in done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("how", ["close-button", "quit-closes-all-windows"])
def test_closing_the_crash_dialog_does_not_crash_the_process(tmp_path: Path, how: str) -> None:
    """The box is parentless and owned by Python: dropping its last reference inside its own finished() signal
    deleted it mid-call (a segfault in QDialog::done, seen when the application quit with the box open)."""
    code = (
        "import pathlib, sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from app.crash_dialog import CLOSE, CrashBridge\n"
        "app = QApplication([])\n"
        "bridge = CrashBridge(True, pathlib.Path(sys.argv[1]))\n"
        "for round in range(3):\n"
        "    bridge.crashed.emit(None, 'KeyError: x')\n"
        "    QTimer.singleShot(50, (lambda: next(b for b in bridge.dialog.buttons() if b.text() == CLOSE).click())\n"
        "                      if sys.argv[2] == 'close-button' else app.quit)\n"
        "    app.exec()\n"
        "    assert bridge.dialog is None or sys.argv[2] != 'close-button', 'the dialog was not closed'\n"
        "print('survived')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path), how], capture_output=True, text=True,
                          timeout=60, env=env, cwd=ROOT)
    assert done.returncode == 0 and "survived" in done.stdout, (done.returncode, done.stderr[-2000:])
