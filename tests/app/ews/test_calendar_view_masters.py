"""Series a server lists unexpanded in a CalendarView (grommunio Gromox): Mailroom computes their occurrences.

The emulator answers that way with the ``calendar-view-masters`` quirk. The same calendar is read first as Exchange
answers (the server expands), then with the quirk switched on: what the client computes must match what the
server computed, changed and removed occurrences included, across a daylight-saving change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from exchangelib import CalendarItem, EWSDate, EWSDateTime, EWSTimeZone
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    NoEndPattern,
    NumberedPattern,
    Recurrence,
    RelativeMonthlyPattern,
    WeeklyPattern,
)

from app.domain.calendar import EventDraft
from app.ews import calendar
from ews_emulator.quirks import Quirks
from tests.app.ews.conftest import signed_in
from tests.support.emulator import account

BERLIN = EWSTimeZone("Europe/Berlin")
START = datetime(2027, 10, 18, tzinfo=UTC)  # summer time in Berlin ends on Sunday 31 October 2027
END = datetime(2027, 12, 6, tzinfo=UTC)


def _series(acc, subject: str, first: EWSDateTime, minutes: int, pattern, boundary) -> None:
    CalendarItem(account=acc, folder=acc.calendar, subject=subject, start=first,
                 end=first + timedelta(minutes=minutes),
                 recurrence=Recurrence(pattern=pattern, boundary=boundary)).save()


def _shown(events) -> list[tuple[str, datetime, datetime, str]]:
    return [(e.subject, e.start, e.end, e.item_id if e.kind == "Exception" else "") for e in events]


def test_series_listed_unexpanded_are_computed_as_exchange_expands_them(fresh_emulator) -> None:
    acc = account(fresh_emulator, "alice")
    first = EWSDateTime(2027, 10, 18, 9, 0, tzinfo=BERLIN)
    _series(acc, "Planning", first, 45, WeeklyPattern(interval=1, weekdays=[1, 4], first_day_of_week=1),
            NumberedPattern(start=EWSDate(2027, 10, 18), number=8))
    _series(acc, "Review", EWSDateTime(2027, 1, 29, 15, 0, tzinfo=EWSTimeZone("UTC")), 60,
            RelativeMonthlyPattern(interval=1, weekday=5, week_number=5), NoEndPattern(start=EWSDate(2027, 1, 29)))
    _series(acc, "Month end", EWSDateTime(2027, 1, 31, 7, 0, tzinfo=EWSTimeZone("UTC")), 30,
            AbsoluteMonthlyPattern(interval=1, day_of_month=31), NoEndPattern(start=EWSDate(2027, 1, 31)))
    alice = signed_in(fresh_emulator, "alice").client
    [cal] = [c for c in calendar.list_calendars(alice, [alice.user.address]) if c.folder.well_known == "calendar"]
    # One occurrence changed, one removed, through the normal (expanded) view.
    planning = [e for e in calendar.events(alice, cal, START, END) if e.subject == "Planning"]
    third, fifth = planning[2], planning[4]
    calendar.update_event(alice, third.item_id, EventDraft(
        calendar=cal.folder, subject="Planning (moved)", start=third.start + timedelta(hours=3),
        end=third.end + timedelta(hours=3), change_key=third.change_key), scope="occurrence")
    calendar.delete_event(alice, fifth, scope="occurrence")
    expected = calendar.events(alice, cal, START, END)
    assert not any(e.kind == "RecurringMaster" for e in expected)

    fresh_emulator.backend.quirks = Quirks(["calendar-view-masters"])
    got = calendar.events(alice, cal, START, END)

    assert _shown(got) == _shown(expected)
    assert len([e for e in got if e.subject.startswith("Planning")]) == 7  # 8, one removed
    assert datetime(2027, 11, 1, 8, 0, tzinfo=UTC) not in {e.start for e in got}  # the removed one
    # 09:00 in Berlin on both sides of the change: 07:00 UTC in summer time, 08:00 after.
    starts = {e.start for e in got if e.subject == "Planning"}
    assert datetime(2027, 10, 18, 7, 0, tzinfo=UTC) in starts and datetime(2027, 11, 4, 8, 0, tzinfo=UTC) in starts
    assert [e.start.date().isoformat() for e in got if e.subject == "Month end"] == ["2027-10-31", "2027-11-30"]
    computed = [e for e in got if e.computed]
    assert computed and all(e.kind == "RecurringMaster" and e.item_id and not e.series_id for e in computed)
    [moved] = [e for e in got if e.subject == "Planning (moved)"]
    assert moved.kind == "Exception" and not moved.computed and moved.series_id
    assert {e.item_id for e in computed if e.subject == "Planning"} == {moved.series_id}
    alice.close()


def test_by_default_the_server_expands_and_nothing_is_computed(emulator, alice) -> None:
    [cal] = [c for c in calendar.list_calendars(alice, ["support@example.com"]) if c.folder.well_known == "calendar"]
    now = datetime.now(UTC)
    shown = calendar.events(alice, cal, now - timedelta(days=7), now + timedelta(days=7))
    assert shown and not any(e.computed for e in shown)
    assert any(e.kind == "Occurrence" for e in shown)
