"""Events of a calendar range straight from the XML of a FindItem ``CalendarView`` answer.

exchangelib builds a full ``CalendarItem`` per item (a few hundred microseconds each, holding the GIL): a month
of 5,000 events spent seconds there after a second on the wire, and starved the GUI thread meanwhile. The views
need a dozen properties, read here directly from the elements (as :mod:`app.ews.rows` does for message lists).

Exchange answers a FindItem with at most ``EWSFindCountLimit`` entries (1000 by default), CalendarView included: a
bigger range comes back cut, ``IncludesLastItemInRange="false"``. :func:`whole_range` then asks again from the
start of the last entry received until the range is complete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchangelib.items import ID_ONLY, SHALLOW
from exchangelib.services import FindItem
from lxml import etree

from app.domain.calendar import BusyStatus, Event, ResponseType
from app.domain.errors import ServerError
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.rights import ItemRights
from app.ews.addressing import WholeBodyParsing
from app.ews.rows import parse_time

_T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
_BUSY = {s.value: s for s in BusyStatus}
_RESPONSE = {r.value: r for r in ResponseType}
MAX_VIEW_REQUESTS = 50  # CalendarView round trips for one range (50,000 entries at Exchange's default limit)


@dataclass(frozen=True)
class ViewPage:
    """One CalendarView answer: its ``t:CalendarItem`` elements, by start, and whether the range ends there."""

    elements: list[etree._Element]
    complete: bool


class _Bytes:
    """A received body whose ``iter_content()`` is the bytes themselves: exchangelib's ``to_xml`` then parses
    them from a BytesIO. (Handed over as one chunk of an iterator, they go through ``BytesGeneratorIO``, whose
    ``read`` copies the rest of the buffer on every call: quadratic, a second for a 3 MB month of events.)"""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def iter_content(self) -> bytes:
        return self._content


class CalendarViewItems(WholeBodyParsing, FindItem):
    """One FindItem ``CalendarView`` round trip, the items handed back as XML elements (body parsed whole)."""

    def _get_soap_parts(self, response):  # exchangelib's signature
        content = getattr(response, "content", None)
        if isinstance(content, bytes):
            return FindItem._get_soap_parts(_Bytes(content))
        return super()._get_soap_parts(response)

    def view_page(self, folder: Any, fields: Any, view: Any) -> ViewPage:
        """The view's ``t:CalendarItem`` elements (other item kinds are skipped), possibly cut by the server."""
        payload = self.get_payload(
            folders=[folder], additional_fields=fields, restriction=None, order_fields=None, query_string=None,
            shape=ID_ONLY, depth=SHALLOW, calendar_view=view, page_size=None, offset=0,
        )
        out: list[etree._Element] = []
        complete = True
        for message in self._get_elements(payload=payload):
            if isinstance(message, Exception):
                raise message
            root, _next = message
            if isinstance(root, Exception):
                raise root
            if root is None:  # exchangelib drops an empty RootFolder
                continue
            complete = complete and _bool(root.get("IncludesLastItemInRange", ""), True)
            out.extend(el for el in self._get_elems_from_page(root, max_items=None, total_item_count=0)
                       if el.tag == _T + "CalendarItem")
        return ViewPage(out, complete)


def whole_range(ask: Callable[[datetime], ViewPage], start: datetime,
                max_requests: int = MAX_VIEW_REQUESTS) -> list[etree._Element]:
    """Every entry of a CalendarView range, asking again while the server cuts its answers.

    A cut answer holds the earliest entries; the next request starts at the latest start received (entries
    sharing that start may have been left out), and entries already received (the same ItemId: each occurrence
    has its own) are dropped. A complete first answer costs one request.

    Args:
        ask: One CalendarView request from the given start to the range's end.
        start: The range's start (aware).
        max_requests: Round trips allowed before giving up.

    Raises:
        ServerError: The range could not be completed (more entries than ``max_requests`` answers hold, or more
            entries overlap one instant than one answer holds).
    """
    out: list[etree._Element] = []
    seen: set[str] = set()
    since = start
    for _ in range(max_requests):
        page = ask(since)
        fresh = 0
        for el in page.elements:
            item_id = el.find(_T + "ItemId")
            key = item_id.get("Id") if item_id is not None else None
            if key and key not in seen:
                seen.add(key)
                out.append(el)
                fresh += 1
        if page.complete:
            return out
        starts = [t for el in page.elements if (t := parse_time(_text(el, "Start"))) is not None]
        if not fresh or not starts:
            raise ServerError(f"Too many events overlap {since:%d %b %Y %H:%M} UTC: Exchange cannot list them all. "
                              f"Mailroom shows none of this range rather than part of it.")
        since = max(since, max(starts))
    raise ServerError(f"This range holds too many events to show ({len(out)} read in {max_requests} requests and "
                      f"more to come). Choose a shorter range.")


def _text(el: etree._Element, tag: str) -> str:
    found = el.find(_T + tag)
    return (found.text or "") if found is not None else ""


def _children(el: etree._Element) -> dict[str, str]:
    """Local name -> text of the element's children (one pass; ``find`` per field scans them all again)."""
    return {child.tag[len(_T):]: child.text or "" for child in el if isinstance(child.tag, str)}


def _bool(value: str, default: bool = False) -> bool:
    return value.strip().lower() in ("true", "1") if value else default


def _child(el: etree._Element, name: str) -> etree._Element | None:
    tag = _T + name
    return next((c for c in el if c.tag == tag), None)


def _rights(el: etree._Element | None) -> ItemRights:
    if el is None:
        return ItemRights(read=True, modify=False, delete=False)  # unknown: the safe side
    f = _children(el)
    return ItemRights(read=_bool(f.get("Read", ""), True), modify=_bool(f.get("Modify", "")),
                      delete=_bool(f.get("Delete", "")))


def _organizer(el: etree._Element | None) -> Person | None:
    mailbox = _child(el, "Mailbox") if el is not None else None
    if mailbox is None:
        return None
    f = _children(mailbox)
    address, name = f.get("EmailAddress", ""), f.get("Name", "")
    return Person(address, name) if address or name else None


def event_from_xml(el: etree._Element, calendar: FolderRef, masters: Mapping[str, str]) -> Event | None:
    """The view's Event of a ``t:CalendarItem`` element; None without an ItemId, start or end.

    Args:
        masters: UID -> ItemId of the series master (fills ``series_id`` of occurrences and exceptions).
    """
    parts = {child.tag[len(_T):]: child for child in el if isinstance(child.tag, str)}
    f = {name: child.text or "" for name, child in parts.items()}
    item_id = parts.get("ItemId")
    start, end = parse_time(f.get("Start", "")), parse_time(f.get("End", ""))
    if item_id is None or not item_id.get("Id") or start is None or end is None:
        return None
    kind = f.get("CalendarItemType") or "Single"
    uid = f.get("UID", "")
    minutes = f.get("ReminderMinutesBeforeStart", "")
    return Event(
        item_id=item_id.get("Id") or "",
        change_key=item_id.get("ChangeKey") or "",
        calendar=calendar,
        subject=f.get("Subject", ""),
        start=start,
        end=end,
        all_day=_bool(f.get("IsAllDayEvent", "")),
        location=f.get("Location", ""),
        busy=_BUSY.get(f.get("LegacyFreeBusyStatus") or "Busy", BusyStatus.BUSY),
        organizer=_organizer(parts.get("Organizer")),
        is_meeting=_bool(f.get("IsMeeting", "")),
        my_response=_RESPONSE.get(f.get("MyResponseType") or "Unknown", ResponseType.UNKNOWN),
        series_id=masters.get(uid, "") if kind in ("Occurrence", "Exception") else "",
        kind=kind,
        reminder_minutes=int(minutes) if _bool(f.get("ReminderIsSet", "")) and minutes.isdigit() else None,
        rights=_rights(parts.get("EffectiveRights")),
        uid=uid,
    )


def series_uids(elements: Iterable[etree._Element]) -> dict[str, str]:
    """UID -> ItemId of one occurrence (or exception) per series among ``elements``."""
    out: dict[str, str] = {}
    for el in elements:
        if _text(el, "CalendarItemType") in ("Occurrence", "Exception"):
            uid, item_id = _text(el, "UID"), el.find(_T + "ItemId")
            if uid and item_id is not None and item_id.get("Id"):
                out.setdefault(uid, item_id.get("Id") or "")
    return out
