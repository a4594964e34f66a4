"""Free/busy of people and rooms (GetUserAvailability) and the organisation's rooms (GetRoomLists, GetRooms).

Blocking; call through :mod:`app.tasks`. The pure slot search is :func:`app.domain.scheduling.suggest_slot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from exchangelib.ewsdatetime import EWSDateTime, EWSTimeZone

from app.domain.calendar import BusyStatus, FreeBusyBlock
from app.domain.messages import Person
from app.domain.scheduling import WorkingHours
from app.domain.scheduling import suggest_slot as suggest_slot
from app.ews.client import EwsClient

__all__ = ["WorkingHours", "free_busy", "room_lists", "rooms", "suggest_slot"]


def free_busy(client: EwsClient, addresses: Sequence[str], start: datetime, end: datetime,
              interval_minutes: int = 30) -> dict[str, list[FreeBusyBlock]]:
    """Busy blocks of each address in ``[start, end)``: one GetUserAvailability for all of them.

    Keys are the addresses as given. An address whose free/busy cannot be read gets one NO_DATA block for the
    whole range. Blocks carry subject and location when the calendar's permission shows them.
    """
    if not addresses:
        return {}
    protocol = client.own.protocol
    utc = EWSTimeZone("UTC")
    window_start = EWSDateTime.from_datetime(start.astimezone(UTC)).astimezone(utc)
    window_end = EWSDateTime.from_datetime(end.astimezone(UTC)).astimezone(utc)
    asked = [(a, "Required", False) for a in addresses]

    def call() -> list[Any]:
        return list(protocol.get_free_busy_info(asked, window_start, window_end,
                                                merged_free_busy_interval=interval_minutes,
                                                requested_view="DetailedMerged"))

    views = client.retrying(call, mailbox=addresses[0])
    out: dict[str, list[FreeBusyBlock]] = {}
    for address, view in zip(addresses, views, strict=True):
        if isinstance(view, Exception) or view is None:
            out[address] = [FreeBusyBlock(start, end, BusyStatus.NO_DATA)]
            continue
        blocks = []
        for ev in view.calendar_events or ():
            details = ev.details
            blocks.append(FreeBusyBlock(
                start=_utc(ev.start), end=_utc(ev.end), busy=_STATUS.get(ev.busy_type or "Busy", BusyStatus.BUSY),
                subject=(details.subject or "") if details else "",
                location=(details.location or "") if details else ""))
        out[address] = sorted(blocks, key=lambda b: (b.start, b.end))
    return out


def room_lists(client: EwsClient) -> list[Person]:
    """The organisation's room lists (GetRoomLists), as name + address."""
    protocol = client.own.protocol
    found = client.retrying(lambda: list(protocol.get_roomlists()))
    return [Person(m.email_address or "", m.name or "") for m in found if not isinstance(m, Exception)]


def rooms(client: EwsClient, room_list: str) -> list[Person]:
    """The rooms of a room list (GetRooms), as name + address."""
    protocol = client.own.protocol
    found = client.retrying(lambda: list(protocol.get_rooms(room_list)))
    out = []
    for r in found:
        if isinstance(r, Exception):
            continue
        box = getattr(r, "email", None) or getattr(r, "mailbox", None) or r
        out.append(Person(getattr(box, "email_address", "") or "", getattr(box, "name", "") or ""))
    return out



# -- implementation ------------------------------------------------------------------------------------------
_STATUS = {s.value: s for s in BusyStatus}


def _utc(value: Any) -> datetime:
    """A response time (wall clock of the request's UTC zone, maybe naive) as an aware UTC datetime."""
    if value.tzinfo is None:
        return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, tzinfo=UTC)
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)




