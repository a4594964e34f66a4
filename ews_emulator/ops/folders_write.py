"""CreateFolder and UpdateFolder.

CreateFolder needs ``CreateHierarchy`` (CanCreateSubFolders) on the parent, else ``ErrorAccessDenied``;
an unknown parent is ``ErrorParentFolderNotFound``; a sibling with the same name (ignoring case) is
``ErrorFolderExists``. The element decides the folder type (``t:CalendarFolder``...) and a plain
``t:Folder`` takes its type from ``FolderClass`` (exchangelib creates calendars that way); a typed folder
given any FolderClass is ``ErrorNoFolderClassOverride``, as the ResponseCode reference describes.
A new folder inherits its parent's permission set (Exchange/Outlook behaviour) unless the request carries
one; a creator who is neither the mailbox owner nor a Full Access holder is added as the new folder's
Owner, so the folder does not vanish from under its creator.

UpdateFolder changes need folder ownership (``IsFolderOwner``; EffectiveRights ``Modify``): renaming,
the folder class (within its type, else ``ErrorObjectTypeChanged``), ``PR_ATTR_HIDDEN`` and the
permission set (Set replaces it, Append adds entries, Delete resets it to Default/Anonymous = None).
Folders have no ChangeKey conflict check. All updates of one FolderChange apply together or not at all.
"""

from __future__ import annotations

import sqlite3

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.folderperm import complete, parse_permission_set
from ews_emulator.ops.foldertree import IMPLIED_CLASS, kind_for_class, resolve_target
from ews_emulator.ops.folderxml import (
    PR_ATTR_HIDDEN,
    PR_CONTAINER_CLASS,
    PR_DISPLAY_NAME,
    folder_id_only,
    folders_container,
    property_tag,
)
from ews_emulator.rights import FULL, Access
from ews_emulator.soap import M_NS, T_NS, xs_bool
from ews_emulator.store import Folder
from ews_emulator.store.events import record_event

_M = f"{{{M_NS}}}"
_T = f"{{{T_NS}}}"
_READ_ONLY = frozenset(
    {
        "folder:FolderId",
        "folder:ParentFolderId",
        "folder:TotalCount",
        "folder:ChildFolderCount",
        "folder:UnreadCount",
        "folder:EffectiveRights",
        "folder:DistinguishedFolderId",
        "folder:SharingEffectiveRights",
    }
)


@operation("CreateFolder")
def create_folder(ctx: Ctx, req: etree._Element) -> etree._Element:
    container = req.find(f"{_M}Folders")
    specs = [c for c in container if isinstance(c.tag, str)] if container is not None else []

    def fill(msg: etree._Element, spec: etree._Element) -> None:
        parent, acc = resolve_target(ctx, req.find(f"{_M}ParentFolderId"), "ErrorParentFolderNotFound")
        if not acc.can_create_subfolders:
            raise access_denied()
        element = etree.QName(spec).localname
        if element == "SearchFolder":
            raise EwsError("ErrorInvalidOperation", "Search folders cannot be created in this emulator.")
        name = (spec.findtext(f"{_T}DisplayName") or "").strip()
        if not name:
            raise EwsError("ErrorRequiredPropertyMissing", "A folder needs a DisplayName.")
        folder_class = (spec.findtext(f"{_T}FolderClass") or "").strip() or None
        if element == "Folder":
            folder_class = folder_class or "IPF.Note"
            kind = kind_for_class(folder_class)
        else:
            kind = element
            if folder_class:  # typed folders imply their class; giving one is refused even when it matches
                raise EwsError("ErrorNoFolderClassOverride", f"A {element} cannot be given a FolderClass.")
            folder_class = IMPLIED_CLASS[kind]
        with ctx.store.db.tx() as con:  # the write lock makes the name check and the insert atomic
            if ctx.store.folders.child_named(parent.id, name) is not None:
                raise EwsError("ErrorFolderExists")
            new = ctx.store.folders.create(con, parent.mailbox_id, parent.id, name, folder_class, kind)
            requested = spec.find(f"{_T}PermissionSet")
            if requested is not None:
                entries = complete(parse_permission_set(ctx, new, requested))
            else:
                entries = dict(ctx.store.folders.permissions(parent.id))
            if not acc.everything:
                entries[ctx.caller.id] = FULL
            ctx.store.folders.set_permissions(con, new.id, complete(entries))
            record_event(
                con, new.mailbox_id, "CreatedEvent", new.id, None, old_folder_id=parent.id, is_folder=True
            )
        ctx.forget_access()
        fresh = ctx.store.folders.get(new.id)
        assert fresh is not None
        msg.append(folders_container([folder_id_only(fresh)]))

    return each_message("CreateFolder", specs, fill)


@operation("UpdateFolder")
def update_folder(ctx: Ctx, req: etree._Element) -> etree._Element:
    changes = req.find(f"{_M}FolderChanges")

    def fill(msg: etree._Element, change: etree._Element) -> None:
        ref = change.find(f"{_T}FolderId")
        if ref is None:
            ref = change.find(f"{_T}DistinguishedFolderId")
        if ref is None:
            raise EwsError("ErrorInvalidRequest", "A FolderChange needs a FolderId.")
        folder, acc = ctx.visible_folder(ref)
        updates = change.find(f"{_T}Updates")
        with ctx.store.db.tx() as con:
            for update in updates if updates is not None else []:
                if isinstance(update.tag, str):
                    _apply(ctx, con, folder, acc, update)
                    folder = ctx.store.folders.get(folder.id) or folder
            record_event(
                con,
                folder.mailbox_id,
                "ModifiedEvent",
                folder.id,
                None,
                old_folder_id=folder.parent_id,
                is_folder=True,
            )
        ctx.forget_access()
        fresh = ctx.store.folders.get(folder.id)
        assert fresh is not None
        msg.append(folders_container([folder_id_only(fresh)]))

    items = [c for c in changes if isinstance(c.tag, str)] if changes is not None else []
    return each_message("UpdateFolder", items, fill)


def _apply(ctx: Ctx, con: sqlite3.Connection, folder: Folder, acc: Access, update: etree._Element) -> None:
    action = etree.QName(update).localname  # SetFolderField | AppendToFolderField | DeleteFolderField
    children = [c for c in update if isinstance(c.tag, str)]
    path = children[0]
    value = children[1] if len(children) > 1 else None
    if action != "DeleteFolderField" and (
        value is None or len([c for c in value if isinstance(c.tag, str)]) != 1
    ):
        raise EwsError("ErrorIncorrectUpdatePropertyCount", "Each change must set exactly one property.")
    if not acc.is_folder_owner:
        raise access_denied()
    uri = path.get("FieldURI") if etree.QName(path).localname == "FieldURI" else None
    if etree.QName(path).localname == "ExtendedFieldURI":
        uri = _extended_alias(path)
    if uri == "folder:PermissionSet":
        _update_permissions(ctx, con, folder, action, value)
        return
    if uri in ("folder:DisplayName", "folder:FolderClass", "hidden"):
        if action == "AppendToFolderField":
            raise EwsError("ErrorInvalidPropertyAppend", f"{uri} cannot be appended to.")
        if action == "DeleteFolderField":
            raise EwsError("ErrorInvalidPropertyDelete", f"{uri} cannot be deleted.")
        assert value is not None
        if uri == "folder:DisplayName":
            _rename(ctx, con, folder, _value_text(value, path, "DisplayName"))
        elif uri == "folder:FolderClass":
            _set_class(ctx, con, folder, _value_text(value, path, "FolderClass"))
        else:
            hidden = xs_bool(_value_text(value, path, ""))
            con.execute("UPDATE folders SET is_hidden = ? WHERE id = ?", (int(hidden), folder.id))
            ctx.store.folders.touch(con, folder.id)
        return
    if uri in _READ_ONLY:
        raise EwsError("ErrorInvalidPropertySet", f"{uri} is read-only.")
    raise EwsError("ErrorInvalidPropertySet", f"Updating {uri or 'this extended property'} is not supported.")


def _extended_alias(path: etree._Element) -> str | None:
    tag, kind = property_tag(path), path.get("PropertyType")
    return {
        (PR_DISPLAY_NAME, "String"): "folder:DisplayName",
        (PR_CONTAINER_CLASS, "String"): "folder:FolderClass",
        (PR_ATTR_HIDDEN, "Boolean"): "hidden",
    }.get((tag, kind))  # type: ignore[arg-type]


def _value_text(value: etree._Element, path: etree._Element, name: str) -> str:
    if etree.QName(path).localname == "ExtendedFieldURI":
        found = value.find(f"{_T}ExtendedProperty/{_T}Value")
    else:
        found = value.find(f"{_T}{name}")
    return (found.text or "").strip() if found is not None else ""


def _rename(ctx: Ctx, con: sqlite3.Connection, folder: Folder, name: str) -> None:
    if not name:
        raise EwsError("ErrorInvalidPropertySet", "A folder name cannot be empty.")
    if folder.parent_id is not None:
        clash = ctx.store.folders.child_named(folder.parent_id, name)
        if clash is not None and clash.id != folder.id:
            raise EwsError("ErrorFolderExists")
    ctx.store.folders.rename(con, folder.id, name)


def _set_class(ctx: Ctx, con: sqlite3.Connection, folder: Folder, folder_class: str) -> None:
    if not folder_class or kind_for_class(folder_class) != folder.kind:
        raise EwsError("ErrorObjectTypeChanged", "The folder class would change the folder's type.")
    ctx.store.folders.set_class(con, folder.id, folder_class)


def _update_permissions(
    ctx: Ctx, con: sqlite3.Connection, folder: Folder, action: str, value: etree._Element | None
) -> None:
    if action == "DeleteFolderField":
        ctx.store.folders.set_permissions(con, folder.id, complete({}))
        return
    assert value is not None
    entries = parse_permission_set(ctx, folder, value.find(f"{_T}PermissionSet"))
    if action == "AppendToFolderField":
        current = ctx.store.folders.permissions(folder.id)
        for key in entries:
            if key in current and not isinstance(key, str):
                raise EwsError("ErrorDuplicateUserIdsSpecified", "The user already has a permission entry.")
        entries = {**current, **entries}
    ctx.store.folders.set_permissions(con, folder.id, complete(entries))
