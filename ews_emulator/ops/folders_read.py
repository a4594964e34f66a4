"""GetFolder and FindFolder.

GetFolder answers one response message per requested id (exchangelib asks for 31 distinguished
folders at once and skips the ``ErrorFolderNotFound`` ones). A folder the caller may not see is
``ErrorAccessDenied`` - including the root (``root``, ``msgfolderroot``) of a mailbox the caller has
neither Full Access to nor ``IsFolderVisible`` on; an unknown mailbox is ``ErrorNonExistentMailbox``.

``PermissionSet`` is returned to anyone who may see the folder (read-only for non-owners, as Outlook
shows it); only folder owners may change it (UpdateFolder).
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.folderquery import matches, page, visible_children, visible_tree
from ews_emulator.ops.folderxml import folder_element, folders_container, parse_shape
from ews_emulator.soap import M_NS, m, t

_M = f"{{{M_NS}}}"


@operation("GetFolder")
def get_folder(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_shape(req.find(f"{_M}FolderShape"))

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        folder, acc = ctx.visible_folder(ref)
        msg.append(folders_container([folder_element(ctx, folder, shape, acc)]))

    return each_message("GetFolder", ctx.folder_refs(req.find(f"{_M}FolderIds")), fill)


@operation("FindFolder")
def find_folder(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_shape(req.find(f"{_M}FolderShape"))
    traversal = req.get("Traversal", "Shallow")
    restriction = req.find(f"{_M}Restriction")
    expr = next((c for c in restriction if isinstance(c.tag, str)), None) if restriction is not None else None

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        parent, _ = ctx.visible_folder(ref)
        if traversal == "Deep":
            found = visible_tree(ctx, parent)
        elif traversal == "Shallow":
            found = visible_children(ctx, parent)
        else:  # SoftDeleted: folders cannot be soft-deleted (they leave the mailbox), so there are none
            found = []
        if expr is not None:
            found = [f for f in found if matches(ctx, f, expr)]
        chunk, attrs = page(found, req)
        root = etree.SubElement(msg, m("RootFolder"), attrs)
        folders = etree.SubElement(root, t("Folders"))
        folders.extend(folder_element(ctx, f, shape) for f in chunk)

    return each_message("FindFolder", ctx.folder_refs(req.find(f"{_M}ParentFolderIds")), fill)
