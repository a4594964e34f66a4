"""Meetings: requests to attendees, the calendar attendant, room auto-booking and meeting responses.

* **Sending.** CreateItem of a ``t:CalendarItem`` with attendees and ``SendMeetingInvitations`` =
  ``SendToAllAndSaveCopy``/``SendOnlyToAll`` stores the organizer's item (``IsMeeting``,
  ``MeetingRequestWasSent``, ``MyResponseType`` Organizer, every attendee ``ResponseType`` Unknown) in the
  calendar it was created in - the organizer is that calendar's mailbox, so a delegate needs Send As or Send
  on Behalf there (``ErrorSendAsDenied``) - and delivers a ``t:MeetingRequest``
  (``IPM.Schedule.Meeting.Request``) to every attendee through :func:`ews_emulator.delivery.deliver` (groups,
  inbox rules, external recipients and NDRs as for mail). ``SendToAllAndSaveCopy`` keeps the request in the
  organizer's Sent Items.
* **Calendar attendant.** Each attendee mailbox gets a tentative copy in its Calendar (``MyResponseType``
  NoResponseReceived, ``LegacyFreeBusyStatus`` Tentative) and the request points at it
  (``AssociatedCalendarItemId``).
* **Rooms** (directory kind ``room``) book themselves: free -> the meeting goes into the room's calendar as
  Busy and Accepted; a busy or tentative item overlapping any instance (recurring ones expanded over a year)
  -> declined. Either way the organizer receives ``Accepted:``/``Declined:`` (``IPM.Schedule.Meeting.Resp.Pos``
  / ``.Neg``) and the organizer's attendee entry gets the ``ResponseType``. The processed request stays in
  the room's Inbox, read.
* **Responses.** CreateItem with ``t:AcceptItem``/``t:TentativelyAcceptItem``/``t:DeclineItem`` whose
  ``ReferenceItemId`` is the meeting request or the attendee's calendar item: the calendar item takes the
  response (declined: moved to Deleted Items), the request goes to Deleted Items, and - unless
  ``MessageDisposition`` is ``SaveOnly`` (a draft response in Drafts, whose id is returned) - the response is
  sent to the organizer (copy in Sent Items for ``SendAndSaveCopy``) and the organizer's attendee list is
  updated. A single occurrence (its id, or the request for it) is answered by
  :mod:`ews_emulator.occurrence_meetings`; updates and cancellations by :mod:`ews_emulator.meeting_updates`.
"""

from __future__ import annotations

import copy
import time

from lxml import etree

from ews_emulator.delivery import deliver, mailbox_element, new_message_id, resolve_sender, set_child, ts_text
from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.soap import T_NS, t
from ews_emulator.store import Folder, ItemRow, Recipient, Store
from ews_emulator.xml.builder import order_children, order_tree

_T = f"{{{T_NS}}}"
INVITING = frozenset({"SendToAllAndSaveCopy", "SendOnlyToAll"})
ATTENDEE_LISTS = ("RequiredAttendees", "OptionalAttendees", "Resources")
# response element -> (ResponseType, subject prefix, ItemClass)
RESPONSES = {
    "AcceptItem": ("Accept", "Accepted: ", "IPM.Schedule.Meeting.Resp.Pos"),
    "TentativelyAcceptItem": ("Tentative", "Tentative: ", "IPM.Schedule.Meeting.Resp.Tent"),
    "DeclineItem": ("Decline", "Declined: ", "IPM.Schedule.Meeting.Resp.Neg"),
}
_BY_TYPE = {v[0]: v for v in RESPONSES.values()}
BLOCKING = frozenset({"Busy", "Tentative", "OOF"})
ROOM_HORIZON = 366 * 86400
_REQUEST_COPIED = ("Subject", "Sensitivity", "Body", "Categories", "Importance", "UID", "Start", "End",
                   "IsAllDayEvent", "Location", "When", "Organizer", "RequiredAttendees", "OptionalAttendees",
                   "Resources", "TimeZone", "Recurrence", "MeetingTimeZone", "StartTimeZone", "EndTimeZone",
                   "ConferenceType", "AllowNewTimeProposal", "IsOnlineMeeting", "StartTimeZoneId", "EndTimeZoneId",
                   "AppointmentSequenceNumber")


def address_of(mb: etree._Element | None) -> str:
    if mb is None:
        return ""
    addr = (mb.findtext(f"{_T}EmailAddress") or "").strip().lower()
    return addr[5:] if addr.startswith("smtp:") else addr


def has_attendees(el: etree._Element) -> bool:
    """True when the calendar item names at least one attendee or resource."""
    return any(el.find(f"{_T}{tag}/{_T}Attendee") is not None for tag in ATTENDEE_LISTS)


def attendees(el: etree._Element) -> list[etree._Element]:
    return [a for tag in ATTENDEE_LISTS for a in el.iterfind(f"{_T}{tag}/{_T}Attendee")]


def _normalize_attendees(store: Store, el: etree._Element) -> None:
    """Directory names and mailbox types on every attendee; ResponseType Unknown until they answer."""
    for att in attendees(el):
        mb = att.find(f"{_T}Mailbox")
        addr = address_of(mb)
        rec = store.directory.by_smtp(addr) if addr else None
        if mb is not None and (addr or rec):
            name = (mb.findtext(f"{_T}Name") or "").strip() or (rec.display_name if rec else addr)
            fresh = mailbox_element("Mailbox", name, rec.smtp if rec else addr, rec.mailbox_type if rec else "OneOff")
            att.replace(mb, fresh)
        set_child(att, "ResponseType", "Unknown")  # the server tracks responses (exchangelib sends "Accept")
        set_child(att, "LastResponseTime", None)
        order_children(att, "t:AttendeeType")


# Creating a meeting -------------------------------------------------------------------------------
def create_meeting(ctx: Ctx, parsed, folder: Folder, *, save_copy: bool) -> tuple[ItemRow, list[int]]:
    """Store the organizer's item in ``folder`` and send the requests; returns the final row and attachment ids.

    Raises:
        EwsError: ``ErrorSendAsDenied`` when the caller may not send as the calendar's mailbox.
    """
    from ews_emulator.delivery import store_attachments
    from ews_emulator.ops.itemparse import check_folder_kind, prepare_for_folder

    store = ctx.store
    check_folder_kind(parsed.kind, folder)
    owner = store.directory.by_id(folder.mailbox_id) or ctx.caller
    author, sender = resolve_sender(store, ctx.caller, None, owner)
    prepare_for_folder(parsed, author, draft=False)
    el = parsed.element
    _normalize_attendees(store, el)
    set_child(el, "IsMeeting", "true")
    set_child(el, "MeetingRequestWasSent", "true")
    set_child(el, "MyResponseType", "Organizer")
    set_child(el, "AppointmentSequenceNumber", "0")
    order_tree(el, "t:CalendarItemType")
    with store.db.tx() as con:
        row = store.items.insert(con, folder.mailbox_id, folder.id, el, created_by=ctx.caller.id,
                                 modifier_name=ctx.caller.display_name)
        att_ids = store_attachments(store, con, row.id, parsed.attachments)
        row = _send_requests(store, row, author, sender, save_copy)
    return row, att_ids


def add_addressing(msg: etree._Element, meeting: etree._Element, author: Recipient, sender: Recipient) -> None:
    """To (required attendees and rooms), Cc (optional attendees), From and Sender of a message about ``meeting``
    from ``author`` (sent by ``sender``): every attendee but the author."""
    to = etree.SubElement(msg, t("ToRecipients"))
    cc = etree.SubElement(msg, t("CcRecipients"))
    for tag, holder in (("RequiredAttendees", to), ("Resources", to), ("OptionalAttendees", cc)):
        for mb in meeting.iterfind(f"{_T}{tag}/{_T}Attendee/{_T}Mailbox"):
            if address_of(mb) != author.smtp.lower():
                holder.append(copy.deepcopy(mb))
    for holder in (to, cc):
        if len(holder) == 0:
            msg.remove(holder)
    msg.append(mailbox_element("From", author.display_name, author.smtp, author.mailbox_type))
    msg.append(mailbox_element("Sender", sender.display_name, sender.smtp, sender.mailbox_type))


def request_element(meeting: etree._Element, row: ItemRow, author: Recipient, sender: Recipient,
                    now: int, request_type: str = "NewMeetingRequest") -> etree._Element:
    """The ``t:MeetingRequest`` the organizer's item ``meeting`` sends to its attendees."""
    req = etree.Element(t("MeetingRequest"), nsmap={"t": T_NS})
    etree.SubElement(req, t("ItemClass")).text = "IPM.Schedule.Meeting.Request"
    for name in _REQUEST_COPIED:
        for child in meeting.iterfind(f"{_T}{name}"):
            req.append(copy.deepcopy(child))
    add_addressing(req, meeting, author, sender)
    values = {
        "DateTimeSent": ts_text(now), "InternetMessageId": new_message_id(author.smtp.rpartition("@")[2]),
        "IsRead": "false", "IsDraft": "false",
        "IsResponseRequested": meeting.findtext(f"{_T}IsResponseRequested") or "true",
        "IsDelegated": "false", "IsOutOfDate": "false", "HasBeenProcessed": "true",
        "ResponseType": "NoResponseReceived", "DateTimeStamp": ts_text(now), "IsOrganizer": "false",
        "MeetingRequestType": request_type,
        "IntendedFreeBusyStatus": meeting.findtext(f"{_T}LegacyFreeBusyStatus") or "Busy",
        "IsMeeting": "true", "IsCancelled": "false", "IsRecurring": "true" if row.recurring else "false",
        "CalendarItemType": "RecurringMaster" if row.recurring else "Single", "MyResponseType": "NoResponseReceived",
    }
    for name, value in values.items():
        set_child(req, name, value)
    return order_tree(req, "t:MeetingRequestMessageType")


def _send_requests(store: Store, row: ItemRow, author: Recipient, sender: Recipient, save_copy: bool) -> ItemRow:
    now = int(time.time())
    meeting = row.element_tree()
    request = request_element(meeting, row, author, sender, now)
    if request.find(f"{_T}ToRecipients") is None and request.find(f"{_T}CcRecipients") is None:
        return row
    answers: dict[str, str] = {}
    with store.db.tx() as con:
        report = deliver(store, request, now=now)
        if save_copy:
            sent = store.folders.by_well_known(row.mailbox_id, "sentitems")
            if sent is not None:
                kept = copy.deepcopy(request)
                set_child(kept, "IsRead", "true")
                order_children(kept, "t:MeetingRequestMessageType")
                store.items.insert(con, row.mailbox_id, sent.id, kept, created_by=row.created_by,
                                   modifier_name=author.display_name, received=now)
        for rec, req_row in report.delivered:
            if rec.id == row.mailbox_id:
                continue
            if rec.kind == "room":
                answer = "Accept" if room_is_free(store, rec, row, meeting) else "Decline"
                cal = attendee_item(store, rec, meeting, answer) if answer == "Accept" else None
                mark_request(store, req_row, cal, answer)
                response = response_element(meeting, rec, rec, answer, None, now)
                answers[rec.smtp.lower()] = answer
                deliver(store, response, now=now)
            else:
                cal = attendee_item(store, rec, meeting, "NoResponseReceived")
                mark_request(store, req_row, cal, None)
        if answers:
            row = record_answers(store, row, answers, now)
    return row


def attendee_element(meeting: etree._Element, response: str) -> etree._Element:
    """The organizer's item as the calendar attendant keeps it for an attendee who answered ``response``."""
    el = copy.deepcopy(meeting)
    set_child(el, "MeetingRequestWasSent", None)
    set_child(el, "MyResponseType", response)
    set_child(el, "IsMeeting", "true")
    if response == "Accept":
        set_child(el, "LegacyFreeBusyStatus", meeting.findtext(f"{_T}LegacyFreeBusyStatus") or "Busy")
        set_child(el, "AppointmentReplyTime", ts_text(int(time.time())))
    elif response == "Tentative":
        set_child(el, "LegacyFreeBusyStatus", "Tentative")
        set_child(el, "AppointmentReplyTime", ts_text(int(time.time())))
    else:
        set_child(el, "LegacyFreeBusyStatus", "Tentative")
    return order_children(el, "t:CalendarItemType")


def attendee_item(store: Store, rec: Recipient, meeting: etree._Element, response: str) -> ItemRow | None:
    """The calendar attendant's copy of the meeting in an attendee's (or room's) calendar."""
    calendar = store.folders.by_well_known(rec.id, "calendar")
    if calendar is None:
        return None
    el = attendee_element(meeting, response)
    with store.db.tx() as con:
        return store.items.insert(con, rec.id, calendar.id, el, created_by=rec.id, modifier_name=rec.display_name)


def mark_request(store: Store, req_row: ItemRow, cal: ItemRow | None, answer: str | None) -> None:
    from ews_emulator.ops.itemxml import item_id_for

    el = req_row.element_tree()
    if cal is not None:
        set_child(el, "AssociatedCalendarItemId", None)
        el.append(item_id_for(cal, tag="AssociatedCalendarItemId"))
    if answer is not None:
        set_child(el, "ResponseType", answer)
        set_child(el, "MyResponseType", answer)
        set_child(el, "IsRead", "true")
    order_children(el, "t:MeetingRequestMessageType")
    with store.db.tx() as con:
        store.items.update(con, req_row, el, None, event=True)


# Rooms --------------------------------------------------------------------------------------------
def _instances(row: ItemRow, el: etree._Element) -> list[tuple[int, int]]:
    from ews_emulator.ops.calendarview import expand

    if row.start_ts is None:
        return []
    if row.recurring:
        return [(o.start, o.end) for o in expand(row, row.start_ts, row.start_ts + ROOM_HORIZON, el)]
    return [(row.start_ts, row.end_ts if row.end_ts is not None else row.start_ts)]


def room_is_free(store: Store, room: Recipient, row: ItemRow, meeting: etree._Element) -> bool:
    """No Busy/Tentative/OOF item of the room's calendar overlaps any instance of the meeting."""
    from ews_emulator.ops.calendarview import expand

    calendar = store.folders.by_well_known(room.id, "calendar")
    wanted = _instances(row, meeting)
    if calendar is None or not wanted:
        return True
    lo, hi = min(s for s, _e in wanted), max(e for _s, e in wanted)
    uid = meeting.findtext(f"{_T}UID")
    rows = store.items.select(
        "folder_id = ? AND is_associated = 0 AND element = 'CalendarItem' AND start_ts IS NOT NULL AND "
        "(recurring = 1 OR (start_ts < ? AND end_ts > ?))", (calendar.id, hi, lo), order="start_ts, id")
    for other in rows:
        el = other.element_tree()
        if (el.findtext(f"{_T}LegacyFreeBusyStatus") or "Busy") not in BLOCKING or uid and \
                el.findtext(f"{_T}UID") == uid or el.findtext(f"{_T}IsCancelled") in ("true", "1"):
            continue
        busy = ([(o.start, o.end) for o in expand(other, lo, hi, el)] if other.recurring
                else [(other.start_ts, other.end_ts or other.start_ts)])
        for s, e in busy:
            if any(s < we and e > ws for ws, we in wanted):
                return False
    return True


# Responses ----------------------------------------------------------------------------------------
def response_element(meeting: etree._Element, author: Recipient, sender: Recipient, answer: str,
                      given: etree._Element | None, now: int) -> etree._Element:
    """``Accepted:``/``Tentative:``/``Declined:`` from an attendee to the organizer."""
    _type, prefix, item_class = _BY_TYPE[answer]
    resp = etree.Element(t("MeetingResponse"), nsmap={"t": T_NS})
    etree.SubElement(resp, t("ItemClass")).text = item_class
    subject = given.findtext(f"{_T}Subject") if given is not None else None
    etree.SubElement(resp, t("Subject")).text = subject or prefix + (meeting.findtext(f"{_T}Subject") or "")
    body = given.find(f"{_T}Body") if given is not None else None
    if body is not None:
        resp.append(copy.deepcopy(body))
    organizer = meeting.find(f"{_T}Organizer/{_T}Mailbox")
    if organizer is not None:
        etree.SubElement(resp, t("ToRecipients")).append(copy.deepcopy(organizer))
    resp.append(mailbox_element("From", author.display_name, author.smtp, author.mailbox_type))
    resp.append(mailbox_element("Sender", sender.display_name, sender.smtp, sender.mailbox_type))
    for name, value in (("DateTimeSent", ts_text(now)),
                        ("InternetMessageId", new_message_id(author.smtp.rpartition("@")[2])),
                        ("IsRead", "false"), ("IsDraft", "false"), ("ResponseType", answer),
                        ("DateTimeStamp", ts_text(now))):
        set_child(resp, name, value)
    for name in ("UID", "Start", "End", "Location"):
        for child in meeting.iterfind(f"{_T}{name}"):
            resp.append(copy.deepcopy(child))
    return order_tree(resp, "t:MeetingResponseMessageType")


def record_answers(store: Store, row: ItemRow, answers: dict[str, str], now: int) -> ItemRow:
    """Write attendees' responses into the organizer's item."""
    el = row.element_tree()
    changed = False
    for att in attendees(el):
        answer = answers.get(address_of(att.find(f"{_T}Mailbox")))
        if answer is None:
            continue
        set_child(att, "ResponseType", answer)
        set_child(att, "LastResponseTime", ts_text(now))
        order_children(att, "t:AttendeeType")
        changed = True
    if not changed:
        return row
    with store.db.tx() as con:
        return store.items.update(con, row, el, None)


def find_by_uid(store: Store, mailbox_id: int, uid: str | None, *, well_known: str = "calendar",
                element: str = "CalendarItem") -> ItemRow | None:
    """The item with this ``UID`` in a mailbox's distinguished folder."""
    folder = store.folders.by_well_known(mailbox_id, well_known)
    if folder is None or not uid:
        return None
    for row in store.items.select("folder_id = ? AND element = ? AND instr(xml, ?) > 0",
                                  (folder.id, element, f">{uid}<".encode()), order="id"):
        if row.element_tree().findtext(f"{_T}UID") == uid:
            return row
    return None


def respond(ctx: Ctx, el: etree._Element, disposition: str | None,
            saved_ref: etree._Element | None) -> etree._Element | None:
    """CreateItem ``AcceptItem``/``TentativelyAcceptItem``/``DeclineItem`` (see the module docstring)."""
    from ews_emulator.occurrence_meetings import occurrence_of, respond_to_occurrence
    from ews_emulator.ops.attachments_write import require_modify
    from ews_emulator.ops.deleteitem import dispose
    from ews_emulator.ops.itemparse import resolve_ref

    store = ctx.store
    kind = etree.QName(el).localname
    answer = RESPONSES[kind][0]
    if disposition is None:
        raise EwsError("ErrorMessageDispositionRequired", "MessageDisposition is required for meeting responses.")
    ref = el.find(f"{_T}ReferenceItemId")
    if ref is None:
        raise EwsError("ErrorInvalidRequest", "ReferenceItemId is required.")
    target = occurrence_of(ctx, ref)
    if target is not None:
        return respond_to_occurrence(ctx, el, answer, disposition, saved_ref, *target)
    row, folder, acc = resolve_ref(ctx, ref)
    request_row: ItemRow | None = None
    if row.element == "MeetingRequest":
        request_row = row
        src = row.element_tree()
        cal = find_by_uid(store, row.mailbox_id, src.findtext(f"{_T}UID"))
    elif row.element == "CalendarItem":
        cal = row
        request_row = find_by_uid(store, row.mailbox_id, row.element_tree().findtext(f"{_T}UID"),
                                  well_known="inbox", element="MeetingRequest")
    else:
        raise EwsError("ErrorInvalidReferenceItem", f"A {row.element} cannot be accepted or declined.")
    if cal is None:
        raise EwsError("ErrorItemNotFound", "The meeting is no longer in the calendar.")
    meeting = cal.element_tree()
    owner = store.directory.by_id(cal.mailbox_id) or ctx.caller
    if address_of(meeting.find(f"{_T}Organizer/{_T}Mailbox")) == owner.smtp.lower():
        raise EwsError(f"ErrorCalendarIsOrganizerFor{answer}", "The organizer cannot respond to their own meeting.")
    if meeting.findtext(f"{_T}IsCancelled") in ("true", "1"):
        raise EwsError(f"ErrorCalendarIsCancelledFor{answer}", "The meeting has been cancelled.")
    cal_folder = store.folders.get(cal.folder_id)
    assert cal_folder is not None
    require_modify(ctx, cal, ctx.access(cal_folder))
    sending = disposition != "SaveOnly"
    author = sender = owner
    if sending:
        author, sender = resolve_sender(store, ctx.caller, el.findtext(f"{_T}From/{_T}Mailbox/{_T}EmailAddress"),
                                        owner)
    now = int(time.time())
    response = response_element(meeting, author, sender, answer, el, now)
    with store.db.tx() as con:
        if answer == "Decline":
            dispose(ctx, cal, cal_folder, "MoveToDeletedItems")
        else:
            updated = cal.element_tree()
            set_child(updated, "MyResponseType", answer)
            intended = meeting.findtext(f"{_T}LegacyFreeBusyStatus")
            set_child(updated, "LegacyFreeBusyStatus", "Tentative" if answer == "Tentative" else
                      ("Busy" if intended in (None, "Tentative") else intended))
            set_child(updated, "AppointmentReplyTime", ts_text(now))
            order_children(updated, "t:CalendarItemType")
            store.items.update(con, cal, updated, ctx.caller.display_name)
        if request_row is not None:
            request_folder = store.folders.get(request_row.folder_id)
            if request_folder is not None:
                dispose(ctx, request_row, request_folder, "MoveToDeletedItems")
        return send_response(ctx, response, meeting, owner, disposition, saved_ref, now,
                             record=lambda organizer_item: record_answers(store, organizer_item,
                                                                           {owner.smtp.lower(): answer}, now))


def send_response(ctx: Ctx, response: etree._Element, meeting: etree._Element, owner: Recipient, disposition: str,
                  saved_ref: etree._Element | None, now: int, record) -> etree._Element | None:
    """Save the response as a draft (``SaveOnly``: its id is returned) or send it to the organizer, call
    ``record`` with the organizer's calendar item and keep a copy for ``SendAndSaveCopy``."""
    from ews_emulator.ops.itemxml import item_id_for
    from ews_emulator.ops.senditem import saved_copy_folder

    store = ctx.store
    with store.db.tx() as con:
        if disposition == "SaveOnly":
            drafts = ctx.folder(saved_ref) if saved_ref is not None else store.folders.by_well_known(owner.id,
                                                                                                       "drafts")
            if drafts is None:
                raise EwsError("ErrorFolderNotFound")
            set_child(response, "IsDraft", "true")
            set_child(response, "IsRead", "true")
            order_children(response, "t:MeetingResponseMessageType")
            draft = store.items.insert(con, drafts.mailbox_id, drafts.id, response, created_by=ctx.caller.id,
                                       modifier_name=ctx.caller.display_name)
            out = etree.Element(t("MeetingResponse"))
            out.append(item_id_for(draft))
            return out
        deliver(store, response, now=now)
        organizer_mb = store.directory.by_smtp(address_of(meeting.find(f"{_T}Organizer/{_T}Mailbox")))
        if organizer_mb is not None:
            organizer_item = find_by_uid(store, organizer_mb.id, meeting.findtext(f"{_T}UID"))
            if organizer_item is not None:
                record(organizer_item)
        if disposition == "SendAndSaveCopy":
            save_to = saved_copy_folder(ctx, saved_ref, owner.id)
            if save_to is not None:
                kept = copy.deepcopy(response)
                set_child(kept, "IsRead", "true")
                order_children(kept, "t:MeetingResponseMessageType")
                store.items.insert(con, save_to.mailbox_id, save_to.id, kept, created_by=ctx.caller.id,
                                   modifier_name=ctx.caller.display_name, received=now)
    return None

