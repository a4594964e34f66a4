"""The message list: a QTableView over :class:`~app.models.message_list_model.MessageListModel`.

Rows are whole messages (multi-select with Shift/Ctrl), unread ones in bold (the model's font). Categories are
drawn as coloured chips; dragging selected rows carries their ids (:data:`MIME_TYPE`) to a sidebar folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QDrag, QFont, QFontMetrics, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionHeader,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from app.domain.folders import FolderRef
from app.domain.messages import MessageSummary
from app.models.message_list_model import Column
from app.models.roles import Roles
from app.views.item_paint import draw_item_without_text

MIME_TYPE = "application/x-mailroom-messages"
ModelIndex = QModelIndex | QPersistentModelIndex

_WIDTHS = {
    Column.FROM: 190,
    Column.RECEIVED: 128,
    Column.SIZE: 64,
    Column.CATEGORIES: 130,
    Column.FLAG: 30,
    Column.ATTACHMENT: 30,
}


@dataclass(frozen=True)
class DraggedMessages:
    """What a drag of messages carries: the folder they come from and their ids."""

    source: FolderRef
    ids: tuple[str, ...]

    def to_mime(self) -> QMimeData:
        data = QMimeData()
        payload = {
            "mailbox": self.source.mailbox,
            "folder_id": self.source.folder_id,
            "well_known": self.source.well_known,
            "ids": list(self.ids),
        }
        data.setData(MIME_TYPE, QByteArray(json.dumps(payload).encode("utf-8")))
        data.setText(f"{len(self.ids)} message(s)")
        return data

    @classmethod
    def from_mime(cls, data: QMimeData) -> DraggedMessages | None:
        if not data.hasFormat(MIME_TYPE):
            return None
        try:
            payload = json.loads(bytes(data.data(MIME_TYPE).data()).decode("utf-8"))
            source = FolderRef(
                payload["mailbox"], payload.get("folder_id", ""), payload.get("well_known", "")
            )
            return cls(source, tuple(str(i) for i in payload["ids"]))
        except (ValueError, KeyError, TypeError):
            return None


class CategoryChipDelegate(QStyledItemDelegate):
    """Paints a message's categories as rounded coloured chips (the colours of the mailbox's master list)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        chips = index.data(Roles.CategoriesRole) or ()
        draw_item_without_text(self, painter, option, index)
        if not chips:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setBold(False)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        metrics = QFontMetrics(font)
        rect: QRect = option.rect.adjusted(3, 4, -3, -4)
        x = rect.left()
        for name, color in chips:
            width = metrics.horizontalAdvance(name) + 12
            if x + min(width, 24) > rect.right():
                break
            chip = QRectF(x, rect.top(), min(width, rect.right() - x), rect.height())
            fill = QColor(color)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(chip, 4, 4)
            painter.setPen(QColor("#1f1f1f") if fill.lightnessF() > 0.55 else QColor("#ffffff"))
            text = metrics.elidedText(name, Qt.TextElideMode.ElideRight, int(chip.width()) - 8)
            painter.drawText(chip.adjusted(6, 0, -2, 0), Qt.AlignmentFlag.AlignVCenter, text)
            x += width + 4
        painter.restore()


class IconHeader(QHeaderView):
    """A horizontal header that draws some sections as an icon only (Flag, Attachment: too narrow for text)."""

    ICON_ONLY = (Column.FLAG, Column.ATTACHMENT)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)

    def paintSection(self, painter: QPainter, rect: QRect, logical: int) -> None:  # noqa: N802 - Qt's name
        if logical not in self.ICON_ONLY or self.model() is None:
            super().paintSection(painter, rect, logical)
            return
        option = QStyleOptionHeader()
        self.initStyleOptionForIndex(option, logical)
        option.rect = rect
        option.text = ""
        option.icon = (
            self.model().headerData(logical, Qt.Orientation.Horizontal, Qt.ItemDataRole.DecorationRole)
            or QIcon()
        )
        option.iconAlignment = Qt.AlignmentFlag.AlignCenter
        painter.save()
        self.style().drawControl(QStyle.ControlElement.CE_Header, option, painter, self)
        painter.restore()


class MessageListView(QTableView):
    """The list of messages of the open folder.

    Signals:
        current_changed(object): the current message's MessageSummary, or None.
        selection_changed(list): the selected MessageSummary objects (in row order).
        activated_message(object): Enter or double click on a message (MessageSummary).
    """

    current_changed = Signal(object)
    selection_changed = Signal(list)
    activated_message = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageList")
        self.setAccessibleName("Messages")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTabKeyNavigation(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setHorizontalHeader(IconHeader(self))
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(max(24, self.fontMetrics().height() + 10))
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(False)
        header.setSectionsMovable(True)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.setItemDelegateForColumn(Column.CATEGORIES, CategoryChipDelegate(self))
        self._folder: FolderRef | None = None
        self._placeholder = ""
        self.doubleClicked.connect(self._on_activated)

    # -- model -----------------------------------------------------------------------------------------------
    def setModel(self, model: Any) -> None:  # noqa: N802 - Qt's name
        super().setModel(model)
        if model is None:
            return
        header = self.horizontalHeader()
        for column, width in _WIDTHS.items():
            header.resizeSection(column, width)
        header.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)
        for column in (Column.FLAG, Column.ATTACHMENT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        header.setSortIndicator(
            model.sort_column(),
            Qt.SortOrder.DescendingOrder if model.query.descending else Qt.SortOrder.AscendingOrder,
        )
        self.setSortingEnabled(True)
        self.selectionModel().currentRowChanged.connect(self._on_current)
        self.selectionModel().selectionChanged.connect(self._on_selection)
        model.modelReset.connect(self._on_reset)
        model.rowsRemoved.connect(lambda *_: self._on_selection())

    def set_folder(self, folder: FolderRef | None) -> None:
        """The folder the rows come from (for drags)."""
        self._folder = folder

    def set_placeholder(self, text: str) -> None:
        """What an empty list says ("Loading …", "No messages", "No messages match “x”")."""
        self._placeholder = text
        self.viewport().update()

    # -- selection -------------------------------------------------------------------------------------------
    def selected_summaries(self) -> list[MessageSummary]:
        """The selected messages, in row order."""
        if self.selectionModel() is None:
            return []
        rows = sorted(i.row() for i in self.selectionModel().selectedRows())
        return [self.model().summary(r) for r in rows if r < self.model().rowCount()]

    def selected_ids(self) -> list[str]:
        """Ids of the selected messages."""
        return [m.item_id for m in self.selected_summaries()]

    def current_summary(self) -> MessageSummary | None:
        """The current (focused) message, or None."""
        index = self.currentIndex()
        if not index.isValid() or not self.selectionModel().isRowSelected(index.row(), QModelIndex()):
            return None
        return index.data(Roles.SummaryRole)

    def select_row(self, row: int) -> None:
        """Make ``row`` the current and only selected message."""
        index = self.model().index(row, Column.SUBJECT)
        if index.isValid():
            self.selectionModel().setCurrentIndex(
                index,
                self.selectionModel().SelectionFlag.ClearAndSelect | self.selectionModel().SelectionFlag.Rows,
            )
            self.scrollTo(index)

    def select_item(self, item_id: str) -> bool:
        """Select a message by id when loaded; returns whether it was."""
        row = self.model().row_of(item_id)
        if row >= 0:
            self.select_row(row)
        return row >= 0

    # -- drag ------------------------------------------------------------------------------------------------
    def startDrag(self, supported: Qt.DropAction) -> None:  # noqa: N802 - Qt's name
        ids = self.selected_ids()
        if not ids or self._folder is None:
            return
        drag = QDrag(self)
        drag.setMimeData(DraggedMessages(self._folder, tuple(ids)).to_mime())
        drag.setPixmap(self._drag_pixmap(len(ids)))
        drag.exec(Qt.DropAction.MoveAction | Qt.DropAction.CopyAction, Qt.DropAction.MoveAction)

    def _drag_pixmap(self, count: int) -> QPixmap:
        text = "1 message" if count == 1 else f"{count} messages"
        metrics = self.fontMetrics()
        pixmap = QPixmap(metrics.horizontalAdvance(text) + 20, metrics.height() + 10)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(self.palette().highlight())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(pixmap.rect(), 6, 6)
        painter.setPen(self.palette().highlightedText().color())
        painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
        painter.end()
        return pixmap

    # -- painting and keys -----------------------------------------------------------------------------------
    def paintEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0 and self._placeholder:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(0, 24, 0, 0),
                Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
                self._placeholder,
            )
            painter.end()

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            summary = self.current_summary()
            if summary is not None:
                self.activated_message.emit(summary)
                return
        super().keyPressEvent(event)

    # -- internals -------------------------------------------------------------------------------------------
    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_changed.emit(current.data(Roles.SummaryRole) if current.isValid() else None)

    def _on_selection(self, *_: object) -> None:
        self.selection_changed.emit(self.selected_summaries())

    def _on_reset(self) -> None:
        self.current_changed.emit(None)
        self.selection_changed.emit([])

    def _on_activated(self, index: QModelIndex) -> None:
        summary = index.data(Roles.SummaryRole)
        if summary is not None:
            self.activated_message.emit(summary)
