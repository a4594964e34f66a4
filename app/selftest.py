"""``mailroom --selftest``: prove that this installation (above all a PyInstaller bundle) works, end to end.

Offscreen, with the emulator in-process (demo mode), the real main window: sign in as alice, open
support@example.com's Inbox, open its first message and wait until the reading pane's web view has rendered the
body (which needs ``QtWebEngineProcess`` and its resources: the part of a bundle most likely to be broken).
Each step is printed with the time since the start; exit 0 when all passed. Any failure, or no progress for
:data:`TIMEOUT_S`, exits 1 with one line on stderr: ``mailroom selftest: FAILED: <what> (<step waited for>)``.
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

TIMEOUT_S = 90.0
USER = "alice"
MAILBOX = "support@example.com"
#: How often an empty web view is asked again for its text (every 100 ms) before that counts as a failure.
EMPTY_READS = 50
#: Exit code when the Qt event loop itself hung and the watchdog thread had to end the process.
HUNG_EXIT = 3


def prepare_environment() -> None:
    """Offscreen Qt (no display needed) and what QtWebEngine needs as root; before any QApplication."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Chromium refuses to run as root with its sandbox ("Running as root without --no-sandbox").
        os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")


class SelfTest:
    """Drives a demo :class:`~app.application.MailroomApp` through the steps and records the outcome.

    Args:
        app: The application, built but not started.
        quit_loop: Ends the event loop (``QApplication.exit``).
        out: Writes one progress line.
        timeout_s: Give up after this long.
    """

    def __init__(self, app: Any, quit_loop: Callable[[int], None], out: Callable[[str], None],
                 timeout_s: float = TIMEOUT_S) -> None:
        from PySide6.QtCore import QTimer

        self.app = app
        self.code: int | None = None
        self.error = ""
        self._quit = quit_loop
        self._out = out
        self._t0 = time.monotonic()
        self._waiting_for = "the main window"
        self._empty_reads = 0
        self._timer = QTimer(app)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(lambda: self.fail(f"timed out after {timeout_s:g} s"))
        self._timer.start(int(timeout_s * 1000))
        self._wire()

    # -- steps -------------------------------------------------------------------------------------------------
    def _wire(self) -> None:
        app, window = self.app, self.app.window
        app.failed.connect(lambda text: self.fail(f"demo sign-in failed: {text}"))
        app.demo.progress.connect(self._on_demo_progress)
        app.session.signed_in.connect(self._on_signed_in)
        app.mailboxes.mailbox_opened.connect(self._on_mailbox_opened)
        app.mailboxes.mailbox_failed.connect(self._on_mailbox_failed)
        app.runner.task_failed.connect(
            lambda handle, error: self.fail(f"{handle.description} failed: {type(error).__name__}: {error}")
        )
        window.folder_opened.connect(self._on_folder_opened)
        window.reading_pane.body_loaded.connect(self._on_body_loaded)
        page = window.reading_pane.view.page()
        page.renderProcessTerminated.connect(self._on_render_process_terminated)

    def start(self) -> None:
        """Show the window, ask for support@'s Inbox with its first message, start the emulator and sign in."""
        self.app.window.open_location(MAILBOX, "inbox", select_first=True)
        self.app.start()
        self.step("main window shown")
        self._waiting_for = "the emulator to start"

    def _on_demo_progress(self, text: str) -> None:
        if text.startswith("Signing in"):
            self.step("emulator running (in-process, loopback)")
            self._waiting_for = f"sign-in as {USER}"

    def _on_signed_in(self, result: Any) -> None:
        self.step(f"signed in as {result.user.address} ({result.version.short})")
        self._waiting_for = f"{MAILBOX}'s folders"

    def _on_mailbox_opened(self, tree: Any) -> None:
        if tree.mailbox.address.casefold() == MAILBOX:
            self.step(f"{MAILBOX} opened ({len(tree.folders)} folders)")
            self._waiting_for = f"{MAILBOX}'s Inbox"

    def _on_mailbox_failed(self, address: str, text: str) -> None:
        if address.casefold() == MAILBOX:
            self.fail(f"{address} did not open: {text}")

    def _on_folder_opened(self, ref: Any) -> None:
        node = self.app.sidebar_model.folder_node(ref)
        inbox = ref.well_known == "inbox" or (node is not None and node.well_known == "inbox")
        if ref.mailbox.casefold() == MAILBOX and inbox:
            self.step(f"{ref.mailbox} Inbox listed")
            self._waiting_for = "the first message's body in the web view"

    def _on_body_loaded(self, ok: bool) -> None:
        detail = self.app.window.reading_pane.current()
        if detail is None or self.code is not None:
            return  # the pane's own placeholder page, or a load after the outcome
        if not ok:
            self.fail("the web view could not load the message body")
            return
        self.step(f"message body loaded in the web view: {detail.summary.subject!r}")
        self._waiting_for = "the web view's text"
        self.app.window.reading_pane.view.page().toPlainText(self._on_text)

    def _on_text(self, text: str) -> None:
        # The text comes from the renderer process: proof that QtWebEngineProcess really ran the document.
        if self.code is not None:
            return
        if not text.strip():
            # The pane may have started loading the message again (its list row was updated): ask again shortly.
            self._empty_reads += 1
            if self._empty_reads > EMPTY_READS:
                self.fail("the web view rendered an empty body")
                return
            from PySide6.QtCore import QTimer

            QTimer.singleShot(100, self.app, lambda: self.app.window.reading_pane.view.page().toPlainText(
                self._on_text))
            return
        again = f" (asked {self._empty_reads + 1} times)" if self._empty_reads else ""
        self.step(f"web view rendered {len(text)} characters{again}")
        self.finish()

    def _on_render_process_terminated(self, status: Any, exit_code: int) -> None:
        self.fail(f"QtWebEngineProcess ended ({getattr(status, 'name', status)}, exit code {exit_code})")

    # -- outcome -----------------------------------------------------------------------------------------------
    def elapsed_ms(self) -> int:
        """Milliseconds since the self-test began."""
        return int((time.monotonic() - self._t0) * 1000)

    def step(self, text: str) -> None:
        """Print one passed step with its time."""
        self._out(f"selftest: [{self.elapsed_ms():6d} ms] {text}")

    def finish(self) -> None:
        """All steps passed: quit with 0."""
        if self.code is None:
            self.code = 0
            self._timer.stop()
            self._quit(0)

    def fail(self, reason: str) -> None:
        """Quit with 1, remembering the first reason."""
        if self.code is None:
            self.code = 1
            self.error = f"{reason} (waiting for {self._waiting_for})"
            self._timer.stop()
            self._quit(1)


def find_webengine_helper() -> str | None:
    """Where QtWebEngine will find its helper process, or None when it will not (it then aborts the process).

    Qt looks at ``QTWEBENGINEPROCESS_PATH``, then Qt's executables folder, then the program's own folder; on macOS
    the helper lives inside the QtWebEngineCore framework, so this returns that folder unchecked.
    """
    from PySide6.QtCore import QLibraryInfo

    if sys.platform == "darwin":
        return QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath)
    name = "QtWebEngineProcess.exe" if sys.platform == "win32" else "QtWebEngineProcess"
    candidates = [
        os.environ.get("QTWEBENGINEPROCESS_PATH", ""),
        os.path.join(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibraryExecutablesPath), name),
        os.path.join(os.path.dirname(sys.executable), name),
    ]
    return next((path for path in candidates if path and os.path.isfile(path)), None)


def _watchdog(seconds: float) -> threading.Timer:
    """End the process if even the Qt event loop hangs (then the self-test's own timer cannot fire)."""

    def expire() -> None:
        print(f"mailroom selftest: FAILED: the application hung for {seconds:.0f} s", file=sys.stderr, flush=True)
        os._exit(HUNG_EXIT)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()
    return timer


def _out(line: str) -> None:
    print(line, flush=True)


def main(timeout_s: float = TIMEOUT_S) -> int:
    """Run the self-test; returns the exit code (0: every step passed).

    Args:
        timeout_s: Fail when the steps have not all passed after this long.
    """
    started = time.monotonic()
    watchdog = _watchdog(timeout_s + 30)
    prepare_environment()
    try:
        code = _run(started, timeout_s)
    except Exception as error:  # noqa: BLE001 (any failure must become one clear line and exit 1)
        print(f"mailroom selftest: FAILED: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
        code = 1
    watchdog.cancel()
    return code


def _run(started: float, timeout_s: float) -> int:
    from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)  # QtWebEngine needs it
    from PySide6.QtWidgets import QApplication

    from app import __version__
    from app.views.webview import register_schemes

    register_schemes()  # before the QApplication, as QtWebEngine requires
    from app.application import MailroomApp, Options

    qt_app = QApplication.instance() or QApplication(sys.argv[:1])
    _out(f"selftest: Mailroom {__version__}, Python {sys.version.split()[0]}, "
         f"{'bundle' if getattr(sys, 'frozen', False) else 'source'}, Qt platform {qt_app.platformName()}, "
         f"{int((time.monotonic() - started) * 1000)} ms to import and start Qt")
    helper = find_webengine_helper()
    if helper is None:
        # Without this check Qt would abort the whole process (exit 134) when the reading pane is built.
        print("mailroom selftest: FAILED: QtWebEngineProcess is missing (the bundle lacks QtWebEngine's helper)",
              file=sys.stderr, flush=True)
        return 1
    _out(f"selftest: QtWebEngine helper: {helper}")
    app = MailroomApp(Options(demo=True, user=USER))
    test = SelfTest(app, qt_app.exit, _out, timeout_s)
    hook = sys.excepthook

    def excepthook(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        # Not the crash handler's hook: its dialog would wait for a click that never comes.
        if sys.stderr is not None:  # None in a windowed Windows program
            traceback.print_exception(kind, value, tb, file=sys.stderr)
        test.fail(f"unexpected {kind.__name__}: {value}")

    sys.excepthook = excepthook
    try:
        QTimer.singleShot(0, test.start)
        qt_app.exec()
    finally:
        sys.excepthook = hook
        stopped = app.shutdown(timeout_ms=10_000)
        for widget in QApplication.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if test.code == 0 and not stopped:
        test.code, test.error = 1, "background work did not stop within 10 s after the test"
    if test.code != 0:
        print(f"mailroom selftest: FAILED: {test.error or 'the event loop ended early'}", file=sys.stderr,
              flush=True)
        return 1
    _out(f"selftest: passed in {test.elapsed_ms()} ms")
    return 0
