"""DeleteItem: HardDelete, SoftDelete and MoveToDeletedItems.

Deleting needs DeleteItems (All, or Owned on an item the caller created), else ``ErrorAccessDenied``.
The item always stays in its own mailbox: ``MoveToDeletedItems`` moves it to the Deleted Items of the
mailbox that holds it (not the caller's), and an item already in Deleted Items is soft-deleted instead, as
Outlook and Exchange do; ``SoftDelete`` moves it to that mailbox's Recoverable Items\\Deletions (the
dumpster); ``HardDelete`` removes it. Calendar items need ``SendMeetingCancellations`` and tasks
``AffectedTaskOccurrences`` (exchangelib always sends both); deleting the organizer's sent meeting (or one
occurrence of it) with ``SendOnlyToAll``/``SendToAllAndSaveCopy`` sends cancellations first
(:mod:`ews_emulator.meeting_updates`, :mod:`ews_emulator.occurrence_meetings`). Deleting an occurrence
(occurrence id or ``t:OccurrenceItemId``) removes it from its series (:mod:`ews_emulator.occurrences`).
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.meeting_updates import CANCELLING, cancel_for, is_sent_meeting
from ews_emulator.occurrence_meetings import cancel_occurrence
from ews_emulator.occurrences import delete_occurrence, is_occurrence_ref
from ews_emulator.ops.common import find_t
from ews_emulator.ops.itemparse import kids, resolve_ref
from ews_emulator.store import Folder, ItemRow


def dispose(ctx: Ctx, row: ItemRow, folder: Folder, delete_type: str) -> ItemRow | None:
    """Delete one item the way ``delete_type`` says; returns the moved item, None when it is gone."""
    store = ctx.store
    target = None
    if delete_type == "MoveToDeletedItems":
        target = store.folders.by_well_known(row.mailbox_id, "deleteditems")
        if target is not None and (target.id == folder.id
                                   or any(f.id == target.id for f in store.folders.ancestors(folder.id))):
            target = store.folders.by_well_known(row.mailbox_id, "recoverableitemsdeletions")
    elif delete_type == "SoftDelete":
        target = store.folders.by_well_known(row.mailbox_id, "recoverableitemsdeletions")
        if target is not None and target.id == folder.id:
            target = None
    with store.db.tx() as con:
        if target is None:
            store.items.delete(con, row)
            return None
        return store.items.move(con, row, target.id, target.mailbox_id)


@operation("DeleteItem")
def delete_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    delete_type = req.get("DeleteType") or "HardDelete"
    cancellations = req.get("SendMeetingCancellations")
    affected = req.get("AffectedTaskOccurrences")

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        if is_occurrence_ref(ref):
            if cancellations is None:
                raise EwsError("ErrorSendMeetingCancellationsRequired",
                               "SendMeetingCancellations is required for calendar items.")
            cancel_occurrence(ctx, ref, cancellations)
            delete_occurrence(ctx, ref)
            return
        row, folder, acc = resolve_ref(ctx, ref)
        if row.element == "CalendarItem" and cancellations is None:
            raise EwsError("ErrorSendMeetingCancellationsRequired",
                           "SendMeetingCancellations is required for calendar items.")
        if row.element == "Task" and affected is None:
            raise EwsError("ErrorAffectedTaskOccurrencesRequired", "AffectedTaskOccurrences is required for tasks.")
        if not acc.can_delete_item(row.created_by, ctx.caller.id):
            raise access_denied()
        if row.element == "CalendarItem" and cancellations in CANCELLING:
            meeting = row.element_tree()
            if is_sent_meeting(row, meeting):
                cancel_for(ctx, row, meeting, None, save_copy=cancellations == "SendToAllAndSaveCopy", given=None)
        dispose(ctx, row, folder, delete_type)

    return each_message("DeleteItem", kids(find_t(req, "m:ItemIds")), fill)
