"""Meetings and the scheduling assistant through the real window: carol sends a meeting from hr@ to bob with
room-101 found in the room finder (bob gets the request, the room books itself, the organizer's attendee list
shows it); the assistant shows attendees' and rooms' free/busy side by side, finds the next free slot against
known busy blocks, and shows a colleague's busy time without subjects where only free/busy is shared.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from tests.support.app_driver import WEBENGINE_LOG_IGNORE, Driver
from tests.support.calendar_ui import (
    click,
    double_click,
    ews,
    last_dialog,
    next_weekday,
    open_calendar,
    placed,
    set_when,
    show_day,
    until,
)

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

HR = "hr@example.com"
BOB = "bob@example.com"
ROOM = "room-101@example.com"
SUBJECT = "Interview: Data Analyst"


def _far_day(weekday: int) -> date:
    """A weekday three months ahead: past every seeded series, so only the test's own bookings are there."""
    return next_weekday(date.today() + timedelta(weeks=13), weekday)


def _pick_room(d: Driver, assistant: Any, name: str) -> None:
    until(d, lambda: assistant.room_view.count() > 0)
    item = next(assistant.room_view.item(r) for r in range(assistant.room_view.count())
                if assistant.room_view.item(r).text() == name)
    assistant.room_view.setCurrentItem(item)
    click(d, assistant.add_room)


def _free_busy(emu: Any, user: str, address: str, start: datetime, end: datetime) -> list[tuple[datetime, str]]:
    from exchangelib import EWSDateTime, EWSTimeZone

    acc = ews(emu, user)
    tz = EWSTimeZone("UTC")
    [answer] = list(acc.protocol.get_free_busy_info(
        [(address, "Required", False)], EWSDateTime.from_datetime(start).astimezone(tz),
        EWSDateTime.from_datetime(end).astimezone(tz), requested_view="DetailedMerged"))
    return [(datetime(*e.start.timetuple()[:6], tzinfo=UTC), e.busy_type) for e in answer.calendar_events or ()]


def test_a_meeting_from_hr_with_bob_and_room_101_via_the_room_finder(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "carol")
    pane = open_calendar(d, HR)
    hr = pane.calendar_named(HR)
    pane.calendar_list.set_current(hr)
    pane.new_event.trigger()
    dialog = last_dialog(d, pane, "eventDialog")
    day = _far_day(3)
    start = datetime.combine(day, time(15, 0), pane.tz)
    set_when(dialog, start, start + timedelta(hours=1))
    qtbot.keyClicks(dialog.subject, SUBJECT)
    qtbot.keyClicks(dialog.attendees, BOB)
    assert dialog.send.isVisible() and "Human Resources" in dialog.send.toolTip()
    click(d, dialog.scheduling)
    assistant = last_dialog(d, pane, "schedulingAssistant")
    assert assistant.organiser == HR and BOB in assistant.people
    _pick_room(d, assistant, "Room 101")
    until(d, assistant.is_loaded)
    assert [label for label, _k, _b in assistant.timeline.rows][-1] == "Room 101"
    click(d, next(b for b in assistant.findChildren(type(dialog.send)) if b.text() == "Use this time"))
    until(d, lambda: not assistant.isVisible())
    kinds = {a.person.address: a.kind for a in dialog.attendee_list()}
    assert kinds == {BOB: "Required", ROOM: "Resource"}
    click(d, dialog.scheduling)  # once more: the room invited is shown as a room again
    again = last_dialog(d, pane, "schedulingAssistant")
    until(d, lambda: again.rooms == [ROOM] and again.people == [HR, BOB])
    again.reject()
    click(d, dialog.send)
    until(d, lambda: dialog not in pane.commands.dialogs)

    # bob's inbox has the request, sent as hr@
    bob = ews(fresh_emulator, "bob")
    until(d, lambda: any(m.subject == SUBJECT for m in bob.inbox.all().only("subject")))
    [request] = [m for m in bob.inbox.all() if m.subject == SUBJECT]
    assert type(request).__name__ == "MeetingRequest"
    assert request.author.email_address == HR
    # the room booked itself: busy then, and the organizer's copy says it accepted
    busy = _free_busy(fresh_emulator, "carol", ROOM, start - timedelta(hours=1), start + timedelta(hours=2))
    assert (start.astimezone(UTC), "Busy") in busy
    [organizers] = [i for i in ews(fresh_emulator, "carol", HR).calendar.view(
        start=start - timedelta(hours=1), end=start + timedelta(hours=2)) if i.subject == SUBJECT]
    rooms = {a.mailbox.email_address: a.response_type for a in organizers.resources or ()}
    assert rooms == {ROOM: "Accept"}
    assert {a.mailbox.email_address for a in organizers.required_attendees or ()} == {BOB}

    # ... and the event dialog lists the responses
    show_day(d, pane, day)
    until(d, lambda: bool(placed(pane, HR, SUBJECT)))
    double_click(d, pane.grid, placed(pane, HR, SUBJECT)[0])
    opened = last_dialog(d, pane, "eventDialog")
    until(d, lambda: opened.responses.count() == 2)
    lines = [opened.responses.item(r).text() for r in range(opened.responses.count())]
    assert "Room 101 (room) — Accepted" in lines
    assert any(line.startswith("Bob Baker") or line.startswith(BOB) for line in lines)
    opened.close()


def _book(emu: Any, user: str, subject: str, start: datetime, minutes: int, room: str = "") -> None:
    """Put a busy event in ``user``'s own calendar (and book ``room`` for it) over EWS."""
    from exchangelib import CalendarItem, EWSDateTime
    from exchangelib.properties import Attendee, Mailbox

    acc = ews(emu, user)
    item = CalendarItem(account=acc, folder=acc.calendar, subject=subject,
                        start=EWSDateTime.from_datetime(start.astimezone(UTC)),
                        end=EWSDateTime.from_datetime((start + timedelta(minutes=minutes)).astimezone(UTC)),
                        legacy_free_busy_status="Busy")
    if room:
        item.resources = [Attendee(mailbox=Mailbox(email_address=room), response_type="Unknown")]
        item.save(send_meeting_invitations="SendToAllAndSaveCopy")
    else:
        item.save(send_meeting_invitations="SendToNone")


def test_the_assistant_shows_free_busy_side_by_side_and_finds_the_next_free_slot(qtbot, fresh_emulator,
                                                                                   drive) -> None:
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, "alice@example.com")
    tz = pane.tz
    day = _far_day(1)
    at = lambda h, m=0: datetime.combine(day, time(h, m), tz)  # noqa: E731
    _book(fresh_emulator, "bob", "Bob: quarterly forecast", at(9), 90)  # 09:00-10:30
    _book(fresh_emulator, "alice", "Alice: focus time", at(10, 30), 30)  # 10:30-11:00
    _book(fresh_emulator, "dave", "Dave: on-site visit prep", at(11), 60, room=ROOM)  # room 11:00-12:00
    show_day(d, pane, day)
    pane.grid.select_day(day)
    pane.calendar_list.set_current(pane.calendar_named("alice@example.com"))
    pane.scheduling.trigger()
    assistant = last_dialog(d, pane, "schedulingAssistant")
    assert assistant.timeline.day == day
    qtbot.keyClicks(assistant.add_edit, BOB)
    QTest.keyClick(assistant.add_edit, Qt.Key.Key_Return)
    _pick_room(d, assistant, "Room 101")
    until(d, assistant.is_loaded)
    # one row each, the directory's names shown, the organiser (alice's own calendar) first
    until(d, lambda: [label for label, _k, _b in assistant.timeline.rows] == ["Alice Archer", "Bob Baker",
                                                                             "Room 101"])
    assert [kind for _l, kind, _b in assistant.timeline.rows] == ["organiser", "person", "room"]
    blocks = {assistant.timeline.rows[row][0]: (b, rect) for row, rect, b in assistant.timeline.block_rects()}
    bob_block, bob_rect = blocks["Bob Baker"]
    room_block, room_rect = blocks["Room 101"]
    alice_block, _ = blocks["Alice Archer"]
    assert (bob_block.start, bob_block.end) == (at(9), at(10, 30))
    assert (room_block.start, room_block.end) == (at(11), at(12))
    assert bob_rect.right() <= room_rect.left() and bob_rect.top() < room_rect.top()  # side by side, one row each
    assert bob_block.subject == "", "bob shares free/busy only: no subject"
    assert alice_block.subject == "Alice: focus time", "her own calendar shows its subjects"
    # the user clicks 09:00 on the time line, then "Next free slot"
    x = assistant.timeline.x_of(at(9)) + 1
    QTest.mouseClick(assistant.timeline, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(x), 60))
    assert assistant.start == at(9)
    click(d, assistant.next_free)
    assert assistant.start == at(12)
    assert assistant.suggestion.text().endswith("12:00–12:30.")
    assistant.reject()
