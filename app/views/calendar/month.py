"""The month view: six weeks of day cells, each listing its events (all-day first) in its calendar's colour.

Keys: arrows move the selected day (a week up/down), T today, PageUp/PageDown month, Enter opens the day.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from app.domain.calendar import Event
from app.views.calendar import style
from app.views.calendar.layout import is_band_event

HEADER = 26
LINE = 18

#: one listed event of a cell: (line rect, calendar key, event, all-day band?, "HH:MM " prefix of a timed one)
Row = tuple[QRectF, Hashable, Event, bool, str]


def group_by_day(events: Iterable[tuple[Hashable, Event]], first: date, days: int,
                 tz: tzinfo) -> list[list[tuple[Hashable, Event]]]:
    """Each day's events (all-day first, then by start, then subject): :func:`~app.views.calendar.layout.events_by_day`
    in one pass (a month of thousands of events is grouped on the GUI thread as each calendar arrives).

    One sort of the events in the period, then each goes to its days (a stable sort keeps each day's order).
    """
    one, whole, base = timedelta(microseconds=1), timedelta(hours=24), first.toordinal()
    keyed = []
    for pair in events:
        event = pair[1]
        start, end = event.start, event.end
        c0 = start.astimezone(tz).toordinal() - base
        c1 = (end.astimezone(tz) - one).toordinal() - base if end > start else c0
        if c1 >= 0 and c0 < days:
            keyed.append(((not (event.all_day or end - start >= whole), start, event.subject.casefold()), c0, c1,
                          pair))
    keyed.sort(key=itemgetter(0))
    out: list[list[tuple[Hashable, Event]]] = [[] for _ in range(days)]
    for _key, c0, c1, pair in keyed:
        if c0 == c1:
            out[c0].append(pair)
        else:
            for column in range(max(c0, 0), min(c1, days - 1) + 1):
                out[column].append(pair)
    return out


@dataclass
class _CellCache:
    """What the cells list, kept until the events, the size or the font change.

    ``rows[i]`` are cell ``i``'s listed events, ``more[i]`` its "+N more" line (None when all fit), ``elided``
    caches the rows' texts elided to a width in the ``small`` font ((text, width) -> text).
    """

    by_day: list[list[tuple[Hashable, Event]]]
    size: tuple[int, int, str]  # width, height, font
    small: QFont
    bold: QFont
    metrics: QFontMetrics  # of ``small``
    rects: list[QRectF]
    rows: list[list[Row]]
    more: list[tuple[QRectF, str] | None]
    elided: dict[tuple[str, int], str]

    def elide(self, text: str, room: int) -> str:
        """``text`` elided to ``room`` px in the small font (elided once per text and width)."""
        shown = self.elided.get((text, room))
        if shown is None:
            shown = self.elided[(text, room)] = self.metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
        return shown


class MonthGrid(QWidget):
    """Signals: day_activated(date) (Enter / double-click on a day), open_requested(key, Event),
    day_selected(date), navigate(str) ("prev" | "next" | "today")."""

    day_activated = Signal(object)
    open_requested = Signal(object, object)
    day_selected = Signal(object)
    navigate = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarMonthGrid")
        self.setAccessibleName("Calendar month")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(420, 300)
        self.first = date.today()
        self.month = date.today().month
        self.tz: tzinfo = datetime.now().astimezone().tzinfo  # type: ignore[assignment]
        self.by_day: list[list[tuple[Hashable, Event]]] = [[] for _ in range(42)]
        self.colours: dict[Hashable, QColor] = {}
        self.labeler: Callable[[Hashable, Event], tuple[str, str, bool]] = lambda _k, e: (e.subject, "", False)
        self.today = date.today()
        self.selected_day = self.today
        self._shown: tuple[date, tzinfo, list[tuple[Hashable, Event]]] | None = None
        self._cells: _CellCache | None = None

    def set_events(self, first: date, month: int, events: list[tuple[Hashable, Event]], tz: tzinfo) -> None:
        """Show the six weeks from ``first`` (``month`` the one in the middle) with these (calendar key, event) pairs.

        The same days and events as last time (the pane shows again as each calendar arrives) keep the grouping.
        """
        self.first, self.month, self.tz = first, month, tz
        shown = (first, tz, list(events))
        if shown != self._shown:
            self._shown = shown
            self.by_day = group_by_day(shown[2], first, 42, tz)
        if not 0 <= (self.selected_day - first).days < 42 or self.selected_day.month != month:
            middle = first + timedelta(days=15)
            self.selected_day = self.today if self.today.month == month else middle.replace(day=1)
        self.update()

    # -- geometry --------------------------------------------------------------------------------------------
    def cell_rect(self, index: int) -> QRectF:
        w = self.width() / 7
        h = (self.height() - HEADER) / 6
        return QRectF((index % 7) * w, HEADER + (index // 7) * h, w, h)

    def capacity(self) -> int:
        return max(int((self.cell_rect(0).height() - 22) // LINE), 1)

    def cell_items(self, day: date) -> list[tuple[Hashable, Event]]:
        """The events listed in ``day``'s cell (in order)."""
        index = (day - self.first).days
        return list(self.by_day[index]) if 0 <= index < 42 else []

    def _index_at(self, pos: QPointF) -> int:
        if pos.y() < HEADER:
            return -1
        col = int(pos.x() // (self.width() / 7))
        row = int((pos.y() - HEADER) // ((self.height() - HEADER) / 6))
        return max(0, min(row, 5)) * 7 + max(0, min(col, 6))

    # -- input -----------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt
        steps = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Up: -7, Qt.Key.Key_Down: 7}
        key = event.key()
        if key in steps:
            self.selected_day += timedelta(days=steps[Qt.Key(key)])
            self.day_selected.emit(self.selected_day)
            self.update()
        elif key == Qt.Key.Key_T:
            self.navigate.emit("today")
        elif key == Qt.Key.Key_PageUp:
            self.navigate.emit("prev")
        elif key == Qt.Key.Key_PageDown:
            self.navigate.emit("next")
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.day_activated.emit(self.selected_day)
        else:
            super().keyPressEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        index = self._index_at(event.position())
        if index >= 0:
            self.selected_day = self.first + timedelta(days=index)
            self.day_selected.emit(self.selected_day)
            self.update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        index = self._index_at(event.position())
        if index < 0:
            return
        rect = self.cell_rect(index)
        line = int((event.position().y() - rect.top() - 22) // LINE)
        items = self.by_day[index]
        if 0 <= line < self.shown_count(len(items)) and event.position().y() > rect.top() + 22:
            self.open_requested.emit(*items[line])
        else:  # the day number, empty space or "+N more": the day itself
            self.day_activated.emit(self.first + timedelta(days=index))

    def shown_count(self, items: int) -> int:
        """How many of a day's ``items`` its cell lists (the last line says "+N more" when they do not fit)."""
        capacity = self.capacity()
        return items if items <= capacity else capacity - 1

    def cell_cache(self) -> _CellCache:
        """The cells' rects, listed rows and "+N more" lines, computed once per grouping, size and font."""
        size = (self.width(), self.height(), self.font().key())
        cached = self._cells
        if cached is not None and cached.by_day is self.by_day and cached.size == size:
            return cached
        small = QFont(self.font())
        small.setPointSizeF(max(self.font().pointSizeF() - 1, 7))
        bold = QFont(self.font())
        bold.setBold(True)
        rects = [self.cell_rect(index) for index in range(42)]
        rows: list[list[Row]] = []
        more: list[tuple[QRectF, str] | None] = []
        for rect, items in zip(rects, self.by_day, strict=True):
            count = self.shown_count(len(items))
            lines = [QRectF(rect.left() + 3, rect.top() + 22 + n * LINE, rect.width() - 6, LINE - 2)
                     for n in range(min(count, len(items)) + 1)]
            cell: list[Row] = []
            for line, (key, event) in zip(lines, items[:count], strict=False):
                band = is_band_event(event)
                cell.append((line, key, event, band, "" if band else f"{event.start.astimezone(self.tz):%H:%M} "))
            rows.append(cell)
            more.append((lines[len(cell)].adjusted(12, 0, 0, 0), f"+{len(items) - len(cell)} more")
                        if len(items) > len(cell) else None)
        self._cells = _CellCache(self.by_day, size, small, bold, QFontMetrics(small), rects, rows, more, {})
        return self._cells

    # -- painting --------------------------------------------------------------------------------------------
    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        w = self.width() / 7
        p.setPen(style.MUTED)
        for col in range(7):
            name = (self.first + timedelta(days=col)).strftime("%A" if w > 110 else "%a")
            p.drawText(QRectF(col * w, 0, w, HEADER), Qt.AlignmentFlag.AlignCenter, name)
        cache = self.cell_cache()
        grid = QPen(style.GRID_HOUR)
        for index, rect in enumerate(cache.rects):
            day = self.first + timedelta(days=index)
            if day.month != self.month:
                p.fillRect(rect, style.WEEKEND)
            if day == self.selected_day:
                p.fillRect(rect, style.SELECTED_DAY)
            p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            p.setPen(grid)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            self._paint_day_number(p, rect, day, cache)
            p.setFont(cache.small)
            self._paint_items(p, cache, index)
            p.setFont(self.font())
        p.end()

    def _paint_day_number(self, p: QPainter, rect: QRectF, day: date, cache: _CellCache) -> None:
        label = f"{day.day} {day:%b}" if day.day == 1 else str(day.day)
        box = QRectF(rect.left() + 4, rect.top() + 3, rect.width() - 8, 18)
        p.setFont(cache.bold if day == self.today else self.font())
        if day == self.today:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(style.TODAY)
            width = p.fontMetrics().horizontalAdvance(label) + 12
            p.drawRoundedRect(QRectF(box.left(), box.top(), width, 18), 9, 9)
            p.setPen(QColor("#ffffff"))
            p.drawText(QRectF(box.left(), box.top(), width, 18), Qt.AlignmentFlag.AlignCenter, label)
        else:
            p.setPen(style.TEXT if day.month == self.month else style.MUTED)
            p.drawText(box.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, label)

    def _paint_items(self, p: QPainter, cache: _CellCache, index: int) -> None:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for line, key, event, band, prefix in cache.rows[index]:
            base = self.colours.get(key, style.colour(0))
            title, _detail, hidden = self.labeler(key, event)
            if band:
                style.paint_block(p, line, base, event.busy, hidden_details=hidden)
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(base)
                p.drawEllipse(QPointF(line.left() + 5, line.center().y()), 3.5, 3.5)
            p.setPen(style.TEXT)
            p.drawText(line.adjusted(12, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                       cache.elide(prefix + title, int(line.width() - 14)))
        more = cache.more[index]
        if more is not None:
            p.setPen(style.MUTED)
            p.drawText(more[0], Qt.AlignmentFlag.AlignVCenter, more[1])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt
        self.update()
        super().resizeEvent(event)
