"""Mail submission and delivery inside the tenant.

What a transport service does once a client submits a message:

* **Who is sending.** :func:`resolve_sender` applies Exchange's rules: ``From`` naming another
  recipient needs *Send As* (then From = Sender = that recipient) or *Send on Behalf* (From = that
  recipient, Sender = the caller); Send As wins when both are granted; neither gives
  ``ErrorSendAsDenied``. Without ``From`` the message goes out as the owner of the mailbox it is sent
  from (a delegate sending from a shared mailbox's folder therefore needs one of the two rights too).
* **Where it goes.** :func:`deliver` expands distribution groups (nested, once per member), drops a copy
  into the Inbox of every mailbox inside the tenant (users, shared mailboxes and rooms alike), records
  mail for outside domains in the ``outbox`` table (never sent) and answers addresses in a tenant
  domain that name nobody with a non-delivery report in the Sender's Inbox.
* **Hooks.** Inbox rules plug in with :func:`add_delivery_hook`: every hook sees each
  :class:`LocalDelivery` before it is stored and may change the copy, its folder or drop it.

Everything runs inside the caller's write transaction (``store.db.tx()`` is re-entrant), so a failed
send leaves no trace.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.soap import T_NS, t
from ews_emulator.store import Folder, ItemRow, Recipient, Store
from ews_emulator.xml.builder import order_children

if TYPE_CHECKING:
    from ews_emulator.exchange.context import Ctx

_T = f"{{{T_NS}}}"
RECIPIENT_TAGS = ("ToRecipients", "CcRecipients", "BccRecipients")
_MESSAGE_TYPES = {"MeetingRequest": "t:MeetingRequestMessageType", "MeetingResponse": "t:MeetingResponseMessageType",
                  "MeetingCancellation": "t:MeetingCancellationMessageType"}
NDR_SENDER = ("Microsoft Outlook", "MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@{domain}")


@dataclass
class AttachmentSpec:
    """An attachment to store with an item: file content or a serialized item element."""

    name: str
    content_type: str
    content: bytes | None = None
    item_xml: bytes | None = None
    content_id: str | None = None
    is_inline: bool = False
    is_contact_photo: bool = False

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AttachmentSpec:
        """The attachment as stored (``store.items.attachment(id)``), to copy it onto another item."""
        return cls(row["name"], row["content_type"], row["content"], row["item_xml"], row["content_id"],
                   bool(row["is_inline"]), bool(row["is_contact_photo"]))


def store_attachments(store: Store, con: sqlite3.Connection, item_id: int, specs: Iterable[AttachmentSpec]) -> list[int]:
    """Add ``specs`` to an item; returns the new attachment row ids in order."""
    return [store.items.add_attachment(con, item_id, s.name, s.content_type, content=s.content, item_xml=s.item_xml,
                                       content_id=s.content_id, is_inline=s.is_inline,
                                       is_contact_photo=s.is_contact_photo) for s in specs]


def attachments_of(store: Store, item_id: int) -> list[AttachmentSpec]:
    """Full copies of an item's attachments (content included)."""
    out = []
    for meta in store.items.attachments(item_id):
        row = store.items.attachment(meta["id"])
        if row is not None:
            out.append(AttachmentSpec.from_row(row))
    return out


# Who is sending ---------------------------------------------------------------------------------
def resolve_sender(store: Store, caller: Recipient, from_address: str | None,
                   mailbox_owner: Recipient) -> tuple[Recipient, Recipient]:
    """``(From, Sender)`` of a message ``caller`` submits, or ``ErrorSendAsDenied``.

    Args:
        store: the tenant.
        caller: the signed-in user.
        from_address: the ``t:From`` address the client set, if any.
        mailbox_owner: the owner of the mailbox the message is sent from; the From when none is given.
    """
    target = store.directory.by_smtp(from_address) if from_address else mailbox_owner
    if target is None:
        raise EwsError("ErrorSendAsDenied")
    if target.id == caller.id:
        return caller, caller
    grant = store.directory.grant(target.id, caller.id)
    if grant.send_as:
        return target, target
    if grant.send_on_behalf:
        return target, caller
    raise EwsError("ErrorSendAsDenied")


# Recipients ---------------------------------------------------------------------------------------
def recipient_addresses(el: etree._Element, tags: Iterable[str] = RECIPIENT_TAGS) -> list[str]:
    """The lower-cased addresses of every ``t:Mailbox`` under the given recipient lists, in order."""
    out: list[str] = []
    for tag in tags:
        for mb in el.iterfind(f"{_T}{tag}/{_T}Mailbox"):
            addr = (mb.findtext(f"{_T}EmailAddress") or "").strip().lower()
            if addr.startswith("smtp:"):
                addr = addr[5:]
            if addr and addr not in out:
                out.append(addr)
    return out


def tenant_domains(store: Store) -> frozenset[str]:
    """The accepted domains: every domain a recipient of the directory lives in."""
    rows = store.db.connection().execute(
        "SELECT DISTINCT lower(substr(smtp, instr(smtp, '@') + 1)) FROM recipients").fetchall()
    return frozenset(r[0] for r in rows)


def expand(store: Store, addresses: Iterable[str]) -> tuple[list[Recipient], list[str], list[str]]:
    """Split addresses into (tenant mailboxes after group expansion, external addresses, unknown tenant addresses)."""
    domains = tenant_domains(store)
    mailboxes: dict[int, Recipient] = {}
    external: list[str] = []
    unknown: list[str] = []
    seen_groups: set[int] = set()

    def add(rec: Recipient) -> None:
        if rec.kind == "group":
            if rec.id in seen_groups:
                return
            seen_groups.add(rec.id)
            for member in store.directory.members(rec.id):
                add(member)
        elif rec.has_mailbox:
            mailboxes.setdefault(rec.id, rec)

    for addr in addresses:
        rec = store.directory.by_smtp(addr)
        if rec is not None:
            add(rec)
        elif addr.rpartition("@")[2] in domains:
            unknown.append(addr)
        else:
            external.append(addr)
    return list(mailboxes.values()), external, unknown


# Delivery ---------------------------------------------------------------------------------------
@dataclass
class LocalDelivery:
    """One copy on its way into a tenant mailbox; hooks may change any field."""

    mailbox: Recipient
    element: etree._Element
    folder: Folder
    is_read: bool = False
    drop: bool = False
    attachments: list[AttachmentSpec] = field(default_factory=list)


DeliveryHook = Callable[[Store, sqlite3.Connection, LocalDelivery], None]
_HOOKS: list[DeliveryHook] = []


def add_delivery_hook(hook: DeliveryHook) -> None:
    """Run ``hook`` on every local delivery (inbox rules). Hooks run in registration order."""
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def remove_delivery_hook(hook: DeliveryHook) -> None:
    if hook in _HOOKS:
        _HOOKS.remove(hook)


@dataclass
class DeliveryReport:
    """What :func:`deliver` did with one message."""

    delivered: list[tuple[Recipient, ItemRow]] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)
    ndr: ItemRow | None = None


def deliver(target: Ctx | Store, message_el: etree._Element, *, attachments: Iterable[AttachmentSpec] = (),
            now: int | None = None) -> DeliveryReport:
    """Deliver a submitted message (From, Sender and recipients already final) to its recipients.

    Args:
        target: the request context or the store.
        message_el: the ``t:Message`` as sent; not modified.
        attachments: the message's attachments, copied onto every delivered copy.
        now: delivery time (unix seconds); default: the current time.
    """
    store: Store = target if isinstance(target, Store) else target.store
    now = int(time.time()) if now is None else now
    specs = list(attachments)
    report = DeliveryReport()
    mailboxes, report.external, report.undeliverable = expand(store, recipient_addresses(message_el))
    with store.db.tx() as con:
        for mailbox in mailboxes:
            row = _deliver_one(store, con, mailbox, message_el, specs, now)
            if row is not None:
                report.delivered.append((mailbox, row))
        if report.external:
            _record_outbox(con, message_el, report.external, now)
        if report.undeliverable:
            report.ndr = _non_delivery_report(store, con, message_el, report.undeliverable, now)
    return report


def _deliver_one(store: Store, con: sqlite3.Connection, mailbox: Recipient, message_el: etree._Element,
                 specs: list[AttachmentSpec], now: int) -> ItemRow | None:
    inbox = store.folders.by_well_known(mailbox.id, "inbox")
    if inbox is None:
        return None
    el = copy.deepcopy(message_el)
    for tag in ("BccRecipients", "IsDraft", "ReceivedBy", "ReceivedRepresenting"):
        for child in el.findall(f"{_T}{tag}"):
            el.remove(child)
    drop = LocalDelivery(mailbox, el, inbox, attachments=list(specs))
    for hook in list(_HOOKS):
        hook(store, con, drop)
        if drop.drop:
            return None
    set_child(drop.element, "IsRead", "true" if drop.is_read else "false")
    for tag in ("ReceivedBy", "ReceivedRepresenting"):
        drop.element.append(mailbox_element(tag, mailbox.display_name, mailbox.smtp, mailbox.mailbox_type))
    order_children(drop.element, _MESSAGE_TYPES.get(etree.QName(drop.element).localname, "t:MessageType"))
    row = store.items.insert(con, mailbox.id, drop.folder.id, drop.element, created_by=mailbox.id,
                             modifier_name=mailbox.display_name, received=now, new_mail=True)
    if drop.attachments:
        store_attachments(store, con, row.id, drop.attachments)
        row = store.items.get(row.id) or row
    return row


def _record_outbox(con: sqlite3.Connection, el: etree._Element, recipients: list[str], now: int) -> None:
    con.execute(
        "INSERT INTO outbox(sender, from_addr, recipients, subject, xml, at) VALUES (?,?,?,?,?,?)",
        ((el.findtext(f"{_T}Sender/{_T}Mailbox/{_T}EmailAddress") or "").lower(),
         (el.findtext(f"{_T}From/{_T}Mailbox/{_T}EmailAddress") or "").lower(),
         json.dumps(recipients), el.findtext(f"{_T}Subject") or "", etree.tostring(el), now),
    )


def _non_delivery_report(store: Store, con: sqlite3.Connection, el: etree._Element, failed: list[str],
                         now: int) -> ItemRow | None:
    """``Undeliverable: <subject>`` from the system mailbox into the Sender's Inbox (5.1.10 RecipientNotFound)."""
    sender = store.directory.by_smtp(el.findtext(f"{_T}Sender/{_T}Mailbox/{_T}EmailAddress"))
    inbox = store.folders.by_well_known(sender.id, "inbox") if sender else None
    if sender is None or inbox is None:
        return None
    domain = sender.smtp.rpartition("@")[2]
    system = (NDR_SENDER[0], NDR_SENDER[1].format(domain=domain))
    subject = el.findtext(f"{_T}Subject") or ""
    lines = ["Your message couldn't be delivered to the following recipients:", ""]
    for addr in failed:
        lines += [f"{addr}", f"{addr} wasn't found at {addr.rpartition('@')[2]}.", ""]
    lines += ["Diagnostic information for administrators:", "", "Generating server: ews-emulator.local", ""]
    lines += [f"{addr}\r\nRemote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found "
              "by SMTP address lookup'" for addr in failed]
    ndr = etree.Element(t("Message"), nsmap={"t": T_NS})
    etree.SubElement(ndr, t("ItemClass")).text = "REPORT.IPM.Note.NDR"
    etree.SubElement(ndr, t("Subject")).text = f"Undeliverable: {subject}"
    etree.SubElement(ndr, t("Body"), BodyType="Text").text = "\r\n".join(lines)
    etree.SubElement(ndr, t("Importance")).text = "Normal"
    etree.SubElement(ndr, t("DateTimeSent")).text = ts_text(now)
    ndr.append(mailbox_element("Sender", *system))
    to = etree.SubElement(ndr, t("ToRecipients"))
    to.append(mailbox_element("Mailbox", sender.display_name, sender.smtp, sender.mailbox_type))
    ndr.append(mailbox_element("From", *system))
    etree.SubElement(ndr, t("InternetMessageId")).text = new_message_id(domain)
    etree.SubElement(ndr, t("IsRead")).text = "false"
    order_children(ndr, "t:MessageType")
    return store.items.insert(con, sender.id, inbox.id, ndr, created_by=sender.id,
                              modifier_name=sender.display_name, received=now, new_mail=True)


# Small element helpers shared by the sending operations ----------------------------------------
def mailbox_element(tag: str, name: str | None, address: str, mailbox_type: str | None = None) -> etree._Element:
    """``<t:{tag}><t:Mailbox>Name, EmailAddress, RoutingType[, MailboxType]</t:Mailbox></t:{tag}>`` (or the bare Mailbox)."""
    mb = etree.Element(t("Mailbox"), nsmap={"t": T_NS})
    if name:
        etree.SubElement(mb, t("Name")).text = name
    etree.SubElement(mb, t("EmailAddress")).text = address
    etree.SubElement(mb, t("RoutingType")).text = "SMTP"
    if mailbox_type:
        etree.SubElement(mb, t("MailboxType")).text = mailbox_type
    if tag == "Mailbox":
        return mb
    outer = etree.Element(t(tag), nsmap={"t": T_NS})
    outer.append(mb)
    return outer


def set_child(el: etree._Element, tag: str, text: str | None) -> None:
    """Replace (or remove, for ``None``) the direct child ``t:{tag}``; the caller re-orders."""
    for old in el.findall(f"{_T}{tag}"):
        el.remove(old)
    if text is not None:
        etree.SubElement(el, t(tag)).text = text


def ts_text(ts: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def new_message_id(domain: str) -> str:
    return f"<{uuid.uuid4().hex.upper()}@{domain}>"


# Submission -------------------------------------------------------------------------------------
@dataclass
class Submission:
    """The outcome of :func:`submit`: the copy kept (if any) and what delivery did."""

    saved: ItemRow | None
    report: DeliveryReport
    sender: Recipient
    author: Recipient


def submit(store: Store, caller: Recipient, message_el: etree._Element, *, mailbox_owner: Recipient,
           save_to: Folder | None, attachments: Iterable[AttachmentSpec] = (), now: int | None = None) -> Submission:
    """Send a message as ``caller``: check Send As / on Behalf, deliver, keep a copy in ``save_to``.

    Args:
        store: the tenant.
        caller: the signed-in user.
        message_el: the ``t:Message`` to send (changed in place into the sent form).
        mailbox_owner: the owner of the mailbox the message is sent from (From when the client set none).
        save_to: where the sent copy goes (Sent Items or SavedItemFolderId); None: no copy.
        attachments: the message's attachments.
        now: send time (unix seconds).

    Raises:
        EwsError: ``ErrorSendAsDenied``, ``ErrorInvalidRecipients``; nothing is written then.
    """
    now = int(time.time()) if now is None else now
    specs = list(attachments)
    author, sender = resolve_sender(store, caller, message_el.findtext(f"{_T}From/{_T}Mailbox/{_T}EmailAddress"),
                                    mailbox_owner)
    normalize_recipients(store, message_el)
    if not recipient_addresses(message_el):
        raise EwsError("ErrorInvalidRecipients", "At least one recipient isn't valid: the message has no recipients.")
    set_child(message_el, "From", None)
    set_child(message_el, "Sender", None)
    message_el.append(mailbox_element("From", author.display_name, author.smtp, author.mailbox_type))
    message_el.append(mailbox_element("Sender", sender.display_name, sender.smtp, sender.mailbox_type))
    set_child(message_el, "DateTimeSent", ts_text(now))
    if not (message_el.findtext(f"{_T}InternetMessageId") or "").strip():
        set_child(message_el, "InternetMessageId", new_message_id(author.smtp.rpartition("@")[2]))
    if message_el.find(f"{_T}ItemClass") is None:
        set_child(message_el, "ItemClass", "IPM.Note")
    for tag in ("IsDraft", "ReceivedBy", "ReceivedRepresenting"):
        set_child(message_el, tag, None)
    set_child(message_el, "IsRead", "true")
    order_children(message_el, "t:MessageType")
    with store.db.tx() as con:
        report = deliver(store, message_el, attachments=specs, now=now)
        saved = None
        if save_to is not None:
            kept = copy.deepcopy(message_el)
            set_child(kept, "IsDraft", "false")
            order_children(kept, "t:MessageType")
            saved = store.items.insert(con, save_to.mailbox_id, save_to.id, kept, created_by=caller.id,
                                       modifier_name=caller.display_name, received=now)
            if specs:
                store_attachments(store, con, saved.id, specs)
                saved = store.items.get(saved.id) or saved
    return Submission(saved, report, sender, author)


def normalize_recipients(store: Store, el: etree._Element) -> None:
    """Resolve every recipient the way the transport does: address from the name if missing, directory names.

    Raises:
        EwsError: ``ErrorInvalidRecipients`` for a recipient that has neither an address nor a resolvable name.
    """
    for tag in (*RECIPIENT_TAGS, "ReplyTo"):
        for mb in el.iterfind(f"{_T}{tag}/{_T}Mailbox"):
            addr = (mb.findtext(f"{_T}EmailAddress") or "").strip()
            rec = store.directory.by_smtp(addr) if addr else _by_name(store, mb.findtext(f"{_T}Name") or "")
            if rec is None and not addr:
                raise EwsError("ErrorInvalidRecipients", "At least one recipient isn't valid.")
            name = (mb.findtext(f"{_T}Name") or "").strip() or (rec.display_name if rec else addr)
            kind = rec.mailbox_type if rec else "OneOff"
            address = rec.smtp if rec else addr
            fresh = mailbox_element("Mailbox", name, address, kind)
            for extra in mb.iterfind(f"{_T}ItemId"):
                fresh.insert(4, copy.deepcopy(extra))
            mb.getparent().replace(mb, fresh)


def _by_name(store: Store, name: str) -> Recipient | None:
    name = name.strip()
    if not name:
        return None
    if "@" in name:
        return store.directory.by_smtp(name)
    hits = [r for r in store.directory.search(name, limit=5) if r.display_name.lower() == name.lower()]
    return hits[0] if len(hits) == 1 else None
