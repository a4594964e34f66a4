"""The month grid's caches: the per-day grouping is kept for the same events, the cells' rows, "+N more" lines and
elided texts for the same grouping, size and font; anything else computes them again (and what is painted
follows). A dense day is still painted right: a dot per listed event, its time and title, then "+N more"."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PySide6.QtGui import QColor, QFont, QImage

from app.domain.calendar import Event
from app.domain.folders import FolderRef
from app.domain.rights import ItemRights
from app.views.calendar import style
from app.views.calendar.layout import events_by_day
from app.views.calendar.month import MonthGrid, group_by_day

CAL = FolderRef("x@example.com", well_known="calendar")
FIRST = date(2026, 2, 23)  # the Monday the grid of March 2026 starts on
BUSY_DAY = date(2026, 3, 11)


def event(subject: str, day: date, hour: int, minute: int = 0) -> Event:
    start = datetime.combine(day, time(hour, minute), UTC)
    return Event(subject, "ck", CAL, subject, start, start + timedelta(minutes=30), rights=ItemRights(True, True, True))


def grid_of(qtbot, events: list[tuple[str, Event]], size: tuple[int, int] = (1100, 700)) -> MonthGrid:
    grid = MonthGrid()
    qtbot.addWidget(grid)
    grid.resize(*size)
    grid.set_events(FIRST, 3, events, UTC)
    return grid


def listed(grid: MonthGrid, day: date) -> tuple[list[str], str | None]:
    """The subjects the cached rows of ``day``'s cell list and its "+N more" text."""
    cache = grid.cell_cache()
    index = (day - FIRST).days
    more = cache.more[index]
    return [row[2].subject for row in cache.rows[index]], more[1] if more else None


def test_the_same_events_keep_the_grouping_and_new_ones_replace_it(qtbot) -> None:
    events = [("a", event("One", BUSY_DAY, 9)), ("a", event("Two", BUSY_DAY, 10))]
    grid = grid_of(qtbot, events)
    by_day, cells = grid.by_day, grid.cell_cache()
    grid.set_events(FIRST, 3, list(events), UTC)  # shown again as another calendar arrived: nothing changed
    assert grid.by_day is by_day and grid.cell_cache() is cells
    grid.set_events(FIRST, 3, [*events, ("b", event("Three", BUSY_DAY, 8))], UTC)
    assert grid.by_day is not by_day and grid.cell_cache() is not cells
    assert listed(grid, BUSY_DAY) == (["Three", "One", "Two"], None)
    grid.set_events(FIRST, 3, events, ZoneInfo("Pacific/Auckland"))  # another zone: 09:00 UTC is 22:00 there
    cache = grid.cell_cache()
    assert [(row[2].subject, row[4]) for row in cache.rows[(BUSY_DAY - FIRST).days]] == [("One", "22:00 "),
                                                                                        ("Two", "23:00 ")]
    grid.set_events(FIRST + timedelta(days=35), 4, events, UTC)  # the next month, the same events: none shown
    assert all(not rows for rows in grid.cell_cache().rows)


def test_a_resize_or_another_font_computes_the_cells_again(qtbot) -> None:
    crowd = [("a", event(f"Call {n:02d} about a rather long subject", BUSY_DAY, 8 + n // 4, 15 * (n % 4)))
             for n in range(12)]
    grid = grid_of(qtbot, crowd, (1100, 700))
    cells = grid.cell_cache()
    subjects, more = listed(grid, BUSY_DAY)
    assert len(subjects) == grid.capacity() - 1 and more == f"+{12 - len(subjects)} more"
    grid.resize(1100, 1000)  # taller cells list more
    assert grid.cell_cache() is not cells
    taller, more = listed(grid, BUSY_DAY)
    assert len(taller) == grid.capacity() - 1 > len(subjects) and more == f"+{12 - len(taller)} more"
    assert taller[: len(subjects)] == subjects
    narrow = grid.cell_cache()
    grid.resize(1300, 1000)  # wider: the same rows, longer lines
    wide = grid.cell_cache()
    assert wide is not narrow and listed(grid, BUSY_DAY)[0] == taller
    assert wide.rects[1].width() > narrow.rects[1].width()
    assert wide.rows[(BUSY_DAY - FIRST).days][0][0].width() > narrow.rows[(BUSY_DAY - FIRST).days][0][0].width()
    grid.grab()
    assert wide.elided  # the titles were elided once and kept
    wide.elided[("stale", 1)] = "stale"
    font = QFont(grid.font())
    font.setPointSizeF(font.pointSizeF() + 3)
    grid.setFont(font)
    assert grid.cell_cache() is not wide and grid.cell_cache().elided == {}
    assert grid.cell_cache().small.pointSizeF() == font.pointSizeF() - 1


def test_a_dense_day_paints_each_listed_event_and_the_rest_as_more(qtbot) -> None:
    crowd = [(("a" if n % 2 else "b"), event(f"Call {n:02d}", BUSY_DAY, 8 + n // 4, 15 * (n % 4))) for n in range(30)]
    grid = grid_of(qtbot, [*crowd, ("b", event("Alone", BUSY_DAY + timedelta(days=1), 9))])
    grid.colours = {"a": style.colour(0), "b": style.colour(3)}
    grid.labeler = lambda key, e: (f"{key}: {e.subject}", "", False)
    image = QImage(grid.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    grid.render(image)
    cache = grid.cell_cache()
    rows = cache.rows[(BUSY_DAY - FIRST).days]
    assert [row[2].subject for row in rows] == [f"Call {n:02d}" for n in range(len(rows))]
    assert len(rows) == grid.capacity() - 1 >= 2
    for line, key, _e, _band, _prefix in rows:  # each row's dot in its calendar's colour, text to its right
        dot = image.pixelColor(int(line.left() + 5), int(line.center().y()))
        assert dot == grid.colours[key], (key, dot.name())
        text = [image.pixelColor(x, int(line.center().y())) for x in range(int(line.left() + 14),
                                                                            int(line.left() + 60))]
        assert any(c.lightness() < 160 for c in text)
    more_rect, more_text = cache.more[(BUSY_DAY - FIRST).days]
    assert more_text == f"+{30 - len(rows)} more"
    y = int(more_rect.center().y())
    assert any(image.pixelColor(x, y).lightness() < 200 for x in range(int(more_rect.left()),
                                                                          int(more_rect.left()) + 40))
    assert "09:00 b: Alone" in {text for text, _room in cache.elided}
    grid.labeler = lambda key, e: ("Busy", "", True)  # another labeler: the rows are painted with what it says now
    grid.grab()
    assert "09:00 Busy" in {text for text, _room in cache.elided} and grid.cell_cache() is cache


def test_the_one_pass_grouping_matches_the_layouts(qtbot) -> None:
    """group_by_day puts the same events on the same days in the same order as layout.events_by_day: all-day and
    multi-day ones, one ending at midnight, one of no length, ones across the grid's edges, in a zone with DST."""
    tz = ZoneInfo("Europe/Berlin")
    midnight = datetime(2026, 3, 12, tzinfo=tz)
    events = [("a", event("Zed", BUSY_DAY, 9)), ("b", event("alpha", BUSY_DAY, 9)),
              ("a", event("Beta", BUSY_DAY, 9)),
              ("a", replace(event("Trip", BUSY_DAY, 0), start=midnight - timedelta(days=2), end=midnight)),
              ("b", replace(event("Holiday", BUSY_DAY, 0), all_day=True, start=midnight,
                            end=midnight + timedelta(days=1))),
              ("a", replace(event("Point", BUSY_DAY, 23, 30),  # of no length
                            end=datetime.combine(BUSY_DAY, time(23, 30), UTC))),
              ("a", event("Late", BUSY_DAY, 23, 30)),  # 00:30 on the next day in Berlin
              ("a", replace(event("Leave", BUSY_DAY, 0), start=datetime(2026, 2, 20, 8, tzinfo=UTC),
                            end=datetime(2026, 2, 25, 8, tzinfo=UTC))),  # from before the grid
              ("b", replace(event("Away", BUSY_DAY, 0), start=datetime(2026, 4, 3, 8, tzinfo=UTC),
                            end=datetime(2026, 4, 9, 8, tzinfo=UTC))),  # past its end
              ("a", event("Gone", FIRST - timedelta(days=3), 9)), ("a", event("Early", FIRST, 0, 15)),
              ("b", event("Dst", date(2026, 3, 29), 1, 30))]
    grouped = group_by_day(events, FIRST, 42, tz)
    assert grouped == events_by_day(events, FIRST, 42, tz)
    day = (BUSY_DAY - FIRST).days
    assert [e.subject for _k, e in grouped[day]] == ["Trip", "alpha", "Beta", "Zed"]
    assert [e.subject for _k, e in grouped[day + 1]] == ["Holiday", "Late", "Point"]  # Trip ended at midnight
    assert [e.subject for _k, e in grouped[0]] == ["Leave", "Early"] and [e.subject for _k, e in grouped[41]] == ["Away"]
