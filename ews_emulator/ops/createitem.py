"""CreateItem: new messages (saved, sent, or both), calendar items, contacts, groups, tasks and replies.

* ``MessageDisposition`` (required for messages): ``SaveOnly`` stores a draft (``IsDraft``) in
  ``SavedItemFolderId`` (default: the caller's Drafts) and returns its id; ``SendOnly`` sends without a
  copy; ``SendAndSaveCopy`` sends and keeps the copy in ``SavedItemFolderId`` (default: the caller's Sent
  Items). Sent messages return no id (empty ``m:Items``), as in Exchange.
* Creating needs CreateContents on the target folder (``ErrorAccessDenied``); calendar items, contacts
  and tasks only go into folders of their kind.
* Sending follows :mod:`ews_emulator.delivery`: without ``t:From`` a message goes out as the owner of the
  mailbox its copy is saved in (the caller for ``SendOnly``).
* Response objects: ``ReplyToItem``/``ReplyAllToItem``/``ForwardItem`` build the new message from the
  referenced one (subject prefix, quoted body, derived recipients). Meeting requests and the responses
  Accept/Tentative/Decline are :mod:`ews_emulator.meetings`' business, ``CancelCalendarItem``
  :mod:`ews_emulator.meeting_updates`'; the other response objects (remove, ...) are answered with
  ``ErrorInvalidOperation``.
"""

from __future__ import annotations

import copy
import html
import re
import time

from lxml import etree

from ews_emulator.delivery import attachments_of, store_attachments, submit
from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.meeting_updates import cancel_calendar_item
from ews_emulator.meetings import INVITING, RESPONSES, create_meeting, has_attendees, respond
from ews_emulator.ops.attachments_write import attachments_el
from ews_emulator.ops.common import find_t, item_id_el
from ews_emulator.ops.itemparse import (
    ParsedItem,
    check_folder_kind,
    check_item,
    kids,
    local,
    parse_item,
    prepare_for_folder,
    resolve_ref,
)
from ews_emulator.ops.senditem import saved_copy_folder
from ews_emulator.soap import T_NS, m, t
from ews_emulator.store import Folder, ItemRow
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_tree

_T = f"{{{T_NS}}}"

# Where an item goes when the request names no folder.
DEFAULT_FOLDER = {"CalendarItem": "calendar", "Contact": "contacts", "DistributionList": "contacts",
                  "Task": "tasks"}
MEETING_RESPONSES = frozenset({"AcceptItem", "TentativelyAcceptItem", "DeclineItem", "CancelCalendarItem",
                               "RemoveItem", "SuppressReadReceipt", "AcceptSharingInvitation", "PostReplyItem"})


class _Request:
    """The request-wide settings of one CreateItem call."""

    def __init__(self, ctx: Ctx, req: etree._Element) -> None:
        self.ctx = ctx
        self.disposition = req.get("MessageDisposition")
        self.invitations = req.get("SendMeetingInvitations")
        holder = find_t(req, "m:SavedItemFolderId")
        self.saved_ref = kids(holder)[0] if kids(holder) else None

    def target(self, default_name: str) -> Folder:
        """``SavedItemFolderId`` or the caller's distinguished folder; CreateContents required."""
        ctx = self.ctx
        if self.saved_ref is not None:
            folder = ctx.folder(self.saved_ref)
        else:
            found = ctx.store.folders.by_well_known(ctx.caller.id, default_name)
            if found is None:
                raise EwsError("ErrorFolderNotFound")
            folder = found
        if not ctx.access(folder).can_create_items:
            raise access_denied()
        return folder


@operation("CreateItem")
def create_item(ctx: Ctx, req: etree._Element) -> etree._Element:
    request = _Request(ctx, req)

    def fill(msg: etree._Element, el: etree._Element) -> None:
        kind = local(el)
        items = etree.Element(m("Items"))
        if kind in RESPONSES:
            result = respond(ctx, el, request.disposition, request.saved_ref)
        elif kind == "CancelCalendarItem":
            cancel_calendar_item(ctx, el, request.disposition, request.saved_ref)
            result = None
        elif kind in MEETING_RESPONSES:
            raise EwsError("ErrorInvalidOperation", f"{kind} is not supported by this server yet.")
        elif kind in REPLY_KINDS:
            parsed = build_reply(ctx, el)
            result = _message(request, parsed)
        elif kind in ("Message", "SharingMessage"):
            result = _message(request, parse_item(el))
        else:
            result = _other(request, parse_item(el))
        if result is not None:
            items.append(result)
        msg.append(items)

    return each_message("CreateItem", kids(find_t(req, "m:Items")), fill)


def _message(request: _Request, parsed: ParsedItem) -> etree._Element | None:
    ctx = request.ctx
    if request.disposition is None:
        raise EwsError("ErrorMessageDispositionRequired", "MessageDisposition is required for messages.")
    if request.disposition == "SaveOnly":
        return _save(request, parsed, request.target("drafts"), draft=True)
    save_to: Folder | None = None
    if request.disposition == "SendAndSaveCopy":
        save_to = saved_copy_folder(ctx, request.saved_ref, ctx.caller.id)
        owner_id = save_to.mailbox_id if save_to is not None else ctx.caller.id
    else:  # SendOnly: no copy; a SavedItemFolderId only says which mailbox sends
        owner_id = ctx.folder(request.saved_ref).mailbox_id if request.saved_ref is not None else ctx.caller.id
    owner = ctx.store.directory.by_id(owner_id) or ctx.caller
    submit(ctx.store, ctx.caller, parsed.element, mailbox_owner=owner, save_to=save_to,
           attachments=parsed.attachments)
    return None


def _other(request: _Request, parsed: ParsedItem) -> etree._Element:
    if parsed.kind == "CalendarItem" and request.invitations is None:
        raise EwsError("ErrorSendMeetingInvitationsRequired",
                       "SendMeetingInvitations is required for calendar items.")
    folder = request.target(DEFAULT_FOLDER.get(parsed.kind, "drafts"))
    if parsed.kind == "CalendarItem" and request.invitations in INVITING and has_attendees(parsed.element):
        row, att_ids = create_meeting(request.ctx, parsed, folder,
                                      save_copy=request.invitations == "SendToAllAndSaveCopy")
        return _created(parsed, row, att_ids)
    return _save(request, parsed, folder, draft=parsed.is_message)


def _save(request: _Request, parsed: ParsedItem, folder: Folder, *, draft: bool) -> etree._Element:
    """Store the item in ``folder``; the response element carries its id (and its attachments' ids)."""
    ctx = request.ctx
    check_folder_kind(parsed.kind, folder)
    owner = ctx.store.directory.by_id(folder.mailbox_id) or ctx.caller
    prepare_for_folder(parsed, owner, draft=draft)
    with ctx.store.db.tx() as con:
        row = ctx.store.items.insert(con, folder.mailbox_id, folder.id, parsed.element, created_by=ctx.caller.id,
                                     modifier_name=ctx.caller.display_name)
        att_ids = store_attachments(ctx.store, con, row.id, parsed.attachments)
    return _created(parsed, row, att_ids)


def _created(parsed: ParsedItem, row: ItemRow, att_ids: list[int]) -> etree._Element:
    out = etree.Element(t(parsed.kind))
    out.append(item_id_el(row))
    if att_ids:
        out.append(attachments_el(row, att_ids, parsed.attachments))
    return out


# Reply, reply all, forward ----------------------------------------------------------------------
REPLY_KINDS = {"ReplyToItem": "RE: ", "ReplyAllToItem": "RE: ", "ForwardItem": "FW: "}
_PREFIXES = ("re:", "fw:", "fwd:", "aw:", "wg:", "sv:", "vs:")
_SMART_COPIED = ("IsReadReceiptRequested", "IsDeliveryReceiptRequested", "From")


def build_reply(ctx: Ctx, el: etree._Element) -> ParsedItem:
    """The message a ``ReplyToItem``/``ReplyAllToItem``/``ForwardItem`` stands for.

    Subject ``RE: ``/``FW: `` + the original's normalized subject unless the request gives one; body = the
    new content above a header block and the quoted original; reply recipients = the original's ReplyTo
    (else From), reply-all adds the original To and Cc minus the mailbox replying, and the request's own
    recipients are added; forwards carry the original's attachments.
    """
    kind = local(el)
    ref = find_t(el, "t:ReferenceItemId")
    if ref is None:
        raise EwsError("ErrorInvalidRequest", "ReferenceItemId is required.")
    row, _, _ = resolve_ref(ctx, ref)
    orig = row.element_tree()
    if local(orig) not in ("Message", "MeetingRequest", "MeetingResponse", "MeetingCancellation", "PostItem",
                           "MeetingMessage", "SharingMessage"):
        raise EwsError("ErrorInvalidItemForOperationCreateItem", f"Cannot respond to a {local(orig)}.")
    me = (ctx.store.directory.by_id(row.mailbox_id) or ctx.caller).smtp.lower()
    msg = etree.Element(t("Message"), nsmap={"t": T_NS})
    etree.SubElement(msg, t("ItemClass")).text = "IPM.Note"
    subject = el.findtext(f"{_T}Subject")
    if subject is None:
        subject = REPLY_KINDS[kind] + normalized_subject(orig.findtext(f"{_T}Subject") or "")
    etree.SubElement(msg, t("Subject")).text = subject
    new_body = el.find(f"{_T}NewBodyContent")
    if new_body is None:
        new_body = el.find(f"{_T}Body")
    msg.append(quoted_body(new_body, orig))
    derived = _derived_recipients(kind, orig, me)
    for tag in ("ToRecipients", "CcRecipients", "BccRecipients"):
        mailboxes = derived.get(tag, []) + [copy.deepcopy(mb) for mb in el.iterfind(f"{_T}{tag}/{_T}Mailbox")]
        _recipient_list(msg, tag, mailboxes)
    for tag in _SMART_COPIED:
        found = el.find(f"{_T}{tag}")
        if found is not None:
            msg.append(copy.deepcopy(found))
    msg_id = orig.findtext(f"{_T}InternetMessageId")
    if msg_id:
        etree.SubElement(msg, t("InReplyTo")).text = msg_id
        refs = " ".join(p for p in ((orig.findtext(f"{_T}References") or "").strip(), msg_id) if p)
        etree.SubElement(msg, t("References")).text = refs
    check_item(msg)
    order_tree(msg, "t:MessageType")
    attachments = attachments_of(ctx.store, row.id) if kind == "ForwardItem" else []
    return ParsedItem(msg, "Message", attachments)


def normalized_subject(subject: str) -> str:
    """The subject without one leading reply/forward prefix (MAPI's normalized subject)."""
    stripped = subject.lstrip()
    low = stripped.lower()
    for prefix in _PREFIXES:
        if low.startswith(prefix):
            return stripped[len(prefix):].lstrip()
    return subject


def _address(mb: etree._Element) -> str:
    return (mb.findtext(f"{_T}EmailAddress") or "").strip().lower()


def _derived_recipients(kind: str, orig: etree._Element, me: str) -> dict[str, list[etree._Element]]:
    if kind == "ForwardItem":
        return {}
    reply_to = list(orig.iterfind(f"{_T}ReplyTo/{_T}Mailbox"))
    first = reply_to or list(orig.iterfind(f"{_T}From/{_T}Mailbox")) or list(orig.iterfind(f"{_T}Sender/{_T}Mailbox"))
    to = [copy.deepcopy(mb) for mb in first]
    cc: list[etree._Element] = []
    if kind == "ReplyAllToItem":
        to += [copy.deepcopy(mb) for mb in orig.iterfind(f"{_T}ToRecipients/{_T}Mailbox") if _address(mb) != me]
        cc = [copy.deepcopy(mb) for mb in orig.iterfind(f"{_T}CcRecipients/{_T}Mailbox") if _address(mb) != me]
    return {"ToRecipients": to, "CcRecipients": cc}


def _recipient_list(msg: etree._Element, tag: str, mailboxes: list[etree._Element]) -> None:
    seen: set[str] = set()
    taken = {_address(mb) for other in ("ToRecipients", "CcRecipients") if other != tag
             for mb in msg.iterfind(f"{_T}{other}/{_T}Mailbox")}
    kept = []
    for mb in mailboxes:
        addr = _address(mb) or (mb.findtext(f"{_T}Name") or "")
        if addr in seen or (tag != "ToRecipients" and addr in taken):
            continue
        seen.add(addr)
        kept.append(mb)
    if kept:
        holder = etree.SubElement(msg, t(tag))
        holder.extend(kept)


def quoted_body(new_body: etree._Element | None, orig: etree._Element) -> etree._Element:
    """The new text above Outlook's header block (From/Sent/To/Cc/Subject) and the original body."""
    orig_body = orig.find(f"{_T}Body")
    new_html = new_body is not None and new_body.get("BodyType") == "HTML"
    orig_html = orig_body is not None and orig_body.get("BodyType") == "HTML"
    new_text = (new_body.text or "") if new_body is not None else ""
    orig_text = (orig_body.text or "") if orig_body is not None else ""
    headers = _header_lines(orig)
    body = etree.Element(t("Body"))
    if new_html or orig_html:
        body.set("BodyType", "HTML")
        top = _inner_html(new_text) if new_html else _text_to_html(new_text)
        quoted = _inner_html(orig_text) if orig_html else _text_to_html(orig_text)
        block = "<br>".join(f"<b>{html.escape(k)}:</b> {html.escape(v)}" for k, v in headers)
        body.text = (f"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head>"
                     f"<body><div>{top}</div><hr style=\"display:inline-block;width:98%\" tabindex=\"-1\">"
                     f"<div id=\"divRplyFwdMsg\" dir=\"ltr\"><font face=\"Calibri, sans-serif\" style=\"font-size:11pt\""
                     f" color=\"#000000\">{block}</font><div>&nbsp;</div></div><div>{quoted}</div></body></html>")
    else:
        body.set("BodyType", "Text")
        block = "\r\n".join(f"{k}: {v}" for k, v in headers)
        body.text = f"{new_text}\r\n\r\n________________________________\r\n{block}\r\n\r\n{orig_text}"
    return body


def _names(orig: etree._Element, tag: str) -> str:
    return "; ".join((mb.findtext(f"{_T}Name") or mb.findtext(f"{_T}EmailAddress") or "")
                     for mb in orig.iterfind(f"{_T}{tag}/{_T}Mailbox"))


def _header_lines(orig: etree._Element) -> list[tuple[str, str]]:
    frm = orig.find(f"{_T}From/{_T}Mailbox")
    if frm is None:
        frm = orig.find(f"{_T}Sender/{_T}Mailbox")
    who = ""
    if frm is not None:
        name, addr = frm.findtext(f"{_T}Name") or "", frm.findtext(f"{_T}EmailAddress") or ""
        who = f"{name} <{addr}>" if name and addr else (name or addr)
    sent_ts = parse_datetime(orig.findtext(f"{_T}DateTimeSent"))
    sent = time.strftime("%A, %B %d, %Y %H:%M", time.gmtime(sent_ts)) if sent_ts else ""
    lines = [("From", who), ("Sent", sent), ("To", _names(orig, "ToRecipients"))]
    if orig.find(f"{_T}CcRecipients") is not None:
        lines.append(("Cc", _names(orig, "CcRecipients")))
    lines.append(("Subject", orig.findtext(f"{_T}Subject") or ""))
    return lines


_BODY_RE = re.compile(r"<body[^>]*>(.*)</body>", re.S | re.I)


def _inner_html(text: str) -> str:
    found = _BODY_RE.search(text)
    return found.group(1) if found else text


def _text_to_html(text: str) -> str:
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")
