"""Acting on messages of any mailbox: read state, flag, categories, delete, move and copy.

Every function works on the mailbox that holds the items (the shared mailbox, not the user's own): a
delete lands in *that* mailbox's Deleted Items, because Exchange moves an item to the Deleted Items of the
mailbox it lives in. A refusal raises :class:`~app.domain.errors.AccessDenied` naming the mailbox or folder.

Bulk work goes in chunks of :data:`CHUNK` ids per request; ``progress(done, total)`` is called after each
chunk and ``cancelled()`` is polled between chunks (the work stops there and returns what was done).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from exchangelib.items import (
    ALL_OCCURRENCES,
    AUTO_RESOLVE,
    HARD_DELETE,
    MOVE_TO_DELETED_ITEMS,
    SAVE_ONLY,
    SEND_TO_NONE,
    Message,
)
from exchangelib.services import CopyItem, DeleteItem, MoveItem, UpdateItem

from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.ews.addressing import folder_id, item_ids, place, raise_first_error, run
from app.ews.client import EwsClient
from app.ews.convert import FLAGGED
from app.ews.once import once

CHUNK = 50


# WORKAROUND for exchangelib 5.6.0: a move/copy into another mailbox yields no result at all.
class _MoveItem(MoveItem):
    """MoveItem with one result per item, also when the target is in another mailbox.

    Exchange answers a move or copy into another mailbox with an empty
    ``m:Items`` (the new item has no id in the source mailbox); exchangelib then yields nothing for that item,
    so a successful cross-mailbox move could not be told from a missing answer. Yield None for it instead.
    """

    @classmethod
    def _get_elements_in_container(cls, container):
        return super()._get_elements_in_container(container) or [None]


class _CopyItem(_MoveItem):
    """CopyItem with one result per item (see :class:`_MoveItem`)."""

    SERVICE_NAME = CopyItem.SERVICE_NAME
Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def _update(client: EwsClient, mailbox: str, changes: list[tuple[Message, list[str]]], denied: str,
            on_wait: Callable[[str], None] | None) -> None:
    account = client.account(mailbox)
    for item, _ in changes:
        item.account = account

    def work() -> None:
        raise_first_error(UpdateItem(account=account).call(
            items=changes, conflict_resolution=AUTO_RESOLVE, message_disposition=SAVE_ONLY,
            send_meeting_invitations_or_cancellations=SEND_TO_NONE, suppress_read_receipts=True))

    run(client, mailbox, work, denied=denied, on_wait=on_wait)


def set_read(client: EwsClient, mailbox: str, ids: Sequence[str], read: bool, *,
             on_wait: Callable[[str], None] | None = None) -> None:
    """Mark messages read or unread: UpdateItem ``message:IsRead`` (100 per request). Reviewers may do this."""
    if not ids:
        return
    changes = [(Message(id=i, is_read=read), ["is_read"]) for i in ids]
    _update(client, mailbox, changes, f"You may not mark messages read or unread in {mailbox}.", on_wait)


def set_flag(client: EwsClient, mailbox: str, ids: Sequence[str], flagged: bool, *,
             on_wait: Callable[[str], None] | None = None) -> None:
    """Flag or unflag messages: PR_FLAG_STATUS 2 / 0 (needs the right to change items)."""
    if not ids:
        return
    changes = [(Message(id=i, flag_status=FLAGGED if flagged else 0), ["flag_status"]) for i in ids]
    _update(client, mailbox, changes, f"You have no right to flag messages in {mailbox}.", on_wait)


def set_categories(client: EwsClient, mailbox: str, item_id: str, categories: Sequence[str], *,
                   on_wait: Callable[[str], None] | None = None) -> None:
    """Replace a message's categories (an empty list clears them)."""
    changes = [(Message(id=item_id, categories=list(categories) or None), ["categories"])]
    _update(client, mailbox, changes, f"You have no right to categorise messages in {mailbox}.", on_wait)


def _chunked(client: EwsClient, mailbox: str, ids: Sequence[str], call: Callable[[list[str]], list[object]], *,
             denied: str, verb: str, progress: Progress, cancelled: Cancelled,
             on_wait: Callable[[str], None] | None) -> int:
    """Run ``call`` on chunks of ids; returns how many items it did (gone items are not counted)."""
    total = len(ids)
    done = 0
    for start in range(0, total, CHUNK):
        if cancelled():
            break
        chunk = list(ids[start:start + CHUNK])
        try:
            # Once: a lost answer is not retried blindly (a copy would be made twice). For a move or a delete the
            # caller may try again: ids already moved or deleted answer ErrorItemNotFound and are skipped.
            results = once(client, mailbox, lambda c=chunk: raise_first_error(call(c)), denied=denied,
                           what=f"{len(chunk)} messages", on_wait=on_wait)
        except AccessDenied as error:
            if done:
                raise AccessDenied(f"{error} ({done} of {total} were {verb} before that.)") from error
            raise
        done += sum(1 for r in results if not isinstance(r, Exception))
        progress(min(start + len(chunk), total), total)
    return done


def delete(client: EwsClient, mailbox: str, ids: Sequence[str], permanent: bool, progress: Progress,
           cancelled: Cancelled, *, on_wait: Callable[[str], None] | None = None) -> int:
    """Delete messages: to the Deleted Items of ``mailbox`` (the mailbox holding them), or for good.

    Args:
        client: The signed-in user's connection.
        mailbox: The mailbox that holds the messages.
        ids: Their ItemIds.
        permanent: HardDelete instead of MoveToDeletedItems.
        progress: ``progress(done, total)`` after each chunk.
        cancelled: Polled between chunks; when True the work stops.

    Returns:
        How many messages were deleted (messages already gone are not counted).

    Raises:
        AccessDenied: The user may not delete there ("You may not delete messages in hr@example.com.").
    """
    account = client.account(mailbox)
    delete_type = HARD_DELETE if permanent else MOVE_TO_DELETED_ITEMS

    def call(chunk: list[str]) -> list[object]:
        return list(DeleteItem(account=account).call(
            items=item_ids(chunk), delete_type=delete_type, send_meeting_cancellations=SEND_TO_NONE,
            affected_task_occurrences=ALL_OCCURRENCES, suppress_read_receipts=True))

    return _chunked(client, mailbox, ids, call, denied=f"You may not delete messages in {mailbox}.",
                    verb="deleted", progress=progress, cancelled=cancelled, on_wait=on_wait)


def move(client: EwsClient, source: FolderRef, ids: Sequence[str], target: FolderRef, copy: bool,
         progress: Progress, cancelled: Cancelled, *, on_wait: Callable[[str], None] | None = None) -> int:
    """Move or copy messages to another folder, also into another mailbox.

    Returns:
        How many messages were moved or copied.

    Raises:
        AccessDenied: The user may not take them out of ``source`` (moving needs delete rights there) or
            may not create items in ``target``.
    """
    account = client.account(source.mailbox)
    to_folder = folder_id(target)
    service = _CopyItem if copy else _MoveItem
    verb = "copied" if copy else "moved"

    def call(chunk: list[str]) -> list[object]:
        return list(service(account=account).call(items=item_ids(chunk), to_folder=to_folder))

    if copy:
        denied = f"You may not copy messages from {place(source)} to {place(target)}."
    else:
        denied = f"You may not move messages from {place(source)} to {place(target)}."
    return _chunked(client, source.mailbox, ids, call, denied=denied, verb=verb, progress=progress,
                    cancelled=cancelled, on_wait=on_wait)

