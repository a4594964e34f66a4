"""Meetings over real HTTP: requests, the calendar attendant, rooms booking themselves, responses, occurrences."""

from __future__ import annotations

import datetime as dt

from exchangelib import CalendarItem, EWSDateTime
from exchangelib.items import MeetingRequest, MeetingResponse

from ews_emulator.ops.calendarview import expand
from ews_emulator.rights import ROLES
from ews_emulator.store.ids import decode_id
from tests.emulator.test_calendar_view import standup_master, window
from tests.emulator.test_items_read import NS, codes, get_xml, soap, store_of
from tests.support.emulator import account

UTC = dt.UTC


def _free_slot(emu, room: str = "room-101@example.com") -> tuple[int, int]:
    """An hour in three weeks or later, on a weekday, when the room's calendar holds nothing."""
    store = store_of(emu)
    calendar = store.folders.by_well_known(store.directory.by_smtp(room).id, "calendar")
    day = dt.datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0) + dt.timedelta(days=21)
    while True:
        start = int(day.timestamp())
        rows = store.items.select("folder_id = ? AND (recurring = 1 OR (start_ts < ? AND end_ts > ?))",
                                  (calendar.id, start + 3600, start))
        if day.weekday() < 5 and not any(expand(r, start, start + 3600) if r.recurring else True for r in rows):
            return start, start + 3600
        day += dt.timedelta(days=1)


def _ews(acc, ts: int) -> EWSDateTime:
    return EWSDateTime.fromtimestamp(ts, acc.default_timezone)


def _meeting(acc, subject: str, start: int, end: int, required, resources=(), invitations="SendToAllAndSaveCopy"):
    item = CalendarItem(account=acc, folder=acc.calendar, subject=subject, start=_ews(acc, start),
                        end=_ews(acc, end), location="Room 101", body="Agenda: headcount",
                        required_attendees=list(required), resources=list(resources) or None)
    item.save(send_meeting_invitations=invitations)
    return item


def _responses(item) -> dict[str, str]:
    return {a.mailbox.email_address: a.response_type
            for a in (item.required_attendees or []) + (item.optional_attendees or []) + (item.resources or [])}


def _inbox(acc, subject: str):
    return [i for i in acc.inbox.filter(subject=subject)]


def test_meeting_from_shared_mailbox_reaches_bob_and_books_the_room(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    item = _meeting(hr, "Hiring sync", start, end, ["bob@example.com"], ["room-101@example.com"])
    organizer = hr.calendar.get(id=item.id)
    assert organizer.is_meeting and organizer.my_response_type == "Organizer"
    assert organizer.organizer.email_address == "hr@example.com"
    assert _responses(organizer) == {"bob@example.com": "Unknown", "room-101@example.com": "Accept"}
    assert organizer.meeting_request_was_sent

    bob = account(emu, "bob")
    requests = _inbox(bob, "Hiring sync")
    assert len(requests) == 1 and isinstance(requests[0], MeetingRequest)
    req = requests[0]
    assert req.item_class == "IPM.Schedule.Meeting.Request"
    assert (int(req.start.timestamp()), int(req.end.timestamp()), req.location) == (start, end, "Room 101")
    assert req.organizer.email_address == "hr@example.com" and req.author.email_address == "hr@example.com"
    assert [a.mailbox.email_address for a in req.required_attendees] == ["bob@example.com"]
    assert req.meeting_request_type == "NewMeetingRequest" and not req.is_read
    # The calendar attendant put a tentative copy into bob's calendar; the request points at it.
    tentative = bob.calendar.get(id=req.associated_calendar_item_id.id)
    assert (tentative.subject, tentative.legacy_free_busy_status, tentative.my_response_type) == \
        ("Hiring sync", "Tentative", "NoResponseReceived")
    assert tentative.uid == organizer.uid
    # Sent Items of hr@ keeps the request (SendToAllAndSaveCopy).
    assert [type(i) for i in hr.sent.filter(subject="Hiring sync")] == [MeetingRequest]

    # The room booked itself and said so.
    accepted = _inbox(hr, "Accepted: Hiring sync")
    assert len(accepted) == 1 and isinstance(accepted[0], MeetingResponse)
    assert accepted[0].item_class == "IPM.Schedule.Meeting.Resp.Pos"
    assert accepted[0].author.email_address == "room-101@example.com"
    alice = account(emu, "alice")
    info = list(alice.protocol.get_free_busy_info([("room-101@example.com", "Room", False)],
                                                  _ews(alice, start - 3600), _ews(alice, end + 3600),
                                                  requested_view="Detailed"))[0]
    events = [(int(e.start.timestamp()), int(e.end.timestamp()), e.busy_type)
              for e in info.calendar_events or []]
    assert (start, end, "Busy") in events
    # Default permission on a room calendar is FreeBusyTimeOnly: no subject for alice.
    assert all(e.details is None for e in info.calendar_events)


def test_busy_room_declines_and_free_busy_levels(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    _meeting(hr, "First booking", start, end, ["bob@example.com"], ["room-101@example.com"])
    second = _meeting(hr, "Second booking", start + 1800, end + 1800, ["dave@example.com"], ["room-101@example.com"],
                      invitations="SendOnlyToAll")
    assert _responses(hr.calendar.get(id=second.id))["room-101@example.com"] == "Decline"
    declined = _inbox(hr, "Declined: Second booking")
    assert len(declined) == 1 and declined[0].item_class == "IPM.Schedule.Meeting.Resp.Neg"
    assert not list(hr.sent.filter(subject="Second booking"))  # SendOnlyToAll keeps no copy
    room = store_of(emu).directory.by_smtp("room-101@example.com")
    calendar = store_of(emu).folders.by_well_known(room.id, "calendar")
    booked = store_of(emu).items.select("folder_id = ? AND start_ts < ? AND end_ts > ?", (calendar.id, end + 1800,
                                                                                           start))
    assert [r.subject for r in booked] == ["First booking"]
    # FreeBusyTimeAndSubjectAndLocation shows subject and location; the new meetings are in the answer.
    store = store_of(emu)
    entries = store.folders.permissions(calendar.id)
    entries[store.directory.by_smtp("alice@example.com").id] = ROLES["FreeBusyTimeAndSubjectAndLocation"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, calendar.id, entries)
    alice = account(emu, "alice")
    info = list(alice.protocol.get_free_busy_info([("room-101@example.com", "Room", False)],
                                                  _ews(alice, start - 3600), _ews(alice, end + 3600),
                                                  requested_view="Detailed"))[0]
    assert [(e.details.subject, e.details.location) for e in info.calendar_events] == [("First booking", "Room 101")]


def test_attendee_responses_update_the_organizer(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    item = _meeting(hr, "Budget review", start, end, ["bob@example.com", "alice@example.com"])
    bob = account(emu, "bob")
    req = _inbox(bob, "Budget review")[0]
    req.accept(body="See you there")
    mine = [i for i in bob.calendar.filter(subject="Budget review")]
    assert [(i.my_response_type, i.legacy_free_busy_status) for i in mine] == [("Accept", "Busy")]
    assert not _inbox(bob, "Budget review")  # the answered request went to Deleted Items
    assert _responses(hr.calendar.get(id=item.id))["bob@example.com"] == "Accept"
    answer = _inbox(hr, "Accepted: Budget review")
    assert len(answer) == 1 and answer[0].author.email_address == "bob@example.com"
    assert "See you there" in answer[0].body
    assert [type(i) for i in bob.sent.filter(subject="Accepted: Budget review")] == [MeetingResponse]
    # alice declines through her calendar item, without a copy: the item leaves her calendar.
    alice = account(emu, "alice")
    tentative = [i for i in alice.calendar.filter(subject="Budget review")][0]
    tentative.decline(message_disposition="SendOnly")
    assert not list(alice.calendar.filter(subject="Budget review"))
    assert _responses(hr.calendar.get(id=item.id)) == {"bob@example.com": "Accept", "alice@example.com": "Decline"}
    assert not list(alice.sent.filter(subject="Declined: Budget review"))
    # The organizer cannot answer its own meeting.
    body = soap(emu, "carol", '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:AcceptItem>'
                              f'<t:ReferenceItemId Id="{item.id}"/></t:AcceptItem></m:Items></m:CreateItem>')
    assert codes(body) == ["ErrorCalendarIsOrganizerForAccept"]


def test_occurrence_edited_and_deleted_without_touching_the_series(fresh_emulator):
    emu = fresh_emulator
    row, _folder = standup_master(emu)
    start, end = window(row)
    acc = account(emu, "alice", "support@example.com")
    view = [i for i in acc.calendar.view(_ews(acc, start), _ews(acc, end)) if i.subject == "Support stand-up"]
    plain = [i for i in view if i.type == "Occurrence"]
    target, victim = plain[1], plain[3]
    original = int(target.start.timestamp())
    target.subject = "Stand-up (moved)"
    target.start += dt.timedelta(hours=2)
    target.end += dt.timedelta(hours=2)
    target.save(update_fields=["subject", "start", "end"])
    victim_id = victim.id
    victim.delete()

    got = acc.calendar.get(id=target.id)
    assert (got.subject, int(got.start.timestamp()), got.type) == ("Stand-up (moved)", original + 7200, "Exception")
    assert int(got.original_start.timestamp()) == original
    master = store_of(emu).items.get(row.id)
    assert master.subject == "Support stand-up" and master.start_ts == row.start_ts
    after = [i for i in acc.calendar.view(_ews(acc, start), _ews(acc, end)) if decode_id(i.id).row_id == row.id]
    assert len(after) == len(view) - 1
    assert [i.subject for i in after if i.id == target.id] == ["Stand-up (moved)"]
    assert {i.subject for i in after if i.id != target.id} == {"Support stand-up"}
    assert victim_id not in {i.id for i in after}
    assert codes(soap(emu, "alice", get_xml(f'<t:ItemId Id="{victim_id}"/>'))) == \
        ["ErrorCalendarOccurrenceIsDeletedFromRecurrence"]
    # The series itself: still one master with its pattern, one more deleted and one more modified occurrence.
    master_el = soap(emu, "alice", get_xml(f'<t:RecurringMasterItemId OccurrenceId="{target.id}"/>',
                                           base="AllProperties")).find(".//t:CalendarItem", NS)
    assert master_el.findtext("t:Subject", namespaces=NS) == "Support stand-up"
    assert master_el.find("t:Recurrence/t:WeeklyRecurrence", NS) is not None
    moved = [o.findtext("t:OriginalStart", namespaces=NS) for o in master_el.iterfind(
        "t:ModifiedOccurrences/t:Occurrence", NS)]
    assert dt.datetime.fromtimestamp(original, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in moved
    # Without edit rights on the calendar (dave: free/busy only) nothing changes.
    other = plain[5].id
    denied = soap(emu, "dave", '<m:DeleteItem DeleteType="HardDelete" SendMeetingCancellations="SendToNone">'
                               f'<m:ItemIds><t:ItemId Id="{other}"/></m:ItemIds></m:DeleteItem>')
    update = ('<m:UpdateItem ConflictResolution="AutoResolve" SendMeetingInvitationsOrCancellations="SendToNone">'
              f'<m:ItemChanges><t:ItemChange><t:ItemId Id="{other}"/><t:Updates><t:SetItemField>'
              '<t:FieldURI FieldURI="item:Subject"/><t:CalendarItem><t:Subject>x</t:Subject></t:CalendarItem>'
              '</t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>')
    assert codes(denied) == codes(soap(emu, "dave", update)) == ["ErrorAccessDenied"]
    assert acc.calendar.get(id=other).subject == "Support stand-up"
