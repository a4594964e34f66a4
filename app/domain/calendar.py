"""Calendars, events, recurrence and free/busy as the calendar views show them (no Qt, no exchangelib)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime

from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.rights import FolderRights, ItemRights


class BusyStatus(enum.Enum):
    FREE = "Free"
    TENTATIVE = "Tentative"
    BUSY = "Busy"
    OOF = "OOF"
    WORKING_ELSEWHERE = "WorkingElsewhere"
    NO_DATA = "NoData"


class ResponseType(enum.Enum):
    UNKNOWN = "Unknown"
    ORGANIZER = "Organizer"
    TENTATIVE = "Tentative"
    ACCEPT = "Accept"
    DECLINE = "Decline"
    NO_RESPONSE = "NoResponseReceived"


class Frequency(enum.Enum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY_BY_DATE = "monthly_by_date"  # the 15th of every month
    MONTHLY_BY_WEEKDAY = "monthly_by_weekday"  # the second Tuesday of every month
    YEARLY = "yearly"


@dataclass(frozen=True)
class Recurrence:
    """A series pattern and its end (count, until, or never).

    Attributes:
        weekdays: For WEEKLY (and MONTHLY_BY_WEEKDAY: one day), ISO weekday numbers 1 (Mon) .. 7 (Sun).
        week_of_month: For MONTHLY_BY_WEEKDAY: 1..4, or 5 for "last".
    """

    frequency: Frequency
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    day_of_month: int = 0
    week_of_month: int = 0
    month: int = 0
    start: date | None = None
    until: date | None = None
    count: int = 0


@dataclass(frozen=True)
class Attendee:
    person: Person
    kind: str = "Required"  # Required | Optional | Resource
    response: ResponseType = ResponseType.UNKNOWN


@dataclass(frozen=True)
class CalendarRef:
    """A calendar folder the user can open: its folder, owner and the user's rights on it.

    ``free_busy_only`` marks calendars shared with FreeBusyTimeOnly / FreeBusyTimeAndSubjectAndLocation: the view
    shows busy blocks (with subject and location for the latter) and nothing can be opened.
    """

    folder: FolderRef
    name: str
    owner: Person
    rights: FolderRights
    free_busy_only: bool = False
    subject_visible: bool = True


@dataclass(frozen=True)
class Event:
    """One event or one occurrence of a series, in aware datetimes (UTC from the server; views convert).

    Attributes:
        item_id: ItemId of the single event or of this occurrence.
        series_id: ItemId of the recurring master for an occurrence or exception, "" otherwise.
        kind: "Single" | "Occurrence" | "Exception" | "RecurringMaster".
        time_zone: IANA name of the zone a series recurs in (its StartTimeZone), "" when not known.
        computed: An occurrence Mailroom computed from its series' pattern, because the server listed only the
            series (kind "RecurringMaster", ``item_id`` the series'): opening it opens the series; it cannot be
            moved or deleted on its own.
    """

    item_id: str
    change_key: str
    calendar: FolderRef
    subject: str
    start: datetime
    end: datetime
    all_day: bool = False
    location: str = ""
    busy: BusyStatus = BusyStatus.BUSY
    organizer: Person | None = None
    attendees: tuple[Attendee, ...] = ()
    is_meeting: bool = False
    my_response: ResponseType = ResponseType.UNKNOWN
    series_id: str = ""
    kind: str = "Single"
    recurrence: Recurrence | None = None
    body_text: str = ""
    reminder_minutes: int | None = None
    rights: ItemRights = field(default_factory=ItemRights)
    uid: str = ""
    time_zone: str = ""
    computed: bool = False


@dataclass(frozen=True)
class FreeBusyBlock:
    start: datetime
    end: datetime
    busy: BusyStatus
    subject: str = ""
    location: str = ""


@dataclass
class EventDraft:
    """An event being created or edited (a whole series when ``recurrence`` is set)."""

    calendar: FolderRef
    subject: str
    start: datetime
    end: datetime
    all_day: bool = False
    location: str = ""
    body_text: str = ""
    busy: BusyStatus = BusyStatus.BUSY
    attendees: list[Attendee] = field(default_factory=list)
    recurrence: Recurrence | None = None
    reminder_minutes: int | None = 15
    item_id: str = ""
    change_key: str = ""
