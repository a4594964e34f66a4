"""The sidebar: mailboxes and their folders (:class:`~app.models.sidebar_model.SidebarModel`) in a tree.

It is also where dragged messages are dropped: onto a mail folder the user may add items to, in the same
mailbox or another; Ctrl while dropping copies instead of moving.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QWidget

from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.models.roles import Roles
from app.views.message_list_view import DraggedMessages


def drop_refusal(node: FolderNode | None, source: FolderRef, copy: bool) -> str:
    """Why messages from ``source`` cannot be dropped on ``node`` ("" when they can)."""
    if node is None:
        return "Drop messages on a folder."
    if node.kind not in (FolderKind.MAIL, FolderKind.OTHER):
        return f"{node.name} does not hold mail."
    if node.ref.key == source.key and not copy:
        return "The messages are already in this folder."
    if not node.rights.create_contents:
        return f"You cannot add items to {node.name}."
    return ""


class SidebarDelegate(QStyledItemDelegate):
    """Mailbox rows in bold with a little air above them; folder rows as the model draws them."""

    def initStyleOption(self, option: QStyleOptionViewItem, index: Any) -> None:  # noqa: N802 - Qt's name
        super().initStyleOption(option, index)
        if index.data(Roles.IsMailboxRole):
            option.font.setBold(True)

    def sizeHint(self, option: QStyleOptionViewItem, index: Any) -> QSize:  # noqa: N802 - Qt's name
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 24))


class SidebarView(QTreeView):
    """Folder tree of every open mailbox.

    Signals:
        folder_selected(FolderRef, MailboxRef): the user opened a folder.
        mailbox_selected(MailboxRef): the user selected a mailbox row.
        messages_dropped(FolderRef, list, FolderRef, bool): source folder, item ids, target folder, copy.
        drop_refused(str): why a drop is not possible there (for the status bar).
    """

    folder_selected = Signal(object, object)
    mailbox_selected = Signal(object)
    messages_dropped = Signal(object, list, object, bool)
    drop_refused = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sidebar")
        self.setAccessibleName("Mailboxes and folders")
        self.setHeaderHidden(True)
        self.setUniformRowHeights(True)
        self.setAnimated(True)
        self.setIndentation(14)
        self.setExpandsOnDoubleClick(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setDropIndicatorShown(True)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self._last_refusal = ""
        self.setItemDelegate(SidebarDelegate(self))
        self.setIconSize(QSize(18, 18))

    def setModel(self, model: Any) -> None:  # noqa: N802 - Qt's name
        super().setModel(model)
        if model is None:
            return
        self.selectionModel().currentChanged.connect(self._on_current)
        model.rowsInserted.connect(self._on_rows_inserted)

    # -- navigation ------------------------------------------------------------------------------------------
    def select_folder(self, ref: FolderRef) -> bool:
        """Make a folder current (opens it); returns whether it is in the tree."""
        index = self.model().folder_index(ref)
        if not index.isValid():
            return False
        self.expand(index.parent())
        self.setCurrentIndex(index)
        self.scrollTo(index)
        return True

    def current_folder(self) -> FolderRef | None:
        """The current row's folder, or None (a mailbox row or nothing)."""
        index = self.currentIndex()
        return index.data(Roles.FolderRefRole) if index.isValid() else None

    def current_mailbox(self) -> MailboxRef | None:
        """The mailbox of the current row (itself or the one holding the folder)."""
        index = self.currentIndex()
        return index.data(Roles.MailboxRole) if index.isValid() else None

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            return
        ref = current.data(Roles.FolderRefRole)
        mailbox = current.data(Roles.MailboxRole)
        if ref is not None:
            self.folder_selected.emit(ref, mailbox)
        elif mailbox is not None:
            self.mailbox_selected.emit(mailbox)

    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            return
        for row in range(first, last + 1):
            self.expand(self.model().index(row, 0))

    # -- drop ------------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        if DraggedMessages.from_mime(event.mimeData()) is None:
            event.ignore()
            return
        event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        dragged = DraggedMessages.from_mime(event.mimeData())
        if dragged is None:
            event.ignore()
            return
        copy = self._is_copy(event)
        refusal = self.refusal_at(event.position().toPoint(), dragged, copy)
        if refusal:
            if refusal != self._last_refusal:
                self._last_refusal = refusal
                self.drop_refused.emit(refusal)
            event.ignore()
            return
        self._last_refusal = ""
        event.setDropAction(Qt.DropAction.CopyAction if copy else Qt.DropAction.MoveAction)
        event.accept()
        super().dragMoveEvent(event)
        event.setDropAction(Qt.DropAction.CopyAction if copy else Qt.DropAction.MoveAction)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        dragged = DraggedMessages.from_mime(event.mimeData())
        if dragged is None:
            event.ignore()
            return
        copy = self._is_copy(event)
        if not self.drop_messages(event.position().toPoint(), dragged, copy):
            event.ignore()
            return
        event.setDropAction(Qt.DropAction.CopyAction if copy else Qt.DropAction.MoveAction)
        event.accept()

    def drop_messages(self, pos: QPoint, dragged: DraggedMessages, copy: bool) -> bool:
        """Handle messages dropped at ``pos`` (viewport coordinates); returns whether it was accepted."""
        refusal = self.refusal_at(pos, dragged, copy)
        if refusal:
            self.drop_refused.emit(refusal)
            return False
        node: FolderNode = self.indexAt(pos).data(Roles.FolderNodeRole)
        self.messages_dropped.emit(dragged.source, list(dragged.ids), node.ref, copy)
        return True

    def refusal_at(self, pos: QPoint, dragged: DraggedMessages, copy: bool) -> str:
        """Why the messages cannot be dropped at ``pos`` ("" when they can)."""
        index = self.indexAt(pos)
        node = index.data(Roles.FolderNodeRole) if index.isValid() else None
        return drop_refusal(node, dragged.source, copy)

    @staticmethod
    def _is_copy(event: QDropEvent | QDragMoveEvent) -> bool:
        return bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
