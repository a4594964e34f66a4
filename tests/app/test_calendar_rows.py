"""Events read straight from CalendarView XML (app/ews/calendar_rows.py): what a server may leave out."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import etree

from app.domain.calendar import BusyStatus, ResponseType
from app.domain.folders import FolderRef
from app.ews.calendar_rows import event_from_xml, series_uids

T = "http://schemas.microsoft.com/exchange/services/2006/types"
CAL = FolderRef("support@example.com", well_known="calendar")


def _item(body: str) -> etree._Element:
    return etree.fromstring(f'<t:CalendarItem xmlns:t="{T}">{body}</t:CalendarItem>')


def test_an_occurrence_with_everything() -> None:
    el = _item('<t:ItemId Id="occ1" ChangeKey="ck"/><t:Subject>Stand-up</t:Subject>'
               "<t:ReminderIsSet>true</t:ReminderIsSet><t:ReminderMinutesBeforeStart>15</t:ReminderMinutesBeforeStart>"
               "<t:UID>u1</t:UID><t:EffectiveRights><t:CreateAssociated>false</t:CreateAssociated>"
               "<t:CreateContents>false</t:CreateContents><t:CreateHierarchy>false</t:CreateHierarchy>"
               "<t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read></t:EffectiveRights>"
               "<t:Start>2026-03-30T07:30:00Z</t:Start><t:End>2026-03-30T07:45:00.0000000Z</t:End>"
               "<t:IsAllDayEvent>false</t:IsAllDayEvent><t:LegacyFreeBusyStatus>Tentative</t:LegacyFreeBusyStatus>"
               "<t:Location>Room 101</t:Location><t:IsMeeting>true</t:IsMeeting>"
               "<t:CalendarItemType>Occurrence</t:CalendarItemType><t:MyResponseType>Accept</t:MyResponseType>"
               "<t:Organizer><t:Mailbox><t:Name>Customer Support</t:Name>"
               "<t:EmailAddress>support@example.com</t:EmailAddress></t:Mailbox></t:Organizer>")
    assert series_uids([el]) == {"u1": "occ1"}
    event = event_from_xml(el, CAL, {"u1": "master1"})
    assert event is not None
    assert (event.item_id, event.change_key, event.series_id, event.kind) == ("occ1", "ck", "master1", "Occurrence")
    assert event.start == datetime(2026, 3, 30, 7, 30, tzinfo=UTC) and event.end.minute == 45
    assert (event.busy, event.my_response, event.is_meeting) == (BusyStatus.TENTATIVE, ResponseType.ACCEPT, True)
    assert event.organizer is not None and event.organizer.name == "Customer Support"
    assert event.reminder_minutes == 15 and event.rights.modify and event.rights.delete


def test_missing_optional_parts_take_safe_defaults_and_no_times_means_no_event() -> None:
    bare = _item('<t:ItemId Id="x"/><t:Start>2026-03-30T07:30:00</t:Start><t:End>2026-03-30T08:00:00</t:End>')
    event = event_from_xml(bare, CAL, {})
    assert event is not None and event.start.tzinfo is not None
    assert (event.kind, event.series_id, event.busy, event.organizer) == ("Single", "", BusyStatus.BUSY, None)
    assert not event.rights.modify and not event.rights.delete and event.reminder_minutes is None
    assert event_from_xml(_item('<t:ItemId Id="y"/><t:Subject>no times</t:Subject>'), CAL, {}) is None
    assert event_from_xml(_item("<t:Start>2026-03-30T07:30:00Z</t:Start><t:End>2026-03-30T08:00:00Z</t:End>"),
                          CAL, {}) is None
