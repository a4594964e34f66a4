"""Reading mail: the message list (one FindItem per page), the reading pane (one GetItem), attachments.

Blocking; call through :mod:`app.tasks` on the mailbox's queue. The actions on messages live in
:mod:`app.ews.actions` and the change feed in :mod:`app.ews.sync`; both are re-exported here so that
``app.ews.messages`` offers the whole API of the shared plan.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace

from exchangelib import errors as ex
from exchangelib.account import Account
from exchangelib.attachments import AttachmentId, FileAttachment, ItemAttachment
from exchangelib.fields import FieldOrder, FieldPath
from exchangelib.items import ID_ONLY, SHALLOW, Item, Message
from exchangelib.properties import FolderId, ItemId
from exchangelib.restriction import Q, Restriction
from exchangelib.services import FindItem, GetAttachment

from app.domain.errors import ServerError
from app.domain.folders import FolderRef
from app.domain.messages import ListQuery, MessageDetail, MessageSummary, Page, SortField
from app.ews.actions import delete, move, set_categories, set_flag, set_read
from app.ews.addressing import (
    WholeBodyParsing,
    WholeGetItem,
    folder_id,
    folder_object,
    place,
    raise_first_error,
    run,
)
from app.ews.client import EwsClient
from app.ews.convert import DETAIL_FIELDS, LIST_FIELDS, detail, field_paths
from app.ews.rows import summary_from_xml
from app.ews.sync import sync_changes

_log = logging.getLogger(__name__)

__all__ = ["attachment_content", "attachment_contents", "delete", "find_page", "get_detail", "move",
           "set_categories", "set_flag", "set_read", "sync_changes"]

MAX_PAGE = 1000  # Exchange's EWSFindCountLimit: a larger page is cut short by the server
_SORT_FIELDS = {
    SortField.RECEIVED: "datetime_received",
    SortField.SUBJECT: "subject",
    SortField.SENDER: "author",  # the From column
    SortField.SIZE: "size",
    SortField.IMPORTANCE: "importance",
}


# WORKAROUND for exchangelib 5.6.0: QuerySet hides TotalItemsInView and GetItems "complex" list fields.
class _FindItemPage(WholeBodyParsing, FindItem):
    """One FindItem round trip for one page, keeping ``TotalItemsInView`` (the body parsed in one piece).

    exchangelib 5.6.0's QuerySet hides ``TotalItemsInView`` (``count()`` costs a second
    FindItem), pages on by itself until ``max_items`` is reached, and treats ``message:From``,
    ``item:Categories`` and extended properties as "complex", fetching them with a GetItem per 100 rows
    (queryset.py ``_query``), although FindItem returns them. This drives the service directly and reads the
    rows from the XML (:mod:`app.ews.rows`).
    """

    def page(self, folder: FolderId, fields: set[FieldPath], restriction: Restriction | None,
             order: list[FieldOrder], offset: int, limit: int) -> tuple[int, list[MessageSummary]]:
        """``(TotalItemsInView, rows)`` of one ``IndexedPageItemView`` page."""
        payload = self.get_payload(
            folders=[folder], additional_fields=fields, restriction=restriction, order_fields=order,
            query_string=None, shape=ID_ONLY, depth=SHALLOW, calendar_view=None, page_size=limit, offset=offset,
        )
        total = 0
        rows: list[MessageSummary] = []
        for message in self._get_elements(payload=payload):  # yields _get_page() results: (RootFolder, next)
            root, _next_offset = message
            if isinstance(root, Exception):
                raise root
            if root is None:  # exchangelib drops an empty RootFolder
                continue
            total = int(root.get("TotalItemsInView") or 0)
            for elem in self._get_elems_from_page(root, max_items=None, total_item_count=0):
                row = summary_from_xml(elem)  # messages, meeting requests, ...
                if row is not None:
                    rows.append(row)
        return total, rows


class _GetAttachment(WholeBodyParsing, GetAttachment):
    """GetAttachment, the body parsed in one piece (attachments are large)."""


# Servers that cannot filter on a path refuse the whole FindItem: Exchange says ErrorUnsupportedPathForQuery,
# other EWS servers (and Exchange for some restriction forms) ErrorInvalidRestriction.
_REFUSED_RESTRICTION = (ex.ErrorUnsupportedPathForQuery, ex.ErrorInvalidRestriction)
NO_BODY_SEARCH_NOTE = "Searched subject and sender only: this server cannot search message bodies."
# Connections whose server refused a body search: later searches leave the body out at once.
_NO_BODY_SEARCH: weakref.WeakSet[EwsClient] = weakref.WeakSet()


def _restriction(query: ListQuery, folder: FolderId, account: Account, *, body: bool = True) -> Restriction | None:
    parts: list[Q] = []
    text = query.search.strip()
    if text:
        words = Q(subject__icontains=text) | Q(author__icontains=text)
        parts.append(words | Q(body__icontains=text) if body else words)
    if query.unread_only:
        parts.append(Q(is_read=False))
    if query.category:
        parts.append(Q(categories__contains=[query.category]))
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q &= part
    return Restriction(q, folders=[folder_object(account, folder)], applies_to=Restriction.ITEMS)


def _order(query: ListQuery) -> list[FieldOrder]:
    def by(name: str, reverse: bool) -> FieldOrder:
        return FieldOrder(field_path=FieldPath(field=Message.get_field_by_fieldname(name)), reverse=reverse)

    primary = _SORT_FIELDS[query.sort]
    order = [by(primary, query.descending)]
    if primary != "datetime_received":
        order.append(by("datetime_received", True))  # newest first within equal keys
    return order


def find_page(client: EwsClient, folder: FolderRef, query: ListQuery, offset: int, limit: int = 100, *,
              on_wait: Callable[[str], None] | None = None) -> Page:
    """One page of a folder's message list: exactly one FindItem round trip.

    Args:
        client: The signed-in user's connection.
        folder: The folder (of any mailbox the user can read it in).
        query: Sort order, search text (subject, From or body contain it, case-insensitive), unread only,
            category. When the server refuses to search bodies, the search covers subject and From only and
            the page's ``note`` says so.
        offset: Index of the first row.
        limit: Rows wanted (at most 1000, Exchange's cap).
        on_wait: Told when Exchange is busy and the call waits to retry.

    Returns:
        The rows and ``TotalItemsInView`` (the number of rows the query has in all).

    Raises:
        AccessDenied: The user may not read the folder.
    """
    if offset < 0 or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"offset {offset} / limit {limit} out of range")
    account = client.account(folder.mailbox)
    fid = folder_id(folder)
    fields = field_paths(LIST_FIELDS)
    restriction = _restriction(query, fid, account)
    order = _order(query)

    def find(where: Restriction | None) -> tuple[int, list[MessageSummary]]:
        return _FindItemPage(account=account, page_size=limit).page(fid, fields, where, order, offset, limit)

    def without_bodies() -> Page:
        total, rows = find(_restriction(query, fid, account, body=False))
        return Page(offset=offset, items=tuple(rows), total=total, note=NO_BODY_SEARCH_NOTE)

    def work() -> Page:
        searching = bool(query.search.strip())
        if searching and client in _NO_BODY_SEARCH:
            return without_bodies()  # known from an earlier page: no refused round trip each time
        try:
            total, rows = find(restriction)
        except _REFUSED_RESTRICTION as refused:
            if not searching:
                raise
            # The server refused the body part of the search (grommunio Gromox does): search what it can.
            _log.info("FindItem refused the body search (%s); searching subject and sender only", refused)
            page = without_bodies()
            _NO_BODY_SEARCH.add(client)
            return page
        return Page(offset=offset, items=tuple(rows), total=total)

    return run(client, folder.mailbox, work, denied=f"You have no right to read {place(folder)}.", on_wait=on_wait)


def get_detail(client: EwsClient, folder: FolderRef, item_id: str, *,
               on_wait: Callable[[str], None] | None = None) -> MessageDetail:
    """Everything the reading pane shows: one GetItem (body as stored, HTML or text; attachment metadata).

    Raises:
        AccessDenied: The user may not read items there.
        ItemGone: The message is gone (deleted or moved meanwhile).
    """
    account = client.account(folder.mailbox)

    def work() -> MessageDetail:
        # WORKAROUND for exchangelib 5.6.0: Account.fetch() without a folder GetFolders the mailbox root first.
        results = list(WholeGetItem(account=account).call(
            items=[ItemId(id=item_id)], additional_fields=field_paths((*DETAIL_FIELDS, "item_class")),
            shape=ID_ONLY))
        item = results[0] if results else None
        if isinstance(item, Exception):
            raise item
        if not isinstance(item, Item):
            raise ServerError(f"That item in {place(folder)} cannot be shown.")
        return replace(detail(item), item_class=item.item_class or "")  # the meeting bar needs the class

    return run(client, folder.mailbox, work, denied=f"You have no right to read messages in {place(folder)}.",
               on_wait=on_wait)


def _content_of(att: object) -> bytes | None:
    if isinstance(att, FileAttachment):
        return att.content or b""
    if isinstance(att, ItemAttachment) and att.item is not None and att.item.mime_content:
        mime = att.item.mime_content
        return mime if isinstance(mime, bytes) else str(mime).encode()
    return None


def _get_attachments(account: Account, attachment_ids: Sequence[str]) -> list[object]:
    return list(_GetAttachment(account=account).call(
        items=[AttachmentId(id=i) for i in attachment_ids], include_mime_content=True, body_type=None,
        filter_html_content=None, additional_fields=None))


def attachment_content(client: EwsClient, mailbox: str, item_id: str, attachment_id: str, *,
                       on_wait: Callable[[str], None] | None = None) -> bytes:
    """The bytes of an attachment: one GetAttachment (an attached message comes as its MIME source).

    ``item_id`` names the message holding it (for the error text; EWS needs only the attachment id).
    """
    account = client.account(mailbox)

    def work() -> bytes:
        results = _get_attachments(account, [attachment_id])
        att = results[0] if results else None
        if isinstance(att, Exception):
            raise att
        content = _content_of(att)
        if content is None:
            raise ServerError(f"The attachment of message {item_id[:12]}… in {mailbox} has no content.")
        return content

    return run(client, mailbox, work, denied=f"You have no right to open attachments in {mailbox}.",
               on_wait=on_wait)


def attachment_contents(client: EwsClient, mailbox: str, attachment_ids: Sequence[str], *,
                        on_wait: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """Several attachments in one GetAttachment (say, a message's inline images); gone ones are left out."""
    if not attachment_ids:
        return {}
    account = client.account(mailbox)

    def work() -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for att_id, att in zip(attachment_ids, raise_first_error(_get_attachments(account, attachment_ids)),
                               strict=True):
            content = None if isinstance(att, Exception) else _content_of(att)
            if content is not None:
                out[att_id] = content
        return out

    return run(client, mailbox, work, denied=f"You have no right to open attachments in {mailbox}.",
               on_wait=on_wait)
