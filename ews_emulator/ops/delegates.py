"""GetDelegate: a mailbox's delegates and their folder permissions.

Exchange's delegate list is the mailbox's ``GrantSendOnBehalfTo`` (publicDelegates) set; the permission
levels come from the delegate's own entries on the Calendar, Tasks, Inbox, Contacts, Notes and Journal
folders (``None`` when the delegate has no entry there). Reading another mailbox's delegates needs Full
Access, else ``ErrorAccessDenied``. A ``UserIds`` filter naming a non-delegate gets ``ErrorNotDelegate``
for that user. The demo tenant records no meeting-forwarding preference, so ``DeliverMeetingRequests``
is Exchange's default, ``DelegatesAndSendInformationToMe``.
"""

from __future__ import annotations

import hashlib

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import top_level_message
from ews_emulator.rights import level_for
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t, xs_bool
from ews_emulator.store import Recipient

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
DELEGATE_FOLDERS = (("CalendarFolderPermissionLevel", "calendar"), ("TasksFolderPermissionLevel", "tasks"),
                    ("InboxFolderPermissionLevel", "inbox"), ("ContactsFolderPermissionLevel", "contacts"),
                    ("NotesFolderPermissionLevel", "notes"), ("JournalFolderPermissionLevel", "journal"))
DELEGATE_LEVELS = ("None", "Editor", "Reviewer", "Author")


def sid_of(rec: Recipient) -> str:
    """A stable, Windows-looking SID for a recipient."""
    digest = hashlib.sha1(rec.smtp.split("@")[1].encode()).digest()
    a, b, c = (int.from_bytes(digest[i:i + 4], "big") for i in (0, 4, 8))
    return f"S-1-5-21-{a}-{b}-{c}-{1000 + rec.id}"


def _user_id(rec: Recipient) -> etree._Element:
    uid = etree.Element(t("UserId"))
    etree.SubElement(uid, t("SID")).text = sid_of(rec)
    etree.SubElement(uid, t("PrimarySmtpAddress")).text = rec.smtp
    etree.SubElement(uid, t("DisplayName")).text = rec.display_name
    return uid


def _delegate_el(ctx: Ctx, mailbox: Recipient, delegate: Recipient, with_permissions: bool) -> etree._Element:
    el = etree.Element(m("DelegateUser"))
    el.append(_user_id(delegate))
    if with_permissions:
        perms = etree.SubElement(el, t("DelegatePermissions"))
        for tag, well_known in DELEGATE_FOLDERS:
            folder = ctx.store.folders.by_well_known(mailbox.id, well_known)
            entry = ctx.store.folders.permissions(folder.id).get(delegate.id) if folder else None
            level = level_for(entry, calendar=well_known == "calendar") if entry is not None else "None"
            etree.SubElement(perms, t(tag)).text = level if level in DELEGATE_LEVELS else "Custom"
    etree.SubElement(el, t("ReceiveCopiesOfMeetingMessages")).text = bool_text(False)
    etree.SubElement(el, t("ViewPrivateItems")).text = bool_text(False)
    return el


@operation("GetDelegate")
def get_delegate(ctx: Ctx, req: etree._Element) -> etree._Element:
    with_permissions = xs_bool(req.get("IncludePermissions"), False)
    try:
        mailbox = ctx.mailbox((req.findtext(f"{_M}Mailbox/{_T}EmailAddress") or "").strip() or None)
        if not ctx.has_full_access(mailbox.id):
            raise access_denied()
    except EwsError as exc:
        return top_level_message("GetDelegateResponse", exc)
    delegates = sorted(ctx.store.directory.send_on_behalf_holders(mailbox.id), key=lambda r: r.display_name)
    wanted = req.find(f"{_M}UserIds")
    root = top_level_message("GetDelegateResponse")
    messages = etree.Element(m("ResponseMessages"))
    if wanted is None:
        for delegate in delegates:
            _success(messages).append(_delegate_el(ctx, mailbox, delegate, with_permissions))
    else:
        for uid in wanted.iterfind(f"{_T}UserId"):
            found = _match(ctx, delegates, uid)
            if found is None:
                msg = etree.SubElement(messages, m("DelegateUserResponseMessageType"), ResponseClass="Error")
                etree.SubElement(msg, m("MessageText")).text = "The user is not a delegate for the mailbox."
                etree.SubElement(msg, m("ResponseCode")).text = "ErrorNotDelegate"
                etree.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
            else:
                _success(messages).append(_delegate_el(ctx, mailbox, found, with_permissions))
    if len(messages):
        root.append(messages)
    etree.SubElement(root, m("DeliverMeetingRequests")).text = "DelegatesAndSendInformationToMe"
    return root


def _success(container: etree._Element) -> etree._Element:
    msg = etree.SubElement(container, m("DelegateUserResponseMessageType"), ResponseClass="Success")
    etree.SubElement(msg, m("ResponseCode")).text = "NoError"
    return msg


def _match(ctx: Ctx, delegates: list[Recipient], uid: etree._Element) -> Recipient | None:
    smtp = (uid.findtext(f"{_T}PrimarySmtpAddress") or "").strip().lower()
    sid = (uid.findtext(f"{_T}SID") or "").strip()
    for rec in delegates:
        if (smtp and rec.smtp == smtp) or (sid and sid_of(rec) == sid):
            return rec
    return None
