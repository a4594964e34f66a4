"""Message ▸ Label… (Ctrl+Shift+L): a small popup to put labels on the selected messages or take them off.

Type to filter; Up/Down move; Space or Enter ticks the current label (on every selected message) or unticks it
(from every one). A label only some of the selection carries shows half-ticked. When the typed name is no label
yet and the user may change the mailbox's list, "Create label “…”" adds it to the list and applies it.

When the mailbox's list cannot be read, a notice at the top says so and the labels offered are those on the
folder's messages and the user's own (marked "your category"): they can still be applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import Category, OfferedCategory, Origin
from app.domain.messages import MessageSummary
from app.views.admin_widgets import swatch

_CREATE = "\x00create"


class LabelPicker(QDialog):
    """Tick labels for the selected messages.

    Args:
        labels: The labels to offer: the mailbox's master list, or (when it cannot be read) those of
            :func:`~app.domain.categories.offered_categories`.
        selection: The selected messages (their current labels decide the ticks).
        can_create: The user may add labels to the mailbox's list (else the reason is in ``create_reason``).
        create_reason: Why a new label cannot be created here.
        notice: Shown above the list (why the mailbox's own list is not what is offered), "" for none.
        parent: Parent widget.

    Signals:
        toggled(str, bool): put the label on every selected message (True) or take it off every one (False).
        create_requested(str): add this new label to the mailbox's list and put it on the selection.
        manage_requested(): open the label manager.
    """

    toggled = Signal(str, bool)
    create_requested = Signal(str)
    manage_requested = Signal()

    def __init__(self, labels: Sequence[Category | OfferedCategory], selection: Sequence[MessageSummary], *,
                 can_create: bool, create_reason: str = "", notice: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("labelPicker")
        self.setAccessibleName("Label the selected messages")
        self.setWindowTitle("Label")
        self.setMinimumWidth(260)
        self._labels = [c if isinstance(c, OfferedCategory) else OfferedCategory(c) for c in labels]
        self._selection = list(selection)
        self._can_create = can_create
        self._create_reason = create_reason
        self.search = QLineEdit(self)
        self.search.setObjectName("labelPickerSearch")
        self.search.setPlaceholderText("Search labels")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search labels")
        self.list = QListWidget(self)
        self.list.setObjectName("labelPickerList")
        self.list.setAccessibleName("Labels")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        what = "1 message" if len(self._selection) == 1 else f"{len(self._selection)} messages"
        self.hint = QLabel(f"Labels for {what}", self)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.manage_button = QPushButton("Manage labels…", self)
        self.manage_button.setFlat(True)
        self.manage_button.clicked.connect(self._manage)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        self.notice = QLabel(notice, self)
        self.notice.setObjectName("labelPickerNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setVisible(bool(notice))
        layout.addWidget(self.notice)
        layout.addWidget(self.hint)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.manage_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.search.textChanged.connect(self._fill)
        self.search.installEventFilter(self)
        self.list.itemClicked.connect(self._activate)
        self._fill()
        self.search.setFocus()

    # -- state ---------------------------------------------------------------------------------------------
    def state_of(self, name: str) -> Qt.CheckState:
        """Checked when every selected message carries ``name``, PartiallyChecked when some do."""
        key = name.casefold()
        having = sum(1 for m in self._selection if key in {c.casefold() for c in m.categories})
        if having and having == len(self._selection):
            return Qt.CheckState.Checked
        return Qt.CheckState.PartiallyChecked if having else Qt.CheckState.Unchecked

    def visible_names(self) -> list[str]:
        """The labels listed (without the "Create label" entry)."""
        return [n for n in self._row_names() if n and n != _CREATE]

    def create_offered(self) -> bool:
        """Whether "Create label “…”" is listed and may be used."""
        return any(self.list.item(i).data(Qt.ItemDataRole.UserRole) == _CREATE
                   and self.list.item(i).flags() & Qt.ItemFlag.ItemIsEnabled for i in range(self.list.count()))

    def _row_names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    # -- actions -------------------------------------------------------------------------------------------
    def toggle(self, name: str) -> None:
        """Tick or untick a label (a half-ticked one gets ticked: then every selected message carries it)."""
        on = self.state_of(name) != Qt.CheckState.Checked
        self._selection = [_with_label(m, name, on) for m in self._selection]
        self.toggled.emit(name, on)
        self._fill()

    # -- internals -----------------------------------------------------------------------------------------
    def _fill(self) -> None:
        current = self.list.currentItem().data(Qt.ItemDataRole.UserRole) if self.list.currentItem() else None
        text = self.search.text().strip()
        self.list.clear()
        for label in self._labels:
            if text and text.casefold() not in label.name.casefold():
                continue
            shown = f"{label.name}  ({label.note})" if label.origin is Origin.OWN else label.name
            item = QListWidgetItem(swatch(label.hex_color), shown, self.list)
            item.setData(Qt.ItemDataRole.UserRole, label.name)
            item.setToolTip(_origin_tip(label))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(self.state_of(label.name))
        if text and not any(c.name.casefold() == text.casefold() for c in self._labels):
            item = QListWidgetItem(f"＋ Create label “{text}”", self.list)
            item.setData(Qt.ItemDataRole.UserRole, _CREATE)
            if not self._can_create:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
                item.setToolTip(self._create_reason)
        if not self._labels and not text:
            item = QListWidgetItem("No label to offer" if self.notice.text() else "This mailbox has no labels yet",
                                   self.list)
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setData(Qt.ItemDataRole.UserRole, "")
        names = self._row_names()
        row = names.index(current) if current in names else 0
        if self.list.count():
            self.list.setCurrentRow(row)

    def _activate(self, item: QListWidgetItem | None) -> None:
        if item is None or not item.flags() & Qt.ItemFlag.ItemIsEnabled:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        if name == _CREATE:
            self.create_requested.emit(self.search.text().strip())
            self.close()
        elif name:
            self.toggle(name)

    def _manage(self) -> None:
        self.manage_requested.emit()
        self.close()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.search and event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                row = self.list.currentRow() + (1 if key == Qt.Key.Key_Down else -1)
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) or (key == Qt.Key.Key_Space and not self.search.text()):
                self._activate(self.list.currentItem())
                return True
        return super().eventFilter(watched, event)


def _origin_tip(label: OfferedCategory) -> str:
    return {
        Origin.MAILBOX: "",
        Origin.ITEMS: f"“{label.name}” is on messages here; the mailbox's list, which would give its colour, "
                      "could not be read.",
        Origin.OWN: f"“{label.name}” is in your own category list, not in this mailbox's.",
    }[label.origin]


def _with_label(m: MessageSummary, name: str, on: bool) -> MessageSummary:
    others = tuple(c for c in m.categories if c.casefold() != name.casefold())
    return replace(m, categories=(*others, name) if on else others)
