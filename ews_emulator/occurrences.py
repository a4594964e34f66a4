"""Single occurrences of a recurring series: UpdateItem and DeleteItem on an occurrence id.

An occurrence is named by an ``occurrence`` id from CalendarView/GetItem or by ``t:OccurrenceItemId``
(master id + ``InstanceIndex``). Changing one never touches the series:

* **Update** applies the changes to the occurrence as GetItem shows it and records the result on the
  master: a ``t:ModifiedOccurrences/t:Occurrence`` entry (``ItemId``, ``Start``, ``End``, ``OriginalStart``,
  the model :mod:`ews_emulator.ops.calendarview` expands; the instance then reads as ``Exception``) and,
  for any other property that now differs from the series (subject, location, body, free/busy status ...),
  an exception record. Exchange keeps exception data in MAPI properties of the master; so do we: one
  string extended property in a private property set (:data:`EXCEPTIONS_SET`), written back into each
  occurrence by :func:`apply_overrides` when it is rendered. ``Recurrence`` cannot be set on an occurrence
  (``ErrorInvalidPropertySet``); an occurrence may not move onto or past the day of its neighbours
  (``ErrorOccurrenceCrossingBoundary``).
* **Delete** adds ``t:DeletedOccurrences/t:DeletedOccurrence`` (original start) and drops the instance's
  modification; the index stays counted (GetItem then answers
  ``ErrorCalendarOccurrenceIsDeletedFromRecurrence``).

Both need EditItems on the master (the series item is what changes). :func:`override_occurrence` and
:func:`remove_occurrence` are the same changes without a request (the calendar attendant uses them for answers
to single occurrences, :mod:`ews_emulator.occurrence_meetings`).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.soap import T_NS, t
from ews_emulator.store import ItemRow, Store
from ews_emulator.store.ids import MalformedId, change_num_of, decode_id, encode_id
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_children

if TYPE_CHECKING:
    from ews_emulator.ops.calendarview import Occurrence

_T = f"{{{T_NS}}}"
EXCEPTIONS_SET = "8C7D2A51-6B0E-4F3A-9D1C-52E4A7B3F019"
EXCEPTIONS_NAME = "EmulatorOccurrenceExceptions"
_IGNORED = frozenset({"Start", "End", "OriginalStart", "RecurrenceId", "ExtendedProperty"})


def _fmt(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def is_occurrence_ref(ref: etree._Element) -> bool:
    """True for ``t:OccurrenceItemId`` and for an ``ItemId`` holding an occurrence id."""
    kind = etree.QName(ref).localname
    if kind == "OccurrenceItemId":
        return True
    if kind != "ItemId":
        return False
    try:
        return decode_id(ref.get("Id")).kind == "occurrence"
    except MalformedId:
        return False


# The exception store on the master ---------------------------------------------------------------
def _exceptions_prop(master: etree._Element) -> etree._Element | None:
    for prop in master.iterfind(f"{_T}ExtendedProperty"):
        uri = prop.find(f"{_T}ExtendedFieldURI")
        if uri is not None and uri.get("PropertyName") == EXCEPTIONS_NAME and \
                (uri.get("PropertySetId") or "").upper() == EXCEPTIONS_SET:
            return prop
    return None


def _load(master: etree._Element) -> etree._Element:
    prop = _exceptions_prop(master)
    text = prop.findtext(f"{_T}Value") if prop is not None else None
    if text:
        return etree.fromstring(text.encode())
    return etree.Element("Exceptions", nsmap={"t": T_NS})


def _save(master: etree._Element, root: etree._Element) -> None:
    prop = _exceptions_prop(master)
    if prop is not None:
        master.remove(prop)
    if len(root) == 0:
        return
    prop = etree.SubElement(master, t("ExtendedProperty"))
    etree.SubElement(prop, t("ExtendedFieldURI"), PropertySetId=EXCEPTIONS_SET, PropertyName=EXCEPTIONS_NAME,
                     PropertyType="String")
    etree.SubElement(prop, t("Value")).text = etree.tostring(root, encoding="unicode")


def _entry(root: etree._Element, original_start: int) -> etree._Element | None:
    return next((e for e in root if parse_datetime(e.get("OriginalStart")) == original_start), None)


def apply_overrides(src: etree._Element, original_start: int) -> None:
    """Turn an occurrence copy of a master into its exception: drop the store, put the changed properties in."""
    prop = _exceptions_prop(src)
    if prop is None:
        return
    root = _load(src)
    src.remove(prop)
    entry = _entry(root, original_start)
    if entry is None:
        return
    for change in entry:
        name = etree.QName(change).localname if change.tag != "Removed" else change.get("Name")
        for old in src.findall(f"{_T}{name}"):
            src.remove(old)
        if change.tag != "Removed":
            src.append(copy.deepcopy(change))


# Operations ---------------------------------------------------------------------------------------
def _resolve(ctx: Ctx, ref: etree._Element):
    from ews_emulator.ops.attachments_write import require_modify
    from ews_emulator.ops.getitem import resolve_item_ref

    row, folder, acc, occ = resolve_item_ref(ctx, ref)
    if occ is None:
        raise EwsError("ErrorItemNotFound")
    require_modify(ctx, row, acc)
    return row, folder, occ


def _occurrence_view(master: etree._Element, occ, *, with_exceptions: bool) -> etree._Element:
    from ews_emulator.ops.itemxml import _apply_occurrence

    src = copy.deepcopy(master)
    if not with_exceptions:
        prop = _exceptions_prop(src)
        if prop is not None:
            src.remove(prop)
    _apply_occurrence(src, occ)
    return src


def _serialized(el: etree._Element, name: str) -> list[bytes]:
    return [etree.tostring(c) for c in el.iterfind(f"{_T}{name}")]


def _check_boundaries(row: ItemRow, occ, start: int) -> None:
    """An occurrence stays strictly between the days of its neighbours, as Exchange insists."""
    from ews_emulator.ops.calendarview import series_of

    series = series_of(row)
    if series is None:
        return
    prev = nxt = None
    for other in series.instances():
        if other.index < occ.index:
            prev = other
        elif other.index > occ.index:
            nxt = other
            break
    day = series.zone.to_local(start).date()
    if (prev is not None and day <= series.zone.to_local(prev.start).date()) or \
            (nxt is not None and day >= series.zone.to_local(nxt.start).date()):
        raise EwsError("ErrorOccurrenceCrossingBoundary",
                       "An occurrence cannot be moved onto or past the day of an adjacent occurrence.")


def update_occurrence(ctx: Ctx, ref: etree._Element, changes: list[etree._Element],
                      conflict: str) -> tuple[ItemRow, Occurrence]:
    """Apply UpdateItem changes to one occurrence; returns the updated master and the occurrence."""
    from ews_emulator.ops.calendarview import Occurrence, occurrence_at  # noqa: F811
    from ews_emulator.ops.updateitem import apply_updates

    row, _folder, occ = _resolve(ctx, ref)
    given = change_num_of(ref.get("ChangeKey"))
    if conflict == "NeverOverwrite" and given is not None and given != row.change_num:
        raise EwsError("ErrorIrresolvableConflict")
    master = row.element_tree()
    duration = (row.end_ts or row.start_ts or 0) - (row.start_ts or 0)
    pure = _occurrence_view(master, Occurrence(occ.index, occ.original_start, occ.original_start + duration,
                                               occ.original_start), with_exceptions=False)
    new = _occurrence_view(master, occ, with_exceptions=True)
    touched = apply_updates(new, changes, is_draft=True)
    if "Recurrence" in touched:
        raise EwsError("ErrorInvalidPropertySet", "Recurrence cannot be set on a single occurrence.")
    start = parse_datetime(new.findtext(f"{_T}Start"))
    end = parse_datetime(new.findtext(f"{_T}End"))
    if start is None or end is None:
        raise EwsError("ErrorInvalidPropertyDelete", "Start and End cannot be deleted.")
    if start != occ.start:
        _check_boundaries(row, occ, start)
    root = _load(master)
    old = _entry(root, occ.original_start)
    if old is not None:
        root.remove(old)
    entry = etree.SubElement(root, "Exception", OriginalStart=_fmt(occ.original_start))
    names = {etree.QName(c).localname for el in (pure, new) for c in el if isinstance(c.tag, str)} - _IGNORED
    for name in sorted(names):
        if _serialized(pure, name) == _serialized(new, name):
            continue
        found = new.findall(f"{_T}{name}")
        if not found:
            etree.SubElement(entry, "Removed", Name=name)
        entry.extend(copy.deepcopy(c) for c in found)
    if len(entry) == 0:
        root.remove(entry)
    _save(master, root)
    _set_modified(master, row, occ.index, occ.original_start, (start, end))
    order_children(master, "t:CalendarItemType")
    with ctx.store.db.tx() as con:
        row = ctx.store.items.update(con, row, master, ctx.caller.display_name)
    return row, occurrence_at(row, occ.index)


def _set_modified(master: etree._Element, row: ItemRow, index: int, original_start: int,
                  times: tuple[int, int] | None) -> None:
    """Replace (``times`` given) or drop the ``ModifiedOccurrences`` entry of one instance."""
    holder = master.find(f"{_T}ModifiedOccurrences")
    if holder is not None:
        for occ_el in holder.findall(f"{_T}Occurrence"):
            if parse_datetime(occ_el.findtext(f"{_T}OriginalStart")) == original_start:
                holder.remove(occ_el)
    if times is not None:
        if holder is None:
            holder = etree.SubElement(master, t("ModifiedOccurrences"))
        occ_el = etree.SubElement(holder, t("Occurrence"))
        etree.SubElement(occ_el, t("ItemId"), Id=encode_id("occurrence", row.mailbox_id, row.id, index))
        etree.SubElement(occ_el, t("Start")).text = _fmt(times[0])
        etree.SubElement(occ_el, t("End")).text = _fmt(times[1])
        etree.SubElement(occ_el, t("OriginalStart")).text = _fmt(original_start)
    if holder is not None and len(holder) == 0:
        master.remove(holder)


def delete_occurrence(ctx: Ctx, ref: etree._Element) -> ItemRow:
    """Delete one occurrence from its series; returns the updated master."""
    row, _folder, occ = _resolve(ctx, ref)
    return remove_occurrence(ctx.store, row, occ, ctx.caller.display_name)


def override_occurrence(store: Store, row: ItemRow, occ, values: dict[str, list[etree._Element] | None],
                        modifier: str | None) -> ItemRow:
    """Record properties of one occurrence as exception data (``None``: the property is removed there).

    The occurrence keeps its times and reads as an ``Exception`` afterwards; returns the updated master.
    """
    master = row.element_tree()
    root = _load(master)
    entry = _entry(root, occ.original_start)
    if entry is None:
        entry = etree.SubElement(root, "Exception", OriginalStart=_fmt(occ.original_start))
    for name, value in values.items():
        for old in list(entry):
            old_name = old.get("Name") if old.tag == "Removed" else etree.QName(old).localname
            if old_name == name:
                entry.remove(old)
        if value is None:
            etree.SubElement(entry, "Removed", Name=name)
        else:
            entry.extend(copy.deepcopy(v) for v in value)
    _save(master, root)
    _set_modified(master, row, occ.index, occ.original_start, (occ.start, occ.end))
    order_children(master, "t:CalendarItemType")
    with store.db.tx() as con:
        return store.items.update(con, row, master, modifier)


def remove_occurrence(store: Store, row: ItemRow, occ, modifier: str | None) -> ItemRow:
    """Drop one occurrence from its series (``DeletedOccurrences``); returns the updated master."""
    master = row.element_tree()
    _set_modified(master, row, occ.index, occ.original_start, None)
    root = _load(master)
    old = _entry(root, occ.original_start)
    if old is not None:
        root.remove(old)
    _save(master, root)
    holder = master.find(f"{_T}DeletedOccurrences")
    if holder is None:
        holder = etree.SubElement(master, t("DeletedOccurrences"))
    etree.SubElement(etree.SubElement(holder, t("DeletedOccurrence")), t("Start")).text = _fmt(occ.original_start)
    order_children(master, "t:CalendarItemType")
    with store.db.tx() as con:
        return store.items.update(con, row, master, modifier)

