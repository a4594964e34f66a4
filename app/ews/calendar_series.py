"""Series masters read in full: their pattern and time zone, and their occurrences changed or removed one by one.

Used for an .ics export of a whole calendar and to expand series a server listed unexpanded in a CalendarView.
Blocking: call inside :func:`app.ews.addressing.run` on the calendar's mailbox queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY, CalendarItem
from exchangelib.properties import ItemId

from app.domain.calendar import BusyStatus, Event
from app.domain.ical import SeriesExceptions
from app.ews.addressing import WholeGetItem, raise_first_error
from app.ews.recurrence import from_ews_recurrence

BATCH = 100  # items per GetItem
_MASTER_FIELDS = ("recurrence", "modified_occurrences", "deleted_occurrences", "_start_timezone")
_EXCEPTION_FIELDS = ("subject", "start", "end", "is_all_day", "location", "legacy_free_busy_status",
                     "reminder_is_set", "reminder_minutes_before_start")


def _paths(names: tuple[str, ...]) -> set[FieldPath]:
    return {FieldPath(field=CalendarItem.get_field_by_fieldname(n)) for n in names}


def series_rules(account: Any, masters: Sequence[Event]) -> tuple[dict[str, Event], dict[str, SeriesExceptions]]:
    """The masters with their recurrence and time zone, and by master item id their changed and removed occurrences.

    One GetItem per :data:`BATCH` masters, then one per :data:`BATCH` changed occurrences. A master whose pattern
    Mailroom cannot read keeps ``recurrence=None``.

    Args:
        account: The exchangelib account of the calendar's mailbox.
        masters: Series masters (kind "RecurringMaster") as a view read them.
    """
    found: dict[str, Event] = {}
    changed: list[tuple[Event, datetime, str]] = []  # master, original start, the exception's item id
    deleted: dict[str, tuple[datetime, ...]] = {}
    for n in range(0, len(masters), BATCH):
        chunk = masters[n:n + BATCH]
        got = raise_first_error(WholeGetItem(account=account).call(
            items=[ItemId(id=e.item_id) for e in chunk], additional_fields=_paths(_MASTER_FIELDS), shape=ID_ONLY))
        for master, item in zip(chunk, got, strict=True):
            rec = getattr(item, "recurrence", None)
            found[master.item_id] = with_rule = replace(
                master, recurrence=from_ews_recurrence(rec) if rec else None, time_zone=_zone_name(item))
            changed.extend((with_rule, _utc(o.original_start), o.id)
                           for o in getattr(item, "modified_occurrences", None) or () if o.id and o.original_start)
            gone = tuple(_utc(d.start) for d in getattr(item, "deleted_occurrences", None) or () if d.start)
            if gone:
                deleted[master.item_id] = gone
    modified: dict[str, list[tuple[datetime, Event]]] = {}
    for n in range(0, len(changed), BATCH):
        part = changed[n:n + BATCH]
        got = raise_first_error(WholeGetItem(account=account).call(
            items=[ItemId(id=i) for _m, _o, i in part], additional_fields=_paths(_EXCEPTION_FIELDS), shape=ID_ONLY))
        for (master, original, _i), item in zip(part, got, strict=True):
            modified.setdefault(master.item_id, []).append((original, _exception(master, item)))
    exceptions = {k: SeriesExceptions(tuple(sorted(modified.get(k, []), key=lambda m: m[0])),
                                      tuple(sorted(deleted.get(k, ()))))
                  for k in {*modified, *deleted}}
    return found, exceptions


def _zone_name(item: Any) -> str:
    """The IANA name of the zone a series recurs in (its StartTimeZone), "" when the server gave none."""
    zone = getattr(item, "_start_timezone", None)
    return str(getattr(zone, "key", "") or "")


def _utc(value: Any) -> datetime:
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def _exception(master: Event, item: Any) -> Event:
    """One changed occurrence: the series' event with what the occurrence has of its own."""
    try:
        busy = BusyStatus(item.legacy_free_busy_status or "Busy")
    except ValueError:
        busy = BusyStatus.BUSY
    return replace(master, item_id=item.id or "", change_key=item.changekey or "", kind="Exception",
                   series_id=master.item_id, recurrence=None, subject=item.subject or "", start=_utc(item.start),
                   end=_utc(item.end), all_day=bool(item.is_all_day), location=item.location or "", busy=busy,
                   reminder_minutes=item.reminder_minutes_before_start if item.reminder_is_set else None)
