"""The time grid's caches: the layout is kept for the same events, the boxes for the same layout, size and font;
anything else computes them again (and what is painted follows). A dense week's narrow boxes are still painted."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from PySide6.QtGui import QColor, QFont, QImage

from app.domain.calendar import BusyStatus, Event
from app.domain.folders import FolderRef
from app.domain.rights import ItemRights
from app.views.calendar import style
from app.views.calendar.timegrid import SLIVER, TimeGrid

CAL = FolderRef("x@example.com", well_known="calendar")
MONDAY = date(2026, 2, 9)


def event(subject: str, day: int, hour: int, minutes: int = 60, busy: BusyStatus = BusyStatus.BUSY) -> Event:
    start = datetime.combine(MONDAY + timedelta(days=day), time(hour), UTC)
    return Event(subject, "ck", CAL, subject, start, start + timedelta(minutes=minutes), busy=busy,
                 rights=ItemRights(True, True, True))


def grid_of(qtbot, events: list[tuple[str, Event]], size: tuple[int, int] = (900, 700)) -> TimeGrid:
    grid = TimeGrid()
    qtbot.addWidget(grid)
    grid.resize(*size)
    grid.set_events(MONDAY, 7, events, UTC)
    return grid


def fresh_rects(grid: TimeGrid) -> list[tuple[float, float, float, float]]:
    """The boxes computed from scratch (no cache) for comparison (the same, but for float rounding)."""
    return [pytest.approx((r.left(), r.top(), r.width(), r.height()))
            for r in (grid.placed_rect(p) for p in grid.layout_model.timed)]


def cached_rects(grid: TimeGrid) -> list[tuple[float, float, float, float]]:
    return [(r.left(), r.top(), r.width(), r.height()) for r, _p in grid.event_rects()]


def test_the_same_events_keep_the_layout_and_new_ones_replace_it(qtbot) -> None:
    events = [("a", event("One", 0, 9)), ("a", event("Two", 0, 9))]
    grid = grid_of(qtbot, events)
    layout, boxes = grid.layout_model, grid.box_cache()
    grid.set_events(MONDAY, 7, list(events), UTC)  # shown again as another calendar arrived: nothing changed
    assert grid.layout_model is layout and grid.box_cache() is boxes
    grid.set_events(MONDAY, 7, [*events, ("b", event("Three", 2, 14))], UTC)
    assert grid.layout_model is not layout and grid.box_cache() is not boxes
    assert sorted(p.event.subject for _r, p in grid.event_rects()) == ["One", "Three", "Two"]
    assert cached_rects(grid) == fresh_rects(grid)
    grid.set_events(MONDAY + timedelta(days=7), 7, events, UTC)  # another week, the same events: none shown
    assert grid.event_rects() == []


def test_a_resize_or_another_font_computes_the_boxes_again_and_a_scroll_does_not(qtbot) -> None:
    grid = grid_of(qtbot, [("a", event("One", 1, 9)), ("a", event("Two", 1, 9, 30)), ("a", event("Late", 4, 20))])
    boxes = grid.box_cache()
    before = cached_rects(grid)
    grid.resize(1300, 700)
    assert grid.box_cache() is not boxes
    after = cached_rects(grid)
    assert after == fresh_rects(grid) and after != before
    assert min(w for _x, _y, w, _h in after) > min(w for _x, _y, w, _h in before)
    boxes = grid.box_cache()
    grid.scroll_to_hour(8)
    assert grid._scroll.value() > 0 and grid.box_cache() is boxes
    assert cached_rects(grid) == fresh_rects(grid)  # the boxes moved up with the scroll
    assert all(y1 == y0 - grid._scroll.value() for (_a, y0, _b, _c), (_d, y1, _e, _f) in zip(after, cached_rects(grid),
                                                                                           strict=True))
    boxes.elided[("One", 10)] = "stale"
    font = QFont(grid.font())
    font.setPointSizeF(font.pointSizeF() + 3)
    grid.setFont(font)
    assert grid.box_cache() is not boxes and grid.box_cache().elided == {}


def test_a_dense_day_paints_every_narrow_box(qtbot) -> None:
    """Twenty events at once on Tuesday: lanes too narrow for text, painted in batches, each box still visible."""
    crowd = [("a", event(f"Call {n}", 1, 10, busy=BusyStatus.TENTATIVE if n % 3 else BusyStatus.BUSY))
             for n in range(20)]
    grid = grid_of(qtbot, [*crowd, ("b", event("Wide", 3, 10))])
    grid.colours = {"a": style.colour(0), "b": style.colour(2)}
    grid.scroll_to_hour(9)
    image = QImage(grid.size(), QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    grid.render(image)
    narrow = [(r, p) for r, p in grid.event_rects() if p.event.subject.startswith("Call")]
    assert len(narrow) == 20 and all(r.width() < SLIVER for r, _p in narrow)
    bar = style.colour(0)
    for rect, _p in narrow:
        pixel = image.pixelColor(int(rect.left() + 2), int(rect.center().y()))
        assert pixel == bar, (rect, pixel.name())  # every lane shows its calendar's bar
    (wide, _p), = [(r, p) for r, p in grid.event_rects() if p.event.subject == "Wide"]
    assert wide.width() >= SLIVER
    assert image.pixelColor(int(wide.left() + 2), int(wide.center().y())) == style.colour(2)
    assert grid.box_cache().elided  # its title was elided once and kept
