"""The sidebar: mailboxes at the top level, each with its folder tree.

Fed by :class:`app.services.mailboxes.MailboxService` (``mailbox_opened`` -> :meth:`SidebarModel.set_tree`,
``counts_updated`` -> :meth:`SidebarModel.update_counts`); it never touches the network. A folder tree arrives
whole (one FindFolder, or one GetFolder per shared folder), so nothing is loaded lazily.

Mailbox rows carry their access summary ("read-only access to Inbox and Calendar") in :attr:`AccessRole`;
folder rows show "Inbox (12)", in bold while anything is unread. A mailbox that could not be opened
(:meth:`SidebarModel.set_unavailable`) is a row without folders, with a warning icon and the reason in
:attr:`MailboxErrorRole`, its tooltip and its accessible text, until its folders arrive.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.rights import SendRight, describe_folder_access, summarize_access
from app.models.icons import folder_icon
from app.models.roles import Roles

ModelIndex = QModelIndex | QPersistentModelIndex
_NO_INDEX = QModelIndex()
_ids = itertools.count(1)


@dataclass(eq=False)
class _Item:
    """One row: a mailbox (``folder`` None) or a folder. ``uid`` is the index's internal id."""

    parent: _Item | None
    mailbox: MailboxRef
    folder: FolderNode | None = None
    tree: Any = None  # the mailbox's MailboxTree, on mailbox rows
    access: str = ""
    error: str = ""  # why the mailbox could not be opened, on mailbox rows
    retrying: bool = False  # an unavailable mailbox is being tried again
    children: list[_Item] = field(default_factory=list)
    uid: int = field(default_factory=lambda: next(_ids))
    row: int = 0


class SidebarModel(QAbstractItemModel):
    """Mailboxes and their folders.

    Args:
        parent: Qt parent.
    """

    FolderRefRole = Roles.FolderRefRole
    FolderNodeRole = Roles.FolderNodeRole
    MailboxRole = Roles.MailboxRole
    AccessRole = Roles.AccessRole
    MailboxTreeRole = Roles.MailboxTreeRole
    UnreadCountRole = Roles.UnreadCountRole
    TotalCountRole = Roles.TotalCountRole
    IsMailboxRole = Roles.IsMailboxRole
    MailboxErrorRole = Roles.MailboxErrorRole
    MailboxRetryingRole = Roles.MailboxRetryingRole

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._top: list[_Item] = []
        self._by_uid: dict[int, _Item] = {}
        self._by_folder: dict[tuple[str, str], _Item] = {}
        self._order: list[str] = []
        self._bold = QFont()
        self._bold.setBold(True)

    # -- feeding -------------------------------------------------------------------------------------------
    def set_order(self, addresses: Iterable[str]) -> None:
        """The order of mailboxes (own, automapped, added by hand); rows are moved to follow it."""
        self._order = [a.casefold() for a in addresses]
        wanted = sorted(self._top, key=self._rank)
        if wanted == self._top:
            return
        self.layoutAboutToBeChanged.emit()
        old = {item.uid: item.row for item in self._top}
        persistent = self.persistentIndexList()
        self._top = wanted
        self._renumber(self._top)
        changed_from, changed_to = [], []
        for index in persistent:
            item = self._by_uid.get(index.internalId())
            if item is not None and item.parent is None and old.get(item.uid) != item.row:
                changed_from.append(index)
                changed_to.append(self.createIndex(item.row, index.column(), item.uid))
        self.changePersistentIndexList(changed_from, changed_to)
        self.layoutChanged.emit()

    def set_tree(self, tree: Any) -> None:
        """Add a mailbox with its folders, or replace the folders of one already shown.

        Args:
            tree: A ``MailboxTree``: ``mailbox`` (MailboxRef), ``full_access`` (bool), ``folders``
                (list of FolderNode), ``send_right`` (SendRight).
        """
        mailbox: MailboxRef = tree.mailbox
        existing = self._find_mailbox(mailbox.address)
        if existing is not None:
            if existing.children:
                self.beginRemoveRows(self._index_of(existing), 0, len(existing.children) - 1)
                self._forget(existing.children)
                existing.children = []
                self.endRemoveRows()
            existing.mailbox = mailbox
            existing.tree = tree
            existing.error, existing.retrying = "", False
            existing.access = self._access_summary(tree)
            children = self._build_children(existing, tree.folders)
            if children:
                self.beginInsertRows(self._index_of(existing), 0, len(children) - 1)
                existing.children = children
                self._renumber(children)
                self.endInsertRows()
            index = self._index_of(existing)
            self.dataChanged.emit(index, index)
            return
        item = _Item(None, mailbox, tree=tree, access=self._access_summary(tree))
        row = sum(1 for other in self._top if self._rank(other) <= self._rank(item))
        self.beginInsertRows(QModelIndex(), row, row)
        self._top.insert(row, item)
        self._by_uid[item.uid] = item
        self._renumber(self._top)
        item.children = self._build_children(item, tree.folders)
        self._renumber(item.children)
        self.endInsertRows()

    def set_unavailable(self, mailbox: MailboxRef, reason: str) -> None:
        """Show a mailbox that could not be opened (a row without folders) with the reason; folders that were
        shown stay. The row returns to normal when :meth:`set_tree` gives its folders."""
        existing = self._find_mailbox(mailbox.address)
        if existing is not None:
            existing.error, existing.retrying = reason, False
            index = self._index_of(existing)
            self.dataChanged.emit(index, index)
            return
        item = _Item(None, mailbox, error=reason)
        row = sum(1 for other in self._top if self._rank(other) <= self._rank(item))
        self.beginInsertRows(QModelIndex(), row, row)
        self._top.insert(row, item)
        self._by_uid[item.uid] = item
        self._renumber(self._top)
        self.endInsertRows()

    def set_retrying(self, address: str) -> None:
        """An unavailable mailbox is being tried again (its row says so until the outcome)."""
        item = self._find_mailbox(address)
        if item is not None and item.error and not item.retrying:
            item.retrying = True
            index = self._index_of(item)
            self.dataChanged.emit(index, index)

    def unavailable(self) -> dict[str, str]:
        """Address -> reason of each mailbox shown as unavailable."""
        return {item.mailbox.address: item.error for item in self._top if item.error}

    def remove_mailbox(self, address: str) -> None:
        """Take a mailbox and its folders out of the sidebar."""
        item = self._find_mailbox(address)
        if item is None:
            return
        self.beginRemoveRows(QModelIndex(), item.row, item.row)
        self._top.remove(item)
        self._forget([item])
        self._renumber(self._top)
        self.endRemoveRows()

    def update_counts(self, ref: FolderRef, total: int, unread: int) -> None:
        """New item and unread counts of a folder (new mail, mark read, a refresh)."""
        item = self._by_folder.get(ref.key)
        if item is None and ref.well_known:
            item = self._find_well_known(ref.mailbox, ref.well_known)
        if item is None or item.folder is None:
            return
        if (item.folder.total, item.folder.unread) == (total, unread):
            return
        item.folder = replace(item.folder, total=total, unread=unread)
        index = self._index_of(item)
        self.dataChanged.emit(index, index)

    def adjust_unread(self, ref: FolderRef, delta: int) -> None:
        """Change a folder's unread count by ``delta`` (optimistic mark read/unread)."""
        node = self.folder_node(ref)
        if node is not None and delta:
            self.update_counts(ref, node.total, max(0, min(node.total, node.unread + delta)))

    # -- lookups -------------------------------------------------------------------------------------------
    def mailboxes(self) -> list[MailboxRef]:
        """The mailboxes shown, in order."""
        return [item.mailbox for item in self._top]

    def mailbox_index(self, address: str) -> QModelIndex:
        """The row of a mailbox (invalid when not shown)."""
        item = self._find_mailbox(address)
        return self._index_of(item) if item is not None else QModelIndex()

    def folder_index(self, ref: FolderRef) -> QModelIndex:
        """The row of a folder, by id or (when the ref has only that) well-known name."""
        item = self._by_folder.get(ref.key)
        if item is None and ref.well_known:
            item = self._find_well_known(ref.mailbox, ref.well_known)
        return self._index_of(item) if item is not None else QModelIndex()

    def folder_node(self, ref: FolderRef) -> FolderNode | None:
        """The folder's node as last told, or None."""
        index = self.folder_index(ref)
        return index.data(Roles.FolderNodeRole) if index.isValid() else None

    def tree(self, address: str) -> Any:
        """The MailboxTree last given for a mailbox, or None."""
        item = self._find_mailbox(address)
        return item.tree if item is not None else None

    # -- Qt model ------------------------------------------------------------------------------------------
    def index(self, row: int, column: int, parent: ModelIndex = _NO_INDEX) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        siblings = self._children_of(parent)
        if siblings is None or row >= len(siblings):
            return QModelIndex()
        return self.createIndex(row, 0, siblings[row].uid)

    def parent(self, index: ModelIndex = _NO_INDEX) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        item = self._item(index)
        if item is None or item.parent is None:
            return QModelIndex()
        return self.createIndex(item.parent.row, 0, item.parent.uid)

    def rowCount(self, parent: ModelIndex = _NO_INDEX) -> int:  # noqa: B008
        siblings = self._children_of(parent)
        return len(siblings) if siblings is not None else 0

    def columnCount(self, parent: ModelIndex = _NO_INDEX) -> int:  # noqa: B008
        return 1

    def hasChildren(self, parent: ModelIndex = _NO_INDEX) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        item = self._item(index)
        if item is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if item.folder is not None and item.folder.kind == FolderKind.MAIL:
            flags |= Qt.ItemFlag.ItemIsDropEnabled  # drop messages onto a mail folder (move/copy)
        return flags

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if section == 0 and orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return "Folders"
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        item = self._item(index)
        if item is None:
            return None
        if item.folder is None:
            return self._mailbox_data(item, role)
        return self._folder_data(item, item.folder, role)

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({Roles.FolderRefRole: b"folderRef", Roles.FolderNodeRole: b"folderNode",
                      Roles.MailboxRole: b"mailbox", Roles.AccessRole: b"access",
                      Roles.MailboxTreeRole: b"mailboxTree", Roles.UnreadCountRole: b"unread",
                      Roles.TotalCountRole: b"total", Roles.IsMailboxRole: b"isMailbox",
                      Roles.MailboxErrorRole: b"mailboxError", Roles.MailboxRetryingRole: b"mailboxRetrying"})
        return names

    # -- data per kind of row ------------------------------------------------------------------------------
    def _mailbox_data(self, item: _Item, role: int) -> Any:
        mb = item.mailbox
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return mb.display_name
        if item.error:
            if role == Qt.ItemDataRole.ToolTipRole:
                return (f"{mb.display_name} <{mb.address}>\nCould not be opened: {item.error}\n"
                        "Mailroom tries again by itself when the server answers; or choose Retry.")
            if role == Qt.ItemDataRole.AccessibleTextRole:
                return f"Mailbox {mb.display_name}, could not be opened: {item.error}"
            if role == Qt.ItemDataRole.DecorationRole:
                return folder_icon("mailbox-unavailable")
        if role == Roles.MailboxErrorRole:
            return item.error
        if role == Roles.MailboxRetryingRole:
            return item.retrying
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{mb.display_name} <{mb.address}>\n{item.access[:1].upper()}{item.access[1:]}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Mailbox {mb.display_name}, {item.access}"
        if role == Qt.ItemDataRole.DecorationRole:
            return folder_icon("mailbox")
        if role == Roles.MailboxRole:
            return mb
        if role == Roles.AccessRole:
            return item.access
        if role == Roles.MailboxTreeRole:
            return item.tree
        if role == Roles.IsMailboxRole:
            return True
        if role == Roles.UnreadCountRole:
            return sum(c.folder.unread for c in self._walk(item.children) if c.folder is not None)
        return None

    def _folder_data(self, item: _Item, node: FolderNode, role: int) -> Any:
        counted = node.kind == FolderKind.MAIL and node.unread > 0
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{node.name} ({node.unread})" if counted else node.name
        if role == Qt.ItemDataRole.EditRole:
            return node.name
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if counted else None
        if role == Qt.ItemDataRole.DecorationRole:
            return folder_icon(node.well_known or node.kind.value)
        if role == Qt.ItemDataRole.ToolTipRole:
            counts = f"{node.total} items, {node.unread} unread" if node.kind == FolderKind.MAIL \
                else f"{node.total} items"
            return f"{item.mailbox.display_name} › {node.name}\n{counts}\nYour access: " \
                   f"{describe_folder_access(node.rights)}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{node.name}, {node.unread} unread" if counted else node.name
        if role == Roles.FolderRefRole:
            return node.ref
        if role == Roles.FolderNodeRole:
            return node
        if role == Roles.MailboxRole:
            return item.mailbox
        if role == Roles.AccessRole:
            return describe_folder_access(node.rights)
        if role == Roles.UnreadCountRole:
            return node.unread
        if role == Roles.TotalCountRole:
            return node.total
        if role == Roles.IsMailboxRole:
            return False
        return None

    # -- internals -----------------------------------------------------------------------------------------
    def _item(self, index: ModelIndex) -> _Item | None:
        if not index.isValid() or index.model() is not self:
            return None
        return self._by_uid.get(index.internalId())

    def _children_of(self, parent: ModelIndex) -> list[_Item] | None:
        if not parent.isValid():
            return self._top
        item = self._item(parent)
        if item is None or parent.column() != 0:
            return None
        return item.children

    def _index_of(self, item: _Item) -> QModelIndex:
        return self.createIndex(item.row, 0, item.uid)

    def _find_mailbox(self, address: str) -> _Item | None:
        key = address.casefold()
        return next((item for item in self._top if item.mailbox.key == key), None)

    def _find_well_known(self, mailbox: str, well_known: str) -> _Item | None:
        top = self._find_mailbox(mailbox)
        if top is None:
            return None
        return next((c for c in self._walk(top.children)
                     if c.folder is not None and c.folder.well_known == well_known), None)

    def _rank(self, item: _Item) -> int:
        try:
            return self._order.index(item.mailbox.key)
        except ValueError:
            return len(self._order)

    def _build_children(self, top: _Item, folders: Iterable[FolderNode]) -> list[_Item]:
        nodes = list(folders)
        visible = {n.ref.folder_id for n in nodes if n.ref.folder_id}
        by_parent: dict[str, list[FolderNode]] = {}
        for node in nodes:
            # A folder whose parent the user cannot see (sales@'s Inbox under an invisible root) is top-level.
            parent = node.parent_id if node.parent_id in visible else ""
            by_parent.setdefault(parent, []).append(node)

        def build(parent_item: _Item, parent_id: str, depth: int) -> list[_Item]:
            items = []
            for node in sorted(by_parent.get(parent_id, []), key=FolderNode.sort_key):
                child = _Item(parent_item, top.mailbox, folder=node)
                self._by_uid[child.uid] = child
                self._by_folder[node.ref.key] = child
                if node.ref.folder_id and depth < 64:  # depth guard against a parent cycle in bad data
                    child.children = build(child, node.ref.folder_id, depth + 1)
                    self._renumber(child.children)
                items.append(child)
            return items

        return build(top, "", 0)

    def _forget(self, items: Iterable[_Item]) -> None:
        for item in self._walk(items):
            self._by_uid.pop(item.uid, None)
            if item.folder is not None and self._by_folder.get(item.folder.ref.key) is item:
                del self._by_folder[item.folder.ref.key]

    @staticmethod
    def _walk(items: Iterable[_Item]) -> Iterable[_Item]:
        stack = list(items)
        while stack:
            item = stack.pop()
            yield item
            stack.extend(item.children)

    @staticmethod
    def _renumber(items: list[_Item]) -> None:
        for row, item in enumerate(items):
            item.row = row

    @staticmethod
    def _access_summary(tree: Any) -> str:
        if getattr(tree, "send_right", None) == SendRight.OWN:
            return "your mailbox"
        summary = getattr(tree, "access_summary", None)  # MailboxTree words it itself
        if callable(summary):
            summary = summary()
        if isinstance(summary, str) and summary:
            return summary
        if tree.full_access:
            return summarize_access([], True)
        # The tops of what the user can see (not every subfolder): "read-only access to Inbox and Calendar".
        visible = {n.ref.folder_id for n in tree.folders if n.ref.folder_id}
        tops = sorted((n for n in tree.folders if n.parent_id not in visible), key=FolderNode.sort_key)
        return summarize_access([(n.name, n.rights) for n in tops], False)
