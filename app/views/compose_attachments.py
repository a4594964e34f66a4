"""The attachments row of a compose window: the files going with the message, and "Remove"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QWidget

from app.domain.messages import AttachmentInfo, LocalAttachment
from app.views.actions import icon


def format_size(size: int) -> str:
    """ "812 B", "14 KB", "2.3 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class AttachmentStrip(QFrame):
    """The attachments as a wrapping list (carried over from a forwarded message first); hidden when empty.

    Signals:
        remove_requested(): The user clicked "Remove" (the window drops the selected rows).
    """

    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.attachment_list = QListWidget(objectName="attachmentList")
        self.attachment_list.setAccessibleName("Attachments")
        self.attachment_list.setFlow(QListWidget.Flow.LeftToRight)
        self.attachment_list.setWrapping(True)
        self.attachment_list.setFixedHeight(56)
        self.attachment_list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.remove_button = QPushButton("&Remove", objectName="removeAttachmentButton")
        self.remove_button.setAccessibleName("Remove the selected attachments")
        self.remove_button.clicked.connect(self.remove_requested)
        self.label = QLabel("Attachments:")
        row = QHBoxLayout()
        row.addWidget(self.label)
        row.addWidget(self.attachment_list, 1)
        row.addWidget(self.remove_button)
        self.setLayout(row)

    def show_attachments(
        self, forwarded: Sequence[AttachmentInfo], attached: Sequence[LocalAttachment]
    ) -> None:
        """List the attachments (the strip hides, and "Remove" is disabled, when there are none)."""
        self.attachment_list.clear()
        for info in forwarded:
            item = QListWidgetItem(icon("attachment"), f"{info.name} ({format_size(info.size)})")
            item.setToolTip(f"{info.name} — from the original message")
            self.attachment_list.addItem(item)
        for att in attached:
            item = QListWidgetItem(icon("attachment"), f"{att.name} ({format_size(len(att.content))})")
            item.setToolTip(f"{att.name}, {att.content_type}")
            self.attachment_list.addItem(item)
        has_any = self.attachment_list.count() > 0
        self.setVisible(has_any)
        self.remove_button.setEnabled(has_any)

    def selected_rows(self) -> list[int]:
        """The selected rows, last first (so that deleting them in order keeps the others' numbers)."""
        return sorted(
            {self.attachment_list.row(i) for i in self.attachment_list.selectedItems()}, reverse=True
        )

    def texts(self) -> list[str]:
        """The list as shown ("report.pdf (14 KB)")."""
        return [self.attachment_list.item(r).text() for r in range(self.attachment_list.count())]
