"""Mailbox ▸ Labels…: a mailbox's own master label list — show, add, rename, recolour, delete.

The list is the shared mailbox's (its Calendar's ``CategoryList``), not the user's personal one. Changing it needs
Full Access; without it the dialog shows the list read-only and says why. Renaming or deleting a label that
messages carry asks whether to update those messages too; that runs in the background with a progress bar.

A list the user may not read (no right to the mailbox's Calendar) is said to be so, not shown as empty: the
dialog lists the labels found on the mailbox's messages instead, read-only, with colours where the user's own
list knows the name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.domain.categories import PRESET_COLORS, Category, MasterList
from app.domain.folders import FolderRef
from app.domain.labels import NO_COLOR, LabelEdit, LabelError, check_name, color_name
from app.domain.mailbox import MailboxRef
from app.domain.rights import Capability
from app.services.labels import LabelService
from app.views.admin_widgets import color_menu, color_of, swatch
from app.views.list_manager import ListManagerDialog


class LabelManagerDialog(ListManagerDialog):
    """The label manager of one mailbox (non-modal).

    Args:
        service: The label service.
        mailbox: The mailbox.
        capability: Whether the user may change the list (the reason when not).
        folders: The mailbox's mail folders the user can read (counts and relabelling look there).
        parent: Parent widget.
    """

    def __init__(self, service: LabelService, mailbox: MailboxRef, capability: Capability,
                 folders: Sequence[FolderRef], parent: QWidget | None = None) -> None:
        super().__init__(mailbox, capability, object_name="labelManagerDialog",
                         title=f"Labels of {mailbox.display_name}", size=(560, 520), parent=parent)
        self.service = service
        self.folders = list(folders)
        self._labels: list[Category] = service.labels(mailbox.address) or []
        self._master: MasterList | None = service.master_list(mailbox.address)
        self._editable = capability
        self._counts: Any = service.counts(mailbox.address)
        self._pending: tuple[str, ...] | None = None
        self._build()
        self._fill()
        service.labels_loaded.connect(self._on_labels)
        service.counts_loaded.connect(self._on_counts)
        service.load(mailbox.address, on_error=self._show_error)
        service.count(mailbox.address, self.folders)

    # -- building ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        heading = self._heading(f"Labels of {self.mailbox.display_name}",
                                "Everyone who uses this mailbox sees these labels and colours. Labels on "
                                "messages that are not in this list show in grey.")
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("labelList")
        self.tree.setAccessibleName("Labels")
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setColumnCount(3)
        self.tree.setStyleSheet("QTreeWidget::item { padding: 3px 0px; }")
        self.tree.setHeaderLabels(["Label", "Colour", "Messages"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.itemChanged.connect(self._on_item_changed)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())

        self.rename_button = QPushButton("&Rename", self)
        self.color_button = QToolButton(self)
        self.color_button.setText("&Colour")
        self.color_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.color_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.color_button.setMinimumWidth(96)
        self.delete_button = QPushButton("&Delete…", self)
        self.rename_button.clicked.connect(self._start_rename)
        self.delete_button.clicked.connect(lambda: self.delete_label(self.current_name()))
        middle = self._beside(self.tree, [self.rename_button, self.color_button, self.delete_button])

        self.new_name = QLineEdit(self)
        self.new_name.setObjectName("newLabelName")
        self.new_name.setPlaceholderText("New label")
        self.new_name.setAccessibleName("Name of the new label")
        self.new_color = QComboBox(self)
        self.new_color.setObjectName("newLabelColor")
        self.new_color.setAccessibleName("Colour of the new label")
        self.new_color.addItem(swatch(color_of(NO_COLOR)), "No colour", NO_COLOR)
        for index, (name, color) in enumerate(PRESET_COLORS):
            self.new_color.addItem(swatch(color), name, index)
        self.new_color.setCurrentIndex(1 + 7)  # Blue: a calm default
        self.add_button = QPushButton("&Add", self)
        self.add_button.setObjectName("addLabelButton")
        self.add_button.clicked.connect(lambda: self.add_label(self.new_name.text(), self.new_color.currentData()))
        self.new_name.returnPressed.connect(self.add_button.click)
        add_row = QHBoxLayout()
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(self.new_color)
        add_row.addWidget(self.add_button)

        self._lay_out(heading, middle, add_row, error_name="labelManagerError")
        self._add_widgets = (self.new_name, self.new_color, self.add_button)
        self._show_readability()
        rename = QShortcut(QKeySequence("F2"), self.tree)
        rename.activated.connect(self._start_rename)
        delete = QShortcut(QKeySequence("Del"), self.tree)
        delete.activated.connect(lambda: self.delete_label(self.current_name()))

    # -- state ---------------------------------------------------------------------------------------------
    def readable(self) -> bool:
        """False once the server refused to show the mailbox's list (the labels shown are those on messages)."""
        return self._master is None or self._master.readable

    def names(self) -> list[str]:
        """The labels listed, in order."""
        return [self.tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) for i in range(self.tree.topLevelItemCount())]

    def current_name(self) -> str:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else ""

    def select(self, name: str) -> bool:
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole).casefold() == name.casefold():
                self.tree.setCurrentItem(item)
                return True
        return False

    def count_of(self, name: str) -> int | None:
        """Messages carrying ``name`` in the mailbox's folders (None: not counted yet)."""
        return self._counts.total(name) if self._counts is not None else None

    def is_busy(self) -> bool:
        return self._pending is not None or (self.job is not None and self.job.is_running)

    # -- actions -------------------------------------------------------------------------------------------
    def add_label(self, name: str, color: int = NO_COLOR) -> bool:
        """Add a label to the mailbox's list; False (with the reason shown) when it cannot be added."""
        if not self._check_allowed():
            return False
        try:
            clean = check_name(name, [c.name for c in self._labels])
        except LabelError as error:
            self._show_error(str(error))
            return False
        self._send(LabelEdit("add", clean, color=int(color)), select=clean)
        self.new_name.clear()
        return True

    def recolor(self, name: str, color: int) -> bool:
        if not name or not self._check_allowed():
            return False
        self._send(LabelEdit("recolor", name, color=int(color)), select=name)
        return True

    def rename_label(self, old: str, new: str) -> bool:
        """Rename; when messages carry the label, ask whether to update them (the answer starts the work)."""
        if not old or not self._check_allowed():
            return False
        try:
            clean = check_name(new, [c.name for c in self._labels], allow=old)
        except LabelError as error:
            self._show_error(str(error))
            self._fill()
            return False
        if clean == old:
            return False
        count = self.count_of(old)
        if count == 0:
            self._send(LabelEdit("rename", old, clean), select=clean)
            return True
        self._pending = ("rename", old, clean)
        what = _messages(count)
        self.question.ask(f"{what.capitalize()} in {self.mailbox.display_name} carry “{old}”. Rename it on them "
                          "too? They keep their other labels.",
                          [("update", f"Rename on {what}" if count else "Rename on the messages too"),
                           ("list", "Rename only the label")])
        return True

    def delete_label(self, name: str) -> bool:
        """Delete; asks first (and whether to remove the label from the messages carrying it)."""
        if not name or not self._check_allowed():
            return False
        count = self.count_of(name)
        self._pending = ("delete", name, "")
        if count == 0:
            self.question.ask(f"Delete the label “{name}”? No message carries it.", [("list", "Delete")])
        else:
            what = _messages(count)
            self.question.ask(f"Delete the label “{name}”? {what.capitalize()} carry it. Remove it from them "
                              "too? If you keep it there, it shows in grey.",
                              [("update", f"Delete and remove from {what}" if count else "Delete and remove it"),
                               ("list", "Delete only the label")])
        return True

    # -- internals -----------------------------------------------------------------------------------------
    def _check_allowed(self) -> bool:
        if not self._allowed():
            return False
        if self.is_busy():
            self._show_error("Wait until the current change is done.")
            return False
        return True

    def _send(self, edit: LabelEdit, select: str = "", then: Any = None) -> None:
        self.error_label.hide()

        def done(_found: list[Category]) -> None:
            if select:
                self.select(select)
            if then is not None:
                then()

        self.service.edit(self.mailbox.address, edit, on_done=done, on_error=self._show_error)

    def _on_answer(self, key: str) -> None:
        pending, self._pending = self._pending, None
        if pending is None or not key:
            self._fill()
            return
        kind, name, new = pending
        edit = LabelEdit("rename", name, new) if kind == "rename" else LabelEdit("delete", name)
        then = (lambda: self._relabel(name, new or None)) if key == "update" else None
        self._send(edit, select=new, then=then)

    def _relabel(self, old: str, new: str | None) -> None:
        job = self._track(self.service.relabel(self.mailbox.address, self.folders, old, new))
        job.finished.connect(lambda _n: self.service.count(self.mailbox.address, self.folders))
        job.cancelled.connect(lambda _n: self.service.count(self.mailbox.address, self.folders))

    def _start_rename(self) -> None:
        item = self.tree.currentItem()
        if item is None or not self._check_allowed():
            return
        self.tree.editItem(item, 0)

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        old = item.data(0, Qt.ItemDataRole.UserRole)
        new = item.text(0)
        if old and new != old:
            self.rename_label(old, new)

    def _on_labels(self, mailbox: str, labels: list[Category]) -> None:
        if self._is_mine(mailbox):
            current = self.current_name()
            self._labels = list(labels)
            self._master = self.service.master_list(mailbox)
            self._show_readability()
            self._fill()
            if current:
                self.select(current)

    def _on_counts(self, mailbox: str, counts: Any) -> None:
        if self._is_mine(mailbox):
            self._counts = counts
            self._fill()

    def _fill(self) -> None:
        current = self.current_name()
        self.tree.blockSignals(True)
        self.tree.clear()
        for label in self._shown():
            count = self.count_of(label.name)
            item = QTreeWidgetItem([label.name, color_name(label.color), "…" if count is None else str(count)])
            item.setData(0, Qt.ItemDataRole.UserRole, label.name)
            item.setIcon(0, swatch(label.hex_color))
            item.setTextAlignment(2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setForeground(1, self.palette().placeholderText())
            flags = item.flags() | Qt.ItemFlag.ItemIsEditable if self.capability.allowed else item.flags()
            item.setFlags(flags)
            self.tree.addTopLevelItem(item)
        self.tree.blockSignals(False)
        if not (current and self.select(current)) and self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        self._update_buttons()

    def _shown(self) -> list[Category]:
        """The mailbox's list; when it cannot be read, the labels counted on its messages (alphabetically)."""
        if self.readable() or self._master is None:
            return self._labels
        own = {c.name.casefold(): c.color for c in self._master.own}
        names = sorted(self._counts.names() if self._counts is not None else [], key=str.casefold)
        return [Category(n, own.get(n.casefold(), NO_COLOR)) for n in names]

    def _show_readability(self) -> None:
        """The banner and the editing widgets for what is known: read-only, unreadable or editable."""
        if not self.readable() and self._master is not None:
            reason = self._master.reason.rstrip(".")
            self.capability = Capability(False, f"The label list of {self.mailbox.display_name} could not be read: "
                                                f"{reason}.")
            self.banner.show_text(f"{self.capability.reason} The labels below are those found on its messages; "
                                  "you can apply them to messages but not change the list.")
        else:
            self.capability = self._editable
            if not self.capability.allowed:
                self.banner.show_text(f"You can look at these labels but not change them. {self.capability.reason}")
        for widget in getattr(self, "_add_widgets", ()):
            widget.setEnabled(self.capability.allowed)
            widget.setToolTip(self.capability.reason)

    def _update_buttons(self) -> None:
        name = self.current_name()
        reason = self.capability.reason if not self.capability.allowed else ("" if name else "Select a label.")
        self._explain(dict.fromkeys((self.rename_button, self.color_button, self.delete_button), reason))
        label = next((c for c in self._labels if c.name == name), None)
        self.color_button.setIcon(swatch(label.hex_color) if label is not None else swatch(color_of(NO_COLOR)))
        menu = color_menu(self.color_button, label.color if label is not None else None)
        menu.triggered.connect(lambda action: self.recolor(self.current_name(), int(action.data())))
        old = self.color_button.menu()
        self.color_button.setMenu(menu)
        if old is not None:
            old.deleteLater()


def _messages(count: int | None) -> str:
    if count is None:
        return "the messages"
    return "1 message" if count == 1 else f"{count} messages"
