"""A whole calendar for an .ics export: its single events and series (masters with their recurrence), unexpanded.

Blocking; call on the calendar's mailbox queue. A date range is exported from the expanded view instead
(:func:`app.ews.calendar.events`); the whole calendar cannot be (a series never ending has no last occurrence).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY, SHALLOW, CalendarItem
from exchangelib.properties import ItemId
from lxml import etree

from app.domain.calendar import CalendarRef, Event
from app.ews.addressing import WholeGetItem, folder_id, folder_object, raise_first_error, run
from app.ews.calendar_rows import CalendarViewItems, event_from_xml
from app.ews.client import EwsClient
from app.ews.recurrence import from_ews_recurrence

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


def all_events(client: EwsClient, calendar: CalendarRef) -> list[Event]:
    """Every single event and series master of ``calendar`` (FindItem without a CalendarView, 500 a page), the
    masters with their recurrence (one GetItem per 100 masters). Occurrences changed one by one are left out:
    the file carries each series as its rule.
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

    def rules(masters: list[Event]) -> dict[str, Event]:
        found: dict[str, Event] = {}
        for n in range(0, len(masters), 100):
            chunk = masters[n:n + 100]
            got = raise_first_error(WholeGetItem(account=account).call(
                items=[ItemId(id=e.item_id) for e in chunk], additional_fields=_paths(("recurrence",)),
                shape=ID_ONLY))
            for master, item in zip(chunk, got, strict=True):
                rec = getattr(item, "recurrence", None)
                found[master.item_id] = replace(master, recurrence=from_ews_recurrence(rec) if rec else None)
        return found

    where = f"{calendar.owner.name or calendar.folder.mailbox} › {calendar.name}"
    elements = run(client, calendar.folder.mailbox, find, denied=f"You cannot read {where}.")
    events = [e for e in (event_from_xml(el, calendar.folder, {}) for el in elements)
              if e is not None and e.kind in ("Single", "RecurringMaster")]
    masters = [e for e in events if e.kind == "RecurringMaster"]
    with_rules = run(client, calendar.folder.mailbox, lambda: rules(masters), denied=f"You cannot read {where}.")
    return sorted((with_rules.get(e.item_id, e) for e in events), key=lambda e: (e.start, e.subject))
