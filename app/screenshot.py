"""``--screenshot PATH``: save the main window as PNG once a message is shown, then quit (docs, smoke tests)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

#: After the reading pane reports the body loaded, QtWebEngine still needs a frame or two to paint it.
SETTLE_MS = 600


class ScreenshotWhenReady(QObject):
    """Quits the application with 0 after saving ``widget`` to ``path``, or with 1 on failure or timeout.

    Connect :meth:`capture` to the window's ``message_shown`` signal and :meth:`fail` to the app's ``failed``.

    Args:
        widget: The window to save.
        path: Where the PNG goes.
        timeout_s: Give up after this long.
        parent: Qt parent.
    """

    def __init__(self, widget: QWidget, path: Path, timeout_s: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._widget = widget
        self._path = path
        self._done = False
        self._scheduled = False
        self._timeout_s = timeout_s
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)
        self._timer.start(int(timeout_s * 1000))

    def capture(self, *_: object) -> None:
        """Save the screenshot once the window has painted what it just got."""
        if self._scheduled or self._done:
            return
        self._scheduled = True
        QTimer.singleShot(SETTLE_MS, self._save)

    def fail(self, message: str) -> None:
        """Report ``message`` and quit with 1."""
        self._finish(1, f"mailroom: {message}")

    def _save(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        if self._widget.grab().save(str(self._path), "PNG"):
            self._finish(0, f"mailroom: screenshot saved to {self._path}")
        else:
            self._finish(1, f"mailroom: could not write the screenshot to {self._path}")

    def _on_timeout(self) -> None:
        self._finish(1, f"mailroom: no message was shown after {self._timeout_s:g} s; giving up")

    def _finish(self, code: int, message: str) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        print(message, file=sys.stderr if code else sys.stdout, flush=True)
        QApplication.exit(code)
