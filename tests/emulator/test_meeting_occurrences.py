"""Single occurrences of a meeting series: answers to one occurrence, organizer updates of one occurrence,
free/busy details of a modified occurrence."""

from __future__ import annotations

import datetime as dt

from exchangelib import CalendarItem
from exchangelib.items import MeetingRequest
from exchangelib.recurrence import DailyPattern, Recurrence

from ews_emulator.rights import ROLES
from tests.emulator.test_calendar_view import standup_master, window
from tests.emulator.test_items_read import NS, codes, get_xml, soap, store_of
from tests.emulator.test_meetings import _ews, _free_slot, _inbox, _responses
from tests.support.emulator import account


def _series(acc, subject: str, start: int, required: list[str]) -> CalendarItem:
    first = _ews(acc, start)
    item = CalendarItem(account=acc, folder=acc.calendar, subject=subject, start=first,
                        end=first + dt.timedelta(hours=1), location="Room 7", required_attendees=required,
                        recurrence=Recurrence(pattern=DailyPattern(interval=1), start=first.date(), number=5))
    item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    return item


def _occurrences(acc, subject_prefix: str, start: int):
    view = acc.calendar.view(_ews(acc, start - 3600), _ews(acc, start + 6 * 86400))
    return sorted((i for i in view if (i.subject or "").startswith(subject_prefix)), key=lambda i: i.start)


def _occurrence_el(emu, user: str, item_id: str):
    return soap(emu, user, get_xml(f'<t:ItemId Id="{item_id}"/>', base="AllProperties")).find(".//t:CalendarItem",
                                                                                              NS)


def test_answering_one_occurrence_changes_only_that_occurrence(fresh_emulator):
    emu = fresh_emulator
    start, _end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    master = _series(hr, "Daily triage", start, ["bob@example.com", "alice@example.com"])
    bob = account(emu, "bob")
    mine = _occurrences(bob, "Daily triage", start)
    assert len(mine) == 5 and {o.my_response_type for o in mine} == {"NoResponseReceived"}
    mine[1].accept(body="Only Tuesday works")
    mine[2].decline(message_disposition="SendOnly")
    after = _occurrences(bob, "Daily triage", start)
    assert len(after) == 4  # the declined occurrence left bob's calendar
    assert [(o.my_response_type, o.legacy_free_busy_status) for o in after] == [
        ("NoResponseReceived", "Tentative"), ("Accept", "Busy"), ("NoResponseReceived", "Tentative"),
        ("NoResponseReceived", "Tentative")]
    assert mine[2].id not in {o.id for o in after}
    assert [o.type for o in after][1] == "Exception"
    # The request for the series stays in bob's Inbox: he has not answered the series.
    assert [type(r) for r in _inbox(bob, "Daily triage")] == [MeetingRequest]
    # The organizer hears of both answers, each naming its occurrence; the series' answer is unchanged.
    accepted = _inbox(hr, "Accepted: Daily triage")
    assert len(accepted) == 1 and "Only Tuesday works" in accepted[0].body
    el = soap(emu, "carol", get_xml(f'<t:ItemId Id="{accepted[0].id}"/>', base="AllProperties"))
    recurrence_id = el.find(".//t:MeetingResponse/t:RecurrenceId", NS).text
    assert dt.datetime.fromisoformat(recurrence_id.replace("Z", "+00:00")) == mine[1].start
    assert len(_inbox(hr, "Declined: Daily triage")) == 1
    assert _responses(hr.calendar.get(id=master.id))["bob@example.com"] == "Unknown"
    theirs = _occurrences(hr, "Daily triage", start)
    assert _responses(theirs[1])["bob@example.com"] == "Accept"
    assert _responses(theirs[2])["bob@example.com"] == "Decline"
    assert _responses(theirs[0])["bob@example.com"] == "Unknown"
    # The attendee's series is still there: answering the request now answers the whole series.
    _inbox(bob, "Daily triage")[0].tentatively_accept()
    assert _responses(hr.calendar.get(id=master.id))["bob@example.com"] == "Tentative"


def test_organizer_updates_one_occurrence(fresh_emulator):
    emu = fresh_emulator
    start, _end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    _series(hr, "Standup HR", start, ["bob@example.com"])
    bob = account(emu, "bob")
    _inbox(bob, "Standup HR")[0].accept()
    target = _occurrences(hr, "Standup HR", start)[3]
    original_start = target.start
    target.subject = "Standup HR (long)"
    target.end = target.end + dt.timedelta(hours=1)
    target.save(update_fields=["subject", "end"], send_meeting_invitations="SendToAllAndSaveCopy")
    [update] = _inbox(bob, "Standup HR (long)")
    assert isinstance(update, MeetingRequest) and update.meeting_request_type == "FullUpdate"
    el = soap(emu, "bob", get_xml(f'<t:ItemId Id="{update.id}"/>', base="AllProperties"))
    assert el.findtext(".//t:MeetingRequest/t:CalendarItemType", namespaces=NS) == "Exception"
    assert el.find(".//t:MeetingRequest/t:Recurrence", NS) is None
    mine = _occurrences(bob, "Standup HR", start)
    assert len(mine) == 5
    changed = [o for o in mine if o.subject == "Standup HR (long)"]
    assert len(changed) == 1 and changed[0].start == original_start
    assert changed[0].end - changed[0].start == dt.timedelta(hours=2)
    assert (changed[0].my_response_type, changed[0].legacy_free_busy_status) == ("NoResponseReceived", "Tentative")
    assert {o.my_response_type for o in mine if o.id != changed[0].id} == {"Accept"}
    # Accepting that update accepts that occurrence only.
    update.accept()
    mine = _occurrences(bob, "Standup HR", start)
    assert {o.my_response_type for o in mine} == {"Accept"}
    assert _responses(_occurrences(hr, "Standup HR", start)[3])["bob@example.com"] == "Accept"


def test_free_busy_details_of_a_modified_occurrence(fresh_emulator):
    emu = fresh_emulator
    row, _folder = standup_master(emu)
    lo, hi = window(row)
    acc = account(emu, "alice", "support@example.com")
    plain = [i for i in acc.calendar.view(_ews(acc, lo), _ews(acc, hi))
             if i.subject == "Support stand-up" and i.type == "Occurrence"]
    target = plain[2]
    target.subject = "Stand-up with the auditors"
    target.location = "Board room"
    target.save(update_fields=["subject", "location"])
    store = store_of(emu)
    calendar = store.folders.get(row.folder_id)
    dave = store.directory.by_smtp("dave@example.com")
    day_start, day_end = int(target.start.timestamp()) - 3600, int(target.end.timestamp()) + 3600

    def details(user):
        other = account(emu, user)
        info = list(other.protocol.get_free_busy_info([("support@example.com", "Organizer", False)],
                                                      _ews(other, day_start), _ews(other, day_end),
                                                      requested_view="Detailed"))[0]
        return [(e.busy_type, e.details.subject if e.details else None, e.details.location if e.details else None)
                for e in info.calendar_events]

    entries = store.folders.permissions(calendar.id)
    entries[dave.id] = ROLES["FreeBusyTimeOnly"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, calendar.id, entries)
    assert details("dave") == [("Busy", None, None)]
    entries[dave.id] = ROLES["FreeBusyTimeAndSubjectAndLocation"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, calendar.id, entries)
    assert details("dave") == [("Busy", "Stand-up with the auditors", "Board room")]
    # The neighbouring occurrences keep the series' subject.
    other = plain[3]
    dave_acc = account(emu, "dave")
    info = list(dave_acc.protocol.get_free_busy_info(
        [("support@example.com", "Organizer", False)], _ews(dave_acc, int(other.start.timestamp()) - 60),
        _ews(dave_acc, int(other.end.timestamp()) + 60), requested_view="Detailed"))[0]
    assert [e.details.subject for e in info.calendar_events] == ["Support stand-up"]


def test_organizer_cancels_one_occurrence(fresh_emulator):
    emu = fresh_emulator
    start, _end = _free_slot(emu)
    hr = account(emu, "carol", "hr@example.com")
    _series(hr, "Weekly 1:1", start, ["bob@example.com"])
    victim = _occurrences(hr, "Weekly 1:1", start)[1]
    victim.delete(send_meeting_cancellations="SendToAllAndSaveCopy")
    assert len(_occurrences(hr, "Weekly 1:1", start)) == 4
    bob = account(emu, "bob")
    [cancel] = _inbox(bob, "Canceled: Weekly 1:1")
    el = soap(emu, "bob", get_xml(f'<t:ItemId Id="{cancel.id}"/>', base="AllProperties"))
    recurrence_id = el.findtext(".//t:MeetingCancellation/t:RecurrenceId", namespaces=NS)
    assert dt.datetime.fromisoformat(recurrence_id.replace("Z", "+00:00")) == victim.start
    assert el.findtext(".//t:MeetingCancellation/t:CalendarItemType", namespaces=NS) == "Occurrence"
    mine = _occurrences(bob, "", start)
    mine = [o for o in mine if "Weekly 1:1" in (o.subject or "")]
    assert len(mine) == 5
    cancelled = [o for o in mine if o.is_cancelled]
    assert [(o.subject, o.legacy_free_busy_status, o.start) for o in cancelled] == \
        [("Canceled: Weekly 1:1", "Free", victim.start)]
    # The series request is still current; the cancelled occurrence cannot be accepted.
    assert [r.is_out_of_date for r in _inbox(bob, "Weekly 1:1") if isinstance(r, MeetingRequest)] == [False]
    body = soap(emu, "bob", '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:AcceptItem>'
                            f'<t:ReferenceItemId Id="{cancelled[0].id}"/></t:AcceptItem></m:Items></m:CreateItem>')
    assert codes(body) == ["ErrorCalendarIsCancelledForAccept"]
    assert [type(i).__name__ for i in hr.sent.filter(subject="Canceled: Weekly 1:1")] == ["MeetingCancellation"]
