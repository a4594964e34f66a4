""".ics in the UI against the emulator: export a calendar (a range, the whole) from the calendar list's menu and
import the file again, a malformed file imports nothing and says why, an .ics attachment is added to a calendar."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.calendar import CalendarRef, EventDraft, Frequency, Recurrence
from app.domain.ical import parse_ics
from app.domain.messages import Draft, LocalAttachment
from app.ews import calendar, compose
from tests.app.ews.conftest import signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import open_calendar

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE)
OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"


def _own_events(emu, start: datetime, end: datetime) -> list:
    client = signed_in(emu, "alice").client
    [own] = [c for c in calendar.list_calendars(client, [OWN]) if c.folder.well_known == "calendar"]
    return calendar.events(client, own, start, end)


def _menu_action(pane, cal: CalendarRef, name: str):
    menu = pane.calendar_list.menu_for(cal)
    return next(a for a in menu.actions() if a.objectName() == name)


def _week() -> tuple[datetime, datetime]:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=7)


def test_export_a_week_of_support_and_import_it_into_my_calendar(qtbot, fresh_emulator, drive, tmp_path) -> None:
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    ics = d.window.calendar.ics
    support, own = pane.calendar_named(SUPPORT), pane.calendar_named(OWN)
    target = tmp_path / "support-week.ics"
    asked: list[str] = []
    ics.choose_save_path = lambda proposed: (asked.append(proposed), str(target))[1]
    _menu_action(pane, support, "action_calendar_export").trigger()
    dialog = ics.dialogs[-1]
    assert dialog.objectName() == "icsExportDialog"
    dialog.ranged.setChecked(True)
    monday, sunday_end = _week()
    dialog.first.setDate(monday.date())
    dialog.last.setDate((sunday_end - timedelta(days=1)).date())
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status.text().startswith("Exported"), timeout=WAIT_MS)
    assert asked and asked[0].endswith(".ics") and "Calendar" in asked[0]
    drafts = parse_ics(target.read_bytes())
    stand_ups = [x for x in drafts if x.subject == "Support stand-up"]
    assert len(stand_ups) == 3  # Monday, Wednesday, Friday occurrences of this week, as single events
    assert dialog.status.text().startswith(f"Exported {len(drafts)} event")
    before = _own_events(fresh_emulator, *_week())

    ics.choose_open_path = lambda _start: str(target)
    _menu_action(pane, own, "action_calendar_import").trigger()
    preview = ics.dialogs[-1]
    assert preview.objectName() == "icsImportDialog"
    qtbot.waitUntil(lambda: preview.table.topLevelItemCount() == len(drafts), timeout=WAIT_MS)
    assert preview.chosen_target().folder.key == own.folder.key
    targets = [preview.target.itemData(i).folder.mailbox for i in range(preview.target.count())]
    assert set(targets) == {OWN, SUPPORT}  # only calendars alice may write to
    subjects = {preview.table.topLevelItem(i).text(0) for i in range(preview.table.topLevelItemCount())}
    assert "Support stand-up" in subjects
    QTest.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.status.text().startswith("Imported"), timeout=WAIT_MS)
    after = _own_events(fresh_emulator, *_week())
    assert len(after) == len(before) + len(drafts)
    count = lambda events: sum(1 for e in events if e.subject == "Support stand-up")  # noqa: E731
    assert count(after) == count(before) + 3


def test_the_whole_calendar_keeps_its_series_as_rules(qtbot, emulator, drive, tmp_path) -> None:
    d = drive(emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    ics = d.window.calendar.ics
    target = tmp_path / "support.ics"
    ics.choose_save_path = lambda _p: str(target)
    dialog = ics.export_calendar(pane.calendar_named(SUPPORT))
    assert dialog.whole.isChecked()
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.status.text().startswith("Exporting"), timeout=WAIT_MS)
    assert dialog.status.text().startswith("Exported"), dialog.status.text()
    drafts = parse_ics(target.read_bytes())
    [series] = [x for x in drafts if x.subject == "Support stand-up"]
    assert series.recurrence is not None and series.recurrence.frequency is Frequency.WEEKLY
    assert set(series.recurrence.weekdays) == {1, 3, 5}


def _occurrences(events) -> Counter:
    return Counter((e.subject, e.start, e.end, e.all_day) for e in events)


def test_the_whole_calendar_round_trips_with_changed_and_removed_occurrences(qtbot, fresh_emulator, drive,
                                                                              tmp_path) -> None:
    """support@'s whole calendar (the stand-up series has one occurrence moved and one deleted) exported, then
    imported into alice's own calendar: over five weeks around today her calendar gains exactly support@'s
    occurrences, the moved one at its new time and the deleted one not at all."""
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    ics = d.window.calendar.ics
    support, own = pane.calendar_named(SUPPORT), pane.calendar_named(OWN)
    monday, _next = _week()
    start, end = monday - timedelta(weeks=2), monday + timedelta(weeks=3)
    client = signed_in(fresh_emulator, "alice").client
    source = calendar.events(client, support, start, end)
    standups = [e for e in source if e.subject == "Support stand-up"]
    assert any(e.kind == "Exception" for e in standups), "the seeded series has a moved occurrence in range"
    before = _own_events(fresh_emulator, start, end)

    target = tmp_path / "support.ics"
    ics.choose_save_path = lambda _p: str(target)
    dialog = ics.export_calendar(support)
    assert dialog.whole.isChecked()
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.status.text().startswith("Exporting"), timeout=WAIT_MS)
    assert dialog.status.text().startswith("Exported"), dialog.status.text()
    data = target.read_bytes()
    assert data.count(b"RECURRENCE-ID") == 1 and data.count(b"EXDATE") == 1
    [series] = [x for x in parse_ics(data) if x.subject == "Support stand-up"]
    assert len(series.modified) == 1 and len(series.deleted) == 1

    ics.choose_open_path = lambda _start: str(target)
    _menu_action(pane, own, "action_calendar_import").trigger()
    preview = ics.dialogs[-1]
    qtbot.waitUntil(lambda: preview.table.topLevelItemCount() > 0, timeout=WAIT_MS)
    rows = [preview.table.topLevelItem(i) for i in range(preview.table.topLevelItemCount())]
    [row] = [r for r in rows if r.text(0) == "Support stand-up"]
    assert row.text(3).endswith("; 1 occurrence changed, 1 removed"), row.text(3)
    assert preview.chosen_target().folder.key == own.folder.key
    QTest.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.status.text().startswith(("Imported", "Nothing")) or "not" in
                    preview.status.text(), timeout=WAIT_MS)
    assert preview.status.text().startswith("Imported"), preview.status.text()

    after = _own_events(fresh_emulator, start, end)
    assert _occurrences(after) - _occurrences(before) == _occurrences(source)
    assert len(after) - len(before) == len(source)
    moved = next(e for e in standups if e.kind == "Exception")
    imported = [e for e in after if e.subject == "Support stand-up" and e.start == moved.start]
    assert len(imported) == 2 and {e.kind for e in imported} == {"Exception"}  # alice's invitation copy and hers


def test_a_berlin_series_exported_whole_keeps_its_local_time_when_imported(qtbot, fresh_emulator, drive,
                                                                           tmp_path) -> None:
    """A weekly 09:30 Berlin series (2 March - 25 May 2026, across the 29 March change) in alice's calendar,
    exported whole from the menu and imported into support@'s: the same occurrences, 09:30 Berlin all along."""
    berlin = ZoneInfo("Europe/Berlin")
    first_day, last_day = date(2026, 3, 2), date(2026, 5, 25)
    client = signed_in(fresh_emulator, "alice").client
    [mine] = [c for c in calendar.list_calendars(client, [OWN]) if c.folder.well_known == "calendar"]
    first = datetime.combine(first_day, time(9, 30), berlin)
    calendar.create_event(client, EventDraft(mine.folder, "Berlin sync", first, first + timedelta(minutes=30),
                                             recurrence=Recurrence(Frequency.WEEKLY, weekdays=(1,), start=first_day,
                                                                   until=last_day)))
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    ics = d.window.calendar.ics
    target = tmp_path / "mine.ics"
    ics.choose_save_path = lambda _p: str(target)
    dialog = ics.export_calendar(pane.calendar_named(OWN))
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.status.text().startswith("Exporting"), timeout=WAIT_MS)
    assert dialog.status.text().startswith("Exported"), dialog.status.text()
    data = target.read_bytes()
    assert b"DTSTART;TZID=Europe/Berlin:20260302T093000" in data and b"UNTIL=20260525T073000Z" in data

    ics.choose_open_path = lambda _start: str(target)
    preview = ics.import_file(pane.calendar_named(SUPPORT))
    qtbot.waitUntil(lambda: preview.table.topLevelItemCount() > 0, timeout=WAIT_MS)
    QTest.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.status.text().startswith("Imported") or "othing" in preview.status.text(),
                    timeout=WAIT_MS)
    assert preview.status.text().startswith("Imported"), preview.status.text()
    span = (datetime(2026, 2, 25, tzinfo=UTC), datetime(2026, 6, 15, tzinfo=UTC))

    def starts(cal: CalendarRef) -> list[datetime]:
        return [e.start for e in calendar.events(client, cal, *span) if e.subject == "Berlin sync"]

    copied = starts(pane.calendar_named(SUPPORT))
    assert copied == starts(mine)
    assert [s.astimezone(berlin).replace(tzinfo=None) for s in copied] == [
        datetime.combine(first_day + timedelta(weeks=n), time(9, 30)) for n in range(13)]


def test_a_malformed_file_imports_nothing_and_says_why(qtbot, fresh_emulator, drive, tmp_path) -> None:
    bad = tmp_path / "bad.ics"
    bad.write_bytes(b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\n"
                    b"BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Fine\r\nDTSTART:20260301T090000Z\r\nDTEND:20260301T100000Z\r\n"
                    b"END:VEVENT\r\n"
                    b"BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Broken\r\nDTSTART:20261341T990000Z\r\n"
                    b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    ics = d.window.calendar.ics
    span = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))
    before = _own_events(fresh_emulator, *span)
    ics.choose_open_path = lambda _start: str(bad)
    preview = ics.import_file(pane.calendar_named(OWN))
    qtbot.waitUntil(lambda: "imported" in preview.status.text().lower(), timeout=WAIT_MS)
    assert "Nothing was imported" in preview.status.text() or "not imported" in preview.status.text()
    assert "event 2" in preview.status.text()
    assert preview.heading.text() == "This file cannot be imported."
    assert not preview.import_button.isEnabled() and preview.table.topLevelItemCount() == 0
    assert _own_events(fresh_emulator, *span) == before


def test_import_is_offered_only_where_alice_may_write(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.app.mailboxes.open_mailbox(SALES)
    pane = open_calendar(d, OWN, SUPPORT, SALES)
    action = _menu_action(pane, pane.calendar_named(SALES), "action_calendar_import")
    assert not action.isEnabled() and "read-only" in action.toolTip()
    assert _menu_action(pane, pane.calendar_named(SALES), "action_calendar_export").isEnabled()


def test_an_ics_attachment_is_added_to_a_calendar(qtbot, fresh_emulator, drive) -> None:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=14, minute=0, second=0, microsecond=0)
    content = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Vendor//Quote//EN\r\nBEGIN:VEVENT\r\n"
               "UID:visit-1@vendor.example\r\nSUMMARY:Vendor site visit\r\n"
               f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{start + timedelta(hours=2):%Y%m%dT%H%M%SZ}\r\n"
               "LOCATION:Lobby\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    bob = signed_in(fresh_emulator, "bob").client
    compose.send(bob, Draft(from_mailbox="bob@example.com", to=[OWN], subject="Site visit invitation",
                            body_html="<p>See the attached invitation.</p>",
                            attachments=[LocalAttachment("visit.ics", content, "text/calendar")]))
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(OWN, "inbox")
    qtbot.waitUntil(lambda: any(d.app.list_model.summary(r).subject == "Site visit invitation"
                                for r in range(d.app.list_model.rowCount())), timeout=WAIT_MS)
    d.select(d.row_where(lambda s: s.subject == "Site visit invitation"))
    pane = d.window.reading_pane
    qtbot.waitUntil(lambda: len(pane.attachment_buttons()) == 1, timeout=WAIT_MS)
    button = pane.attachment_buttons()[0]
    assert button.add_to_calendar is not None
    ics = d.window.calendar.ics
    button.add_to_calendar.trigger()
    qtbot.waitUntil(lambda: bool(ics.dialogs) and ics.dialogs[-1].table.topLevelItemCount() == 1
                    and ics.dialogs[-1].chosen_target() is not None, timeout=WAIT_MS)
    preview = ics.dialogs[-1]
    assert preview.table.topLevelItem(0).text(0) == "Vendor site visit"
    own = next(preview.target.itemData(i) for i in range(preview.target.count())
               if preview.target.itemData(i).folder.mailbox == OWN and preview.target.itemData(i).name == "Calendar")
    preview.target.setCurrentIndex([preview.target.itemData(i) for i in range(preview.target.count())].index(own))
    QTest.mouseClick(preview.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: preview.status.text().startswith("Imported 1 event"), timeout=WAIT_MS)
    [visit] = [e for e in _own_events(fresh_emulator, start - timedelta(hours=1), start + timedelta(hours=3))
               if e.subject == "Vendor site visit"]
    assert visit.start == start and visit.location == "Lobby"


def test_attachments_that_are_not_calendars_have_no_calendar_menu(qtbot) -> None:
    from app.domain.messages import AttachmentInfo
    from app.views.reading_attachments import AttachmentButton, is_calendar_file

    assert is_calendar_file(AttachmentInfo("a", "invite.ICS", 10, "application/octet-stream"))
    assert is_calendar_file(AttachmentInfo("a", "noname", 10, "text/calendar; method=REQUEST"))
    plain = AttachmentButton(AttachmentInfo("b", "report.pdf", 10, "application/pdf"))
    qtbot.addWidget(plain)
    assert plain.add_to_calendar is None and plain.menu() is None
