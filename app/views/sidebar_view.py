"""The sidebar: mailboxes and their folders (:class:`~app.models.sidebar_model.SidebarModel`) in a tree.

It is also where dragged messages are dropped: onto a mail folder the user may add items to, in the same
mailbox or another; Ctrl while dropping copies instead of moving. Folders are dragged onto another folder (or a
mailbox row, for the top level) of the same mailbox to move them, where the rights allow
(:func:`app.domain.folder_actions.move_refusal`).

When a mailbox's folders are listed again (a new, renamed or moved folder), the model rebuilds that mailbox's
rows; the view keeps which folders were expanded and which one was current.

A mailbox that could not be opened shows a warning, the reason (tooltip) and a Retry button in its row
(:class:`UnavailableMailboxRow`); the view's "Retry opening" action (in the sidebar's menu) does the same for the
current row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QByteArray, QMimeData, QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDrag, QDragEnterEvent, QDragMoveEvent, QDropEvent, QFont, QMouseEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QTreeView,
    QWidget,
)

from app.domain.folder_actions import FolderTarget, move_refusal
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.models.roles import Roles
from app.views.message_list_view import DraggedMessages

FOLDER_MIME_TYPE = "application/x-mailroom-folder"


@dataclass(frozen=True)
class DraggedFolder:
    """What a drag of a folder in the sidebar carries."""

    source: FolderRef

    def to_mime(self) -> QMimeData:
        data = QMimeData()
        payload = {"mailbox": self.source.mailbox, "folder_id": self.source.folder_id}
        data.setData(FOLDER_MIME_TYPE, QByteArray(json.dumps(payload).encode("utf-8")))
        return data

    @classmethod
    def from_mime(cls, data: QMimeData) -> DraggedFolder | None:
        if not data.hasFormat(FOLDER_MIME_TYPE):
            return None
        try:
            payload = json.loads(bytes(data.data(FOLDER_MIME_TYPE).data()).decode("utf-8"))
            return cls(FolderRef(str(payload["mailbox"]), str(payload["folder_id"])))
        except (ValueError, KeyError, TypeError):
            return None


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


class UnavailableMailboxRow(QWidget):
    """Shown over the text of a mailbox row that could not be opened: the name and a Retry button (the model's
    warning icon stays beside it).

    Signals:
        retry_clicked(str): the mailbox's address.
    """

    retry_clicked = Signal(str)

    def __init__(self, mailbox: MailboxRef, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unavailableMailbox")
        self.setAutoFillBackground(True)  # hide the delegate's painting under it
        self.address = mailbox.address
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(4)
        self.name_label = QLabel(mailbox.display_name, self)
        font = QFont(self.name_label.font())
        font.setBold(True)
        self.name_label.setFont(font)
        self.retry_button = QToolButton(self)
        self.retry_button.setObjectName("retryMailbox")
        self.retry_button.setText("Retry")
        self.retry_button.setAccessibleName(f"Retry opening {mailbox.display_name}")
        self.retry_button.clicked.connect(lambda: self.retry_clicked.emit(self.address))
        layout.addWidget(self.name_label, 1)
        layout.addWidget(self.retry_button)
        self.set_state(reason)

    def set_state(self, reason: str, retrying: bool = False) -> None:
        """Show why the mailbox could not be opened (tooltip, accessible description) and whether it is being
        tried again (the button then waits)."""
        self.reason = reason
        text = f"Could not be opened: {reason}"
        self.setToolTip(text)
        self.name_label.setToolTip(text)
        self.retry_button.setText("Trying…" if retrying else "Retry")
        self.retry_button.setEnabled(not retrying)
        self.retry_button.setToolTip(f"{text}\n" + ("Trying again …" if retrying else "Try again now."))
        self.setAccessibleDescription(text)


class SidebarView(QTreeView):
    """Folder tree of every open mailbox.

    Signals:
        folder_selected(FolderRef, MailboxRef): the user opened a folder.
        mailbox_selected(MailboxRef): the user selected a mailbox row.
        messages_dropped(FolderRef, list, FolderRef, bool): source folder, item ids, target folder, copy.
        folder_dropped(FolderNode, FolderTarget): a folder was dropped where it may move.
        drop_refused(str): why a drop is not possible there (for the status bar).
        context_menu_requested(QPoint): right-click (global position) on the row that is now current.
        retry_requested(str): the user asked to try again to open the mailbox with this address.
    """

    folder_selected = Signal(object, object)
    mailbox_selected = Signal(object)
    messages_dropped = Signal(object, list, object, bool)
    folder_dropped = Signal(object, object)
    drop_refused = Signal(str)
    context_menu_requested = Signal(QPoint)
    retry_requested = Signal(str)

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
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)
        self._last_refusal = ""
        self._press: tuple[QPoint, FolderRef] | None = None
        self._kept: dict[str, tuple[set[tuple[str, str]], FolderRef | None]] = {}
        self._rebuilding = False
        self.setItemDelegate(SidebarDelegate(self))
        self.setIconSize(QSize(18, 18))
        self.retry_action = QAction("Retry opening", self)
        self.retry_action.setObjectName("retryMailboxAction")
        self.retry_action.setToolTip("Try again to open this mailbox.")
        self.retry_action.setVisible(False)
        self.retry_action.triggered.connect(self._retry_current)
        self.addAction(self.retry_action)

    def setModel(self, model: Any) -> None:  # noqa: N802 - Qt's name
        if model is not None:
            # Before the view's own connections: the selection model moves "current" off rows about to go.
            model.rowsAboutToBeRemoved.connect(self._on_rows_about_to_be_removed)
            model.rowsRemoved.connect(self._on_rows_removed)
        super().setModel(model)
        if model is None:
            return
        self.selectionModel().currentChanged.connect(self._on_current)
        model.rowsInserted.connect(self._on_rows_inserted)
        for signal in (model.rowsInserted, model.rowsRemoved, model.dataChanged, model.layoutChanged,
                       model.modelReset):
            signal.connect(self._sync_unavailable)

    # -- mailboxes that could not be opened --------------------------------------------------------------------
    def unavailable_row(self, address: str) -> UnavailableMailboxRow | None:
        """The widget over an unavailable mailbox's row, or None."""
        index = self.model().mailbox_index(address)
        widget = self.indexWidget(index) if index.isValid() else None
        return widget if isinstance(widget, UnavailableMailboxRow) else None

    def _sync_unavailable(self, *_: object) -> None:
        """Put a Retry row over each unavailable mailbox, take it away from the others (a few top rows)."""
        model = self.model()
        if model is None:
            return
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            reason = index.data(Roles.MailboxErrorRole) or ""
            widget = self.indexWidget(index)
            if reason and isinstance(widget, UnavailableMailboxRow):
                widget.set_state(reason, bool(index.data(Roles.MailboxRetryingRole)))
            elif reason:
                widget = UnavailableMailboxRow(index.data(Roles.MailboxRole), reason)
                widget.retry_clicked.connect(self.retry_requested)
                self.setIndexWidget(index, widget)
            elif widget is not None:
                self.setIndexWidget(index, None)  # deletes it
        self._update_retry_action()

    def _update_retry_action(self) -> None:
        index = self.currentIndex()
        unavailable = bool(index.isValid() and index.data(Roles.IsMailboxRole) and index.data(Roles.MailboxErrorRole))
        self.retry_action.setVisible(unavailable)
        self.retry_action.setEnabled(unavailable)

    def _retry_current(self) -> None:
        index = self.currentIndex()
        if index.isValid() and index.data(Roles.MailboxErrorRole):
            self.retry_requested.emit(index.data(Roles.MailboxRole).address)

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

    def target(self) -> FolderTarget | None:
        """What folder commands act on: the current folder, or the current mailbox row's top level."""
        return self.target_at(self.currentIndex())

    def target_at(self, index: QModelIndex) -> FolderTarget | None:
        """The folder (or mailbox top level) of a row, with the mailbox's access."""
        if not index.isValid():
            return None
        mailbox: MailboxRef | None = index.data(Roles.MailboxRole)
        if mailbox is None:
            return None
        tree = self.model().tree(mailbox.address)
        full = bool(getattr(tree, "full_access", False))
        return FolderTarget(mailbox.address, mailbox.display_name, index.data(Roles.FolderNodeRole), full)

    def _on_context_menu(self, pos: QPoint) -> None:
        index = self.indexAt(pos)
        if index.isValid() and index != self.currentIndex():
            self.setCurrentIndex(index)
        self.context_menu_requested.emit(self.viewport().mapToGlobal(pos))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._update_retry_action()
        if not current.isValid() or self._rebuilding:
            return
        ref = current.data(Roles.FolderRefRole)
        mailbox = current.data(Roles.MailboxRole)
        if ref is not None:
            self.folder_selected.emit(ref, mailbox)
        elif mailbox is not None:
            self.mailbox_selected.emit(mailbox)

    def _on_rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if parent.isValid():
            self._restore(parent)
            return
        for row in range(first, last + 1):
            self.expand(self.model().index(row, 0))

    # -- keeping expansion and the current folder across a mailbox's rebuild -----------------------------------------
    def _on_rows_about_to_be_removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid() or not parent.data(Roles.IsMailboxRole):
            return
        mailbox: MailboxRef = parent.data(Roles.MailboxRole)
        expanded: set[tuple[str, str]] = set()
        stack = [self.model().index(r, 0, parent) for r in range(first, last + 1)]
        while stack:
            index = stack.pop()
            if self.isExpanded(index):
                expanded.add(index.data(Roles.FolderRefRole).key)
            stack.extend(self.model().index(r, 0, index) for r in range(self.model().rowCount(index)))
        current = self.current_folder()
        keep = current if current is not None and current.mailbox.casefold() == mailbox.key else None
        self._kept[mailbox.key] = (expanded, keep)
        if keep is not None:
            self._rebuilding = True  # the current row goes: Qt moves "current" elsewhere, which opens nothing

    def _on_rows_removed(self, *_: object) -> None:
        if self._rebuilding:  # no rows come back (the mailbox has no folders left): stop ignoring
            QTimer.singleShot(0, self._end_rebuild)

    def _end_rebuild(self) -> None:
        self._rebuilding = False

    def _restore(self, parent: QModelIndex) -> None:
        if not parent.data(Roles.IsMailboxRole):
            return
        mailbox: MailboxRef = parent.data(Roles.MailboxRole)
        kept = self._kept.pop(mailbox.key, None)
        if kept is None:
            return
        expanded, current = kept
        model = self.model()
        stack = [model.index(r, 0, parent) for r in range(model.rowCount(parent))]
        while stack:
            index = stack.pop()
            ref = index.data(Roles.FolderRefRole)
            if ref is not None and ref.key in expanded:
                self.expand(index)
            stack.extend(model.index(r, 0, index) for r in range(model.rowCount(index)))
        if current is not None:
            self._rebuilding = False
            index = model.folder_index(current)
            if index.isValid():
                ancestor = index.parent()
                while ancestor.isValid():
                    self.expand(ancestor)
                    ancestor = ancestor.parent()
                self.setCurrentIndex(index)
            else:  # the folder is gone: the mailbox row
                self.setCurrentIndex(parent)

    # -- dragging a folder ------------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        super().mousePressEvent(event)
        index = self.indexAt(event.position().toPoint())
        ref = index.data(Roles.FolderRefRole) if index.isValid() else None
        movable = event.button() == Qt.MouseButton.LeftButton and ref is not None and not ref.well_known
        self._press = (event.position().toPoint(), ref) if movable else None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        press = self._press
        if press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            moved = (event.position().toPoint() - press[0]).manhattanLength()
            if moved >= QApplication.startDragDistance():
                self._press = None
                drag = QDrag(self)
                drag.setMimeData(DraggedFolder(press[1]).to_mime())
                drag.exec(Qt.DropAction.MoveAction)
                return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        self._press = None
        super().mouseReleaseEvent(event)

    def folder_refusal_at(self, pos: QPoint, dragged: DraggedFolder) -> str:
        """Why the dragged folder cannot be moved to the row at ``pos`` ("" when it can)."""
        source = self.model().folder_node(dragged.source)
        target = self.target_at(self.indexAt(pos))
        if source is None:
            return "That folder is no longer in the sidebar."
        if target is None:
            return "Drop the folder on another folder, or on a mailbox for its top level."
        tree = self.model().tree(target.mailbox)
        return move_refusal(list(getattr(tree, "folders", [])), source, target)

    def drop_folder(self, pos: QPoint, dragged: DraggedFolder) -> bool:
        """Handle a folder dropped at ``pos`` (viewport coordinates); returns whether it was accepted."""
        refusal = self.folder_refusal_at(pos, dragged)
        if refusal:
            self.drop_refused.emit(refusal)
            return False
        self.folder_dropped.emit(self.model().folder_node(dragged.source), self.target_at(self.indexAt(pos)))
        return True

    # -- drop ------------------------------------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        data = event.mimeData()
        if DraggedMessages.from_mime(data) is None and DraggedFolder.from_mime(data) is None:
            event.ignore()
            return
        event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt's name
        pos = event.position().toPoint()
        folder = DraggedFolder.from_mime(event.mimeData())
        dragged = DraggedMessages.from_mime(event.mimeData()) if folder is None else None
        if folder is not None:
            copy, refusal = False, self.folder_refusal_at(pos, folder)
        elif dragged is not None:
            copy = self._is_copy(event)
            refusal = self.refusal_at(pos, dragged, copy)
        else:
            event.ignore()
            return
        self._refuse_or_accept(event, refusal, copy)
        if not refusal:
            super().dragMoveEvent(event)  # the drop indicator (it may ignore the event: accept it again)
            self._refuse_or_accept(event, "", copy)

    def _refuse_or_accept(self, event: QDragMoveEvent, refusal: str, copy: bool) -> None:
        if refusal:
            if refusal != self._last_refusal:
                self._last_refusal = refusal
                self.drop_refused.emit(refusal)
            event.ignore()
            return
        self._last_refusal = ""
        event.setDropAction(Qt.DropAction.CopyAction if copy else Qt.DropAction.MoveAction)
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        folder = DraggedFolder.from_mime(event.mimeData())
        if folder is not None:
            if self.drop_folder(event.position().toPoint(), folder):
                event.setDropAction(Qt.DropAction.MoveAction)
                event.accept()
            else:
                event.ignore()
            return
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
