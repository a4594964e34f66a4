"""How the message list presents a row: its columns, their headers and the text, tooltip and sort value of a cell.

Split from :mod:`app.models.message_list_model` (which keeps the rows and the paging). ``data()`` runs for every
visible cell and role on each repaint, so the lookups here avoid per-call work: columns come from a tuple rather
than ``Column(col)`` and dates are formatted once per value (:class:`DateFormatter`).
"""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QDateTime, QLocale

from app.domain.messages import MessageSummary, SortField


class Column(enum.IntEnum):
    """The list's columns, in display order."""

    FROM = 0
    SUBJECT = 1
    RECEIVED = 2
    SIZE = 3
    CATEGORIES = 4
    FLAG = 5
    ATTACHMENT = 6


COLUMNS: tuple[Column, ...] = tuple(Column)
"""``COLUMNS[i] is Column(i)``, without constructing the enum on every call."""
HEADERS = {
    Column.FROM: "From",
    Column.SUBJECT: "Subject",
    Column.RECEIVED: "Received",
    Column.SIZE: "Size",
    Column.CATEGORIES: "Categories",
    Column.FLAG: "Flag",
    Column.ATTACHMENT: "Attachment",
}
# Columns the server can sort by; the others keep the current order.
SORT_FIELDS = {
    Column.FROM: SortField.SENDER,
    Column.SUBJECT: SortField.SUBJECT,
    Column.RECEIVED: SortField.RECEIVED,
    Column.SIZE: SortField.SIZE,
}


def format_size(size: int) -> str:
    """Bytes as the list shows them: "812 B", "14 KB", "2.3 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class DateFormatter:
    """The Received column's text: the time for today's mail, else the short date and time (in ``locale``).

    Formatting through QDateTime and QLocale costs several microseconds and runs for every visible row on every
    repaint, so each value's text is kept until the local date changes (then "today" means another day).

    Args:
        locale: The locale to format in.
        limit: Texts kept at most (the cache starts afresh beyond it).
    """

    def __init__(self, locale: QLocale, limit: int = 50_000) -> None:
        self.locale = locale
        self._limit = limit
        self._texts: dict[datetime, str] = {}
        self._today = datetime.now().astimezone().date()
        self._day_ends = 0.0  # time.time() at the next local midnight

    def __call__(self, when: datetime | None) -> str:
        if when is None:
            return ""
        if time.time() >= self._day_ends:
            self._new_day()
        text = self._texts.get(when)
        if text is None:
            if len(self._texts) >= self._limit:
                self._texts.clear()
            text = self._texts[when] = self._format(when)
        return text

    def long(self, when: datetime) -> str:
        """The tooltip's long form (not cached: one cell at a time)."""
        return self.locale.toString(QDateTime(when.astimezone()), QLocale.FormatType.LongFormat)

    def _format(self, when: datetime) -> str:
        local = when.astimezone()
        dt = QDateTime(local)
        if local.date() == self._today:
            return self.locale.toString(dt.time(), QLocale.FormatType.ShortFormat)
        return self.locale.toString(dt, QLocale.FormatType.ShortFormat)

    def _new_day(self) -> None:
        self._texts.clear()
        now = datetime.now().astimezone()
        self._today = now.date()
        midnight = datetime.combine(self._today + timedelta(days=1), datetime.min.time())
        self._day_ends = midnight.astimezone().timestamp()  # a naive time is read as local time


def display_text(m: MessageSummary, column: Column, dates: DateFormatter) -> str | None:
    """The text of a cell (DisplayRole)."""
    if column == Column.FROM:
        if m.sender is None:
            return ""
        return m.sender.name or m.sender.address
    if column == Column.SUBJECT:
        return m.subject or "(no subject)"
    if column == Column.RECEIVED:
        return dates(m.received)
    if column == Column.SIZE:
        return format_size(m.size)
    if column == Column.CATEGORIES:
        return ", ".join(m.categories)
    return None


def tooltip_text(m: MessageSummary, column: Column, dates: DateFormatter, accessible: bool) -> str | None:
    """A cell's tooltip, or its text for screen readers (``accessible``: never None for icons)."""
    if column == Column.FROM and m.sender is not None:
        return str(m.sender)
    if column == Column.FLAG:
        return "Flagged for follow-up" if m.flagged else ("Not flagged" if accessible else None)
    if column == Column.ATTACHMENT:
        return "Has attachments" if m.has_attachments else ("No attachments" if accessible else None)
    if column == Column.RECEIVED and m.received is not None:
        return dates.long(m.received)
    text = display_text(m, column, dates)
    if accessible and column == Column.SUBJECT and not m.is_read:
        return f"{text} (unread)"
    return text or None


def raw_value(m: MessageSummary, column: Column) -> Any:
    """A cell's value for sorting on the client (SortValueRole)."""
    if column == Column.FROM:
        return (m.sender.name or m.sender.address) if m.sender else ""
    if column == Column.SUBJECT:
        return m.subject
    if column == Column.RECEIVED:
        return m.received
    if column == Column.SIZE:
        return m.size
    if column == Column.CATEGORIES:
        return m.categories
    if column == Column.FLAG:
        return m.flagged
    return m.has_attachments


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def sort_key(m: MessageSummary, sort: SortField) -> Any:
    """Where a row goes in the server's sort order (to insert new mail in place)."""
    if sort == SortField.RECEIVED:
        return m.received or _EPOCH
    if sort == SortField.SUBJECT:
        return m.subject.casefold()
    if sort == SortField.SENDER:
        return (m.sender.name or m.sender.address).casefold() if m.sender else ""
    if sort == SortField.SIZE:
        return m.size
    return {"Low": 0, "Normal": 1, "High": 2}.get(m.importance, 1)
