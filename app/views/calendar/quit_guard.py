"""Quitting with unsaved edits in an event dialog: the main window does not close behind the user's back.

Closing the main window while an event dialog holds changes that were not saved asks "Discard and quit" /
"Keep editing" (without blocking: the close is refused and the question shown; "Discard and quit" closes the
dialogs and the window again). Dialogs whose save is on its way (disabled while saving) do not count: the save
finishes before the workers stop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.views.calendar.event_dialog import EventDialog

#: Tests (and callers without a user) decide instead of the box: the unsaved dialogs -> True = discard and quit.
Answer = Callable[[list[EventDialog]], bool]


class UnsavedEventsGuard(QObject):
    """An event filter on the main window.

    Args:
        window: The main window.
        dialogs: The dialogs the calendar commands have open now (event dialogs among them).

    Attributes:
        answer: When set, decides at once instead of asking (see :data:`Answer`).
        box: The question while it is shown.
    """

    def __init__(self, window: QWidget, dialogs: Callable[[], list[Any]]) -> None:
        super().__init__(window)
        self.window = window
        self._dialogs = dialogs
        self.answer: Answer | None = None
        self.box: QMessageBox | None = None
        window.installEventFilter(self)

    def unsaved(self) -> list[EventDialog]:
        """The open event dialogs with changes not saved (nor being saved)."""
        return [d for d in self._dialogs() if isinstance(d, EventDialog) and d.isVisible() and d.isEnabled()
                and d.is_modified()]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt
        if watched is not self.window or event.type() != QEvent.Type.Close:
            return False
        dirty = self.unsaved()
        if not dirty:
            return False
        if self.answer is not None:
            if self.answer(dirty):
                self._discard(dirty)
                return False
            event.ignore()
            return True
        event.ignore()
        self._ask(dirty)
        return True

    def _ask(self, dirty: list[EventDialog]) -> None:
        if self.box is not None:
            self.box.raise_()
            return
        names = ", ".join(f"“{d.subject.text().strip() or 'New event'}”" for d in dirty)
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Changes to {names} are not saved.", parent=self.window)
        box.setObjectName("unsavedEventsBox")
        box.setInformativeText("Quit and discard them, or keep editing and save first?")
        discard = box.addButton("Discard and quit", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.box = box

        def answered(_result: int) -> None:
            self.box = None
            still = [d for d in self.unsaved() if d in dirty]
            if box.clickedButton() is discard:
                self._discard(still)
                self.window.close()
            elif still:
                still[0].raise_()
                still[0].activateWindow()

        box.finished.connect(answered)
        box.open()

    @staticmethod
    def _discard(dirty: list[EventDialog]) -> None:
        for dialog in dirty:
            dialog.close()
