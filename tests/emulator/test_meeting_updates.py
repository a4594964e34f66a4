"""Meeting updates and cancellations from the organizer, over real HTTP with exchangelib."""

from __future__ import annotations

import datetime as dt

from exchangelib.items import MeetingCancellation, MeetingRequest

from tests.emulator.test_items_read import codes, soap, store_of
from tests.emulator.test_meetings import _free_slot, _inbox, _meeting, _responses
from tests.support.emulator import account


def _room_bookings(emu, start: int, end: int, room: str = "room-101@example.com") -> list[str]:
    store = store_of(emu)
    calendar = store.folders.by_well_known(store.directory.by_smtp(room).id, "calendar")
    return [r.subject for r in store.items.select("folder_id = ? AND start_ts < ? AND end_ts > ?",
                                                  (calendar.id, end, start))]


def test_updating_a_meeting_sends_updates_and_rooms_answer_again(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    item = _meeting(hr, "Planning", start, end, ["bob@example.com"], ["room-101@example.com"])
    bob = account(emu, "bob")
    _inbox(bob, "Planning")[0].accept()
    # An informational change (location): bob's answer stays, his copy follows, the sequence number grows.
    organizer = hr.calendar.get(id=item.id)
    assert organizer.appointment_sequence_number == 0
    organizer.location = "Room 101 (moved chairs)"
    organizer.save(update_fields=["location"], send_meeting_invitations="SendToAllAndSaveCopy")
    organizer = hr.calendar.get(id=item.id)
    assert organizer.appointment_sequence_number == 1
    assert _responses(organizer) == {"bob@example.com": "Accept", "room-101@example.com": "Accept"}
    update = [r for r in _inbox(bob, "Planning") if isinstance(r, MeetingRequest)]
    assert [u.meeting_request_type for u in update] == ["InformationalUpdate"]
    [mine] = list(bob.calendar.filter(subject="Planning"))
    assert (mine.location, mine.my_response_type, mine.legacy_free_busy_status) == \
        ("Room 101 (moved chairs)", "Accept", "Busy")
    assert len(list(hr.sent.filter(subject="Planning"))) == 2  # the request and the update
    # Moving it onto a busy slot of the room: a full update, answers reset, the room declines and drops it.
    blocker_start = end + 7200
    _meeting(hr, "Blocker", blocker_start, blocker_start + 3600, ["dave@example.com"], ["room-101@example.com"])
    organizer.start = organizer.start + dt.timedelta(seconds=blocker_start - start)
    organizer.end = organizer.end + dt.timedelta(seconds=blocker_start - start)
    organizer.save(update_fields=["start", "end"], send_meeting_invitations="SendOnlyToAll")
    organizer = hr.calendar.get(id=item.id)
    assert organizer.appointment_sequence_number == 2
    assert _responses(organizer) == {"bob@example.com": "Unknown", "room-101@example.com": "Decline"}
    assert _room_bookings(emu, start, end) == [] and _room_bookings(emu, blocker_start, blocker_start + 3600) == \
        ["Blocker"]
    requests = {(r.meeting_request_type, r.is_out_of_date) for r in _inbox(bob, "Planning")
                if isinstance(r, MeetingRequest)}
    assert requests == {("InformationalUpdate", True), ("FullUpdate", False)}
    [mine] = list(bob.calendar.filter(subject="Planning"))
    assert (int(mine.start.timestamp()), mine.my_response_type, mine.legacy_free_busy_status) == \
        (blocker_start, "NoResponseReceived", "Tentative")
    assert len(_inbox(hr, "Declined: Planning")) == 1
    assert len(list(hr.sent.filter(subject="Planning"))) == 2  # SendOnlyToAll keeps no copy


def test_added_and_removed_attendees_and_send_to_none(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    item = _meeting(hr, "Offsite", start, end, ["bob@example.com", "dave@example.com"])
    organizer = hr.calendar.get(id=item.id)
    organizer.required_attendees = [a for a in organizer.required_attendees
                                    if a.mailbox.email_address == "bob@example.com"]
    organizer.required_attendees.append("alice@example.com")
    organizer.save(update_fields=["required_attendees"], send_meeting_invitations="SendToChangedAndSaveCopy")
    alice, bob, dave = (account(emu, n) for n in ("alice", "bob", "dave"))
    assert [r.meeting_request_type for r in _inbox(alice, "Offsite")] == ["NewMeetingRequest"]
    assert len(list(alice.calendar.filter(subject="Offsite"))) == 1
    assert [type(r) for r in _inbox(bob, "Offsite")] == [MeetingRequest]  # unchanged: no update
    [cancel] = _inbox(dave, "Canceled: Offsite")
    assert isinstance(cancel, MeetingCancellation) and cancel.item_class == "IPM.Schedule.Meeting.Canceled"
    [gone] = list(dave.calendar.filter(subject="Canceled: Offsite"))
    assert gone.is_cancelled and gone.legacy_free_busy_status == "Free"
    # SendToNone: the organizer's item changes, nobody hears of it.
    organizer = hr.calendar.get(id=item.id)
    organizer.subject = "Offsite (draft)"
    organizer.save(update_fields=["subject"], send_meeting_invitations="SendToNone")
    assert not _inbox(bob, "Offsite (draft)") and list(bob.calendar.filter(subject="Offsite"))
    assert hr.calendar.get(id=item.id).appointment_sequence_number == 1


def test_cancelling_a_meeting_by_delete_and_by_cancel_item(fresh_emulator):
    emu = fresh_emulator
    start, end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    first = _meeting(hr, "Interview A", start, end, ["bob@example.com"], ["room-101@example.com"])
    assert _room_bookings(emu, start, end) == ["Interview A"]
    hr.calendar.get(id=first.id).delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    bob = account(emu, "bob")
    [cancel] = _inbox(bob, "Canceled: Interview A")
    assert cancel.importance == "High" and cancel.author.email_address == "hr@example.com"
    [mine] = list(bob.calendar.filter(subject="Canceled: Interview A"))
    assert mine.is_cancelled
    assert cancel.associated_calendar_item_id.id == mine.id
    assert [r.is_out_of_date for r in _inbox(bob, "Interview A") if isinstance(r, MeetingRequest)] == [True]
    assert _room_bookings(emu, start, end) == []  # the room freed the slot
    assert [type(i) for i in hr.sent.filter(subject="Canceled: Interview A")] == [MeetingCancellation]
    # An answer to a cancelled meeting is refused.
    body = soap(emu, "bob", '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:AcceptItem>'
                            f'<t:ReferenceItemId Id="{mine.id}"/></t:AcceptItem></m:Items></m:CreateItem>')
    assert codes(body) == ["ErrorCalendarIsCancelledForAccept"]
    # CancelCalendarItem with a message; the organizer's item leaves the calendar.
    second = _meeting(hr, "Interview B", start, end, ["bob@example.com"])
    hr.calendar.get(id=second.id).cancel(body="Candidate withdrew")
    [cancel] = _inbox(bob, "Canceled: Interview B")
    assert "Candidate withdrew" in cancel.body
    assert not list(hr.calendar.filter(subject="Interview B"))
    # SendToNone on delete: the attendee hears nothing.
    third = _meeting(hr, "Interview C", start, end, ["bob@example.com"])
    hr.calendar.get(id=third.id).delete(send_meeting_cancellations="SendToNone")
    assert not _inbox(bob, "Canceled: Interview C")
    assert [i.is_cancelled for i in bob.calendar.filter(subject="Interview C")] == [False]
