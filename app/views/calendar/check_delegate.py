"""The calendar list's check boxes in each calendar's own colour: ticked = a filled rounded square with a white
check mark, unticked = the same square outlined (Outlook's calendar list). The delegate paints the box where the
style puts an item's check indicator, so clicking it and Space still toggle the item through Qt's own handling."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

#: Item data role holding the calendar's QColor; items without one are painted as usual.
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 2
BOX = 14.0


def paint_check_box(p: QPainter, rect: QRectF, colour: QColor, checked: bool, enabled: bool = True) -> None:
    """A ``BOX``-sized check box centred in ``rect``: filled with ``colour`` and a check mark, or outlined."""
    box = QRectF(0, 0, BOX, BOX)
    box.moveCenter(rect.center())
    box.adjust(0.75, 0.75, -0.75, -0.75)  # the 1.5 px pen stays inside
    c = QColor(colour)
    if not enabled:
        c.setAlphaF(0.45)
    p.save()
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QPen(c, 1.5))
    p.setBrush(c if checked else QColor("#ffffff"))
    p.drawRoundedRect(box, 3, 3)
    if checked:
        mark = QPainterPath(QPointF(box.left() + box.width() * 0.22, box.top() + box.height() * 0.52))
        mark.lineTo(box.left() + box.width() * 0.42, box.top() + box.height() * 0.72)
        mark.lineTo(box.left() + box.width() * 0.78, box.top() + box.height() * 0.30)
        pen = QPen(QColor("#ffffff"), 2.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(mark)
    p.restore()


class ColourCheckDelegate(QStyledItemDelegate):
    """Paints checkable items that carry a :data:`COLOUR_ROLE` colour with :func:`paint_check_box`."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        colour = index.data(COLOUR_ROLE)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        if not isinstance(colour, QColor) or not opt.features & QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator:
            super().paint(painter, option, index)
            return
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        check = style.subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, widget)
        # The row (background, selection, icon, text) as usual, only without the style's own indicator:
        rest = QStyleOptionViewItem(opt)
        rest.features &= ~QStyleOptionViewItem.ViewItemFeature.HasCheckIndicator
        style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget)
        rest.rect.setLeft(check.right() + 1 + style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, opt, widget))
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, rest, painter, widget)
        paint_check_box(painter, QRectF(check), colour, opt.checkState == Qt.CheckState.Checked,
                        bool(opt.state & QStyle.StateFlag.State_Enabled))
