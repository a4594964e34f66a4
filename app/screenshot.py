"""``--screenshot PATH``: save the main window as PNG once a message is shown, then quit (docs, smoke tests).

``--screenshot-dialog NAME PATH`` saves a dialog instead: :data:`DIALOGS` maps each name to the function that
opens it, as ``"module:function"`` (imported only when asked for). The function is called once the demo folder is
open, as ``opener(window, ready)``; it opens its dialog and calls ``ready(dialog)`` when the dialog shows its data.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

#: ``--screenshot-dialog`` names -> ``"module:function(window, ready)"`` opening that dialog.
DIALOGS: dict[str, str] = {
    "permissions": "app.views.folder_commands:screenshot_permissions",
    "labels": "app.views.admin_screenshots:screenshot_labels",
    "rules": "app.views.admin_screenshots:screenshot_rules",
    "rule-editor": "app.views.admin_screenshots:screenshot_rule_editor",
    "contacts": "app.views.contacts_view:screenshot_contacts",
    "week": "app.views.calendar.screenshots:screenshot_week",
    "month": "app.views.calendar.screenshots:screenshot_month",
    "scheduling": "app.views.calendar.screenshots:screenshot_scheduling",
    "meeting-request": "app.views.calendar.feature_screenshots:screenshot_meeting_request",
    "reminders": "app.views.calendar.feature_screenshots:screenshot_reminders",
}

DialogOpener = Callable[[Any, Callable[[QWidget], None]], object]

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
        self._waiting_for = "no message was shown"

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
        self._finish(1, f"mailroom: {self._waiting_for} after {self._timeout_s:g} s; giving up")

    def _finish(self, code: int, message: str) -> None:
        if self._done:
            return
        self._done = True
        self._timer.stop()
        print(message, file=sys.stderr if code else sys.stdout, flush=True)
        QApplication.exit(code)


def dialog_opener(name: str) -> DialogOpener:
    """The registered opener of dialog ``name`` (``KeyError`` for an unknown name)."""
    module, _, function = DIALOGS[name].partition(":")
    return getattr(importlib.import_module(module), function)


class DialogScreenshot(ScreenshotWhenReady):
    """Opens dialog ``name`` once the window has opened a folder, saves it when it is ready, then quits.

    Connect :meth:`start` to the window's ``folder_opened`` signal and :meth:`fail` to the app's ``failed``.
    """

    def __init__(self, window: Any, name: str, path: Path, timeout_s: float, parent: QObject | None = None) -> None:
        super().__init__(window, path, timeout_s, parent)
        self._window = window
        self._name = name
        self._started = False
        self._waiting_for = f"the {name} dialog was not ready"

    def start(self, *_: object) -> None:
        """Open the dialog (once)."""
        if self._started:
            return
        self._started = True
        dialog_opener(self._name)(self._window, self._ready)

    def _ready(self, dialog: QWidget) -> None:
        self._widget = dialog
        self.capture()
