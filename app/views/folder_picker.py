""" "Move to…" / "Copy to…": pick a target folder in any open mailbox (the sidebar's tree)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTreeView, QVBoxLayout, QWidget

from app.domain.folders import FolderNode, FolderRef
from app.models.roles import Roles
from app.views.sidebar_view import drop_refusal


class FolderPickerDialog(QDialog):
    """Shows every open mailbox's folders; OK is enabled only on a folder the messages may go to.

    Args:
        model: The sidebar model (shared with the sidebar; the dialog only reads it).
        source: The folder the messages are in.
        copy: Copy instead of move (a copy may go to the same folder).
        count: How many messages, for the title.
        parent: Parent widget.
    """

    def __init__(
        self, model: Any, source: FolderRef, copy: bool, count: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("folderPickerDialog")
        what = "1 message" if count == 1 else f"{count} messages"
        self.setWindowTitle(f"{'Copy' if copy else 'Move'} {what} to — Mailroom")
        self.resize(380, 480)
        self._source = source
        self._copy = copy
        self.tree = QTreeView(self)
        self.tree.setObjectName("folderPickerTree")
        self.tree.setAccessibleName("Target folder")
        self.tree.setHeaderHidden(True)
        self.tree.setModel(model)
        self.tree.expandAll()
        self.reason = QLabel("", self)
        self.reason.setObjectName("folderPickerReason")
        self.reason.setWordWrap(True)
        self.reason.setStyleSheet("color: palette(placeholder-text);")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Copy here" if copy else "&Move here")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Choose where to {'copy' if copy else 'move'} {what}:"))
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self.tree.doubleClicked.connect(lambda _index: self.accept() if self.ok_button.isEnabled() else None)
        self._on_current(QModelIndex(), QModelIndex())

    def target(self) -> FolderRef | None:
        """The chosen folder, when it is a valid target."""
        node = self._node()
        if node is None or drop_refusal(node, self._source, self._copy):
            return None
        return node.ref

    def choose(self, ref: FolderRef) -> bool:
        """Select ``ref`` in the tree (for keyboard users and tests); returns whether it is a valid target."""
        index = self.tree.model().folder_index(ref)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        return self.target() is not None

    def _node(self) -> FolderNode | None:
        index = self.tree.currentIndex()
        return index.data(Roles.FolderNodeRole) if index.isValid() else None

    def _on_current(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        refusal = drop_refusal(self._node(), self._source, self._copy)
        self.ok_button.setEnabled(not refusal)
        self.reason.setText(refusal)
        self.reason.setVisible(bool(refusal))

    def accept(self) -> None:
        if self.target() is None:
            return
        super().accept()
