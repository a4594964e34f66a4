"""Creating and editing an event: subject, location, start/end, all day, free/busy, series, attendees with directory
autocomplete, notes, and "Scheduling…". Read-only (with the reason on top) where the calendar's rights say so.

Cancel, Esc and the window's close button on a dialog with unsaved changes ask "Save" / "Discard" /
"Keep editing" first (without blocking: the close is refused and the question shown, as the main window's
:mod:`~app.views.calendar.quit_guard` does).

Signals: ``save_requested(EventDraft, bool send)``, ``delete_requested()``, ``scheduling_requested()``,
``save_failed(str)`` (a save asked for did not succeed; the dialog is usable again).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo

from PySide6.QtCore import QDateTime, Qt, QTimeZone, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.calendar import Attendee, BusyStatus, CalendarRef, Event, EventDraft, ResponseType
from app.domain.messages import Person
from app.domain.rights import Capability
from app.views.calendar.access import place
from app.views.calendar.recurrence_editor import RecurrenceEditor
from app.views.completer import DirectoryCompleter, Lookup

_SPLIT = re.compile(r"[;,]")
RESPONSE_WORDS = {ResponseType.ACCEPT: "Accepted", ResponseType.TENTATIVE: "Tentative",
                  ResponseType.DECLINE: "Declined", ResponseType.ORGANIZER: "Organizer",
                  ResponseType.NO_RESPONSE: "No response yet", ResponseType.UNKNOWN: "No response yet"}
BUSY_CHOICES = (BusyStatus.BUSY, BusyStatus.TENTATIVE, BusyStatus.FREE, BusyStatus.OOF,
                BusyStatus.WORKING_ELSEWHERE)


def _qdt(moment: datetime, tz: tzinfo) -> QDateTime:
    """The wall-clock time in ``tz``, held as a floating value (UTC spec: no system-zone DST gaps)."""
    local = moment.astimezone(tz)
    return QDateTime(local.date(), local.time().replace(microsecond=0), QTimeZone.utc())


class EventDialog(QDialog):
    save_requested = Signal(object, bool)
    delete_requested = Signal()
    scheduling_requested = Signal()
    save_failed = Signal(str)

    def __init__(self, calendar: CalendarRef, draft: EventDraft, tz: tzinfo, *, edit: Capability,
                 delete: Capability | None = None, lookup: Lookup | None = None, scope: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("eventDialog")
        self.calendar = calendar
        self.draft = draft
        self.tz = tz
        self.scope = scope
        self._added: dict[str, Attendee] = {}  # rooms from the room finder, by address (casefolded)
        self._discarding = False
        #: The "Save / Discard / Keep editing" question while it is shown.
        self.unsaved_box: QMessageBox | None = None
        new = not draft.item_id
        what = "occurrence" if scope == "occurrence" else "series" if draft.recurrence else "event"
        self.setWindowTitle(f"New event — {place(calendar)}" if new else f"Edit {what} — {place(calendar)}")
        self.resize(620, 560)
        column = QVBoxLayout(self)
        self.banner = QLabel(edit.reason, self)
        self.banner.setObjectName("eventReadOnlyBanner")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("background:#fffbea; border:1px solid #f6e05e; border-radius:4px; padding:6px;")
        self.banner.setVisible(not edit.allowed)
        column.addWidget(self.banner)
        form = QFormLayout()
        column.addLayout(form)
        self.subject = QLineEdit(draft.subject, self)
        self.subject.setObjectName("eventSubject")
        self.subject.setPlaceholderText("Add a title")
        form.addRow("Subject:", self.subject)
        self.location = QLineEdit(draft.location, self)
        self.location.setObjectName("eventLocation")
        form.addRow("Location:", self.location)
        self.start = QDateTimeEdit(_qdt(draft.start, tz), self)
        self.end = QDateTimeEdit(_qdt(draft.end, tz), self)
        for edit_ in (self.start, self.end):
            edit_.setCalendarPopup(True)
            edit_.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.all_day = QCheckBox("All day", self)
        self.all_day.setChecked(draft.all_day)
        times = QHBoxLayout()
        times.addWidget(self.start)
        times.addWidget(QLabel("to", self))
        times.addWidget(self.end)
        times.addWidget(self.all_day)
        form.addRow("When:", times)
        self.busy = QComboBox(self)
        for status in BUSY_CHOICES:
            self.busy.addItem(status.value.replace("OOF", "Away").replace("WorkingElsewhere", "Working elsewhere"),
                              status)
        self.busy.setCurrentIndex(BUSY_CHOICES.index(draft.busy) if draft.busy in BUSY_CHOICES else 0)
        form.addRow("Show as:", self.busy)
        self.recurrence = RecurrenceEditor(draft.start.astimezone(tz).date(), self)
        self.recurrence.set_recurrence(draft.recurrence)
        self.recurrence.setEnabled(scope != "occurrence")
        if scope == "occurrence":
            self.recurrence.setToolTip("Editing one occurrence: the series pattern stays as it is.")
        form.addRow("Repeat:", self.recurrence)
        self.attendees = QLineEdit("; ".join(a.person.address for a in draft.attendees), self)
        self.attendees.setObjectName("eventAttendees")
        self.attendees.setPlaceholderText("Invite people and rooms: type a name")
        self.completer = DirectoryCompleter(self.attendees, lookup, multiple=True) if lookup else None
        self.scheduling = QPushButton("Scheduling…", self)
        self.scheduling.setObjectName("eventScheduling")
        self.scheduling.clicked.connect(self.scheduling_requested)
        people = QHBoxLayout()
        people.addWidget(self.attendees, 1)
        people.addWidget(self.scheduling)
        form.addRow("Attendees:", people)
        self.responses = QListWidget(self)
        self.responses.setObjectName("eventResponses")
        self.responses.setAccessibleName("Attendees' responses")
        self.responses.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.responses.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for attendee in draft.attendees if draft.item_id else []:
            self.responses.addItem(response_line(attendee))
        self.responses.setMaximumHeight(min(24 + 20 * self.responses.count(), 110))
        form.addRow("Responses:", self.responses)
        form.setRowVisible(self.responses, self.responses.count() > 0)
        self.notes = QPlainTextEdit(draft.body_text, self)
        self.notes.setObjectName("eventNotes")
        column.addWidget(self.notes, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.send = self.buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send.setToolTip(f"Save and send the invitations as {calendar.owner.name or calendar.owner.address}")
        self.delete = self.buttons.addButton("Delete", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete.setVisible(not new)
        if delete is not None:
            self.delete.setEnabled(delete.allowed)
            self.delete.setToolTip(delete.reason)
        column.addWidget(self.buttons)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.clicked.connect(lambda: self._save(False))
        self.send.clicked.connect(lambda: self._save(True))
        self.delete.clicked.connect(self.delete_requested)
        self.buttons.rejected.connect(self.reject)
        self.all_day.toggled.connect(self._all_day_toggled)
        self.start.dateTimeChanged.connect(self._start_moved)
        self.attendees.textChanged.connect(lambda _t: self._update())
        self._length = draft.end - draft.start
        self._all_day_toggled(draft.all_day)
        self.set_editable(edit)
        self._as_opened = self.result_draft()

    def is_modified(self) -> bool:
        """The user changed something since the dialog opened (what quitting would lose)."""
        return self._editable and self.result_draft() != self._as_opened

    def set_editable(self, edit: Capability) -> None:
        self.banner.setText(edit.reason)
        self.banner.setVisible(not edit.allowed)
        for widget in (self.subject, self.location, self.start, self.end, self.all_day, self.busy, self.attendees,
                       self.notes, self.scheduling):
            widget.setEnabled(edit.allowed)
        self.recurrence.setEnabled(edit.allowed and self.scope != "occurrence")
        self.save_button.setEnabled(edit.allowed)
        self.save_button.setToolTip(edit.reason)
        self._editable = edit.allowed
        self._update()

    def unlock(self, error: str = "") -> None:
        """Make the dialog usable again after a save failed (the error itself is shown by the window)."""
        self.setEnabled(True)
        self.save_failed.emit(error)

    # -- closing with unsaved changes ------------------------------------------------------------------------
    def reject(self) -> None:
        """Cancel, Esc and the close button (``close()`` too): closes at once when nothing would be lost (no
        changes, read-only, being saved, or discarded), else asks first and stays open meanwhile."""
        if self._discarding or not self.isEnabled() or not self.is_modified():
            super().reject()
            return
        self.ask_unsaved()

    def discard(self) -> None:
        """Close without saving, whatever was changed."""
        self._discarding = True
        self.close()

    def save_and_close(self) -> bool:
        """Save (without sending); the dialog closes when the save succeeded. Returns whether a save started
        (not when the event has no title yet)."""
        self._save(False)
        return not self.isEnabled()

    def ask_unsaved(self) -> QMessageBox:
        """Ask "Save" / "Discard" / "Keep editing" without blocking (the question is :attr:`unsaved_box`)."""
        if self.unsaved_box is not None:
            self.unsaved_box.raise_()
            return self.unsaved_box
        name = self.subject.text().strip() or "New event"
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes", f"Save the changes to “{name}”?",
                          parent=self)
        box.setObjectName("unsavedEventBox")
        box.setInformativeText("Your changes are lost if you discard them.")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(save)
        box.setEscapeButton(keep)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.unsaved_box = box

        def answered(_result: int) -> None:
            self.unsaved_box = None
            if box.clickedButton() is save:
                self.save_and_close()
            elif box.clickedButton() is discard:
                self.discard()

        box.finished.connect(answered)
        box.open()
        return box

    def _update(self) -> None:
        self.send.setVisible(bool(self.attendee_list()))
        self.send.setEnabled(self._editable)

    def _all_day_toggled(self, on: bool) -> None:
        fmt = "ddd d MMM yyyy" if on else "ddd d MMM yyyy  HH:mm"
        self.start.setDisplayFormat(fmt)
        self.end.setDisplayFormat(fmt)

    def _start_moved(self, value: QDateTime) -> None:
        self.end.setDateTime(value.addSecs(int(self._length.total_seconds())))
        self.recurrence.set_start(value.date().toPython())

    def attendee_list(self) -> list[Attendee]:
        """The attendees typed in (rooms added with the room finder go out as resources)."""
        known = {p.address.casefold(): p for p in (self.completer.people() if self.completer else [])}
        kept = {a.person.address.casefold(): a for a in self.draft.attendees}
        kept.update(self._added)
        out = []
        for token in _SPLIT.split(self.attendees.text()):
            address = token.strip()
            if "@" not in address:
                continue
            key = address.casefold()
            out.append(kept.get(key) or Attendee(known.get(key) or Person(address)))
        return out

    def set_times(self, start: datetime, end: datetime) -> None:
        """(From the scheduling assistant.)"""
        self._length = end - start
        self.start.setDateTime(_qdt(start, self.tz))
        self.end.setDateTime(_qdt(end, self.tz))

    def set_attendees(self, people: list[str | Attendee]) -> None:
        """Replace the attendees (from the scheduling assistant: addresses, or Attendees with rooms as resources)."""
        for a in people:
            if isinstance(a, Attendee):
                self._added[a.person.address.casefold()] = a
        self.attendees.setText("; ".join(a.person.address if isinstance(a, Attendee) else a for a in people))

    def result_draft(self) -> EventDraft:
        """The draft as the user filled it in."""
        start = _to_python(self.start.dateTime(), self.tz)
        end = _to_python(self.end.dateTime(), self.tz)
        all_day = self.all_day.isChecked()
        if all_day:
            start = datetime.combine(start.date(), datetime.min.time(), self.tz)
            end = datetime.combine(max(end.date(), start.date()) + timedelta(days=1), datetime.min.time(), self.tz)
        if end <= start:
            end = start + timedelta(minutes=30)
        return EventDraft(
            calendar=self.calendar.folder, subject=self.subject.text().strip(), start=start, end=end,
            all_day=all_day, location=self.location.text().strip(), body_text=self.notes.toPlainText(),
            busy=self.busy.currentData(), attendees=self.attendee_list(),
            recurrence=self.recurrence.recurrence() if self.scope != "occurrence" else None,
            reminder_minutes=self.draft.reminder_minutes, item_id=self.draft.item_id,
            change_key=self.draft.change_key)

    def _save(self, send: bool) -> None:
        if not self.subject.text().strip():
            self.subject.setFocus()
            self.subject.setPlaceholderText("A title, please")
            return
        self.save_requested.emit(self.result_draft(), send)


def _to_python(value: QDateTime, tz: tzinfo) -> datetime:
    d, t = value.date().toPython(), value.time().toPython()
    return datetime.combine(d, t, tz)


def response_line(attendee: Attendee) -> str:
    """"Room 101 (room) — Accepted"."""
    who = attendee.person.name or attendee.person.address
    kind = " (room)" if attendee.kind == "Resource" else " (optional)" if attendee.kind == "Optional" else ""
    return f"{who}{kind} — {RESPONSE_WORDS.get(attendee.response, 'No response yet')}"


def draft_of(event: Event) -> EventDraft:
    """An edit draft from a (fully loaded) event."""
    return EventDraft(calendar=event.calendar, subject=event.subject, start=event.start, end=event.end,
                      all_day=event.all_day, location=event.location, body_text=event.body_text, busy=event.busy,
                      attendees=list(event.attendees), recurrence=event.recurrence,
                      reminder_minutes=event.reminder_minutes, item_id=event.item_id, change_key=event.change_key)
