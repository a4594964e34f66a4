"""Colours and small painting helpers shared by the calendar views."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPen, QPixmap

from app.domain.calendar import BusyStatus

#: One colour per calendar, in the order calendars are listed (Outlook-like, readable with dark text on a tint).
PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#805ad5", "#b83280", "#2c7a7b", "#975a16", "#c53030")
TODAY = QColor("#2b6cb0")
NOW_LINE = QColor("#e53e3e")
GRID = QColor("#e2e8f0")
GRID_HOUR = QColor("#cbd5e0")
TEXT = QColor("#1a202c")
MUTED = QColor("#718096")
WEEKEND = QColor("#f7fafc")
OFF_HOURS = QColor("#f4f6f9")
SELECTED_DAY = QColor("#ebf4ff")


def colour(index: int) -> QColor:
    return QColor(PALETTE[index % len(PALETTE)])


def tint(base: QColor, busy: BusyStatus = BusyStatus.BUSY) -> QColor:
    """The fill of an event: a light tint of its calendar's colour (white for Free)."""
    if busy is BusyStatus.FREE:
        return QColor("#ffffff")
    c = QColor(base)
    c.setAlpha(255)
    return QColor.fromHsvF(c.hsvHueF() if c.hsvHueF() >= 0 else 0, min(c.hsvSaturationF(), 1) * 0.28, 0.98)


def swatch(base: QColor, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setBrush(base)
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(0, 0, size, size), 3, 3)
    p.end()
    return QIcon(pix)


def paint_block(p: QPainter, rect: QRectF, base: QColor, busy: BusyStatus, *, selected: bool = False,
                hidden_details: bool = False) -> None:
    """An event's box: tinted fill, a bar in the calendar's colour on the left, hatching when tentative or
    when only free/busy is visible."""
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor("#edf2f7") if hidden_details else tint(base, busy)
    p.setPen(QPen(base.darker(115) if selected else base.lighter(150), 2 if selected else 1))
    p.setBrush(fill)
    p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
    if hidden_details or busy in (BusyStatus.TENTATIVE, BusyStatus.OOF):
        pattern = QColor(base)
        pattern.setAlpha(70)
        p.setBrush(QBrush(pattern, Qt.BrushStyle.BDiagPattern))
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 3, 3)
    bar = QRectF(rect.left() + 1, rect.top() + 1, 4, max(rect.height() - 2, 1))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(base if busy is not BusyStatus.FREE else base.lighter(160))
    p.drawRoundedRect(bar, 2, 2)
    p.restore()
