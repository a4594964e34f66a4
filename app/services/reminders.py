"""Reminders while Mailroom runs: the events of the calendars the user chose, checked every minute.

At sign-in and every :data:`INTERVAL_MS` the service lists the open mailboxes' calendars (when that set changed)
and loads every reminding calendar - one CalendarView per calendar, on that mailbox's task queue. Every
:data:`~app.domain.reminders.WIDE_EVERY` (15 minutes) that load is wide (the next 14 days, for reminders set days
before their event); in between it is near: the next 24 hours, or as far as the longest reminder of the last wide
load needs (:func:`~app.domain.reminders.look_ahead`), so each minute loads no more than the reminders in play
require. An event created with a reminder longer than a day and already due shows at the next wide load.
What is due comes from :mod:`app.domain.reminders` with the service's clock (injectable: tests set it); a
one-shot timer wakes the service when the next reminder falls due between two loads. Dismissals and snoozes are
kept in the settings, so a dismissed reminder stays dismissed after a restart.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.domain.calendar import CalendarRef, Event
from app.domain.errors import Cancelled, user_message
from app.domain.mailbox import MailboxRef
from app.domain.reminders import (
    MAX_AHEAD,
    OVERDUE_FOR,
    Reminder,
    ReminderState,
    due_reminders,
    look_ahead,
    merge_loads,
    next_change,
    wide_load_due,
)
from app.ews import calendar
from app.settings import REMINDER_CALENDARS, REMINDER_STATE, Settings
from app.tasks import TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

INTERVAL_MS = 60_000
QUEUE = "#reminders"


def calendar_setting_key(cal: CalendarRef) -> str:
    """How the settings name a calendar: ``mailbox/folder id`` (or the well-known name)."""
    return f"{cal.folder.mailbox.casefold()}/{cal.folder.folder_id or cal.folder.well_known}"


class ReminderService(QObject):
    """Finds due reminders in the calendars the user chose.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient``.
        settings: The settings (which calendars remind; dismissed and snoozed reminders).
        mailboxes: The open mailboxes, addresses or refs (with display names), the user's own among them.
        user: The signed-in user's address.
        clock: Now, aware (default: the system clock in UTC).
        interval_ms: How often the events are loaded again.
        parent: Qt parent.

    Signals:
        reminders_changed(list[Reminder]): the due reminders changed (the reminder window shows them).
        new_reminders(list[Reminder]): reminders that fell due since the last check (pop the window up).
        calendars_changed(): the list of calendars, or which of them remind, changed.
        error(str): loading failed (user-facing text).
    """

    reminders_changed = Signal(object)
    new_reminders = Signal(object)
    calendars_changed = Signal()
    error = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient], settings: Settings, *,
                 mailboxes: Callable[[], Iterable[str | MailboxRef]], user: Callable[[], str],
                 clock: Callable[[], datetime] | None = None, interval_ms: int = INTERVAL_MS,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._settings = settings
        self._mailboxes = mailboxes
        self._user = user
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.state = ReminderState.from_json(settings[REMINDER_STATE])
        self.calendars: dict[Hashable, CalendarRef] = {}
        self.events: dict[Hashable, list[Event]] = {}  # what reminds: the near load merged with the wide one
        self.wide: dict[Hashable, tuple[datetime, list[Event]]] = {}  # the last wide load: when, what
        self.spans: dict[Hashable, tuple[datetime, datetime]] = {}  # the last range asked for, per calendar
        self._listed_for: tuple[str, ...] = ()
        self._shown: set[str] = set()
        self._by_hand: set[Hashable] = set()
        self._due: list[Reminder] = []
        self.loads = 0  # event loads that arrived (tests wait on it)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._wake = QTimer(self)
        self._wake.setSingleShot(True)
        self._wake.timeout.connect(self.check)

    # -- running -----------------------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin: load now, then every interval."""
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()
        self._wake.stop()

    def refresh(self) -> None:
        """List the calendars when the open mailboxes changed, then load the chosen calendars' next day."""
        refs = {(m.address if isinstance(m, MailboxRef) else m).casefold(): m for m in self._mailboxes() if m}
        boxes = tuple(refs)
        if not boxes:
            return
        if boxes != self._listed_for:
            self._listed_for = boxes
            client = self._client()
            asked = list(refs.values())
            self._submit(lambda: calendar.list_calendars(client, asked), QUEUE, "List calendars (reminders)",
                         self._on_calendars)
            return
        self.load_events()

    def _on_calendars(self, found: list[CalendarRef]) -> None:
        listed = {c.folder.key: c for c in found if not c.free_busy_only}
        # calendars turned on by hand that no open mailbox lists (a colleague's, opened at folder level) stay
        listed.update({k: c for k, c in self.calendars.items() if k in self._by_hand and k not in listed})
        self.calendars = listed
        self.events = {k: v for k, v in self.events.items() if k in self.calendars}
        self.wide = {k: v for k, v in self.wide.items() if k in self.calendars}
        self.calendars_changed.emit()
        self.load_events()

    def load_events(self, only: CalendarRef | None = None) -> None:
        """Load every reminding calendar (or only ``only``): from ``now - 12 h`` to 14 days ahead when its wide
        load is due, else as far ahead as its reminders need (at least 24 h)."""
        now = self.clock()
        client = self._client()
        for cal in ([only] if only is not None else self.calendars.values()):
            if not self.reminds(cal):
                continue
            key = cal.folder.key
            last = self.wide.get(key)
            wide = last is None or only is not None or wide_load_due(last[0], now)
            end = now + (MAX_AHEAD if wide or last is None else look_ahead(last[1]))
            start = now - OVERDUE_FOR
            self.spans[key] = (start, end)
            self._submit(lambda c=cal, s=start, e=end: calendar.events(client, c, s, e), cal.folder.mailbox,
                         f"Reminders of {cal.name}",
                         lambda found, k=key, e=end, w=wide, t=now: self._on_events(k, found, e, t if w else None))
        self.check()

    def _on_events(self, key: Hashable, found: list[Event], until: datetime, wide_at: datetime | None) -> None:
        if key in self.calendars and self.reminds(self.calendars[key]):
            if wide_at is not None:
                self.wide[key] = (wide_at, found)
                self.events[key] = found
            else:
                self.events[key] = merge_loads(found, until, self.wide.get(key, (until, []))[1])
        self.loads += 1
        self.check()

    def _submit(self, fn: Callable[[], Any], key: str, description: str, done: Callable[[Any], None]) -> None:
        try:
            self._runner.run(fn, key=key, description=description, on_result=done, on_error=self._failed)
        except RuntimeError:  # the runner is shut down: the app is closing
            self.stop()

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, Cancelled):
            self.error.emit(user_message(error))

    # -- what is due -------------------------------------------------------------------------------------------
    def entries(self) -> list[tuple[CalendarRef, Event]]:
        return [(self.calendars[k], e) for k, events in self.events.items() if k in self.calendars
                for e in events]

    def due(self) -> list[Reminder]:
        return list(self._due)

    def check(self) -> list[Reminder]:
        """Work out what is due now; emit the changes; wake up again at the next reminder."""
        now = self.clock()
        self.state.prune(now)
        entries = self.entries()
        due = due_reminders(entries, now, self.state)
        if due != self._due or due:  # also when unchanged: the window's "in 10 minutes" moves on
            self._due = due
            self.reminders_changed.emit(due)
        fresh = [r for r in due if r.key not in self._shown]
        if fresh:
            self._shown.update(r.key for r in fresh)
            self.new_reminders.emit(fresh)
        self._shown &= {r.key for r in due}
        upcoming = next_change(entries, now, self.state)
        self._wake.stop()
        if upcoming is not None:
            wait = (upcoming - now).total_seconds() * 1000
            self._wake.start(int(min(max(wait, 0), 2**31 - 1)))
        return due

    # -- the user's choices ------------------------------------------------------------------------------------
    def reminds(self, cal: CalendarRef) -> bool:
        """Whether this calendar reminds (default: only the user's own main calendar)."""
        chosen = self._settings[REMINDER_CALENDARS].get(calendar_setting_key(cal))
        if chosen is not None:
            return bool(chosen)
        return (cal.folder.mailbox.casefold() == (self._user() or "").casefold()
                and cal.folder.well_known == "calendar" and not cal.free_busy_only)

    def set_reminds(self, cal: CalendarRef, on: bool) -> None:
        """Turn this calendar's reminders on or off (kept in the settings)."""
        chosen = dict(self._settings[REMINDER_CALENDARS])
        chosen[calendar_setting_key(cal)] = on
        self._settings.set(REMINDER_CALENDARS, chosen)
        self._save()
        if on:
            if cal.folder.key not in self.calendars:
                self._by_hand.add(cal.folder.key)
                self.calendars[cal.folder.key] = cal
            self.load_events(cal)
        else:
            self.events.pop(cal.folder.key, None)
            self.wide.pop(cal.folder.key, None)
            self.check()
        self.calendars_changed.emit()

    def dismiss(self, reminders: Iterable[Reminder]) -> None:
        for reminder in reminders:
            self.state.dismiss(reminder.event)
        self._save()
        self.check()

    def dismiss_all(self) -> None:
        self.dismiss(self._due)

    def snooze(self, reminders: Iterable[Reminder], minutes: int) -> None:
        """Remind again ``minutes`` from now."""
        until = self.clock() + timedelta(minutes=minutes)
        for reminder in reminders:
            self.state.snooze(reminder.event, until)
        self._save()
        self.check()

    def _save(self) -> None:
        self._settings.set(REMINDER_STATE, self.state.to_json())
        with contextlib.suppress(OSError):  # a full disk must not stop reminders; the state stays in memory
            self._settings.save()
