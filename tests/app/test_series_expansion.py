"""app.domain.series: occurrences computed from a series' pattern, as Exchange expands them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.calendar import Event, Frequency, Recurrence
from app.domain.folders import FolderRef
from app.domain.ical import SeriesExceptions
from app.domain.series import occurrences_in

CAL = FolderRef("alice@example.com", well_known="calendar")


def master(rec: Recurrence, start: datetime, minutes: int = 30, zone: str = "") -> Event:
    return Event(item_id="M", change_key="", calendar=CAL, subject="S", start=start,
                 end=start + timedelta(minutes=minutes), kind="RecurringMaster", recurrence=rec, time_zone=zone)


def days(events: list[Event]) -> list[str]:
    return [e.start.date().isoformat() for e in events]


def test_count_and_until_end_the_series() -> None:
    first = datetime(2027, 3, 1, 9, tzinfo=UTC)
    counted = master(Recurrence(Frequency.DAILY, 2, start=first.date(), count=3), first)
    assert days(occurrences_in(counted, SeriesExceptions(), first, first + timedelta(days=30))) == [
        "2027-03-01", "2027-03-03", "2027-03-05"]
    until = master(Recurrence(Frequency.WEEKLY, 1, weekdays=(1, 3), start=first.date(), until=date(2027, 3, 10)),
                   first)
    assert days(occurrences_in(until, SeriesExceptions(), first, first + timedelta(days=30))) == [
        "2027-03-01", "2027-03-03", "2027-03-08", "2027-03-10"]


def test_only_the_range_and_overlapping_occurrences() -> None:
    first = datetime(2027, 1, 4, 23, 30, tzinfo=UTC)  # 90 minutes: runs into the next day
    series = master(Recurrence(Frequency.DAILY, start=first.date()), first, minutes=90)
    since = datetime(2027, 2, 1, tzinfo=UTC)
    found = occurrences_in(series, SeriesExceptions(), since, since + timedelta(days=2))
    assert days(found) == ["2027-01-31", "2027-02-01", "2027-02-02"]  # 31 January's still runs on 1 February
    assert all(e.computed and e.recurrence is None and e.item_id == "M" for e in found)


def test_month_ends_and_last_weekdays() -> None:
    first = datetime(2027, 1, 31, 8, tzinfo=UTC)
    monthly = master(Recurrence(Frequency.MONTHLY_BY_DATE, day_of_month=31, start=first.date()), first)
    year = (first, first + timedelta(days=150))  # to 30 June 08:00, excluded
    assert days(occurrences_in(monthly, SeriesExceptions(), *year)) == [
        "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"]
    last_friday = master(Recurrence(Frequency.MONTHLY_BY_WEEKDAY, weekdays=(5,), week_of_month=5,
                                    start=date(2027, 1, 29)), datetime(2027, 1, 29, 8, tzinfo=UTC))
    assert days(occurrences_in(last_friday, SeriesExceptions(), *year)) == [
        "2027-02-26", "2027-03-26", "2027-04-30", "2027-05-28", "2027-06-25"]  # 29 January: before the range
    leap = datetime(2028, 2, 29, 8, tzinfo=UTC)
    yearly = master(Recurrence(Frequency.YEARLY, day_of_month=29, month=2, start=leap.date()), leap)
    assert days(occurrences_in(yearly, SeriesExceptions(), leap, leap + timedelta(days=800))) == [
        "2028-02-29", "2029-02-28", "2030-02-28"]


def test_local_time_kept_across_daylight_saving_and_exceptions_applied() -> None:
    first = datetime(2027, 3, 22, 8, tzinfo=UTC)  # 09:00 in Berlin, winter time; summer time from 28 March
    series = master(Recurrence(Frequency.WEEKLY, weekdays=(1,), start=first.date()), first, zone="Europe/Berlin")
    moved = Event(item_id="X", change_key="", calendar=CAL, subject="S (moved)", start=first + timedelta(days=14, hours=3),
                  end=first + timedelta(days=14, hours=4), kind="Exception", series_id="M")
    exceptions = SeriesExceptions(modified=((datetime(2027, 4, 5, 7, tzinfo=UTC), moved),),
                                  deleted=(datetime(2027, 3, 29, 7, tzinfo=UTC),))
    found = occurrences_in(series, exceptions, first, first + timedelta(days=22))
    assert [(e.start.isoformat(), e.subject) for e in found] == [
        ("2027-03-22T08:00:00+00:00", "S"),
        ("2027-04-05T11:00:00+00:00", "S (moved)"),
        ("2027-04-12T07:00:00+00:00", "S")]
