"""The day / work-week / week view: hours down, days across, the all-day band on top (one painted widget).

Layout comes from :func:`app.views.calendar.layout.lay_out_days`; :meth:`TimeGrid.event_rects` gives the boxes
the widget paints (tests check those). Mouse: click selects, double-click opens (or creates on an empty slot),
drag moves an event, dragging its bottom edge resizes it — where ``can_change(key, event)`` allows; otherwise
``refused(reason)``. Keys: ←/→ day, ↑/↓ event of the day, T today, PageUp/PageDown period, Enter open, Delete.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QWheelEvent
from PySide6.QtWidgets import QScrollBar, QWidget

from app.domain.calendar import BusyStatus, Event
from app.domain.rights import ALLOWED, Capability
from app.views.calendar import style
from app.views.calendar.layout import DAY_MINUTES, Banded, DayLayout, Placed, lay_out_days

HOUR_PX = 44
GUTTER = 56
HEADER = 30
BAND_ROW = 22
SNAP = 15  # minutes
EDGE = 6  # px of an event's bottom edge that resizes it
SLIVER = 16  # px: narrower event boxes have no text (painted in batches)
WORK_START, WORK_END = 8, 18

#: labeler(key, event) -> (title, detail line, details hidden: free/busy only)
Labeler = Callable[[Hashable, Event], tuple[str, str, bool]]


@dataclass
class _Drag:
    placed: Placed
    resize: bool
    origin: QPointF
    day_delta: int = 0
    minute_delta: int = 0
    moved: bool = False


@dataclass
class _BoxCache:
    """The timed events' boxes with the scroll bar at the top, kept until the events, the size or the font change.

    ``boxes`` are (left, top, width, height, placed) in widget coordinates at scroll 0, in layout order;
    ``elided`` caches first lines elided to a width ((text, width) -> text).
    """

    layout_model: DayLayout
    size: tuple[int, int, int, str]  # width, scroll bar width, header height, font
    boxes: list[tuple[float, float, float, float, Placed]]
    elided: dict[tuple[str, int], str]


class TimeGrid(QWidget):
    """Signals:
        open_requested(key, Event); create_requested(datetime start); delete_requested(key, Event)
        move_requested(key, Event, datetime new_start, datetime new_end)
        selection_changed(key or None, Event or None); day_selected(date)
        navigate(str): "prev" | "next" | "today" (PageUp/PageDown/T); refused(str): a drag was not allowed.
    """

    open_requested = Signal(object, object)
    create_requested = Signal(object)
    delete_requested = Signal(object, object)
    move_requested = Signal(object, object, object, object)
    selection_changed = Signal(object, object)
    day_selected = Signal(object)
    navigate = Signal(str)
    refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarTimeGrid")
        self.setAccessibleName("Calendar time grid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumSize(420, 300)
        self.tz: tzinfo = datetime.now().astimezone().tzinfo  # type: ignore[assignment]
        self.layout_model = DayLayout(date.today(), 7, (), ())
        self.colours: dict[Hashable, QColor] = {}
        self.labeler: Labeler = lambda _k, e: (e.subject, e.location, False)
        self.can_change: Callable[[Hashable, Event], Capability] = lambda _k, _e: ALLOWED
        self.today = date.today()
        self.now: datetime | None = None  # None: the clock
        self.selected_day = self.today
        self.selected: tuple[Hashable, str, int] | None = None  # key, item id, day column
        self._drag: _Drag | None = None
        self._boxes: _BoxCache | None = None
        self._shown: tuple[date, int, tzinfo, list[tuple[Hashable, Event]]] | None = None
        self._scroll = QScrollBar(Qt.Orientation.Vertical, self)
        self._scroll.valueChanged.connect(lambda _v: self.update())
        self._clock = QTimer(self)
        self._clock.timeout.connect(self.update)
        self._clock.start(60_000)

    # -- data ------------------------------------------------------------------------------------------------
    def set_events(self, first: date, days: int, events: list[tuple[Hashable, Event]], tz: tzinfo) -> None:
        """Show ``days`` days from ``first`` with these (calendar key, event) pairs.

        The same days and events as last time (the pane shows again as each calendar arrives) keep the layout.
        """
        self.tz = tz
        shown = (first, days, tz, list(events))
        if shown != self._shown:
            self._shown = shown
            self.layout_model = lay_out_days(shown[3], first, days, tz)
        if not 0 <= (self.selected_day - first).days < days:
            self.selected_day = first if not 0 <= (self.today - first).days < days else self.today
        if self.selected is not None and self._find_selected() is None:
            self.selected = None
        self._relayout()
        self.update()

    @property
    def first(self) -> date:
        return self.layout_model.first

    @property
    def days(self) -> int:
        return self.layout_model.days

    def scroll_to_hour(self, hour: float) -> None:
        self._scroll.setValue(int(hour * HOUR_PX))

    def scroll_hour(self) -> float:
        return self._scroll.value() / HOUR_PX

    # -- geometry --------------------------------------------------------------------------------------------
    def header_height(self) -> int:
        rows = self.layout_model.band_rows
        return HEADER + (rows * BAND_ROW + 6 if rows else 8)

    def day_width(self) -> float:
        return max((self.width() - GUTTER - self._scroll.width()) / max(self.days, 1), 10.0)

    def y_of(self, minutes: float) -> float:
        return self.header_height() + minutes / 60 * HOUR_PX - self._scroll.value()

    def x_of(self, day: int) -> float:
        return GUTTER + day * self.day_width()

    def placed_rect(self, placed: Placed) -> QRectF:
        width = self.day_width() - 6
        lane = width / placed.columns
        top = self.y_of(placed.top)
        bottom = max(self.y_of(placed.bottom), top + HOUR_PX * 20 / 60)
        return QRectF(self.x_of(placed.day) + 1 + placed.column * lane, top, lane - 1, bottom - top - 1)

    def band_rect(self, banded: Banded) -> QRectF:
        x0, x1 = self.x_of(banded.first_day), self.x_of(banded.last_day + 1)
        return QRectF(x0 + 2, HEADER + 3 + banded.row * BAND_ROW, x1 - x0 - 4, BAND_ROW - 2)

    def event_rects(self) -> list[tuple[QRectF, Placed]]:
        """The box of every timed event (part) as painted now (scroll included)."""
        s = self._scroll.value()
        return [(QRectF(x, y - s, w, h), p) for x, y, w, h, p in self.box_cache().boxes]

    def box_cache(self) -> _BoxCache:
        """The boxes of the timed events at scroll 0, computed once per layout, size and font."""
        size = (self.width(), self._scroll.width(), self.header_height(), self.font().key())
        cached = self._boxes
        if cached is not None and cached.layout_model is self.layout_model and cached.size == size:
            return cached
        width = self.day_width() - 6
        head, per_minute, least = size[2], HOUR_PX / 60, HOUR_PX * 20 / 60
        lefts = [self.x_of(day) + 1 for day in range(self.days)]
        boxes = []
        for p in self.layout_model.timed:
            lane = width / p.columns
            top = head + p.top * per_minute
            bottom = max(head + p.bottom * per_minute, top + least)
            boxes.append((lefts[p.day] + p.column * lane, top, lane - 1, bottom - top - 1, p))
        self._boxes = _BoxCache(self.layout_model, size, boxes, {})
        return self._boxes

    def band_rects(self) -> list[tuple[QRectF, Banded]]:
        return [(self.band_rect(b), b) for b in self.layout_model.band]

    def _relayout(self) -> None:
        visible = max(self.height() - self.header_height(), 0)
        self._scroll.setGeometry(self.width() - 14, self.header_height(), 14, visible)
        self._scroll.setRange(0, max(24 * HOUR_PX - visible, 0))
        self._scroll.setPageStep(visible)
        self._scroll.setSingleStep(HOUR_PX // 2)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        self._relayout()
        super().resizeEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt
        self._scroll.setValue(self._scroll.value() - event.angleDelta().y() // 3)

    # -- hit testing -----------------------------------------------------------------------------------------
    def item_at(self, pos: QPointF) -> tuple[Placed | Banded | None, bool]:
        """The event under ``pos`` and whether ``pos`` is on its bottom (resize) edge."""
        for rect, banded in self.band_rects():
            if rect.contains(pos):
                return banded, False
        if pos.y() < self.header_height():
            return None, False
        for rect, placed in reversed(self.event_rects()):
            if rect.contains(pos):
                return placed, pos.y() >= rect.bottom() - EDGE and not placed.continues_after
        return None, False

    def moment_at(self, pos: QPointF) -> tuple[int, int]:
        """(day column, wall-clock minutes snapped to :data:`SNAP`) under ``pos``."""
        day = int((pos.x() - GUTTER) // self.day_width())
        minutes = (pos.y() - self.header_height() + self._scroll.value()) / HOUR_PX * 60
        snapped = int(minutes // SNAP * SNAP)
        return max(0, min(day, self.days - 1)), max(0, min(snapped, DAY_MINUTES - SNAP))

    def local(self, day: int, minutes: int) -> datetime:
        return datetime.combine(self.first + timedelta(days=day), time(minutes // 60, minutes % 60), self.tz)

    # -- selection -------------------------------------------------------------------------------------------
    def selected_event(self) -> tuple[Hashable, Event] | None:
        found = self._find_selected()
        return (found.key, found.event) if found is not None else None

    def _find_selected(self) -> Placed | Banded | None:
        if self.selected is None:
            return None
        key, item_id, day = self.selected
        for p in self.layout_model.timed:
            if p.key == key and p.event.item_id == item_id and p.day == day:
                return p
        for b in self.layout_model.band:
            if b.key == key and b.event.item_id == item_id:
                return b
        return None

    def select(self, item: Placed | Banded | None) -> None:
        if item is None:
            self.selected = None
            self.selection_changed.emit(None, None)
        else:
            day = item.day if isinstance(item, Placed) else item.first_day
            self.selected = (item.key, item.event.item_id, day)
            self.selected_day = self.first + timedelta(days=day)
            self.selection_changed.emit(item.key, item.event)
        self.update()

    def select_day(self, day: date) -> None:
        self.selected_day = day
        self.selected = None
        self.day_selected.emit(day)
        self.selection_changed.emit(None, None)
        self.update()

    # -- keyboard --------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt
        key = event.key()
        step = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}.get(Qt.Key(key))
        if step is not None:
            self.select_day(self.selected_day + timedelta(days=step))
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            self._step_event(-1 if key == Qt.Key.Key_Up else 1)
        elif key == Qt.Key.Key_T:
            self.navigate.emit("today")
        elif key == Qt.Key.Key_PageUp:
            self.navigate.emit("prev")
        elif key == Qt.Key.Key_PageDown:
            self.navigate.emit("next")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            chosen = self.selected_event()
            if chosen is not None:
                self.open_requested.emit(*chosen)
            else:
                hour = max(int(self.scroll_hour()) + 1, WORK_START)
                self.create_requested.emit(datetime.combine(self.selected_day, time(min(hour, 23)), self.tz))
        elif key == Qt.Key.Key_Delete:
            chosen = self.selected_event()
            if chosen is not None:
                self.delete_requested.emit(*chosen)
        else:
            super().keyPressEvent(event)

    def _step_event(self, step: int) -> None:
        day = (self.selected_day - self.first).days
        items: list[Placed | Banded] = [b for b in self.layout_model.band if b.first_day <= day <= b.last_day]
        items += sorted(self.layout_model.on_day(day), key=lambda p: (p.top, p.column))
        if not items:
            return
        current = self._find_selected()
        index = next((i for i, it in enumerate(items) if it is current), -1 if step > 0 else len(items))
        index = max(0, min(index + step, len(items) - 1))
        chosen = items[index]
        self.select(chosen)
        if isinstance(chosen, Placed):
            rect = self.placed_rect(chosen)
            if rect.top() < self.header_height() or rect.bottom() > self.height():
                self.scroll_to_hour(max(chosen.top / 60 - 1, 0))

    # -- mouse -----------------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        item, edge = self.item_at(event.position())
        if item is None:
            if event.position().y() > HEADER and event.position().x() > GUTTER:
                day, _ = self.moment_at(event.position())
                self.select_day(self.first + timedelta(days=day))
            return
        self.select(item)
        if isinstance(item, Placed) and event.button() == Qt.MouseButton.LeftButton:
            self._drag = _Drag(item, edge, event.position())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        if self._drag is None:
            item, edge = self.item_at(event.position())
            shape = Qt.CursorShape.SizeVerCursor if edge else (
                Qt.CursorShape.PointingHandCursor if item is not None else Qt.CursorShape.ArrowCursor)
            self.setCursor(shape)
            return
        drag = self._drag
        delta = event.position() - drag.origin
        drag.minute_delta = int(round(delta.y() / HOUR_PX * 60 / SNAP)) * SNAP
        drag.day_delta = 0 if drag.resize else int(round(delta.x() / self.day_width()))
        drag.moved = drag.moved or abs(delta.y()) > 4 or abs(delta.x()) > 4
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        drag, self._drag = self._drag, None
        if drag is None or not drag.moved or (drag.minute_delta == 0 and drag.day_delta == 0):
            self.update()
            return
        placed = drag.placed
        allowed = self.can_change(placed.key, placed.event)
        if not allowed:
            self.refused.emit(allowed.reason)
            self.update()
            return
        start, end = self.dragged_times(placed, drag.resize, drag.day_delta, drag.minute_delta)
        self.move_requested.emit(placed.key, placed.event, start, end)
        self.update()

    def dragged_times(self, placed: Placed, resize: bool, day_delta: int, minute_delta: int) -> tuple[datetime,
                                                                                                       datetime]:
        """New start and end of an event moved (or resized) by whole days and minutes of wall-clock time."""
        event = placed.event
        start, end = event.start.astimezone(self.tz), event.end.astimezone(self.tz)
        if resize:
            new_end = _wall_shift(end, 0, minute_delta, self.tz)
            return event.start, max(new_end, start + timedelta(minutes=SNAP))
        new_start = _wall_shift(start, day_delta, minute_delta, self.tz)
        return new_start, new_start + (end - start)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        item, _ = self.item_at(event.position())
        if item is not None:
            self.open_requested.emit(item.key, item.event)
        elif event.position().y() > self.header_height() and event.position().x() > GUTTER:
            day, minutes = self.moment_at(event.position())
            self.create_requested.emit(self.local(day, minutes - minutes % 30))

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        head = self.header_height()
        p.save()
        p.setClipRect(QRectF(0, head, self.width(), self.height() - head))
        self._paint_body(p)
        p.restore()
        self._paint_header(p)
        p.end()

    def _paint_body(self, p: QPainter) -> None:
        width = self.width() - self._scroll.width()
        for day in range(self.days):
            d = self.first + timedelta(days=day)
            x, w = self.x_of(day), self.day_width()
            if d.weekday() >= 5:
                p.fillRect(QRectF(x, self.y_of(0), w, 24 * HOUR_PX), style.WEEKEND)
            else:
                p.fillRect(QRectF(x, self.y_of(0), w, WORK_START * HOUR_PX), style.OFF_HOURS)
                p.fillRect(QRectF(x, self.y_of(WORK_END * 60), w, (24 - WORK_END) * HOUR_PX), style.OFF_HOURS)
            if d == self.selected_day:
                p.fillRect(QRectF(x, self.y_of(0), w, 24 * HOUR_PX), style.SELECTED_DAY)
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        p.setFont(small)
        for hour in range(25):
            y = self.y_of(hour * 60)
            p.setPen(QPen(style.GRID_HOUR))
            p.drawLine(QPointF(GUTTER - 4, y), QPointF(width, y))
            p.setPen(QPen(style.GRID, 1, Qt.PenStyle.DotLine))
            p.drawLine(QPointF(GUTTER, y + HOUR_PX / 2), QPointF(width, y + HOUR_PX / 2))
            if 0 < hour < 24:
                p.setPen(style.MUTED)
                p.drawText(QRectF(0, y - 8, GUTTER - 8, 16), Qt.AlignmentFlag.AlignRight
                           | Qt.AlignmentFlag.AlignVCenter, f"{hour:02d}:00")
        p.setPen(QPen(style.GRID_HOUR))
        for day in range(self.days + 1):
            x = self.x_of(day)
            p.drawLine(QPointF(x, self.y_of(0)), QPointF(x, self.y_of(DAY_MINUTES)))
        self._paint_events(p)
        self._paint_drag(p)
        self._paint_now(p)

    def _paint_events(self, p: QPainter) -> None:
        """The visible event boxes: narrow ones (a dense day) batched per look, the others one by one with text."""
        selected = self._find_selected()
        cache = self.box_cache()
        scroll = self._scroll.value()
        low, high = self.header_height() + scroll, self.height() + scroll
        fonts = self._event_fonts()
        slivers: dict[tuple[Hashable, BusyStatus, bool], list[QRectF]] = {}
        wide = []
        for x, y, w, h, placed in cache.boxes:
            if y + h <= low or y >= high:  # a dense week has hundreds above and below the scrolled-to hours
                continue
            rect = QRectF(x, y - scroll, w, h)
            if w < SLIVER and placed is not selected:
                hidden = self.labeler(placed.key, placed.event)[2]
                slivers.setdefault((placed.key, placed.event.busy, hidden), []).append(rect)
            else:
                wide.append((rect, placed))
        for (key, busy, hidden), rects in slivers.items():
            style.paint_slivers(p, rects, style.block_colours(self.colours.get(key, style.colour(0)), busy, hidden))
        for rect, placed in wide:
            self._paint_event(p, rect, placed, placed is selected, fonts, cache.elided)

    def _event_fonts(self) -> tuple[QFont, QFont]:
        """(title, detail) fonts of the event blocks, made once per paint."""
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(max(self.font().pointSizeF() - 0.5, 7))
        normal = QFont(self.font())
        normal.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        return bold, normal

    def _paint_event(self, p: QPainter, rect: QRectF, placed: Placed, selected: bool,
                     fonts: tuple[QFont, QFont] | None = None, elided: dict[tuple[str, int], str] | None = None,
                     ) -> None:
        base = self.colours.get(placed.key, style.colour(0))
        title, detail, hidden = self.labeler(placed.key, placed.event)
        style.paint_block(p, rect, base, placed.event.busy, selected=selected, hidden_details=hidden)
        if rect.width() < SLIVER:  # a sliver among many side by side: no room for text
            return
        bold, normal = fonts or self._event_fonts()
        p.save()
        p.setClipRect(rect.adjusted(6, 1, -2, -1))
        text = rect.adjusted(8, 2, -3, -2)
        start = placed.event.start.astimezone(self.tz)
        p.setFont(bold)
        p.setPen(style.TEXT)
        short = rect.height() < 34
        # a narrow block keeps its room for the subject (the time is where it sits on the grid)
        first_line = f"{start:%H:%M} {title}" if short and rect.width() >= 120 else title
        room = int(text.width()) + 1
        shown = elided.get((first_line, room)) if elided is not None else None
        if shown is None:
            shown = p.fontMetrics().elidedText(first_line, Qt.TextElideMode.ElideRight, room)
            if elided is not None:
                elided[(first_line, room)] = shown
        p.drawText(text, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, shown)
        if not short:
            p.setFont(normal)
            p.setPen(style.MUTED)
            end = placed.event.end.astimezone(self.tz)
            line = f"{start:%H:%M}–{end:%H:%M}" + (f" · {detail}" if detail else "")
            p.drawText(text.adjusted(0, 16, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                       | Qt.TextFlag.TextWordWrap, line)
        p.restore()

    def _paint_drag(self, p: QPainter) -> None:
        drag = self._drag
        if drag is None or not drag.moved:
            return
        placed = drag.placed
        if drag.resize:
            ghost = Placed(placed.event, placed.key, placed.day, placed.top,
                           max(placed.bottom + drag.minute_delta, placed.top + SNAP))
        else:
            day = max(0, min(placed.day + drag.day_delta, self.days - 1))
            ghost = Placed(placed.event, placed.key, day, placed.top + drag.minute_delta,
                           placed.bottom + drag.minute_delta)
        rect = self.placed_rect(ghost)
        allowed = bool(self.can_change(placed.key, placed.event))
        colour = QColor(self.colours.get(placed.key, style.colour(0)) if allowed else style.MUTED)
        p.save()
        p.setPen(QPen(colour, 2, Qt.PenStyle.DashLine))
        fill = QColor(colour)
        fill.setAlpha(40)
        p.setBrush(fill)
        p.drawRoundedRect(rect, 3, 3)
        p.restore()

    def _paint_now(self, p: QPainter) -> None:
        now = (self.now or datetime.now(self.tz)).astimezone(self.tz)
        day = (now.date() - self.first).days
        if not 0 <= day < self.days:
            return
        y = self.y_of(now.hour * 60 + now.minute)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(QPen(style.NOW_LINE, 2))
        p.drawLine(QPointF(self.x_of(day), y), QPointF(self.x_of(day + 1), y))
        p.setBrush(style.NOW_LINE)
        p.drawEllipse(QPointF(self.x_of(day), y), 4, 4)
        p.restore()

    def _paint_header(self, p: QPainter) -> None:
        head = self.header_height()
        p.fillRect(QRectF(0, 0, self.width(), head), QColor("#ffffff"))
        bold = QFont(self.font())
        for day in range(self.days):
            d = self.first + timedelta(days=day)
            cell = QRectF(self.x_of(day), 0, self.day_width(), HEADER)
            is_today = d == self.today
            if d == self.selected_day:
                p.fillRect(QRectF(cell.left(), 0, cell.width(), head), style.SELECTED_DAY)
            bold.setBold(is_today)
            p.setFont(bold)
            label = f"{d:%a} {d.day}" if self.day_width() < 130 else f"{d:%A} {d.day} {d:%b}"
            if is_today:
                half = p.fontMetrics().horizontalAdvance(label) / 2 + 10
                pill = QRectF(cell.center().x() - half, 5, 2 * half, HEADER - 10)
                p.setRenderHint(QPainter.RenderHint.Antialiasing)
                p.setBrush(style.TODAY)
                p.setPen(Qt.PenStyle.NoPen)
                p.drawRoundedRect(pill, 10, 10)
                p.setPen(QColor("#ffffff"))
            else:
                p.setPen(style.TEXT if d.weekday() < 5 else style.MUTED)
            p.drawText(cell, Qt.AlignmentFlag.AlignCenter, label)
        p.setFont(self.font())
        selected = self._find_selected()
        for rect, banded in self.band_rects():
            base = self.colours.get(banded.key, style.colour(0))
            title, _detail, hidden = self.labeler(banded.key, banded.event)
            style.paint_block(p, rect, base, banded.event.busy, selected=banded is selected, hidden_details=hidden)
            p.setPen(style.TEXT)
            p.drawText(rect.adjusted(9, 0, -3, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, title)
        p.setPen(QPen(style.GRID_HOUR))
        p.drawLine(QPointF(0, head - 0.5), QPointF(self.width(), head - 0.5))
        p.setPen(style.MUTED)
        zone = datetime.combine(self.first, time(12), self.tz).strftime("%Z")
        p.drawText(QRectF(0, 0, GUTTER - 6, HEADER), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                   zone)


def _wall_shift(moment: datetime, days: int, minutes: int, tz: tzinfo) -> datetime:
    """``moment`` moved by wall-clock days and minutes in ``tz`` (a week later at 09:00 stays 09:00 across DST)."""
    local = moment.astimezone(tz).replace(tzinfo=None) + timedelta(days=days, minutes=minutes)
    return local.replace(tzinfo=tz)
