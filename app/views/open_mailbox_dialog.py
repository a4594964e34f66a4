""" "Open shared mailbox…": an address with directory autocomplete, an access check, then adding it.

Open checks the mailbox at once (``probe_mailbox`` in a task on the mailbox's queue) and says precisely what
the user can reach ("You have read-only access to Inbox and Calendar of Sales Team."). The button then becomes
"Add to sidebar"; pressing it remembers the mailbox for the account and emits :attr:`mailbox_added`.
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.errors import AccessDenied, MailboxNotFound, user_message
from app.domain.rights import SendRight, access_level
from app.views.completer import DirectoryCompleter
from app.views.signin_dialog import ERROR_STYLE, Banner, fit_height

SUCCESS_STYLE = """
QFrame#accessBanner { background: #e9f6ec; border: 1px solid #b7dfc0; border-radius: 6px; }
QFrame#accessBanner QLabel { color: #1b4d2a; background: transparent; border: none; }
"""


class MailboxDialogService(Protocol):
    """What the dialog needs of :class:`app.services.session.SessionService`."""

    def probe_mailbox(self, address: str, on_result: Any, on_error: Any) -> Any: ...

    def resolve_names(self, text: str, on_result: Any, on_error: Any) -> Any: ...

    def add_mailbox(self, mailbox: str) -> None: ...

    def known_mailboxes(self) -> list[str]: ...


def access_sentence(tree: Any) -> str:
    """What the user can reach in a ``MailboxTree``, as one sentence.

    "You have read-only access to Inbox and Calendar of Sales Team.", "You have full access to Customer
    Support.", "You have access to Inbox of Human Resources: read, add and change items; cannot delete."
    """
    name = tree.mailbox.display_name or tree.mailbox.address
    top = [(f.name, f.rights) for f in tree.folders if not f.parent_id]  # as MailboxTree.access_summary()
    level, names = access_level(top, tree.full_access)
    if level == "full access":
        return f"You have full access to {name}."
    if not names:
        return f"You have no access to any folder of {name}."
    folders = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    if level == "read-only":
        return f"You have read-only access to {folders} of {name}."
    if level == "mixed":
        return f"You have access to {folders} of {name}, with different rights per folder (see My access)."
    return f"You have access to {folders} of {name}: {level}."


def send_sentence(send_right: SendRight) -> str:
    """What is known of the right to send from the mailbox, as one sentence."""
    return {
        SendRight.OWN: "This is your own mailbox.",
        SendRight.SEND_AS: "You may send as this address (Send As).",
        SendRight.SEND_ON_BEHALF: "You may send on behalf of this address (Send on Behalf).",
        SendRight.NONE: "You may not send from this address.",
        SendRight.UNKNOWN: "Whether you may send from this address is known after your first try.",
    }[send_right]


class OpenMailboxDialog(QDialog):
    """Asks for a shared mailbox, checks the user's access to it, and adds it.

    Args:
        service: The session service (see :class:`MailboxDialogService`).
        parent: Parent widget.

    Signals:
        mailbox_added(MailboxTree): the user added the mailbox; its folders as probed.
    """

    mailbox_added = Signal(object)

    def __init__(self, service: MailboxDialogService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("openMailboxDialog")
        self.setWindowTitle("Open shared mailbox — Mailroom")
        self.setFixedWidth(500)
        self._service = service
        self._handle: Any = None
        self._tree: Any = None

        intro = QLabel("Type the address or name of a shared mailbox you were given access to.")
        intro.setWordWrap(True)
        self.address_edit = QLineEdit(objectName="mailboxAddressEdit")
        self.address_edit.setPlaceholderText("e.g. sales@example.com or Sales Team")
        self.address_edit.setAccessibleName("Shared mailbox address")
        self.address_edit.setClearButtonEnabled(True)
        label = QLabel("&Mailbox:")
        label.setBuddy(self.address_edit)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.address_edit, 1)
        self.completer = DirectoryCompleter(self.address_edit, service.resolve_names)

        self.busy_bar = QProgressBar(objectName="probeBusyBar")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedHeight(6)
        self.busy_bar.setAccessibleName("Checking access")
        self.status_label = QLabel(objectName="probeStatus")
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.access_banner = Banner("accessBanner", SUCCESS_STYLE, "Your access")
        self.error_banner = Banner("errorBanner", ERROR_STYLE, "Error")

        self.buttons = QDialogButtonBox()
        self.open_button = self.buttons.addButton("&Open", QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setObjectName("openButton")
        self.open_button.setDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAutoDefault(False)
        self.open_button.clicked.connect(self._on_primary)
        self.cancel_button.clicked.connect(self.reject)
        self.address_edit.textEdited.connect(self._on_edited)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.access_banner)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.buttons)
        self._set_busy(False)

    # -- public --------------------------------------------------------------------------------------------------

    @property
    def tree(self) -> Any:
        """The probed ``MailboxTree`` once the check succeeded, else None."""
        return self._tree

    def access_text(self) -> str:
        """The access sentence shown, or ""."""
        return self.access_banner.text()

    def error_text(self) -> str:
        """The error shown, or ""."""
        return self.error_banner.text()

    def check(self) -> None:
        """Check the user's access to the typed mailbox (what Open does)."""
        address = self.address_edit.text().strip()
        if "@" not in address.strip("@"):
            if not address:
                self._show_error("Type the address of the shared mailbox.")
                return
            # A name was typed: take the directory's answer when there is exactly one.
            people = self.completer.people()
            if len(people) != 1:
                self._show_error(
                    f"“{address}” is not an e-mail address. Pick the mailbox from the suggestions, "
                    "or type its full address."
                )
                return
            address = people[0].address
            self.address_edit.setText(address)
        if address.casefold() in {a.casefold() for a in self._service.known_mailboxes()}:
            self._show_error(f"{address} is already in your sidebar.")
            return
        self.completer.cancel()
        self._hide_messages()
        self._set_busy(True)
        self.status_label.setText(f"Checking your access to {address} …")
        self._handle = self._service.probe_mailbox(
            address,
            lambda tree: self._on_probed(address, tree),
            lambda error: self._on_failed(address, error),
        )

    def reject(self) -> None:
        self._cancel()
        super().reject()

    # -- internals -----------------------------------------------------------------------------------------------

    def _on_primary(self) -> None:
        if self._tree is None:
            self.check()
            return
        self._service.add_mailbox(self._tree.mailbox.address)
        self.mailbox_added.emit(self._tree)
        self.accept()

    def _on_edited(self, _text: str) -> None:
        if self._handle is not None:
            self._cancel()
        if self._tree is not None or not self.error_banner.isHidden():
            self._tree = None
            self._hide_messages()
            self.open_button.setText("&Open")

    def _on_probed(self, address: str, tree: Any) -> None:
        if self._handle is None or self.address_edit.text().strip() != address:
            return
        self._handle = None
        self._set_busy(False)
        self._tree = tree
        self.access_banner.show_message(send_sentence(tree.send_right), access_sentence(tree))
        self._fit()
        self.open_button.setText("&Add to sidebar")
        self.open_button.setFocus()

    def _on_failed(self, address: str, error: BaseException) -> None:
        if self._handle is None or self.address_edit.text().strip() != address:
            return
        self._handle = None
        self._set_busy(False)
        if isinstance(error, MailboxNotFound):
            self._show_error(f"There is no mailbox {address}. Check the address.")
        elif isinstance(error, AccessDenied):
            self._show_error(
                f"You have no access to {address}. Ask its owner or your administrator to share it with you."
            )
        else:
            self._show_error(user_message(error))

    def _cancel(self) -> None:
        self.completer.cancel()
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.busy_bar.setVisible(busy)
        self.status_label.setVisible(busy)
        self.open_button.setEnabled(not busy)
        self._fit()

    def _show_error(self, text: str) -> None:
        self.access_banner.hide()
        self.error_banner.show_message(text)
        self.address_edit.setFocus()
        self._fit()

    def _hide_messages(self) -> None:
        self.error_banner.hide()
        self.access_banner.hide()
        self._fit()

    def _fit(self) -> None:
        """Take the height the content needs now that messages came or went (the width is fixed)."""
        fit_height(self)
