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
from datetime import datetime, timedelta
from typing import Any

from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY, SHALLOW, CalendarItem
from lxml import etree

from app.domain.calendar import CalendarRef, Event, EventDraft
from app.domain.ical import IcsError, SeriesDraft, SeriesExceptions
from app.domain.messages import Person
from app.domain.rights import FolderRights
from app.ews import calendar as calendars
from app.ews.addressing import folder_id, folder_object, run
from app.ews.calendar_rows import CalendarViewItems, event_from_xml
from app.ews.calendar_series import series_rules
from app.ews.client import EwsClient

PAGE = 500
_T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
_FIELDS = ("subject", "start", "end", "is_all_day", "location", "legacy_free_busy_status", "organizer",
           "is_meeting", "my_response_type", "type", "effective_rights", "uid", "reminder_is_set",
           "reminder_minutes_before_start")


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
    masters with their recurrence, and by master item id the series' changed and removed occurrences
    (:func:`app.ews.calendar_series.series_rules`).
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

    where = f"{calendar.owner.name or calendar.folder.mailbox} › {calendar.name}"
    elements = run(client, calendar.folder.mailbox, find, denied=f"You cannot read {where}.")
    events = [e for e in (event_from_xml(el, calendar.folder, {}) for el in elements)
              if e is not None and e.kind in ("Single", "RecurringMaster")]
    masters = [e for e in events if e.kind == "RecurringMaster"]
    with_rules, exceptions = run(client, calendar.folder.mailbox, lambda: series_rules(account, masters),
                                 denied=f"You cannot read {where}.")
    return sorted((with_rules.get(e.item_id, e) for e in events), key=lambda e: (e.start, e.subject)), exceptions


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
