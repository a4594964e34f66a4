"""Finding a free slot for a meeting among attendees' and rooms' busy blocks (pure; no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from app.domain.calendar import BusyStatus, FreeBusyBlock

# Statuses that block a slot; FREE and NO_DATA (nothing known) do not, WORKING_ELSEWHERE does not either.
BLOCKING = frozenset({BusyStatus.BUSY, BusyStatus.OOF, BusyStatus.TENTATIVE})
STEP = timedelta(minutes=15)  # candidate starts are aligned to this


@dataclass(frozen=True)
class WorkingHours:
    """The hours meetings may be placed in, in a time zone.

    Attributes:
        start: Start of the working day (local).
        end: End of the working day (local).
        days: ISO weekdays 1 (Mon) .. 7 (Sun).
        tz: The time zone of ``start``/``end`` (the user's local zone).
    """

    start: time = time(9)
    end: time = time(17)
    days: tuple[int, ...] = (1, 2, 3, 4, 5)
    tz: tzinfo = UTC


def _merged(blocks: Iterable[FreeBusyBlock]) -> list[tuple[datetime, datetime]]:
    spans = sorted((b.start, b.end) for b in blocks if b.busy in BLOCKING and b.end > b.start)
    out: list[tuple[datetime, datetime]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _align(moment: datetime) -> datetime:
    """``moment`` rounded up to the next :data:`STEP` boundary (in its own zone)."""
    step = int(STEP.total_seconds())
    secs = moment.hour * 3600 + moment.minute * 60 + moment.second
    extra = (-secs) % step
    aligned = moment.replace(microsecond=0) + timedelta(seconds=extra)
    return aligned + timedelta(seconds=step) if moment.microsecond and extra == 0 else aligned


def suggest_slot(busy_by_person: Mapping[str, Iterable[FreeBusyBlock]], start: datetime, end: datetime,
                 duration: timedelta, working_hours: WorkingHours | None = None) -> datetime | None:
    """The earliest start in ``[start, end - duration]`` when nobody is busy for ``duration``, or None.

    Args:
        busy_by_person: Each attendee's and room's blocks (as :func:`app.ews.availability.free_busy` returns).
        start: Aware; the search begins here (rounded up to a quarter hour).
        end: Aware; the meeting must end by then.
        duration: The meeting's length (positive).
        working_hours: When given, the meeting must lie within one working day.
    """
    if duration <= timedelta(0) or start.tzinfo is None or end.tzinfo is None:
        raise ValueError("suggest_slot needs a positive duration and aware datetimes")
    busy = _merged(b for blocks in busy_by_person.values() for b in blocks)
    tz = working_hours.tz if working_hours else start.tzinfo
    candidate = _align(start.astimezone(tz))
    limit = end.astimezone(tz)
    guard = 0
    while candidate + duration <= limit:
        guard += 1
        if guard > 100_000:  # pragma: no cover - bounded by the range anyway
            return None
        if working_hours is not None:
            day_start = datetime.combine(candidate.date(), working_hours.start, tz)
            day_end = datetime.combine(candidate.date(), working_hours.end, tz)
            if candidate.isoweekday() not in working_hours.days or candidate + duration > day_end:
                candidate = datetime.combine(candidate.date() + timedelta(days=1), working_hours.start, tz)
                continue
            if candidate < day_start:
                candidate = day_start
                continue
        clash = next((e for s, e in busy if s < candidate + duration and e > candidate), None)
        if clash is None:
            return candidate.astimezone(start.tzinfo)
        candidate = _align(clash.astimezone(tz))
    return None
