"""Writing mail from any of the user's addresses: drafts, sending (Send As / on Behalf), replies and forwards.

A message sent from a shared mailbox lives as a draft in *that* mailbox's Drafts, goes out with
``From`` = the shared address (Exchange then sends it "as" or "on behalf of" it, whichever right the user
has) and leaves its copy in that mailbox's Sent Items. A refused send raises :class:`SendDenied` and keeps
the message as a draft on the server.

Replies and forwards are created with Exchange's response objects (``ReplyToItem``, ``ReplyAllToItem``,
``ForwardItem`` with ``ReferenceItemId``), so the server threads them (In-Reply-To, References,
conversation) and a forward carries the original's attachments; the body the user edited (with the quote
made by :func:`prepare_response`) then replaces the server's.

Round trips: ``prepare_response`` 1. ``save_draft``: a new message 1 (attachments included); the first save
of a reply 2, of a forward 3 (it reads which attachments the server copied); later saves 1; +1 for each kind
of attachment change (added, removed). ``send``: a saved draft 1, an unsaved new message 1, an unsaved
reply 2 (forward 3); a refused send 1-2 more (keep the draft, look up the mailbox's name for the message).

Exactly once: every message carries its own Internet Message-ID (``Draft.message_id``, given before the first
attempt; set on the CreateItem of a new message, which Exchange keeps when it sends it). Creates and sends go out
through :func:`app.ews.once.once`, never repeated blindly; when the answer is lost, the server is asked first:
Sent Items of the sending mailbox for that Message-ID, and whether the saved draft is still a draft (a sent draft
leaves Drafts; replies and forwards are recognised this way, since Exchange's response objects carry no
Message-ID). Only a message that did not go out is sent again. A new draft whose CreateItem answer was lost is
looked for in Drafts by its Message-ID before it is created again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable
from email.utils import parseaddr

from exchangelib import HTMLBody
from exchangelib import errors as ex
from exchangelib.account import Account
from exchangelib.attachments import AttachmentId, FileAttachment
from exchangelib.folders import Folder
from exchangelib.items import (
    AUTO_RESOLVE,
    ID_ONLY,
    SAVE_ONLY,
    SEND_AND_SAVE_COPY,
    SEND_TO_NONE,
    ForwardItem,
    Message,
    ReplyAllToItem,
    ReplyToItem,
)
from exchangelib.properties import FolderId, ItemId, Mailbox, ParentItemId, ReferenceItemId
from exchangelib.services import CreateAttachment, CreateItem, DeleteAttachment, UpdateItem
from exchangelib.services.common import folder_ids_element

from app.domain import html_quote
from app.domain.errors import (
    AccessDenied,
    ConnectionFailed,
    MailroomError,
    OutcomeUnknown,
    SendDenied,
    ServerError,
)
from app.domain.folders import FolderRef
from app.domain.message_ids import new_message_id
from app.domain.messages import AttachmentInfo, ComposeMode, Draft
from app.ews.addressing import WholeGetItem, folder_object, place, run, well_known
from app.ews.client import EwsClient
from app.ews.convert import attachment_info, field_paths, people, person, utc
from app.ews.once import ask, draft_exists, find_by_message_id, once

log = logging.getLogger(__name__)
OnWait = Callable[[str], None] | None
MAX_SEND_ATTEMPTS = 3
"""Sends of one message in one go; each after the first only once the server confirmed the last did not go out."""
_RESPONSE_CLASSES = {ComposeMode.REPLY: ReplyToItem, ComposeMode.REPLY_ALL: ReplyAllToItem,
                     ComposeMode.FORWARD: ForwardItem}
_CONTENT_FIELDS = ["subject", "body", "to_recipients", "cc_recipients", "bcc_recipients", "author"]
_ORIGINAL_FIELDS = ("subject", "author", "sender", "reply_to", "to_recipients", "cc_recipients", "datetime_sent",
                    "body", "attachments")
_EMPTY_BODY = "<html><body></body></html>"


# WORKAROUND for exchangelib 5.6.0: UpdateItem cannot say where the sent copy goes (no SavedItemFolderId).
class _UpdateAndSend(UpdateItem):
    """UpdateItem that names the folder for the sent copy.

    exchangelib 5.6.0's UpdateItem never writes ``m:SavedItemFolderId``, so an update that
    sends (``SendAndSaveCopy``) leaves the copy wherever the server defaults to; the copy must go to the
    Sent Items of the mailbox sent from.
    """

    def __init__(self, *args: object, saved_item_folder: FolderId, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self._saved_item_folder = saved_item_folder

    def get_payload(self, items, **kwargs):
        payload = super().get_payload(items, **kwargs)
        payload.insert(0, folder_ids_element(folders=[self._saved_item_folder], version=self.account.version,
                                             tag="m:SavedItemFolderId"))
        return payload


class _SendRefused(SendDenied):
    """``ErrorSendAsDenied`` on its way out of :func:`run` untranslated (a MailroomError passes through)."""


# -- helpers -------------------------------------------------------------------------------------------------
def _mailboxes(entries: list[str]) -> list[Mailbox] | None:
    """``Mailbox`` objects for addresses or ``Name <address>`` strings (None for an empty list)."""
    out = []
    for entry in entries:
        name, address = parseaddr(entry)
        address = address or entry.strip()
        if address:
            out.append(Mailbox(name=name or None, email_address=address))
    return out or None


def _copy(draft: Draft) -> Draft:
    """A copy that a worker may fill in while the GUI keeps editing the original."""
    return dataclasses.replace(
        draft, to=list(draft.to), cc=list(draft.cc), bcc=list(draft.bcc),
        attachments=[dataclasses.replace(a) for a in draft.attachments], forwarded=list(draft.forwarded),
        saved_attachment_ids=list(draft.saved_attachment_ids))


def _content(draft: Draft, account: Account, **extra: object) -> Message:
    """The draft as an exchangelib ``Message`` with ``From`` = the mailbox it is sent from (and its Message-ID)."""
    return Message(
        account=account, subject=draft.subject, body=HTMLBody(draft.body_html or _EMPTY_BODY),
        to_recipients=_mailboxes(draft.to), cc_recipients=_mailboxes(draft.cc),
        bcc_recipients=_mailboxes(draft.bcc), author=Mailbox(email_address=draft.from_mailbox),
        message_id=draft.message_id or None, **extra)


def _with_message_id(draft: Draft) -> None:
    """Give the draft its Internet Message-ID if it has none yet (drafts kept from before had none)."""
    if not draft.message_id:
        draft.message_id = new_message_id(draft.from_mailbox)


def _folder(account: Account, mailbox: str, name: str) -> Folder:
    return folder_object(account, well_known(mailbox, name))


def _display_name(client: EwsClient, address: str) -> str:
    """The directory's name for an address (one ResolveNames), "" when it cannot be had."""
    try:
        for found in client.account(address).protocol.resolve_names([address], search_scope="ActiveDirectory"):
            if isinstance(found, Mailbox) and (found.email_address or "").casefold() == address.casefold():
                return found.name or ""
    except Exception:  # noqa: BLE001 - only for the wording of an error message
        return ""
    return ""


def _send_denied(client: EwsClient, draft: Draft) -> SendDenied:
    name = _display_name(client, draft.from_mailbox)
    who = f"{name} ({draft.from_mailbox})" if name else draft.from_mailbox
    # Only the refusal: where the message is kept is said once, by whoever reports the failed send
    # (``denied.draft`` tells it that the server kept a draft).
    denied = SendDenied(f"You may not send as {who}.")
    denied.draft = draft
    return denied


def _refusal_kept(fn: Callable[[], None]) -> Callable[[], None]:
    """``fn`` with ``ErrorSendAsDenied`` turned into :class:`_SendRefused` (kept apart from other refusals)."""

    def guarded() -> None:
        try:
            fn()
        except ex.ErrorSendAsDenied as error:
            raise _SendRefused(str(error)) from error

    return guarded


# -- drafts --------------------------------------------------------------------------------------------------
def _create_message(client: EwsClient, draft: Draft, on_wait: OnWait) -> Draft:
    """CreateItem SaveOnly of a new message, attachments included: one round trip.

    Not repeated blindly: when its answer is lost, Drafts is searched for the draft's Message-ID first (the draft
    found is adopted, with its attachments), and it is created again only when it is not there.
    """
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    drafts = _folder(account, mailbox, "drafts")
    _with_message_id(draft)

    def work() -> None:
        attachments = [FileAttachment(name=a.name, content=a.content, content_type=a.content_type)
                       for a in draft.attachments]
        item = _content(draft, account, folder=drafts, attachments=attachments)
        result = CreateItem(account=account).get(items=[item], folder=drafts, message_disposition=SAVE_ONLY,
                                                 send_meeting_invitations=SEND_TO_NONE)
        draft.draft_id, draft.change_key = result.id, result.changekey or ""
        for local, created in zip(draft.attachments, result.attachments or (), strict=False):
            local.attachment_id = created.attachment_id.id if created.attachment_id else ""

    denied = f"You may not save drafts in {mailbox}'s Drafts."
    for attempt in range(MAX_SEND_ATTEMPTS):
        try:
            once(client, mailbox, work, denied=denied, what="the draft", on_wait=on_wait)
            break
        except OutcomeUnknown:
            found = ask(client, mailbox, lambda: find_by_message_id(account, mailbox, "drafts", draft.message_id),
                        what="the draft was saved")
            if found:
                draft.draft_id, draft.change_key = found[0], ""
                _adopt_created(client, draft, on_wait)
                break
            if attempt == MAX_SEND_ATTEMPTS - 1:
                raise
    draft.saved_attachment_ids = [a.attachment_id for a in draft.attachments if a.attachment_id]
    return draft


def _server_attachments(account: Account, draft: Draft) -> list[AttachmentInfo]:
    """The attachments the server holds on the saved draft; takes the draft's new change key too."""
    item = WholeGetItem(account=account).get(items=[ItemId(id=draft.draft_id)],
                                             additional_fields=field_paths(("attachments",)), shape=ID_ONLY)
    draft.change_key = item.changekey or draft.change_key
    return [attachment_info(a) for a in item.attachments or ()]


def _adopt_created(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """Take the attachment ids of a draft created by a CreateItem whose answer was lost (matched by name, size)."""
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    on_server = ask(client, mailbox, lambda: _server_attachments(account, draft), what="the draft was saved")
    for local in draft.attachments:
        match = next((a for a in on_server if (a.name, a.size) == (local.name, len(local.content))), None)
        if match is not None:
            local.attachment_id = match.attachment_id
            on_server.remove(match)


def _create_response(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """The server's reply/forward draft in ``from_mailbox``'s Drafts (threaded; a forward with attachments)."""
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    drafts = _folder(account, mailbox, "drafts")
    response = _RESPONSE_CLASSES[draft.mode](
        account=account, reference_item_id=ReferenceItemId(id=draft.reference_id),
        author=Mailbox(email_address=mailbox), subject=draft.subject)

    def create() -> None:
        result = CreateItem(account=account).get(items=[response], folder=drafts, message_disposition=SAVE_ONLY,
                                                 send_meeting_invitations=SEND_TO_NONE)
        draft.draft_id, draft.change_key = result.id, result.changekey or ""

    # A lost answer is not repeated: Exchange's response objects carry no Message-ID to look for, so the draft
    # might exist twice; nothing is sent by this step, and the caller says so.
    once(client, mailbox, create, denied=f"You may not save drafts in {mailbox}'s Drafts.", what="the draft",
         on_wait=on_wait)
    if draft.mode is ComposeMode.FORWARD:
        _adopt_forwarded(client, draft, on_wait)


def _adopt_forwarded(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """Point ``draft.forwarded`` at the copies ForwardItem put on the new draft (matched by name and size).

    Copies the user removed from ``forwarded`` before this first save are deleted by the next step.
    """
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    on_server = run(client, mailbox, lambda: _server_attachments(account, draft),
                    denied=f"You may not read drafts in {mailbox}.", on_wait=on_wait)
    wanted = [(a.name, a.size) for a in draft.forwarded]
    kept: list[AttachmentInfo] = []
    for att in on_server:
        if (att.name, att.size) in wanted:
            wanted.remove((att.name, att.size))
            kept.append(att)
    draft.forwarded = kept
    draft.saved_attachment_ids = [a.attachment_id for a in on_server]


def _sync_attachments(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """Delete the attachments removed since the last save, add the new ones (one round trip for each kind)."""
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    keep = {a.attachment_id for a in draft.attachments if a.attachment_id}
    keep |= {a.attachment_id for a in draft.forwarded if a.attachment_id}
    gone = [i for i in draft.saved_attachment_ids if i not in keep]
    new = [a for a in draft.attachments if not a.attachment_id]
    denied = f"You may not change drafts in {mailbox}'s Drafts."

    def remove() -> None:
        for r in DeleteAttachment(account=account).call(items=[AttachmentId(id=i) for i in gone]):
            if isinstance(r, Exception):
                if not isinstance(r, ex.ErrorItemNotFound):
                    raise r
            elif r.changekey:
                draft.change_key = r.changekey

    def add() -> None:
        parent = ParentItemId(id=draft.draft_id, changekey=draft.change_key or None)
        files = [FileAttachment(name=a.name, content=a.content, content_type=a.content_type) for a in new]
        for local, att in zip(new, CreateAttachment(account=account).call(parent_item=parent, items=files),
                              strict=True):
            if isinstance(att, Exception):
                raise att
            local.attachment_id = att.attachment_id.id
            draft.change_key = att.attachment_id.root_changekey or draft.change_key

    if gone:  # deleting twice is harmless (ErrorItemNotFound is skipped)
        run(client, mailbox, remove, denied=denied, on_wait=on_wait)
    if new:
        once(client, mailbox, add, denied=denied, what="the attachments", on_wait=on_wait)
    draft.saved_attachment_ids = sorted(keep | {a.attachment_id for a in new})


def _update(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """UpdateItem SaveOnly of the draft's subject, body, recipients and From."""
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    item = _content(draft, account, id=draft.draft_id, changekey=draft.change_key or None)

    def work() -> None:
        _item_id, change_key = UpdateItem(account=account).get(
            items=[(item, _CONTENT_FIELDS)], conflict_resolution=AUTO_RESOLVE, message_disposition=SAVE_ONLY,
            send_meeting_invitations_or_cancellations=SEND_TO_NONE, suppress_read_receipts=True)
        draft.change_key = change_key or draft.change_key

    run(client, mailbox, work, denied=f"You may not change drafts in {mailbox}'s Drafts.", on_wait=on_wait)


def save_draft(client: EwsClient, draft: Draft, *, on_wait: OnWait = None) -> Draft:
    """Save a message as a draft in ``from_mailbox``'s Drafts (create it, or update the one saved before).

    Returns:
        A copy of ``draft`` with ``draft_id``, ``change_key`` and the attachment ids set; keep it for the
        next save (the argument is not changed).

    Raises:
        AccessDenied: The user may not create items in that mailbox's Drafts.
    """
    draft = _copy(draft)
    if not draft.draft_id and draft.mode is ComposeMode.NEW:
        return _create_message(client, draft, on_wait)
    if not draft.draft_id:
        _create_response(client, draft, on_wait)
    _sync_attachments(client, draft, on_wait)
    _update(client, draft, on_wait)
    return draft


# -- sending -------------------------------------------------------------------------------------------------
def send(client: EwsClient, draft: Draft, *, check_first: bool = False, on_wait: OnWait = None) -> Draft:
    """Send ``draft`` from ``from_mailbox`` exactly once: From = that address, the copy in its Sent Items.

    A saved draft is updated and sent in one UpdateItem; an unsaved new message goes out in one CreateItem. When
    the answer to the send is lost, the server is asked whether the message went out (:func:`went_out`); it is
    sent again only if it did not.

    Args:
        client: The user's connection.
        draft: The message (not changed; the returned copy has the server ids and the Message-ID).
        check_first: An earlier send of this draft may have gone out (its outcome was never known): ask first.
        on_wait: Told about waits for a busy server.

    Returns:
        The draft as sent (with its ``message_id``).

    Raises:
        SendDenied: Exchange refused to send from that address; the message is kept in that mailbox's Drafts
            (``error.draft`` is it, with its server ids: pass that to the next save or send).
        AccessDenied: The user may not save in that mailbox's Drafts or Sent Items.
        OutcomeUnknown: The answer was lost and the server could not be asked whether it went out: the message
            is not known to be sent; send it again with ``check_first`` (it then goes out only if it had not).
        ConnectionFailed, ServerBusy: Not sent; the draft is as it was last saved.
    """
    draft = _copy(draft)
    _with_message_id(draft)
    if check_first and went_out(client, draft):
        log.info("Message %s had gone out already; not sent again", draft.message_id)
        return draft
    for attempt in range(MAX_SEND_ATTEMPTS):
        try:
            _send_attempt(client, draft, on_wait)
            return draft
        except OutcomeUnknown:
            if went_out(client, draft):
                return draft
            log.info("Message %s did not go out (attempt %d); sending again", draft.message_id, attempt + 1)
    raise ConnectionFailed("The server did not take the message, though it was tried "
                           f"{MAX_SEND_ATTEMPTS} times.")


def went_out(client: EwsClient, draft: Draft) -> bool:
    """Whether ``draft`` was sent: its Message-ID in the Sent Items of its mailbox, or its saved draft gone.

    Raises:
        OutcomeUnknown: The server could not be asked.
    """
    mailbox = draft.from_mailbox
    account = client.account(mailbox)

    def question() -> bool:
        if draft.message_id and find_by_message_id(account, mailbox, "sentitems", draft.message_id):
            return True
        return bool(draft.draft_id) and not draft_exists(account, draft.draft_id)

    return ask(client, mailbox, question, what="the message was sent")


def _send_attempt(client: EwsClient, draft: Draft, on_wait: OnWait) -> None:
    """One send; OutcomeUnknown when its answer was lost (a failure before it is raised as such)."""
    mailbox = draft.from_mailbox
    account = client.account(mailbox)
    denied = f"You may not send from {mailbox}."
    if not draft.draft_id and draft.mode is ComposeMode.NEW:
        sent = _folder(account, mailbox, "sentitems")
        files = [FileAttachment(name=a.name, content=a.content, content_type=a.content_type)
                 for a in draft.attachments]
        item = _content(draft, account, folder=sent, attachments=files)

        def send_new() -> None:
            CreateItem(account=account).get(items=[item], folder=sent, message_disposition=SEND_AND_SAVE_COPY,
                                            send_meeting_invitations=SEND_TO_NONE, expect_result=None)

        try:
            once(client, mailbox, _refusal_kept(send_new), denied=denied, what="the message", on_wait=on_wait)
        except _SendRefused as refused:
            raise _send_denied(client, _create_message(client, draft, on_wait)) from refused.__cause__
        return
    try:  # steps before the send itself: a lost answer there means "not sent"
        if not draft.draft_id:
            _create_response(client, draft, on_wait)
        _sync_attachments(client, draft, on_wait)
    except OutcomeUnknown as unknown:
        raise ConnectionFailed("The connection to the server broke while the message was being prepared; "
                               "it was not sent.") from unknown
    item = _content(draft, account, id=draft.draft_id, changekey=draft.change_key or None)

    def send_saved() -> None:
        _UpdateAndSend(account=account, saved_item_folder=well_known(mailbox, "sentitems")).get(
            items=[(item, _CONTENT_FIELDS)], conflict_resolution=AUTO_RESOLVE,
            message_disposition=SEND_AND_SAVE_COPY, send_meeting_invitations_or_cancellations=SEND_TO_NONE,
            suppress_read_receipts=True, expect_result=None)

    try:
        once(client, mailbox, _refusal_kept(send_saved), denied=denied, what="the message", on_wait=on_wait)
    except _SendRefused as refused:
        _update(client, draft, on_wait)  # a refused send may have dropped the update: keep the latest text
        raise _send_denied(client, draft) from refused.__cause__
    except AccessDenied:
        with contextlib.suppress(MailroomError):  # no right on the Sent Items: still keep the latest text
            _update(client, draft, on_wait)
        raise


# -- replies and forwards -----------------------------------------------------------------------------------
def prepare_response(client: EwsClient, folder: FolderRef, item_id: str, mode: ComposeMode, from_mailbox: str, *,
                     on_wait: OnWait = None) -> Draft:
    """A reply, reply-all or forward of a message, ready to edit: one GetItem of the original.

    The draft is not on the server yet: :func:`save_draft` / :func:`send` create it with Exchange's response
    object, so that it is threaded and a forward carries the original's attachments (listed in ``forwarded``).

    Args:
        client: The signed-in user's connection.
        folder: The folder holding the original.
        item_id: The original's ItemId.
        mode: REPLY, REPLY_ALL or FORWARD.
        from_mailbox: The address to answer from (usually the shared mailbox holding the original).

    Returns:
        A draft with a "RE: "/"FW: " subject, the recipients (reply all without the mailbox itself), the quoted
        original (a From/Sent/To/Subject header and the original in a blockquote) and ``reference_id``.
    """
    if mode is ComposeMode.NEW:
        raise ValueError("prepare_response needs REPLY, REPLY_ALL or FORWARD")
    account = client.account(folder.mailbox)

    def read() -> Message:
        item = WholeGetItem(account=account).get(items=[ItemId(id=item_id)],
                                            additional_fields=field_paths(_ORIGINAL_FIELDS), shape=ID_ONLY)
        if not isinstance(item, Message):
            raise ServerError(f"That item in {place(folder)} is not a message.")
        return item

    orig = run(client, folder.mailbox, read, denied=f"You have no right to read messages in {place(folder)}.",
               on_wait=on_wait)
    author = person(orig.author) or person(orig.sender)
    to, cc = people(orig.to_recipients), people(orig.cc_recipients)
    reply_to, reply_cc = html_quote.reply_recipients(
        mode, author, people(orig.reply_to), to, cc, exclude=[folder.mailbox, from_mailbox])
    headers = html_quote.header_lines(author, utc(orig.datetime_sent), to, cc, orig.subject or "")
    body = orig.body
    is_html = isinstance(body, HTMLBody)
    return Draft(
        from_mailbox=from_mailbox, to=reply_to, cc=reply_cc,
        subject=html_quote.response_subject(orig.subject or "", mode),
        body_html=html_quote.quoted_document(headers, str(body) if is_html else None,
                                             None if is_html else str(body or "")),
        mode=mode, reference_id=item_id,
        forwarded=[attachment_info(a) for a in orig.attachments or ()] if mode is ComposeMode.FORWARD else [])
