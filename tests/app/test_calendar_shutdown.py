"""Quitting with calendar dialogs still open.

- An event dialog (with unsaved edits), the scheduling assistant over it and an .ics import preview are left open
  while the app stops: no crash. (It segfaulted about every other time: the test driver deleted every top-level
  widget, the parentless pop-up of the attendee field's QCompleter among them, before the completer, which then
  deleted it again.)
- Worker answers for dialogs the user closed meanwhile are dropped, not delivered into deleted widgets.
- The real way out (a child process: window closed, event loop ended, interpreter exit) leaves cleanly.
- Closing the main window with unsaved event edits asks "Discard and quit" / "Keep editing" first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, stop_app
from tests.support.calendar_ui import ews, open_calendar, view

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE)
OWN = "alice@example.com"
ROOT = Path(__file__).resolve().parents[2]

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:shutdown-1@example.com
DTSTAMP:20260301T090000Z
DTSTART:20260302T090000Z
DTEND:20260302T093000Z
SUMMARY:Left open
END:VEVENT
END:VCALENDAR
"""


@pytest.mark.parametrize("run", range(5))
def test_stopping_with_calendar_dialogs_open_does_not_crash(qtbot, emulator, drive, run) -> None:
    d = drive(emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    dialog = ui.commands.new_event(None)
    dialog.subject.setText("Unsaved edit")
    assistant = ui.commands.open_scheduling(dialog)
    preview = ui.ics.preview_data(ICS, "left-open.ics")
    qtbot.waitUntil(lambda: preview.table.topLevelItemCount() == 1, timeout=WAIT_MS)
    assert dialog.isVisible() and assistant.isVisible() and preview.isVisible()
    stop_app(d.app)
    assert not ui.commands.dialogs and not ui.ics.dialogs


def test_answers_for_dialogs_closed_meanwhile_are_dropped(qtbot, fresh_emulator, drive) -> None:
    """The user closes the event dialog while it saves, and an .ics preview before its file is parsed: the
    answers arrive for deleted dialogs and must neither raise nor touch them; the event is still created."""
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN)
    ui = d.window.calendar
    dialog = ui.commands.new_event(None)
    dialog.subject.setText("Closed while saving")
    start = dialog.draft.start
    preview = ui.ics.preview_data(ICS, "closed-early.ics")
    preview.close()
    with qtbot.waitSignal(pane.status, timeout=WAIT_MS, check_params_cb=lambda text: "Created" in text):
        dialog.save_button.click()
        assert not dialog.isEnabled()  # saving
        dialog.close()
    qtbot.waitUntil(lambda: not ui.commands.dialogs and not ui.ics.dialogs and d.app.runner.pending_count() <= 1,
                    timeout=WAIT_MS)
    assert len(view(ews(fresh_emulator, "alice"), start, start + timedelta(hours=1), "Closed while saving")) == 1


@pytest.mark.parametrize("run", range(2))
def test_quitting_the_real_way_with_an_event_dialog_open_exits_cleanly(emulator, tmp_path, run) -> None:
    child = subprocess.run([sys.executable, "-m", "tests.support.quit_with_dialogs", emulator.ews_url,
                            str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    assert child.returncode == 0, child.stderr[-3000:]


def _button(box, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def test_closing_the_window_with_unsaved_event_edits_asks_first(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    guard = ui.quit_guard
    untouched = ui.commands.new_event(None)
    assert not untouched.is_modified() and guard.unsaved() == []
    dialog = ui.commands.new_event(None)
    dialog.subject.setText("Budget review")
    assert dialog.is_modified() and guard.unsaved() == [dialog]

    assert not d.window.close()  # refused: the question is shown instead (without blocking)
    qtbot.waitUntil(lambda: guard.box is not None and guard.box.isVisible(), timeout=WAIT_MS)
    box = guard.box
    assert box.objectName() == "unsavedEventsBox" and "“Budget review”" in box.text()
    _button(box, "Keep editing").click()
    qtbot.waitUntil(lambda: guard.box is None, timeout=WAIT_MS)
    assert d.window.isVisible() and dialog.isVisible() and dialog.subject.text() == "Budget review"

    assert not d.window.close()
    qtbot.waitUntil(lambda: guard.box is not None and guard.box.isVisible(), timeout=WAIT_MS)
    with qtbot.waitSignal(d.window.closed, timeout=WAIT_MS):
        _button(guard.box, "Discard and quit").click()
    qtbot.waitUntil(lambda: dialog not in ui.commands.dialogs, timeout=WAIT_MS)
    assert not d.window.isVisible()


def test_a_dialog_being_saved_or_read_only_does_not_hold_the_window(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    open_calendar(d, OWN)
    ui = d.window.calendar
    dialog = ui.commands.new_event(None)
    dialog.subject.setText("Saving")
    dialog.setEnabled(False)  # what a save in flight looks like
    assert ui.quit_guard.unsaved() == []
    asked: list[object] = []
    ui.quit_guard.answer = lambda dirty: asked.append(dirty) or False
    with qtbot.waitSignal(d.window.closed, timeout=WAIT_MS):
        assert d.window.close()
    assert asked == [] and ui.quit_guard.box is None
