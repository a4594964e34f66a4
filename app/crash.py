"""The crash handler: any unhandled exception becomes a report file, a log record and a message to the user.

:class:`CrashHandler` takes over ``sys.excepthook`` (which PySide6 also calls for an exception escaping a slot
or a Qt virtual method) and ``threading.excepthook``. For each exception it writes
``crash-YYYYmmdd-HHMMSS.txt`` to the log folder: Mailroom's version, the OS, Python, Qt and PySide6 versions
and the traceback (no local variables; the text is redacted like the logs, see :func:`app.logs.redact`). Then:

* the traceback goes to the log (file and stderr) as a CRITICAL record;
* with a QApplication (``gui`` callback set by :func:`app.crash_dialog.attach`): a dialog with the details, the
  report's path, "Open report folder", "Close" and "Quit" (on the GUI thread even for a worker's exception, one
  at a time); in a run without dialogs (``--selftest``, screenshots, the offscreen platform) the event loop
  ends with :data:`EXIT_CRASH` (70, ``EX_SOFTWARE``) instead;
* without a QApplication: the process ends with :data:`EXIT_CRASH` at once.

A crash inside the handler itself is printed plainly and not handled again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
import threading
import traceback
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType

from app import __version__
from app.logs import redact

log = logging.getLogger(__name__)

EXIT_CRASH = 70
"""Exit code after an unhandled exception (``EX_SOFTWARE`` from BSD's sysexits.h)."""

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
#: Shows a report to the user: ``gui(report_path, summary)``; may be called from any thread.
GuiCallback = Callable[[Path | None, str], None]
#: Ends the program with a code: ``exit(code)``; may be called from any thread.
ExitCallback = Callable[[int], None]


def environment() -> list[tuple[str, str]]:
    """(label, value) pairs describing this installation, for reports and the dialog."""
    rows = [
        ("Mailroom", __version__),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"),
    ]
    qtcore = sys.modules.get("PySide6.QtCore")  # only when Qt is loaded: a report never imports it
    if qtcore is not None:
        pyside = sys.modules.get("PySide6")
        rows.append(("Qt", qtcore.qVersion()))
        rows.append(("PySide6", getattr(pyside, "__version__", "?")))
        app = qtcore.QCoreApplication.instance()
        if app is not None and hasattr(app, "platformName"):
            rows.append(("Qt platform", app.platformName()))
    rows.append(("Bundled", "yes" if getattr(sys, "frozen", False) else "no"))
    return rows


def report_text(exc_info: ExcInfo, thread_name: str = "") -> str:
    """The report for one exception: environment, then the traceback; redacted, without local variables."""
    lines = [f"Mailroom crash report, {datetime.now().astimezone().isoformat(timespec='seconds')}", ""]
    lines += [f"{label}: {value}" for label, value in environment()]
    lines += [f"Thread: {thread_name or threading.current_thread().name}", "", "Traceback:"]
    lines.append("".join(traceback.format_exception(*exc_info)).rstrip())
    return redact("\n".join(lines)) + "\n"


def write_report(directory: Path, text: str, now: datetime | None = None) -> Path:
    """Write ``text`` to a new ``crash-YYYYmmdd-HHMMSS[-N].txt`` in ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        path = directory / (f"crash-{stamp}.txt" if n == 0 else f"crash-{stamp}-{n}.txt")
        try:
            with path.open("x", encoding="utf-8") as out:
                out.write(text)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"too many crash reports for {stamp} in {directory}")


class CrashHandler:
    """Handles every unhandled exception of the process (see the module's description).

    Args:
        directory: Where reports go (the log folder).
        exit_process: Ends the program when there is no ``gui`` callback (default: flush the logs, ``os._exit``).

    Attributes:
        gui: Set once a QApplication exists (:func:`app.crash_dialog.attach`): it tells the user, or leaves the
            event loop with :data:`EXIT_CRASH` in a run without dialogs.
        reports: The reports written so far.
    """

    def __init__(self, directory: Path, exit_process: ExitCallback | None = None) -> None:
        self.directory = directory
        self.gui: GuiCallback | None = None
        self.reports: list[Path] = []
        self._exit = exit_process or _exit_process
        self._busy = threading.local()
        self._saved: tuple[object, object] | None = None

    def install(self) -> None:
        """Take over ``sys.excepthook`` and ``threading.excepthook`` (undo with :meth:`uninstall`)."""
        if self._saved is None:
            self._saved = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._sys_hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Put the previous hooks back."""
        if self._saved is not None:
            sys.excepthook, threading.excepthook = self._saved  # type: ignore[assignment]
            self._saved = None

    def handle(self, exc_info: ExcInfo, thread_name: str = "") -> Path | None:
        """Report one exception (from any thread). Returns the report's path, or None if it could not be written.

        With a ``gui`` callback the user is told and decides; without, the process ends with :data:`EXIT_CRASH`.
        """
        if getattr(self._busy, "active", False):  # the handler itself failed: no second round
            sys.__excepthook__(*exc_info)
            return None
        self._busy.active = True
        try:
            return self._handle(exc_info, thread_name)
        finally:
            self._busy.active = False

    def _handle(self, exc_info: ExcInfo, thread_name: str) -> Path | None:
        text = report_text(exc_info, thread_name)
        path: Path | None = None
        try:
            path = write_report(self.directory, text)
            self.reports.append(path)
        except OSError as error:
            print(f"mailroom: could not write a crash report to {self.directory}: {error}", file=sys.stderr)
        with contextlib.suppress(Exception):  # to the log file and stderr; a broken handler must not hide the crash
            trace = redact("".join(traceback.format_exception(*exc_info)).rstrip())  # redacted without handlers
            log.critical("Unhandled exception (report: %s)\n%s", path or "not written", trace)
        summary = redact("".join(traceback.format_exception_only(exc_info[0], exc_info[1])).strip())
        where = f"; report written to {path}" if path else ""
        if self.gui is not None:
            print(f"mailroom: unexpected error{where}", file=sys.stderr, flush=True)
            self.gui(path, summary)
        else:
            print(f"mailroom: unexpected error{where}; exiting with code {EXIT_CRASH}", file=sys.stderr,
                  flush=True)
            self._exit(EXIT_CRASH)
        return path

    def _sys_hook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.handle((exc_type, exc, tb))

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else ""
        self.handle((args.exc_type, args.exc_value, args.exc_traceback), name)


def _exit_process(code: int) -> None:
    """End the program at once (no GUI to leave through): flush the logs and exit with ``code``."""
    logging.shutdown()
    sys.stderr.flush()
    os._exit(code)
