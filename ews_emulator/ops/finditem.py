"""FindItem: items of a folder, filtered, sorted and paged in SQL; only the page is rendered.

One response message per ``ParentFolderIds`` entry. Paging views: ``IndexedPageItemView`` (``Offset``,
``BasePoint`` Beginning/End), ``FractionalPageItemView``, ``ContactsView`` and ``CalendarView`` (see
:mod:`ews_emulator.ops.calendarview`); without a view Exchange returns at most 1000 items
(``EWSFindCountLimit``). ``m:RootFolder`` always carries ``TotalItemsInView`` and
``IncludesLastItemInRange`` (and ``IndexedPagingOffset`` / ``NumeratorOffset`` + ``AbsoluteDenominator``).

Rights: ReadItems FullDetails on the folder (``ErrorAccessDenied`` otherwise), except CalendarView, which
free/busy readers may use. ``Traversal``: Shallow (normal items), Associated (folder-associated items),
SoftDeleted (items in the dumpster: this store deletes for good, so always empty).
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.calendarview import calendar_view
from ews_emulator.ops.itemxml import check_find_shape, render_item
from ews_emulator.ops.restrictions import register_functions, restriction_sql, sort_sql
from ews_emulator.ops.shapes import ItemShape, parse_item_shape
from ews_emulator.quirks import Quirk
from ews_emulator.rights import Access
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t
from ews_emulator.store import Folder

_M = f"{{{M_NS}}}"
_T = f"{{{T_NS}}}"
FIND_COUNT_LIMIT = 1000


@operation("FindItem")
def find_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_item_shape(req.find(f"{_M}ItemShape"))
    register_functions(ctx.store.db.connection())
    refs = ctx.folder_refs(req.find(f"{_M}ParentFolderIds"))
    return each_message("FindItem", refs, lambda msg, ref: _find_in_folder(ctx, req, shape, ref, msg))


def _find_in_folder(ctx: Ctx, req: etree._Element, shape: ItemShape, ref: etree._Element,
                    msg: etree._Element) -> None:
    folder, acc = ctx.visible_folder(ref)
    check_find_shape(shape)
    cal_view = req.find(f"{_M}CalendarView")
    if cal_view is not None:
        if req.find(f"{_M}Restriction") is not None or req.find(f"{_M}SortOrder") is not None:
            raise EwsError("ErrorInvalidRestriction", "Restrictions and sort order may not be specified for a "
                                                      "CalendarView.")
        calendar_view(ctx, folder, acc, cal_view, shape, msg)
        return
    if not acc.can_read_items:
        raise access_denied()
    if req.find(f"{_M}GroupBy") is not None or req.find(f"{_M}DistinguishedGroupBy") is not None:
        raise EwsError("ErrorInvalidRequest", "Grouped FindItem is not supported by this server.")
    if req.find(f"{_M}SeekToConditionPageItemView") is not None:
        raise EwsError("ErrorInvalidRequest", "SeekToConditionPageItemView is not supported by this server.")
    where, params = _where(ctx, req, folder)
    order = sort_sql(req.find(f"{_M}SortOrder"))
    total = ctx.store.items.count(where, params)
    root = etree.SubElement(msg, m("RootFolder"))
    offset, limit = _page(req, total)
    rows = ctx.store.items.select(where, params, order=order, limit=limit, offset=offset) if limit else []
    _finish_root(req, root, total, offset, len(rows))
    _items(ctx, root, rows, acc, shape)


def _names_body(restriction: etree._Element) -> bool:
    return any(el.get("FieldURI") == "item:Body" for el in restriction.iter(f"{_T}FieldURI"))


def _where(ctx: Ctx, req: etree._Element, folder: Folder) -> tuple[str, list[object]]:
    traversal = req.get("Traversal") or "Shallow"
    clauses = ["folder_id = ?", "is_associated = ?"]
    params: list[object] = [folder.id, int(traversal == "Associated")]
    if traversal == "SoftDeleted":
        clauses.append("0")
    restriction = req.find(f"{_M}Restriction")
    if restriction is not None:
        if ctx.backend.quirks.on(Quirk.NO_BODY_SEARCH) and _names_body(restriction):
            raise EwsError("ErrorUnsupportedPathForQuery", "The property item:Body can't be used in a restriction.")
        sql = restriction_sql(restriction)
        clauses.append(sql.sql)
        params.extend(sql.params)
    contacts = req.find(f"{_M}ContactsView")
    if contacts is not None:
        for attr, op in (("InitialName", ">="), ("FinalName", "<=")):
            if contacts.get(attr):
                clauses.append(f"coalesce(display_name, subject) {op} ? COLLATE NOCASE")
                params.append(contacts.get(attr))
    query = req.findtext(f"{_M}QueryString")
    if query:
        for term in query.split():
            term = term.split(":", 1)[1] if ":" in term else term
            clauses.append("(instr(lower(subject), ?) > 0 OR instr(lower(body_text), ?) > 0 OR"
                           " instr(lower(coalesce(from_name, '') || ' ' || coalesce(from_addr, '')), ?) > 0)")
            params.extend([term.strip('"').lower()] * 3)
    return " AND ".join(clauses), params


def _page(req: etree._Element, total: int) -> tuple[int, int]:
    """(offset, limit) of the requested page."""
    indexed = req.find(f"{_M}IndexedPageItemView")
    fractional = req.find(f"{_M}FractionalPageItemView")
    contacts = req.find(f"{_M}ContactsView")
    max_entries = FIND_COUNT_LIMIT
    for view, code in ((indexed, "ErrorInvalidIndexedPagingParameters"),
                       (fractional, "ErrorInvalidFractionalPagingParameters"), (contacts, "ErrorInvalidPagingMaxRows")):
        if view is not None and view.get("MaxEntriesReturned") is not None:
            max_entries = int(view.get("MaxEntriesReturned") or 0)
            if max_entries < 1:
                raise EwsError(code)
    if indexed is not None:
        offset = int(indexed.get("Offset") or 0)
        if offset < 0:
            raise EwsError("ErrorInvalidIndexedPagingParameters")
        if indexed.get("BasePoint") == "End":
            end = max(0, total - offset)
            start = max(0, end - max_entries)
            return start, end - start
        return offset, max(0, min(max_entries, total - offset))
    if fractional is not None:
        num, den = int(fractional.get("Numerator") or 0), int(fractional.get("Denominator") or 0)
        if den <= 0 or num < 0 or num > den:
            raise EwsError("ErrorInvalidFractionalPagingParameters")
        offset = total * num // den
        return offset, max(0, min(max_entries, total - offset))
    return 0, min(max_entries, total)


def _finish_root(req: etree._Element, root: etree._Element, total: int, offset: int, count: int) -> None:
    indexed = req.find(f"{_M}IndexedPageItemView")
    fractional = req.find(f"{_M}FractionalPageItemView")
    if indexed is not None:
        base_end = indexed.get("BasePoint") == "End"
        given = int(indexed.get("Offset") or 0)
        root.set("IndexedPagingOffset", str(given + count))
        last = offset == 0 if base_end else offset + count >= total
        root.set("IncludesLastItemInRange", bool_text(last or total == 0))
    elif fractional is not None:
        root.set("NumeratorOffset", str(offset + count))
        root.set("AbsoluteDenominator", str(total))
        root.set("IncludesLastItemInRange", bool_text(offset + count >= total))
    else:
        root.set("IndexedPagingOffset", str(offset + count))
        root.set("IncludesLastItemInRange", bool_text(offset + count >= total))
    root.set("TotalItemsInView", str(total))


def _items(ctx: Ctx, root: etree._Element, rows: list, acc: Access, shape: ItemShape) -> None:
    items = etree.SubElement(root, t("Items"))
    for row in rows:
        items.append(render_item(ctx, row, acc, shape, find=True))
