"""Reminders: which events are due to remind now, and what the user dismissed or snoozed (pure; no Qt, no I/O).

An event reminds at ``start - reminder_minutes`` (EWS ``ReminderIsSet`` / ``ReminderMinutesBeforeStart``; the
event's ``reminder_minutes`` is None when no reminder is set). A due reminder stays due, "overdue" once the event
has started, until it is dismissed or its event is long over. Snoozing moves it to a later time. Both are
kept per *instance* (an occurrence of a series is its own reminder), in :class:`ReminderState`, which round-trips
through JSON so that a dismissed reminder does not pop up again after a restart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.domain.calendar import CalendarRef, Event

#: How long after its end an event that was never dismissed still shows as overdue.
OVERDUE_FOR = timedelta(hours=12)
#: How long dismissals and snoozes are remembered after the event's end.
KEEP_FOR = timedelta(days=2)
SNOOZE_CHOICES = (5, 10, 15, 60)  # minutes


def reminder_key(event: Event) -> str:
    """The identity of one reminder: the event (its UID, else item id) and this instance's start."""
    start = event.start.astimezone(UTC)
    return f"{event.uid or event.item_id}@{start:%Y%m%dT%H%M%SZ}"


@dataclass(frozen=True)
class Reminder:
    """A reminder that is due.

    Attributes:
        key: :func:`reminder_key` of the event.
        calendar: The calendar the event is in.
        event: The event (or occurrence).
        due: When it became due (the reminder time, or the end of a snooze).
    """

    key: str
    calendar: CalendarRef
    event: Event
    due: datetime


@dataclass
class ReminderState:
    """What the user did with reminders: dismissed ones (until when to remember that) and snoozed ones."""

    dismissed: dict[str, datetime] = field(default_factory=dict)  # key -> forget after (event end + KEEP_FOR)
    snoozed: dict[str, datetime] = field(default_factory=dict)  # key -> remind again at

    def dismiss(self, event: Event) -> None:
        key = reminder_key(event)
        self.dismissed[key] = event.end.astimezone(UTC) + KEEP_FOR
        self.snoozed.pop(key, None)

    def snooze(self, event: Event, until: datetime) -> None:
        self.snoozed[reminder_key(event)] = until.astimezone(UTC)

    def prune(self, now: datetime) -> None:
        """Forget dismissals of long-past events and snoozes older than :data:`KEEP_FOR`."""
        self.dismissed = {k: v for k, v in self.dismissed.items() if v > now}
        self.snoozed = {k: v for k, v in self.snoozed.items() if v + KEEP_FOR > now}

    def to_json(self) -> dict[str, dict[str, str]]:
        return {"dismissed": {k: v.isoformat() for k, v in self.dismissed.items()},
                "snoozed": {k: v.isoformat() for k, v in self.snoozed.items()}}

    @classmethod
    def from_json(cls, value: object) -> ReminderState:
        """Tolerant: entries that are not ``key: ISO time`` are dropped."""
        state = cls()
        if not isinstance(value, Mapping):
            return state
        for name, target in (("dismissed", state.dismissed), ("snoozed", state.snoozed)):
            entries = value.get(name)
            if not isinstance(entries, Mapping):
                continue
            for key, when in entries.items():
                try:
                    parsed = datetime.fromisoformat(str(when))
                except ValueError:
                    continue
                if isinstance(key, str) and parsed.tzinfo is not None:
                    target[key] = parsed.astimezone(UTC)
        return state


def due_reminders(entries: Iterable[tuple[CalendarRef, Event]], now: datetime,
                  state: ReminderState) -> list[Reminder]:
    """The reminders due at ``now``, soonest event first.

    An event is due when it has a reminder, its reminder time (or snooze end) is not after ``now``, it was not
    dismissed, and it ended less than :data:`OVERDUE_FOR` ago. Series masters and events with no id (free/busy
    blocks) never remind; their occurrences do.
    """
    out: dict[str, Reminder] = {}
    for cal, event in entries:
        if event.reminder_minutes is None or event.kind == "RecurringMaster" or not event.item_id:
            continue
        key = reminder_key(event)
        if key in state.dismissed or key in out:
            continue
        due = state.snoozed.get(key) or event.start - timedelta(minutes=max(event.reminder_minutes, 0))
        if due <= now and event.end + OVERDUE_FOR > now:
            out[key] = Reminder(key, cal, event, due)
    return sorted(out.values(), key=lambda r: (r.event.start, r.event.subject, r.key))


def _span(delta: timedelta) -> str:
    minutes = max(int(delta.total_seconds() // 60), 1)
    if minutes < 60:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        text = f"{hours} hour{'s' if hours != 1 else ''}"
        return text + (f" {rest} min" if rest else "")
    days = hours // 24
    return f"{days} day{'s' if days != 1 else ''}"


def due_text(event: Event, now: datetime) -> str:
    """"in 10 minutes", "now" (within a minute of the start), or "overdue by 25 minutes"."""
    if event.all_day and event.start <= now < event.end:
        return "today"
    ahead = event.start - now
    if abs(ahead) < timedelta(minutes=1):
        return "now"
    if ahead > timedelta(0):
        return f"in {_span(ahead + timedelta(seconds=59))}"
    return f"overdue by {_span(-ahead)}"


def next_change(entries: Iterable[tuple[CalendarRef, Event]], now: datetime, state: ReminderState) -> datetime | None:
    """When the next reminder that is not yet due will be (to wake up then), or None."""
    soonest: datetime | None = None
    for _cal, event in entries:
        if event.reminder_minutes is None or event.kind == "RecurringMaster" or not event.item_id:
            continue
        key = reminder_key(event)
        if key in state.dismissed:
            continue
        due = state.snoozed.get(key) or event.start - timedelta(minutes=max(event.reminder_minutes, 0))
        if due > now and (soonest is None or due < soonest):
            soonest = due
    return soonest


# -- how far ahead to load -----------------------------------------------------------------------------------------
#: The near load (every minute) looks at least this far ahead.
NEAR_AHEAD = timedelta(hours=24)
#: The wide load looks this far ahead (EWS allows reminders of weeks; longer ones are not looked for).
MAX_AHEAD = timedelta(days=14)
#: How often the wide load runs; between two, reminders come from the near load.
WIDE_EVERY = timedelta(minutes=15)


def wide_load_due(last_wide: datetime | None, now: datetime, every: timedelta = WIDE_EVERY) -> bool:
    """Whether the wide load should run now: never ran, ran ``every`` or more ago, or the clock went back."""
    return last_wide is None or not last_wide <= now < last_wide + every


def look_ahead(wide: Iterable[Event], every: timedelta = WIDE_EVERY) -> timedelta:
    """How far ahead the near load must look so that every reminder falling due before the next wide load is in
    it (fresh): the longest reminder among ``wide`` (the last wide load's events) plus ``every``, at least
    :data:`NEAR_AHEAD`, at most :data:`MAX_AHEAD`.

    An event due before the next wide load has ``start - reminder <= now + every``, so ``start <= now + longest
    reminder + every``.
    """
    longest = max((e.reminder_minutes for e in wide if e.reminder_minutes is not None and e.kind != "RecurringMaster"
                   and e.item_id), default=0)
    return min(max(timedelta(minutes=max(longest, 0)) + every, NEAR_AHEAD), MAX_AHEAD)


def merge_loads(near: Iterable[Event], near_until: datetime, wide: Iterable[Event]) -> list[Event]:
    """The events to remind from: the near load's (fresh) and, beyond its end, the last wide load's.

    Events of the wide load starting before ``near_until`` are dropped: the near load has them as they are now
    (moved, changed or deleted since). Those after it cannot fall due before the next wide load
    (:func:`look_ahead`); they only tell when to wake up.
    """
    return [*near, *(e for e in wide if e.start >= near_until)]
