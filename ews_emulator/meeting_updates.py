"""Meeting updates and cancellations sent by the organizer.

* **Updates.** UpdateItem on the organizer's copy of a sent meeting with ``SendMeetingInvitationsOrCancellations``
  other than ``SendToNone`` increments ``AppointmentSequenceNumber`` and sends a ``t:MeetingRequest`` again:
  ``FullUpdate`` when the time or recurrence changed (the attendees' answers are reset: their calendar items go
  back to tentative and the organizer's attendee entries to ``Unknown``), ``InformationalUpdate`` otherwise (the
  answers stay). ``SendOnlyToAll``/``SendToAllAndSaveCopy`` update every attendee; ``SendOnlyToChanged``/
  ``SendToChangedAndSaveCopy`` only the added ones. Added attendees get a ``NewMeetingRequest``; removed ones a
  cancellation. The attendant updates each attendee's calendar item in place and marks their older requests
  ``IsOutOfDate``. Rooms answer again: still free -> accepted (the booking moves with the meeting), now busy ->
  declined and the booking removed. ``...AndSaveCopy`` keeps the request in the organizer's Sent Items.
* **Cancellations.** DeleteItem with ``SendMeetingCancellations`` ``SendOnlyToAll``/``SendToAllAndSaveCopy`` on
  the organizer's meeting, or CreateItem ``t:CancelCalendarItem``, sends a ``t:MeetingCancellation``
  (``IPM.Schedule.Meeting.Canceled``, subject ``Canceled: ...``, importance High) to every attendee. Their calendar
  items become ``IsCancelled`` with the ``Canceled: `` subject and Free; rooms drop the booking. CancelCalendarItem
  also removes the organizer's item (to Deleted Items). ``SendToNone`` sends nothing.
"""

from __future__ import annotations

import copy
import time

from lxml import etree

from ews_emulator.delivery import deliver, new_message_id, resolve_sender, set_child, ts_text
from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.meetings import (
    add_addressing,
    address_of,
    attendee_element,
    attendee_item,
    attendees,
    find_by_uid,
    mark_request,
    record_answers,
    request_element,
    response_element,
    room_is_free,
)
from ews_emulator.soap import T_NS, t
from ews_emulator.store import ItemRow, Recipient, Store
from ews_emulator.xml.builder import order_children, order_tree

_T = f"{{{T_NS}}}"
SENDING = frozenset({"SendOnlyToAll", "SendToAllAndSaveCopy", "SendOnlyToChanged", "SendToChangedAndSaveCopy"})
SAVING = frozenset({"SendToAllAndSaveCopy", "SendToChangedAndSaveCopy"})
CANCELLING = frozenset({"SendOnlyToAll", "SendToAllAndSaveCopy"})
CANCELED = "Canceled: "
_TIMING = ("Start", "End", "Recurrence", "IsAllDayEvent", "StartTimeZone", "EndTimeZone", "MeetingTimeZone",
           "StartTimeZoneId", "EndTimeZoneId")
_CANCEL_COPIED = ("UID", "Start", "End", "Location", "Recurrence", "AppointmentSequenceNumber")


def is_sent_meeting(row: ItemRow, el: etree._Element) -> bool:
    """True for the organizer's copy of a meeting whose requests went out."""
    return (row.element == "CalendarItem" and el.findtext(f"{_T}MyResponseType") == "Organizer"
            and el.findtext(f"{_T}MeetingRequestWasSent") in ("true", "1"))


def _addresses(el: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for att in attendees(el):
        addr = address_of(att.find(f"{_T}Mailbox"))
        if addr:
            out.setdefault(addr, att)
    return out


def _serialized(el: etree._Element, names: tuple[str, ...]) -> list[bytes]:
    return [etree.tostring(c) for name in names for c in el.iterfind(f"{_T}{name}")]


def _sender(ctx: Ctx, row: ItemRow) -> tuple[Recipient, Recipient]:
    owner = ctx.store.directory.by_id(row.mailbox_id) or ctx.caller
    return resolve_sender(ctx.store, ctx.caller, None, owner)


def _only_to(message: etree._Element, wanted: set[str]) -> bool:
    """Keep only the recipients in ``wanted``; False when none is left."""
    left = False
    for tag in ("ToRecipients", "CcRecipients"):
        holder = message.find(f"{_T}{tag}")
        if holder is None:
            continue
        for mb in list(holder):
            if address_of(mb) not in wanted:
                holder.remove(mb)
        if len(holder) == 0:
            message.remove(holder)
        else:
            left = True
    return left


def keep_copy(store: Store, row: ItemRow, message: etree._Element, type_name: str, author: Recipient,
               now: int) -> None:
    sent = store.folders.by_well_known(row.mailbox_id, "sentitems")
    if sent is None:
        return
    kept = copy.deepcopy(message)
    set_child(kept, "IsRead", "true")
    order_children(kept, type_name)
    with store.db.tx() as con:
        store.items.insert(con, row.mailbox_id, sent.id, kept, created_by=row.created_by,
                           modifier_name=author.display_name, received=now)


def mark_out_of_date(store: Store, rec: Recipient, uid: str | None, keep: ItemRow | None) -> None:
    """Older meeting requests of this meeting in the attendee's Inbox are out of date."""
    inbox = store.folders.by_well_known(rec.id, "inbox")
    if inbox is None or not uid:
        return
    for old in store.items.select("folder_id = ? AND element = 'MeetingRequest' AND instr(xml, ?) > 0",
                                  (inbox.id, f">{uid}<".encode()), order="id"):
        if keep is not None and old.id == keep.id:
            continue
        el = old.element_tree()
        if el.findtext(f"{_T}UID") != uid or el.findtext(f"{_T}IsOutOfDate") == "true":
            continue
        set_child(el, "IsOutOfDate", "true")
        order_children(el, "t:MeetingRequestMessageType")
        with store.db.tx() as con:
            store.items.update(con, old, el, None, event=True)


# Updates ------------------------------------------------------------------------------------------
def send_update(ctx: Ctx, before: etree._Element, row: ItemRow, mode: str) -> ItemRow:
    """After UpdateItem changed the organizer's ``row`` (``before``: its element before the change), tell the
    attendees as ``mode`` says; returns the organizer's row (new sequence number, answers)."""
    store = ctx.store
    if mode not in SENDING:
        return row
    author, sender = _sender(ctx, row)
    now = int(time.time())
    after = row.element_tree()
    full = _serialized(before, _TIMING) != _serialized(after, _TIMING)
    seq = int(before.findtext(f"{_T}AppointmentSequenceNumber") or 0) + 1
    set_child(after, "AppointmentSequenceNumber", str(seq))
    if full:
        for att in attendees(after):
            set_child(att, "ResponseType", "Unknown")
            set_child(att, "LastResponseTime", None)
            order_children(att, "t:AttendeeType")
    order_children(after, "t:CalendarItemType")
    with store.db.tx() as con:
        row = store.items.update(con, row, after, None)
    old, new = _addresses(before), _addresses(after)
    me = author.smtp.lower()
    added = set(new) - set(old) - {me}
    removed = set(old) - set(new) - {me}
    updated = (set(new) - added - {me}) if mode in ("SendOnlyToAll", "SendToAllAndSaveCopy") else set()
    answers: dict[str, str] = {}
    kinds = (("NewMeetingRequest", added), ("FullUpdate" if full else "InformationalUpdate", updated))
    for request_type, wanted in kinds:
        request = request_element(after, row, author, sender, now, request_type)
        if not wanted or not _only_to(request, wanted):
            continue
        report = deliver(store, request, now=now)
        if mode in SAVING:
            keep_copy(store, row, request, "t:MeetingRequestMessageType", author, now)
        for rec, req_row in report.delivered:
            if rec.id != row.mailbox_id:
                answer = _attendee_update(store, rec, req_row, row, after, full, now)
                if answer is not None:
                    answers[rec.smtp.lower()] = answer
    if removed:
        cancel_for(ctx, row, before, removed, save_copy=mode in SAVING, given=None)
    if answers:
        row = record_answers(store, row, answers, now)
    return row


def _attendee_update(store: Store, rec: Recipient, req_row: ItemRow, row: ItemRow, meeting: etree._Element,
                     full: bool, now: int) -> str | None:
    """Refresh one attendee's calendar item; a room answers again (returned)."""
    uid = meeting.findtext(f"{_T}UID")
    existing = find_by_uid(store, rec.id, uid)
    mark_out_of_date(store, rec, uid, req_row)
    if rec.kind == "room":
        answer = "Accept" if room_is_free(store, rec, row, meeting) else "Decline"
        with store.db.tx() as con:
            if existing is not None:
                store.items.delete(con, existing)
        cal = attendee_item(store, rec, meeting, answer) if answer == "Accept" else None
        mark_request(store, req_row, cal, answer)
        deliver(store, response_element(meeting, rec, rec, answer, None, now), now=now)
        return answer
    if existing is None:
        cal = attendee_item(store, rec, meeting, "NoResponseReceived")
    else:
        prior = existing.element_tree()
        response = "NoResponseReceived" if full else (prior.findtext(f"{_T}MyResponseType") or "NoResponseReceived")
        el = attendee_element(meeting, response)
        if not full:
            for name in ("LegacyFreeBusyStatus", "AppointmentReplyTime", "ReminderIsSet",
                         "ReminderMinutesBeforeStart", "Categories"):
                set_child(el, name, None)
                for child in prior.iterfind(f"{_T}{name}"):
                    el.append(copy.deepcopy(child))
            order_children(el, "t:CalendarItemType")
        with store.db.tx() as con:
            cal = store.items.update(con, existing, el, None)
    mark_request(store, req_row, cal, None)
    return None


# Cancellations ------------------------------------------------------------------------------------
def _cancellation(meeting: etree._Element, author: Recipient, sender: Recipient, given: etree._Element | None,
                  now: int) -> etree._Element:
    msg = etree.Element(t("MeetingCancellation"), nsmap={"t": T_NS})
    etree.SubElement(msg, t("ItemClass")).text = "IPM.Schedule.Meeting.Canceled"
    subject = given.findtext(f"{_T}Subject") if given is not None else None
    etree.SubElement(msg, t("Subject")).text = subject or CANCELED + (meeting.findtext(f"{_T}Subject") or "")
    body = None
    if given is not None:
        body = given.find(f"{_T}NewBodyContent")
        if body is None:
            body = given.find(f"{_T}Body")
    if body is not None:
        kept = etree.SubElement(msg, t("Body"), BodyType=body.get("BodyType") or "Text")
        kept.text = body.text
    etree.SubElement(msg, t("Importance")).text = "High"
    add_addressing(msg, meeting, author, sender)
    values = {"DateTimeSent": ts_text(now), "InternetMessageId": new_message_id(author.smtp.rpartition("@")[2]),
              "IsRead": "false", "IsDraft": "false", "IsResponseRequested": "false", "IsDelegated": "false",
              "IsOutOfDate": "false", "HasBeenProcessed": "true", "ResponseType": "Unknown",
              "DateTimeStamp": ts_text(now), "IsOrganizer": "false",
              "CalendarItemType": "RecurringMaster" if meeting.find(f"{_T}Recurrence") is not None else "Single"}
    for name, value in values.items():
        set_child(msg, name, value)
    for name in _CANCEL_COPIED:
        for child in meeting.iterfind(f"{_T}{name}"):
            if name != "AppointmentSequenceNumber":
                msg.append(copy.deepcopy(child))
    return order_tree(msg, "t:MeetingCancellationMessageType")


def cancel_for(ctx: Ctx, row: ItemRow, meeting: etree._Element, wanted: set[str] | None, *, save_copy: bool,
               given: etree._Element | None, occurrence: int | None = None) -> None:
    """Send the cancellation of ``meeting`` (the organizer's ``row``) to ``wanted`` (None: every attendee).

    With ``occurrence`` (an original start) only that occurrence is cancelled: ``meeting`` is then the
    occurrence's view, the message names it (``RecurrenceId``) and only the attendees' occurrence changes.
    """
    store = ctx.store
    author, sender = _sender(ctx, row)
    now = int(time.time())
    message = _cancellation(meeting, author, sender, given, now)
    if occurrence is not None:
        set_child(message, "RecurrenceId", ts_text(occurrence))
        set_child(message, "CalendarItemType", "Occurrence")
        order_children(message, "t:MeetingCancellationMessageType")
    if wanted is not None and not _only_to(message, wanted):
        return
    if message.find(f"{_T}ToRecipients") is None and message.find(f"{_T}CcRecipients") is None:
        return
    report = deliver(store, message, now=now)
    if save_copy:
        keep_copy(store, row, message, "t:MeetingCancellationMessageType", author, now)
    uid = meeting.findtext(f"{_T}UID")
    for rec, msg_row in report.delivered:
        if rec.id == row.mailbox_id:
            continue
        if occurrence is not None:
            from ews_emulator.occurrence_meetings import cancel_attendee_occurrence

            cancel_attendee_occurrence(store, rec, uid, occurrence)
            continue
        mark_out_of_date(store, rec, uid, None)
        existing = find_by_uid(store, rec.id, uid)
        el = msg_row.element_tree()
        with store.db.tx() as con:
            if existing is not None and rec.kind == "room":
                store.items.delete(con, existing)  # the room's attendant frees the slot
                existing = None
            elif existing is not None:
                cal = existing.element_tree()
                set_child(cal, "IsCancelled", "true")
                subject = cal.findtext(f"{_T}Subject") or ""
                if not subject.startswith(CANCELED):
                    set_child(cal, "Subject", CANCELED + subject)
                set_child(cal, "LegacyFreeBusyStatus", "Free")
                order_children(cal, "t:CalendarItemType")
                existing = store.items.update(con, existing, cal, None)
            if existing is not None:
                from ews_emulator.ops.itemxml import item_id_for

                set_child(el, "AssociatedCalendarItemId", None)
                el.append(item_id_for(existing, tag="AssociatedCalendarItemId"))
            if rec.kind == "room":
                set_child(el, "IsRead", "true")
            order_children(el, "t:MeetingCancellationMessageType")
            store.items.update(con, msg_row, el, None, event=True)


def cancel_calendar_item(ctx: Ctx, el: etree._Element, disposition: str | None,
                         saved_ref: etree._Element | None) -> None:
    """CreateItem ``t:CancelCalendarItem``: cancel the organizer's meeting, then remove it from the calendar.

    Raises:
        EwsError: ``ErrorMessageDispositionRequired``, ``ErrorInvalidReferenceItem`` (not the organizer's sent
            meeting), ``ErrorAccessDenied`` (no right to delete it), ``ErrorSendAsDenied``.
    """
    from ews_emulator.ops.deleteitem import dispose
    from ews_emulator.ops.itemparse import resolve_ref

    if disposition is None:
        raise EwsError("ErrorMessageDispositionRequired", "MessageDisposition is required for cancellations.")
    if disposition == "SaveOnly":
        raise EwsError("ErrorInvalidOperation", "A meeting cancellation can only be sent.")
    ref = el.find(f"{_T}ReferenceItemId")
    if ref is None:
        raise EwsError("ErrorInvalidRequest", "ReferenceItemId is required.")
    row, folder, acc = resolve_ref(ctx, ref)
    meeting = row.element_tree()
    if row.element != "CalendarItem" or meeting.findtext(f"{_T}MyResponseType") != "Organizer":
        raise EwsError("ErrorInvalidReferenceItem", "Only the organizer can cancel a meeting.")
    if not acc.can_delete_item(row.created_by, ctx.caller.id):
        raise access_denied()
    if meeting.findtext(f"{_T}MeetingRequestWasSent") in ("true", "1"):
        cancel_for(ctx, row, meeting, None, save_copy=disposition == "SendAndSaveCopy", given=el)
    dispose(ctx, row, folder, "MoveToDeletedItems")
