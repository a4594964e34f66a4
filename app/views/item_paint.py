"""Painting helpers for item delegates that draw their own content over the style's item background."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem


def draw_item_without_text(delegate: QStyledItemDelegate, painter: QPainter, option: QStyleOptionViewItem,
                           index: Any) -> tuple[QStyleOptionViewItem, QStyle | None]:
    """Draw an item as the style does (background, selection, focus, check box) but without its text.

    Args:
        delegate: The delegate painting (its ``initStyleOption`` fills the option in from the index).
        painter: The painter.
        option: The option the view passed to ``paint``.
        index: The item's model index.

    Returns:
        The filled-in option and the widget's style (None when the option has no widget: nothing was drawn).
    """
    opt = QStyleOptionViewItem(option)
    delegate.initStyleOption(opt, index)
    opt.text = ""
    style = opt.widget.style() if opt.widget is not None else None
    if style is not None:
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
    return opt, style
