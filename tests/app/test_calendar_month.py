"""The month grid with a crowded day: the cell lists what fits and "+N more"; double-clicking that line opens the
day, not the event hidden behind it."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from app.domain.calendar import Event
from app.domain.folders import FolderRef
from app.domain.rights import ItemRights
from app.views.calendar.month import LINE, MonthGrid

CAL = FolderRef("x@example.com", well_known="calendar")


def _event(n: int, day: date) -> Event:
    start = datetime.combine(day, time(8), UTC) + timedelta(minutes=15 * n)
    return Event(f"id{n}", "ck", CAL, f"Call {n:02d}", start, start + timedelta(minutes=15),
                 rights=ItemRights(True, True, True))


def test_a_crowded_day_lists_what_fits_then_more(qtbot) -> None:
    grid = MonthGrid()
    qtbot.addWidget(grid)
    grid.resize(980, 700)
    first = date(2026, 2, 23)
    busy = date(2026, 3, 4)
    grid.set_events(first, 3, [("k", _event(n, busy)) for n in range(30)], UTC)
    capacity = grid.capacity()
    assert capacity >= 2
    assert grid.shown_count(30) == capacity - 1 and grid.shown_count(capacity) == capacity
    assert [e.subject for _k, e in grid.cell_items(busy)][:2] == ["Call 00", "Call 01"]
    cell = grid.cell_rect((busy - first).days)
    line = lambda n: QPointF(cell.left() + 30, cell.top() + 22 + n * LINE + LINE / 2).toPoint()  # noqa: E731
    with qtbot.waitSignal(grid.open_requested) as opened:
        QTest.mouseDClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, line(1))
    assert opened.args[1].subject == "Call 01"
    with qtbot.assertNotEmitted(grid.open_requested), qtbot.waitSignal(grid.day_activated) as day:
        QTest.mouseDClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, line(capacity - 1))
    assert day.args == [busy]
