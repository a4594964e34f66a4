"""A whole calendar for an .ics export, and an .ics import with series exceptions.

Export: the single events and series (masters with their recurrence and StartTimeZone), unexpanded, plus each
series' occurrences changed one by one (``ModifiedOccurrences``, read with one GetItem per 100) and removed ones
(``DeletedOccurrences``), which the file carries as RECURRENCE-ID VEVENTs and EXDATEs. A date range is exported
from the expanded view instead (:func:`app.ews.calendar.events`); the whole calendar cannot be (a series never
ending has no last occurrence).

Import: every event and series is created, then each series' exceptions are applied to its occurrences (found by
original start in a CalendarView); when anything fails, everything created is deleted again.

Blocking; call on the calendar's mailbox queue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY, SHALLOW, CalendarItem
from exchangelib.properties import ItemId
from lxml import etree

from app.domain.calendar import BusyStatus, CalendarRef, Event, EventDraft
from app.domain.ical import IcsError, SeriesDraft, SeriesExceptions
from app.domain.messages import Person
from app.domain.rights import FolderRights
from app.ews import calendar as calendars
from app.ews.addressing import WholeGetItem, folder_id, folder_object, raise_first_error, run
from app.ews.calendar_rows import CalendarViewItems, event_from_xml
from app.ews.client import EwsClient
from app.ews.recurrence import from_ews_recurrence

PAGE = 500
_T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
_FIELDS = ("subject", "start", "end", "is_all_day", "location", "legacy_free_busy_status", "organizer",
           "is_meeting", "my_response_type", "type", "effective_rights", "uid", "reminder_is_set",
           "reminder_minutes_before_start")
_MASTER_FIELDS = ("recurrence", "modified_occurrences", "deleted_occurrences", "_start_timezone")
_EXCEPTION_FIELDS = ("subject", "start", "end", "is_all_day", "location", "legacy_free_busy_status",
                     "reminder_is_set", "reminder_minutes_before_start")


def _paths(names: tuple[str, ...]) -> set[FieldPath]:
    return {FieldPath(field=CalendarItem.get_field_by_fieldname(n)) for n in names}


class _CalendarItems(CalendarViewItems):
    """FindItem on a calendar folder *without* a CalendarView: single events, series masters and exceptions."""

    def page(self, folder: Any, fields: Any, offset: int) -> Iterator[etree._Element]:
        payload = self.get_payload(
            folders=[folder], additional_fields=fields, restriction=None, order_fields=None, query_string=None,
            shape=ID_ONLY, depth=SHALLOW, calendar_view=None, page_size=PAGE, offset=offset,
        )
        for message in self._get_elements(payload=payload):
            if isinstance(message, Exception):
                raise message
            root, _next = message
            if isinstance(root, Exception):
                raise root
            if root is None:
                continue
            for el in self._get_elems_from_page(root, max_items=None, total_item_count=0):
                if el.tag == _T + "CalendarItem":
                    yield el


def whole_calendar(client: EwsClient, calendar: CalendarRef) -> tuple[list[Event], dict[str, SeriesExceptions]]:
    """Every single event and series master of ``calendar`` (FindItem without a CalendarView, 500 a page), the
    masters with their recurrence (one GetItem per 100 masters), and by master item id the series' changed and
    removed occurrences (one GetItem per 100 changed ones).
    """
    account = client.account(calendar.folder.mailbox)
    folder = folder_object(account, folder_id(calendar.folder))
    fields = _paths(_FIELDS)

    def find() -> list[etree._Element]:
        out: list[etree._Element] = []
        offset = 0
        while True:
            page = list(_CalendarItems(account=account, page_size=PAGE).page(folder, fields, offset))
            out.extend(page)
            if len(page) < PAGE:
                return out
            offset += PAGE

    def rules(masters: list[Event]) -> tuple[dict[str, Event], dict[str, SeriesExceptions]]:
        found: dict[str, Event] = {}
        changed: list[tuple[Event, datetime, str]] = []  # master, original start, the exception's item id
        deleted: dict[str, tuple[datetime, ...]] = {}
        for n in range(0, len(masters), 100):
            chunk = masters[n:n + 100]
            got = raise_first_error(WholeGetItem(account=account).call(
                items=[ItemId(id=e.item_id) for e in chunk], additional_fields=_paths(_MASTER_FIELDS),
                shape=ID_ONLY))
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
        for n in range(0, len(changed), 100):
            chunk_ = changed[n:n + 100]
            got = raise_first_error(WholeGetItem(account=account).call(
                items=[ItemId(id=i) for _m, _o, i in chunk_], additional_fields=_paths(_EXCEPTION_FIELDS),
                shape=ID_ONLY))
            for (master, original, _i), item in zip(chunk_, got, strict=True):
                modified.setdefault(master.item_id, []).append((original, _exception(master, item)))
        exceptions = {k: SeriesExceptions(tuple(sorted(modified.get(k, []), key=lambda m: m[0])),
                                          tuple(sorted(deleted.get(k, ()))))
                      for k in {*modified, *deleted}}
        return found, exceptions

    where = f"{calendar.owner.name or calendar.folder.mailbox} › {calendar.name}"
    elements = run(client, calendar.folder.mailbox, find, denied=f"You cannot read {where}.")
    events = [e for e in (event_from_xml(el, calendar.folder, {}) for el in elements)
              if e is not None and e.kind in ("Single", "RecurringMaster")]
    masters = [e for e in events if e.kind == "RecurringMaster"]
    with_rules, exceptions = run(client, calendar.folder.mailbox, lambda: rules(masters),
                                 denied=f"You cannot read {where}.")
    return sorted((with_rules.get(e.item_id, e) for e in events), key=lambda e: (e.start, e.subject)), exceptions


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


# -- import ------------------------------------------------------------------------------------------------------
def import_calendar(client: EwsClient, drafts: Sequence[EventDraft]) -> list[Event]:
    """Create every draft (no invitations), then apply each :class:`~app.domain.ical.SeriesDraft`'s exceptions
    to the series just created; all or nothing: when anything fails, what was created is deleted again.

    Raises:
        IcsError: A changed or removed occurrence is not an occurrence of its series (nothing was imported).
    """
    created = calendars.import_drafts(client, drafts)
    try:
        for draft, event in zip(drafts, created, strict=True):
            if isinstance(draft, SeriesDraft) and (draft.modified or draft.deleted):
                _apply_exceptions(client, draft, event)
    except BaseException:
        for event in reversed(created):
            with contextlib.suppress(Exception):
                calendars.delete_event(client, event, "series")
        raise
    return created


def _apply_exceptions(client: EwsClient, draft: SeriesDraft, master: Event) -> None:
    """Find every occurrence named first (before any changes), then remove and change them."""
    ref = CalendarRef(draft.calendar, "Calendar", Person(draft.calendar.mailbox), FolderRights.full())
    wanted = [*draft.deleted, *(original for original, _d in draft.modified)]
    found = {original: _occurrence(client, ref, draft, master, original) for original in wanted}
    for original in draft.deleted:
        calendars.delete_event(client, found[original], "occurrence")
    for original, change in draft.modified:
        calendars.update_event(client, found[original].item_id, replace(change, calendar=draft.calendar),
                               "occurrence")


def _occurrence(client: EwsClient, ref: CalendarRef, draft: SeriesDraft, master: Event,
                original: datetime) -> Event:
    """The occurrence of ``master`` starting at ``original`` (all-day: on that date): one CalendarView."""
    span = timedelta(days=1) if draft.all_day else timedelta(minutes=1)
    for event in calendars.events(client, ref, original, original + span):
        ours = (event.uid == master.uid and bool(master.uid)) or event.series_id == master.item_id
        same = event.start.date() == original.date() if draft.all_day else event.start == original
        if ours and same and event.kind == "Occurrence":
            return event
    raise IcsError(f"“{draft.subject}” has no occurrence on {original:%a %d %b %Y %H:%M} UTC to change or remove; "
                   "nothing was imported.")
