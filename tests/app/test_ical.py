"""app.domain.ical (.ics export and import) and the all-or-nothing import into a calendar on the emulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.domain.calendar import BusyStatus, Frequency
from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.ical import IcsError, SeriesDraft, export_ics, parse_ics
from app.ews import calendar, calendar_files
from tests.app.ews.conftest import signed_in
from tests.support.dates import this_week

SUPPORT = "support@example.com"
SUPPORT_CAL = FolderRef(SUPPORT, well_known="calendar")


def _ics(*events: str, extra: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\r\n{e.strip()}\r\nEND:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n{extra}{body}END:VCALENDAR\r\n".encode()


GOOD = "UID:good-1\r\nSUMMARY:Good one\r\nDTSTART:20300107T100000Z\r\nDTEND:20300107T110000Z"


def _support(client: Any) -> Any:
    return next(c for c in calendar.list_calendars(client, [SUPPORT]) if c.folder.well_known == "calendar")


def test_a_week_of_support_round_trips_through_ics(emulator) -> None:
    alice = signed_in(emulator, "alice").client
    monday, sunday = this_week()
    week = calendar.events(alice, _support(alice), monday, sunday)
    assert len(week) >= 3
    data = export_ics(week, "Customer Support › Calendar")
    assert b"X-WR-CALNAME:Customer Support" in data
    back = parse_ics(data, calendar=SUPPORT_CAL)
    fields = [(e.subject, e.start, e.end, e.all_day, e.location, e.busy) for e in week]
    assert [(d.subject, d.start, d.end, d.all_day, d.location, d.busy) for d in back] == fields
    assert all(d.calendar == SUPPORT_CAL and d.recurrence is None for d in back)


def test_recurrence_rules_map_to_exchange_patterns_without_expansion() -> None:
    drafts = parse_ics(_ics(
        GOOD + "\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20300601",
        "UID:2\r\nSUMMARY:Pay day\r\nDTSTART;TZID=Europe/London:20300115T090000\r\nDURATION:PT30M\r\n"
        "RRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
        "UID:3\r\nSUMMARY:Birthday\r\nDTSTART;VALUE=DATE:20300320\r\nRRULE:FREQ=YEARLY",
        "UID:4\r\nSUMMARY:Rent\r\nDTSTART:20300101T080000Z\r\nDTEND:20300101T081500Z\r\n"
        "RRULE:FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=1",
    ))
    weekly, monthly, yearly, by_date = (d.recurrence for d in drafts)
    assert weekly and weekly.frequency is Frequency.WEEKLY and weekly.weekdays == (1, 3, 5)
    assert weekly.until is not None and weekly.until.isoformat() == "2030-06-01"
    assert monthly and monthly.frequency is Frequency.MONTHLY_BY_WEEKDAY
    assert (monthly.weekdays, monthly.week_of_month, monthly.count) == ((5,), 5, 12)
    assert drafts[1].start.utcoffset() == timedelta(0) and drafts[1].end - drafts[1].start == timedelta(minutes=30)
    assert yearly and yearly.frequency is Frequency.YEARLY and (yearly.month, yearly.day_of_month) == (3, 20)
    assert drafts[2].all_day
    assert by_date and by_date.frequency is Frequency.MONTHLY_BY_DATE and by_date.interval == 2


SERIES = ("UID:series-1\r\nSUMMARY:Weekly sync\r\nDTSTART:20300107T100000Z\r\nDTEND:20300107T103000Z\r\n"
          "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\r\nEXDATE:20300114T100000Z")
MOVED = ("UID:series-1\r\nRECURRENCE-ID:20300121T100000Z\r\nSUMMARY:Weekly sync (moved)\r\n"
         "DTSTART:20300122T140000Z\r\nDTEND:20300122T143000Z")


def test_a_series_with_its_changed_and_removed_occurrences_is_one_draft() -> None:
    drafts = parse_ics(_ics(MOVED, SERIES, GOOD))  # the exception may come before its series
    series, good = drafts
    assert isinstance(series, SeriesDraft) and good.subject == "Good one"
    assert series.deleted == [datetime(2030, 1, 14, 10, tzinfo=UTC)]
    [(original, moved)] = series.modified
    assert original == datetime(2030, 1, 21, 10, tzinfo=UTC)
    assert (moved.subject, moved.start, moved.recurrence) == ("Weekly sync (moved)",
                                                              datetime(2030, 1, 22, 14, tzinfo=UTC), None)
    # one occurrence without its series (an invitation to it): an event of its own
    [alone] = parse_ics(_ics(MOVED))
    assert not isinstance(alone, SeriesDraft) and alone.subject == "Weekly sync (moved)"


EXCEPTION_FILES = {
    "this and future": (_ics(SERIES, MOVED.replace("RECURRENCE-ID:", "RECURRENCE-ID;RANGE=THISANDFUTURE:")),
                        "RANGE=THISANDFUTURE"),
    "EXDATE without a series": (_ics(GOOD + "\r\nEXDATE:20300107T100000Z"), "does not repeat"),
    "changed twice": (_ics(SERIES, MOVED, MOVED), "changed twice or also removed"),
    "changed and removed": (_ics(SERIES, MOVED.replace("20300121T100000Z", "20300114T100000Z")),
                            "changed twice or also removed"),
    "exception with a rule": (_ics(SERIES, MOVED + "\r\nRRULE:FREQ=DAILY;COUNT=2"), "recurrence rule of its own"),
    "EXDATE in an unknown zone": (_ics(SERIES.replace("EXDATE:", "EXDATE;TZID=Mars/Olympus:").replace(
        "20300114T100000Z", "20300114T100000")), "time zone “Mars/Olympus” of EXDATE"),
}


@pytest.mark.parametrize("name", list(EXCEPTION_FILES))
def test_exceptions_that_cannot_be_imported_are_refused(name: str) -> None:
    data, words = EXCEPTION_FILES[name]
    with pytest.raises(IcsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_ics(data, calendar=SUPPORT_CAL)


def test_a_series_with_exceptions_imports_whole_or_not_at_all(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    cal = _support(alice)
    start, end = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 15, tzinfo=UTC)
    assert calendar.events(alice, cal, start, end) == []
    # the occurrence a change names is not in the series (Tuesday, the series is on Mondays): nothing stays
    stray = MOVED.replace("20300121T100000Z", "20300122T100000Z")
    with pytest.raises(IcsError, match="has no occurrence on Tue 22 Jan 2030 10:00 UTC"):
        calendar_files.import_calendar(alice, parse_ics(_ics(SERIES, stray, GOOD), calendar=SUPPORT_CAL))
    assert calendar.events(alice, cal, start, end) == []
    created = calendar_files.import_calendar(alice, parse_ics(_ics(SERIES, MOVED, GOOD), calendar=SUPPORT_CAL))
    assert len(created) == 2
    shown = [(e.subject, e.start, e.kind) for e in calendar.events(alice, cal, start, end)]
    at = lambda day, hour: datetime(2030, 1, day, hour, tzinfo=UTC)  # noqa: E731
    assert shown == [("Weekly sync", at(7, 10), "Occurrence"), ("Good one", at(7, 10), "Single"),
                     ("Weekly sync (moved)", at(22, 14), "Exception"), ("Weekly sync", at(28, 10), "Occurrence")]



def test_an_all_day_series_with_exceptions_by_date(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    cal = _support(alice)
    data = _ics("UID:ad-1\r\nSUMMARY:Gym\r\nDTSTART;VALUE=DATE:20300107\r\nDTEND;VALUE=DATE:20300108\r\n"
                "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4\r\nEXDATE;VALUE=DATE:20300114",
                "UID:ad-1\r\nRECURRENCE-ID;VALUE=DATE:20300121\r\nSUMMARY:Gym moved\r\n"
                "DTSTART;VALUE=DATE:20300122\r\nDTEND;VALUE=DATE:20300123")
    calendar_files.import_calendar(alice, parse_ics(data, calendar=SUPPORT_CAL))
    got = calendar.events(alice, cal, datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 15, tzinfo=UTC))
    assert [(e.subject, e.start.date().day, e.all_day) for e in got] == [
        ("Gym", 7, True), ("Gym moved", 22, True), ("Gym", 28, True)]


BAD_FILES = {
    "bad date": (_ics(GOOD, "UID:x\r\nSUMMARY:Bad\r\nDTSTART:20301301T100000Z\r\nDTEND:20301301T110000Z"),
                 "DTSTART is not valid"),
    "end before start": (_ics(GOOD, "UID:x\r\nSUMMARY:Back\r\nDTSTART:20300101T100000Z\r\nDTEND:20300101T090000Z"),
                         "before the start"),
    "unknown time zone": (_ics(GOOD, "UID:x\r\nSUMMARY:Mars\r\nDTSTART;TZID=Mars/Olympus:20300101T100000\r\n"
                                     "DTEND;TZID=Mars/Olympus:20300101T110000"), "time zone “Mars/Olympus”"),
    "huge": (_ics(GOOD) + b" " * 6_000_000, "Mailroom imports calendar files of up to 5 MB"),
    "too many events": (_ics(*[GOOD] * 5001), "more than 5000 events"),
    "RRULE every second": (_ics(GOOD + "\r\nRRULE:FREQ=SECONDLY;COUNT=999"), "cannot be represented"),
    "RRULE expansion bomb": (_ics(GOOD + "\r\nRRULE:FREQ=YEARLY;BYMONTH=1,2,3,4,5,6,7,8,9,10,11,12;"
                                  "BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + ",".join(map(str, range(24)))),
                             "cannot be represented"),
    "RRULE huge count": (_ics(GOOD + "\r\nRRULE:FREQ=DAILY;COUNT=100000000"), "up to 999 occurrences"),
    "nesting bomb": (b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 50 + b"END:VEVENT\r\n" * 50 + b"END:VCALENDAR\r\n",
                     "nests calendar components"),
    "not ics": (b"<html>hello</html>", "not an iCalendar file"),
    "no start": (_ics(GOOD, "UID:x\r\nSUMMARY:Nowhen"), "DTSTART) is missing"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_malformed_files_are_refused_in_plain_words(name: str) -> None:
    data, words = BAD_FILES[name]
    with pytest.raises(IcsError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_ics(data, calendar=SUPPORT_CAL)


def test_a_malformed_file_imports_nothing_and_a_half_way_failure_is_undone(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    cal = _support(alice)
    start, end = datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 2, 1, tzinfo=UTC)
    assert calendar.events(alice, cal, start, end) == []
    with pytest.raises(IcsError):  # the good first event is not created either
        calendar.import_drafts(alice, parse_ics(BAD_FILES["unknown time zone"][0], calendar=SUPPORT_CAL))
    assert calendar.events(alice, cal, start, end) == []
    drafts = parse_ics(_ics(GOOD, GOOD.replace("good-1", "good-2").replace("Good one", "Second")),
                       calendar=SUPPORT_CAL)
    drafts[1].calendar = FolderRef("sales@example.com", well_known="calendar")  # alice is a Reviewer there
    with pytest.raises(AccessDenied, match="read-only access to Sales Team › Calendar"):
        calendar.import_drafts(alice, drafts)
    assert calendar.events(alice, cal, start, end) == [], "the first event was deleted again"
    created = calendar.import_drafts(alice, parse_ics(_ics(GOOD), calendar=SUPPORT_CAL))
    assert [(e.subject, e.busy) for e in calendar.events(alice, cal, start, end)] == [("Good one", BusyStatus.BUSY)]
    assert len(created) == 1
