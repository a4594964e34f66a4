"""GetItem: items by id, one response message each.

Ids: ``t:ItemId`` (an item, or an occurrence id from a CalendarView), ``t:OccurrenceItemId``
(``RecurringMasterId`` + 1-based ``InstanceIndex``) and ``t:RecurringMasterItemId`` (the master of the
series an occurrence id belongs to). ChangeKeys are not checked (Exchange ignores them on reads).

Errors: ``ErrorInvalidIdMalformed`` (not an id this server issued), ``ErrorItemNotFound`` (deleted or moved:
a move gives a new id), ``ErrorAccessDenied`` (no ReadItems FullDetails on the item's folder; free/busy
readers see calendar items through CalendarView only), and the calendar occurrence errors.
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.calendarview import Occurrence, occurrence_at
from ews_emulator.ops.itemxml import render_item
from ews_emulator.ops.shapes import parse_item_shape
from ews_emulator.rights import Access
from ews_emulator.soap import M_NS, m
from ews_emulator.store import Folder, ItemRow
from ews_emulator.store.ids import MalformedId, decode_id

_M = f"{{{M_NS}}}"


def _decode(value: str | None, kinds: tuple[str, ...]):
    try:
        return decode_id(value, kinds)
    except MalformedId as exc:
        raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc


def _readable(ctx: Ctx, mailbox_id: int, row_id: int) -> tuple[ItemRow, Folder, Access]:
    row = ctx.store.items.get(row_id)
    if row is None or row.mailbox_id != mailbox_id:
        raise EwsError("ErrorItemNotFound")
    folder = ctx.store.folders.get(row.folder_id)
    if folder is None:
        raise EwsError("ErrorItemNotFound")
    acc = ctx.access(folder)
    if not acc.can_read_items:
        raise access_denied()
    return row, folder, acc


def resolve_item_ref(ctx: Ctx, ref: etree._Element) -> tuple[ItemRow, Folder, Access, Occurrence | None]:
    """Resolve any item reference of ``ItemIds`` to a readable item and, for occurrences, which one."""
    kind = etree.QName(ref).localname
    if kind == "ItemId":
        decoded = _decode(ref.get("Id"), ("item", "occurrence"))
        row, folder, acc = _readable(ctx, decoded.mailbox_id, decoded.row_id)
        if decoded.kind == "occurrence":
            return row, folder, acc, occurrence_at(row, decoded.extra)
        return row, folder, acc, None
    if kind == "OccurrenceItemId":
        decoded = _decode(ref.get("RecurringMasterId"), ("item",))
        row, folder, acc = _readable(ctx, decoded.mailbox_id, decoded.row_id)
        if not row.recurring:
            raise EwsError("ErrorCalendarCannotUseIdForOccurrenceId")
        return row, folder, acc, occurrence_at(row, int(ref.get("InstanceIndex") or 0))
    if kind == "RecurringMasterItemId":
        decoded = _decode(ref.get("OccurrenceId"), ("item", "occurrence"))
        row, folder, acc = _readable(ctx, decoded.mailbox_id, decoded.row_id)
        if not row.recurring:
            raise EwsError("ErrorCalendarCannotUseIdForRecurringMasterId")
        return row, folder, acc, None
    raise EwsError("ErrorInvalidIdMalformed", f"{kind} does not name an item.")


@operation("GetItem")
def get_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_item_shape(req.find(f"{_M}ItemShape"))
    container = req.find(f"{_M}ItemIds")
    refs = [r for r in container if isinstance(r.tag, str)] if container is not None else []

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        row, _folder, acc, occurrence = resolve_item_ref(ctx, ref)
        items = etree.SubElement(msg, m("Items"))
        items.append(render_item(ctx, row, acc, shape, occurrence=occurrence))

    return each_message("GetItem", refs, fill)
