"""Meeting messages as the reading pane's meeting bar shows them: requests and cancellations (no Qt, no EWS).

A meeting request in a mailbox (``IPM.Schedule.Meeting.Request``) can be answered for that mailbox only when the
user may change the meeting in the mailbox's calendar: the server checks ``Modify`` on the calendar item the
request is associated with. :func:`response_capability` says so, with the reason when not.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, tzinfo

from app.domain.calendar import ResponseType
from app.domain.messages import Person
from app.domain.rights import ALLOWED, Capability

REQUEST_CLASS = "IPM.Schedule.Meeting.Request"
CANCELLATION_CLASS = "IPM.Schedule.Meeting.Canceled"


class MeetingKind(enum.Enum):
    REQUEST = "request"
    CANCELLATION = "cancellation"


def meeting_kind(item_class: str) -> MeetingKind | None:
    """What kind of meeting message an ``ItemClass`` names (None: not a request or a cancellation)."""
    cls = (item_class or "").strip()
    if cls.casefold().startswith(REQUEST_CLASS.casefold()):
        return MeetingKind.REQUEST
    if cls.casefold().startswith(CANCELLATION_CLASS.casefold()):
        return MeetingKind.CANCELLATION
    return None


class SendMode(enum.Enum):
    """How a response goes out, as Outlook offers it."""

    SEND_NOW = "send"  # "Send the response now"
    EDIT = "edit"  # "Edit the response before sending" (with a message)
    DONT_SEND = "none"  # "Don't send a response" (the calendar changes, the organizer hears nothing)


@dataclass(frozen=True)
class MeetingInfo:
    """A meeting request or cancellation in a mailbox, with what the user may do about it.

    Attributes:
        item_id: The message's ItemId.
        mailbox: The mailbox holding it (responses go out as this mailbox).
        kind: Request or cancellation.
        subject: Subject of the meeting.
        start / end: Aware datetimes (UTC), or None when the message does not carry them.
        all_day: An all-day meeting.
        location: Where.
        organizer: Who organised it.
        my_response: The mailbox's answer so far (``NO_RESPONSE`` / ``UNKNOWN`` before one).
        calendar_item_id: The meeting in the mailbox's calendar (``AssociatedCalendarItemId``), "" if none.
        can_modify_calendar_item: The user may change that calendar item (the server's condition to respond).
        calendar_reason: Why not, in words, when the user may not.
        can_delete_calendar_item: The user may delete that calendar item (what "Remove from calendar" needs).
        delete_reason: Why not, in words, when the user may not.
        recurring: The request is for a series.
    """

    item_id: str
    mailbox: str
    kind: MeetingKind
    subject: str = ""
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    location: str = ""
    organizer: Person | None = None
    my_response: ResponseType = ResponseType.UNKNOWN
    calendar_item_id: str = ""
    can_modify_calendar_item: bool = False
    calendar_reason: str = ""
    can_delete_calendar_item: bool = False
    delete_reason: str = ""
    recurring: bool = False


ANSWERED = {ResponseType.ACCEPT: "You accepted", ResponseType.TENTATIVE: "You tentatively accepted",
            ResponseType.DECLINE: "You declined"}


def response_capability(info: MeetingInfo) -> Capability:
    """Whether the user may answer this request for its mailbox (and why not)."""
    if info.kind is not MeetingKind.REQUEST:
        return Capability(False, "This is not a meeting request.")
    if not info.can_modify_calendar_item:
        return Capability(False, info.calendar_reason or
                          f"You need write access to {info.mailbox}'s calendar to answer for it.")
    return ALLOWED


def when_text(info: MeetingInfo, tz: tzinfo) -> str:
    """"Tue 3 Mar 2026 10:00–11:00" in ``tz`` (dates only for all-day meetings; both dates across midnight)."""
    if info.start is None:
        return "time not given"
    start = info.start.astimezone(tz)
    end = info.end.astimezone(tz) if info.end is not None else None
    day = f"{start:%a} {start.day} {start:%b %Y}"
    if info.all_day:
        return f"{day} (all day)"
    if end is None:
        return f"{day} {start:%H:%M}"
    if end.date() == start.date():
        return f"{day} {start:%H:%M}–{end:%H:%M}"
    return f"{day} {start:%H:%M} – {end:%a} {end.day} {end:%b} {end:%H:%M}"


def bar_text(info: MeetingInfo, tz: tzinfo) -> str:
    """The meeting bar's line: "Meeting: <when>, <where>, organizer <who>"."""
    parts = [f"Meeting: {when_text(info, tz)}"]
    if info.location:
        parts.append(info.location)
    if info.organizer is not None:
        parts.append(f"organizer {info.organizer.name or info.organizer.address}")
    text = ", ".join(parts)
    if info.recurring:
        text += " (recurring)"
    return text
