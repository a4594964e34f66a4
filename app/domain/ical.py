"""iCalendar (.ics) export and import with the ``icalendar`` package; hostile files are refused whole.

Import validates everything before anything is created: :func:`parse_ics` either returns every draft or raises
:class:`IcsError` with words for the user. Recurrence rules are never expanded: an RRULE maps to a
:class:`~app.domain.calendar.Recurrence` or the file is refused.

Occurrences of a series changed or removed one by one travel as RFC 5545 and Outlook write them: a VEVENT with
the series' UID and a RECURRENCE-ID (the occurrence's original start) for each changed one, an EXDATE on the
series for each removed one. Export takes them as :class:`SeriesExceptions`; import returns such a series as a
:class:`SeriesDraft` (the series, then its exceptions to apply once it exists).

A series is written in the zone it recurs in (RFC 5545 3.3.10): DTSTART/DTEND, RECURRENCE-ID and EXDATE as local
times with a TZID (and its VTIMEZONE), UNTIL as the UTC instant of the last occurrence, so a 09:30 Berlin meeting
stays at 09:30 Berlin across daylight-saving changes in every client. Single events are written in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from app.domain.calendar import Attendee, BusyStatus, Event, EventDraft, Frequency, Recurrence
from app.domain.errors import MailroomError
from app.domain.folders import FolderRef
from app.domain.messages import Person

MAX_BYTES = 5_000_000
MAX_EVENTS = 5000


class IcsError(MailroomError):
    """The file cannot be imported; ``str(error)`` says why in plain words. Nothing was imported."""


@dataclass(frozen=True)
class SeriesExceptions:
    """A series' occurrences changed or removed one by one, for export.

    Attributes:
        modified: (original start, the occurrence as it is now) per changed occurrence.
        deleted: The original starts of the removed occurrences.
    """

    modified: tuple[tuple[datetime, Event], ...] = ()
    deleted: tuple[datetime, ...] = ()


@dataclass
class SeriesDraft(EventDraft):
    """A series read from a file with its exceptions: create the series, then change ``modified`` (original
    start -> the occurrence as the file has it) and remove ``deleted`` (original starts)."""

    modified: list[tuple[datetime, EventDraft]] = field(default_factory=list)
    deleted: list[datetime] = field(default_factory=list)


def export_ics(events: Sequence[Event], calendar_name: str,
               exceptions: Mapping[str, SeriesExceptions] | None = None, tz: tzinfo | None = None) -> bytes:
    """A VCALENDAR with one VEVENT per event (single events in UTC; a series' master carries its RRULE and is
    written in its time zone, with a VTIMEZONE for it).

    Args:
        events: Single events, series masters, or (a date range) occurrences, each exported as itself.
        calendar_name: X-WR-CALNAME.
        exceptions: By a master's item id: its changed occurrences (VEVENTs with the master's UID and a
            RECURRENCE-ID) and removed ones (EXDATE on the master).
        tz: The zone of series whose own zone (:attr:`Event.time_zone`) is not known, normally the user's;
            without it (or when it has no IANA name) such series are written in UTC.
    """
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", calendar_name)
    stamp = datetime.now(UTC).replace(microsecond=0)
    zoned: list[date] = []  # the first and last days of the series written with a TZID
    for ev in events:
        uid = ev.uid or ev.item_id or f"{ev.start.isoformat()}-{ev.subject}"
        if ev.kind in ("Occurrence", "Exception"):  # one instance of a series, exported as itself
            uid = f"{uid}-{ev.start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
        series = ev.kind == "RecurringMaster" and ev.recurrence is not None
        zone = _series_zone(ev, tz) if series and not ev.all_day else UTC
        master = _vevent(ev, uid, stamp, zone)
        changes = (exceptions or {}).get(ev.item_id) if series else None
        cal.add_component(master)
        if zone is not UTC:
            until = ev.recurrence.until if ev.recurrence is not None else None
            zoned.extend((ev.start.date(), until or ev.start.date()))
        if changes is None:
            continue
        for original in changes.deleted:
            master.add("exdate", _instant(original, ev.all_day, zone))
        for original, occurrence in changes.modified:
            vevent = _vevent(replace(occurrence, kind="Single", recurrence=None), uid, stamp, zone)
            vevent.add("recurrence-id", _instant(original, ev.all_day, zone))
            cal.add_component(vevent)
    if zoned:  # a VTIMEZONE per TZID used: its transitions from a year before the first series to 2038 or later
        last = min(max(date(2038, 1, 1), max(zoned) + timedelta(days=366)), date(MAX_YEAR, 1, 1))
        cal.add_missing_timezones(first_date=min(zoned) - timedelta(days=366), last_date=last)
    return cal.to_ical()


def _series_zone(ev: Event, fallback: tzinfo | None) -> tzinfo:
    """The zone a series is written in: its own, else ``fallback``, when either is a known IANA zone; else UTC."""
    for name in (ev.time_zone, getattr(fallback, "key", None) or ""):
        if not name:
            continue
        if name.upper() in _UTC_NAMES:
            return UTC
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def _instant(moment: datetime, all_day: bool, zone: tzinfo = UTC) -> datetime | date:
    """A series' start as the file writes it (RECURRENCE-ID, EXDATE): the date for all-day events, else the
    same form as the series' DTSTART (local in ``zone``, or UTC)."""
    return moment.astimezone(UTC).date() if all_day else moment.astimezone(zone)


def _vevent(ev: Event, uid: str, stamp: datetime, zone: tzinfo = UTC) -> Any:
    """The VEVENT of one event (its RRULE when it is a series' master; times in ``zone``; dates when all day)."""
    vevent = icalendar.Event()
    vevent.add("uid", uid)
    vevent.add("dtstamp", stamp)
    vevent.add("summary", ev.subject)
    if ev.all_day:
        vevent.add("dtstart", ev.start.date())
        vevent.add("dtend", ev.end.date() if ev.end.date() > ev.start.date() else ev.start.date() + timedelta(1))
    else:
        vevent.add("dtstart", ev.start.astimezone(zone))
        vevent.add("dtend", ev.end.astimezone(zone))
    if ev.location:
        vevent.add("location", ev.location)
    if ev.body_text:
        vevent.add("description", ev.body_text)
    vevent.add("transp", "TRANSPARENT" if ev.busy is BusyStatus.FREE else "OPAQUE")
    if ev.busy in _BUSY_TO_ICS:
        vevent.add("x-microsoft-cdo-busystatus", _BUSY_TO_ICS[ev.busy])
    if ev.organizer is not None and ev.organizer.address:
        vevent.add("organizer", f"mailto:{ev.organizer.address}", parameters=_cn(ev.organizer.name))
    for a in ev.attendees:
        params = _cn(a.person.name)
        params["ROLE"] = "OPT-PARTICIPANT" if a.kind == "Optional" else "REQ-PARTICIPANT"
        if a.kind == "Resource":
            params["CUTYPE"] = "RESOURCE"
        vevent.add("attendee", f"mailto:{a.person.address}", parameters=params)
    if ev.recurrence is not None and ev.kind == "RecurringMaster":
        vevent.add("rrule", _rrule(ev.recurrence, None if ev.all_day else ev.start.astimezone(zone)))
    if ev.reminder_minutes is not None:
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", ev.subject or "Reminder")
        alarm.add("trigger", -timedelta(minutes=ev.reminder_minutes))
        vevent.add_component(alarm)
    return vevent


def parse_ics(data: bytes, *, calendar: FolderRef | None = None, max_bytes: int = MAX_BYTES,
              max_events: int = MAX_EVENTS) -> list[EventDraft]:
    """Every VEVENT of ``data`` as a draft for ``calendar``, validated before any is returned.

    Raises:
        IcsError: Too big, not iCalendar, too many events, a bad or missing date, an unknown time zone, or a
            recurrence rule Mailroom cannot represent (never expanded).
    """
    _prescan(data, max_bytes, max_events)
    try:
        cal = icalendar.Calendar.from_ical(data)
    except (ValueError, KeyError, IndexError, TypeError, RecursionError) as error:
        raise IcsError(f"This iCalendar file cannot be read: {error}") from error
    if isinstance(cal, list):
        raise IcsError("The file holds several calendars; export them one at a time.")
    if cal.name != "VCALENDAR":
        raise IcsError("This is not an iCalendar file: it holds no VCALENDAR.")
    target = calendar or FolderRef("", well_known="calendar")
    drafts: list[EventDraft] = []
    series: dict[str, SeriesDraft] = {}
    changed: list[tuple[str, datetime, EventDraft, str]] = []  # UID, original start, the occurrence, label
    for n, vevent in enumerate(cal.walk("VEVENT"), start=1):
        summary = str(vevent.get("SUMMARY", "") or "")
        label = f"event {n}" + (f" (“{summary[:60]}”)" if summary else "")
        draft = _draft(vevent, target, label)
        uid = str(vevent.get("UID", "") or "").strip()
        if "RECURRENCE-ID" in vevent:
            if draft.recurrence is not None:
                raise IcsError(f"In {label}, a changed occurrence (RECURRENCE-ID) has a recurrence rule of its own; "
                               "nothing was imported.")
            changed.append((uid, _recurrence_id(vevent, label), draft, label))
        elif draft.recurrence is not None:
            whole = SeriesDraft(**{f.name: getattr(draft, f.name) for f in fields(draft) if f.init},
                                deleted=_exdates(vevent, label))
            if uid and uid in series:
                raise IcsError(f"In {label}, a second series has the UID of an earlier one; nothing was imported.")
            if uid:
                series[uid] = whole
            drafts.append(whole)
        else:
            drafts.append(draft)
    for uid, original, draft, label in changed:
        owner = series.get(uid) if uid else None
        if owner is None:  # one occurrence without its series (an invitation to it): imported as an event
            drafts.append(draft)
            continue
        if original in owner.deleted or any(o == original for o, _d in owner.modified):
            raise IcsError(f"In {label}, the occurrence of {original:%Y-%m-%d %H:%M} UTC is changed twice or also "
                           "removed; nothing was imported.")
        owner.modified.append((original, draft))
    if not drafts:
        raise IcsError("The file holds no events.")
    return drafts


# -- implementation ------------------------------------------------------------------------------------------
PRODID = "-//Mailroom//Mailroom calendar//EN"
MAX_DEPTH = 4  # VCALENDAR > VEVENT > VALARM, VCALENDAR > VTIMEZONE > STANDARD
MAX_RRULE_CHARS = 300
MAX_COUNT = 999  # Exchange's NumberedRecurrence limit
MAX_INTERVAL = 99
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_SUBJECT = 255
_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_UTC_NAMES = {"UTC", "ETC/UTC", "ETC/UCT", "UCT", "ETC/GMT", "GMT", "ETC/ZULU", "ZULU", "UNIVERSAL", "ETC/UNIVERSAL"}
_BUSY_TO_ICS = {BusyStatus.FREE: "FREE", BusyStatus.TENTATIVE: "TENTATIVE", BusyStatus.BUSY: "BUSY",
                BusyStatus.OOF: "OOF", BusyStatus.WORKING_ELSEWHERE: "WORKINGELSEWHERE"}
_ICS_TO_BUSY = {v: k for k, v in _BUSY_TO_ICS.items()}
_ALLOWED_RULE_PARTS = {"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST"}


def _cn(name: str) -> dict[str, str]:
    return {"CN": name} if name else {}


def _rrule(rec: Recurrence, first: datetime | None) -> dict[str, Any]:
    """The RRULE of ``rec``; UNTIL a date for all-day series (``first`` None), else the UTC instant of the last
    occurrence: ``first``'s local time on the UNTIL day in ``first``'s zone (RFC 5545 3.3.10)."""
    rule: dict[str, Any] = {"INTERVAL": max(1, rec.interval)}
    f = rec.frequency
    if f is Frequency.DAILY:
        rule["FREQ"] = "DAILY"
    elif f is Frequency.WEEKLY:
        rule["FREQ"] = "WEEKLY"
        rule["BYDAY"] = [_DAYS[d - 1] for d in rec.weekdays]
    elif f is Frequency.MONTHLY_BY_DATE:
        rule["FREQ"] = "MONTHLY"
        rule["BYMONTHDAY"] = rec.day_of_month
    elif f is Frequency.MONTHLY_BY_WEEKDAY:
        rule["FREQ"] = "MONTHLY"
        week = -1 if rec.week_of_month >= 5 else rec.week_of_month
        rule["BYDAY"] = f"{week}{_DAYS[(rec.weekdays or (1,))[0] - 1]}"
    else:
        rule["FREQ"] = "YEARLY"
        rule["BYMONTH"] = rec.month
        rule["BYMONTHDAY"] = rec.day_of_month
    if rec.count:
        rule["COUNT"] = rec.count
    elif rec.until is not None:
        rule["UNTIL"] = rec.until if first is None else datetime.combine(
            rec.until, first.timetz()).astimezone(UTC)
    return rule


def _prescan(data: bytes, max_bytes: int, max_events: int) -> None:
    """Refuse before parsing: size, event count, nesting depth, giant lines."""
    if len(data) > max_bytes:
        raise IcsError(f"The file is {len(data) / 1_000_000:.1f} MB; Mailroom imports calendar files of up to "
                       f"{max_bytes / 1_000_000:g} MB.")
    if not data.lstrip(b"\xef\xbb\xbf \r\n\t").upper().startswith(b"BEGIN:VCALENDAR"):
        raise IcsError("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")
    depth = 0
    events = 0
    for raw in data.splitlines():
        line = raw.strip().upper()
        if line.startswith(b"BEGIN:"):
            depth += 1
            if depth > MAX_DEPTH:
                raise IcsError(f"The file nests calendar components more than {MAX_DEPTH} deep; it was not imported.")
            if line == b"BEGIN:VEVENT":
                events += 1
                if events > max_events:
                    raise IcsError(f"The file holds more than {max_events} events; import it in smaller parts.")
        elif line.startswith(b"END:"):
            depth -= 1
            if depth < 0:
                raise IcsError("The file is damaged: a component ends that never began.")
    if depth != 0:
        raise IcsError("The file is damaged or cut short: a component never ends.")


def _draft(vevent: Any, target: FolderRef, label: str) -> EventDraft:
    for prop, message in getattr(vevent, "errors", None) or ():
        raise IcsError(f"In {label}, {prop} is not valid: {message}.")
    for comp in vevent.subcomponents:
        for prop, message in getattr(comp, "errors", None) or ():
            raise IcsError(f"In {label}, {prop} of its {comp.name} is not valid: {message}.")
    if "DTSTART" not in vevent:
        raise IcsError(f"In {label}, the start (DTSTART) is missing.")
    start, all_day = _moment(vevent, "DTSTART", label)
    if "DTEND" in vevent:
        end, end_all_day = _moment(vevent, "DTEND", label)
        if end_all_day != all_day:
            raise IcsError(f"In {label}, the start and end mix a date and a date-time.")
    elif "DURATION" in vevent:
        duration = vevent.decoded("DURATION")
        if not isinstance(duration, timedelta) or duration < timedelta(0) or duration > timedelta(days=366):
            raise IcsError(f"In {label}, the duration is not valid.")
        end = start + duration
    else:
        end = start + (timedelta(days=1) if all_day else timedelta(0))
    if end < start:
        raise IcsError(f"In {label}, the end ({end:%Y-%m-%d %H:%M}) is before the start ({start:%Y-%m-%d %H:%M}).")
    for extra in ("RDATE", "EXRULE"):
        if extra in vevent:
            raise IcsError(f"In {label}, {extra} (extra or removed dates of a series) is not supported; "
                           "nothing was imported.")
    if "EXDATE" in vevent and "RRULE" not in vevent:
        raise IcsError(f"In {label}, dates are removed (EXDATE) from an event that does not repeat; "
                       "nothing was imported.")
    recurrence = _recurrence(vevent, start, label) if "RRULE" in vevent else None
    summary = str(vevent.get("SUMMARY", "") or "").strip()[:MAX_SUBJECT]
    transp = str(vevent.get("TRANSP", "") or "").upper()
    busy_text = str(vevent.get("X-MICROSOFT-CDO-BUSYSTATUS", "") or "").upper()
    busy = _ICS_TO_BUSY.get(busy_text, BusyStatus.FREE if transp == "TRANSPARENT" else BusyStatus.BUSY)
    attendees = [_attendee(a) for a in _as_list(vevent.get("ATTENDEE"))]
    return EventDraft(
        calendar=target,
        subject=summary,
        start=start,
        end=end,
        all_day=all_day,
        location=str(vevent.get("LOCATION", "") or ""),
        body_text=str(vevent.get("DESCRIPTION", "") or ""),
        busy=busy,
        attendees=[a for a in attendees if a is not None],
        recurrence=recurrence,
        reminder_minutes=_reminder(vevent),
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _attendee(value: Any) -> Attendee | None:
    address = str(value)
    if address.lower().startswith("mailto:"):
        address = address[7:]
    if "@" not in address:
        return None
    params = getattr(value, "params", {})
    kind = ("Resource" if str(params.get("CUTYPE", "")).upper() in ("RESOURCE", "ROOM")
            else "Optional" if str(params.get("ROLE", "")).upper() == "OPT-PARTICIPANT" else "Required")
    return Attendee(Person(address.strip(), str(params.get("CN", "") or "")), kind)


def _reminder(vevent: Any) -> int | None:
    for alarm in vevent.walk("VALARM"):
        try:
            trigger = alarm.decoded("TRIGGER")
        except (KeyError, ValueError, TypeError):
            continue
        if isinstance(trigger, timedelta) and timedelta(0) >= trigger >= -timedelta(days=14):
            return int(-trigger.total_seconds() // 60)
    return None


def _recurrence_id(vevent: Any, label: str) -> datetime:
    """The original start (UTC) of the occurrence a VEVENT with RECURRENCE-ID changes."""
    prop = vevent.get("RECURRENCE-ID")
    if str(getattr(prop, "params", {}).get("RANGE", "")).upper() == "THISANDFUTURE":
        raise IcsError(f"In {label}, a change to this and all later occurrences (RANGE=THISANDFUTURE) cannot be "
                       "represented in Exchange; nothing was imported.")
    return _moment(vevent, "RECURRENCE-ID", label)[0].astimezone(UTC)


def _exdates(vevent: Any, label: str) -> list[datetime]:
    """The removed occurrences' original starts (UTC; all-day: midnight UTC of the date)."""
    out: list[datetime] = []
    for prop in _as_list(vevent.get("EXDATE")):
        tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
        for item in getattr(prop, "dts", None) or ():
            value = item.dt
            if isinstance(value, datetime):
                if value.tzinfo is None:
                    if tzid:
                        raise IcsError(f"In {label}, the time zone “{tzid}” of EXDATE is unknown; nothing was "
                                       "imported.")
                    value = value.astimezone()
            elif isinstance(value, date):
                value = datetime(value.year, value.month, value.day, tzinfo=UTC)
            else:
                raise IcsError(f"In {label}, EXDATE is not a date.")
            if not MIN_YEAR <= value.year <= MAX_YEAR:
                raise IcsError(f"In {label}, the year {value.year} of EXDATE is out of range.")
            out.append(value.astimezone(UTC))
            if len(out) > MAX_EVENTS:
                raise IcsError(f"In {label}, more than {MAX_EVENTS} occurrences are removed; nothing was imported.")
    return list(dict.fromkeys(out))


def _moment(vevent: Any, name: str, label: str) -> tuple[datetime, bool]:
    """An aware datetime (all-day: midnight UTC of the date) and whether it was a date."""
    prop = vevent.get(name)
    tzid = prop.params.get("TZID") if hasattr(prop, "params") else None
    try:
        value = vevent.decoded(name)
    except (ValueError, TypeError, KeyError) as error:
        raise IcsError(f"In {label}, {name} is not a valid date: {error}.") from error
    if isinstance(value, datetime):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise IcsError(f"In {label}, the year {value.year} of {name} is out of range.")
        if value.tzinfo is None:
            if tzid:
                raise IcsError(f"In {label}, the time zone “{tzid}” of {name} is unknown; nothing was imported.")
            value = value.astimezone()  # floating time: the user's local time (RFC 5545 3.3.5)
        return value, False
    if isinstance(value, date):
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            raise IcsError(f"In {label}, the year {value.year} of {name} is out of range.")
        return datetime(value.year, value.month, value.day, tzinfo=UTC), True
    raise IcsError(f"In {label}, {name} is not a date.")


def _until_day(value: Any, start: datetime) -> Any:
    """The last day of a series from its UNTIL: a DATE as it is; a DATE-TIME (UTC, as RFC 5545 wants it) on the
    day it falls on in the zone of the series' DTSTART, so 03:59:59Z is still the day before in New York."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is None or start.tzinfo is None:  # floating, like its DTSTART
        return value.date()
    return value.astimezone(start.tzinfo).date()


def _recurrence(vevent: Any, start: datetime, label: str) -> Recurrence:
    rules = _as_list(vevent.get("RRULE"))
    if len(rules) != 1:
        raise IcsError(f"In {label}, there are {len(rules)} recurrence rules; Mailroom imports one per event.")
    rule = rules[0]
    text = rule.to_ical().decode("ascii", "replace") if hasattr(rule, "to_ical") else str(rule)
    refuse = f"In {label}, the recurrence rule “{text[:80]}” cannot be represented in Exchange; nothing was imported."
    if len(text) > MAX_RRULE_CHARS:
        raise IcsError(f"In {label}, the recurrence rule is too long; nothing was imported.")
    parts = {k.upper(): v for k, v in dict(rule).items()}
    if set(parts) - _ALLOWED_RULE_PARTS:
        raise IcsError(refuse)

    def one(key: str, default: Any = None) -> Any:
        values = parts.get(key)
        if not values:
            return default
        if len(values) != 1:
            raise IcsError(refuse)
        return values[0]

    freq = str(one("FREQ", "")).upper()
    try:
        interval = int(one("INTERVAL", 1))
        count = int(one("COUNT", 0))
    except (TypeError, ValueError) as error:
        raise IcsError(refuse) from error
    if not 1 <= interval <= MAX_INTERVAL or not 0 <= count <= MAX_COUNT:
        raise IcsError(f"In {label}, the recurrence rule repeats every {interval} with {count} occurrences; "
                       f"Exchange allows intervals of 1-{MAX_INTERVAL} and up to {MAX_COUNT} occurrences.")
    until_value = one("UNTIL")
    until = None
    if until_value is not None:
        until = _until_day(until_value, start)
        if not isinstance(until, date) or until < start.date() or until.year > MAX_YEAR:
            raise IcsError(f"In {label}, the series ends (UNTIL) before it starts or out of range.")
    if count and until:
        raise IcsError(refuse)
    days = [str(d).upper() for d in parts.get("BYDAY", [])]
    common: dict[str, Any] = {"interval": interval, "start": start.date(), "until": until, "count": count}
    if parts.get("BYSETPOS") and not (freq == "MONTHLY" and len(days) == 1):
        raise IcsError(refuse)
    if freq == "DAILY" and not days and "BYMONTHDAY" not in parts and "BYMONTH" not in parts:
        return Recurrence(Frequency.DAILY, **common)
    if freq == "WEEKLY" and "BYMONTHDAY" not in parts and "BYMONTH" not in parts:
        if not days:
            return Recurrence(Frequency.WEEKLY, weekdays=(start.isoweekday(),), **common)
        if any(d not in _DAYS for d in days) or len(set(days)) != len(days):
            raise IcsError(refuse)
        return Recurrence(Frequency.WEEKLY, weekdays=tuple(sorted(_DAYS.index(d) + 1 for d in days)), **common)
    if freq == "MONTHLY" and "BYMONTH" not in parts:
        if not days:
            day = int(one("BYMONTHDAY", start.day))
            if not 1 <= day <= 31:
                raise IcsError(refuse)
            return Recurrence(Frequency.MONTHLY_BY_DATE, day_of_month=day, **common)
        if len(days) != 1 or "BYMONTHDAY" in parts:
            raise IcsError(refuse)
        pos = one("BYSETPOS")
        weekday = days[0][-2:]
        ordinal = days[0][:-2] or (str(pos) if pos is not None else "")
        try:
            week = int(ordinal)
        except ValueError as error:
            raise IcsError(refuse) from error
        if weekday not in _DAYS or week not in (1, 2, 3, 4, -1):
            raise IcsError(refuse)
        return Recurrence(Frequency.MONTHLY_BY_WEEKDAY, weekdays=(_DAYS.index(weekday) + 1,),
                          week_of_month=5 if week == -1 else week, **common)
    if freq == "YEARLY" and not days and interval == 1:
        month = int(one("BYMONTH", start.month))
        day = int(one("BYMONTHDAY", start.day))
        if not (1 <= month <= 12 and 1 <= day <= 31):
            raise IcsError(refuse)
        return Recurrence(Frequency.YEARLY, month=month, day_of_month=day, **common)
    raise IcsError(refuse)
