"""Unsaved changes in the event dialog: Cancel, Esc and the close button ask "Save" / "Discard" / "Keep editing";
the main window's quit question offers "Save and quit" (every dirty dialog saved, then the window closes; a failed
save keeps it open and says why). Against the emulator, real widgets, no sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.calendar import EventDraft
from app.domain.folders import FolderRef
from app.ews import calendar
from tests.app.ews.conftest import signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import ews, open_calendar, view

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE)
OWN = "alice@example.com"


def _button(box, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def _asked(qtbot, dialog):
    qtbot.waitUntil(lambda: dialog.unsaved_box is not None and dialog.unsaved_box.isVisible(), timeout=WAIT_MS)
    return dialog.unsaved_box


def _stored(emu, start: datetime, subject: str) -> list[object]:
    return view(ews(emu, "alice"), start - timedelta(hours=1), start + timedelta(hours=2), subject)


def test_cancel_esc_and_close_ask_save_discard_or_keep_editing(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN)
    ui = d.window.calendar

    untouched = ui.commands.new_event(None)  # nothing to lose: Cancel closes at once
    QTest.mouseClick(untouched.buttons.button(untouched.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert untouched.unsaved_box is None
    qtbot.waitUntil(lambda: untouched not in ui.commands.dialogs, timeout=WAIT_MS)

    dialog = ui.commands.new_event(None)
    start = dialog.draft.start
    qtbot.keyClicks(dialog.subject, "Vendor call")
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
    QTest.mouseClick(cancel, Qt.MouseButton.LeftButton)  # Cancel: asked, the dialog stays
    box = _asked(qtbot, dialog)
    assert box.objectName() == "unsavedEventBox" and "“Vendor call”" in box.text()
    assert {b.text() for b in box.buttons()} == {"Save", "Discard", "Keep editing"}
    _button(box, "Keep editing").click()
    qtbot.waitUntil(lambda: dialog.unsaved_box is None, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.subject.text() == "Vendor call"

    QTest.keyClick(dialog, Qt.Key.Key_Escape)  # Esc: asked again
    box = _asked(qtbot, dialog)
    _button(box, "Keep editing").click()
    qtbot.waitUntil(lambda: dialog.unsaved_box is None, timeout=WAIT_MS)
    assert dialog.isVisible()

    assert not dialog.close()  # the window's close button: refused, asked
    box = _asked(qtbot, dialog)
    with qtbot.waitSignal(pane.status, timeout=WAIT_MS, check_params_cb=lambda text: "Created" in text):
        _button(box, "Save").click()
    qtbot.waitUntil(lambda: dialog not in ui.commands.dialogs, timeout=WAIT_MS)
    assert len(_stored(fresh_emulator, start, "Vendor call")) == 1

    other = ui.commands.new_event(None)
    other_start = other.draft.start
    qtbot.keyClicks(other.subject, "Never saved")
    saves: list[object] = []
    other.save_requested.connect(lambda draft, _send: saves.append(draft))
    QTest.mouseClick(other.buttons.button(other.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    _button(_asked(qtbot, other), "Discard").click()
    qtbot.waitUntil(lambda: other not in ui.commands.dialogs, timeout=WAIT_MS)
    assert saves == []
    assert _stored(fresh_emulator, other_start, "Never saved") == []


def test_save_without_a_title_keeps_the_dialog_open(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    dialog = ui.commands.new_event(None)
    qtbot.keyClicks(dialog.location, "Room 4")
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    _button(_asked(qtbot, dialog), "Save").click()
    qtbot.waitUntil(lambda: dialog.unsaved_box is None, timeout=WAIT_MS)
    assert dialog.isVisible() and dialog.isEnabled() and dialog.subject.placeholderText() == "A title, please"
    dialog.discard()
    qtbot.waitUntil(lambda: dialog not in ui.commands.dialogs, timeout=WAIT_MS)


def test_save_and_quit_saves_every_dirty_dialog_then_closes_the_window(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    first = ui.commands.new_event(None)
    first.subject.setText("Saved on quit 1")
    second = ui.commands.new_event(None)
    second.subject.setText("Saved on quit 2")
    start = first.draft.start

    assert not d.window.close()
    qtbot.waitUntil(lambda: ui.quit_guard.box is not None and ui.quit_guard.box.isVisible(), timeout=WAIT_MS)
    assert {b.text() for b in ui.quit_guard.box.buttons()} == {"Save and quit", "Discard and quit", "Keep editing"}
    with qtbot.waitSignal(d.window.closed, timeout=WAIT_MS):
        _button(ui.quit_guard.box, "Save and quit").click()
        assert d.window.isVisible()  # not before the saves are done
    assert not d.window.isVisible()
    qtbot.waitUntil(lambda: not ui.commands.dialogs, timeout=WAIT_MS)  # both closed after saving (then deleted)
    assert len(_stored(fresh_emulator, start, "Saved on quit 1")) == 1
    assert len(_stored(fresh_emulator, start, "Saved on quit 2")) == 1


def test_a_failed_save_on_quit_keeps_the_window_open_and_says_why(qtbot, fresh_emulator, drive) -> None:
    """The event was deleted on the server (by another client) while alice edited it: her save fails."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    client = signed_in(fresh_emulator, "alice").client
    event = calendar.create_event(client, EventDraft(calendar=FolderRef(OWN, well_known="calendar"),
                                                     subject="Gone meanwhile", start=start,
                                                     end=start + timedelta(minutes=30)))
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN)
    ui = d.window.calendar
    ui.commands.open_event_in(pane.calendar_named(OWN), event)
    qtbot.waitUntil(lambda: any(getattr(getattr(w, "event", None), "subject", "") == "Gone meanwhile"
                                for w in ui.commands.dialogs), timeout=WAIT_MS)
    dialog = next(w for w in ui.commands.dialogs if getattr(getattr(w, "event", None), "subject", ""))
    dialog.subject.setText("Gone meanwhile, renamed")
    fresh = ui.commands.new_event(None)
    fresh.subject.setText("Saved although another failed")
    fresh_start = fresh.draft.start
    calendar.delete_event(client, event, "series")

    ui.quit_guard.answer = lambda dirty: "save"
    assert not d.window.close()
    qtbot.waitUntil(lambda: not ui.quit_guard.saving, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: fresh not in ui.commands.dialogs, timeout=WAIT_MS)
    assert d.window.isVisible() and dialog.isVisible() and dialog.isEnabled()
    text = d.window.message_bar.text()
    assert "“Gone meanwhile, renamed” was not saved" in text and "stays open" in text
    assert len(_stored(fresh_emulator, fresh_start, "Saved although another failed")) == 1
    dialog.discard()
    qtbot.waitUntil(lambda: dialog not in ui.commands.dialogs, timeout=WAIT_MS)


def test_save_and_quit_with_an_untitled_event_stays_open(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    dialog = ui.commands.new_event(None)
    dialog.location.setText("Room 4")  # changed, but no title: nothing can be saved
    ui.quit_guard.answer = lambda dirty: "save"
    assert not d.window.close()
    assert d.window.isVisible() and dialog.isVisible() and dialog.isEnabled()
    assert "“New event” was not saved (it needs a title)" in d.window.message_bar.text()
    dialog.discard()
    qtbot.waitUntil(lambda: dialog not in ui.commands.dialogs, timeout=WAIT_MS)
