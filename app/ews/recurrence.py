"""Series patterns: :class:`app.domain.calendar.Recurrence` <-> exchangelib ``Recurrence`` (pattern + boundary)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from exchangelib.ewsdatetime import EWSDate
from exchangelib.fields import MONTHS, WEEK_NUMBERS
from exchangelib.recurrence import (
    AbsoluteMonthlyPattern,
    AbsoluteYearlyPattern,
    DailyPattern,
    EndDatePattern,
    NoEndPattern,
    NumberedPattern,
    RelativeMonthlyPattern,
    WeeklyPattern,
)
from exchangelib.recurrence import Recurrence as EwsRecurrence

from app.domain.calendar import Frequency, Recurrence


def to_ews_recurrence(rec: Recurrence, first: date) -> EwsRecurrence:
    """The exchangelib recurrence of ``rec``; the series starts on ``rec.start`` or else ``first``."""
    start = rec.start or first
    interval = max(1, rec.interval)
    f = rec.frequency
    if f is Frequency.DAILY:
        pattern: Any = DailyPattern(interval=interval)
    elif f is Frequency.WEEKLY:
        pattern = WeeklyPattern(interval=interval, weekdays=list(rec.weekdays or (start.isoweekday(),)),
                                first_day_of_week=1)
    elif f is Frequency.MONTHLY_BY_DATE:
        pattern = AbsoluteMonthlyPattern(interval=interval, day_of_month=rec.day_of_month or start.day)
    elif f is Frequency.MONTHLY_BY_WEEKDAY:
        weekday = rec.weekdays[0] if rec.weekdays else start.isoweekday()
        week = rec.week_of_month or min(5, (start.day - 1) // 7 + 1)
        pattern = RelativeMonthlyPattern(interval=interval, weekday=weekday, week_number=week)
    else:
        pattern = AbsoluteYearlyPattern(day_of_month=rec.day_of_month or start.day, month=rec.month or start.month)
    if rec.until is not None:
        boundary: Any = EndDatePattern(start=EWSDate.from_date(start), end=EWSDate.from_date(rec.until))
    elif rec.count:
        boundary = NumberedPattern(start=EWSDate.from_date(start), number=rec.count)
    else:
        boundary = NoEndPattern(start=EWSDate.from_date(start))
    return EwsRecurrence(pattern=pattern, boundary=boundary)


def _weekday_number(value: Any) -> int:
    if isinstance(value, int):
        return value
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return names.index(value) + 1 if value in names else 1


def _index_number(value: Any, choices: Sequence[str]) -> int:
    if isinstance(value, int):
        return value
    return choices.index(value) + 1 if value in choices else 1


def from_ews_recurrence(rec: EwsRecurrence) -> Recurrence | None:
    """The domain recurrence of a series, or None for a pattern Mailroom does not edit (relative yearly)."""
    p, b = rec.pattern, rec.boundary
    start = getattr(b, "start", None)
    until = b.end if isinstance(b, EndDatePattern) else None
    count = b.number if isinstance(b, NumberedPattern) else 0
    common: dict[str, Any] = {"start": _as_date(start), "until": _as_date(until), "count": count or 0}
    if isinstance(p, DailyPattern):
        return Recurrence(Frequency.DAILY, p.interval, **common)
    if isinstance(p, WeeklyPattern):
        days = p.weekdays if isinstance(p.weekdays, list | tuple) else [p.weekdays]
        return Recurrence(Frequency.WEEKLY, p.interval, weekdays=tuple(_weekday_number(d) for d in days), **common)
    if isinstance(p, AbsoluteMonthlyPattern):
        return Recurrence(Frequency.MONTHLY_BY_DATE, p.interval, day_of_month=p.day_of_month, **common)
    if isinstance(p, RelativeMonthlyPattern):
        return Recurrence(Frequency.MONTHLY_BY_WEEKDAY, p.interval, weekdays=(_weekday_number(p.weekday),),
                          week_of_month=_index_number(p.week_number, WEEK_NUMBERS), **common)
    if isinstance(p, AbsoluteYearlyPattern):
        return Recurrence(Frequency.YEARLY, 1, day_of_month=p.day_of_month, month=_index_number(p.month, MONTHS),
                          **common)
    return None


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    return date(value.year, value.month, value.day)
