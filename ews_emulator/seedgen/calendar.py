"""Calendar events of the demo tenant from ``resources/demo_tenant/calendar.json``.

Each event is written to the organizer's calendar, to every attendee's calendar that exists in the
tenant (response Accept) and to the booked room's calendar, with one shared UID. A recurring series
is a ``RecurringMaster`` with a ``WeeklyRecurrence`` pattern and an end date; a deleted occurrence is
listed in ``DeletedOccurrences``; a moved occurrence in ``ModifiedOccurrences`` (ItemId = the occurrence
id ``encode_id("occurrence", mailbox, master row, instance index)``, Start, End, OriginalStart), which the
seeder adds once the master's row id is known (see :func:`add_modified_occurrences`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from lxml import etree

from ews_emulator.seedgen.xmlitems import Address, calendar_item, sub, ts_text
from ews_emulator.store import Recipient
from ews_emulator.store.ids import encode_id
from ews_emulator.xml.builder import order_children

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass
class Booking:
    """One calendar item to insert: which mailbox's calendar, its element and who created it."""

    mailbox: str
    element: etree._Element
    created_by: int
    modifier_name: str
    created: int
    modified: list[tuple[int, float, float, float]] = field(
        default_factory=list
    )  # (index, original, start, end)


def occurrence_index(first: date, days: list[str], interval: int, target: date) -> int:
    """1-based instance index of ``target`` in a weekly pattern starting on ``first`` (every instance counts)."""
    week0 = first - timedelta(days=first.weekday())
    n = 0
    day = first
    while day <= target:
        if WEEKDAYS[day.weekday()] in days and ((day - week0).days // 7) % interval == 0:
            n += 1
        day += timedelta(days=1)
    return n


def add_modified_occurrences(
    el: etree._Element, mailbox_id: int, row_id: int, modified: list[tuple[int, float, float, float]]
) -> etree._Element:
    """Add ``t:ModifiedOccurrences`` to a stored master whose row id is now known."""
    holder = sub(el, "ModifiedOccurrences")
    for index, original, start, end in modified:
        occ = sub(holder, "Occurrence")
        sub(occ, "ItemId", Id=encode_id("occurrence", mailbox_id, row_id, index))
        sub(occ, "Start", ts_text(start))
        sub(occ, "End", ts_text(end))
        sub(occ, "OriginalStart", ts_text(original))
    return order_children(el, "t:CalendarItemType")


def _at(day: date, hhmm: str) -> float:
    h, m = (int(x) for x in hhmm.split(":"))
    return datetime(day.year, day.month, day.day, h, m, tzinfo=UTC).timestamp()


def _uid(rng: random.Random) -> str:
    return "040000008200E00074C5B7101A82E00800000000" + f"{rng.getrandbits(128):032X}"


class CalendarGenerator:
    """Turns the event specs into :class:`Booking` rows; deterministic for a given ``rng`` and ``now``."""

    def __init__(self, recips: dict[str, Recipient], now: float, rng: random.Random) -> None:
        self.recips = recips
        self.now = now
        self.rng = rng
        self.today = datetime.fromtimestamp(now, UTC).date()
        self.monday = self.today - timedelta(days=self.today.weekday())

    def _addr(self, alias: str) -> Address:
        r = self.recips[alias]
        return (r.display_name, r.smtp)

    def _day(self, spec: dict) -> date:
        day = self.today + timedelta(days=spec["day"])
        if not spec.get("all_day") and day.weekday() >= 5:
            day += timedelta(days=7 - day.weekday())
        return day

    def bookings(self, events: list[dict]) -> list[Booking]:
        out: list[Booking] = []
        for spec in events:
            out += self._event(spec)
        return out

    def _event(self, spec: dict) -> list[Booking]:
        rng = self.rng
        author = self.recips[spec.get("author", spec["organizer"])]
        uid = _uid(rng)
        required = [a for a in spec.get("attendees", ()) if a != spec["organizer"]]
        optional = list(spec.get("optional", ()))
        room = spec.get("room")
        location = spec.get("location") or (self.recips[room].display_name if room else None)
        weekly = None
        deleted: list[float] = []
        modified: list[tuple[int, float]] = []
        if "recurrence" in spec:
            rec = spec["recurrence"]
            first = self.monday - timedelta(weeks=rec["weeks_before"])
            last = self.monday + timedelta(weeks=rec["weeks_after"], days=6)
            days = rec["days"]
            day = first
            while WEEKDAYS[day.weekday()] not in days:
                day += timedelta(days=1)
            weekly = {"days": days, "interval": rec.get("interval", 1), "start": first, "end": last}
            for d in rec.get("deleted", ()):
                deleted.append(
                    _at(self.monday + timedelta(weeks=d["week"], days=WEEKDAYS.index(d["day"])), spec["time"])
                )
            for m in rec.get("modified", ()):
                on = self.monday + timedelta(weeks=m["week"], days=WEEKDAYS.index(m["day"]))
                index = occurrence_index(day, days, weekly["interval"], on)
                modified.append((index, _at(on, spec["time"]), m.get("shift_minutes", 0) * 60))
        else:
            day = self._day(spec)
        if spec.get("all_day"):
            start = _at(day, "00:00")
            end = start + 86400 * spec.get("days", 1)
        else:
            start = _at(day, spec["time"])
            end = start + spec["minutes"] * 60
        created = int(min(self.now, start) - rng.randint(2, 20) * 86400)

        def responses(aliases: list[str]) -> list[tuple[Address, str]]:
            return [
                (self._addr(a), rng.choice(["Accept", "Accept", "Accept", "Tentative", "NoResponseReceived"]))
                for a in aliases
            ]

        req, opt = responses(required), responses(optional)
        res = [(self._addr(room), "Accept")] if room else []
        base = {
            "subject": spec["subject"],
            "body": spec.get("body", ""),
            "uid": uid,
            "organizer": self._addr(spec["organizer"]),
            "all_day": bool(spec.get("all_day")),
            "free_busy": spec.get("free_busy", "Busy"),
            "location": location,
            "required": req,
            "optional": opt,
            "resources": res,
            "categories": spec.get("categories", ()),
            "private": bool(spec.get("private")),
        }
        kind = "RecurringMaster" if weekly else "Single"
        # Who holds a copy: organizer, attendees with a mailbox, the room.
        holders = [(spec["organizer"], "Organizer", author)]
        holders += [
            (a, "Accept", self.recips[a])
            for a in [*required, *optional]
            if self.recips[a].has_mailbox and self.recips[a].kind != "group"
        ]
        if room:
            holders.append((room, "Accept", self.recips[room]))
        out = []
        for alias, response, creator in holders:
            el = calendar_item(
                start=start,
                end=end,
                item_type=kind,
                my_response=response,
                weekly=weekly,
                deleted=deleted,
                **base,
            )
            moved = [(i, orig, orig + shift, orig + shift + (end - start)) for i, orig, shift in modified]
            out.append(Booking(alias, el, creator.id, creator.display_name, created, moved))
        return out
