"""The change feed of a folder (new mail, changes, deletions) by SyncFolderItems.

Keep the state this returns and pass it back the next time. It runs when a streaming notification says the
folder changed (:mod:`app.ews.streaming`), after a gap in the notifications (the resync), and on a timer only for
a server without streaming notifications. A notification is never taken for the change itself: what changed is
always read here, so a missed notification costs a resync, never a wrong list.
"""

from __future__ import annotations

from collections.abc import Callable

from exchangelib.items import ID_ONLY
from exchangelib.properties import ItemId
from exchangelib.services import SyncFolderItems
from exchangelib.services.sync_folder_hierarchy import SyncFolder
from exchangelib.util import MNS

from app.domain.errors import Cancelled
from app.domain.folders import FolderRef
from app.domain.messages import Change, ChangeKind, MessageSummary
from app.ews.addressing import WholeBodyParsing, folder_id, place, run
from app.ews.client import EwsClient
from app.ews.convert import LIST_FIELDS, field_paths
from app.ews.rows import summary_from_xml

MAX_CHANGES = 512  # the most EWS returns per SyncFolderItems

_KINDS = {
    SyncFolderItems.CREATE: ChangeKind.CREATE,
    SyncFolderItems.UPDATE: ChangeKind.UPDATE,
    SyncFolderItems.DELETE: ChangeKind.DELETE,
    SyncFolderItems.READ_FLAG_CHANGE: ChangeKind.READ_FLAG,
}


# WORKAROUND for exchangelib 5.6.0: an error answer to SyncFolderItems ends in AttributeError.
class _SyncFolderItems(WholeBodyParsing, SyncFolderItems):
    """exchangelib 5.6.0's ``SyncFolder._get_element_container`` reads ``m:SyncState`` before it
    looks at the response class, so an error answer (``ErrorAccessDenied``, which has no sync state) ends in
    ``AttributeError`` instead of the EWS error.

    Args:
        rows: Read the list row of each created or updated item; False for the starting-point pass, whose changes
            are dropped (building rows there cost ~2 s of CPU, holding the GIL, for a 100,000-item folder).
    """

    def __init__(self, *args, rows: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows

    def _elem_to_obj(self, elem):
        kind = self.change_types_map[elem.tag]
        if not self.rows:
            return kind, None  # the starting-point pass: only the sync state matters
        if kind in (self.CREATE, self.UPDATE) and len(elem):
            return kind, summary_from_xml(elem[0])  # the list row, read from the XML (app.ews.rows)
        return super()._elem_to_obj(elem)

    def _get_element_container(self, message, name=None):
        if message.find(f"{{{MNS}}}SyncState") is None:
            return super(SyncFolder, self)._get_element_container(message=message, name=name)  # the EWS error
        return super()._get_element_container(message=message, name=name)


def _change(kind: str, payload: object) -> Change | None:
    change_kind = _KINDS.get(kind)
    if change_kind is ChangeKind.DELETE and isinstance(payload, ItemId):
        return Change(ChangeKind.DELETE, payload.id)
    if change_kind is ChangeKind.READ_FLAG and isinstance(payload, tuple):
        item_id, is_read = payload
        return Change(ChangeKind.READ_FLAG, item_id.id, is_read=bool(is_read))
    if change_kind in (ChangeKind.CREATE, ChangeKind.UPDATE) and isinstance(payload, MessageSummary):
        return Change(change_kind, payload.item_id, summary=payload)
    return None


def sync_changes(client: EwsClient, folder: FolderRef, state: str | None, *,
                 cancelled: Callable[[], bool] | None = None,
                 on_wait: Callable[[str], None] | None = None) -> tuple[list[Change], str]:
    """The changes of a folder's messages since ``state``, and the state to pass next time.

    With ``state`` None this only establishes a starting point: it returns no changes (the list was just
    loaded by :func:`app.ews.messages.find_page`) and the state for the next call. That first sync pages
    through every item of the folder by id only (one round trip per 512 items), so run it in the background.
    Later calls cost one SyncFolderItems round trip (more only after more than 512 changes).

    Raises:
        AccessDenied: The user may not read the folder.
        Cancelled: ``cancelled()`` said so between round trips.
    """
    account = client.account(folder.mailbox)
    fid = folder_id(folder)
    baseline = not state
    fields = set() if baseline else field_paths(LIST_FIELDS)  # the starting point: IdOnly, nothing more
    changes: list[Change] = []
    current = state or None
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled(f"Stopped checking {place(folder)} for new mail.")
        svc = _SyncFolderItems(account=account, rows=not baseline)

        def work(svc: _SyncFolderItems = svc, since: str | None = current) -> list[tuple[str, object]]:
            return list(svc.call(folder=fid, shape=ID_ONLY, additional_fields=fields, sync_state=since,
                                 ignore=None, max_changes_returned=MAX_CHANGES, sync_scope="NormalItems"))

        page = run(client, folder.mailbox, work, denied=f"You have no right to read {place(folder)}.",
                   on_wait=on_wait, cancelled=cancelled)
        for entry in page:
            if isinstance(entry, Exception):
                raise entry
            if baseline:
                continue  # nothing converted, nothing kept
            change = _change(*entry)
            if change is not None:
                changes.append(change)
        new_state = svc.sync_state or current or ""
        if svc.includes_last_item_in_range or new_state == current:
            return changes, new_state
        current = new_state
