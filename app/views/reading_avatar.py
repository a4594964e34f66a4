"""The sender's picture in the reading pane: a round badge with initials, its colour stable per address."""

from __future__ import annotations

import zlib

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QWidget

from app.domain.messages import Person
from app.views.reading_format import person_name

# Avatar colours: the darker half of Outlook's presets, so that white initials stay readable.
AVATAR_COLORS = ("#b52b37", "#d0671c", "#7c5436", "#2e8b2c", "#1f8c7e", "#2b5aad", "#6f43aa", "#99213f",
                 "#5587e3", "#6a7a85")  # fmt: skip


def initials(person: Person | None) -> str:
    """One or two letters for a person: "BB" for "Bob Baker", "B" for "bob@example.com", "?" for nobody."""
    name = person_name(person)
    words = [word for word in name.replace(",", " ").split() if word[:1].isalnum()]
    if not words:
        return "?"
    if "@" in name and len(words) == 1:
        return name[:1].upper()
    return (words[0][:1] + (words[-1][:1] if len(words) > 1 else "")).upper()


class Avatar(QLabel):
    """A round badge with the sender's initials (colour stable per address)."""

    SIZE = 40

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(self.SIZE, self.SIZE)
        self.setAccessibleName("Sender picture")

    def set_person(self, person: Person | None) -> None:
        """Paint the badge for ``person`` (a "?" badge for nobody)."""
        key = (person.address if person else "").casefold()
        color = QColor(AVATAR_COLORS[zlib.crc32(key.encode()) % len(AVATAR_COLORS)])
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(int(self.SIZE * ratio), int(self.SIZE * ratio))
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawEllipse(0, 0, self.SIZE, self.SIZE)
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(QRect(0, 0, self.SIZE, self.SIZE), Qt.AlignmentFlag.AlignCenter, initials(person))
        painter.end()
        self.setPixmap(pixmap)
