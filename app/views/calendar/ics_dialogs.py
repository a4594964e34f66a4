"""The .ics dialogs: export a calendar (whole or a date range) and the import preview ("what will be created",
into which calendar). They only show and ask; :mod:`app.views.calendar.ics_commands` does the work."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.calendar import CalendarRef, EventDraft
from app.views.calendar.access import place
from app.views.calendar.recurrence_editor import describe


def _qdate(day: date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _finish(buttons: QDialogButtonBox, done: QPushButton) -> None:
    """The work is done: hide its button; Cancel becomes Close."""
    done.setEnabled(False)
    done.hide()
    cancel = buttons.button(QDialogButtonBox.StandardButton.Cancel)
    if cancel is not None:
        cancel.setText("Close")


class ExportDialog(QDialog):
    """Export a calendar to .ics: the whole calendar or a date range.

    Signals:
        export_requested(object, object): (start, end) as aware datetimes, or (None, None) for the whole calendar.
    """

    export_requested = Signal(object, object)

    def __init__(self, cal: CalendarRef, tz: tzinfo, today: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("icsExportDialog")
        self.setWindowTitle(f"Export {cal.name} to .ics")
        self.tz = tz
        column = QVBoxLayout(self)
        column.addWidget(QLabel(f"Export {place(cal)} to an iCalendar file.", self))
        self.whole = QRadioButton("The whole calendar (series as their rules)", self)
        self.whole.setObjectName("icsWhole")
        self.ranged = QRadioButton("A date range:", self)
        self.ranged.setObjectName("icsRange")
        self.whole.setChecked(True)
        column.addWidget(self.whole)
        column.addWidget(self.ranged)
        dates = QHBoxLayout()
        self.first = QDateEdit(_qdate(today.replace(day=1)), self)
        self.last = QDateEdit(_qdate((today.replace(day=1) + timedelta(days=62)).replace(day=1) - timedelta(1)),
                              self)
        for edit in (self.first, self.last):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("d MMM yyyy")
            edit.setEnabled(False)
        self.first.setObjectName("icsFirstDay")
        self.last.setObjectName("icsLastDay")
        dates.addWidget(QLabel("from", self))
        dates.addWidget(self.first)
        dates.addWidget(QLabel("to", self))
        dates.addWidget(self.last)
        dates.addStretch(1)
        column.addLayout(dates)
        self.ranged.toggled.connect(self.first.setEnabled)
        self.ranged.toggled.connect(self.last.setEnabled)
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        column.addWidget(self.progress)
        self.status = QLabel("", self)
        self.status.setObjectName("icsExportStatus")
        self.status.setWordWrap(True)
        column.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = self.buttons.addButton("Export…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setObjectName("icsExportButton")
        self.export_button.clicked.connect(self._export)
        self.buttons.rejected.connect(self.reject)
        column.addWidget(self.buttons)

    def bounds(self) -> tuple[datetime | None, datetime | None]:
        """The range chosen ([first day 00:00, day after the last 00:00) local), or (None, None) for all."""
        if self.whole.isChecked():
            return None, None
        first, last = self.first.date().toPython(), self.last.date().toPython()
        if last < first:
            first, last = last, first
        return (datetime.combine(first, time(), self.tz),
                datetime.combine(last + timedelta(days=1), time(), self.tz))

    def _export(self) -> None:
        start, end = self.bounds()
        self.export_requested.emit(start, end)

    def show_busy(self, path: str) -> None:
        self.export_button.setEnabled(False)
        self.progress.show()
        self.status.setText(f"Exporting to {path} …")

    def show_done(self, count: int, path: str) -> None:
        self.progress.hide()
        self.status.setText(f"Exported {count} event{'s' if count != 1 else ''} to {path}.")
        _finish(self.buttons, self.export_button)

    def show_error(self, text: str) -> None:
        self.progress.hide()
        self.export_button.setEnabled(True)
        self.status.setText(text)


class ImportPreviewDialog(QDialog):
    """What an .ics file will create, and where: the events (subject, start, end, recurrence) and the target
    calendar (only calendars the user may write to). A file that cannot be imported shows why, and nothing can be
    imported from it.

    Signals:
        import_requested(CalendarRef): The user clicked Import with this target.
    """

    import_requested = Signal(object)

    def __init__(self, source: str, targets: list[CalendarRef], tz: tzinfo, chosen: CalendarRef | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("icsImportDialog")
        self.setWindowTitle(f"Import {source}")
        self.tz = tz
        self.drafts: list[EventDraft] = []
        column = QVBoxLayout(self)
        self.heading = QLabel(f"Reading {source} …", self)
        self.heading.setObjectName("icsImportHeading")
        self.heading.setWordWrap(True)
        column.addWidget(self.heading)
        self.table = QTreeWidget(self)
        self.table.setObjectName("icsImportEvents")
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels(["Subject", "Start", "End", "Repeats"])
        self.table.setColumnWidth(0, 210)
        self.table.setColumnWidth(1, 165)
        self.table.setColumnWidth(2, 165)
        column.addWidget(self.table, 1)
        form = QFormLayout()
        self.target = QComboBox(self)
        self.target.setObjectName("icsImportTarget")
        form.addRow("Into calendar:", self.target)
        column.addLayout(form)
        self.set_targets(targets, chosen)
        self.status = QLabel("", self)
        self.status.setObjectName("icsImportStatus")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        column.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.import_button: QPushButton = self.buttons.addButton("Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setObjectName("icsImportButton")
        self.import_button.setEnabled(False)
        self.import_button.clicked.connect(self._import)
        self.buttons.rejected.connect(self.reject)
        column.addWidget(self.buttons)
        self.resize(780, 420)

    def set_targets(self, targets: list[CalendarRef], chosen: CalendarRef | None = None) -> None:
        """The calendars the user may import into (chosen one selected)."""
        current = chosen or self.chosen_target()
        self.target.clear()
        for cal in targets:
            self.target.addItem(place(cal), cal)
        keys = [c.folder.key for c in targets]
        if current is not None and current.folder.key in keys:
            self.target.setCurrentIndex(keys.index(current.folder.key))
        self._update_button()

    def chosen_target(self) -> CalendarRef | None:
        return self.target.currentData() if self.target.count() else None

    def show_drafts(self, drafts: list[EventDraft]) -> None:
        """The events the file will create."""
        self.drafts = list(drafts)
        self.table.clear()
        for d in drafts:
            self.table.addTopLevelItem(QTreeWidgetItem([d.subject or "(no subject)", self._when(d.start, d.all_day),
                                                        self._when(d.end, d.all_day, end=True),
                                                        _repeats(d)]))
        n = len(drafts)
        self.heading.setText(f"These {n} events will be created:" if n != 1 else "This event will be created:")
        self.status.setText("")
        self._update_button()

    def show_error(self, text: str) -> None:
        """The file cannot be imported (or the import failed): say why; nothing was imported."""
        self.status.setText(text if "nothing" in text.lower() else f"{text} Nothing was imported.")
        self.status.setStyleSheet("color: #a4262c;")
        if not self.drafts:
            self.heading.setText("This file cannot be imported.")
        self.target.setEnabled(True)
        self.import_button.setEnabled(bool(self.drafts) and self.chosen_target() is not None)

    def show_busy(self) -> None:
        self.import_button.setEnabled(False)
        self.target.setEnabled(False)
        self.status.setStyleSheet("")
        self.status.setText("Importing …")

    def show_done(self, count: int, cal: CalendarRef) -> None:
        self.status.setText(f"Imported {count} event{'s' if count != 1 else ''} into {place(cal)}.")
        _finish(self.buttons, self.import_button)

    def _update_button(self) -> None:
        if hasattr(self, "import_button"):
            self.import_button.setEnabled(bool(self.drafts) and self.chosen_target() is not None)
            if not self.target.count():
                self.import_button.setToolTip("You may not write to any open calendar.")

    def _import(self) -> None:
        target = self.chosen_target()
        if target is not None and self.drafts:
            self.import_requested.emit(target)

    def _when(self, value: datetime, all_day: bool, end: bool = False) -> str:
        if all_day:
            day = value.date() - timedelta(days=1) if end else value.date()
            return f"{day:%a} {day.day} {day:%b %Y}"
        local = value.astimezone(self.tz)
        return f"{local:%a} {local.day} {local:%b %Y} {local:%H:%M}"


def _repeats(draft: EventDraft) -> str:
    """"Every week on Mon, Wed, Fri; 1 occurrence changed, 1 removed" (empty for a single event)."""
    if draft.recurrence is None:
        return ""
    text = describe(draft.recurrence)
    changed, removed = len(getattr(draft, "modified", ())), len(getattr(draft, "deleted", ()))
    notes = [f"{changed} occurrence{'s' if changed != 1 else ''} changed"] if changed else []
    if removed:
        notes.append(f"{removed} removed" if notes else f"{removed} occurrence{'s' if removed != 1 else ''} removed")
    return "; ".join([text, ", ".join(notes)]) if notes else text
