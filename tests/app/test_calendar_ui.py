"""The Calendar mode: layout (side by side, DST), keyboard, and the real window against the emulator (the
support stand-up in week view, overlaid calendars toggled, read-only access to sales@ explained).

Checks use what the views computed (their layout model and event rectangles), not pixels.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from app.domain.calendar import Event
from app.domain.folders import FolderRef
from app.domain.rights import ItemRights
from app.views.calendar.layout import ViewKind, assign_columns, bounds, lay_out_days, period, shift
from app.views.calendar.timegrid import TimeGrid
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE
from tests.support.calendar_ui import (
    click,
    ews,
    last_dialog,
    next_weekday,
    open_calendar,
    placed,
    set_when,
    show_day,
    utc,
    view,
    wait_closed,
)

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
BERLIN = ZoneInfo("Europe/Berlin")
CAL = FolderRef("x@example.com", well_known="calendar")


def event(subject: str, start: datetime, minutes: int = 60, *, all_day: bool = False, item: str = "") -> Event:
    return Event(item or subject, "ck", CAL, subject, start, start + timedelta(minutes=minutes), all_day=all_day,
                 rights=ItemRights(True, True, True))


# -- layout (pure) ----------------------------------------------------------------------------------------------
def test_overlapping_events_are_laid_out_side_by_side() -> None:
    day = date(2026, 2, 10)
    at = lambda h, m=0: datetime.combine(day, time(h, m), UTC)  # noqa: E731
    events = [("k", event("A", at(9), 60)), ("k", event("B", at(9, 30), 60)), ("k", event("C", at(10), 30)),
              ("k", event("D", at(14), 30))]
    layout = lay_out_days(events, day, 1, UTC)
    by = {p.event.subject: p for p in layout.timed}
    assert (by["A"].column, by["A"].columns) == (0, 2)
    assert (by["B"].column, by["B"].columns) == (1, 2)
    assert (by["C"].column, by["C"].columns) == (0, 2)  # overlaps B, not A: A's lane again
    assert (by["D"].column, by["D"].columns) == (0, 1)
    assert assign_columns([(0, 60), (0, 60), (0, 60)]) == [(0, 3), (1, 3), (2, 3)]
    assert assign_columns([(0, 60), (60, 120)]) == [(0, 1), (0, 1)]  # touching is not overlapping


def test_side_by_side_rectangles_in_the_widget(qtbot) -> None:
    grid = TimeGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 700)
    day = date(2026, 2, 9)
    at = lambda h: datetime.combine(day, time(h), UTC)  # noqa: E731
    grid.set_events(day, 7, [("a", event("One", at(9))), ("b", event("Two", at(9)))], UTC)
    (r1, p1), (r2, p2) = sorted(grid.event_rects(), key=lambda rp: rp[0].left())
    assert r1.top() == r2.top() and r1.right() <= r2.left() + 1
    assert abs(r1.width() - r2.width()) < 1 and r1.width() < grid.day_width() / 2


def test_a_week_across_the_daylight_saving_change_of_berlin(qtbot) -> None:
    """29 March 2026 the clocks go 02:00 -> 03:00: a 09:00 meeting stays at 09:00; a 09:30 UTC one moves."""
    first, days = period(ViewKind.WEEK, date(2026, 3, 26))
    assert first == date(2026, 3, 23) and days == 7
    start, end = bounds(first, days, BERLIN)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(days=7, hours=-1)  # an hour short
    local_nine = [("k", event(f"nine{n}", datetime.combine(first + timedelta(days=n), time(9), BERLIN),
                              item=f"n{n}")) for n in range(7)]
    utc_half = [("k", event(f"utc{n}", datetime.combine(first + timedelta(days=n), time(9, 30), UTC), 15,
                            item=f"u{n}")) for n in range(7)]
    layout = lay_out_days(local_nine + utc_half, first, days, BERLIN)
    tops = {p.event.subject: p.top for p in layout.timed}
    assert [tops[f"nine{n}"] for n in range(7)] == [540] * 7
    assert [tops[f"utc{n}"] for n in range(7)] == [630] * 6 + [690]  # 10:30 CET, then 11:30 CEST on Sunday
    grid = TimeGrid()
    qtbot.addWidget(grid)
    grid.resize(1000, 800)
    grid.set_events(first, days, local_nine, BERLIN)
    assert len({round(rect.top()) for rect, _p in grid.event_rects()}) == 1  # one row at 09:00
    sunday = next(p for p in layout.timed if p.event.subject == "nine6")
    moved_start, _ = grid.dragged_times(sunday, False, -1, 0)  # dragged from Sunday to Saturday
    assert moved_start.astimezone(BERLIN).time() == time(9) and moved_start.utcoffset() == timedelta(hours=1)
    # an event over the gap: 01:00–04:00 local is two real hours, shown from 01:00 to 04:00
    night = lay_out_days([("k", event("night", datetime(2026, 3, 29, 0, 0, tzinfo=UTC), 120))],
                         date(2026, 3, 29), 1, BERLIN).timed[0]
    assert (night.top, night.bottom) == (60, 240)


def test_periods_and_all_day_band() -> None:
    assert shift(ViewKind.MONTH, date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert period(ViewKind.WORK_WEEK, date(2026, 3, 1)) == (date(2026, 2, 23), 5)
    first = date(2026, 3, 23)
    holiday = event("Holiday", datetime(2026, 3, 24, tzinfo=BERLIN), 24 * 60 * 2, all_day=True)
    layout = lay_out_days([("k", holiday)], first, 7, BERLIN)
    assert not layout.timed and layout.band[0].first_day == 1 and layout.band[0].last_day == 2


def test_keyboard_moves_the_selected_day_and_event(qtbot) -> None:
    grid = TimeGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 700)
    first = date(2026, 2, 9)
    at = lambda d, h: datetime.combine(first + timedelta(days=d), time(h), UTC)  # noqa: E731
    grid.set_events(first, 7, [("k", event("Mon 9", at(0, 9))), ("k", event("Mon 14", at(0, 14))),
                               ("k", event("Tue 10", at(1, 10)))], UTC)
    grid.show()
    grid.setFocus()
    grid.select_day(first)
    QTest.keyClick(grid, Qt.Key.Key_Down)
    assert grid.selected_event()[1].subject == "Mon 9"
    QTest.keyClick(grid, Qt.Key.Key_Down)
    assert grid.selected_event()[1].subject == "Mon 14"
    QTest.keyClick(grid, Qt.Key.Key_Right)
    assert grid.selected_day == first + timedelta(days=1) and grid.selected_event() is None
    QTest.keyClick(grid, Qt.Key.Key_Down)
    assert grid.selected_event()[1].subject == "Tue 10"
    with qtbot.waitSignal(grid.open_requested) as opened:
        QTest.keyClick(grid, Qt.Key.Key_Return)
    assert opened.args[1].subject == "Tue 10"
    for key, where in ((Qt.Key.Key_PageDown, "next"), (Qt.Key.Key_PageUp, "prev"), (Qt.Key.Key_T, "today")):
        with qtbot.waitSignal(grid.navigate) as nav:
            QTest.keyClick(grid, key)
        assert nav.args == [where]


def test_dragging_a_read_only_event_is_refused_with_the_reason(qtbot) -> None:
    from app.domain.rights import Capability

    grid = TimeGrid()
    qtbot.addWidget(grid)
    grid.resize(900, 700)
    first = date(2026, 2, 9)
    grid.set_events(first, 7, [("k", event("Fixed", datetime.combine(first, time(9), UTC)))], UTC)
    grid.can_change = lambda _k, _e: Capability(False, "You have read-only access to Sales Team › Calendar.")
    grid.scroll_to_hour(8)
    rect, _placed = grid.event_rects()[0]
    with qtbot.waitSignal(grid.refused) as refused:
        QTest.mousePress(grid, Qt.MouseButton.LeftButton, pos=rect.center().toPoint())
        QTest.mouseMove(grid, (rect.center() + QPointF(0, 80)).toPoint())
        QTest.mouseRelease(grid, Qt.MouseButton.LeftButton, pos=(rect.center() + QPointF(0, 80)).toPoint())
    assert "read-only" in refused.args[0]


# -- the real window against the emulator -----------------------------------------------------------------------
def test_the_support_stand_up_series_shows_in_week_view(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    pane = open_calendar(d, OWN, SUPPORT)
    assert d.window._mode_switch.current() == "Calendar" and not d.window.toolbar.isVisible()
    assert pane.kind is ViewKind.WEEK
    support = pane.calendar_named(SUPPORT).folder.key
    standups = [p for p in pane.grid.layout_model.timed
                if p.key == support and p.event.subject == "Support stand-up"]
    assert sorted(p.day for p in standups) == [0, 2, 4]  # Monday, Wednesday, Friday of this week
    assert len({p.top for p in standups}) == 1 and all(p.event.kind in ("Occurrence", "Exception") for p in standups)
    rects = [rect for rect, p in pane.grid.event_rects() if p in standups]
    assert len(rects) == 3 and all(r.height() > 10 and r.width() > 20 for r in rects)
    # the next week: the Friday occurrence was moved an hour later
    title = pane.title_label.text()
    pane.grid.setFocus()
    QTest.keyClick(pane.grid, Qt.Key.Key_PageDown)
    assert pane.title_label.text() != title
    qtbot.waitUntil(lambda: support in pane.loaded, timeout=WAIT_MS)
    week2 = {p.day: p.top for p in pane.grid.layout_model.timed
             if p.key == support and p.event.subject == "Support stand-up"}
    assert week2[4] == week2[0] + 60
    QTest.keyClick(pane.grid, Qt.Key.Key_T)
    assert pane.title_label.text() == title


def test_two_calendars_overlaid_and_toggled(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    pane = open_calendar(d, OWN, SUPPORT)
    own, support = pane.calendar_named(OWN), pane.calendar_named(SUPPORT)
    keys = {p.key for p in pane.grid.layout_model.timed}
    assert {own.folder.key, support.folder.key} <= keys
    assert pane.colours[own.folder.key] != pane.colours[support.folder.key]
    pane.set_checked(support, False)
    assert support.folder.key not in {p.key for p in pane.grid.layout_model.timed}
    assert own.folder.key in {p.key for p in pane.grid.layout_model.timed}
    pane.set_checked(support, True)
    qtbot.waitUntil(lambda: support.folder.key in {p.key for p in pane.grid.layout_model.timed}, timeout=WAIT_MS)
    pane.set_view(ViewKind.MONTH)
    qtbot.waitUntil(lambda: pane.loaded >= pane.checked, timeout=WAIT_MS)
    today = datetime.now(pane.tz).date()
    monday = today - timedelta(days=today.weekday())
    assert any(e.subject == "Support stand-up" for _k, e in pane.month.cell_items(monday))


def test_alice_cannot_edit_the_sales_calendar_and_the_ui_says_why(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.app.mailboxes.open_mailbox(SALES)
    pane = open_calendar(d, OWN, SUPPORT, SALES)
    sales = pane.calendar_named(SALES)
    assert not sales.rights.create_contents
    pane.calendar_list.set_current(sales)
    assert not pane.new_event.isEnabled()
    assert "read-only access to" in pane.new_event.toolTip() and "Calendar" in pane.new_event.toolTip()
    assert not pane.scheduling.isEnabled()
    pane.calendar_list.set_current(pane.calendar_named(SUPPORT))
    assert pane.new_event.isEnabled()
    pane.set_view(ViewKind.MONTH)
    qtbot.waitUntil(lambda: pane.loaded >= pane.checked, timeout=WAIT_MS)
    theirs = [e for e in pane.events.get(sales.folder.key, [])]
    assert theirs, "sales@ has events this month"
    pane.set_view(ViewKind.DAY)
    pane.set_anchor(theirs[0].start.astimezone(pane.tz).date())
    qtbot.waitUntil(lambda: sales.folder.key in pane.loaded, timeout=WAIT_MS)
    placed = next(p for p in pane.grid.layout_model.timed + pane.grid.layout_model.band if p.key == sales.folder.key)
    pane.grid.select(placed)
    assert pane.open_event.isEnabled()  # reading is allowed
    assert not pane.delete_event.isEnabled() and "read-only access to" in pane.delete_event.toolTip()
    assert not pane.grid.can_change(placed.key, placed.event)
    assert "read-only access to" in pane.grid.can_change(placed.key, placed.event).reason


def test_alice_creates_an_event_in_support_and_carol_sees_it(qtbot, fresh_emulator, drive) -> None:
    """Through the event dialog as alice; then a second window signed in as carol shows it in week view."""
    alice = drive(fresh_emulator, "alice")
    pane = open_calendar(alice, OWN, SUPPORT)
    support = pane.calendar_named(SUPPORT)
    pane.calendar_list.set_current(support)
    assert pane.new_event.isEnabled()
    pane.new_event.trigger()
    dialog = last_dialog(alice, pane, "eventDialog")
    assert "Customer Support" in dialog.windowTitle()
    day = next_weekday(datetime.now(pane.tz).date() + timedelta(days=7), 1)  # Tuesday next week
    start = datetime.combine(day, time(15, 0), pane.tz)
    set_when(dialog, start)
    qtbot.keyClicks(dialog.subject, "Rota swap: Friday cover")
    qtbot.keyClicks(dialog.location, "Support room")
    click(alice, dialog.save_button)
    wait_closed(alice, pane, dialog)
    stored = view(ews(fresh_emulator, "alice", SUPPORT), start, start + timedelta(hours=1), "Rota swap: Friday cover")
    assert [(utc(i.start), utc(i.end)) for i in stored] == [(start.astimezone(UTC), (start + timedelta(minutes=30))
                                                             .astimezone(UTC))]

    carol = drive(fresh_emulator, "carol")
    theirs = open_calendar(carol, SUPPORT)
    show_day(carol, theirs, day)
    assert theirs.kind is ViewKind.WEEK
    [shown] = placed(theirs, SUPPORT, "Rota swap: Friday cover")
    assert shown.day == (day - theirs.range()[0]).days and shown.top == 15 * 60
    assert shown.event.location == "Support room" and shown.event.rights.modify
    [(rect, _p)] = [(r, p) for r, p in theirs.grid.event_rects() if p is shown]
    assert rect.height() > 10 and rect.width() > 20
