"""``--screenshot-dialog meeting-request|reminders`` for :mod:`app.screenshot` (demo mode, user alice).

meeting-request: alice invites support@ from her own calendar (the demo tenant is a scratch copy), then opens
support@'s Inbox and selects the request: the reading pane shows the meeting bar. reminders: an event in alice's
calendar starting in ten minutes with a fifteen-minute reminder pops up the reminder window.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from PySide6.QtWidgets import QWidget

from app.domain.calendar import Attendee, EventDraft
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.views.screenshot_wait import Ready, when

SUPPORT = "support@example.com"
SUBJECT = "Quarterly service review"


def screenshot_meeting_request(window: Any, ready: Ready) -> Any:
    ui = window.calendar
    user = window.user.address
    start = (datetime.now(ui.pane.tz) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    draft = EventDraft(calendar=FolderRef(user, well_known="calendar"), subject=SUBJECT, start=start,
                       end=start + timedelta(hours=1), location="Room 101",
                       body_text="Agenda: open tickets, response times, the holiday rota.",
                       attendees=[Attendee(Person(SUPPORT, "Support Team"))])
    model = window.list_model
    bar = window.reading_pane.meeting_bar

    def row_of_request() -> int:
        folder = window.folder
        if folder is None or folder.mailbox.casefold() != SUPPORT or model.is_loading():
            return -1
        return next((r for r in range(model.rowCount()) if model.summary(r).subject == SUBJECT), -1)

    def select() -> None:
        window.list_view.select_row(row_of_request())
        when(lambda: bar.info is not None, lambda: ready(window), window)

    def sent(_event: Any) -> None:
        folder = window.folder
        if folder is not None and folder.mailbox.casefold() == SUPPORT and folder.well_known == "inbox":
            window.commands.refresh()  # the demo opens support@'s Inbox at start: reload it
        else:
            window.open_location(SUPPORT, "inbox")
        when(lambda: row_of_request() >= 0, select, window)

    ui.service.create_event(draft, True, on_result=sent)
    return window


def screenshot_reminders(window: Any, ready: Ready) -> QWidget:
    ui = window.calendar
    user = window.user.address
    now = datetime.now(ui.pane.tz).replace(second=0, microsecond=0)
    reminders, shown = ui.reminders, ui.reminder_window
    drafts = [EventDraft(calendar=FolderRef(user, well_known="calendar"), subject=subject, start=start,
                         end=start + timedelta(minutes=30), location=where, reminder_minutes=minutes)
              for subject, start, where, minutes in (
                  ("Call the printer vendor", now + timedelta(minutes=10), "Phone", 15),
                  ("Quarterly numbers to finance", now - timedelta(minutes=20), "", 30),
                  ("Team lunch", now + timedelta(minutes=1), "Canteen", 5))]
    left = {"n": len(drafts)}

    def created(_event: Any) -> None:
        left["n"] -= 1
        if left["n"] == 0:
            reminders.refresh()

    for draft in drafts:
        ui.service.create_event(draft, False, on_result=created)
    when(lambda: shown.isVisible() and shown.table.topLevelItemCount() >= len(drafts), lambda: ready(shown),
          shown)
    return shown
