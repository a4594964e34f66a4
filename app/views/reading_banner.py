"""The "remote content was blocked" banner above a message, with its "Show remote content" button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget


class RemoteContentBanner(QWidget):
    """Says how many remote references were blocked and offers to load them (this message only).

    The widget is the banner's margin holder; the yellow box itself is :attr:`frame`. Hidden until
    :meth:`show_blocked`.

    Signals:
        show_remote_requested(): The user clicked "Show remote content".
    """

    show_remote_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("remoteBannerHolder")
        holder_layout = QVBoxLayout(self)
        holder_layout.setContentsMargins(20, 0, 20, 10)
        self.frame = QFrame(self)
        self.frame.setObjectName("remoteBanner")
        self.frame.setAccessibleName("Remote content blocked")
        layout = QHBoxLayout(self.frame)
        layout.setContentsMargins(10, 6, 8, 6)
        layout.setSpacing(8)
        icon = QLabel(self.frame)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(16, 16)
        )
        layout.addWidget(icon)
        self.label = QLabel(self.frame)
        self.label.setObjectName("remoteBannerLabel")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        layout.addWidget(self.label, 1)
        self.show_remote_button = QPushButton("Show remote content", self.frame)
        self.show_remote_button.setObjectName("showRemoteButton")
        self.show_remote_button.setAccessibleName("Show remote content")
        self.show_remote_button.setToolTip("Load the pictures and styles of this message from the internet")
        self.show_remote_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.show_remote_button.clicked.connect(self.show_remote_requested)
        layout.addWidget(self.show_remote_button)
        holder_layout.addWidget(self.frame)

    def show_blocked(self, count: int) -> None:
        """Say that ``count`` remote items were blocked, and show the banner."""
        self.label.setText(
            f"Remote content was blocked ({count} item{'s' if count != 1 else ''}) to protect your privacy."
        )
        self.show()
