"""The reading pane's meeting bar against the emulator: a meeting from hr@ (sent by carol) lands in support@'s
Inbox; alice answers it for support@ with a message, bob (Reviewer on support@'s Inbox only) may not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.calendar import Attendee, EventDraft, ResponseType
from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.meetings import (
    MeetingInfo,
    MeetingKind,
    SendMode,
    bar_text,
    meeting_kind,
    response_capability,
)
from app.domain.messages import ListQuery, Person
from app.ews import calendar, meeting_requests, messages
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE

SUPPORT = "support@example.com"
HR = "hr@example.com"
SUBJECT = "Interview panel: senior engineer"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE)


def _invite_support(emu) -> datetime:
    """carol (Send As on hr@) sends a meeting from hr@'s calendar to support@ (and returns its start)."""
    carol = signed_in(emu, "carol").client
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    draft = EventDraft(calendar=FolderRef(HR, well_known="calendar"), subject=SUBJECT, start=start,
                       end=start + timedelta(hours=1), location="Room 101",
                       attendees=[Attendee(Person(SUPPORT, "Support Team"))])
    calendar.create_event(carol, draft, send_invitations=True)
    return start


def _show_request(d, qtbot):
    qtbot.waitUntil(lambda: SUPPORT in [a.casefold() for a in d.sidebar_addresses()]
                    and not d.app.mailboxes.is_loading(), timeout=WAIT_MS)
    d.open_folder(SUPPORT, "inbox")
    row = d.row_where(lambda s: s.subject == SUBJECT)
    d.select(row)
    bar = d.window.reading_pane.meeting_bar
    qtbot.waitUntil(lambda: bar.info is not None or "refused" in bar.status.text(), timeout=WAIT_MS)
    return bar


def test_domain_kind_text_and_capability() -> None:
    assert meeting_kind("IPM.Schedule.Meeting.Request") is MeetingKind.REQUEST
    assert meeting_kind("IPM.Schedule.Meeting.Canceled") is MeetingKind.CANCELLATION
    assert meeting_kind("IPM.Note") is None and meeting_kind("") is None
    start = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    info = MeetingInfo("id", SUPPORT, MeetingKind.REQUEST, "Sync", start, start + timedelta(hours=1),
                       location="Room 101", organizer=Person(HR, "Human Resources"))
    assert bar_text(info, UTC) == "Meeting: Tue 3 Mar 2026 09:00–10:00, Room 101, organizer Human Resources"
    denied = response_capability(info)
    assert not denied and "write access" in denied.reason
    assert response_capability(MeetingInfo("id", SUPPORT, MeetingKind.REQUEST, can_modify_calendar_item=True))


def test_alice_accepts_for_support_with_a_message(qtbot, fresh_emulator, drive) -> None:
    start = _invite_support(fresh_emulator)
    d = drive(fresh_emulator, "alice")
    bar = _show_request(d, qtbot)
    info = bar.info
    assert info.mailbox == SUPPORT and info.organizer.address == HR
    local = start.astimezone(d.window.calendar.pane.tz)
    assert bar.label.text().startswith(f"Meeting: {local:%a} {local.day} {local:%b %Y} {local:%H:%M}")
    assert "Room 101" in bar.label.text() and "Human Resources" in bar.label.text()
    accept = bar.buttons[ResponseType.ACCEPT]
    assert accept.isEnabled() and not bar.remove_button.isVisible()
    bar.menu_actions[(ResponseType.ACCEPT, SendMode.EDIT)].trigger()
    dialog = bar.message_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.editor.setPlainText("Support will send Dana.")
    QTest.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.status.text().startswith("You accepted"), timeout=WAIT_MS)
    assert not accept.isVisible()

    # The organizer got the response (as support@, with the message) and hr@'s attendee list says so.
    carol = signed_in(fresh_emulator, "carol").client
    hr_inbox = FolderRef(HR, well_known="inbox")
    rows = messages.find_page(carol, hr_inbox, ListQuery(search=SUBJECT), 0, 10).items
    reply = next(r for r in rows if r.subject == f"Accepted: {SUBJECT}")
    assert reply.sender is not None and reply.sender.address.casefold() == SUPPORT
    detail = messages.get_detail(carol, hr_inbox, reply.item_id)
    assert "Support will send Dana." in (detail.body_text or detail.body_html or "")
    day = (start - timedelta(hours=1), start + timedelta(hours=2))
    [hr_cal] = [c for c in calendar.list_calendars(carol, [HR]) if c.folder.well_known == "calendar"]
    [organizer_copy] = [e for e in calendar.events(carol, hr_cal, *day) if e.subject == SUBJECT]
    full = calendar.get_event(carol, hr_cal, organizer_copy.item_id)
    assert {a.person.address.casefold(): a.response for a in full.attendees}[SUPPORT] is ResponseType.ACCEPT
    # support@'s calendar holds the meeting, accepted.
    [support_cal] = [c for c in calendar.list_calendars(carol, [SUPPORT]) if c.folder.well_known == "calendar"]
    [mine] = [e for e in calendar.events(carol, support_cal, *day) if e.subject == SUBJECT]
    assert mine.my_response is ResponseType.ACCEPT


def test_declining_without_sending_tells_nobody(qtbot, fresh_emulator, drive) -> None:
    start = _invite_support(fresh_emulator)
    d = drive(fresh_emulator, "alice")
    bar = _show_request(d, qtbot)
    bar.menu_actions[(ResponseType.TENTATIVE, SendMode.DONT_SEND)].trigger()
    qtbot.waitUntil(lambda: bar.status.text().startswith("You tentatively accepted"), timeout=WAIT_MS)
    assert "no response was sent" in bar.status.text()
    carol = signed_in(fresh_emulator, "carol").client
    rows = messages.find_page(carol, FolderRef(HR, well_known="inbox"), ListQuery(search=SUBJECT), 0, 10).items
    assert not [r for r in rows if r.subject.startswith("Tentative:")]
    drafts = messages.find_page(carol, FolderRef(SUPPORT, well_known="drafts"), ListQuery(search=SUBJECT), 0, 10)
    assert drafts.total == 0  # the SaveOnly draft was deleted again
    [support_cal] = [c for c in calendar.list_calendars(carol, [SUPPORT]) if c.folder.well_known == "calendar"]
    [mine] = [e for e in calendar.events(carol, support_cal, start, start + timedelta(hours=1))
              if e.subject == SUBJECT]
    assert mine.my_response is ResponseType.TENTATIVE


def test_bob_reviewer_on_the_inbox_cannot_answer_and_is_told_why(qtbot, fresh_emulator, drive) -> None:
    _invite_support(fresh_emulator)
    d = drive(fresh_emulator, "bob")
    d.app.mailboxes.open_mailbox(SUPPORT)
    bar = _show_request(d, qtbot)
    assert bar.info.subject == SUBJECT
    for button in bar.buttons.values():
        assert not button.isEnabled()
        assert "support@example.com's calendar" in button.toolTip()


def test_a_refusal_from_the_server_is_shown_in_the_bar(qtbot, fresh_emulator, drive) -> None:
    """carol has Full Access on support@ but no right to send as it: Exchange refuses the response."""
    _invite_support(fresh_emulator)
    d = drive(fresh_emulator, "carol")
    bar = _show_request(d, qtbot)
    assert bar.buttons[ResponseType.DECLINE].isEnabled()
    bar.menu_actions[(ResponseType.DECLINE, SendMode.SEND_NOW)].trigger()
    qtbot.waitUntil(lambda: bar.frame.property("state") == "failed", timeout=WAIT_MS)
    assert "send" in bar.status.text().lower() and "support" in bar.status.text().lower()
    assert "Don't send a response" in bar.status.text()
    assert bar.buttons[ResponseType.DECLINE].isEnabled()  # the user may try again without sending
    bar.menu_actions[(ResponseType.DECLINE, SendMode.DONT_SEND)].trigger()
    qtbot.waitUntil(lambda: bar.status.text().startswith("You declined"), timeout=WAIT_MS)
    assert bar.frame.property("state") == ""


def test_a_cancelled_meeting_is_removed_from_supports_calendar(qtbot, fresh_emulator, drive) -> None:
    start = _invite_support(fresh_emulator)
    carol = signed_in(fresh_emulator, "carol").client
    [hr_cal] = [c for c in calendar.list_calendars(carol, [HR]) if c.folder.well_known == "calendar"]
    [meeting] = [e for e in calendar.events(carol, hr_cal, start, start + timedelta(hours=1)) if e.subject == SUBJECT]
    calendar.delete_event(carol, meeting, "series", send_cancellations=True)
    d = drive(fresh_emulator, "alice")
    qtbot.waitUntil(lambda: SUPPORT in [a.casefold() for a in d.sidebar_addresses()]
                    and not d.app.mailboxes.is_loading(), timeout=WAIT_MS)
    d.open_folder(SUPPORT, "inbox")
    d.select(d.row_where(lambda s: s.subject == f"Canceled: {SUBJECT}"))
    bar = d.window.reading_pane.meeting_bar
    qtbot.waitUntil(lambda: bar.info is not None, timeout=WAIT_MS)
    assert bar.label.text() == "This meeting was cancelled."
    assert all(not b.isVisible() for b in bar.buttons.values())
    assert bar.remove_button.isVisible() and bar.remove_button.isEnabled()
    [support_cal] = [c for c in calendar.list_calendars(carol, [SUPPORT]) if c.folder.well_known == "calendar"]
    window = (start - timedelta(hours=1), start + timedelta(hours=2))
    assert [e for e in calendar.events(carol, support_cal, *window) if e.subject.endswith(SUBJECT)]
    QTest.mouseClick(bar.remove_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bar.status.text() == "Removed from the calendar.", timeout=WAIT_MS)
    assert not [e for e in calendar.events(carol, support_cal, *window) if e.subject.endswith(SUBJECT)]


def test_round_trips_of_the_meeting_bar(fresh_emulator) -> None:
    """Reading a request costs two GetItems (the message, the rights on its calendar item); "Don't send a
    response" is a SaveOnly CreateItem and the DeleteItem of the draft it leaves."""
    _invite_support(fresh_emulator)
    alice = signed_in(fresh_emulator, "alice").client
    rows = messages.find_page(alice, FolderRef(SUPPORT, well_known="inbox"), ListQuery(search=SUBJECT), 0, 10).items
    [request] = [r for r in rows if r.subject == SUBJECT]
    with round_trips(fresh_emulator) as reading:
        info = meeting_requests.meeting_info(alice, SUPPORT, request.item_id, MeetingKind.REQUEST)
    assert reading == {"GetItem": 2} and info.can_modify_calendar_item
    with round_trips(fresh_emulator) as answering:
        meeting_requests.respond(alice, request.item_id, ResponseType.ACCEPT, mailbox=SUPPORT, send=False)
    assert answering == {"CreateItem": 1, "DeleteItem": 1}


def _cancel_for_support(emu) -> tuple[datetime, str]:
    """carol invites support@ from hr@ and cancels; returns the start and the meeting's id in support@'s calendar."""
    start = _invite_support(emu)
    carol = signed_in(emu, "carol").client
    [hr_cal] = [c for c in calendar.list_calendars(carol, [HR]) if c.folder.well_known == "calendar"]
    [meeting] = [e for e in calendar.events(carol, hr_cal, start, start + timedelta(hours=1)) if e.subject == SUBJECT]
    calendar.delete_event(carol, meeting, "series", send_cancellations=True)
    [support_cal] = [c for c in calendar.list_calendars(carol, [SUPPORT]) if c.folder.well_known == "calendar"]
    [copy] = [e for e in calendar.events(carol, support_cal, start - timedelta(hours=1), start + timedelta(hours=2))
              if e.subject.endswith(SUBJECT)]
    return start, copy.item_id


def test_removing_a_cancelled_meeting_needs_the_delete_right(qtbot, fresh_emulator, drive) -> None:
    """bob reads support@'s Inbox and may edit but not delete in its calendar (Custom): "Remove from calendar"
    (a DeleteItem, which the server checks against Delete, not Modify) is disabled and says why."""
    from ews_emulator.rights import ROLES, FolderPermission

    _start, copy_id = _cancel_for_support(fresh_emulator)
    store = fresh_emulator.backend.store
    support = store.directory.by_smtp(SUPPORT)
    folder = store.folders.by_well_known(support.id, "calendar")
    entries = store.folders.permissions(folder.id)
    entries[store.directory.by_smtp("bob@example.com").id] = FolderPermission(
        "Custom", True, False, False, True, False, "All", "None", "FullDetails")  # edit all, delete none
    assert entries[store.directory.by_smtp("bob@example.com").id] != ROLES["Editor"]
    with store.db.tx() as con:
        store.folders.set_permissions(con, folder.id, entries)
    bob = signed_in(fresh_emulator, "bob").client
    rows = messages.find_page(bob, FolderRef(SUPPORT, well_known="inbox"), ListQuery(search=SUBJECT), 0, 10).items
    [cancellation] = [r for r in rows if r.subject == f"Canceled: {SUBJECT}"]
    info = meeting_requests.meeting_info(bob, SUPPORT, cancellation.item_id, MeetingKind.CANCELLATION)
    assert info.can_modify_calendar_item and not info.can_delete_calendar_item
    with pytest.raises(AccessDenied):  # what the server says to the DeleteItem the button would send
        meeting_requests.remove_from_calendar(bob, SUPPORT, copy_id)

    d = drive(fresh_emulator, "bob")
    d.app.mailboxes.open_mailbox(SUPPORT)
    qtbot.waitUntil(lambda: SUPPORT in [a.casefold() for a in d.sidebar_addresses()]
                    and not d.app.mailboxes.is_loading(), timeout=WAIT_MS)
    d.open_folder(SUPPORT, "inbox")
    d.select(d.row_where(lambda s: s.subject == f"Canceled: {SUBJECT}"))
    bar = d.window.reading_pane.meeting_bar
    qtbot.waitUntil(lambda: bar.info is not None, timeout=WAIT_MS)
    assert bar.remove_button.isVisible() and not bar.remove_button.isEnabled()
    assert bar.remove_button.toolTip() == ("You may change but not delete items in support@example.com's calendar: "
                                           "you cannot remove the meeting.")
