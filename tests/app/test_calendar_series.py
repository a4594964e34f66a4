"""Recurring events through the Calendar mode of the real window: one occurrence of the support stand-up edited
without touching the series; a series made with the recurrence editor (weekly on Monday and Wednesday, six
times); one occurrence deleted, then the whole series - each time answering the real "this occurrence or the whole
series?" box. What the server stored is read back over EWS, not from the app.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from tests.support.app_driver import WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import (
    answer_message_box,
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
    utc,
    view,
    wait_closed,
    wait_loaded,
)

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

OWN = "alice@example.com"
SUPPORT = "support@example.com"
STANDUP = "Support stand-up"


def test_one_occurrence_of_the_stand_up_is_edited_and_the_series_is_not(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    acc = ews(fresh_emulator, "alice", SUPPORT)
    start, end = pane.bounds()
    before = {utc(i.start): i.subject for i in view(acc, start - timedelta(weeks=3), end + timedelta(weeks=3),
                                                    STANDUP)}
    wednesday = next(p for p in placed(pane, SUPPORT, STANDUP) if p.day == 2)
    assert wednesday.event.kind == "Occurrence"
    original = wednesday.event.start
    seen: list[str] = []
    answer_message_box(d, "Just this occurrence", seen)
    double_click(d, pane.grid, wednesday)
    dialog = last_dialog(d, pane, "eventDialog")
    assert seen and "part of a series" in seen[0]
    assert dialog.scope == "occurrence" and not dialog.recurrence.isEnabled()
    assert dialog.windowTitle().startswith("Edit occurrence")
    dialog.subject.clear()
    qtbot.keyClicks(dialog.subject, "Stand-up with Engineering")
    set_when(dialog, original + timedelta(hours=1))
    click(d, dialog.save_button)
    wait_closed(d, pane, dialog)

    after = {utc(i.start): (i.subject, i.type) for i in view(acc, start - timedelta(weeks=3),
                                                              end + timedelta(weeks=3))
             if i.subject in (STANDUP, "Stand-up with Engineering")}
    moved = original.astimezone(UTC) + timedelta(hours=1)
    assert after[moved] == ("Stand-up with Engineering", "Exception")
    assert original.astimezone(UTC) not in after
    others = {s: v for s, v in after.items() if s != moved}
    assert {s: subject for s, (subject, _t) in others.items()} == {s: v for s, v in before.items()
                                                                   if s != original.astimezone(UTC)}
    masters = [i for i in acc.calendar.all().only("subject", "type", "start", "recurrence")
               if i.type == "RecurringMaster" and i.subject == STANDUP]
    assert len(masters) == 1 and masters[0].recurrence is not None
    # the view shows the change once reloaded after the save
    until(d, lambda: any(p.event.subject == "Stand-up with Engineering" for p in pane.grid.layout_model.timed))
    [shown] = placed(pane, SUPPORT, "Stand-up with Engineering")
    assert shown.day == 2 and shown.top == wednesday.top + 60
    assert sorted(p.day for p in placed(pane, SUPPORT, STANDUP)) == [0, 4]


def test_a_series_from_the_recurrence_editor_then_one_occurrence_and_the_series_deleted(qtbot, fresh_emulator,
                                                                                          drive) -> None:
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN, SUPPORT)
    support = pane.calendar_named(SUPPORT)
    pane.calendar_list.set_current(support)
    pane.new_event.trigger()
    dialog = last_dialog(d, pane, "eventDialog")
    monday = next_weekday(datetime.now(pane.tz).date() + timedelta(weeks=2), 0)
    first = datetime.combine(monday, time(14, 0), pane.tz)
    set_when(dialog, first)
    qtbot.keyClicks(dialog.subject, "Ticket review")
    editor = dialog.recurrence
    editor.kind.setCurrentIndex(editor.kind.findText("Weekly"))
    for n, box in enumerate(editor.day_boxes):
        if box.isChecked() != (n in (0, 2)):
            click(d, box)
    click(d, editor.end_count)
    editor.count.setValue(6)
    assert editor.summary.text() == "Every week on Mon, Wed, 6 times"
    click(d, dialog.save_button)
    wait_closed(d, pane, dialog)

    acc = ews(fresh_emulator, "alice", SUPPORT)
    window = (first - timedelta(days=1), first + timedelta(weeks=6))
    expected = [first + timedelta(days=days) for days in (0, 2, 7, 9, 14, 16)]
    stored = view(acc, *window, "Ticket review")
    assert [utc(i.start) for i in stored] == [e.astimezone(UTC) for e in expected]
    assert {i.type for i in stored} == {"Occurrence"}
    assert all(utc(i.end) - utc(i.start) == timedelta(minutes=30) for i in stored)

    # delete the second occurrence only (Wednesday of the first week), through the toolbar's Delete
    pane.set_view(pane.kind)  # week view
    show_day(d, pane, monday)
    until(d, lambda: len(placed(pane, SUPPORT, "Ticket review")) == 2)
    wednesday = next(p for p in placed(pane, SUPPORT, "Ticket review") if p.day == 2)
    pane.grid.select(wednesday)
    assert pane.delete_event.isEnabled()
    seen: list[str] = []
    answer_message_box(d, "Just this occurrence", seen)
    pane.delete_event.trigger()
    assert seen and "Delete" in seen[0]
    until(d, lambda: [utc(i.start) for i in view(acc, *window, "Ticket review")]
          == [e.astimezone(UTC) for n, e in enumerate(expected) if n != 1])
    until(d, lambda: [p.day for p in placed(pane, SUPPORT, "Ticket review")] == [0])

    # then the whole series, from a later occurrence
    show_day(d, pane, monday + timedelta(weeks=2))
    wait_loaded(d, pane)
    until(d, lambda: len(placed(pane, SUPPORT, "Ticket review")) == 2)
    pane.grid.select(placed(pane, SUPPORT, "Ticket review")[0])
    answer_message_box(d, "The whole series", seen)
    pane.delete_event.trigger()
    until(d, lambda: not view(acc, *window, "Ticket review"))
    until(d, lambda: not placed(pane, SUPPORT, "Ticket review"))
    assert view(acc, pane.bounds()[0] - timedelta(weeks=3), pane.bounds()[1], STANDUP), "other series untouched"
