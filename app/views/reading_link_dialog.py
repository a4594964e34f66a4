"""The "Open link?" dialog: where a link in a message really goes, before anything opens it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget


class LinkConfirmDialog(QDialog):
    """Shows where a link really goes before anything opens it.

    The host is shown on its own (in its ASCII form too when it is an internationalised name, which is how
    look-alike domains give themselves away), and the whole address in a selectable box.

    Signals:
        open_requested(QUrl): The user chose "Open".
    """

    open_requested = Signal(QUrl)

    def __init__(self, url: QUrl, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = QUrl(url)
        self.setObjectName("linkConfirmDialog")
        self.setWindowTitle("Open link?")
        self.setAccessibleName("Open link?")
        self.setMinimumWidth(460)

        scheme = url.scheme().lower()
        if scheme == "mailto":
            intro = "This link starts a new message to:"
            target = url.path()
        elif scheme == "tel":
            intro = "This link calls:"
            target = url.path()
        else:
            intro = "This link opens in your web browser. It goes to:"
            target = url.host(QUrl.ComponentFormattingOption.PrettyDecoded)
            ascii_host = url.host(QUrl.ComponentFormattingOption.FullyEncoded)
            if ascii_host and ascii_host != target:
                target = f"{target}  ({ascii_host})"
        intro_label = QLabel(intro, self)
        intro_label.setWordWrap(True)
        host_label = QLabel(target or "(no address)", self)
        host_label.setObjectName("linkHost")
        host_label.setTextFormat(Qt.TextFormat.PlainText)
        host_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = host_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        host_label.setFont(font)

        self.address = QPlainTextEdit(self)
        self.address.setObjectName("linkAddress")
        self.address.setAccessibleName("Full link address")
        self.address.setReadOnly(True)
        self.address.setPlainText(url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
        self.address.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.address.setWordWrapMode(self.address.wordWrapMode().WrapAnywhere)
        self.address.setMaximumHeight(self.address.fontMetrics().lineSpacing() * 4 + 12)

        buttons = QDialogButtonBox(self)
        self.open_button = buttons.addButton("Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setAccessibleName("Open link")
        self.copy_button = buttons.addButton("Copy address", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAccessibleName("Copy link address")
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Do not open the link")
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self._copy)
        self.accepted.connect(self._accepted)

        layout = QVBoxLayout(self)
        layout.setSpacing(8)
        layout.addWidget(intro_label)
        layout.addWidget(host_label)
        layout.addWidget(self.address)
        layout.addWidget(buttons)

    def _accepted(self) -> None:
        self.open_requested.emit(QUrl(self.url))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url.toString(QUrl.ComponentFormattingOption.FullyEncoded))
