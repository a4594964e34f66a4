""" "My access": what the user may do in each folder of a mailbox, and what is known of the send rights."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.folders import FolderNode
from app.domain.rights import SendRight, describe_folder_access
from app.views.open_mailbox_dialog import access_sentence

_SEND = {
    SendRight.OWN: "This is your own mailbox: mail you send goes out from it.",
    SendRight.SEND_AS: "Send As: mail you send from this mailbox shows only its address as the sender.",
    SendRight.SEND_ON_BEHALF: "Send on Behalf: mail you send from this mailbox shows “you on behalf of” it.",
    SendRight.NONE: "You may not send from this mailbox.",
    SendRight.UNKNOWN: "Unknown until you first send from this mailbox (Exchange does not tell delegates "
    "in advance).",
}


def folder_rows(folders: list[FolderNode]) -> list[tuple[int, FolderNode]]:
    """The folders in tree order (well-known first, subfolders under their parent) with their depth."""
    ids = {f.ref.folder_id for f in folders if f.ref.folder_id}
    children: dict[str, list[FolderNode]] = {}
    for folder in folders:
        parent = folder.parent_id if folder.parent_id in ids else ""
        children.setdefault(parent, []).append(folder)
    rows: list[tuple[int, FolderNode]] = []

    def walk(parent: str, depth: int) -> None:
        for folder in sorted(children.get(parent, []), key=FolderNode.sort_key):
            rows.append((depth, folder))
            if folder.ref.folder_id and folder.ref.folder_id != parent:
                walk(folder.ref.folder_id, depth + 1)

    walk("", 0)
    return rows


def access_words(folder: FolderNode) -> str:
    """ "Read-only", "Read, add and change items; cannot delete", "No access" for one folder."""
    words = describe_folder_access(folder.rights)
    return words[:1].upper() + words[1:]


class AccessDialog(QDialog):
    """Shows, for one mailbox (a ``MailboxTree``), per folder what the user may do, and the send right.

    Args:
        tree: The mailbox's ``MailboxTree`` (mailbox, full_access, folders, send_right).
        parent: Parent widget.
    """

    def __init__(self, tree: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name = tree.mailbox.display_name or tree.mailbox.address
        self.setObjectName("accessDialog")
        self.setWindowTitle(f"My access — {name}")
        self.resize(560, 400)

        title = QLabel(f"Your access to {name}", objectName="accessTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        title.setFont(font)
        address = QLabel(tree.mailbox.address, objectName="accessAddress")
        address.setStyleSheet("color: palette(placeholder-text);")
        self.summary_label = QLabel(access_sentence(tree), objectName="accessSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("Summary of your access")

        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("accessTable")
        self.table.setAccessibleName("What you may do in each folder")
        self.table.setHorizontalHeaderLabels(["Folder", "What you may do"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setMinimumSectionSize(160)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        rows = folder_rows(list(tree.folders))
        self.table.setRowCount(len(rows))
        for row, (depth, folder) in enumerate(rows):
            name_item = QTableWidgetItem("    " * depth + folder.name)
            name_item.setToolTip(folder.name)
            access_item = QTableWidgetItem(access_words(folder))
            access_item.setToolTip(f"{folder.name}: {access_words(folder)}")
            self.table.setItem(row, 0, name_item)
            self.table.setItem(row, 1, access_item)

        send_title = QLabel("Sending from this mailbox", objectName="sendTitle")
        bold = send_title.font()
        bold.setBold(True)
        send_title.setFont(bold)
        self.send_label = QLabel(_SEND[tree.send_right], objectName="sendRight")
        self.send_label.setWordWrap(True)
        self.send_label.setAccessibleName("Your right to send from this mailbox")

        for label in (title, address, self.summary_label, self.send_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)
        layout.addWidget(title)
        layout.addWidget(address)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.table, 1)
        layout.addWidget(send_title)
        layout.addWidget(self.send_label)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        """(folder, what you may do) as shown, for tests."""
        return [
            (self.table.item(r, 0).text().strip(), self.table.item(r, 1).text())
            for r in range(self.table.rowCount())
        ]
