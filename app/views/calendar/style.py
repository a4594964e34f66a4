"""Colours and small painting helpers shared by the calendar views."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

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


@dataclass(frozen=True)
class BlockColours:
    """The pens and brushes of an event's box (made once per calendar colour and status, not per paint)."""

    border: QPen
    border_selected: QPen
    fill: QColor
    bar: QColor
    hatch: QBrush | None  # tentative / out of office / free-busy only


def block_colours(base: QColor, busy: BusyStatus, hidden_details: bool = False) -> BlockColours:
    """The (cached) colours of an event box of a calendar coloured ``base``; do not modify what it returns."""
    return _block_colours(base.rgba(), busy, hidden_details)


@lru_cache(maxsize=256)
def _block_colours(rgba: int, busy: BusyStatus, hidden_details: bool) -> BlockColours:
    base = QColor.fromRgba(rgba)
    hatch = None
    if hidden_details or busy in (BusyStatus.TENTATIVE, BusyStatus.OOF):
        pattern = QColor(base)
        pattern.setAlpha(70)
        hatch = QBrush(pattern, Qt.BrushStyle.BDiagPattern)
    return BlockColours(QPen(base.lighter(150), 1), QPen(base.darker(115), 2),
                        QColor("#edf2f7") if hidden_details else tint(base, busy),
                        QColor(base) if busy is not BusyStatus.FREE else base.lighter(160), hatch)


def paint_block(p: QPainter, rect: QRectF, base: QColor, busy: BusyStatus, *, selected: bool = False,
                hidden_details: bool = False) -> None:
    """An event's box: tinted fill, a bar in the calendar's colour on the left, hatching when tentative or
    when only free/busy is visible."""
    colours = block_colours(base, busy, hidden_details)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(colours.border_selected if selected else colours.border)
    p.setBrush(colours.fill)
    p.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
    if colours.hatch is not None:
        p.setBrush(colours.hatch)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 3, 3)
    bar = QRectF(rect.left() + 1, rect.top() + 1, 4, max(rect.height() - 2, 1))
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colours.bar)
    p.drawRoundedRect(bar, 2, 2)
    p.restore()


def paint_slivers(p: QPainter, rects: Sequence[QRectF], colours: BlockColours) -> None:
    """Many narrow event boxes of one look at once (a dense day: no room for text or round corners).

    The same parts as :func:`paint_block` (fill and border, hatching, the bar), one batched draw call each.
    """
    if not rects:
        return
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    p.setPen(colours.border)
    p.setBrush(colours.fill)
    p.drawRects([r.adjusted(0.5, 0.5, -0.5, -0.5) for r in rects])
    p.setPen(Qt.PenStyle.NoPen)
    if colours.hatch is not None:
        p.setBrush(colours.hatch)
        p.drawRects([r.adjusted(1, 1, -1, -1) for r in rects])
    p.setBrush(colours.bar)
    p.drawRects([QRectF(r.left() + 1, r.top() + 1, min(4.0, max(r.width() - 2, 1)), max(r.height() - 2, 1))
                 for r in rects])
    p.restore()
