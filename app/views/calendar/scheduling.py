"""The scheduling assistant: attendees' and rooms' free/busy side by side on a time line (GetUserAvailability),
the meeting's slot over it, "Next free slot" (:func:`app.domain.scheduling.suggest_slot`) and a room finder
(room lists, their rooms). ``chosen(start, end, attendees)`` when the user takes the slot (a list of
:class:`~app.domain.calendar.Attendee`, the rooms as resources)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.domain.calendar import Attendee, BusyStatus, FreeBusyBlock
from app.domain.messages import Person
from app.domain.scheduling import WorkingHours, suggest_slot
from app.views.calendar import style
from app.views.completer import DirectoryCompleter, Lookup

FIRST_HOUR, LAST_HOUR = 7, 19
LABEL_W = 190
ROW_H = 30
TOP = 34
SEARCH_DAYS = 14
STATUS_COLOURS = {BusyStatus.BUSY: QColor("#2b6cb0"), BusyStatus.TENTATIVE: QColor("#90cdf4"),
                  BusyStatus.OOF: QColor("#805ad5"), BusyStatus.WORKING_ELSEWHERE: QColor("#9ae6b4"),
                  BusyStatus.NO_DATA: QColor("#e2e8f0")}
ADDRESS_ROLE = Qt.ItemDataRole.UserRole + 1


class FreeBusyTimeline(QWidget):
    """Rows of busy blocks over one day's working hours, the meeting slot drawn across all rows.

    Signals: slot_clicked(datetime): the user clicked a time (the slot moves there).
    """

    slot_clicked = Signal(object)

    def __init__(self, tz: tzinfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("freeBusyTimeline")
        self.setMinimumSize(560, 220)
        self.tz = tz
        self.day = date.today()
        self.rows: list[tuple[str, str, list[FreeBusyBlock]]] = []  # label, kind ("person"/"room"), blocks
        self.slot: tuple[datetime, datetime] | None = None
        self.loading = False

    def hour_width(self) -> float:
        return (self.width() - LABEL_W - 8) / (LAST_HOUR - FIRST_HOUR)

    def x_of(self, moment: datetime) -> float:
        local = moment.astimezone(self.tz)
        start = datetime.combine(self.day, time(FIRST_HOUR), self.tz)
        hours = (local.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds() / 3600
        return LABEL_W + max(0.0, min(hours, LAST_HOUR - FIRST_HOUR)) * self.hour_width()

    def block_rects(self) -> list[tuple[int, QRectF, FreeBusyBlock]]:
        """(row, rect, block) of every block drawn on :attr:`day`."""
        out = []
        day_start = datetime.combine(self.day, time(FIRST_HOUR), self.tz)
        day_end = datetime.combine(self.day, time(LAST_HOUR), self.tz)
        for row, (_label, _kind, blocks) in enumerate(self.rows):
            for block in blocks:
                if block.end <= day_start or block.start >= day_end or block.busy is BusyStatus.FREE:
                    continue
                x0, x1 = self.x_of(max(block.start, day_start)), self.x_of(min(block.end, day_end))
                out.append((row, QRectF(x0, TOP + row * ROW_H + 5, max(x1 - x0, 2), ROW_H - 10), block))
        return out

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt
        x = event.position().x()
        if x < LABEL_W:
            return
        hours = (x - LABEL_W) / self.hour_width()
        minutes = int(hours * 60 // 15 * 15)
        self.slot_clicked.emit(datetime.combine(self.day, time(FIRST_HOUR), self.tz) + timedelta(minutes=minutes))

    def paintEvent(self, _event: QPaintEvent) -> None:  # noqa: N802 - Qt
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#ffffff"))
        hw = self.hour_width()
        height = TOP + max(len(self.rows), 1) * ROW_H
        p.setPen(style.MUTED)
        for n in range(LAST_HOUR - FIRST_HOUR + 1):
            x = LABEL_W + n * hw
            p.setPen(QPen(style.GRID_HOUR))
            p.drawLine(QPointF(x, TOP - 4), QPointF(x, height))
            if n < LAST_HOUR - FIRST_HOUR:
                p.setPen(style.MUTED)
                p.drawText(QRectF(x + 3, 8, hw, 20), Qt.AlignmentFlag.AlignLeft, f"{FIRST_HOUR + n:02d}:00")
        bold = QFont(self.font())
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(style.TEXT)
        p.drawText(QRectF(8, 8, LABEL_W - 12, 20), Qt.AlignmentFlag.AlignLeft, f"{self.day:%A} {self.day.day} "
                                                                                f"{self.day:%b}")
        p.setFont(self.font())
        for row, (label, kind, _blocks) in enumerate(self.rows):
            y = TOP + row * ROW_H
            if row % 2:
                p.fillRect(QRectF(0, y, self.width(), ROW_H), style.WEEKEND)
            p.setPen(style.TEXT)
            icon = "Room · " if kind == "room" and not label.casefold().startswith("room") else (
                "★ " if kind == "organiser" else "")
            elided = p.fontMetrics().elidedText(icon + label, Qt.TextElideMode.ElideRight, LABEL_W - 14)
            p.drawText(QRectF(8, y, LABEL_W - 12, ROW_H), Qt.AlignmentFlag.AlignVCenter, elided)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        for _row, rect, block in self.block_rects():
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(STATUS_COLOURS.get(block.busy, style.MUTED))
            p.drawRoundedRect(rect, 3, 3)
            if block.subject and rect.width() > 40:
                p.setPen(QColor("#ffffff") if block.busy in (BusyStatus.BUSY, BusyStatus.OOF) else style.TEXT)
                p.drawText(rect.adjusted(4, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter,
                           p.fontMetrics().elidedText(block.subject, Qt.TextElideMode.ElideRight,
                                                      int(rect.width() - 6)))
        if self.slot is not None and self.slot[0].astimezone(self.tz).date() == self.day:
            x0, x1 = self.x_of(self.slot[0]), self.x_of(self.slot[1])
            fill = QColor("#38a169")
            fill.setAlpha(45)
            p.setBrush(fill)
            p.setPen(QPen(QColor("#38a169"), 2))
            p.drawRect(QRectF(x0, TOP - 4, max(x1 - x0, 3), height - TOP + 6))
        if self.loading:
            p.setPen(style.MUTED)
            p.drawText(QRectF(LABEL_W, height + 4, 300, 20), Qt.AlignmentFlag.AlignLeft, "Loading free/busy …")
        self._legend(p, height + 26)
        p.end()

    def _legend(self, p: QPainter, y: float) -> None:
        x = LABEL_W
        for status, word in ((BusyStatus.BUSY, "Busy"), (BusyStatus.TENTATIVE, "Tentative"),
                             (BusyStatus.OOF, "Away"), (BusyStatus.NO_DATA, "No information")):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(STATUS_COLOURS[status])
            p.drawRoundedRect(QRectF(x, y, 14, 12), 2, 2)
            p.setPen(style.MUTED)
            p.drawText(QRectF(x + 18, y - 3, 120, 18), Qt.AlignmentFlag.AlignLeft, word)
            x += 30 + p.fontMetrics().horizontalAdvance(word)


class SchedulingAssistant(QDialog):
    chosen = Signal(object, object, object)

    def __init__(self, service: Any, organiser: str, attendees: list[str], start: datetime, end: datetime,
                 tz: tzinfo, *, lookup: Lookup | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("schedulingAssistant")
        self.setWindowTitle("Scheduling assistant")
        self.resize(1000, 460)
        self.service = service
        self.tz = tz
        self.organiser = organiser
        self.people: list[str] = [a for a in dict.fromkeys([organiser, *attendees]) if a]
        self.rooms: list[str] = []
        self.names: dict[str, str] = {}
        self.start, self.duration = start, max(end - start, timedelta(minutes=15))
        self.busy: dict[str, list[FreeBusyBlock]] = {}
        self._range: tuple[datetime, datetime] | None = None
        self._tasks: list[Any] = []  # loads in flight: cancelled when the dialog closes (their answers dropped)
        column = QVBoxLayout(self)
        top = QHBoxLayout()
        self.prev_day = QPushButton("◀", self)
        self.next_day = QPushButton("▶", self)
        for b in (self.prev_day, self.next_day):
            b.setFixedWidth(34)
        self.add_edit = QLineEdit(self)
        self.add_edit.setObjectName("schedulingAddAttendee")
        self.add_edit.setPlaceholderText("Add an attendee: type a name, press Enter")
        self.completer = DirectoryCompleter(self.add_edit, lookup) if lookup else None
        self.next_free = QPushButton("Next free slot", self)
        self.next_free.setObjectName("schedulingNextFree")
        self.suggestion = QLabel("", self)
        self.suggestion.setObjectName("schedulingSuggestion")
        top.addWidget(self.prev_day)
        top.addWidget(self.next_day)
        top.addWidget(self.add_edit, 1)
        top.addWidget(self.next_free)
        column.addLayout(top)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.timeline = FreeBusyTimeline(tz, split)
        rooms = QWidget(split)
        rooms_col = QVBoxLayout(rooms)
        rooms_col.setContentsMargins(6, 0, 0, 0)
        rooms_col.addWidget(QLabel("<b>Room finder</b>", rooms))
        self.room_lists = QComboBox(rooms)
        self.room_lists.setObjectName("roomLists")
        self.room_lists.setPlaceholderText("Loading room lists …")
        rooms_col.addWidget(self.room_lists)
        self.room_view = QListWidget(rooms)
        self.room_view.setObjectName("roomList")
        rooms_col.addWidget(self.room_view, 1)
        self.add_room = QPushButton("Add room", rooms)
        rooms_col.addWidget(self.add_room)
        split.addWidget(self.timeline)
        split.addWidget(rooms)
        split.setStretchFactor(0, 1)
        split.setSizes([740, 240])
        column.addWidget(split, 1)
        column.addWidget(self.suggestion)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Use this time")
        column.addWidget(buttons)
        for button in (self.prev_day, self.next_day, self.next_free, self.add_room):
            button.setAutoDefault(False)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.prev_day.clicked.connect(lambda: self._move_day(-1))
        self.next_day.clicked.connect(lambda: self._move_day(1))
        self.add_edit.installEventFilter(self)
        self.next_free.clicked.connect(self.suggest)
        self.timeline.slot_clicked.connect(self.set_start)
        self.room_lists.currentIndexChanged.connect(self._room_list_chosen)
        self.add_room.clicked.connect(self._add_chosen_room)
        self.room_view.itemDoubleClicked.connect(lambda _i: self._add_chosen_room())
        self.timeline.day = start.astimezone(tz).date()
        self._lookup = lookup
        for address in self.people:
            self._look_up_name(address)
        self._refresh_rows()
        self.load()
        self._tasks.append(service.load_room_lists(on_result=self._on_room_lists))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt
        """Enter in "Add an attendee" adds them, and must not also press "Use this time" (the default button)."""
        if (watched is self.add_edit and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)):  # type: ignore[attr-defined]
            self._add_typed()
            return True
        return super().eventFilter(watched, event)

    def done(self, result: int) -> None:
        """Close, dropping the answers of loads still in flight."""
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        super().done(result)

    # -- data ----------------------------------------------------------------------------------------------
    def addresses(self) -> list[str]:
        return [*self.people, *self.rooms]

    def load(self) -> None:
        """Free/busy of everyone for the shown day and the fortnight after it (for "Next free slot")."""
        first = datetime.combine(self.timeline.day, time(), self.tz)
        self._range = (first, first + timedelta(days=SEARCH_DAYS))
        self.timeline.loading = True
        self.timeline.update()
        self._track(self.service.load_free_busy(self.addresses(), *self._range, on_result=self._on_free_busy))

    def _track(self, task: Any) -> None:
        self._tasks = [t for t in self._tasks if not getattr(t, "is_cancelled", lambda: False)()]
        self._tasks.append(task)

    def _on_free_busy(self, busy: dict[str, list[FreeBusyBlock]]) -> None:
        self.busy.update(busy)
        self.timeline.loading = False
        self._refresh_rows()

    def is_loaded(self) -> bool:
        return not self.timeline.loading and all(a in self.busy for a in self.addresses())

    def _refresh_rows(self) -> None:
        rows = []
        for address in self.addresses():
            kind = "room" if address in self.rooms else "organiser" if address == self.organiser else "person"
            rows.append((self.names.get(address, address), kind, self.busy.get(address, [])))
        self.timeline.rows = rows
        self.timeline.slot = (self.start, self.start + self.duration)
        self.timeline.setMinimumHeight(TOP + len(rows) * ROW_H + 60)
        self.timeline.update()

    def add_attendee(self, address: str, *, room: bool = False, name: str = "") -> None:
        address = address.strip().rstrip(";,")
        if "@" not in address or address in self.addresses():
            return
        (self.rooms if room else self.people).append(address)
        if name:
            self.names[address] = name
        else:
            self._look_up_name(address)
        self._refresh_rows()
        self.load()

    def _look_up_name(self, address: str) -> None:
        """Show the person's display name instead of the address once the directory answers."""
        if self._lookup is None or address in self.names:
            return

        def found(people: list[Person]) -> None:
            match = next((p for p in people if p.address.casefold() == address.casefold() and p.name), None)
            if match is not None:
                self.names[address] = match.name
                self._refresh_rows()

        self._tasks.append(self._lookup(address, found, lambda _error: None))

    def _add_typed(self) -> None:
        self.add_attendee(self.add_edit.text())
        self.add_edit.clear()

    def set_start(self, start: datetime) -> None:
        self.start = start
        self.suggestion.setText("")
        self._refresh_rows()

    def _move_day(self, step: int) -> None:
        day = self.timeline.day + timedelta(days=step)
        while day.weekday() >= 5:
            day += timedelta(days=step)
        self.timeline.day = day
        self.set_start(datetime.combine(day, self.start.astimezone(self.tz).time(), self.tz))
        if self._range is None or not self._range[0] <= self.start < self._range[1] - timedelta(days=1):
            self.load()

    def suggest(self) -> datetime | None:
        """Move the slot to the next time everyone (and the rooms) is free, within working hours."""
        if self._range is None:
            return None
        found = suggest_slot({a: self.busy.get(a, []) for a in self.addresses()}, max(self.start, self._range[0]),
                             self._range[1], self.duration, WorkingHours(tz=self.tz))
        if found is None:
            self.suggestion.setText("No free slot for everyone in the next two weeks.")
            return None
        self.timeline.day = found.astimezone(self.tz).date()
        self.set_start(found)
        local = found.astimezone(self.tz)
        self.suggestion.setText(f"Everyone is free {local:%A} {local.day} {local:%B}, {local:%H:%M}–"
                                f"{(local + self.duration):%H:%M}.")
        return found

    # -- rooms ---------------------------------------------------------------------------------------------
    def _on_room_lists(self, lists: list[Any]) -> None:
        self.room_lists.blockSignals(True)
        self.room_lists.clear()
        for person in lists:
            self.room_lists.addItem(person.name or person.address, person.address)
        self.room_lists.setPlaceholderText("No room lists" if not lists else "Choose a room list")
        self.room_lists.blockSignals(False)
        if lists:
            self.room_lists.setCurrentIndex(0)
            self._room_list_chosen(0)

    def _room_list_chosen(self, index: int) -> None:
        address = self.room_lists.itemData(index)
        if address:
            self._track(self.service.load_rooms(address, on_result=self._on_rooms))

    def _on_rooms(self, rooms: list[Any]) -> None:
        self.room_view.clear()
        moved = False
        for person in rooms:
            item = QListWidgetItem(f"{person.name or person.address}", self.room_view)
            item.setData(ADDRESS_ROLE, person)
            item.setToolTip(person.address)
            known = next((a for a in self.people if a.casefold() == person.address.casefold()), None)
            if known is not None:  # a room the event already invites: it goes back as a resource
                self.people.remove(known)
                self.rooms.append(known)
                self.names.setdefault(known, person.name)
                moved = True
        if moved:
            self._refresh_rows()

    def _add_chosen_room(self) -> None:
        item = self.room_view.currentItem()
        if item is not None:
            person = item.data(ADDRESS_ROLE)
            self.add_attendee(person.address, room=True, name=person.name)

    def attendees(self) -> list[Attendee]:
        """Everyone but the organiser, the rooms as resources (what :attr:`chosen` carries)."""
        return [Attendee(Person(a, self.names.get(a, "")), "Resource" if a in self.rooms else "Required")
                for a in self.addresses() if a != self.organiser]

    def _accept(self) -> None:
        self.chosen.emit(self.start, self.start + self.duration, self.attendees())
        self.accept()
