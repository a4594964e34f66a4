"""app.domain.ical (.ics export and import) and the all-or-nothing import into a calendar on the emulator."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from app.domain.calendar import BusyStatus, Event, EventDraft, Frequency, Recurrence
from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.ical import IcsError, SeriesDraft, SeriesExceptions, export_ics, parse_ics
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


# -- series in their own time zone ---------------------------------------------------------------------------
BERLIN, NEW_YORK, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
MONDAYS = [date(2026, 3, 2) + timedelta(weeks=n) for n in range(13)]  # 2 March .. 25 May 2026, across 29 March
OWN = "alice@example.com"


def _berlin_series(**changes: Any) -> Event:
    """A weekly 09:30-10:00 Berlin meeting on Mondays, 2 March to 25 May 2026, as the server gives it (UTC)."""
    start = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN).astimezone(UTC)
    master = Event("master-1", "ck-1", SUPPORT_CAL, "Team sync", start, start + timedelta(minutes=30),
                   kind="RecurringMaster", uid="sync-1", time_zone="Europe/Berlin",
                   recurrence=Recurrence(Frequency.WEEKLY, weekdays=(1,), start=MONDAYS[0], until=MONDAYS[-1]))
    return replace(master, **changes)


def _expand(data: bytes) -> list[datetime]:
    """The occurrences of the file's one series as an RFC 5545 client computes them: dateutil's rrule from the
    DTSTART in its zone (it refuses an UNTIL that is not UTC when DTSTART has a zone), without the EXDATEs."""
    [master] = [v for v in icalendar.Calendar.from_ical(data).walk("VEVENT") if "RRULE" in v]
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master.decoded("DTSTART"))
    gone = {d.dt for prop in _as_list(master.get("EXDATE")) for d in prop.dts}
    return [o for o in rule if o not in gone]


def _as_list(value: Any) -> list[Any]:
    return [] if value is None else value if isinstance(value, list) else [value]


def _berlin_wall(moments: list[datetime]) -> list[datetime]:
    return [m.astimezone(BERLIN).replace(tzinfo=None) for m in moments]


AT_0930 = [datetime.combine(d, time(9, 30)) for d in MONDAYS]


@pytest.mark.parametrize("how", ["its own zone", "the user's zone"])
def test_a_berlin_series_stays_at_0930_berlin_across_the_daylight_saving_change(how: str) -> None:
    event, tz = (_berlin_series(), None) if how == "its own zone" else (_berlin_series(time_zone=""), BERLIN)
    data = export_ics([event], "Support", tz=tz)
    text = data.decode()
    assert "DTSTART;TZID=Europe/Berlin:20260302T093000" in text and "DTEND;TZID=Europe/Berlin:20260302T100000" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin" in text and "TZNAME:CEST" in text
    assert "UNTIL=20260525T073000Z" in text  # the last occurrence, 09:30 summer time, in UTC
    occurrences = _expand(data)
    assert _berlin_wall(occurrences) == AT_0930  # 08:30 UTC before 29 March, 07:30 UTC after; 25 May included
    [back] = parse_ics(data, calendar=SUPPORT_CAL)
    assert back.start == event.start and back.start.astimezone(BERLIN).hour == 9
    assert back.recurrence == replace(event.recurrence, weekdays=(1,))


def test_a_series_without_a_known_zone_is_written_in_utc_with_a_utc_until() -> None:
    for event in (_berlin_series(time_zone=""), _berlin_series(time_zone="Etc/UTC"),
                  _berlin_series(time_zone="Mars/Olympus")):
        data = export_ics([event], "Support")
        assert b"DTSTART:20260302T083000Z" in data and b"UNTIL=20260525T083000Z" in data
        assert b"VTIMEZONE" not in data
        assert [o.astimezone(UTC).time() for o in _expand(data)] == [time(8, 30)] * 13


def test_changed_and_removed_occurrences_name_their_original_start_as_the_series_does() -> None:
    def utc(day: date) -> datetime:
        return datetime.combine(day, time(9, 30), BERLIN).astimezone(UTC)

    master = _berlin_series()
    moved = replace(master, item_id="occ-7", kind="Exception", recurrence=None, subject="Team sync (moved)",
                    start=utc(MONDAYS[5]) + timedelta(hours=5), end=utc(MONDAYS[5]) + timedelta(hours=6))
    changes = SeriesExceptions(modified=((utc(MONDAYS[5]), moved),), deleted=(utc(MONDAYS[4]),))
    data = export_ics([master], "Support", {"master-1": changes})
    text = data.decode()
    assert "EXDATE;TZID=Europe/Berlin:20260330T093000" in text  # the first Monday of summer time
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20260406T093000" in text
    assert "DTSTART;TZID=Europe/Berlin:20260406T143000" in text
    assert _berlin_wall(_expand(data)) == [*AT_0930[:4], *AT_0930[5:]]
    [series] = parse_ics(data, calendar=SUPPORT_CAL)
    assert isinstance(series, SeriesDraft)
    assert series.deleted == [utc(MONDAYS[4])]
    assert [(o, d.start) for o, d in series.modified] == [(utc(MONDAYS[5]), moved.start)]


def test_an_all_day_series_keeps_dates() -> None:
    start = datetime(2026, 3, 2, tzinfo=UTC)
    data = export_ics([_berlin_series(start=start, end=start + timedelta(days=1), all_day=True)], "Support")
    assert b"DTSTART;VALUE=DATE:20260302" in data and b"UNTIL=20260525;" in data + b";"
    assert b"VTIMEZONE" not in data and b"UNTIL=20260525T" not in data
    [back] = parse_ics(data, calendar=SUPPORT_CAL)
    assert back.all_day and back.recurrence is not None and back.recurrence.until == MONDAYS[-1]


@pytest.mark.parametrize(("zone", "first", "until", "last_day"), [
    ("America/New_York", "20260301T200000", "20260525T035959Z", date(2026, 5, 24)),  # 23:59:59 the day before
    ("Asia/Tokyo", "20260302T090000", "20260524T150000Z", date(2026, 5, 25)),  # midnight of the day after
])
def test_a_utc_until_ends_on_its_day_in_the_series_zone(zone: str, first: str, until: str, last_day: date) -> None:
    data = _ics(f"UID:z-1\r\nSUMMARY:Zoned\r\nDTSTART;TZID={zone}:{first}\r\nDURATION:PT1H\r\n"
                f"RRULE:FREQ=DAILY;UNTIL={until}")
    [draft] = parse_ics(data, calendar=SUPPORT_CAL)
    assert draft.recurrence is not None and draft.recurrence.until == last_day


def test_a_new_york_series_imports_with_its_last_evening(fresh_emulator) -> None:
    """Sundays and Mondays 20:00 New York from 1 March (before the 8 March change) until 24 May 23:59:59 EDT:
    the last occurrence is Sunday 24 May 20:00 EDT (25 May 00:00 UTC), not Monday 25 May; every one at 20:00
    New York time."""
    alice = signed_in(fresh_emulator, "alice").client
    data = _ics("UID:ny-1\r\nSUMMARY:Evening call\r\nDTSTART;TZID=America/New_York:20260301T200000\r\n"
                "DTEND;TZID=America/New_York:20260301T210000\r\n"
                "RRULE:FREQ=WEEKLY;BYDAY=SU,MO;UNTIL=20260525T035959Z")
    calendar_files.import_calendar(alice, parse_ics(data, calendar=SUPPORT_CAL))
    got = [e for e in calendar.events(alice, _support(alice), datetime(2026, 2, 25, tzinfo=UTC),
                                      datetime(2026, 6, 15, tzinfo=UTC)) if e.subject == "Evening call"]
    wall = [e.start.astimezone(NEW_YORK) for e in got]
    days = sorted({date(2026, 3, 1) + timedelta(weeks=n, days=d) for n in range(13) for d in (0, 1)})[:-1]
    assert [(w.date(), w.time()) for w in wall] == [(d, time(20)) for d in days]
    assert wall[-1].date() == date(2026, 5, 24) and got[-1].start == datetime(2026, 5, 25, tzinfo=UTC)


def test_a_berlin_series_round_trips_through_the_server_in_its_zone(fresh_emulator) -> None:
    """Created in Berlin on the emulator, read whole (its StartTimeZone), exported, imported into another
    calendar: the copy has the same 13 occurrences, 09:30 Berlin on both sides of 29 March."""
    alice = signed_in(fresh_emulator, "alice").client
    [own] = [c for c in calendar.list_calendars(alice, [OWN]) if c.folder.well_known == "calendar"]
    first = datetime.combine(MONDAYS[0], time(9, 30), BERLIN)
    calendar.create_event(alice, EventDraft(own.folder, "Team sync", first, first + timedelta(minutes=30),
                                            recurrence=Recurrence(Frequency.WEEKLY, weekdays=(1,), start=MONDAYS[0],
                                                                  until=MONDAYS[-1])))
    found, exceptions = calendar_files.whole_calendar(alice, own)
    [master] = [e for e in found if e.subject == "Team sync"]
    assert master.kind == "RecurringMaster" and master.time_zone == "Europe/Berlin"
    data = export_ics([master], "Calendar", exceptions)
    assert b"DTSTART;TZID=Europe/Berlin:20260302T093000" in data and b"UNTIL=20260525T073000Z" in data
    calendar_files.import_calendar(alice, parse_ics(data, calendar=SUPPORT_CAL))
    span = (datetime(2026, 2, 25, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC))

    def syncs(cal: Any) -> list[tuple[datetime, datetime]]:
        return [(e.start, e.end) for e in calendar.events(alice, cal, *span) if e.subject == "Team sync"]

    assert syncs(_support(alice)) == syncs(own)
    assert _berlin_wall([s for s, _e in syncs(own)]) == AT_0930
