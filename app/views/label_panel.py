"""The "Labels" panel under the folder tree: every open mailbox's labels with the number of messages carrying
each, grouped per mailbox in the sidebar's order.

Labels are listed in the order of the mailbox's master list, with their colour chips; labels found on messages
but missing from the master list follow in neutral grey, as Outlook shows them. When the master list could not be
read, every label is one found on messages: the tooltips say why, and the user's own list gives colours where it
knows the name. Activating a label asks for the
message list to be filtered by it (:attr:`LabelPanel.label_activated`). What the counts cover (all the mailbox's
mail folders, or its Inbox, subfolders and Sent Items) is said in the tooltips.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import NEUTRAL, Category, MasterList
from app.domain.mailbox import MailboxRef
from app.views.admin_widgets import swatch

_MAILBOX = int(Qt.ItemDataRole.UserRole) + 1
_LABEL = int(Qt.ItemDataRole.UserRole) + 2


@dataclass(frozen=True)
class LabelEntry:
    """A label row: name, chip colour, count (None: not counted yet), whether the master list has it."""

    name: str
    color: str
    count: int | None = None
    in_master: bool = True


def label_rows(master: Iterable[Category], counts: Any, known: MasterList | None = None) -> list[LabelEntry]:
    """Rows from a master list and a ``LabelCounts`` (None: not counted yet); unknown labels last, in grey.

    A label the counts do not cover (added since) has no count yet. ``known``: what is known of the list; when
    it could not be read, labels found on messages take the colour of the user's own category of that name.
    """
    master = list(master)
    own = {c.name.casefold(): c.hex_color for c in known.own} if known is not None and not known.readable else {}
    if counts is None:
        return [LabelEntry(c.name, c.hex_color) for c in master]

    def count(name: str) -> int | None:
        covers = getattr(counts, "covers", None)
        return counts.total(name) if covers is None or covers(name) else None

    out = [LabelEntry(c.name, c.hex_color, count(c.name)) for c in master]
    known = {c.name.casefold() for c in master}
    extra = sorted((n for n in counts.names() if n.casefold() not in known), key=str.casefold)
    out.extend(LabelEntry(n, own.get(n.casefold(), NEUTRAL), counts.total(n), in_master=False) for n in extra)
    return out


class LabelPanel(QWidget):
    """Labels per mailbox, with counts.

    Signals:
        label_activated(MailboxRef, str): the user clicked (or pressed Enter on) a label.
    """

    label_activated = Signal(object, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelPanel")
        self.title = QLabel("Labels", self)
        self.title.setObjectName("labelPanelTitle")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("labelPanelTree")
        self.tree.setAccessibleName("Labels of the mailboxes")
        self.tree.setHeaderHidden(True)
        self.tree.setColumnCount(2)
        self.tree.setIndentation(14)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        layout.addWidget(self.tree, 1)
        self._rows: dict[str, tuple[MailboxRef, list[LabelEntry]]] = {}
        self._scopes: dict[str, str] = {}
        self._unreadable: dict[str, str] = {}
        self._order: list[str] = []
        self.tree.itemClicked.connect(self._activate)
        self.tree.itemActivated.connect(self._activate)

    # -- feeding -------------------------------------------------------------------------------------------
    def set_order(self, mailboxes: Iterable[MailboxRef]) -> None:
        """The mailboxes in sidebar order (others are dropped)."""
        order = list(mailboxes)
        self._order = [m.key for m in order]
        names = {m.key: m for m in order}
        self._rows = {k: (names[k], rows) for k, (_m, rows) in self._rows.items() if k in names}
        self._fill()

    def set_labels(self, mailbox: MailboxRef, rows: list[LabelEntry], scope: str = "", unreadable: str = "") -> None:
        """The label rows of one mailbox (none: its group goes); ``scope`` says what the counts cover;
        ``unreadable`` why its label list could not be read ("" when it was)."""
        if rows:
            self._rows[mailbox.key] = (mailbox, list(rows))
            self._scopes[mailbox.key] = scope
            self._unreadable[mailbox.key] = unreadable
        else:
            self._rows.pop(mailbox.key, None)
            self._scopes.pop(mailbox.key, None)
        self._fill()

    # -- queries -------------------------------------------------------------------------------------------
    def labels(self, mailbox: str) -> list[LabelEntry]:
        return list(self._rows.get(mailbox.casefold(), (None, []))[1])

    def scope(self, mailbox: str) -> str:
        """What the shown counts of a mailbox cover ("" when not counted yet)."""
        return self._scopes.get(mailbox.casefold(), "")

    def item(self, mailbox: str, name: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top.data(0, _MAILBOX).key != mailbox.casefold():
                continue
            for j in range(top.childCount()):
                child = top.child(j)
                if child.data(0, _LABEL).casefold() == name.casefold():
                    return child
        return None

    def activate(self, mailbox: str, name: str) -> bool:
        """Click a label (tests, keyboard)."""
        item = self.item(mailbox, name)
        if item is not None:
            self.tree.setCurrentItem(item)
            self._activate(item)
        return item is not None

    # -- internals -----------------------------------------------------------------------------------------
    def _fill(self) -> None:
        current = self.tree.currentItem()
        keep = (current.parent().data(0, _MAILBOX).key, current.data(0, _LABEL)) \
            if current is not None and current.parent() is not None else None
        collapsed = {self.tree.topLevelItem(i).data(0, _MAILBOX).key for i in range(self.tree.topLevelItemCount())
                     if not self.tree.topLevelItem(i).isExpanded()}
        self.tree.clear()
        keys = [k for k in self._order if k in self._rows] + [k for k in self._rows if k not in self._order]
        grey = QColor("#6b6b6b")
        for key in keys:
            mailbox, rows = self._rows[key]
            scope = self._scopes.get(key, "")
            top = QTreeWidgetItem([mailbox.display_name, ""])
            top.setData(0, _MAILBOX, mailbox)
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            top.setForeground(0, grey)
            top.setToolTip(0, f"The labels of {mailbox.display_name}." + (f"\n{scope}" if scope else
                                                                          "\nNot counted yet."))
            self.tree.addTopLevelItem(top)
            for entry in rows:
                child = QTreeWidgetItem([entry.name, "" if entry.count is None else str(entry.count)])
                child.setData(0, _LABEL, entry.name)
                child.setIcon(0, swatch(entry.color, 14))
                child.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                child.setForeground(1, grey)
                if not entry.in_master:
                    child.setForeground(0, grey)
                count = "not counted yet" if entry.count is None else \
                    f"{entry.count} message{'s' if entry.count != 1 else ''} in {mailbox.display_name} carry it"
                unreadable = self._unreadable.get(key, "")
                extra = "" if entry.in_master else (f"\nIt was found on messages. {unreadable}" if unreadable else
                                                    "\nIt is not in the mailbox's label list, so it shows in grey.")
                covers = f"\n{scope}" if scope and entry.count is not None else ""
                child.setToolTip(0, f"{entry.name}: {count}.{covers}\nClick to show the messages with this label."
                                    f"{extra}")
                child.setToolTip(1, child.toolTip(0))
                child.setData(0, Qt.ItemDataRole.AccessibleTextRole, f"Label {entry.name}, {entry.count or 0} messages")
                top.addChild(child)
            top.setExpanded(key not in collapsed)
            if keep is not None and keep[0] == key:
                found = next((top.child(j) for j in range(top.childCount())
                              if top.child(j).data(0, _LABEL).casefold() == (keep[1] or "").casefold()), None)
                if found is not None:
                    self.tree.setCurrentItem(found)
        self.setVisible(bool(keys))

    def _activate(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        if item is None or item.parent() is None:
            return
        self.label_activated.emit(item.parent().data(0, _MAILBOX), item.data(0, _LABEL))
