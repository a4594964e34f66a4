"""Where events go in the calendar views: periods, local wall-clock times, side-by-side columns, the all-day band.

Pure Python (no Qt): the views paint what :func:`lay_out_days` and :func:`lay_out_month` computed, and tests check
these results instead of pixels. Times are converted to the viewer's time zone (a :class:`zoneinfo.ZoneInfo`)
and placed by their *wall-clock* time, so a 09:00 meeting stays at 09:00 on both sides of a daylight-saving
change, and a day of 23 or 25 hours still shows 00:00–24:00.
"""

from __future__ import annotations

import enum
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from app.domain.calendar import Event

DAY_MINUTES = 24 * 60
MIN_MINUTES = 20  # shorter events take this much room (and count so for overlaps), to stay readable


class ViewKind(enum.Enum):
    DAY = "Day"
    WORK_WEEK = "Work week"
    WEEK = "Week"
    MONTH = "Month"
    AGENDA = "Agenda"


AGENDA_DAYS = 14


def local_tz() -> tzinfo:
    """The user's time zone (``TZ`` or the system's), as an IANA zone when it can be found."""
    import os
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    try:
        from PySide6.QtCore import QTimeZone  # only for the system zone's IANA id

        system = bytes(QTimeZone.systemTimeZoneId().data()).decode()
        return ZoneInfo(system)
    except Exception:  # noqa: BLE001 - any failure: the fixed offset the C library knows
        return datetime.now().astimezone().tzinfo or ZoneInfo("UTC")


def period(kind: ViewKind, anchor: date) -> tuple[date, int]:
    """The first day and the number of days a view of ``kind`` shows around ``anchor`` (weeks start Monday)."""
    monday = anchor - timedelta(days=anchor.weekday())
    if kind is ViewKind.DAY:
        return anchor, 1
    if kind is ViewKind.WORK_WEEK:
        return monday, 5
    if kind is ViewKind.WEEK:
        return monday, 7
    if kind is ViewKind.AGENDA:
        return anchor, AGENDA_DAYS
    first = anchor.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return start, 42  # six weeks: every month fits


def shift(kind: ViewKind, anchor: date, steps: int) -> date:
    """``anchor`` moved by ``steps`` periods of ``kind`` (PageUp/PageDown, ◀ ▶)."""
    if kind is ViewKind.DAY:
        return anchor + timedelta(days=steps)
    if kind is ViewKind.AGENDA:
        return anchor + timedelta(days=AGENDA_DAYS * steps)
    if kind is not ViewKind.MONTH:
        return anchor + timedelta(weeks=steps)
    month = anchor.month - 1 + steps
    year, month = anchor.year + month // 12, month % 12 + 1
    days_in = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(anchor.day, days_in))


def bounds(first: date, days: int, tz: tzinfo) -> tuple[datetime, datetime]:
    """The aware start and end of ``days`` local days from ``first`` (what to ask the server for)."""
    return (datetime.combine(first, time(), tz), datetime.combine(first + timedelta(days=days), time(), tz))


def title(kind: ViewKind, first: date, days: int) -> str:
    """"March 2026", "23 – 29 March 2026", "Monday 23 March 2026"."""
    last = first + timedelta(days=days - 1)
    if kind is ViewKind.DAY:
        return f"{first:%A} {first.day} {first:%B %Y}"
    if kind is ViewKind.MONTH:
        middle = first + timedelta(days=15)
        return f"{middle:%B %Y}"
    if first.month == last.month:
        return f"{first.day} – {last.day} {last:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


@dataclass(frozen=True)
class Placed:
    """One event (or the part of it on one day) in a time grid.

    Attributes:
        day: Column of the day (0 = the first day shown).
        top, bottom: Wall-clock minutes since local midnight (0..1440).
        column, columns: Its lane among the events it overlaps, and how many lanes they need.
        key: The calendar it comes from (the views colour by it).
        continues_before, continues_after: The event started on an earlier day / ends on a later one.
    """

    event: Event
    key: Hashable
    day: int
    top: float
    bottom: float
    column: int = 0
    columns: int = 1
    continues_before: bool = False
    continues_after: bool = False


@dataclass(frozen=True)
class Banded:
    """An all-day (or multi-day) event in the band above the grid: days ``first_day`` .. ``last_day``, lane ``row``."""

    event: Event
    key: Hashable
    first_day: int
    last_day: int
    row: int


@dataclass(frozen=True)
class DayLayout:
    first: date
    days: int
    timed: tuple[Placed, ...]
    band: tuple[Banded, ...]

    @property
    def band_rows(self) -> int:
        return max((b.row + 1 for b in self.band), default=0)

    def on_day(self, day: int) -> list[Placed]:
        return [p for p in self.timed if p.day == day]


def is_band_event(event: Event) -> bool:
    return event.all_day or event.end - event.start >= timedelta(hours=24)


def local_days(event: Event, tz: tzinfo) -> tuple[date, date]:
    """The first and last local day an event covers (an event ending at midnight does not cover the next day)."""
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    last = (end - timedelta(microseconds=1)).date() if end > start else start.date()
    return start.date(), last


def _minutes(moment: datetime) -> float:
    return moment.hour * 60 + moment.minute + moment.second / 60


def _segments(event: Event, tz: tzinfo, first: date, days: int) -> list[tuple[int, float, float, bool, bool]]:
    start, end = event.start.astimezone(tz), event.end.astimezone(tz)
    d0 = start.date()
    d1 = (end - timedelta(microseconds=1)).date() if end > start else d0
    if d0 == d1:  # the usual case: one part, on one day
        column = (d0 - first).days
        if not 0 <= column < days:
            return []
        top = _minutes(start)
        return [(column, top, max(_minutes(end) if end.date() == d0 else float(DAY_MINUTES), top), False, False)]
    out = []
    for offset in range((d1 - d0).days + 1):
        day = d0 + timedelta(days=offset)
        column = (day - first).days
        if not 0 <= column < days:
            continue
        top = _minutes(start) if day == d0 else 0.0
        bottom = _minutes(end) if day == end.date() else float(DAY_MINUTES)
        if bottom <= top:  # zero-length, or the wall clock went back (a DST change inside the event)
            bottom = top
        out.append((column, top, bottom, day != d0, day != d1))
    return out


def assign_columns(items: Sequence[tuple[float, float]]) -> list[tuple[int, int]]:
    """Lanes for intervals (top, bottom) of one day: overlapping ones side by side, as few lanes as needed.

    Returns ``(column, columns)`` per item, in the input's order; ``columns`` is shared by every item of a group
    of transitively overlapping intervals, so they split the day's width evenly.
    """
    order = sorted(range(len(items)), key=lambda i: (items[i][0], -items[i][1]))
    result: list[tuple[int, int]] = [(0, 1)] * len(items)
    group: list[int] = []
    lanes: list[float] = []  # end of the last interval in each lane of the current group
    group_end = float("-inf")

    def close() -> None:
        for i in group:
            result[i] = (result[i][0], len(lanes))

    for i in order:
        top, bottom = items[i][0], max(items[i][1], items[i][0] + MIN_MINUTES)
        if group and top >= group_end:
            close()
            group, lanes, group_end = [], [], float("-inf")
        lane = next((n for n, end in enumerate(lanes) if end <= top), len(lanes))
        if lane == len(lanes):
            lanes.append(bottom)
        else:
            lanes[lane] = bottom
        result[i] = (lane, 0)
        group.append(i)
        group_end = max(group_end, bottom)
    if group:
        close()
    return result


def lay_out_days(events: Iterable[tuple[Hashable, Event]], first: date, days: int, tz: tzinfo) -> DayLayout:
    """The time grid of ``days`` days from ``first``: timed events in columns, all-day ones in the band."""
    timed: list[tuple[Hashable, Event, int, float, float, bool, bool]] = []
    band_items: list[tuple[Hashable, Event, int, int]] = []
    for key, event in events:
        if is_band_event(event):
            d0, d1 = local_days(event, tz)
            a, b = max((d0 - first).days, 0), min((d1 - first).days, days - 1)
            if a <= b:
                band_items.append((key, event, a, b))
            continue
        for column, top, bottom, before, after in _segments(event, tz, first, days):
            timed.append((key, event, column, top, bottom, before, after))
    by_day: list[list[tuple[Hashable, Event, int, float, float, bool, bool]]] = [[] for _ in range(days)]
    for t in timed:
        by_day[t[2]].append(t)
    placed: list[Placed] = []
    for todays in by_day:
        lanes = assign_columns([(t[3], t[4]) for t in todays])
        for (key, event, column, top, bottom, before, after), (lane, count) in zip(todays, lanes, strict=True):
            placed.append(Placed(event, key, column, top, bottom, lane, count, before, after))
    return DayLayout(first, days, tuple(placed), tuple(_band_rows(band_items)))


def _band_rows(items: list[tuple[Hashable, Event, int, int]]) -> list[Banded]:
    items.sort(key=lambda t: (t[2], -(t[3] - t[2]), t[1].subject.casefold()))
    rows: list[int] = []  # last day used per row
    out = []
    for key, event, a, b in items:
        row = next((n for n, last in enumerate(rows) if last < a), len(rows))
        if row == len(rows):
            rows.append(b)
        else:
            rows[row] = b
        out.append(Banded(event, key, a, b, row))
    return out


def events_by_day(events: Iterable[tuple[Hashable, Event]], first: date, days: int,
                  tz: tzinfo) -> list[list[tuple[Hashable, Event]]]:
    """For a month grid or an agenda: each day's events (all-day first, then by start)."""
    out: list[list[tuple[Hashable, Event]]] = [[] for _ in range(days)]
    for key, event in events:
        d0, d1 = local_days(event, tz)
        for offset in range((d1 - d0).days + 1):
            column = (d0 + timedelta(days=offset) - first).days
            if 0 <= column < days:
                out[column].append((key, event))
    for day in out:
        day.sort(key=lambda t: (not is_band_event(t[1]), t[1].start, t[1].subject.casefold()))
    return out
