"""Reminders: the pure rules (what is due, dismiss, snooze, the words) and the reminder window against the
emulator with real events and an injected clock (no sleeping)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.calendar import CalendarRef, Event, EventDraft
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.reminders import (
    MAX_AHEAD,
    NEAR_AHEAD,
    OVERDUE_FOR,
    WIDE_EVERY,
    ReminderState,
    due_reminders,
    due_text,
    look_ahead,
    merge_loads,
    next_change,
    reminder_key,
    wide_load_due,
)
from app.domain.rights import FolderRights
from app.ews import calendar
from app.settings import REMINDER_CALENDARS, REMINDER_STATE, Settings
from tests.app.ews.conftest import signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import open_calendar

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE)
OWN = "alice@example.com"
SUPPORT = "support@example.com"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CAL = CalendarRef(FolderRef(OWN, "cal-id", "calendar"), "Calendar", Person(OWN), FolderRights.full())


def ev(subject: str, start: datetime, minutes: int | None = 15, *, item: str = "", kind: str = "Single",
       length: int = 30) -> Event:
    return Event(item or f"id-{subject}", "ck", CAL.folder, subject, start, start + timedelta(minutes=length),
                 reminder_minutes=minutes, kind=kind, uid=f"uid-{subject}")


# -- the rules ----------------------------------------------------------------------------------------------------
def test_due_when_the_reminder_time_has_come_and_not_before() -> None:
    state = ReminderState()
    standup = ev("Stand-up", T0 + timedelta(minutes=10))  # reminds at 08:55
    later = ev("Review", T0 + timedelta(hours=2))
    silent = ev("Lunch", T0 + timedelta(minutes=5), minutes=None)
    master = ev("Series", T0 + timedelta(minutes=5), kind="RecurringMaster")
    entries = [(CAL, e) for e in (later, silent, standup, master)]
    assert [r.event.subject for r in due_reminders(entries, T0 - timedelta(minutes=6), state)] == []
    assert [r.event.subject for r in due_reminders(entries, T0 - timedelta(minutes=5), state)] == ["Stand-up"]
    assert next_change(entries, T0, state) == later.start - timedelta(minutes=15)
    # overdue until 12 hours after its end, then gone
    assert due_reminders(entries, standup.end + timedelta(hours=11), state)
    assert not [r for r in due_reminders(entries, standup.end + timedelta(hours=13), state)
                if r.event.subject == "Stand-up"]


def test_dismiss_and_snooze_per_occurrence_and_through_json() -> None:
    monday = ev("Stand-up", T0, item="occ-1")
    wednesday = ev("Stand-up", T0 + timedelta(days=2), item="occ-2")
    assert reminder_key(monday) != reminder_key(wednesday)
    state = ReminderState()
    state.dismiss(monday)
    entries = [(CAL, monday), (CAL, wednesday)]
    assert due_reminders(entries, T0, state) == []  # Wednesday's is not due yet, Monday's dismissed
    assert len(due_reminders(entries, wednesday.start, state)) == 1
    state.snooze(wednesday, wednesday.start + timedelta(minutes=5))
    assert due_reminders(entries, wednesday.start + timedelta(minutes=4), state) == []
    assert [r.key for r in due_reminders(entries, wednesday.start + timedelta(minutes=5), state)] == [
        reminder_key(wednesday)]
    again = ReminderState.from_json(state.to_json())  # what a restart reads from the settings
    assert again.dismissed.keys() == state.dismissed.keys() and again.snoozed == state.snoozed
    assert due_reminders(entries, T0, again) == []
    assert ReminderState.from_json({"dismissed": {"k": "not a time"}, "snoozed": []}).dismissed == {}
    again.prune(monday.end + timedelta(days=3))
    assert reminder_key(monday) not in again.dismissed


def test_words_for_when() -> None:
    meeting = ev("Sync", T0)
    assert due_text(meeting, T0 - timedelta(minutes=10)) == "in 10 minutes"
    assert due_text(meeting, T0 - timedelta(minutes=9, seconds=30)) == "in 10 minutes"
    assert due_text(meeting, T0 - timedelta(minutes=90)) == "in 1 hour 30 min"
    assert due_text(meeting, T0 + timedelta(seconds=20)) == "now"
    assert due_text(meeting, T0 + timedelta(minutes=25)) == "overdue by 25 minutes"


def test_reminders_set_days_ahead_are_in_the_loads_and_fall_due() -> None:
    """An all-day event with a reminder two days before: the wide load (14 days) has it; the near load that
    follows looks as far ahead as that reminder needs, so it is due at its time, from fresh data."""
    offsite = Event("id-offsite", "ck", CAL.folder, "Offsite", T0 + timedelta(days=2, hours=-9),
                    T0 + timedelta(days=3, hours=-9), all_day=True, reminder_minutes=2 * 24 * 60, uid="uid-offsite")
    standup = ev("Stand-up", T0 + timedelta(minutes=30))
    huge = ev("Far", T0 + timedelta(days=40), minutes=60 * 24 * 30)  # a month: capped
    assert look_ahead([]) == NEAR_AHEAD and look_ahead([standup]) == NEAR_AHEAD
    assert look_ahead([standup, offsite]) == timedelta(days=2) + WIDE_EVERY
    assert look_ahead([huge]) == MAX_AHEAD
    assert look_ahead([ev("Series", T0, minutes=60 * 24 * 5, kind="RecurringMaster")]) == NEAR_AHEAD
    # the wide load's schedule: first time, every 15 minutes, and again when the clock went back
    assert wide_load_due(None, T0) and not wide_load_due(T0, T0 + timedelta(minutes=14))
    assert wide_load_due(T0, T0 + WIDE_EVERY) and wide_load_due(T0, T0 - timedelta(minutes=1))

    now = offsite.start - timedelta(days=2) + timedelta(minutes=1)  # one minute past the offsite's reminder
    wide = [standup, offsite]  # what the wide load found 10 minutes ago
    until = now + look_ahead(wide)
    assert offsite.start < until  # the near load reaches it ...
    assert now + NEAR_AHEAD < offsite.start  # ... where a day's look-ahead would not
    renamed = Event("id-offsite", "ck2", CAL.folder, "Offsite (renamed)", offsite.start, offsite.end, all_day=True,
                    reminder_minutes=2 * 24 * 60, uid="uid-offsite")
    merged = merge_loads([standup, renamed], until, [*wide, huge])
    assert merged == [standup, renamed, huge]  # the wide load's stale copy inside the near range is dropped
    due = due_reminders([(CAL, e) for e in merged], now, ReminderState())
    assert [r.event.subject for r in due] == ["Offsite (renamed)"]
    assert due_reminders([(CAL, e) for e in merge_loads([standup], now + NEAR_AHEAD, [])], now,
                         ReminderState()) == []  # what a 24 h look-ahead found: nothing due


# -- the window against the emulator ---------------------------------------------------------------------------
def _create(emu, mailbox: str, subject: str, start: datetime, reminder: int) -> Event:
    alice = signed_in(emu, "alice").client
    draft = EventDraft(calendar=FolderRef(mailbox, well_known="calendar"), subject=subject, start=start,
                       end=start + timedelta(minutes=30), reminder_minutes=reminder)
    return calendar.create_event(alice, draft)


def _subjects(window) -> list[str]:
    return [window.table.topLevelItem(n).text(0) for n in range(window.table.topLevelItemCount())]


def test_a_reminder_due_now_pops_up_and_is_dismissed_snoozed_and_opened(qtbot, fresh_emulator, drive) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    _create(fresh_emulator, OWN, "Call the printer vendor", now + timedelta(minutes=10), 15)
    _create(fresh_emulator, OWN, "Quarterly numbers", now + timedelta(minutes=3), 5)
    _create(fresh_emulator, OWN, "Not yet", now + timedelta(hours=3), 15)
    _create(fresh_emulator, SUPPORT, "Support rota handover", now + timedelta(minutes=1), 10)
    d = drive(fresh_emulator, "alice")
    ui = d.window.calendar
    service, window = ui.reminders, ui.reminder_window
    service.clock = lambda: now
    qtbot.waitUntil(lambda: any(c.folder.mailbox == OWN for c in service.calendars.values()), timeout=WAIT_MS)
    loads = service.loads
    service.load_events()
    qtbot.waitUntil(lambda: service.loads > loads and "Call the printer vendor" in _subjects(window), timeout=WAIT_MS)
    assert window.isVisible() and not window.isModal()
    assert {"Call the printer vendor", "Quarterly numbers"} <= set(_subjects(window))
    assert "Not yet" not in _subjects(window)
    assert "Support rota handover" not in _subjects(window)  # support@'s calendar does not remind by default
    row = _subjects(window).index("Call the printer vendor")
    assert window.table.topLevelItem(row).text(3) == "in 10 minutes"
    assert window.table.topLevelItem(row).text(1).endswith("Calendar")

    # Dismiss: gone, and remembered in the settings (a restart reads it from there)
    window.select("Call the printer vendor")
    QTest.mouseClick(window.dismiss_button, Qt.MouseButton.LeftButton)
    assert "Call the printer vendor" not in _subjects(window)
    saved = ReminderState.from_json(Settings.load(d.app.settings.path)[REMINDER_STATE])  # on disk
    assert any(k.endswith(f"@{now + timedelta(minutes=10):%Y%m%dT%H%M%SZ}") for k in saved.dismissed)

    # Snooze 5 minutes: gone until the clock passes it
    window.select("Quarterly numbers")
    window.snooze_choice.setCurrentIndex(window.snooze_choice.findData(5))
    QTest.mouseClick(window.snooze_button, Qt.MouseButton.LeftButton)
    assert "Quarterly numbers" not in _subjects(window)
    service.clock = lambda: now + timedelta(minutes=5)
    service.check()
    assert "Quarterly numbers" in _subjects(window)
    row = _subjects(window).index("Quarterly numbers")
    assert window.table.topLevelItem(row).text(3) == "overdue by 2 minutes"

    # Turn support@'s calendar on from the calendar list's context menu
    pane = open_calendar(d, OWN, SUPPORT)
    support = pane.calendar_named(SUPPORT)
    menu = pane.calendar_list.menu_for(support)
    remind = next(a for a in menu.actions() if a.objectName() == "action_calendar_remind")
    assert not remind.isChecked()
    remind.trigger()
    qtbot.waitUntil(lambda: "Support rota handover" in _subjects(window), timeout=WAIT_MS)
    assert any(v for k, v in d.app.settings[REMINDER_CALENDARS].items() if k.startswith(SUPPORT))
    assert pane.calendar_list.menu_for(support).actions()[0].isChecked()

    # Open: the event dialog of that event
    window.select("Support rota handover")
    QTest.mouseClick(window.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(getattr(getattr(w, "event", None), "subject", "") == "Support rota handover"
                                for w in ui.commands.dialogs), timeout=WAIT_MS)
    for dialog in list(ui.commands.dialogs):
        dialog.close()
    qtbot.waitUntil(lambda: not ui.commands.dialogs, timeout=WAIT_MS)

    # Dismiss all: the window goes away
    QTest.mouseClick(window.dismiss_all_button, Qt.MouseButton.LeftButton)
    assert _subjects(window) == [] and not window.isVisible()


def test_a_reminder_two_days_before_its_event_pops_up(qtbot, fresh_emulator, drive) -> None:
    """Against the emulator: an event 2 days and 2 hours ahead, reminding 2 days and 3 hours before, is due now;
    the service's loads reach it (the wide one, then the near one as far as that reminder needs)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    _create(fresh_emulator, OWN, "Board offsite", now + timedelta(days=2, hours=2), (2 * 24 + 3) * 60)
    d = drive(fresh_emulator, "alice")
    service, window = d.window.calendar.reminders, d.window.calendar.reminder_window
    service.clock = lambda: now
    qtbot.waitUntil(lambda: "Board offsite" in _subjects(window), timeout=WAIT_MS)  # the wide load at start
    key = next(k for k, c in service.calendars.items() if c.folder.mailbox == OWN and service.reminds(c))
    assert "Board offsite" in [e.subject for e in service.wide[key][1]]  # the wide load (14 days ahead) has it
    # minutes later (the first load ran at `now` or, if before the clock was set, within seconds of it): a near
    # load, as far ahead as that reminder needs
    service.clock = lambda: now + timedelta(minutes=5)
    loads = service.loads
    service.load_events()
    qtbot.waitUntil(lambda: service.loads > loads, timeout=WAIT_MS)
    start, end = service.spans[key]
    assert end - start == OVERDUE_FOR + timedelta(days=2, hours=3) + WIDE_EVERY
    assert "Board offsite" in _subjects(window)
