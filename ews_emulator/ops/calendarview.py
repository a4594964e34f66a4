"""Recurring series and FindItem's ``CalendarView``: masters expanded into occurrences.

A recurring master stores its ``t:Recurrence`` (pattern + range), and optionally ``ModifiedOccurrences``
(moved instances: ``OriginalStart`` -> new ``Start``/``End``) and ``DeletedOccurrences`` (by original
start). Occurrences are computed, never stored: the n-th occurrence (1-based ``InstanceIndex``, counting
every instance of the pattern, deleted ones included, as Exchange does) has the id
``encode_id("occurrence", mailbox, master_row_id, n)``.

Times follow the master's time zone (``StartTimeZoneId``, ``StartTimeZone/@Id`` or
``MeetingTimeZone/@TimeZoneName``; UTC otherwise), so a 09:00 stand-up stays at 09:00 local time
across daylight-saving changes.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.ops.itemxml import render_item
from ews_emulator.ops.shapes import ItemShape
from ews_emulator.ops.timezones import UTC_ZONE, Zone, zone
from ews_emulator.quirks import Quirk
from ews_emulator.rights import Access
from ews_emulator.soap import T_NS, bool_text, m, t
from ews_emulator.store import Folder, ItemRow
from ews_emulator.store.items import parse_datetime

_T = f"{{{T_NS}}}"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # date.weekday() order
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
INDEXES = {"First": 1, "Second": 2, "Third": 3, "Fourth": 4, "Last": -1}
MAX_RANGE_SECONDS = 2 * 366 * 86400  # CalendarView spans at most two years
_SAFETY_LIMIT = 20_000  # pattern instances examined per series and request


@dataclass(frozen=True)
class Occurrence:
    """One instance of a recurring series (unix seconds)."""

    index: int
    start: int
    end: int
    original_start: int
    is_exception: bool = False


# Recurrence patterns -----------------------------------------------------------------------------------
def _parse_date(text: str | None) -> date | None:
    """``xs:date`` (``2024-06-10``, ``2024-06-10Z``, ``2024-06-10+02:00``) -> date."""
    try:
        return date.fromisoformat(text.strip()[:10]) if text else None
    except ValueError:
        return None


def _days(text: str | None) -> list[str]:
    return (text or "").split()


def _nth_weekday(year: int, month: int, day_names: list[str], index: int) -> date | None:
    """The ``index``-th (-1: last) day of ``month`` matching DaysOfWeek (a day name, Day, Weekday, WeekendDay)."""
    wanted = set()
    for name in day_names:
        if name == "Day":
            wanted |= set(range(7))
        elif name == "Weekday":
            wanted |= {0, 1, 2, 3, 4}
        elif name == "WeekendDay":
            wanted |= {5, 6}
        elif name in DAYS:
            wanted.add(DAYS.index(name))
    days = [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)
            if date(year, month, d).weekday() in wanted]
    if not days:
        return None
    if index == -1:
        return days[-1]
    return days[index - 1] if index - 1 < len(days) else None


def _pattern_dates(pattern: etree._Element, start: date) -> Iterator[date]:
    """Every date of the pattern on or after ``start``, in order (unbounded)."""
    kind = etree.QName(pattern).localname
    interval = max(1, int(pattern.findtext(f"{_T}Interval") or 1))
    if kind == "DailyRecurrence":
        d = start
        while True:
            yield d
            d += timedelta(days=interval)
    elif kind == "WeeklyRecurrence":
        wanted = sorted({DAYS.index(n) for n in _days(pattern.findtext(f"{_T}DaysOfWeek")) if n in DAYS}
                        or {start.weekday()})
        first_day = pattern.findtext(f"{_T}FirstDayOfWeek") or "Sunday"
        fdw = DAYS.index(first_day) if first_day in DAYS else 6
        week_start = start - timedelta(days=(start.weekday() - fdw) % 7)
        order = sorted(wanted, key=lambda wd: (wd - fdw) % 7)
        while True:
            for wd in order:
                d = week_start + timedelta(days=(wd - fdw) % 7)
                if d >= start:
                    yield d
            week_start += timedelta(weeks=interval)
    elif kind in ("AbsoluteMonthlyRecurrence", "RelativeMonthlyRecurrence", "AbsoluteYearlyRecurrence",
                  "RelativeYearlyRecurrence"):
        yearly = "Yearly" in kind
        step = 12 if yearly else interval
        month_name = pattern.findtext(f"{_T}Month")
        month = (MONTHS.index(month_name) + 1) if yearly and month_name in MONTHS else start.month
        year = start.year
        if not yearly:
            month = start.month
        while True:
            if "Absolute" in kind:
                dom = int(pattern.findtext(f"{_T}DayOfMonth") or start.day)
                d: date | None = date(year, month, min(dom, calendar.monthrange(year, month)[1]))
            else:
                d = _nth_weekday(year, month, _days(pattern.findtext(f"{_T}DaysOfWeek")),
                                 INDEXES.get(pattern.findtext(f"{_T}DayOfWeekIndex") or "First", 1))
            if d is not None and d >= start:
                yield d
            month += step
            year += (month - 1) // 12
            month = (month - 1) % 12 + 1
    else:
        raise EwsError("ErrorUnsupportedRecurrence", f"{kind} is not supported.")


@dataclass
class Series:
    """A recurring master, ready to expand."""

    row: ItemRow
    zone: Zone
    pattern: etree._Element
    first_date: date
    end_date: date | None
    count: int | None
    duration: int
    local_time: timedelta
    modified: dict[date, tuple[int, int]]  # original local date -> (start, end)
    deleted: set[date]

    def instances(self) -> Iterator[Occurrence]:
        """Every instance in order, deleted ones skipped (indexes still count them)."""
        for index, d in enumerate(_pattern_dates(self.pattern, self.first_date), start=1):
            if index > _SAFETY_LIMIT or (self.count is not None and index > self.count):
                return
            if self.end_date is not None and d > self.end_date:
                return
            original = int(self.zone.to_utc_ts(datetime.combine(d, datetime.min.time()) + self.local_time))
            if d in self.deleted:
                continue
            if d in self.modified:
                start, end = self.modified[d]
                yield Occurrence(index, start, end, original, is_exception=True)
            else:
                yield Occurrence(index, original, original + self.duration, original)


def _master_zone(src: etree._Element) -> Zone:
    for candidate in (src.findtext(f"{_T}StartTimeZoneId"),
                      (src.find(f"{_T}StartTimeZone").get("Id") if src.find(f"{_T}StartTimeZone") is not None
                       else None),
                      (src.find(f"{_T}MeetingTimeZone").get("TimeZoneName")
                       if src.find(f"{_T}MeetingTimeZone") is not None else None)):
        found = zone(candidate)
        if found is not None:
            return found
    return UTC_ZONE


def series_of(row: ItemRow, src: etree._Element | None = None) -> Series | None:
    """The series of a recurring master (None for anything else)."""
    if not row.recurring or row.start_ts is None:
        return None
    src = src if src is not None else row.element_tree()
    rec = src.find(f"{_T}Recurrence")
    if rec is None or len(rec) < 2:
        return None
    pattern, rng = rec[0], rec[1]
    tz = _master_zone(src)
    local_start = tz.to_local(row.start_ts)
    first = _parse_date(rng.findtext(f"{_T}StartDate")) or local_start.date()
    count_text = rng.findtext(f"{_T}NumberOfOccurrences")
    modified: dict[date, tuple[int, int]] = {}
    for occ in src.iterfind(f"{_T}ModifiedOccurrences/{_T}Occurrence"):
        original = parse_datetime(occ.findtext(f"{_T}OriginalStart"))
        start, end = parse_datetime(occ.findtext(f"{_T}Start")), parse_datetime(occ.findtext(f"{_T}End"))
        if original is not None and start is not None and end is not None:
            modified[tz.to_local(original).date()] = (start, end)
    deleted = {tz.to_local(ts).date() for el in src.iterfind(f"{_T}DeletedOccurrences/{_T}DeletedOccurrence")
               if (ts := parse_datetime(el.findtext(f"{_T}Start"))) is not None}
    return Series(
        row=row, zone=tz, pattern=pattern, first_date=first,
        end_date=_parse_date(rng.findtext(f"{_T}EndDate")) if etree.QName(rng).localname == "EndDateRecurrence"
        else None,
        count=int(count_text) if count_text else None,
        duration=max(0, (row.end_ts or row.start_ts) - row.start_ts),
        local_time=local_start - datetime.combine(local_start.date(), datetime.min.time()),
        modified=modified, deleted=deleted,
    )


def expand(row: ItemRow, window_start: int, window_end: int, src: etree._Element | None = None) -> list[Occurrence]:
    """The occurrences of a master that overlap ``[window_start, window_end)``."""
    series = series_of(row, src)
    if series is None:
        return []
    # A moved occurrence may land in the window although its original slot lies after it.
    last_moved = max((occ.original_start for occ in _moved(series)), default=0)
    out = []
    for occ in series.instances():
        if occ.original_start >= window_end and occ.original_start > last_moved:
            break
        if _overlaps(occ.start, occ.end, window_start, window_end):
            out.append(occ)
    return out


def _moved(series: Series) -> list[Occurrence]:
    out = []
    for d, (start, end) in series.modified.items():
        original = int(series.zone.to_utc_ts(datetime.combine(d, datetime.min.time()) + series.local_time))
        out.append(Occurrence(0, start, end, original, is_exception=True))
    return out


def _overlaps(start: int, end: int, window_start: int, window_end: int) -> bool:
    if start == end:
        return window_start <= start < window_end
    return start < window_end and end > window_start


def first_and_last(row: ItemRow, src: etree._Element | None = None) -> tuple[Occurrence | None, Occurrence | None]:
    """First and last occurrence of a series (last: None for a series without end)."""
    series = series_of(row, src)
    if series is None:
        return None, None
    first = None
    last = None
    bounded = series.count is not None or series.end_date is not None
    for occ in series.instances():
        first = first or occ
        if not bounded:
            break
        last = occ
    return first, last


def occurrence_at(row: ItemRow, index: int) -> Occurrence:
    """The ``index``-th occurrence; Exchange's errors for an index outside the series or a deleted one."""
    series = series_of(row)
    if series is None:
        raise EwsError("ErrorItemNotFound")
    if index < 1:
        raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")
    for occ in series.instances():
        if occ.index == index:
            return occ
        if occ.index > index:
            raise EwsError("ErrorCalendarOccurrenceIsDeletedFromRecurrence")
    raise EwsError("ErrorCalendarOccurrenceIndexIsOutOfRecurrenceRange")


# FindItem CalendarView --------------------------------------------------------------------------------
def calendar_view(ctx: Ctx, folder: Folder, acc: Access, view: etree._Element, shape: ItemShape,
                  msg: etree._Element) -> None:
    """Fill one FindItem response message for a ``m:CalendarView`` request on ``folder``.

    At most ``min(MaxEntriesReturned, EWSFindCountLimit)`` entries, the earliest first; ``TotalItemsInView`` counts
    the whole range and ``IncludesLastItemInRange`` is false when the answer was cut (the client then asks again
    from the last start it received).
    """
    if not folder.is_calendar:
        raise EwsError("ErrorCalendarFolderIsInvalidForCalendarView")
    if not (acc.can_read_items or acc.can_read_free_busy):
        raise access_denied()
    start, end = parse_datetime(view.get("StartDate")), parse_datetime(view.get("EndDate"))
    if start is None or end is None:
        raise EwsError("ErrorInvalidRequest", "CalendarView needs StartDate and EndDate.")
    if end < start:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate")
    if end - start > MAX_RANGE_SECONDS:
        raise EwsError("ErrorCalendarViewRangeTooBig")
    from ews_emulator.ops.finditem import FIND_COUNT_LIMIT  # here: finditem imports this module

    # Exchange's EWSFindCountLimit applies to CalendarView too: a bigger answer is cut there.
    max_entries = min(int(view.get("MaxEntriesReturned") or 0) or FIND_COUNT_LIMIT, FIND_COUNT_LIMIT)
    rows = ctx.store.items.select(
        "folder_id = ? AND is_associated = 0 AND ((recurring = 0 AND start_ts < ? AND (end_ts > ? OR"
        " (end_ts = start_ts AND start_ts >= ?))) OR (recurring = 1 AND start_ts < ?))",
        (folder.id, end, start, start, end), order="start_ts ASC, id ASC")
    entries: list[tuple[int, int, int, ItemRow, Occurrence | None]] = []
    for row in rows:
        if row.recurring and row.element == "CalendarItem" and ctx.backend.quirks.on(Quirk.CALENDAR_VIEW_MASTERS):
            if expand(row, start, end) and row.start_ts is not None and row.end_ts is not None:
                entries.append((row.start_ts, row.end_ts, row.id, row, None))  # the series, unexpanded
        elif row.recurring and row.element == "CalendarItem":
            for occ in expand(row, start, end):
                entries.append((occ.start, occ.end, row.id, row, occ))
        elif row.start_ts is not None and row.end_ts is not None:
            entries.append((row.start_ts, row.end_ts, row.id, row, None))
    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    total = len(entries)
    page = entries[:max_entries]
    root = etree.SubElement(msg, m("RootFolder"), TotalItemsInView=str(total),
                            IncludesLastItemInRange=bool_text(len(page) == total))
    items = etree.SubElement(root, t("Items"))
    for _s, _e, _id, row, occ in page:
        items.append(render_item(ctx, row, acc, shape, occurrence=occ, find=True))
