"""MoveFolder, DeleteFolder and EmptyFolder.

- MoveFolder: distinguished folders cannot move (``ErrorMoveDistinguishedFolder``); the source needs
  folder ownership (EffectiveRights ``Delete``), the target ``CreateHierarchy``; another mailbox is
  ``ErrorCrossMailboxMoveCopy``; an unknown target is ``ErrorToFolderNotFound``; into itself or below
  itself is ``ErrorMoveCopyFailed``; a same-named sibling at the target is ``ErrorFolderExists``.
  The folder keeps its id (Exchange folder ids survive moves); its ChangeKey changes.
- DeleteFolder: distinguished folders are ``ErrorDeleteDistinguishedFolder``; needs ownership.
  MoveToDeletedItems moves the folder into the mailbox's Deleted Items; HardDelete and SoftDelete remove
  it (Exchange cannot soft-delete folders: "Folders cannot be soft deleted").
- EmptyFolder: deletes the folder's items (needs the right to delete every one of them, else
  ``ErrorAccessDenied``) and, with ``DeleteSubFolders``, its subfolders (each needs ownership);
  distinguished subfolders are kept, as the store keeps default folders when the root is emptied.
  Search folders cannot be emptied (``ErrorCannotEmptyFolder``). MoveToDeletedItems moves the items
  and subfolders to Deleted Items (items already there go to the dumpster, as DeleteItem does), SoftDelete
  moves items to Recoverable Items\\Deletions, HardDelete removes them.
"""

from __future__ import annotations

import sqlite3

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.foldertree import dispose_folder, is_within, move_folder, resolve_target
from ews_emulator.ops.folderxml import folder_id_only, folders_container
from ews_emulator.soap import M_NS, xs_bool
from ews_emulator.store import Folder

_M = f"{{{M_NS}}}"


@operation("MoveFolder")
def move_folders(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, ref: etree._Element) -> None:
        folder, acc = ctx.visible_folder(ref)
        target, target_acc = resolve_target(ctx, req.find(f"{_M}ToFolderId"), "ErrorToFolderNotFound")
        if folder.well_known:
            raise EwsError("ErrorMoveDistinguishedFolder")
        if target.mailbox_id != folder.mailbox_id:
            raise EwsError("ErrorCrossMailboxMoveCopy", "Folders cannot be moved to another mailbox.")
        if not acc.is_folder_owner or not target_acc.can_create_subfolders:
            raise access_denied()
        if is_within(ctx, target, folder):
            raise EwsError(
                "ErrorMoveCopyFailed", "A folder cannot be moved into itself or one of its subfolders."
            )
        if target.id != folder.parent_id:
            clash = ctx.store.folders.child_named(target.id, folder.display_name)
            if clash is not None:
                raise EwsError("ErrorFolderExists")
            with ctx.store.db.tx() as con:
                move_folder(ctx, con, folder, target)
        fresh = ctx.store.folders.get(folder.id)
        assert fresh is not None
        msg.append(folders_container([folder_id_only(fresh)]))

    return each_message("MoveFolder", ctx.folder_refs(req.find(f"{_M}FolderIds")), fill)


@operation("DeleteFolder")
def delete_folders(ctx: Ctx, req: etree._Element) -> etree._Element:
    delete_type = req.get("DeleteType", "HardDelete")

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        folder, acc = ctx.visible_folder(ref)
        if folder.well_known:
            raise EwsError("ErrorDeleteDistinguishedFolder")
        if not acc.is_folder_owner:
            raise access_denied()
        with ctx.store.db.tx() as con:
            dispose_folder(ctx, con, folder, delete_type)
        ctx.forget_access()

    return each_message("DeleteFolder", ctx.folder_refs(req.find(f"{_M}FolderIds")), fill)


@operation("EmptyFolder")
def empty_folders(ctx: Ctx, req: etree._Element) -> etree._Element:
    delete_type = req.get("DeleteType", "HardDelete")
    with_subfolders = xs_bool(req.get("DeleteSubFolders"), False)

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        folder, acc = ctx.visible_folder(ref)
        if folder.kind == "SearchFolder":
            raise EwsError("ErrorCannotEmptyFolder", "Search folders cannot be emptied.")
        rows = ctx.store.items.select("folder_id = ? AND is_associated = 0", (folder.id,))
        if not all(acc.can_delete_item(r.created_by, ctx.caller.id) for r in rows):
            raise access_denied()
        subfolders = []
        if with_subfolders:
            subfolders = [c for c in ctx.store.folders.children(folder.id) if c.well_known is None]
            if not all(ctx.access(c).is_folder_owner for c in subfolders):
                raise access_denied()
        with ctx.store.db.tx() as con:
            _dispose_items(ctx, con, folder, rows, delete_type)
            for sub in subfolders:
                dispose_folder(ctx, con, sub, delete_type)
        ctx.forget_access()

    return each_message("EmptyFolder", ctx.folder_refs(req.find(f"{_M}FolderIds")), fill)


def _dispose_items(ctx: Ctx, con: sqlite3.Connection, folder: Folder, rows: list, delete_type: str) -> None:
    """Same rules as DeleteItem: the items stay in their mailbox; MoveToDeletedItems inside Deleted Items
    becomes a soft delete; SoftDelete inside the dumpster, and HardDelete, remove them."""
    folders = ctx.store.folders
    destination: Folder | None = None
    if delete_type == "MoveToDeletedItems":
        destination = folders.by_well_known(folder.mailbox_id, "deleteditems")
        if destination is not None and is_within(ctx, folder, destination):
            destination = folders.by_well_known(folder.mailbox_id, "recoverableitemsdeletions")
    elif delete_type == "SoftDelete":
        destination = folders.by_well_known(folder.mailbox_id, "recoverableitemsdeletions")
    if destination is not None and is_within(ctx, folder, destination):
        destination = None
    for row in rows:
        if destination is not None:
            ctx.store.items.move(con, row, destination.id)
        else:
            ctx.store.items.delete(con, row)
