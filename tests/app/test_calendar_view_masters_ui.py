"""The Calendar mode on a server that lists series unexpanded (the emulator's ``calendar-view-masters`` quirk):
the support stand-up still shows on each of its days; a computed occurrence opens its series and cannot be
dragged on its own; a series whose pattern cannot be computed is said to be shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from exchangelib import CalendarItem, EWSDate, EWSDateTime, EWSTimeZone
from exchangelib.recurrence import NoEndPattern, Recurrence, RelativeYearlyPattern

from tests.support.app_driver import WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import double_click, ews, last_dialog, open_calendar, placed, wait_loaded

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

OWN = "alice@example.com"
SUPPORT = "support@example.com"
STANDUP = "Support stand-up"


def test_a_series_sent_unexpanded_shows_on_each_of_its_days(qtbot, start_fresh_emulator, drive) -> None:
    emu = start_fresh_emulator(quirks=["calendar-view-masters"])
    d = drive(emu, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    shown = placed(pane, SUPPORT, STANDUP)
    assert sorted(p.day for p in shown) == [0, 2, 4]  # Monday, Wednesday, Friday, as Exchange expands it
    assert all(p.event.computed for p in shown)
    wednesday = next(p for p in shown if p.day == 2)

    statuses: list[str] = []
    pane.status.connect(statuses.append)
    pane.commands.move_event(wednesday.key, wednesday.event, wednesday.event.start + timedelta(hours=1),
                             wednesday.event.end + timedelta(hours=1))
    assert statuses[-1].startswith("This server lists only the whole series")

    double_click(d, pane.grid, wednesday)  # no "this occurrence or the series?" question: it is the series
    dialog = last_dialog(d, pane, "eventDialog")
    assert dialog.scope == "" and dialog.recurrence.isEnabled()
    dialog.reject()


def test_a_series_that_cannot_be_computed_is_said_to_be_shown_once(qtbot, start_fresh_emulator, drive) -> None:
    emu = start_fresh_emulator(quirks=["calendar-view-masters"])
    acc = ews(emu, "alice", OWN)
    d = drive(emu, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    start, _end = pane.bounds()
    first = EWSDateTime.from_datetime(start + timedelta(days=1, hours=10)).astimezone(EWSTimeZone("UTC"))
    # Relative yearly (e.g. "the second Tuesday of December"): a pattern Mailroom does not read, so cannot compute.
    pattern = RelativeYearlyPattern(weekday=first.isoweekday(), week_number=min(5, (first.day - 1) // 7 + 1), month=first.month)
    CalendarItem(account=acc, folder=acc.calendar, subject="Annual review", start=first,
                 end=first + timedelta(hours=1),
                 recurrence=Recurrence(pattern=pattern,
                                       boundary=NoEndPattern(start=EWSDate(first.year, first.month, first.day)))).save()
    statuses: list[str] = []
    pane.status.connect(statuses.append)
    pane.reload()
    wait_loaded(d, pane)
    qtbot.waitUntil(lambda: any("Annual review" in s for s in statuses), timeout=10_000)
    said = next(s for s in statuses if "Annual review" in s)
    assert "sent only the series" in said and "shown once" in said
