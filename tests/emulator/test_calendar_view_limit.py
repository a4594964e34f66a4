"""CalendarView under Exchange's EWSFindCountLimit: a range of more than 1000 entries is cut at 1000 (the earliest),
``TotalItemsInView`` still counts them all and ``IncludesLastItemInRange`` says the answer is incomplete.
"""

from __future__ import annotations

import datetime as dt

from tests.emulator.test_calendar_view import view_xml
from tests.emulator.test_items_read import NS, soap
from tests.support.calendar_bulk import add_events

UTC = dt.UTC
SUPPORT = "support@example.com"
DAY = dt.datetime(2031, 3, 4, tzinfo=UTC)  # far from the demo tenant's own events


def _answer(emu, start: dt.datetime, end: dt.datetime, max_entries: int | None = None):
    body = soap(emu, "alice", view_xml(SUPPORT, int(start.timestamp()), int(end.timestamp()),
                                       props='<t:FieldURI FieldURI="calendar:Start"/>', max_entries=max_entries))
    root = body.find(".//m:RootFolder", NS)
    starts = [dt.datetime.fromisoformat(s.text.replace("Z", "+00:00")) for s in root.iterfind("t:Items/*/t:Start", NS)]
    return root, starts


def test_a_big_range_is_cut_at_the_find_count_limit(fresh_emulator):
    # 1,500 events: 1,200 thirty seconds apart from 08:00, and 300 sharing one start (12:00) among them.
    times = [DAY + dt.timedelta(hours=8, seconds=30 * n) for n in range(1200)]
    times += [DAY + dt.timedelta(hours=12)] * 300
    add_events(fresh_emulator, SUPPORT, ((s, s + dt.timedelta(minutes=30), f"Bulk {n}") for n, s in enumerate(times)))
    start, end = DAY, DAY + dt.timedelta(days=1)

    root, starts = _answer(fresh_emulator, start, end)
    assert (root.get("TotalItemsInView"), root.get("IncludesLastItemInRange")) == ("1500", "false")
    times.sort()
    assert starts == times[:1000], "the earliest thousand, by start"

    root, starts = _answer(fresh_emulator, start, end, max_entries=5000)
    assert (len(starts), root.get("IncludesLastItemInRange")) == (1000, "false"), "asking for more does not help"

    root, starts = _answer(fresh_emulator, start, end, max_entries=10)
    assert (len(starts), root.get("TotalItemsInView"), root.get("IncludesLastItemInRange")) == (10, "1500", "false")

    # From the last start received, the rest: the 1000th entry's start again and everything after it.
    root, starts = _answer(fresh_emulator, times[999], end)
    assert root.get("IncludesLastItemInRange") == "true"
    assert starts == [t for t in times if t + dt.timedelta(minutes=30) > times[999]]


def test_a_range_of_exactly_the_limit_is_complete(fresh_emulator):
    times = [DAY + dt.timedelta(minutes=n) for n in range(1000)]
    add_events(fresh_emulator, SUPPORT, ((s, s + dt.timedelta(minutes=5), "Bulk") for s in times))
    root, starts = _answer(fresh_emulator, DAY, DAY + dt.timedelta(days=1))
    assert (root.get("TotalItemsInView"), root.get("IncludesLastItemInRange"), len(starts)) == ("1000", "true", 1000)
