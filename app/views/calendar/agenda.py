"""The agenda view: the coming days' events as a list grouped by day (a heading row per day)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date, datetime, timedelta, tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.domain.calendar import Event
from app.views.calendar import style
from app.views.calendar.layout import events_by_day, is_band_event

EVENT_ROLE = Qt.ItemDataRole.UserRole + 1


class AgendaList(QListWidget):
    """Signals: open_requested(key, Event) on Enter / double-click; navigate(str) on T, PageUp, PageDown."""

    open_requested = Signal(object, object)
    navigate = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarAgenda")
        self.setAccessibleName("Calendar agenda")
        self.colours: dict[Hashable, QColor] = {}
        self.labeler: Callable[[Hashable, Event], tuple[str, str, bool]] = lambda _k, e: (e.subject, "", False)
        self.itemActivated.connect(self._activated)
        self.setAlternatingRowColors(False)
        self.setStyleSheet("QListWidget#calendarAgenda::item { padding: 4px 8px; }")

    def set_events(self, first: date, days: int, events: list[tuple[Hashable, Event]], tz: tzinfo) -> None:
        self.clear()
        today = datetime.now(tz).date()
        heading = QFont(self.font())
        heading.setBold(True)
        for offset, items in enumerate(events_by_day(events, first, days, tz)):
            if not items:
                continue
            day = first + timedelta(days=offset)
            label = ("Today — " if day == today else "") + f"{day:%A} {day.day} {day:%B %Y}"
            head = QListWidgetItem(label, self)
            head.setFont(heading)
            head.setFlags(Qt.ItemFlag.NoItemFlags)
            head.setForeground(style.TODAY if day == today else style.TEXT)
            for key, event in items:
                title, detail, _hidden = self.labeler(key, event)
                if is_band_event(event):
                    when = "All day"
                else:
                    when = f"{event.start.astimezone(tz):%H:%M}–{event.end.astimezone(tz):%H:%M}"
                item = QListWidgetItem(style.swatch(self.colours.get(key, style.colour(0))),
                                       f"{when}    {title}" + (f"  ·  {detail}" if detail else ""), self)
                item.setData(EVENT_ROLE, (key, event))
        if self.count() == 0:
            empty = QListWidgetItem("Nothing planned in these two weeks.", self)
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            empty.setForeground(style.MUTED)

    def events(self) -> list[tuple[Hashable, Event]]:
        return [self.item(r).data(EVENT_ROLE) for r in range(self.count()) if self.item(r).data(EVENT_ROLE)]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt
        moves = {Qt.Key.Key_T: "today", Qt.Key.Key_PageUp: "prev", Qt.Key.Key_PageDown: "next"}
        if event.key() in moves:
            self.navigate.emit(moves[Qt.Key(event.key())])
        else:
            super().keyPressEvent(event)

    def _activated(self, item: QListWidgetItem) -> None:
        data = item.data(EVENT_ROLE)
        if data:
            self.open_requested.emit(*data)
