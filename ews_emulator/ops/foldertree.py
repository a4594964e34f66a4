"""Shared pieces of the folder write operations: target resolution, moves, deletes, events.

Folder events for notifications are recorded here (the store records item events only):
``folder_id`` is the folder itself, ``old_folder_id`` the parent it had before the change (for a
``MovedEvent`` the old parent; the new parent is the folder's current one), ``is_folder`` is set.
"""

from __future__ import annotations

import sqlite3

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.rights import Access
from ews_emulator.store import Folder
from ews_emulator.store.events import record_event

# Folder classes decide the element a folder is reported as (t:CalendarFolder for IPF.Appointment...).
_CLASS_KINDS = (
    ("IPF.Appointment", "CalendarFolder"),
    ("IPF.Contact", "ContactsFolder"),
    ("IPF.Task", "TasksFolder"),
)
IMPLIED_CLASS = {
    "Folder": "IPF.Note",
    "CalendarFolder": "IPF.Appointment",
    "ContactsFolder": "IPF.Contact",
    "TasksFolder": "IPF.Task",
}


def kind_for_class(folder_class: str | None) -> str:
    for prefix, kind in _CLASS_KINDS:
        if folder_class and (folder_class == prefix or folder_class.startswith(prefix + ".")):
            return kind
    return "Folder"


def first_ref(container: etree._Element | None) -> etree._Element | None:
    """The folder reference inside a ``TargetFolderIdType`` element (ParentFolderId, ToFolderId, ...)."""
    if container is None:
        return None
    return next((c for c in container if isinstance(c.tag, str)), None)


def resolve_target(ctx: Ctx, container: etree._Element | None, not_found: str) -> tuple[Folder, Access]:
    """A visible target folder; ``not_found`` (e.g. ErrorParentFolderNotFound) when it names nothing."""
    ref = first_ref(container)
    if ref is None:
        raise EwsError(not_found)
    try:
        folder = ctx.folder(ref)
    except EwsError as exc:
        if exc.code == "ErrorFolderNotFound":
            raise EwsError(not_found, "The target folder could not be found.") from exc
        raise
    acc = ctx.access(folder)
    if not acc.can_see_folder:
        raise access_denied()
    return folder, acc


def is_within(ctx: Ctx, folder: Folder, ancestor: Folder) -> bool:
    """Whether ``folder`` is ``ancestor`` or lies below it."""
    return folder.id == ancestor.id or any(
        a.id == ancestor.id for a in ctx.store.folders.ancestors(folder.id)
    )


def unique_name(ctx: Ctx, parent_id: int, name: str) -> str:
    """``name``, or ``name (2)``, ``name (3)``... when the parent already has a folder called that."""
    candidate, n = name, 1
    while ctx.store.folders.child_named(parent_id, candidate) is not None:
        n += 1
        candidate = f"{name} ({n})"
    return candidate


def move_folder(
    ctx: Ctx, con: sqlite3.Connection, folder: Folder, target: Folder, new_name: str | None = None
) -> None:
    """Re-parent (and optionally rename) a folder; its id stays, its ChangeKey changes."""
    if new_name is not None and new_name != folder.display_name:
        ctx.store.folders.rename(con, folder.id, new_name)
    ctx.store.folders.move(con, folder.id, target.id)
    record_event(
        con, folder.mailbox_id, "MovedEvent", folder.id, None, old_folder_id=folder.parent_id, is_folder=True
    )


def delete_folder_tree(ctx: Ctx, con: sqlite3.Connection, folder: Folder) -> None:
    """Remove a folder, its subfolders and their items from the mailbox (folders are never soft-deleted)."""
    parents = {f.id: f.parent_id for f in [folder, *ctx.store.folders.descendants(folder.id)]}
    for fid in ctx.store.folders.delete(con, folder):
        record_event(
            con, folder.mailbox_id, "DeletedEvent", fid, None, old_folder_id=parents.get(fid), is_folder=True
        )


def dispose_folder(ctx: Ctx, con: sqlite3.Connection, folder: Folder, delete_type: str) -> None:
    """DeleteFolder semantics: MoveToDeletedItems moves the folder into that mailbox's Deleted Items
    (renamed ``X (2)`` on a clash, as Outlook does) - the right to delete the folder is what counts, as for
    items; inside Deleted Items already, or for HardDelete and SoftDelete, the folder leaves the mailbox."""
    trash = ctx.store.folders.by_well_known(folder.mailbox_id, "deleteditems")
    if delete_type == "MoveToDeletedItems" and trash is not None and not is_within(ctx, folder, trash):
        move_folder(ctx, con, folder, trash, unique_name(ctx, trash.id, folder.display_name))
        return
    delete_folder_tree(ctx, con, folder)
