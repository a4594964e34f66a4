"""app.ews.calendar and app.ews.availability against the emulator over HTTP.

Reading runs on the shared (read-only) emulator; tests that change data run on a private copy of the demo tenant.
What the server stored is checked by signing in as another user (carol), not with the code's own view of it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.domain.calendar import BusyStatus, CalendarRef, EventDraft, Frequency, Recurrence
from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.scheduling import WorkingHours, suggest_slot
from app.ews import availability, calendar
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.dates import this_week

SUPPORT = "support@example.com"
SALES = "sales@example.com"
pytestmark = pytest.mark.usefixtures("schema_valid_answers")


def _calendar(client: Any, mailbox: str) -> CalendarRef:
    [cal] = [c for c in calendar.list_calendars(client, [mailbox]) if c.folder.well_known == "calendar"]
    return cal


def test_calendars_of_open_mailboxes_with_rights(alice) -> None:
    cals = calendar.list_calendars(alice, [SUPPORT, SALES, alice.user.address])
    by_box = {c.folder.mailbox: c for c in cals if c.folder.well_known == "calendar"}
    assert by_box[SUPPORT].rights.create_contents and by_box[SUPPORT].rights.delete
    assert by_box[SALES].rights.read and not by_box[SALES].rights.create_contents
    assert not by_box[SALES].free_busy_only
    assert by_box[alice.user.address].rights.create_contents


def test_a_colleagues_calendar_opens_free_busy_only_without_their_root(emulator, alice) -> None:
    with round_trips(emulator) as trips:
        cal = calendar.open_shared_calendar(alice, "bob@example.com")
    assert "GetFolder" in trips
    assert cal.free_busy_only and not cal.subject_visible
    monday, sunday = this_week()
    shown = calendar.events(alice, cal, monday - timedelta(days=21), sunday + timedelta(days=21))
    assert shown, "bob's busy times show"
    assert all(e.item_id == "" and not e.rights.modify for e in shown)
    assert all(e.subject in {s.value for s in BusyStatus} for e in shown), "no subjects without the right"


def test_the_support_stand_up_series_shows_in_a_week_in_one_find_item(emulator, alice) -> None:
    cal = _calendar(alice, SUPPORT)
    monday, sunday = this_week()
    with round_trips(emulator) as trips:
        week = calendar.events(alice, cal, monday, sunday)
    assert trips == {"FindItem": 1, "GetItem": 1}  # the view, then the masters of its series (one batch)
    standups = [e for e in week if e.subject == "Support stand-up"]
    assert len(standups) == 3, [(e.subject, e.start) for e in week]
    assert {e.start.isoweekday() for e in standups} == {1, 3, 5}
    assert all(e.kind in ("Occurrence", "Exception") and e.item_id for e in standups)
    assert len({e.series_id for e in standups}) == 1 and standups[0].series_id not in {e.item_id for e in week}
    assert all(e.start < e.end and e.start.tzinfo is not None for e in standups)
    assert [e.start for e in week] == sorted(e.start for e in week)
    detail = calendar.get_event(alice, cal, standups[0].item_id)
    assert detail.series_id and detail.recurrence is not None
    assert detail.recurrence.frequency is Frequency.WEEKLY and detail.recurrence.weekdays == (1, 3, 5)
    assert any(a.person.address == "carol@example.com" for a in detail.attendees)


def test_alice_creates_in_support_and_carol_sees_it(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    carol = signed_in(fresh_emulator, "carol").client
    monday, sunday = this_week()
    start = monday + timedelta(days=2, hours=13)
    draft = EventDraft(calendar=FolderRef(SUPPORT, well_known="calendar"), subject="Rota swap", start=start,
                       end=start + timedelta(minutes=45), location="Room 101", body_text="Swap Friday cover.")
    made = calendar.create_event(alice, draft)
    assert made.item_id and made.subject == "Rota swap" and made.start == start
    seen = calendar.events(carol, _calendar(carol, SUPPORT), monday, sunday)
    [mine] = [e for e in seen if e.subject == "Rota swap"]
    assert (mine.start, mine.end, mine.location) == (start, start + timedelta(minutes=45), "Room 101")


def test_alice_cannot_create_in_sales_calendar_and_is_told_why(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    draft = EventDraft(calendar=FolderRef(SALES, well_known="calendar"), subject="Nope", start=start,
                       end=start + timedelta(hours=1))
    with pytest.raises(AccessDenied, match=r"You have read-only access to Sales Team › Calendar"):
        calendar.create_event(alice, draft)


def test_a_weekly_series_with_a_count_is_created_and_expanded(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    monday, sunday = this_week()
    start = monday + timedelta(days=7, hours=8)  # next Monday 08:00 UTC
    rec = Recurrence(Frequency.WEEKLY, weekdays=(1, 4), start=start.date(), count=4)
    draft = EventDraft(calendar=FolderRef(SUPPORT, well_known="calendar"), subject="Backlog grooming",
                       start=start, end=start + timedelta(minutes=30), recurrence=rec)
    calendar.create_event(alice, draft)
    cal = _calendar(alice, SUPPORT)
    found = [e for e in calendar.events(alice, cal, start - timedelta(days=1), start + timedelta(days=28))
             if e.subject == "Backlog grooming"]
    assert [e.start.date() for e in found] == [start.date() + timedelta(days=d) for d in (0, 3, 7, 10)]
    series = calendar.get_event(alice, cal, found[0].item_id)
    assert series.recurrence is not None and series.recurrence.count == 4
    assert series.recurrence.weekdays == (1, 4)


def test_an_occurrence_is_edited_without_touching_the_series(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    cal = _calendar(alice, SUPPORT)
    monday, sunday = this_week()
    before = [e for e in calendar.events(alice, cal, monday, sunday + timedelta(days=7))
              if e.subject == "Support stand-up"]
    first = before[0]
    draft = EventDraft(calendar=cal.folder, subject="Support stand-up (moved)", start=first.start + timedelta(hours=2),
                       end=first.end + timedelta(hours=2), change_key=first.change_key)
    calendar.update_event(alice, first.item_id, draft, scope="occurrence")
    after = [e for e in calendar.events(alice, cal, monday, sunday + timedelta(days=7))
             if e.subject.startswith("Support stand-up")]
    assert len(after) == len(before)
    [edited] = [e for e in after if e.subject.endswith("(moved)")]
    assert edited.start == first.start + timedelta(hours=2) and edited.kind == "Exception"
    untouched = [e for e in after if e is not edited]
    assert [(e.subject, e.start) for e in untouched] == [(e.subject, e.start) for e in before[1:]]


def test_one_occurrence_and_then_the_series_are_deleted(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    cal = _calendar(alice, SUPPORT)
    monday, sunday = this_week()
    standups = [e for e in calendar.events(alice, cal, monday, sunday) if e.subject == "Support stand-up"]
    calendar.delete_event(alice, standups[0], "occurrence")
    left = [e for e in calendar.events(alice, cal, monday, sunday) if e.subject == "Support stand-up"]
    assert [e.start for e in left] == [e.start for e in standups[1:]]
    calendar.delete_event(alice, left[0], "series")
    assert not [e for e in calendar.events(alice, cal, monday - timedelta(days=14), sunday + timedelta(days=14))
                if e.subject == "Support stand-up"]


def test_free_busy_for_a_room_and_a_person(alice) -> None:
    monday, sunday = this_week()
    found = availability.free_busy(alice, ["room-101@example.com", "bob@example.com"], monday, sunday)
    assert set(found) == {"room-101@example.com", "bob@example.com"}
    room = found["room-101@example.com"]
    assert any(b.busy is BusyStatus.BUSY for b in room), "the stand-up books room 101"
    assert all(b.start < b.end and b.start.tzinfo is not None for b in room)
    standup = calendar.events(alice, _calendar(alice, SUPPORT), monday, sunday)
    starts = {e.start for e in standup if e.subject == "Support stand-up"}
    assert starts <= {b.start for b in room}
    slot = suggest_slot(found, monday, sunday, timedelta(minutes=30), WorkingHours())
    assert slot is not None and all(not (b.start < slot + timedelta(minutes=30) and b.end > slot)
                                    for blocks in found.values() for b in blocks if b.busy is BusyStatus.BUSY)


def test_room_lists_and_rooms(alice) -> None:
    lists = availability.room_lists(alice)
    assert [r.address for r in lists] == ["rooms-hq@example.com"]
    assert {r.address for r in availability.rooms(alice, lists[0].address)} == {"room-101@example.com",
                                                                                 "room-202@example.com"}


def test_suggest_slot_skips_busy_time_and_keeps_to_working_hours() -> None:
    from app.domain.calendar import FreeBusyBlock

    day = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
    busy = {"a": [FreeBusyBlock(day.replace(hour=9), day.replace(hour=10), BusyStatus.BUSY)],
            "b": [FreeBusyBlock(day.replace(hour=10), day.replace(hour=16, minute=45), BusyStatus.TENTATIVE)]}
    hours = WorkingHours()
    assert suggest_slot(busy, day, day + timedelta(days=3), timedelta(minutes=30), hours) == day + timedelta(days=1, hours=9)
    assert suggest_slot(busy, day, day + timedelta(days=3), timedelta(minutes=15), hours) == day.replace(hour=16, minute=45)
    assert suggest_slot({}, day.replace(hour=17), day.replace(hour=18), timedelta(hours=1), hours) is None
    assert date(2025, 3, 3).isoweekday() == 1
