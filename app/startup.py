"""Start-up timing: ``--quit-after-first-window`` for the start-up benchmark (``bench/bench_startup.py``).

The time counts from the start of the *process* (so the interpreter's and, in a bundle, the bootloader's start
are included), read from the kernel on Linux (``/proc/self/stat``); elsewhere from the first import of
:mod:`app` (which leaves out the interpreter's own start: the figure is then a lower bound).
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

_IMPORTED_AT = time.perf_counter()


def process_age_ms() -> float:
    """Milliseconds since this process started (10 ms resolution on Linux)."""
    try:
        with open("/proc/self/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        start_ticks = int(fields[19])  # field 22, counted from after the command name (fields 1 and 2)
        ticks_per_s = os.sysconf("SC_CLK_TCK")
        since_boot = time.clock_gettime(time.CLOCK_BOOTTIME)
        return max(0.0, (since_boot - start_ticks / ticks_per_s) * 1000)
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux
        return (time.perf_counter() - _IMPORTED_AT) * 1000


class FirstWindowProbe(QObject):
    """Prints ``first window after N ms`` once ``window`` has painted for the first time, then quits with 0.

    Args:
        window: The main window (watched for its first paint event).
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.elapsed_ms: float | None = None
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.window and event.type() == QEvent.Type.Paint and self.elapsed_ms is None:
            self.elapsed_ms = 0.0  # measured once the paint is done, on the next turn of the event loop
            QTimer.singleShot(0, self, self._report)
        return False

    def _report(self) -> None:
        self.window.removeEventFilter(self)
        self.elapsed_ms = process_age_ms()
        print(f"first window after {self.elapsed_ms:.0f} ms", flush=True)
        sys.stdout.flush()
        QApplication.exit(0)
