"""Driving the Calendar mode of the real window in pytest-qt tests: open the pane, find calendars and events,
fill the event dialog, answer the "this occurrence or the whole series?" box, and read back over EWS.

Every wait is a ``qtbot.waitUntil`` / ``waitSignal`` on what the window shows; nothing sleeps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QPoint, Qt, QTimer, QTimeZone
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox, QWidget

from tests.support.app_driver import WAIT_MS, Driver
from tests.support.emulator import account


def open_calendar(d: Driver, *mailboxes: str) -> Any:
    """Show the Calendar mode once these mailboxes are open and wait until every ticked calendar has loaded."""
    wanted = {m.casefold() for m in mailboxes}

    def opened() -> bool:
        shown = {m.address.casefold() for m in d.app.sidebar_model.mailboxes()}
        return wanted <= shown and not d.app.mailboxes.is_loading()

    d.qtbot.waitUntil(opened, timeout=WAIT_MS)
    pane = d.window.calendar.show()
    d.qtbot.waitUntil(lambda: all(pane.calendar_named(m) is not None for m in mailboxes), timeout=WAIT_MS)
    wait_loaded(d, pane)
    return pane


def wait_loaded(d: Driver, pane: Any) -> None:
    d.qtbot.waitUntil(lambda: bool(pane.checked) and pane.loaded >= pane.checked, timeout=WAIT_MS)


def show_day(d: Driver, pane: Any, day: date) -> None:
    """Move the (week) view to ``day``'s period and wait for it."""
    pane.set_anchor(day)
    wait_loaded(d, pane)


def placed(pane: Any, mailbox: str, subject: str) -> list[Any]:
    """The events of ``mailbox``'s calendar with this subject laid out in the time grid now."""
    key = pane.calendar_named(mailbox).folder.key
    return [p for p in pane.grid.layout_model.timed if p.key == key and p.event.subject == subject]


def double_click(d: Driver, grid: Any, item: Any) -> None:
    """Double-click an event where the grid paints it (scrolled into view first)."""
    grid.scroll_to_hour(max(item.top / 60 - 1, 0))
    rect = grid.placed_rect(item)
    QTest.mouseDClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rect.center().toPoint())


def last_dialog(d: Driver, pane: Any, object_name: str) -> Any:
    """Wait for the newest dialog the calendar commands opened with this object name."""
    def find() -> Any:
        return next((w for w in reversed(pane.commands.dialogs) if w.objectName() == object_name
                     and w.isVisible()), None)

    d.qtbot.waitUntil(lambda: find() is not None, timeout=WAIT_MS)
    return find()


def wait_closed(d: Driver, pane: Any, dialog: QWidget) -> None:
    d.qtbot.waitUntil(lambda: dialog not in pane.commands.dialogs, timeout=WAIT_MS)


def set_when(dialog: Any, start: datetime, end: datetime | None = None) -> None:
    """Type a start (and end) into the event dialog's date-time fields (wall clock of the dialog's zone)."""
    local = start.astimezone(dialog.tz)
    dialog.start.setDateTime(QDateTime(local.date(), local.time(), QTimeZone.utc()))
    if end is not None:
        local_end = end.astimezone(dialog.tz)
        dialog.end.setDateTime(QDateTime(local_end.date(), local_end.time(), QTimeZone.utc()))


def click(d: Driver, button: QAbstractButton) -> None:
    assert button.isVisible() and button.isEnabled(), f"{button.text()!r} cannot be clicked"
    d.qtbot.mouseClick(button, Qt.MouseButton.LeftButton, pos=QPoint(button.width() // 2, button.height() // 2))


def answer_message_box(d: Driver, button_text: str, seen: list[str]) -> None:
    """When the next modal message box shows, click its button ``button_text`` (its text goes to ``seen``)."""
    def click_it() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click_it)
            return
        seen.append(box.text())
        button = next(b for b in box.buttons() if b.text() == button_text)
        button.click()

    QTimer.singleShot(0, click_it)


# -- reading back over EWS (what the server stored, not what the app believes) -----------------------------------
def ews(emu: Any, user: str, mailbox: str | None = None) -> Any:
    """An exchangelib Account of ``mailbox`` signed in as ``user``."""
    return account(emu, user, mailbox)


def view(acc: Any, start: datetime, end: datetime, subject: str | None = None) -> list[Any]:
    """The calendar's events and occurrences in ``[start, end)`` (CalendarView), optionally one subject only."""
    from exchangelib import EWSDateTime

    items = acc.calendar.view(start=EWSDateTime.from_datetime(start.astimezone(UTC)),
                              end=EWSDateTime.from_datetime(end.astimezone(UTC)))
    out = [i for i in items.only("subject", "start", "end", "type", "legacy_free_busy_status")]
    return [i for i in out if subject is None or i.subject == subject]


def utc(value: Any) -> datetime:
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def next_weekday(day: date, weekday: int) -> date:
    """The first ``weekday`` (0 = Monday) on or after ``day``."""
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def until(d: Driver, condition: Callable[[], bool]) -> None:
    d.qtbot.waitUntil(condition, timeout=WAIT_MS)
