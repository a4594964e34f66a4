"""GetAttachment: attachment content by ``AttachmentId``, one response message each.

A file attachment comes back as ``t:FileAttachment`` with its ``Content`` (base64); an item attachment as
``t:ItemAttachment`` holding the attached item, written with all its properties and the
``AttachmentShape`` (``BodyType``, ``IncludeMimeContent``, ``AdditionalProperties``). The caller needs
ReadItems FullDetails on the folder of the item the attachment belongs to.
"""

from __future__ import annotations

import base64

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.itemxml import attachment_meta, render_element
from ews_emulator.ops.shapes import ItemShape, parse_attachment_shape
from ews_emulator.soap import M_NS, T_NS, m, t
from ews_emulator.store.ids import MalformedId, decode_id
from ews_emulator.xml.builder import order_children

_M = f"{{{M_NS}}}"
_T = f"{{{T_NS}}}"


def _attachment_el(ctx: Ctx, ref: etree._Element, shape: ItemShape) -> etree._Element:
    try:
        decoded = decode_id(ref.get("Id"), "attachment")
    except MalformedId as exc:
        raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
    att = ctx.store.items.attachment(decoded.row_id)
    row = ctx.store.items.get(att["item_id"]) if att is not None else None
    if att is None or row is None or row.mailbox_id != decoded.mailbox_id:
        raise EwsError("ErrorItemNotFound", "The specified attachment could not be found.")
    folder = ctx.store.folders.get(row.folder_id)
    if folder is None:
        raise EwsError("ErrorItemNotFound")
    if not ctx.access(folder).can_read_items:
        raise access_denied()
    meta_row = next(a for a in ctx.store.items.attachments(row.id) if a["id"] == att["id"])
    el = attachment_meta(row, meta_row)
    if att["item_xml"] is not None:
        item = etree.fromstring(att["item_xml"])
        el.append(render_element(ctx, item, shape))
        return order_children(el, "t:ItemAttachmentType")
    etree.SubElement(el, t("Content")).text = base64.b64encode(att["content"] or b"").decode("ascii")
    return order_children(el, "t:FileAttachmentType")


@operation("GetAttachment")
def get_attachment(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_attachment_shape(req.find(f"{_M}AttachmentShape"))
    container = req.find(f"{_M}AttachmentIds")
    refs = [r for r in container if isinstance(r.tag, str)] if container is not None else []

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        etree.SubElement(msg, m("Attachments")).append(_attachment_el(ctx, ref, shape))

    return each_message("GetAttachment", refs, fill)
