"""The main window shell: says which mailbox Mailroom is connected to, or why it is not."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QMainWindow, QVBoxLayout, QWidget

from app.domain.mailbox import AccountInfo

_ERROR_STYLE = "color: #b00020; font-weight: bold;"


class MainWindow(QMainWindow):
    """The top-level window. For now a shell: a headline, the connection state and the account's details.

    Its slots take plain data (domain objects and sentences); the composition root connects them to the
    services' signals.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Mailroom")
        self.resize(720, 360)

        self._headline = QLabel("Mailroom", objectName="headline")
        font = self._headline.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self._headline.setFont(font)

        self._status = QLabel("Not connected.", objectName="statusLabel")
        self._status.setWordWrap(True)
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._error = QLabel("", objectName="errorLabel")
        self._error.setWordWrap(True)
        self._error.setStyleSheet(_ERROR_STYLE)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.hide()

        self._details = {
            name: QLabel("—", objectName=f"detail_{name}")
            for name in ("mailbox", "user", "server", "endpoint", "inbox")
        }
        form = QFormLayout()
        form.addRow("Mailbox:", self._details["mailbox"])
        form.addRow("Signed in as:", self._details["user"])
        form.addRow("Server:", self._details["server"])
        form.addRow("EWS endpoint:", self._details["endpoint"])
        form.addRow("Inbox:", self._details["inbox"])

        # Plain text everywhere: "Name <address>" would otherwise be taken for an HTML tag and vanish.
        for label in (self._headline, self._status, self._error, *self._details.values()):
            label.setTextFormat(Qt.TextFormat.PlainText)

        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.addWidget(self._headline)
        layout.addWidget(self._status)
        layout.addWidget(self._error)
        layout.addLayout(form)
        layout.addStretch(1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Not connected.")

    # -- slots ----------------------------------------------------------------------------------------------

    def show_progress(self, text: str) -> None:
        """Show what is happening (connecting, starting the demo server)."""
        self._error.hide()
        self._status.setText(text)
        self.statusBar().showMessage(text)

    def show_connected(self, info: AccountInfo) -> None:
        """Show the mailbox we are connected to."""
        text = f"Connected to {info.mailbox} — {info.server_version.short}"
        self._error.hide()
        self._status.setText(text)
        self.statusBar().showMessage(text)
        self.setWindowTitle(f"Mailroom — {info.mailbox}")
        self._details["mailbox"].setText(str(info.mailbox))
        self._details["user"].setText(str(info.user))
        self._details["server"].setText(f"{info.server_version.short} (build {info.server_version})")
        self._details["endpoint"].setText(info.ews_url)
        self._details["inbox"].setText(f"{info.inbox_total} messages, {info.inbox_unread} unread")

    def show_error(self, text: str) -> None:
        """Show a failure in words the user can act on."""
        self._status.setText("Not connected.")
        for label in self._details.values():
            label.setText("—")
        self.setWindowTitle("Mailroom")
        self._error.setText(text)
        self._error.show()
        self.statusBar().showMessage("Not connected.")

    # -- for tests and screenshots --------------------------------------------------------------------------

    def status_text(self) -> str:
        """The connection sentence currently shown."""
        return self._status.text()

    def error_text(self) -> str:
        """The error currently shown, or ``""``."""
        return self._error.text() if not self._error.isHidden() else ""
