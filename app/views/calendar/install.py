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
from app.views.calendar.modes import ModeSwitch, mode_switch, register_mode
from app.views.calendar.pane import CalendarPane

if TYPE_CHECKING:
    from app.services.calendar import CalendarService

CALENDAR = "Calendar"


@dataclass
class CalendarUi:
    """What :func:`install_calendar` added (for tests and the screenshot commands)."""

    service: CalendarService
    pane: CalendarPane
    commands: CalendarCommands
    action: QAction
    switch: ModeSwitch

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
    return CalendarUi(service, pane, commands, action, switch)
