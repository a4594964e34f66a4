"""CreateAttachment and DeleteAttachment; attachment ids shared with CreateItem.

Both need the right to modify the parent item (EditItems All, or Owned on one's own item); each
change gives the parent a new ChangeKey, reported back as ``RootItemChangeKey``. Attachment ids
are opaque ``attachment`` ids naming the mailbox and the attachment row.
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.delivery import AttachmentSpec, store_attachments
from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.common import find_t
from ews_emulator.ops.itemparse import kids, local, parse_attachment, resolve_ref
from ews_emulator.rights import Access
from ews_emulator.soap import m, t
from ews_emulator.store import ItemRow
from ews_emulator.store.ids import MalformedId, change_key, decode_id, encode_id


def attachment_id_el(row: ItemRow, attachment_id: int) -> etree._Element:
    """``t:AttachmentId`` with the root item's id and ChangeKey, as Exchange returns it after a create."""
    return etree.Element(t("AttachmentId"), Id=encode_id("attachment", row.mailbox_id, attachment_id),
                         RootItemId=encode_id("item", row.mailbox_id, row.id),
                         RootItemChangeKey=change_key("item", row.change_num))


def attachments_el(row: ItemRow, attachment_ids: list[int], specs: list[AttachmentSpec],
                   tag: str = "Attachments", ns: str = "t") -> etree._Element:
    """``t:Attachments`` (or ``m:Attachments``) listing new attachments by kind with their ids."""
    holder = etree.Element(t(tag) if ns == "t" else m(tag))
    for att_id, spec in zip(attachment_ids, specs, strict=True):
        kind = etree.SubElement(holder, t("ItemAttachment" if spec.item_xml is not None else "FileAttachment"))
        kind.append(attachment_id_el(row, att_id))
    return holder


def require_modify(ctx: Ctx, row: ItemRow, acc: Access) -> None:
    """ErrorAccessDenied unless the caller may edit the item (EditItems All, or Owned and created by the caller)."""
    if not acc.can_edit_item(row.created_by, ctx.caller.id):
        raise access_denied()


@operation("CreateAttachment")
def create_attachment(ctx: Ctx, req: etree._Element) -> etree._Element:
    specs_el = kids(find_t(req, "m:Attachments"))
    parent: ItemRow | EwsError
    try:
        row, _, acc = resolve_ref(ctx, find_t(req, "m:ParentItemId"))
        require_modify(ctx, row, acc)
        parent = row
    except EwsError as exc:  # every attachment of the request gets the parent's error
        parent = exc

    def fill(msg: etree._Element, att_el: etree._Element) -> None:
        nonlocal parent
        if isinstance(parent, EwsError):
            raise parent
        spec = parse_attachment(att_el)
        with ctx.store.db.tx() as con:
            current = ctx.store.items.get(parent.id)
            if current is None:
                raise EwsError("ErrorItemNotFound")
            (att_id,) = store_attachments(ctx.store, con, current.id, [spec])
            parent = ctx.store.items.touch(con, current, ctx.caller.display_name)
        msg.append(attachments_el(parent, [att_id], [spec], ns="m"))

    return each_message("CreateAttachment", specs_el, fill)


@operation("DeleteAttachment")
def delete_attachment(ctx: Ctx, req: etree._Element) -> etree._Element:
    refs = [el for el in kids(find_t(req, "m:AttachmentIds")) if local(el) == "AttachmentId"]

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        try:
            decoded = decode_id(ref.get("Id"), "attachment")
        except MalformedId as exc:
            raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
        att = ctx.store.items.attachment(decoded.row_id)
        if att is None:
            raise EwsError("ErrorInvalidAttachmentId", "The attachment could not be found.")
        row = ctx.store.items.get(att["item_id"])
        if row is None or row.mailbox_id != decoded.mailbox_id:
            raise EwsError("ErrorItemNotFound")
        folder = ctx.store.folders.get(row.folder_id)
        assert folder is not None
        acc = ctx.access(folder)
        if not acc.can_read_items:
            raise access_denied()
        require_modify(ctx, row, acc)
        with ctx.store.db.tx() as con:
            ctx.store.items.delete_attachment(con, decoded.row_id)
            row = ctx.store.items.touch(con, row, ctx.caller.display_name)
        etree.SubElement(msg, m("RootItemId"), RootItemId=encode_id("item", row.mailbox_id, row.id),
                         RootItemChangeKey=change_key("item", row.change_num))

    return each_message("DeleteAttachment", refs, fill)
