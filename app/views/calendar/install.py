"""``install_calendar(window)``: the Calendar mode in an existing main window (one call at the end of its
``__init__``). Builds the :class:`~app.services.calendar.CalendarService` unless the window's services carry one,
registers the pane in the mode switch (View ▸ Calendar, Ctrl+2) and keeps its calendar list in step with the
open mailboxes while it is shown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction

from app.tasks import TaskRunner
from app.views.calendar.commands import CalendarCommands
from app.views.calendar.ics_commands import IcsCommands
from app.views.calendar.meeting_requests import MeetingRequests
from app.views.calendar.modes import ModeSwitch, mode_switch, register_mode
from app.views.calendar.pane import CalendarPane
from app.views.calendar.quit_guard import UnsavedEventsGuard
from app.views.calendar.reminders_view import ReminderWindow

if TYPE_CHECKING:
    from app.services.calendar import CalendarService
    from app.services.reminders import ReminderService

CALENDAR = "Calendar"


@dataclass
class CalendarUi:
    """What :func:`install_calendar` added (for tests and the screenshot commands)."""

    service: CalendarService
    pane: CalendarPane
    commands: CalendarCommands
    action: QAction
    switch: ModeSwitch
    meetings: MeetingRequests | None = None
    ics: IcsCommands | None = None
    reminders: ReminderService | None = None
    reminder_window: ReminderWindow | None = None
    quit_guard: UnsavedEventsGuard | None = None

    def show(self) -> CalendarPane:
        """Switch the window to the Calendar mode."""
        self.switch.show(CALENDAR)
        return self.pane


def install_calendar(window: Any, runner: TaskRunner | None = None, service: CalendarService | None = None,
                     tz: Any = None) -> CalendarUi:
    """Add the Calendar mode to ``window`` (a :class:`~app.views.main_window.MainWindow`).

    Args:
        window: The main window, fully built.
        runner: The task runner (default: the one the window's services share).
        service: The calendar service (default: ``window.services.calendar`` or a new one).
        tz: The time zone the views show (default: the user's).
    """
    from app.services.calendar import CalendarService  # not at import time: it reaches app.ews (exchangelib)
    from app.services.meetings import MeetingService

    services = window.services
    runner = runner or getattr(services, "runner", None) or services.mail._runner
    service = service or getattr(services, "calendar", None) or CalendarService(
        runner, lambda: services.session.client, window)
    mailboxes = services.mailboxes
    pane = CalendarPane(service, user=lambda: window.user, mailboxes=mailboxes.addresses,
                        display_name=lambda a: mailboxes.mailbox_ref(a).display_name, tz=tz, parent=window)
    pane.status.connect(window.show_status)
    pane.error.connect(window.show_error)
    commands = CalendarCommands(window, pane, service, services.session.resolve_names)
    pane.commands = commands
    action = register_mode(window, CALENDAR, pane, on_enter=pane.refresh_calendars)
    switch = mode_switch(window)
    pending = QTimer(pane)
    pending.setSingleShot(True)
    pending.setInterval(150)
    pending.timeout.connect(lambda: pane.refresh_calendars() if switch.current() == CALENDAR else None)
    mailboxes.mailbox_opened.connect(lambda *_: pending.start())
    mailboxes.mailbox_removed.connect(lambda *_: pending.start())
    meeting_service = MeetingService(runner, lambda: services.session.client, window)
    meeting_service.calendar_changed.connect(service.calendar_changed)
    meetings = MeetingRequests(window.reading_pane, meeting_service,
                               lambda: window.folder.mailbox if window.folder is not None else None, pane.tz,
                               window.show_status)
    ics = IcsCommands(window, pane, service)
    window.reading_pane.add_to_calendar_requested.connect(lambda info: _add_attachment(window, ics, info))
    reminders, reminder_window = _install_reminders(window, runner, pane, commands)
    guard = UnsavedEventsGuard(window, lambda: commands.dialogs)
    return CalendarUi(service, pane, commands, action, switch, meetings, ics, reminders, reminder_window, guard)


def _install_reminders(window: Any, runner: TaskRunner, pane: CalendarPane,
                       commands: CalendarCommands) -> tuple[ReminderService, ReminderWindow]:
    """The reminder service (started at sign-in, following the open mailboxes) and its window; the calendar
    list's context menu turns a calendar's reminders on and off."""
    from app.services.reminders import ReminderService

    services = window.services
    user = lambda: window.user.address if window.user is not None else ""  # noqa: E731
    reminders = ReminderService(runner, lambda: services.session.client, services.session.settings,
                                mailboxes=lambda: [window.user or user(), *services.mailboxes.mailboxes()],
                                user=user,
                                parent=window)
    reminder_window = ReminderWindow(reminders, pane.tz,
                                     lambda r: commands.open_event_in(r.calendar, r.event), window)
    reminders.error.connect(lambda text: window.show_status(f"Reminders: {text}"))
    pane.calendar_list.reminds = reminders.reminds
    pane.calendar_list.reminders_toggled.connect(reminders.set_reminds)
    services.session.signed_in.connect(lambda _r: reminders.start())
    follow = QTimer(window)
    follow.setSingleShot(True)
    follow.setInterval(500)
    follow.timeout.connect(reminders.refresh)
    services.mailboxes.mailbox_opened.connect(lambda *_: follow.start() if window.user is not None else None)
    services.mailboxes.mailbox_removed.connect(lambda *_: follow.start() if window.user is not None else None)
    return reminders, reminder_window


def _add_attachment(window: Any, ics: IcsCommands, info: Any) -> None:
    """"Add to calendar…" on an .ics attachment: fetch it (in a worker), then preview what it would create."""
    detail = window.reading_pane.current()
    folder = window.folder
    if detail is None or folder is None:
        return
    window.show_status(f"Fetching {info.name} …")
    window.services.lookups.attachment_content(folder.mailbox, detail.summary.item_id, info.attachment_id,
                                               lambda data: ics.preview_data(data, info.name), window.show_error)
