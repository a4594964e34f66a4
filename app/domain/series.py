"""A series' occurrences in a date range, computed from its pattern (for servers that list only the series).

Exchange expands a series in a CalendarView itself; some servers (grommunio Gromox) send the master instead.
:func:`occurrences_in` then computes the occurrences the way Exchange does: every instance of the pattern from
the series' first day, at the first occurrence's local time in the series' time zone (a 09:00 stand-up stays at
09:00 across daylight-saving changes), the count and end date honoured, removed occurrences left out and changed
ones shown as they are now.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule

from app.domain.calendar import Event, Frequency, Recurrence
from app.domain.ical import SeriesExceptions

MAX_PER_SERIES = 5000  # occurrences computed per series and range (a daily series over two years: 731)
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)  # ISO 1..7


def occurrences_in(master: Event, exceptions: SeriesExceptions, start: datetime, end: datetime) -> list[Event]:
    """The occurrences of ``master``'s series that overlap ``[start, end)``, by start.

    Args:
        master: The series (``recurrence`` set; ``start``/``end`` those of its first occurrence; ``time_zone``
            the zone it recurs in, UTC when unknown).
        exceptions: Its occurrences changed (shown as they are now, with their own ids) or removed.
        start: The range's start (aware).
        end: The range's end (aware).

    Returns:
        Changed occurrences as given (kind "Exception"); the others as copies of ``master`` at their own times,
        marked ``computed``. Empty when ``master`` has no recurrence.
    """
    rec = master.recurrence
    if rec is None:
        return []
    zone = _zone(master.time_zone)
    duration = master.end - master.start
    removed = {_instant(d) for d in exceptions.deleted} | {_instant(o) for o, _e in exceptions.modified}
    out = [e for _o, e in exceptions.modified if _overlaps(e.start, e.end, start, end)]
    for local in _instances(rec, master.start.astimezone(zone), start - duration, end):
        first = _aware(local, zone)
        if _instant(first) in removed or not _overlaps(first, first + duration, start, end):
            continue
        out.append(replace(master, start=first, end=first + duration, recurrence=None, computed=True))
    return sorted(out, key=lambda e: (e.start, e.end))


def _instances(rec: Recurrence, first: datetime, since: datetime, until: datetime) -> list[datetime]:
    """Local (naive) starts of the pattern's instances that may fall in ``[since, until)``, at most
    :data:`MAX_PER_SERIES`."""
    day = rec.start or first.date()
    dtstart = datetime.combine(day, first.time().replace(tzinfo=None))
    rule = _rule(rec, dtstart)
    # A day either side: the instances are local times and the range is an instant span.
    low = since.astimezone(first.tzinfo).replace(tzinfo=None) - timedelta(days=1)
    high = until.astimezone(first.tzinfo).replace(tzinfo=None) + timedelta(days=1)
    out: list[datetime] = []
    for instance in rule.xafter(max(low, dtstart), inc=True):
        if instance >= high or len(out) >= MAX_PER_SERIES:
            break
        out.append(instance)
    return out


def _rule(rec: Recurrence, dtstart: datetime) -> rrule.rrule:
    interval = max(1, rec.interval)
    common: dict[str, Any] = {"dtstart": dtstart, "interval": interval, "wkst": rrule.MO}
    if rec.count:
        common["count"] = rec.count
    elif rec.until is not None:
        common["until"] = datetime.combine(rec.until, time.max)
    f = rec.frequency
    if f is Frequency.DAILY:
        return rrule.rrule(rrule.DAILY, **common)
    if f is Frequency.WEEKLY:
        days = [_WEEKDAYS[d - 1] for d in rec.weekdays] or [_WEEKDAYS[dtstart.weekday()]]
        return rrule.rrule(rrule.WEEKLY, byweekday=days, **common)
    if f is Frequency.MONTHLY_BY_WEEKDAY:
        weekday = _WEEKDAYS[(rec.weekdays or (dtstart.isoweekday(),))[0] - 1]
        week = -1 if rec.week_of_month >= 5 else max(1, rec.week_of_month)
        return rrule.rrule(rrule.MONTHLY, byweekday=weekday(week), **common)
    dom = rec.day_of_month or dtstart.day
    # Day 31 in a 30-day month is its last day, as on Exchange: the last existing day of dom-3 .. dom.
    days_ = list(range(min(dom, 28), dom + 1))
    if f is Frequency.MONTHLY_BY_DATE:
        return rrule.rrule(rrule.MONTHLY, bymonthday=days_, bysetpos=-1, **common)
    common["interval"] = 1
    return rrule.rrule(rrule.YEARLY, bymonth=rec.month or dtstart.month, bymonthday=days_, bysetpos=-1,
                       **common)


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _aware(local: datetime, zone: tzinfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC)


def _instant(value: datetime | date) -> int:
    if isinstance(value, datetime):
        return int(value.timestamp())
    return int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp())


def _overlaps(a_start: datetime, a_end: datetime, start: datetime, end: datetime) -> bool:
    if a_start == a_end:
        return start <= a_start < end
    return a_start < end and a_end > start
