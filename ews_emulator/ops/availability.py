"""GetUserAvailability: free/busy from each mailbox's Calendar, within the caller's calendar rights.

What a caller sees follows the Calendar folder's permission for them, as Exchange's availability
service does: owner, Full Access or a role with FullDetails -> events with details (subject, location,
flags; private items keep their details hidden unless the caller owns or fully accesses the mailbox);
``FreeBusyTimeAndSubjectAndLocation`` -> times plus subject and location; ``FreeBusyTimeOnly`` (Exchange's
default for colleagues) -> times only, and a requested Detailed view is answered as FreeBusy;
no right at all -> ``ErrorNoFreeBusyAccess``. Recurring series are expanded with CalendarView's expansion
(:func:`ews_emulator.ops.calendarview.expand`), so both always agree; a modified occurrence (an exception)
reports its own subject, location, free/busy status and flags, not the series'.
Times in the answer are wall-clock times of the request's ``t:TimeZone``, without an offset.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.ops.calendarview import expand
from ews_emulator.ops.common import item_id_el
from ews_emulator.ops.timezones import Zone, zone_from_availability
from ews_emulator.rights import READ_FULL, READ_NONE, READ_TSL, Access
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t
from ews_emulator.store import ItemRow, Recipient

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
NSMAP = {"m": M_NS, "t": T_NS}
MAX_WINDOW_DAYS = 62
BUSY_DIGIT = {"Free": "0", "Tentative": "1", "Busy": "2", "OOF": "3", "WorkingElsewhere": "4", "NoData": "5"}


@dataclass
class Event:
    start: float
    end: float
    busy: str
    row: ItemRow
    recurring: bool
    exception: bool
    element: etree._Element  # the item (for an occurrence: the occurrence as GetItem shows it)


@operation("GetUserAvailabilityRequest")
def get_user_availability(ctx: Ctx, req: etree._Element) -> etree._Element:
    zone = zone_from_availability(req.find(f"{_T}TimeZone"))
    options = req.find(f"{_T}FreeBusyViewOptions")
    view = (options.findtext(f"{_T}RequestedView") if options is not None else None) or "FreeBusy"
    interval = int(options.findtext(f"{_T}MergedFreeBusyIntervalInMinutes") or 30) if options is not None else 30
    window = options.find(f"{_T}TimeWindow") if options is not None else None
    start = _window_time(window.findtext(f"{_T}StartTime") if window is not None else None, zone)
    end = _window_time(window.findtext(f"{_T}EndTime") if window is not None else None, zone)
    root = etree.Element(m("GetUserAvailabilityResponse"), nsmap=NSMAP)
    array = etree.SubElement(root, m("FreeBusyResponseArray"))
    for data in req.iterfind(f"{_M}MailboxDataArray/{_T}MailboxData"):
        address = (data.findtext(f"{_T}Email/{_T}Address") or "").strip()
        response = etree.SubElement(array, m("FreeBusyResponse"))
        try:
            if start is None or end is None or end <= start:
                raise EwsError("ErrorInvalidTimeInterval", "The start time must be before the end time.")
            if end - start > MAX_WINDOW_DAYS * 86400:
                raise EwsError("ErrorTimeIntervalTooBig", f"The time window may span at most {MAX_WINDOW_DAYS} "
                                                          "days.")
            view_el = _free_busy_view(ctx, address, zone, start, end, view, max(5, min(interval, 1440)))
        except EwsError as exc:
            msg = etree.SubElement(response, m("ResponseMessage"), ResponseClass="Error")
            etree.SubElement(msg, m("MessageText")).text = exc.message
            etree.SubElement(msg, m("ResponseCode")).text = exc.code
            etree.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
            fbv = etree.SubElement(response, m("FreeBusyView"))
            etree.SubElement(fbv, t("FreeBusyViewType")).text = "None"
            continue
        msg = etree.SubElement(response, m("ResponseMessage"), ResponseClass="Success")
        etree.SubElement(msg, m("ResponseCode")).text = "NoError"
        response.append(view_el)
    return root


def _window_time(text: str | None, zone: Zone) -> float | None:
    """A TimeWindow value: with an offset it names an instant; without, wall-clock time in the request zone."""
    if not text:
        return None
    value = text.strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        return dt.timestamp()
    return zone.to_utc_ts(dt)


def _local_text(ts: float, zone: Zone) -> str:
    return zone.to_local(ts).strftime("%Y-%m-%dT%H:%M:%S")


def _mailbox(ctx: Ctx, address: str) -> Recipient:
    rec = ctx.store.directory.by_smtp(address)
    if rec is None or not rec.has_mailbox or rec.kind == "group":
        raise EwsError("ErrorMailRecipientNotFound",
                       f"Unable to resolve e-mail address {address} to an Active Directory object.")
    return rec


def _free_busy_view(ctx: Ctx, address: str, zone: Zone, start: float, end: float, view: str,
                    interval: int) -> etree._Element:
    rec = _mailbox(ctx, address)
    calendar = ctx.store.folders.by_well_known(rec.id, "calendar")
    if calendar is None:
        raise EwsError("ErrorMailRecipientNotFound",
                       f"Unable to resolve e-mail address {address} to an Active Directory object.")
    access = ctx.access(calendar)
    level = READ_FULL if access.everything else access.perm.read_items
    if level == READ_NONE:
        raise EwsError("ErrorNoFreeBusyAccess", "The caller does not have free/busy access to this mailbox.")
    if level not in (READ_FULL, READ_TSL) and view.startswith("Detailed"):
        view = view.replace("Detailed", "FreeBusy")
    events = _events(ctx, calendar.id, start, end)
    fbv = etree.Element(m("FreeBusyView"))
    etree.SubElement(fbv, t("FreeBusyViewType")).text = view
    if view in ("MergedOnly", "FreeBusyMerged", "DetailedMerged"):
        etree.SubElement(fbv, t("MergedFreeBusy")).text = _merged(events, start, end, interval)
    if view != "MergedOnly":
        array = etree.SubElement(fbv, t("CalendarEventArray"))
        for ev in events:
            array.append(_event_el(ev, zone, level if view.startswith("Detailed") else READ_NONE, access))
        fbv.append(_working_hours())
    return fbv


def _events(ctx: Ctx, folder_id: int, start: float, end: float) -> list[Event]:
    rows = ctx.store.items.select(
        "folder_id = ? AND is_associated = 0 AND element = 'CalendarItem' AND start_ts IS NOT NULL AND "
        "(recurring = 1 OR (start_ts < ? AND end_ts > ?))", (folder_id, int(end) + 1, int(start)),
        order="start_ts, id")
    out: list[Event] = []
    for row in rows:
        el = row.element_tree()
        busy = el.findtext(f"{_T}LegacyFreeBusyStatus") or "Busy"
        if not row.recurring and (el.findtext(f"{_T}IsCancelled") in ("true", "1") or busy == "Free"):
            continue
        if row.recurring and row.start_ts is not None and row.end_ts is not None:
            for occ in expand(row, int(start), round(end), el):
                occ_el = _occurrence_element(el, occ) if occ.is_exception else el
                occ_busy = occ_el.findtext(f"{_T}LegacyFreeBusyStatus") or busy
                if occ_el.findtext(f"{_T}IsCancelled") in ("true", "1") or occ_busy == "Free":
                    continue
                out.append(Event(occ.start, occ.end, occ_busy, row, True, occ.is_exception, occ_el))
        elif row.start_ts is not None and row.end_ts is not None and row.start_ts < end and row.end_ts > start:
            out.append(Event(row.start_ts, row.end_ts, busy, row, False, False, el))
    out.sort(key=lambda e: (e.start, e.end))
    return out


def _occurrence_element(master: etree._Element, occ) -> etree._Element:
    """A modified occurrence with its own properties (the exception data kept on the master applied)."""
    from ews_emulator.ops.itemxml import _apply_occurrence

    src = copy.deepcopy(master)
    _apply_occurrence(src, occ)
    return src


def _merged(events: list[Event], start: float, end: float, interval: int) -> str:
    digits = []
    step = interval * 60
    slot = start
    while slot < end:
        status = "0"
        for ev in events:
            if ev.start < slot + step and ev.end > slot:
                status = max(status, BUSY_DIGIT.get(ev.busy, "2"), key=_busy_rank)
        digits.append(status)
        slot += step
    return "".join(digits)


def _busy_rank(digit: str) -> int:
    # OOF outranks Busy, Busy outranks WorkingElsewhere and Tentative, which outrank Free.
    return {"0": 0, "1": 1, "4": 2, "2": 3, "3": 4, "5": -1}[digit]


def _event_el(ev: Event, zone: Zone, level: str, access: Access) -> etree._Element:
    el = etree.Element(t("CalendarEvent"))
    etree.SubElement(el, t("StartTime")).text = _local_text(ev.start, zone)
    etree.SubElement(el, t("EndTime")).text = _local_text(ev.end, zone)
    etree.SubElement(el, t("BusyType")).text = ev.busy
    if level == READ_NONE or level not in (READ_FULL, READ_TSL):
        return el
    item = ev.element
    private = item.findtext(f"{_T}Sensitivity") in ("Private", "Confidential")
    details = etree.SubElement(el, t("CalendarEventDetails"))
    if level == READ_FULL:
        details.append(_id_text(ev.row))
    if not private or access.everything:
        etree.SubElement(details, t("Subject")).text = item.findtext(f"{_T}Subject") or ""
        location = item.findtext(f"{_T}Location")
        if location:
            etree.SubElement(details, t("Location")).text = location
    is_meeting = item.find(f"{_T}RequiredAttendees") is not None or item.find(f"{_T}OptionalAttendees") is not None
    etree.SubElement(details, t("IsMeeting")).text = bool_text(is_meeting)
    etree.SubElement(details, t("IsRecurring")).text = bool_text(ev.recurring)
    etree.SubElement(details, t("IsException")).text = bool_text(ev.exception)
    etree.SubElement(details, t("IsReminderSet")).text = bool_text(item.findtext(f"{_T}ReminderIsSet") in
                                                                   ("true", "1"))
    etree.SubElement(details, t("IsPrivate")).text = bool_text(private)
    return el


def _id_text(row: ItemRow) -> etree._Element:
    el = etree.Element(t("ID"))
    el.text = item_id_el(row).get("Id")
    return el


def _working_hours() -> etree._Element:
    """Working hours Monday-Friday 08:00-17:00 in UTC (the demo mailboxes keep the default)."""
    wh = etree.Element(t("WorkingHours"))
    tz = etree.SubElement(wh, t("TimeZone"))
    etree.SubElement(tz, t("Bias")).text = "0"
    for tag, order, month in (("StandardTime", "1", "1"), ("DaylightTime", "5", "12")):
        part = etree.SubElement(tz, t(tag))
        etree.SubElement(part, t("Bias")).text = "0"
        etree.SubElement(part, t("Time")).text = "00:00:00"
        etree.SubElement(part, t("DayOrder")).text = order
        etree.SubElement(part, t("Month")).text = month
        etree.SubElement(part, t("DayOfWeek")).text = "Sunday"
    periods = etree.SubElement(wh, t("WorkingPeriodArray"))
    period = etree.SubElement(periods, t("WorkingPeriod"))
    etree.SubElement(period, t("DayOfWeek")).text = "Monday Tuesday Wednesday Thursday Friday"
    etree.SubElement(period, t("StartTimeInMinutes")).text = "480"
    etree.SubElement(period, t("EndTimeInMinutes")).text = "1020"
    return wh

