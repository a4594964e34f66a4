"""The reminder window: a non-modal list of due reminders (subject, calendar, time, "in 10 minutes" / "now" /
"overdue by …") with Open, Dismiss, Dismiss all and Snooze; plus a tray notification where there is a tray."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSystemTrayIcon,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.reminders import SNOOZE_CHOICES, Reminder, due_text
from app.views.calendar.access import place

KEY_ROLE = Qt.ItemDataRole.UserRole + 1


def _snooze_label(minutes: int) -> str:
    return f"{minutes // 60} hour" if minutes % 60 == 0 else f"{minutes} minutes"


class ReminderWindow(QWidget):
    """Lists the due reminders; the service does what the buttons ask.

    Args:
        service: The :class:`~app.services.reminders.ReminderService`.
        tz: The time zone times are shown in.
        open_event: Called with a reminder to open its event.
        parent: The main window (the reminder window stays a window of its own).

    Signals:
        opened(Reminder): Open was clicked for this reminder.
    """

    opened = Signal(object)

    def __init__(self, service: Any, tz: tzinfo, open_event: Callable[[Reminder], Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("reminderWindow")
        self.setWindowTitle("Reminders")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)  # don't steal the user's typing
        self.service = service
        self.tz = tz
        self._open_event = open_event
        self.reminders: list[Reminder] = []
        column = QVBoxLayout(self)
        self.heading = QLabel("", self)
        self.heading.setObjectName("reminderHeading")
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        column.addWidget(self.heading)
        self.table = QTreeWidget(self)
        self.table.setObjectName("reminderList")
        self.table.setRootIsDecorated(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setHeaderLabels(["Subject", "Calendar", "Starts", "Due"])
        for n, width in enumerate((230, 180, 125)):
            self.table.setColumnWidth(n, width)
        self.table.itemDoubleClicked.connect(lambda *_: self.open_selected())
        column.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.open_button = self._button("Open", "reminderOpen", self.open_selected, row)
        self.dismiss_button = self._button("Dismiss", "reminderDismiss", self.dismiss_selected, row)
        self.dismiss_all_button = self._button("Dismiss all", "reminderDismissAll", service.dismiss_all, row)
        row.addStretch(1)
        row.addWidget(QLabel("Remind me again in", self))
        self.snooze_choice = QComboBox(self)
        self.snooze_choice.setObjectName("reminderSnoozeChoice")
        for minutes in SNOOZE_CHOICES:
            self.snooze_choice.addItem(_snooze_label(minutes), minutes)
        row.addWidget(self.snooze_choice)
        self.snooze_button = self._button("Snooze", "reminderSnooze", self.snooze_selected, row)
        column.addLayout(row)
        self.resize(760, 280)
        self.tray: QSystemTrayIcon | None = None
        service.reminders_changed.connect(self.show_reminders)
        service.new_reminders.connect(self.pop_up)

    def _button(self, text: str, name: str, slot: Callable[[], Any], row: QHBoxLayout) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.clicked.connect(lambda: slot())
        row.addWidget(button)
        return button

    # -- showing -----------------------------------------------------------------------------------------------
    def show_reminders(self, reminders: list[Reminder]) -> None:
        """Fill the list (keeping the selection); hide the window when nothing is due."""
        selected = {r.key for r in self.selected()}
        self.reminders = list(reminders)
        now = self.service.clock()
        self.table.clear()
        for reminder in reminders:
            event = reminder.event
            start = event.start.astimezone(self.tz)
            when = f"{start:%a} {start.day} {start:%b}" + ("" if event.all_day else f" {start:%H:%M}")
            item = QTreeWidgetItem([event.subject or "(no subject)", place(reminder.calendar), when,
                                    due_text(event, now)])
            item.setData(0, KEY_ROLE, reminder.key)
            if event.location:
                item.setToolTip(0, f"{event.subject} — {event.location}")
            self.table.addTopLevelItem(item)
            if reminder.key in selected:
                item.setSelected(True)
        if reminders and not self.selected():
            self.table.topLevelItem(0).setSelected(True)
        n = len(reminders)
        self.heading.setText(f"{n} reminder{'s' if n != 1 else ''}")
        for button in (self.open_button, self.dismiss_button, self.dismiss_all_button, self.snooze_button):
            button.setEnabled(bool(reminders))
        if not reminders:
            self.hide()

    def pop_up(self, fresh: list[Reminder]) -> None:
        """New reminders fell due: show the window (without taking the focus from the user's typing) and tell
        the tray, where there is one."""
        self.show()
        self.raise_()
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self.windowIcon(), self)
            self.tray.show()
        if self.tray is not None and self.tray.supportsMessages():
            first = fresh[0].event
            more = f" (and {len(fresh) - 1} more)" if len(fresh) > 1 else ""
            self.tray.showMessage("Reminder", f"{first.subject} — {due_text(first, self.service.clock())}{more}",
                                  QSystemTrayIcon.MessageIcon.Information, 10_000)

    # -- acting ------------------------------------------------------------------------------------------------
    def selected(self) -> list[Reminder]:
        keys = {item.data(0, KEY_ROLE) for item in self.table.selectedItems()}
        return [r for r in self.reminders if r.key in keys]

    def select(self, subject: str) -> None:
        """Select the reminder of the event with this subject (tests, keyboard users)."""
        self.table.clearSelection()
        for n in range(self.table.topLevelItemCount()):
            item = self.table.topLevelItem(n)
            if item.text(0) == subject:
                item.setSelected(True)

    def dismiss_selected(self) -> None:
        self.service.dismiss(self.selected())

    def snooze_selected(self) -> None:
        self.service.snooze(self.selected(), int(self.snooze_choice.currentData()))

    def open_selected(self) -> None:
        chosen = self.selected()
        if chosen:
            self.opened.emit(chosen[0])
            if self._open_event is not None:
                self._open_event(chosen[0])
