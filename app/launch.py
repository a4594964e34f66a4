"""Running the GUI for ``python -m app``: the QApplication, the app, the run's helpers, the event loop.

:mod:`app.__main__` reads the command line and decides whether this run is the first instance; this builds
the Qt application around :class:`~app.application.MailroomApp` and the helpers the options ask for
(screenshots, the start-up probe, the single-instance server, the crash dialog), runs it, and shuts down.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QLocale,
    QMessageLogContext,
    Qt,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)

from app import __version__
from app.crash import CrashHandler
from app.domain.mailbox import AuthMethod

log = logging.getLogger(__name__)


def run_gui(args: argparse.Namespace, crash: CrashHandler, instance_name: str, *, dialogs: bool) -> int:
    """Run the app until its window closes; returns the exit code.

    Args:
        args: The parsed command line.
        crash: The installed crash handler (gets its dialog once the QApplication exists).
        instance_name: The single-instance socket to listen on ("" for none).
        dialogs: Whether a crash may show a dialog (False for screenshots and benchmarks; also offscreen).
    """
    route_qt_messages()
    # QtWebEngine (the reading pane) needs shared GL contexts and its URL schemes before the QApplication.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    from PySide6.QtWidgets import QApplication

    from app.views.webview import register_schemes

    register_schemes()

    from app.application import MailroomApp, Options
    from app.crash_dialog import attach
    from app.screenshot import DialogScreenshot, ScreenshotWhenReady

    if QLocale.system().name() == "C":
        # No locale configured (a bare container or CI): show dates as people read them, not "25 11 2026".
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    qt_app = QApplication(sys.argv[:1])
    qt_app.setApplicationName("Mailroom")
    qt_app.setApplicationVersion(__version__)
    qt_app.setDesktopFileName("mailroom")

    options = Options(
        demo=args.demo,
        user=args.user,
        ews_url=args.ews_url,
        mailbox=args.mailbox or ("support@example.com" if args.demo and args.screenshot_dialog else ""),
        auth=AuthMethod(args.auth) if args.auth else None,
        screenshot=args.screenshot,
        timeout_s=args.timeout,
    )
    app = MailroomApp(options)
    app.window.closed.connect(qt_app.quit)
    if options.screenshot is not None:
        shooter = ScreenshotWhenReady(app.window, options.screenshot, options.timeout_s, parent=app.window)
        app.window.message_shown.connect(shooter.capture)
        app.failed.connect(shooter.fail)
    if args.screenshot_dialog:
        name, path = args.screenshot_dialog
        dialog_shooter = DialogScreenshot(app.window, name, Path(path), options.timeout_s, parent=app.window)
        app.window.folder_opened.connect(dialog_shooter.start)
        app.failed.connect(dialog_shooter.fail)
    if args.quit_after_first_window:
        from app.startup import FirstWindowProbe

        FirstWindowProbe(app.window)
    server = serve_instances(app, instance_name, args.links)

    attach(crash, dialogs=dialogs and qt_app.platformName() != "offscreen")
    close_on_termination(app.window)
    QTimer.singleShot(0, app.start)  # inside the event loop, so an early failure can already quit it
    code = qt_app.exec()
    if server is not None:
        server.close()
    if not app.shutdown(timeout_ms=5000):
        # A worker is stuck in a network call (exchangelib's timeout is 120 s): do not hang on exit.
        print("mailroom: background work did not stop in time; exiting anyway", file=sys.stderr, flush=True)
        os._exit(code or 1)
    return code


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


#: Warnings Qt prints on machines without a GPU or a window system feature: facts about the machine, not defects
#: (QtWebEngine then renders in software). Logged at DEBUG so that real warnings stand out.
_MACHINE_NOTES = re.compile(
    r"^(GPUInfo not initialized|QRhiGles2: Failed to create|Failed to create RHI for backend|"
    r"This plugin does not support (raise|propagateSizeHints|createPlatformVulkanInstance)|"
    r"QVulkanInstance: Failed to initialize|GBM is not supported|Failed to load vulkan|"
    r"initInstance: No Vulkan library|Failed to create platform Vulkan instance|Unable to detect GPU vendor)"
)


def close_on_termination(window: Any) -> None:
    """SIGTERM (a log-out, a service manager) and SIGINT (Ctrl+C) close the window as the user would: drafts are
    saved, unsaved event edits are asked about, the single-instance socket is removed. Python runs signal handlers
    only between bytecodes, so a timer gives the interpreter a turn while Qt's loop sleeps."""
    import signal

    def close(signum: int, _frame: Any) -> None:
        log.info("Closing on %s", signal.Signals(signum).name)
        QTimer.singleShot(0, window.close)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, close)
    wake = QTimer(window)
    wake.timeout.connect(lambda: None)
    wake.start(250)


def route_qt_messages() -> None:
    """Send Qt's own messages (qWarning and friends) to the ``qt`` logger: the log file and stderr, redacted."""
    qt_log = logging.getLogger("qt")

    def handler(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
        level = _QT_LEVELS.get(kind, logging.WARNING)
        if level == logging.WARNING and _MACHINE_NOTES.match(message):
            level = logging.DEBUG
        qt_log.log(level, "%s", message)

    qInstallMessageHandler(handler)


def serve_instances(app: Any, name: str, links: list[str]) -> Any:
    """Hand this launch's links to the window, and listen for later launches (when ``name`` is set).

    Returns:
        The :class:`~app.single_instance.InstanceServer`, or None.
    """
    if links:
        app.activation.handle(links, raise_window=False)
    if not name:
        return None
    from app.single_instance import InstanceServer

    server = InstanceServer(name, app)
    if not server.listen():
        log.warning("Another Mailroom is starting at the same moment; this one runs on its own")
        return None
    server.received.connect(app.activation.handle)
    return server
