"""MoveItem and CopyItem.

The target (``ToFolderId``, any mailbox) needs CreateContents; a move also needs DeleteItems on the
source item (a copy only needs to read it). Every moved or copied item gets a new id; the old id of a
moved item then names nothing (``ErrorItemNotFound``). As Microsoft documents, new ids are returned
only within one mailbox: a cross-mailbox move or copy answers with an empty ``m:Items`` (exchangelib
then reports ``None``), and so does ``ReturnNewItemIds="false"``. A copy belongs to whoever made it
(Owned rights in the target folder), a moved item keeps its creator.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.common import find_t, item_id_el
from ews_emulator.ops.itemparse import kids, resolve_ref
from ews_emulator.soap import m, t, xs_bool
from ews_emulator.store import Folder


def _target(ctx: Ctx, req: etree._Element) -> Callable[[], Folder]:
    refs = kids(find_t(req, "m:ToFolderId"))
    cache: dict[str, Folder] = {}

    def get() -> Folder:
        if "folder" not in cache:
            try:
                folder = ctx.folder(refs[0])
            except EwsError as exc:
                if exc.code == "ErrorFolderNotFound":
                    raise EwsError("ErrorToFolderNotFound", "The destination folder could not be found.") from None
                raise
            if not ctx.access(folder).can_create_items:
                raise access_denied()
            cache["folder"] = folder
        return cache["folder"]

    return get


def _move_or_copy(ctx: Ctx, req: etree._Element, op: str) -> etree._Element:
    target = _target(ctx, req)
    returned = find_t(req, "m:ReturnNewItemIds")
    return_ids = xs_bool(returned.text if returned is not None else None, True)

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        try:
            row, _, acc = resolve_ref(ctx, ref)
        except EwsError as exc:
            if exc.code == "ErrorInvalidOperation":
                raise EwsError("ErrorCalendarCannotMoveOrCopyOccurrence",
                               "Occurrences of a recurring series cannot be moved or copied.") from None
            raise
        folder = target()
        if op == "MoveItem" and not acc.can_delete_item(row.created_by, ctx.caller.id):
            raise access_denied()
        with ctx.store.db.tx() as con:
            if op == "MoveItem":
                new = ctx.store.items.move(con, row, folder.id, folder.mailbox_id)
            else:
                new = ctx.store.items.copy(con, row, folder.id, folder.mailbox_id, created_by=ctx.caller.id)
        items = etree.SubElement(msg, m("Items"))
        if return_ids and folder.mailbox_id == row.mailbox_id:
            etree.SubElement(items, t(new.element)).append(item_id_el(new))

    return each_message(op, kids(find_t(req, "m:ItemIds")), fill)


@operation("MoveItem")
def move_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    return _move_or_copy(ctx, req, "MoveItem")


@operation("CopyItem")
def copy_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    return _move_or_copy(ctx, req, "CopyItem")
