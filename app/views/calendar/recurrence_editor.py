"""Editing a series pattern: daily, weekly on days, monthly (by date or weekday), yearly; ends by date, count or
never. :meth:`RecurrenceEditor.recurrence` gives the :class:`~app.domain.calendar.Recurrence` (None: no series)."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QSpinBox,
    QWidget,
)

from app.domain.calendar import Frequency, Recurrence

KINDS = ("Does not repeat", "Daily", "Weekly", "Monthly (same date)", "Monthly (same weekday)", "Yearly")
FREQS = (None, Frequency.DAILY, Frequency.WEEKLY, Frequency.MONTHLY_BY_DATE, Frequency.MONTHLY_BY_WEEKDAY,
         Frequency.YEARLY)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ORDINALS = ("first", "second", "third", "fourth", "last")


class RecurrenceEditor(QWidget):
    def __init__(self, start: date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("recurrenceEditor")
        self._start = start
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox(self)
        self.kind.setObjectName("recurrenceKind")
        self.kind.addItems(KINDS)
        self.interval = QSpinBox(self)
        self.interval.setRange(1, 99)
        self.interval.setPrefix("every ")
        grid.addWidget(self.kind, 0, 0)
        grid.addWidget(self.interval, 0, 1)
        self.days = QWidget(self)
        row = QHBoxLayout(self.days)
        row.setContentsMargins(0, 0, 0, 0)
        self.day_boxes = [QCheckBox(name, self.days) for name in DAY_NAMES]
        for box in self.day_boxes:
            row.addWidget(box)
        self.day_boxes[start.weekday()].setChecked(True)
        grid.addWidget(self.days, 1, 0, 1, 2)
        self.ends = QWidget(self)
        ends = QHBoxLayout(self.ends)
        ends.setContentsMargins(0, 0, 0, 0)
        self.end_never = QRadioButton("Never", self.ends)
        self.end_count = QRadioButton("After", self.ends)
        self.count = QSpinBox(self.ends)
        self.count.setRange(1, 999)
        self.count.setValue(10)
        self.count.setSuffix(" times")
        self.end_until = QRadioButton("On", self.ends)
        self.until = QDateEdit(self.ends)
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("d MMM yyyy")
        self.until.setDate(QDate(start.year, start.month, start.day).addMonths(3))
        group = QButtonGroup(self)
        for button in (self.end_never, self.end_count, self.end_until):
            group.addButton(button)
        self.end_never.setChecked(True)
        ends.addWidget(QLabel("Ends:", self.ends))
        for widget in (self.end_never, self.end_count, self.count, self.end_until, self.until):
            ends.addWidget(widget)
        ends.addStretch(1)
        grid.addWidget(self.ends, 2, 0, 1, 2)
        self.summary = QLabel("", self)
        self.summary.setObjectName("recurrenceSummary")
        self.summary.setStyleSheet("color: #4a5568;")
        grid.addWidget(self.summary, 3, 0, 1, 2)
        self.kind.currentIndexChanged.connect(self._update)
        for widget in (self.interval, self.count):
            widget.valueChanged.connect(self._update)
        for box in [*self.day_boxes, self.end_never, self.end_count, self.end_until]:
            box.toggled.connect(self._update)
        self.until.dateChanged.connect(self._update)
        self._update()

    def set_start(self, start: date) -> None:
        self._start = start
        self._update()

    def set_recurrence(self, rec: Recurrence | None) -> None:
        if rec is None:
            self.kind.setCurrentIndex(0)
            return
        self.kind.setCurrentIndex(FREQS.index(rec.frequency))
        self.interval.setValue(max(rec.interval, 1))
        if rec.weekdays and rec.frequency is Frequency.WEEKLY:
            for n, box in enumerate(self.day_boxes):
                box.setChecked(n + 1 in rec.weekdays)
        if rec.count:
            self.end_count.setChecked(True)
            self.count.setValue(rec.count)
        elif rec.until:
            self.end_until.setChecked(True)
            self.until.setDate(QDate(rec.until.year, rec.until.month, rec.until.day))
        else:
            self.end_never.setChecked(True)
        self._update()

    def recurrence(self) -> Recurrence | None:
        freq = FREQS[self.kind.currentIndex()]
        if freq is None:
            return None
        start = self._start
        weekdays: tuple[int, ...] = ()
        if freq is Frequency.WEEKLY:
            weekdays = tuple(n + 1 for n, box in enumerate(self.day_boxes) if box.isChecked()) or (
                start.isoweekday(),)
        elif freq is Frequency.MONTHLY_BY_WEEKDAY:
            weekdays = (start.isoweekday(),)
        week = min((start.day - 1) // 7 + 1, 5) if freq is Frequency.MONTHLY_BY_WEEKDAY else 0
        until = self.until.date().toPython() if self.end_until.isChecked() else None
        return Recurrence(freq, interval=self.interval.value(), weekdays=weekdays,
                          day_of_month=start.day if freq in (Frequency.MONTHLY_BY_DATE, Frequency.YEARLY) else 0,
                          week_of_month=week, month=start.month if freq is Frequency.YEARLY else 0, start=start,
                          until=until, count=self.count.value() if self.end_count.isChecked() else 0)

    def _update(self) -> None:
        freq = FREQS[self.kind.currentIndex()]
        self.interval.setVisible(freq is not None)
        self.days.setVisible(freq is Frequency.WEEKLY)
        self.ends.setVisible(freq is not None)
        self.count.setEnabled(self.end_count.isChecked())
        self.until.setEnabled(self.end_until.isChecked())
        self.interval.setSuffix({Frequency.DAILY: " day(s)", Frequency.WEEKLY: " week(s)",
                                 Frequency.YEARLY: " year(s)"}.get(freq, " month(s)") if freq else "")
        self.summary.setText(describe(self.recurrence()) if freq else "")


def describe(rec: Recurrence | None) -> str:
    """"Every 2 weeks on Mon, Wed, Fri, 10 times"."""
    if rec is None:
        return "Does not repeat"
    n = rec.interval
    start = rec.start
    if rec.frequency is Frequency.DAILY:
        text = "Every day" if n == 1 else f"Every {n} days"
    elif rec.frequency is Frequency.WEEKLY:
        days = ", ".join(DAY_NAMES[d - 1] for d in rec.weekdays)
        text = ("Every week" if n == 1 else f"Every {n} weeks") + f" on {days}"
    elif rec.frequency is Frequency.MONTHLY_BY_DATE:
        text = ("Every month" if n == 1 else f"Every {n} months") + f" on day {rec.day_of_month}"
    elif rec.frequency is Frequency.MONTHLY_BY_WEEKDAY:
        day = DAY_NAMES[(rec.weekdays or (1,))[0] - 1]
        text = ("Every month" if n == 1 else f"Every {n} months") + \
            f" on the {ORDINALS[max(rec.week_of_month, 1) - 1]} {day}"
    else:
        when = f" on {start.day} {start:%B}" if start else ""
        text = ("Every year" if n == 1 else f"Every {n} years") + when
    if rec.count:
        return f"{text}, {rec.count} times"
    if rec.until:
        return f"{text}, until {rec.until.day} {rec.until:%b %Y}"
    return text
