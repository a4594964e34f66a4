"""Pure formatting for the reading pane: sizes, timestamps and names as people read them."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDateTime, QLocale

from app.domain.messages import MessageDetail, Person


def format_size(size: int) -> str:
    """A size as people read it: "912 bytes", "12 KB", "1.4 MB" (powers of 1024, as Windows shows them)."""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if value >= 10 or unit == "KB" else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def format_when(moment: datetime, locale: QLocale | None = None) -> str:
    """A timestamp in local time, e.g. "Wed 26 Nov 2026 14:03" (names and time format from the locale)."""
    locale = locale or QLocale()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the domain's datetimes are UTC
    stamp = QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000))  # local time
    return f"{locale.toString(stamp.date(), 'ddd d MMM yyyy')} {locale.toString(stamp.time(), QLocale.FormatType.ShortFormat)}"


def person_name(person: Person | None) -> str:
    """The name to show for a person: the display name, else the address ("" for nobody)."""
    if person is None:
        return ""
    return person.name or person.address


def sender_line(detail: MessageDetail) -> str:
    """The From line as plain text: "Sales Team", or "Bob Baker on behalf of Sales Team"."""
    if detail.on_behalf:
        return f"{person_name(detail.sender)} on behalf of {person_name(detail.author)}"
    return person_name(detail.author or detail.sender) or "(unknown sender)"
