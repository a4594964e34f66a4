"""app.ews.calendar.events over a range holding more entries than Exchange answers at once (EWSFindCountLimit,
1000): the client asks again from the last start received until the range is complete, each entry once.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from exchangelib.properties import CalendarView

from app.domain.errors import ServerError
from app.ews import calendar
from app.ews.addressing import folder_id, folder_object
from app.ews.calendar_rows import CalendarViewItems, ViewPage, whole_range
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.calendar_bulk import add_events

SUPPORT = "support@example.com"
MONDAY = datetime(2031, 3, 3, tzinfo=UTC)  # a week far from the demo tenant's own events
SUNDAY = MONDAY + timedelta(days=7)
GROUP = 70  # events sharing each start: the cuts at 1000 fall inside a group


def _week_of_2450(emu) -> None:
    """35 starts (08:00, every 10 minutes) x 70 events, a week-long event, and a daily series (7 occurrences)."""
    starts = [MONDAY + timedelta(days=n // 7, hours=8, minutes=10 * (n % 7)) for n in range(35)]
    add_events(emu, SUPPORT, ((s, s + timedelta(minutes=30), f"Slot {n}") for n, s in enumerate(starts)
                              for _ in range(GROUP)))
    add_events(emu, SUPPORT, [(MONDAY - timedelta(hours=1), SUNDAY + timedelta(days=1), "Week-long")])
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    add_events(emu, SUPPORT, [(MONDAY + timedelta(hours=7), MONDAY + timedelta(hours=7, minutes=15), "Daily")],
               weekly={"days": days, "interval": 1, "start": MONDAY.date(), "end": (SUNDAY - timedelta(days=1)).date()})


def _support(client):
    [cal] = [c for c in calendar.list_calendars(client, [SUPPORT]) if c.folder.well_known == "calendar"]
    return cal


def test_every_event_of_a_cut_range_comes_back_once(fresh_emulator) -> None:
    _week_of_2450(fresh_emulator)
    alice = signed_in(fresh_emulator, "alice").client
    cal = _support(alice)
    with round_trips(fresh_emulator) as trips:
        week = calendar.events(alice, cal, MONDAY, SUNDAY)
    assert 3 <= trips["FindItem"] <= 4, trips  # 2,458 entries, 1000 an answer
    assert len({e.item_id for e in week}) == len(week), "no entry twice"
    subjects = Counter(e.subject for e in week)
    assert subjects == Counter({**{f"Slot {n}": GROUP for n in range(35)}, "Week-long": 1, "Daily": 7})
    daily = [e for e in week if e.subject == "Daily"]
    assert [e.start.day for e in daily] == list(range(3, 10)) and all(e.series_id for e in daily)
    assert [e.start for e in week] == sorted(e.start for e in week)


def test_a_range_that_cannot_be_completed_says_so(fresh_emulator) -> None:
    _week_of_2450(fresh_emulator)
    # More entries at one instant than one answer holds: asking again from there cannot move on.
    crowded = MONDAY + timedelta(days=14, hours=9)
    add_events(fresh_emulator, SUPPORT, [(crowded, crowded + timedelta(hours=1), "Crowd")] * 1001)
    alice = signed_in(fresh_emulator, "alice").client
    cal = _support(alice)
    with pytest.raises(ServerError, match=r"Too many events overlap 17 Mar 2031 09:00 UTC"):
        calendar.events(alice, cal, crowded - timedelta(days=1), crowded + timedelta(days=1))

    # The request cap: two answers of 1000 do not hold the week's 2,458 entries.
    account = alice.account(SUPPORT)
    folder = folder_object(account, folder_id(cal.folder))
    fields = calendar._paths(calendar._VIEW_FIELDS)
    asked: list[datetime] = []

    def ask(since: datetime) -> ViewPage:
        asked.append(since)
        view = CalendarView(start=calendar._ews(since), end=calendar._ews(SUNDAY))
        return CalendarViewItems(account=account).view_page(folder, fields, view)

    with pytest.raises(ServerError, match=r"too many events to show \(1\d\d\d read in 2 requests"):
        whole_range(ask, MONDAY, max_requests=2)
    assert asked[0] == MONDAY and asked[1] > MONDAY
