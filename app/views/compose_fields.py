"""The header rows of a compose window: From (and the right to send from it), To, Cc, Bcc and Subject."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QWidget

from app.domain.addresses import recipient_entries
from app.domain.messages import Draft
from app.services.compose import SenderChoice

#: Attaches directory autocomplete to an address field (``DirectoryCompleter(edit, lookup, multiple=True)``).
CompleterFactory = Callable[[QLineEdit], Any]


class ComposeFields(QWidget):
    """From, To, Cc, Bcc and Subject, as a form; the address fields get directory autocomplete.

    Args:
        senders: The addresses the user may pick in From (own first).
        completer_factory: Adds directory autocomplete to an address field, or None.
        parent: Parent widget.

    Signals:
        changed(): A field changed: typing in one, or another From address.
    """

    changed = Signal()

    def __init__(
        self,
        senders: Sequence[SenderChoice],
        completer_factory: CompleterFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._senders = list(senders)
        self.completers: list[Any] = []

        self.from_combo = QComboBox(objectName="fromCombo")
        self.from_combo.setAccessibleName("From")
        self._fill_senders()
        self.from_combo.currentIndexChanged.connect(self.refresh_send_right)
        self.send_right_label = QLabel(objectName="sendRightLabel")
        self.send_right_label.setStyleSheet("color: palette(placeholder-text);")

        self.to_edit = self._address_edit("toEdit", "To", completer_factory)
        self.cc_edit = self._address_edit("ccEdit", "Cc", completer_factory)
        self.bcc_edit = self._address_edit("bccEdit", "Bcc", completer_factory)
        self.subject_edit = QLineEdit(objectName="subjectEdit")
        self.subject_edit.setAccessibleName("Subject")
        self.subject_edit.textChanged.connect(self.changed)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        from_row = QHBoxLayout()
        from_row.addWidget(self.from_combo, 1)
        form.addRow(self._buddy("&From:", self.from_combo), from_row)
        form.addRow("", self.send_right_label)
        form.addRow(self._buddy("&To:", self.to_edit), self.to_edit)
        form.addRow(self._buddy("&Cc:", self.cc_edit), self.cc_edit)
        form.addRow(self._buddy("&Bcc:", self.bcc_edit), self.bcc_edit)
        form.addRow(self._buddy("S&ubject:", self.subject_edit), self.subject_edit)

    def _address_edit(self, name: str, label: str, factory: CompleterFactory | None) -> QLineEdit:
        edit = QLineEdit(objectName=name)
        edit.setAccessibleName(label)
        edit.setPlaceholderText("Names or addresses, separated by ;")
        edit.textChanged.connect(self.changed)
        if factory is not None:
            self.completers.append(factory(edit))
        return edit

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    # -- From --------------------------------------------------------------------------------------------------
    def _fill_senders(self) -> None:
        self.from_combo.clear()
        for choice in self._senders:
            self.from_combo.addItem(choice.label, choice.mailbox.address)
            index = self.from_combo.count() - 1
            self.from_combo.setItemData(index, choice.right.describe(), Qt.ItemDataRole.ToolTipRole)

    def _select_sender(self, address: str) -> None:
        index = self.from_combo.findData(address, flags=Qt.MatchFlag.MatchFixedString)
        if index < 0:
            self.from_combo.addItem(address, address)
            index = self.from_combo.count() - 1
        self.from_combo.setCurrentIndex(index)

    def set_senders(self, senders: Sequence[SenderChoice], current: str) -> None:
        """Replace the From choices and choose ``current`` again (added when it is not among them)."""
        self._senders = list(senders)
        self.from_combo.blockSignals(True)
        self._fill_senders()
        self._select_sender(current)
        self.from_combo.blockSignals(False)
        self.refresh_send_right()

    def sender_address(self) -> str:
        """The From address chosen ("" when there is none)."""
        return str(self.from_combo.currentData() or "")

    def current_choice(self) -> SenderChoice | None:
        """The sender chosen in From, if it is one of the known choices."""
        address = self.sender_address().casefold()
        return next((c for c in self._senders if c.mailbox.address.casefold() == address), None)

    def refresh_send_right(self, *_: object) -> None:
        """Say under From what the chosen address allows, and report the change."""
        choice = self.current_choice()
        self.send_right_label.setText(
            choice.right.describe()[:1].upper() + choice.right.describe()[1:] if choice is not None else ""
        )
        self.changed.emit()

    # -- the draft ---------------------------------------------------------------------------------------------
    def show_draft(self, draft: Draft) -> None:
        """Show the draft's From, recipients and subject."""
        self._select_sender(draft.from_mailbox)
        self.to_edit.setText("; ".join(draft.to))
        self.cc_edit.setText("; ".join(draft.cc))
        self.bcc_edit.setText("; ".join(draft.bcc))
        self.subject_edit.setText(draft.subject)

    def update_draft(self, draft: Draft) -> None:
        """Copy From, the recipients and the subject as shown into ``draft``."""
        draft.from_mailbox = self.sender_address() or draft.from_mailbox
        draft.to = recipient_entries(self.to_edit.text())
        draft.cc = recipient_entries(self.cc_edit.text())
        draft.bcc = recipient_entries(self.bcc_edit.text())
        draft.subject = self.subject_edit.text()
