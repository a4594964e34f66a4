"""UpdateItem: SetItemField / AppendToItemField / DeleteItemField on stored items.

* Paths: ``t:FieldURI`` (the element named after the colon), ``t:IndexedFieldURI`` (one dictionary entry,
  or one part of a physical address) and ``t:ExtendedFieldURI`` (matched by tag, or set and name/id).
  Each change carries exactly one property (``ErrorIncorrectUpdatePropertyCount``) and it must be the one
  the path names (``ErrorUpdatePropertyMismatch``). Append works on the properties Exchange allows
  (body, recipient and attendee lists, group members), others give ``ErrorInvalidPropertyAppend``.
* Conflicts: with ``ConflictResolution="NeverOverwrite"`` a stale ChangeKey gives
  ``ErrorIrresolvableConflict``; ``AutoResolve`` and ``AlwaysOverwrite`` apply the change.
* Rights: changing anything needs EditItems (All, or Owned on an item the caller created). Changing
  only the read state (``message:IsRead``) needs read access alone, as in Exchange, where a Reviewer may
  mark items read or unread (the read flag is not an edit of the item).
* Sent messages: recipients, From and receipt requests are frozen once a message is no longer a draft
  (``ErrorInvalidPropertyUpdateSentMessage``).
* Occurrences (an occurrence id or ``t:OccurrenceItemId``) become exceptions of their series, see
  :mod:`ews_emulator.occurrences`.
* A sent meeting changed by its organizer with ``SendMeetingInvitationsOrCancellations`` other than
  ``SendToNone`` sends updates (:mod:`ews_emulator.meeting_updates`).
* ``MessageDisposition="SendAndSaveCopy"``/``"SendOnly"`` on a draft sends it after the update, under
  the same Send As rules as SendItem; a refused send leaves the draft unchanged.
"""

from __future__ import annotations

import copy

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.meeting_updates import SENDING, is_sent_meeting, send_update
from ews_emulator.occurrence_meetings import occurrence_times, send_occurrence_update
from ews_emulator.occurrences import is_occurrence_ref, update_occurrence
from ews_emulator.ops.attachments_write import require_modify
from ews_emulator.ops.common import find_t, item_id_el
from ews_emulator.ops.itemparse import (
    MESSAGE_KINDS,
    READ_ONLY,
    check_extended_property,
    check_item,
    item_type,
    kids,
    local,
    resolve_ref,
)
from ews_emulator.ops.itemxml import item_id_for
from ews_emulator.ops.senditem import saved_copy_folder, send_stored
from ews_emulator.ops.shapes import INDEXED, ExtendedPath
from ews_emulator.soap import T_NS, m, t
from ews_emulator.store.ids import change_num_of
from ews_emulator.xml.builder import order_tree

_T = f"{{{T_NS}}}"
APPENDABLE = frozenset({"Body", "ToRecipients", "CcRecipients", "BccRecipients", "ReplyTo", "RequiredAttendees",
                        "OptionalAttendees", "Resources", "Members"})
FROZEN_AFTER_SEND = frozenset({"ToRecipients", "CcRecipients", "BccRecipients", "From", "Sender", "ReplyTo",
                               "IsReadReceiptRequested", "IsDeliveryReceiptRequested", "InternetMessageId"})
_UNDELETABLE = {"CalendarItem": frozenset({"Start", "End"})}


@operation("UpdateItem")
def update_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    conflict = req.get("ConflictResolution") or "AutoResolve"
    disposition = req.get("MessageDisposition")
    invitations = req.get("SendMeetingInvitationsOrCancellations")
    holder = find_t(req, "m:SavedItemFolderId")
    saved_ref = kids(holder)[0] if kids(holder) else None

    def fill(msg: etree._Element, change: etree._Element) -> None:
        parts = kids(change)
        ref, updates = parts[0], find_t(change, "t:Updates")
        if is_occurrence_ref(ref):
            if invitations is None:
                raise EwsError("ErrorSendMeetingInvitationsOrCancellationsRequired",
                               "SendMeetingInvitationsOrCancellations is required for calendar items.")
            prior = occurrence_times(ctx, ref) if invitations in SENDING else None
            master, occ = update_occurrence(ctx, ref, kids(updates), conflict)
            if prior is not None and is_sent_meeting(master, master.element_tree()):
                send_occurrence_update(ctx, prior, master, occ, invitations)
            items = etree.SubElement(msg, m("Items"))
            etree.SubElement(items, t("CalendarItem")).append(item_id_for(master, occ))
            etree.SubElement(etree.SubElement(msg, m("ConflictResults")), t("Count")).text = "0"
            return
        row, _, acc = resolve_ref(ctx, ref)
        given = change_num_of(ref.get("ChangeKey"))
        if conflict == "NeverOverwrite" and given is not None and given != row.change_num:
            raise EwsError("ErrorIrresolvableConflict")
        el = row.element_tree()
        kind = local(el)
        if kind == "CalendarItem" and invitations is None:
            raise EwsError("ErrorSendMeetingInvitationsOrCancellationsRequired",
                           "SendMeetingInvitationsOrCancellations is required for calendar items.")
        if not only_read_state(kids(updates)):
            require_modify(ctx, row, acc)
        before = row.element_tree() if invitations in SENDING and is_sent_meeting(row, el) else None
        apply_updates(el, kids(updates), is_draft=row.is_draft or kind not in MESSAGE_KINDS)
        sending = disposition in ("SendAndSaveCopy", "SendOnly") and kind in MESSAGE_KINDS
        save_to = None
        if sending and disposition == "SendAndSaveCopy":
            save_to = saved_copy_folder(ctx, saved_ref, row.mailbox_id)
        items = etree.SubElement(msg, m("Items"))
        with ctx.store.db.tx() as con:
            row = ctx.store.items.update(con, row, el, ctx.caller.display_name)
            if before is not None:  # the organizer changed a sent meeting: updates go out
                row = send_update(ctx, before, row, invitations)
            if sending:
                send_stored(ctx, row, save_to)
            else:
                etree.SubElement(items, t(kind)).append(item_id_el(row))
        results = etree.SubElement(msg, m("ConflictResults"))
        etree.SubElement(results, t("Count")).text = "0"

    return each_message("UpdateItem", kids(find_t(req, "m:ItemChanges")), fill)


def only_read_state(changes: list[etree._Element]) -> bool:
    """True when every change sets ``message:IsRead`` (what a Reviewer may do)."""
    return bool(changes) and all(
        local(c) == "SetItemField" and kids(c) and local(kids(c)[0]) == "FieldURI"
        and kids(c)[0].get("FieldURI") == "message:IsRead" for c in changes)


def apply_updates(el: etree._Element, changes: list[etree._Element], *, is_draft: bool) -> set[str]:
    """Apply the changes to a stored item element in place; returns the names of the properties touched.

    Raises:
        EwsError: the per-change errors listed in the module docstring.
    """
    type_name = item_type(el)
    touched: set[str] = set()
    for change in changes:
        parts = kids(change)
        op, path = local(change), parts[0]
        value = parts[1] if len(parts) > 1 else None
        kind = local(path)
        if kind == "FieldURI":
            name = (path.get("FieldURI") or "").rpartition(":")[2]
            _field(el, op, name, value)
        elif kind == "IndexedFieldURI":
            name = _indexed(el, op, path, value)
        else:
            name = "ExtendedProperty"
            _extended(el, op, path, value)
        if not is_draft and name in FROZEN_AFTER_SEND:
            raise EwsError("ErrorInvalidPropertyUpdateSentMessage",
                           f"{name} cannot be changed once the message has been sent.")
        touched.add(name)
    try:
        order_tree(el, type_name)
    except ValueError as exc:
        raise EwsError("ErrorInvalidPropertySet", f"The property is not valid for this item: {exc}") from None
    check_item(el)
    return touched


def _single(value: etree._Element | None) -> etree._Element:
    props = kids(value)
    if len(props) != 1:
        raise EwsError("ErrorIncorrectUpdatePropertyCount", "An object within a change description must contain "
                                                            "one and only one property to modify.")
    return props[0]


def _field(el: etree._Element, op: str, name: str, value: etree._Element | None) -> None:
    kind = local(el)
    if op == "DeleteItemField":
        if name in READ_ONLY or name in _UNDELETABLE.get(kind, ()):
            raise EwsError("ErrorInvalidPropertyDelete", f"{name} cannot be deleted.")
        for old in el.findall(f"{_T}{name}"):
            el.remove(old)
        return
    prop = _single(value)
    if local(prop) != name:
        raise EwsError("ErrorUpdatePropertyMismatch",
                       f"The property {local(prop)} does not match the path {name}.")
    if name in READ_ONLY or name == "Attachments":
        raise EwsError("ErrorInvalidPropertySet", f"Set action is invalid for property {name}.")
    prop = copy.deepcopy(prop)
    existing = el.find(f"{_T}{name}")
    if op == "AppendToItemField":
        if name not in APPENDABLE:
            raise EwsError("ErrorInvalidPropertyAppend", f"Append is not supported for property {name}.")
        if existing is not None:
            if name == "Body":
                existing.text = (existing.text or "") + (prop.text or "")
            else:
                existing.extend(list(prop))
            return
    for old in el.findall(f"{_T}{name}"):
        el.remove(old)
    el.append(prop)


def _indexed(el: etree._Element, op: str, path: etree._Element, value: etree._Element | None) -> str:
    uri, index = path.get("FieldURI") or "", path.get("FieldIndex") or ""
    spec = INDEXED.get(uri)
    if spec is None or uri == "item:InternetMessageHeader":
        raise EwsError("ErrorInvalidPropertySet", f"{uri} cannot be changed.")
    dict_name, entry_name, key_attr, part = spec
    if op == "AppendToItemField":
        raise EwsError("ErrorInvalidPropertyAppend", f"Append is not supported for property {uri}.")
    holder = el.find(f"{_T}{dict_name}")
    entry = None
    if holder is not None:
        entry = next((e for e in holder if e.get(key_attr) == index), None)
    if op == "DeleteItemField":
        if entry is not None:
            target = entry.find(f"{_T}{part}") if part else entry
            if target is not None:
                target.getparent().remove(target)
            if part and len(entry) == 0:
                holder.remove(entry)
            if len(holder) == 0:
                el.remove(holder)
        return dict_name
    prop = _single(value)
    given = prop.find(f"{_T}{entry_name}") if local(prop) == dict_name else None
    if given is None or given.get(key_attr) != index or len(prop) != 1:
        raise EwsError("ErrorUpdatePropertyMismatch", f"The property does not match the path {uri} {index}.")
    if holder is None:
        holder = etree.SubElement(el, t(dict_name))
    if part is None:
        if entry is not None:
            holder.replace(entry, copy.deepcopy(given))
        else:
            holder.append(copy.deepcopy(given))
        return dict_name
    new_part = given.find(f"{_T}{part}")
    if new_part is None or len(given) != 1:
        raise EwsError("ErrorIncorrectUpdatePropertyCount", "Exactly one address part must be given.")
    if entry is None:
        entry = etree.SubElement(holder, t(entry_name), {key_attr: index})
    for old in entry.findall(f"{_T}{part}"):
        entry.remove(old)
    entry.append(copy.deepcopy(new_part))
    return dict_name


def _extended(el: etree._Element, op: str, path: etree._Element, value: etree._Element | None) -> None:
    wanted = ExtendedPath.from_element(path)
    if op == "AppendToItemField":
        raise EwsError("ErrorInvalidPropertyAppend", "Append is not supported for extended properties.")
    new = None
    if op == "SetItemField":
        prop = _single(value)
        uri = prop.find(f"{_T}ExtendedFieldURI")
        if local(prop) != "ExtendedProperty" or uri is None or not wanted.matches(ExtendedPath.from_element(uri)):
            raise EwsError("ErrorUpdatePropertyMismatch", "The extended property does not match the path.")
        new = copy.deepcopy(prop)
        check_extended_property(new)
    for old in el.findall(f"{_T}ExtendedProperty"):
        uri = old.find(f"{_T}ExtendedFieldURI")
        if uri is not None and wanted.matches(ExtendedPath.from_element(uri)):
            el.remove(old)
    if new is not None:
        el.append(new)
