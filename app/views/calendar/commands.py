"""What the calendar views' gestures do: open/create/edit/delete/move events, "this occurrence or the whole
series?", "Open shared calendar…" and the scheduling assistant. Every change goes through the
:class:`~app.services.calendar.CalendarService`; the pane reloads the calendar when it reports the change."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import datetime, timedelta
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from app.domain.calendar import CalendarRef, Event, EventDraft
from app.views.calendar import access
from app.views.calendar.event_dialog import EventDialog, draft_of
from app.views.calendar.scheduling import SchedulingAssistant
from app.views.completer import DirectoryCompleter, Lookup

OCCURRENCE_KINDS = ("Occurrence", "Exception")


class CalendarCommands(QObject):
    """Args: window (for dialogs' parent), pane, service, lookup (directory autocomplete)."""

    def __init__(self, window: QWidget, pane: Any, service: Any, lookup: Lookup) -> None:
        super().__init__(pane)
        self.window = window
        self.pane = pane
        self.service = service
        self.lookup = lookup
        self.dialogs: list[QWidget] = []
        #: Tests answer "this occurrence or the series?" here instead of a message box.
        self.scope_answer: Callable[[Event, str], str | None] | None = None
        grid = pane.grid
        for view in (grid, pane.month, pane.agenda):
            view.open_requested.connect(self.open_event)
        grid.create_requested.connect(self.new_event)
        grid.delete_requested.connect(self.delete_event)
        grid.move_requested.connect(self.move_event)
        pane.new_event.triggered.connect(lambda: self.new_event(None))
        pane.open_event.triggered.connect(self._open_selected)
        pane.delete_event.triggered.connect(self._delete_selected)
        pane.scheduling.triggered.connect(lambda: self.open_scheduling())
        pane.calendar_list.open_shared_requested.connect(self.open_shared_calendar)

    # -- events ------------------------------------------------------------------------------------------------
    def new_event(self, start: datetime | None) -> EventDialog | None:
        cal = self.pane.target_calendar()
        cap = access.can_create(cal)
        if not cap:
            self.pane.status.emit(cap.reason)
            return None
        assert cal is not None
        if start is None:
            now = datetime.now(self.pane.tz)
            start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
            day = self.pane.grid.selected_day
            if day != now.date():
                start = datetime.combine(day, start.time().replace(hour=9), self.pane.tz)
        draft = EventDraft(calendar=cal.folder, subject="", start=start, end=start + timedelta(minutes=30))
        dialog = EventDialog(cal, draft, self.pane.tz, edit=cap, lookup=self.lookup, parent=self.window)
        dialog.save_requested.connect(lambda d, send: self._create(dialog, d, send))
        dialog.scheduling_requested.connect(lambda: self.open_scheduling(dialog))
        return self._show(dialog)

    def _create(self, dialog: EventDialog, draft: EventDraft, send: bool) -> None:
        dialog.setEnabled(False)
        self.service.create_event(draft, send, on_result=lambda _e: self._done(dialog, f"Created “{draft.subject}”."),
                                  on_error=lambda text: self._save_failed(dialog, text))

    def open_event(self, key: Hashable, event: Event) -> None:
        """Load the event in full, ask occurrence/series when it is part of one, then show the dialog."""
        cal = self.pane.calendars.get(key)
        cap = access.can_open(cal, event)
        if not cap:
            self.pane.status.emit(cap.reason)
            return
        assert cal is not None
        scope = ""
        item_id = event.item_id
        if event.kind in OCCURRENCE_KINDS and event.series_id:
            scope = self.choose_scope(event, "open") or ""
            if not scope:
                return
            if scope == "series":
                item_id = event.series_id
        self.service.get_event(cal, item_id, on_result=lambda full: self._show_event(cal, event, full, scope))

    def open_event_in(self, cal: CalendarRef, event: Event) -> None:
        """Open an event of a calendar the pane may not show (a reminder's): load it in full, then the dialog."""
        cap = access.can_open(cal, event)
        if not cap:
            self.pane.status.emit(cap.reason)
            return
        scope = "occurrence" if event.kind in OCCURRENCE_KINDS else ""  # a reminder is for one occurrence
        self.service.get_event(cal, event.item_id, on_result=lambda full: self._show_event(cal, event, full, scope))

    def _show_event(self, cal: CalendarRef, shown: Event, full: Event, scope: str) -> EventDialog:
        edit = access.can_edit(cal, full)
        dialog = EventDialog(cal, draft_of(full), self.pane.tz, edit=edit, delete=access.can_delete(cal, full),
                             lookup=self.lookup, scope=scope, parent=self.window)
        dialog.event = full  # type: ignore[attr-defined]
        dialog.save_requested.connect(
            lambda d, send: self._update(dialog, shown.item_id if scope == "occurrence" else full.item_id, d,
                                         scope or "series", send))
        dialog.delete_requested.connect(lambda: self._delete(dialog, shown if scope != "series" else full,
                                                             scope or "occurrence"))
        dialog.scheduling_requested.connect(lambda: self.open_scheduling(dialog))
        return self._show(dialog)

    def _update(self, dialog: EventDialog, item_id: str, draft: EventDraft, scope: str, send: bool) -> None:
        dialog.setEnabled(False)
        self.service.update_event(item_id, draft, scope, send,  # type: ignore[arg-type]
                                  on_result=lambda _e: self._done(dialog, f"Saved “{draft.subject}”."),
                                  on_error=lambda text: self._save_failed(dialog, text))

    def _save_failed(self, dialog: EventDialog, text: str) -> None:
        """A save failed: the window shows why; the dialog (unless closed meanwhile) is usable again."""
        self.pane.error.emit(text)
        if shiboken6.isValid(dialog):
            dialog.unlock(text)

    def delete_event(self, key: Hashable, event: Event) -> None:
        cal = self.pane.calendars.get(key)
        cap = access.can_delete(cal, event)
        if not cap:
            self.pane.status.emit(cap.reason)
            return
        scope = "occurrence"
        if event.kind in OCCURRENCE_KINDS and event.series_id:
            chosen = self.choose_scope(event, "delete")
            if chosen is None:
                return
            scope = chosen
        self._delete(None, event, scope)

    def _delete(self, dialog: EventDialog | None, event: Event, scope: str) -> None:
        self.service.delete_event(event, scope,  # type: ignore[arg-type]
                                  on_result=lambda _r: self._done(dialog, f"Deleted “{event.subject}”."))

    def move_event(self, key: Hashable, event: Event, start: datetime, end: datetime) -> None:
        cal = self.pane.calendars.get(key)
        cap = access.can_edit(cal, event)
        if not cap:
            self.pane.status.emit(cap.reason)
            return
        local = start.astimezone(self.pane.tz)
        self.service.move_event(event, start, end, "occurrence",
                                on_result=lambda _e: self.pane.status.emit(
                                    f"Moved “{event.subject}” to {local:%a %d %b %H:%M}."))

    def choose_scope(self, event: Event, verb: str) -> str | None:
        """"occurrence", "series" or None (cancelled)."""
        if self.scope_answer is not None:
            return self.scope_answer(event, verb)
        box = QMessageBox(self.window)
        box.setWindowTitle("Recurring event")
        box.setText(f"“{event.subject}” is part of a series. {verb.capitalize()} …")
        one = box.addButton("Just this occurrence", QMessageBox.ButtonRole.AcceptRole)
        series = box.addButton("The whole series", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "occurrence" if clicked is one else "series" if clicked is series else None

    def _open_selected(self) -> None:
        chosen = self.pane.selected()
        if chosen is not None:
            self.open_event(chosen[0].folder.key, chosen[1])

    def _delete_selected(self) -> None:
        chosen = self.pane.selected()
        if chosen is not None:
            self.delete_event(chosen[0].folder.key, chosen[1])

    # -- other dialogs -----------------------------------------------------------------------------------------
    def open_shared_calendar(self) -> QDialog:
        dialog = QDialog(self.window)
        dialog.setObjectName("openSharedCalendarDialog")
        dialog.setWindowTitle("Open shared calendar")
        column = QVBoxLayout(dialog)
        column.addWidget(QLabel("Whose calendar? (shared with you at folder level)", dialog))
        edit = QLineEdit(dialog)
        edit.setObjectName("sharedCalendarAddress")
        edit.setPlaceholderText("Name or address")
        dialog.completer = DirectoryCompleter(edit, self.lookup)  # type: ignore[attr-defined]
        column.addWidget(edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel,
                                   dialog)
        column.addWidget(buttons)
        buttons.rejected.connect(dialog.reject)

        def accept() -> None:
            address = edit.text().strip()
            if "@" in address:
                self.service.open_shared_calendar(address)
                dialog.accept()

        buttons.accepted.connect(accept)
        return self._show(dialog)

    def open_scheduling(self, event_dialog: EventDialog | None = None) -> SchedulingAssistant:
        """The scheduling assistant, for an event dialog (its attendees and times) or on its own."""
        if event_dialog is not None:
            draft = event_dialog.result_draft()
            people = [a.person.address for a in draft.attendees]
            start, end = draft.start, draft.end
        else:
            now = datetime.now(self.pane.tz)
            start = datetime.combine(self.pane.grid.selected_day, now.time().replace(hour=9, minute=0, second=0,
                                                                                      microsecond=0), self.pane.tz)
            end = start + timedelta(minutes=30)
            people = []
        cal = self.pane.target_calendar()
        organiser = cal.folder.mailbox if cal is not None else ""
        dialog = SchedulingAssistant(self.service, organiser, people, start, end, self.pane.tz,
                                     lookup=self.lookup, parent=event_dialog or self.window)
        if event_dialog is not None:
            dialog.chosen.connect(lambda s, e, who: (event_dialog.set_times(s, e), event_dialog.set_attendees(who)))
        return self._show(dialog)

    def _show(self, dialog: Any) -> Any:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self.dialogs.remove(dialog) if dialog in self.dialogs else None)
        dialog.show()
        return dialog

    def _done(self, dialog: QWidget | None, text: str) -> None:
        self.pane.status.emit(text)
        if dialog is not None and shiboken6.isValid(dialog):  # the user may have closed it while it saved
            dialog.close()
