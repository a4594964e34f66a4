"""SendItem: send drafts that are already in the store.

The draft goes out under Exchange's sending rules (:mod:`ews_emulator.delivery`): without ``From`` it
is sent as the owner of the mailbox that holds it, so a delegate sending a draft from a shared
mailbox's Drafts needs Send As or Send on Behalf there. After a successful send the draft is gone;
a refused send (``ErrorSendAsDenied``) leaves it untouched. ``SaveItemToFolder="true"`` keeps the
sent copy in ``SavedItemFolderId`` or, by default, in the Sent Items of the draft's mailbox.
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.delivery import Submission, attachments_of, submit
from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.attachments_write import require_modify
from ews_emulator.ops.common import find_t
from ews_emulator.ops.itemparse import MESSAGE_KINDS, kids, resolve_ref
from ews_emulator.soap import xs_bool
from ews_emulator.store import Folder, ItemRow


def saved_copy_folder(ctx: Ctx, saved_ref: etree._Element | None, default_mailbox_id: int | None) -> Folder | None:
    """The folder a sent copy goes to: ``SavedItemFolderId``'s folder, else Sent Items of ``default_mailbox_id``.

    Raises:
        EwsError: ``ErrorFolderNotFound`` and friends; ``ErrorAccessDenied`` without CreateContents there.
    """
    if saved_ref is not None:
        folder = ctx.folder(saved_ref)
    elif default_mailbox_id is not None:
        folder = ctx.store.folders.by_well_known(default_mailbox_id, "sentitems")
        if folder is None:
            raise EwsError("ErrorFolderNotFound")
    else:
        return None
    if not ctx.access(folder).can_create_items:
        raise access_denied()
    return folder


def send_stored(ctx: Ctx, row: ItemRow, save_to: Folder | None) -> Submission:
    """Send a stored message (a draft) and remove it; all or nothing."""
    el = row.element_tree()
    if etree.QName(el).localname not in MESSAGE_KINDS:
        raise EwsError("ErrorInvalidItemForOperationSendItem", "Only messages can be sent.")
    owner = ctx.store.directory.by_id(row.mailbox_id)
    assert owner is not None
    with ctx.store.db.tx() as con:
        result = submit(ctx.store, ctx.caller, el, mailbox_owner=owner, save_to=save_to,
                        attachments=attachments_of(ctx.store, row.id))
        ctx.store.items.delete(con, row)
    return result


@operation("SendItem")
def send_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    save = xs_bool(req.get("SaveItemToFolder"), False)
    saved_holder = find_t(req, "m:SavedItemFolderId")
    saved_ref = kids(saved_holder)[0] if saved_holder is not None and len(saved_holder) else None

    def fill(msg: etree._Element, ref: etree._Element) -> None:
        if not save and saved_ref is not None:
            raise EwsError("ErrorInvalidSendItemSaveSettings",
                           "SavedItemFolderId is not allowed when SaveItemToFolder is false.")
        row, _, acc = resolve_ref(ctx, ref)
        require_modify(ctx, row, acc)
        save_to = saved_copy_folder(ctx, saved_ref, row.mailbox_id) if save else None
        send_stored(ctx, row, save_to)

    return each_message("SendItem", kids(find_t(req, "m:ItemIds")), fill)
