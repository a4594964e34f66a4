"""The category chips under the subject: one coloured label per category, in the mailbox's colours."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFontMetrics
from PySide6.QtWidgets import QLabel, QWidget

from app.domain.categories import Category, color_for
from app.views.reading_flow_layout import FlowLayout


def chip_text_color(background: str) -> str:
    """Dark or white text, whichever reads better on ``background``."""
    color = QColor(background)
    luminance = 0.2126 * color.redF() + 0.7152 * color.greenF() + 0.0722 * color.blueF()
    return "#1f2328" if luminance > 0.6 else "#ffffff"


class CategoryChips(QWidget):
    """A message's categories as rounded chips that wrap; hidden when there are none."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("categoryChips")
        self.setAccessibleName("Categories")
        self._flow = FlowLayout(self, spacing=6)

    def show_categories(self, names: Iterable[str], master: dict[str, Category]) -> None:
        """Show a chip per name, coloured from the master category list (keyed by casefolded name)."""
        self._flow.clear()
        names = list(names)
        for name in names:
            chip = QLabel(name, self)
            chip.setObjectName("categoryChip")
            chip.setTextFormat(Qt.TextFormat.PlainText)
            chip.setAccessibleName(f"Category {name}")
            background = color_for(name, master)
            font = chip.font()
            font.setPointSizeF(font.pointSizeF() * 0.9)
            chip.setFont(font)
            # Qt draws square corners when the radius exceeds half the height: derive it from the font.
            radius = (QFontMetrics(font).height() + 2 * 2 + 2) // 2 - 1
            chip.setStyleSheet(
                f"background:{background}; color:{chip_text_color(background)};"
                f"border:1px solid {background}; border-radius:{radius}px; padding:2px 9px;"
            )
            self._flow.addWidget(chip)
        self.setVisible(bool(names))

    def chips(self) -> list[QLabel]:
        """The chips, in order."""
        return [w for w in self._flow.widgets() if isinstance(w, QLabel)]
