"""What the folder actions do: New folder, Rename, Delete, Empty, Properties/Permissions, and folder drag-and-drop.

The commands act on the sidebar's current row (a right-click makes the clicked row current first): a folder, or a
mailbox row for a new top-level folder. Each action is enabled from the folder's rights
(:func:`app.domain.folder_actions.folder_action_capabilities`) with the reason in its tooltip; the work goes
through :class:`~app.services.folders.FolderService`, whose failures reach the window's message bar.
Dialogs open non-modally; the open one is :attr:`FolderCommands.dialog` (for tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QDialog, QLineEdit, QMenu

from app.domain.folder_actions import (
    EMPTIABLE,
    FolderAction,
    FolderTarget,
    folder_action_capabilities,
    is_inside,
    subtree,
)
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.rights import Capability
from app.views.actions import NOT_CONNECTED, fill_folder_menu
from app.views.completer import DirectoryCompleter
from app.views.folder_dialogs import ConfirmDialog, FolderNameDialog, FolderPropertiesDialog, plural

if TYPE_CHECKING:
    from app.services.folders import FolderService
    from app.views.main_window import MainWindow


class FolderCommands(QObject):
    """The folder commands of the main window.

    Args:
        window: The main window (sidebar, actions, services).
        service: The folder service.
    """

    def __init__(self, window: MainWindow, service: FolderService) -> None:
        super().__init__(window)
        self.w = window
        self.service = service
        self.dialog: QDialog | None = None
        self.menu: QMenu | None = None
        self._select_next: FolderRef | None = None
        self._fallback: dict[tuple[str, str], str] = {}  # folder key -> well-known folder to show once it is gone
        a = window.actions
        self._actions = {FolderAction.NEW: a.new_folder, FolderAction.RENAME: a.rename_folder,
                         FolderAction.DELETE: a.delete_folder, FolderAction.EMPTY: a.empty_folder,
                         FolderAction.PROPERTIES: a.folder_properties, FolderAction.PERMISSIONS: a.folder_permissions}
        a.new_folder.triggered.connect(self.new_folder)
        a.rename_folder.triggered.connect(self.rename)
        a.delete_folder.triggered.connect(self.delete)
        a.empty_folder.triggered.connect(self.empty)
        a.folder_properties.triggered.connect(lambda: self.properties())
        a.folder_permissions.triggered.connect(lambda: self.properties(permissions=True))
        window.sidebar.context_menu_requested.connect(self.show_context_menu)
        window.sidebar.folder_dropped.connect(self.move)
        service.done.connect(window.show_status)
        service.failed.connect(window.show_error)
        service.status.connect(window.show_status)
        service.created.connect(self._select_when_listed)
        window.services.mailboxes.mailbox_opened.connect(self._on_tree)

    # -- state ---------------------------------------------------------------------------------------------------
    def target(self) -> FolderTarget | None:
        """The sidebar's current folder (or mailbox row)."""
        return self.w.sidebar.target() if self.w.user is not None else None

    def capabilities(self) -> dict[FolderAction, Capability]:
        return folder_action_capabilities(self.target())

    def update_actions(self) -> None:
        """Enable the folder actions for the current sidebar row; a disabled one says why."""
        caps = self.capabilities() if self.w.user is not None else None
        for action_id, action in self._actions.items():
            reason = NOT_CONNECTED if caps is None else caps[action_id].reason
            self.w.actions.set_enabled_with_reason(action, reason)

    def _allowed(self, action: FolderAction) -> FolderTarget | None:
        target = self.target()
        cap = folder_action_capabilities(target)[action]
        if not cap.allowed:
            self.w.show_status(cap.reason)
            return None
        return target

    def _folders(self, mailbox: str) -> list[FolderNode]:
        tree = self.w.sidebar_model.tree(mailbox)
        return list(getattr(tree, "folders", []))

    def _siblings(self, mailbox: str, parent_id: str) -> list[str]:
        return [f.name for f in self._folders(mailbox) if f.parent_id == parent_id]

    def _open(self, dialog: QDialog) -> QDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r, d=dialog: setattr(self, "dialog", None) if self.dialog is d else None)
        self.dialog = dialog
        dialog.open()
        return dialog

    # -- context menu --------------------------------------------------------------------------------------------
    def show_context_menu(self, pos: QPoint) -> QMenu:
        """The sidebar's menu: the folder actions, then the sidebar's own (Refresh, My access …)."""
        self.w.update_actions()
        menu = QMenu(self.w.sidebar)
        menu.setObjectName("sidebarMenu")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        fill_folder_menu(menu, self.w.actions)
        others = self.w.sidebar.actions()
        if others:
            menu.addSeparator()
            menu.addActions(others)
        target = self.target()
        if target is None or target.node is None or target.node.well_known not in EMPTIABLE:
            self.w.actions.empty_folder.setVisible(False)
            menu.aboutToHide.connect(lambda: self.w.actions.empty_folder.setVisible(True))
        self.menu = menu
        menu.popup(pos)
        return menu

    # -- commands ------------------------------------------------------------------------------------------------
    def new_folder(self) -> QDialog | None:
        """New folder…: a subfolder of the current folder (or a top-level one on a mailbox row)."""
        target = self._allowed(FolderAction.NEW)
        if target is None:
            return None
        parent_id = target.node.ref.folder_id if target.node is not None else ""
        where = target.place if target.node is not None else f"the top of {target.mailbox_name}"
        dialog = FolderNameDialog("New folder", f"Create a folder in {where}:", "Create",
                                  self._siblings(target.mailbox, parent_id), parent=self.w)
        kind = target.node.kind if target.node is not None else FolderKind.MAIL
        dialog.accepted.connect(lambda: self.service.create(target.ref, dialog.name(), target.place, kind))
        return self._open(dialog)

    def rename(self) -> QDialog | None:
        """Rename folder…"""
        target = self._allowed(FolderAction.RENAME)
        if target is None or target.node is None:
            return None
        node = target.node
        dialog = FolderNameDialog("Rename folder", f"New name for {target.place}:", "Rename",
                                  self._siblings(target.mailbox, node.parent_id), current=node.name, parent=self.w)
        dialog.accepted.connect(lambda: self.service.rename(node.ref, node.name, dialog.name()))
        return self._open(dialog)

    def delete(self) -> QDialog | None:
        """Delete folder…: asks, with what the folder holds, then moves it to the mailbox's Deleted Items."""
        target = self._allowed(FolderAction.DELETE)
        if target is None or target.node is None:
            return None
        node = target.node
        folders = self._folders(target.mailbox)
        below = subtree(folders, node)
        items = plural(node.total, "item")
        if below:
            inside = sum(f.total for f in below)
            holds = f"It holds {items} and {plural(len(below), 'subfolder')} (with {plural(inside, 'more item')})."
        else:
            holds = f"It holds {items}." if node.total else "It is empty."
        permanent = is_inside(folders, node, "deleteditems")
        if permanent:
            question = f"Delete the folder “{node.name}” permanently?"
            details = f"{holds} It is in Deleted Items already, so it will be gone for good."
        else:
            question = f"Delete the folder “{node.name}”?"
            details = (f"{holds} It moves to the Deleted Items of {target.mailbox_name} with everything in it, "
                       "where it can be restored.")
        dialog = ConfirmDialog("Delete folder", question, details, "Delete folder", self.w)
        self._fallback.update({f.ref.key: "deleteditems" for f in (node, *below)})
        dialog.accepted.connect(lambda: self.service.delete(node.ref, node.name, permanent=permanent))
        return self._open(dialog)

    def empty(self) -> QDialog | None:
        """Empty folder… (Deleted Items: for good; Junk Email: to Deleted Items)."""
        target = self._allowed(FolderAction.EMPTY)
        if target is None or target.node is None:
            return None
        node = target.node
        below = subtree(self._folders(target.mailbox), node)
        what = plural(node.total, "item") + (f" and {plural(len(below), 'folder')}" if below else "")
        permanent = node.well_known == "deleteditems"
        if permanent:
            question = f"Permanently delete everything in {node.name}?"
            details = (f"{what[:1].upper() + what[1:]} in {target.place} will be deleted. This cannot be undone "
                       "in Mailroom (your administrator may still recover them for a while).")
        else:
            question = f"Move everything in {node.name} to Deleted Items?"
            details = f"{what[:1].upper() + what[1:]} move from {target.place} to Deleted Items."
        dialog = ConfirmDialog("Empty folder", question, details, "Empty folder", self.w)
        self._fallback.update({f.ref.key: node.well_known for f in below})
        dialog.accepted.connect(lambda: self.service.empty(node.ref, target.place, permanent))
        return self._open(dialog)

    def properties(self, permissions: bool = False) -> FolderPropertiesDialog | None:
        """Properties… (or Permissions…: the same dialog on its Permissions tab)."""
        target = self._allowed(FolderAction.PERMISSIONS if permissions else FolderAction.PROPERTIES)
        if target is None or target.node is None:
            return None
        node = target.node
        session = self.w.services.session

        def completer(edit: QLineEdit) -> DirectoryCompleter:
            return DirectoryCompleter(edit, session.resolve_names)

        def save(perms: Any, on_done: Any, on_error: Any) -> Any:
            return self.service.save_permissions(perms, target.place, on_done, on_error)

        dialog = FolderPropertiesDialog(
            target, lambda ok, err: self.service.properties(node.ref, node.kind == FolderKind.CALENDAR, ok, err),
            save, completer, self.w)
        if permissions:
            dialog.show_permissions_tab()
        self._open(dialog)
        return dialog

    def move(self, source: FolderNode, target: FolderTarget) -> Any:
        """A folder dropped on another folder (or a mailbox row) of its mailbox."""
        destination = target.node.name if target.node is not None else f"the top of {target.mailbox_name}"
        self.w.show_status(f"Moving “{source.name}” to {destination} …")
        return self.service.move(source.ref, source.name, target.ref, destination)

    # -- after a change --------------------------------------------------------------------------------------------
    def _select_when_listed(self, ref: FolderRef) -> None:
        self._select_next = ref

    def _on_tree(self, tree: Any) -> None:
        address = tree.mailbox.address
        ref = self._select_next
        if ref is not None and ref.mailbox.casefold() == address.casefold():
            self._select_next = None
            self.w.sidebar.select_folder(ref)
        shown = self.w.folder
        if shown is not None and shown.mailbox.casefold() == address.casefold() and \
                not any(f.ref.key == shown.key for f in tree.folders):
            # The open folder is gone (deleted for good, here or elsewhere): where it went, else the Inbox.
            fallback = self._fallback.pop(shown.key, "inbox")
            self.w.open_location(address, fallback)


def screenshot_permissions(window: MainWindow, ready: Any) -> FolderPropertiesDialog | None:
    """``--screenshot-dialog permissions``: the open folder's Permissions, a person's entry selected."""
    dialog = window.folder_commands.properties(permissions=True)
    if dialog is None:
        return None

    def loaded() -> None:
        perms = dialog.permissions.permissions()
        person = next((e.user for e in perms.entries if not e.is_special), None) if perms is not None else None
        if person is not None:
            dialog.permissions.select(person)
        ready(dialog)

    dialog.loaded.connect(loaded)
    return dialog
