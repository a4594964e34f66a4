"""Meetings and single occurrences: answers to one occurrence, updates of one occurrence by the organizer.

* **Answering one occurrence.** AcceptItem/TentativelyAcceptItem/DeclineItem whose ``ReferenceItemId`` is an
  attendee's occurrence id, or a meeting request for one occurrence (``RecurrenceId``), changes only that
  occurrence: accepted/tentative -> the occurrence becomes an exception of the attendee's series with its own
  ``MyResponseType`` and free/busy status; declined -> the occurrence leaves the attendee's calendar
  (``DeletedOccurrences``). The organizer receives ``Accepted:``/``Tentative:``/``Declined:`` carrying the
  occurrence's ``RecurrenceId``, and the organizer's occurrence (not the series) records that attendee's answer.
* **Updating one occurrence.** UpdateItem on an occurrence of the organizer's sent meeting with
  ``SendMeetingInvitationsOrCancellations`` other than ``SendToNone`` sends a ``t:MeetingRequest`` for that
  occurrence (``CalendarItemType`` Exception, ``RecurrenceId``; ``FullUpdate`` when its time changed,
  ``InformationalUpdate`` otherwise) and applies the same exception to every attendee's series; a time change
  sets the attendee's occurrence back to tentative.
* **Cancelling one occurrence.** DeleteItem of an occurrence of the organizer's sent meeting with
  ``SendOnlyToAll``/``SendToAllAndSaveCopy`` sends a ``t:MeetingCancellation`` naming the occurrence
  (``RecurrenceId``); the attendee's occurrence becomes ``IsCancelled`` (``Canceled: `` subject, Free) and a
  room drops that occurrence from its series.
"""

from __future__ import annotations

import copy
import time

from lxml import etree

from ews_emulator.delivery import deliver, resolve_sender, set_child
from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.meetings import (
    address_of,
    attendees,
    find_by_uid,
    mark_request,
    request_element,
    response_element,
    send_response,
)
from ews_emulator.occurrences import override_occurrence, remove_occurrence
from ews_emulator.soap import T_NS, t
from ews_emulator.store import ItemRow, Recipient, Store
from ews_emulator.store.ids import MalformedId, decode_id
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"
_ATTENDEE_LISTS = ("RequiredAttendees", "OptionalAttendees", "Resources")
_NOT_COPIED = frozenset({"ItemId", "ParentFolderId", "ExtendedProperty", "OriginalStart", "RecurrenceId",
                         "MyResponseType", "LegacyFreeBusyStatus", "AppointmentReplyTime", "MeetingRequestWasSent",
                         "Organizer", "UID", "ModifiedOccurrences", "DeletedOccurrences", "Recurrence", "Start",
                         "End", "Categories", "ReminderIsSet", "ReminderMinutesBeforeStart", "ReminderDueBy",
                         "IsCancelled", "CalendarItemType", "IsRecurring", "IsMeeting"})


def _fmt(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def occurrence_view(master: etree._Element, occ) -> etree._Element:
    """One occurrence of a master element as GetItem shows it (exception data applied)."""
    from ews_emulator.ops.itemxml import _apply_occurrence

    src = copy.deepcopy(master)
    _apply_occurrence(src, occ)
    return src


def _by_original_start(row: ItemRow, original_start: int):
    from ews_emulator.ops.calendarview import series_of

    series = series_of(row)
    if series is None:
        return None
    for occ in series.instances():
        if occ.original_start == original_start:
            return occ
        if occ.original_start > original_start:
            return None
    return None


def occurrence_of(ctx: Ctx, ref: etree._Element) -> tuple[ItemRow, object, ItemRow | None] | None:
    """``(attendee's master, occurrence, request or None)`` when a ``ReferenceItemId`` names one occurrence."""
    from ews_emulator.ops.getitem import resolve_item_ref

    try:
        decoded = decode_id(ref.get("Id"), ("item", "occurrence"))
    except MalformedId:
        return None
    if decoded.kind == "occurrence":
        row, _folder, _acc, occ = resolve_item_ref(ctx, etree.Element(t("ItemId"), Id=ref.get("Id")))
        return (row, occ, None) if occ is not None else None
    row, _folder, _acc = ctx.item(ref)
    if row.element != "MeetingRequest":
        return None
    el = row.element_tree()
    original = parse_datetime(el.findtext(f"{_T}RecurrenceId"))
    if original is None:
        return None
    master = find_by_uid(ctx.store, row.mailbox_id, el.findtext(f"{_T}UID"))
    occ = _by_original_start(master, original) if master is not None else None
    if master is None or occ is None:
        raise EwsError("ErrorItemNotFound", "The occurrence is no longer in the calendar.")
    return master, occ, row


def respond_to_occurrence(ctx: Ctx, el: etree._Element, answer: str, disposition: str,
                          saved_ref: etree._Element | None, row: ItemRow, occ,
                          request_row: ItemRow | None) -> etree._Element | None:
    """Accept, tentatively accept or decline one occurrence (see the module docstring)."""
    from ews_emulator.ops.attachments_write import require_modify
    from ews_emulator.ops.deleteitem import dispose

    store = ctx.store
    master = row.element_tree()
    view = occurrence_view(master, occ)
    owner = store.directory.by_id(row.mailbox_id) or ctx.caller
    if address_of(view.find(f"{_T}Organizer/{_T}Mailbox")) == owner.smtp.lower():
        raise EwsError(f"ErrorCalendarIsOrganizerFor{answer}", "The organizer cannot respond to their own meeting.")
    if view.findtext(f"{_T}IsCancelled") in ("true", "1"):
        raise EwsError(f"ErrorCalendarIsCancelledFor{answer}", "The meeting has been cancelled.")
    folder = store.folders.get(row.folder_id)
    assert folder is not None
    require_modify(ctx, row, ctx.access(folder))
    author = sender = owner
    if disposition != "SaveOnly":
        author, sender = resolve_sender(store, ctx.caller, el.findtext(f"{_T}From/{_T}Mailbox/{_T}EmailAddress"),
                                        owner)
    now = int(time.time())
    response = response_element(view, author, sender, answer, el, now)
    set_child(response, "RecurrenceId", _fmt(occ.original_start))
    order_children(response, "t:MeetingResponseMessageType")
    with store.db.tx():
        if answer == "Decline":
            remove_occurrence(store, row, occ, ctx.caller.display_name)
        else:
            intended = master.findtext(f"{_T}LegacyFreeBusyStatus")
            busy = "Tentative" if answer == "Tentative" else ("Busy" if intended in (None, "Tentative") else intended)
            values = {}
            for name, value in (("MyResponseType", answer), ("LegacyFreeBusyStatus", busy),
                                ("AppointmentReplyTime", _fmt(now))):
                prop = etree.Element(t(name))
                prop.text = value
                values[name] = [prop]
            override_occurrence(store, row, occ, values, ctx.caller.display_name)
        if request_row is not None:
            request_folder = store.folders.get(request_row.folder_id)
            if request_folder is not None:
                dispose(ctx, request_row, request_folder, "MoveToDeletedItems")
        return send_response(ctx, response, master, owner, disposition, saved_ref, now,
                             record=lambda organizer_item: _record(store, organizer_item, occ.original_start,
                                                                   owner.smtp.lower(), answer, now))


def _record(store: Store, organizer_row: ItemRow, original_start: int, who: str, answer: str, now: int) -> None:
    """The attendee's answer on the organizer's occurrence (the series' attendee list stays as it is)."""
    occ = _by_original_start(organizer_row, original_start)
    if occ is None:
        return
    view = occurrence_view(organizer_row.element_tree(), occ)
    found = False
    for att in attendees(view):
        if address_of(att.find(f"{_T}Mailbox")) == who:
            set_child(att, "ResponseType", answer)
            set_child(att, "LastResponseTime", _fmt(now))
            order_children(att, "t:AttendeeType")
            found = True
    if found:
        values = {name: view.findall(f"{_T}{name}") for name in _ATTENDEE_LISTS if view.find(f"{_T}{name}") is not None}
        override_occurrence(store, organizer_row, occ, values, None)


# The organizer changes one occurrence ------------------------------------------------------------
def occurrence_times(ctx: Ctx, ref: etree._Element) -> tuple[int, int] | None:
    """Start and end of the occurrence an UpdateItem names, before the change (None if it names none)."""
    from ews_emulator.ops.getitem import resolve_item_ref

    _row, _folder, _acc, occ = resolve_item_ref(ctx, ref)
    return (occ.start, occ.end) if occ is not None else None


def send_occurrence_update(ctx: Ctx, before: tuple[int, int], master_row: ItemRow, occ, mode: str) -> None:
    """After UpdateItem changed one occurrence of the organizer's sent meeting, update the attendees.

    Args:
        before: the occurrence's start and end before the change.
        master_row: the organizer's updated master; ``occ`` the occurrence as it is now.
        mode: ``SendMeetingInvitationsOrCancellations``.
    """
    from ews_emulator.meeting_updates import SAVING, SENDING, keep_copy, mark_out_of_date

    if mode not in SENDING:
        return
    store = ctx.store
    owner = store.directory.by_id(master_row.mailbox_id) or ctx.caller
    author, sender = resolve_sender(store, ctx.caller, None, owner)
    now = int(time.time())
    view = occurrence_view(master_row.element_tree(), occ)
    full = before != (occ.start, occ.end)
    request = request_element(view, master_row, author, sender, now, "FullUpdate" if full else "InformationalUpdate")
    for name, value in (("CalendarItemType", "Exception"), ("IsRecurring", "false"),
                        ("RecurrenceId", _fmt(occ.original_start))):
        set_child(request, name, value)
    set_child(request, "Recurrence", None)
    order_children(request, "t:MeetingRequestMessageType")
    if request.find(f"{_T}ToRecipients") is None and request.find(f"{_T}CcRecipients") is None:
        return
    report = deliver(store, request, now=now)
    if mode in SAVING:
        keep_copy(store, master_row, request, "t:MeetingRequestMessageType", author, now)
    uid = view.findtext(f"{_T}UID")
    for rec, req_row in report.delivered:
        if rec.id == master_row.mailbox_id:
            continue
        mark_out_of_date(store, rec, uid, req_row)
        theirs = find_by_uid(store, rec.id, uid)
        their_occ = _by_original_start(theirs, occ.original_start) if theirs is not None else None
        if theirs is None or their_occ is None:
            mark_request(store, req_row, None, None)
            continue
        values: dict[str, list[etree._Element] | None] = {}
        for child in view:
            name = etree.QName(child).localname if isinstance(child.tag, str) else ""
            if name and name not in _NOT_COPIED:
                values.setdefault(name, []).append(child)
        if full:
            for name, value in (("MyResponseType", "NoResponseReceived"), ("LegacyFreeBusyStatus", "Tentative")):
                prop = etree.Element(t(name))
                prop.text = value
                values[name] = [prop]
        moved = type(their_occ)(their_occ.index, occ.start, occ.end, their_occ.original_start, True)
        theirs = override_occurrence(store, theirs, moved, values, None)
        mark_request(store, req_row, None, None)


# The organizer cancels one occurrence -------------------------------------------------------------
def cancel_occurrence(ctx: Ctx, ref: etree._Element, mode: str | None) -> None:
    """Before DeleteItem removes an occurrence of the organizer's sent meeting, send its cancellation."""
    from ews_emulator.meeting_updates import CANCELLING, cancel_for, is_sent_meeting
    from ews_emulator.ops.attachments_write import require_modify
    from ews_emulator.ops.getitem import resolve_item_ref

    if mode not in CANCELLING:
        return
    row, _folder, acc, occ = resolve_item_ref(ctx, ref)
    if occ is None or not is_sent_meeting(row, row.element_tree()):
        return
    require_modify(ctx, row, acc)  # what the deletion itself will check: refuse before anything is sent
    view = occurrence_view(row.element_tree(), occ)
    cancel_for(ctx, row, view, None, save_copy=mode == "SendToAllAndSaveCopy", given=None,
               occurrence=occ.original_start)


def cancel_attendee_occurrence(store: Store, rec: Recipient, uid: str | None, original_start: int) -> None:
    """The attendant's part of a cancelled occurrence in one attendee's (or room's) calendar."""
    from ews_emulator.meeting_updates import CANCELED

    theirs = find_by_uid(store, rec.id, uid)
    occ = _by_original_start(theirs, original_start) if theirs is not None else None
    if theirs is None or occ is None:
        return
    if rec.kind == "room":
        remove_occurrence(store, theirs, occ, None)
        return
    subject = occurrence_view(theirs.element_tree(), occ).findtext(f"{_T}Subject") or ""
    values: dict[str, list[etree._Element] | None] = {}
    for name, value in (("IsCancelled", "true"), ("LegacyFreeBusyStatus", "Free"),
                        ("Subject", subject if subject.startswith(CANCELED) else CANCELED + subject)):
        prop = etree.Element(t(name))
        prop.text = value
        values[name] = [prop]
    override_occurrence(store, theirs, occ, values, None)
