"""Quitting with unsaved edits in an event dialog: the main window does not close behind the user's back.

Closing the main window while an event dialog holds changes that were not saved asks "Save and quit" /
"Discard and quit" / "Keep editing" (without blocking: the close is refused and the question shown).
"Discard and quit" closes the dialogs and the window again; "Save and quit" saves every such dialog and closes
the window once all the saves succeeded; when one fails (or cannot start: no title) the window stays open, says
why and brings that dialog up. Dialogs whose save is on its way (disabled while saving) do not count: the save
finishes before the workers stop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QMessageBox

from app.views.calendar.event_dialog import EventDialog

Choice = Literal["save", "discard", "keep"]
#: Tests (and callers without a user) decide instead of the box, given the unsaved dialogs: "save", "discard"
#: or "keep" (True means "discard", False "keep").
Answer = Callable[[list[EventDialog]], "Choice | bool"]


class UnsavedEventsGuard(QObject):
    """An event filter on the main window.

    Args:
        window: The main window (``show_error(text)`` tells the user why it stays open).
        dialogs: The dialogs the calendar commands have open now (event dialogs among them).

    Attributes:
        answer: When set, decides at once instead of asking (see :data:`Answer`).
        box: The question while it is shown.
        saving: The dialogs "Save and quit" is waiting for.
    """

    def __init__(self, window: Any, dialogs: Callable[[], list[Any]]) -> None:
        super().__init__(window)
        self.window = window
        self._dialogs = dialogs
        self.answer: Answer | None = None
        self.box: QMessageBox | None = None
        self.saving: list[EventDialog] = []
        self._save_failed = False
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
        event.ignore()
        if self.answer is not None:
            choice = self.answer(dirty)
            choice = "discard" if choice is True else "keep" if choice is False else choice
            if choice == "discard":
                self._discard(dirty)
                event.accept()
                return False
            if choice == "save":
                self.save_and_quit(dirty)
            return True
        self._ask(dirty)
        return True

    # -- "Save and quit" ---------------------------------------------------------------------------------------
    def save_and_quit(self, dirty: list[EventDialog]) -> None:
        """Save every dialog of ``dirty``; close the window when all of them saved, else stay and say why."""
        self._save_failed = False
        self.saving = []
        for dialog in dirty:
            # Answers for a dialog no longer waited for (a later save by hand) are ignored: see _saved/_failed.
            dialog.finished.connect(lambda _r, d=dialog: self._saved(d))
            dialog.save_failed.connect(lambda text, d=dialog: self._failed(d, text))
            self.saving.append(dialog)
            if not dialog.save_and_close():  # nothing sent: it needs a title first
                self._failed(dialog, "it needs a title")
        self._maybe_quit()

    def _saved(self, dialog: EventDialog) -> None:
        if dialog in self.saving:
            self.saving.remove(dialog)
            self._maybe_quit()

    def _failed(self, dialog: EventDialog, text: str) -> None:
        if dialog not in self.saving:
            return
        self.saving.remove(dialog)
        self._save_failed = True
        name = dialog.subject.text().strip() or "New event"
        self.window.show_error(f"“{name}” was not saved ({text or 'unknown error'}); Mailroom stays open.")
        dialog.raise_()
        dialog.activateWindow()

    def _maybe_quit(self) -> None:
        if not self.saving and not self._save_failed:
            self.window.close()

    # -- the question ------------------------------------------------------------------------------------------
    def _ask(self, dirty: list[EventDialog]) -> None:
        if self.box is not None:
            self.box.raise_()
            return
        names = ", ".join(f"“{d.subject.text().strip() or 'New event'}”" for d in dirty)
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                          f"Changes to {names} are not saved.", parent=self.window)
        box.setObjectName("unsavedEventsBox")
        box.setInformativeText("Save them and quit, quit and discard them, or keep editing?")
        save = box.addButton("Save and quit", QMessageBox.ButtonRole.AcceptRole)
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
            elif box.clickedButton() is save:
                self.save_and_quit(still)
            elif still:
                still[0].raise_()
                still[0].activateWindow()

        box.finished.connect(answered)
        box.open()

    @staticmethod
    def _discard(dirty: list[EventDialog]) -> None:
        for dialog in dirty:
            dialog.discard()
