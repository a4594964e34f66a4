"""Inbox rules acting on delivery, as Exchange's mailbox transport delivery runs them ([MS-OXWSRULES]).

:func:`run_inbox_rules` is a delivery hook (``ews_emulator.delivery.add_delivery_hook``): for every copy on
its way into a mailbox's Inbox it runs that mailbox's **enabled** rules in ``Priority`` order against the
new message, before it is stored, so the message lands where the rules put it (Created and NewMail events
in that folder, never in the Inbox; a copy gets a Created event in its folder).

* **Conditions** (``t:RulePredicatesType``) must all hold; strings inside one condition are alternatives,
  matched as case-insensitive substrings (``Contains*Strings``) or whole addresses (``FromAddresses``,
  ``SentToAddresses``). A boolean predicate set to ``false`` constrains nothing, as in Exchange. A rule
  without conditions applies to every message. **Exceptions** use the same predicates; any one of them
  that holds cancels the rule. A predicate the emulator cannot evaluate (``FromConnectedAccounts``,
  ``MessageClassifications``) never holds.
* **Actions** (``t:RuleActionsType``): property actions change the message for the rules after them;
  the first ``MoveToFolder`` (or ``Delete``: Deleted Items) decides where the message is stored, any
  further move becomes a copy, as Exchange does when several rules move one message; ``CopyToFolder``
  stores copies; ``PermanentDelete`` drops the message (copies made by other rules stay);
  ``ForwardToRecipients`` / ``ForwardAsAttachmentToRecipients`` send a new message from the mailbox;
  ``RedirectToRecipients`` delivers the message unchanged to the new recipients only;
  ``StopProcessingRules`` ends the run. ``SendSMSAlertToRecipients`` and ``ServerReplyWithMessage`` are
  not performed.
* **Targets** are the mailbox's own folders (``t:FolderId`` or ``t:DistinguishedFolderId``). A rule whose
  target folder no longer exists is skipped as a whole and flagged ``IsInError`` in the stored rule
  (GetInboxRules reports it; saving the rule again clears the flag).
* **Loops.** Mail produced by a rule carries ``X-MS-Exchange-Inbox-Rules-Loop`` (the producing mailbox)
  in its ``InternetMessageHeaders``. Rules still file and tag such a message at its recipients, but they
  never forward, redirect or auto-forward it again: Exchange Online's limit of one rule-generated hop.
"""

from __future__ import annotations

import copy
import html
import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.delivery import (
    AttachmentSpec,
    LocalDelivery,
    _deliver_one,
    _record_outbox,
    deliver,
    expand,
    mailbox_element,
    new_message_id,
    normalize_recipients,
    recipient_addresses,
    set_child,
    store_attachments,
    ts_text,
)
from ews_emulator.errors import EwsError
from ews_emulator.soap import T_NS, t
from ews_emulator.store import Folder, Recipient, Store
from ews_emulator.store.ids import MalformedId, decode_id
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"
LOOP_HEADER = "X-MS-Exchange-Inbox-Rules-Loop"
_TAG_RE = re.compile(r"<[^>]+>")
_SENDING = ("ForwardToRecipients", "ForwardAsAttachmentToRecipients", "RedirectToRecipients")


# The message as the rules see it -------------------------------------------------------------------
@dataclass
class _Message:
    """Views of the copy being delivered that conditions test; re-read after each rule's actions."""

    drop: LocalDelivery
    me: str

    @property
    def el(self) -> etree._Element:
        return self.drop.element

    def text(self, tag: str) -> str:
        return self.el.findtext(f"{_T}{tag}") or ""

    def body(self) -> str:
        body = self.el.find(f"{_T}Body")
        if body is None or not body.text:
            return ""
        return body.text if body.get("BodyType") == "Text" else html.unescape(_TAG_RE.sub(" ", body.text))

    def people(self, *tags: str) -> list[tuple[str, str]]:
        """``(name, address)`` of every mailbox under the given elements (From, Sender, ToRecipients, ...)."""
        return [(mb.findtext(f"{_T}Name") or "", _address(mb.findtext(f"{_T}EmailAddress")))
                for tag in tags for mb in self.el.iterfind(f"{_T}{tag}/{_T}Mailbox")]

    def recipients(self, tag: str) -> list[str]:
        return recipient_addresses(self.el, (tag,))

    def headers(self) -> list[tuple[str, str]]:
        return [(h.get("HeaderName") or "", h.text or "")
                for h in self.el.iterfind(f"{_T}InternetMessageHeaders/{_T}InternetMessageHeader")]

    def is_rule_generated(self) -> bool:
        return any(name.lower() == LOOP_HEADER.lower() for name, _ in self.headers())

    def header_text(self) -> str:
        """The header block a transport would have written for the message, plus its stored headers."""
        lines = [f"Subject: {self.text('Subject')}", f"Message-ID: {self.text('InternetMessageId')}"]
        for label, tag in (("From", "From"), ("Sender", "Sender"), ("To", "ToRecipients"), ("Cc", "CcRecipients")):
            lines += [f"{label}: {name} <{addr}>" for name, addr in self.people(tag)]
        lines += [f"{name}: {value}" for name, value in self.headers()]
        return "\n".join(lines)

    def categories(self) -> list[str]:
        return [c.text or "" for c in self.el.iterfind(f"{_T}Categories/{_T}String")]

    def has_attachments(self) -> bool:
        return any(not a.is_inline for a in self.drop.attachments)

    def size_kb(self) -> float:
        size = len(etree.tostring(self.el)) + sum(len(a.content or a.item_xml or b"") for a in self.drop.attachments)
        return size / 1024


def _address(text: str | None) -> str:
    addr = (text or "").strip().lower()
    return addr[5:] if addr.startswith("smtp:") else addr


def _strings(value: etree._Element) -> list[str]:
    return [s.text.lower() for s in value.iterfind(f"{_T}String") if s.text]


def _addresses(value: etree._Element) -> list[str]:
    return [a for a in (_address(x.findtext(f"{_T}EmailAddress")) for x in value.iterfind(f"{_T}Address")) if a]


def _true(value: etree._Element) -> bool:
    return (value.text or "").strip() in ("true", "1")


def _contains(haystacks: list[str], value: etree._Element) -> bool:
    words = _strings(value)
    return any(w in h.lower() for w in words for h in haystacks)


def _class_is(msg: _Message, *prefixes: str) -> bool:
    item_class = msg.text("ItemClass").lower()
    return any(item_class == p or item_class.startswith(p + ".") for p in prefixes)


def _report(msg: _Message, kind: str) -> bool:
    """A transport report of ``kind`` (``ndr``, ``ipnrn``): ``REPORT.IPM.Note.NDR`` and the like."""
    item_class = msg.text("ItemClass").lower()
    return item_class.startswith("report.") and item_class.endswith("." + kind)


def _in_range(value: float, low: str | None, high: str | None, parse: Callable[[str], float | None]) -> bool:
    lo = parse(low) if low else None
    hi = parse(high) if high else None
    return (lo is None or value >= lo) and (hi is None or value <= hi)


# Predicates: name -> test. Booleans that are ``false`` never get here (they constrain nothing).
_FLAG_TESTS: dict[str, Callable[[_Message], bool]] = {
    "HasAttachments": _Message.has_attachments,
    "IsAutomaticForward": _Message.is_rule_generated,
    "IsAutomaticReply": lambda m: _class_is(m, "ipm.note.rules.ooftemplate.microsoft",
                                            "ipm.note.rules.replytemplate.microsoft"),
    "IsApprovalRequest": lambda m: _class_is(m, "ipm.note.microsoft.approval.request"),
    "IsEncrypted": lambda m: _class_is(m, "ipm.note.smime"),
    "IsSigned": lambda m: _class_is(m, "ipm.note.smime.multipartsigned"),
    "IsMeetingRequest": lambda m: _class_is(m, "ipm.schedule.meeting.request"),
    "IsMeetingResponse": lambda m: _class_is(m, "ipm.schedule.meeting.resp"),
    "IsNDR": lambda m: _report(m, "ndr"),
    "IsPermissionControlled": lambda m: _class_is(m, "ipm.note.rpmsg"),
    "IsReadReceipt": lambda m: _report(m, "ipnrn"),
    "IsVoicemail": lambda m: _class_is(m, "ipm.note.microsoft.voicemail"),
    "SentToMe": lambda m: m.me in m.recipients("ToRecipients"),
    "SentCcMe": lambda m: m.me in m.recipients("CcRecipients"),
    "SentToOrCcMe": lambda m: m.me in m.recipients("ToRecipients") + m.recipients("CcRecipients"),
    "NotSentToMe": lambda m: m.me not in m.recipients("ToRecipients"),
    "SentOnlyToMe": lambda m: m.recipients("ToRecipients") == [m.me] and not m.recipients("CcRecipients"),
}
_VALUE_TESTS: dict[str, Callable[[_Message, etree._Element], bool]] = {
    "Categories": lambda m, v: bool({c.lower() for c in m.categories()} & set(_strings(v))),
    "ContainsBodyStrings": lambda m, v: _contains([m.body()], v),
    "ContainsHeaderStrings": lambda m, v: _contains([m.header_text()], v),
    "ContainsRecipientStrings": lambda m, v: _contains(
        [s for p in m.people("ToRecipients", "CcRecipients") for s in p], v),
    "ContainsSenderStrings": lambda m, v: _contains([s for p in m.people("From", "Sender") for s in p], v),
    "ContainsSubjectOrBodyStrings": lambda m, v: _contains([m.text("Subject"), m.body()], v),
    "ContainsSubjectStrings": lambda m, v: _contains([m.text("Subject")], v),
    "FlaggedForAction": lambda m, v: m.el.findtext(f"{_T}Flag/{_T}FlagStatus") == "Flagged"
                                     and (v.text or "").strip() in ("Any", "FollowUp"),
    "FromAddresses": lambda m, v: bool({a for _, a in m.people("From")} & set(_addresses(v))),
    "FromConnectedAccounts": lambda m, v: False,
    "Importance": lambda m, v: (m.text("Importance") or "Normal") == (v.text or "").strip(),
    "ItemClasses": lambda m, v: m.text("ItemClass").lower() in _strings(v),
    "MessageClassifications": lambda m, v: False,
    "SentToAddresses": lambda m, v: bool(
        set(m.recipients("ToRecipients") + m.recipients("CcRecipients")) & set(_addresses(v))),
    "Sensitivity": lambda m, v: (m.text("Sensitivity") or "Normal") == (v.text or "").strip(),
    "WithinDateRange": lambda m, v: _in_range(time.time(), v.findtext(f"{_T}StartDateTime"),
                                              v.findtext(f"{_T}EndDateTime"), parse_datetime),
    "WithinSizeRange": lambda m, v: _in_range(m.size_kb(), v.findtext(f"{_T}MinimumSize"),
                                              v.findtext(f"{_T}MaximumSize"), _int_or_none),
}


def _int_or_none(text: str) -> float | None:
    try:
        return float(int(text))
    except ValueError:
        return None


def _holds(name: str, value: etree._Element, msg: _Message) -> bool | None:
    """Whether one predicate holds; None when it constrains nothing (a ``false`` boolean)."""
    if name in _FLAG_TESTS:
        return _FLAG_TESTS[name](msg) if _true(value) else None
    test = _VALUE_TESTS.get(name)
    return test(msg, value) if test is not None else False


def _applies(rule: etree._Element, msg: _Message) -> bool:
    conditions = rule.find(f"{_T}Conditions")
    for value in conditions if conditions is not None else ():
        if isinstance(value.tag, str) and _holds(etree.QName(value).localname, value, msg) is False:
            return False
    exceptions = rule.find(f"{_T}Exceptions")
    return not any(isinstance(v.tag, str) and _holds(etree.QName(v).localname, v, msg)
                   for v in (exceptions if exceptions is not None else ()))


# Running the rules ------------------------------------------------------------------------------
@dataclass
class _Plan:
    """What the rules decided beyond the message's own properties; carried out once all have run."""

    moved: bool = False
    copies: list[Folder] = field(default_factory=list)
    sends: list[tuple[str, list[str]]] = field(default_factory=list)
    purge: bool = False


def run_inbox_rules(store: Store, con: sqlite3.Connection, drop: LocalDelivery) -> None:
    """Delivery hook: run ``drop.mailbox``'s enabled inbox rules on the copy being delivered to its Inbox."""
    if drop.folder.well_known != "inbox":
        return
    rows = con.execute("SELECT rule_id, xml FROM rules WHERE mailbox_id = ? AND enabled = 1 ORDER BY priority,"
                       " rule_id", (drop.mailbox.id,)).fetchall()
    if not rows:
        return
    msg = _Message(drop, drop.mailbox.smtp.lower())
    plan = _Plan()
    for rule_id, xml in rows:
        rule = etree.fromstring(bytes(xml))
        if not _applies(rule, msg):
            continue
        actions = rule.find(f"{_T}Actions")
        if actions is None:
            continue
        targets = _targets(store, drop.mailbox, actions)
        if targets is None:
            _mark_in_error(con, drop.mailbox.id, rule_id, rule)
            continue
        if _act(drop, msg, actions, targets, plan):
            break
    _carry_out(store, con, drop, plan)


def _targets(store: Store, mailbox: Recipient, actions: etree._Element) -> dict[str, Folder] | None:
    """The rule's Move/Copy target folders; None when one of them does not exist (the rule is in error)."""
    out: dict[str, Folder] = {}
    for tag in ("MoveToFolder", "CopyToFolder"):
        holder = actions.find(f"{_T}{tag}")
        if holder is None:
            continue
        ref = next((c for c in holder if isinstance(c.tag, str)), None)
        folder = _folder(store, mailbox, ref) if ref is not None else None
        if folder is None:
            return None
        out[tag] = folder
    if _true_child(actions, "Delete"):
        deleted = store.folders.by_well_known(mailbox.id, "deleteditems")
        if deleted is None:
            return None
        out["Delete"] = deleted
    return out


def _folder(store: Store, mailbox: Recipient, ref: etree._Element) -> Folder | None:
    kind = etree.QName(ref).localname
    if kind == "DistinguishedFolderId":
        owner = _address(ref.findtext(f"{_T}Mailbox/{_T}EmailAddress"))
        if owner and owner != mailbox.smtp.lower():
            return None
        return store.folders.by_well_known(mailbox.id, ref.get("Id") or "")
    try:
        decoded = decode_id(ref.get("Id"), "folder")
    except MalformedId:
        return None
    folder = store.folders.get(decoded.row_id)
    return folder if folder is not None and folder.mailbox_id == mailbox.id == decoded.mailbox_id else None


def _true_child(el: etree._Element, tag: str) -> bool:
    child = el.find(f"{_T}{tag}")
    return child is not None and _true(child)


def _mark_in_error(con: sqlite3.Connection, mailbox_id: int, rule_id: str, rule: etree._Element) -> None:
    """Flag the stored rule ``IsInError`` (Exchange does when a rule cannot run, e.g. its folder is gone)."""
    if _true_child(rule, "IsInError"):
        return
    set_child(rule, "IsInError", "true")
    order_children(rule, "t:RuleType")
    con.execute("UPDATE rules SET xml = ? WHERE mailbox_id = ? AND rule_id = ?",
                (etree.tostring(rule), mailbox_id, rule_id))


def _act(drop: LocalDelivery, msg: _Message, actions: etree._Element, targets: dict[str, Folder], plan: _Plan) -> bool:
    """Apply one rule's actions; True when it stops processing more rules."""
    categories = actions.find(f"{_T}AssignCategories")
    if categories is not None:
        _add_categories(drop.element, msg.categories(), [c.text for c in categories.iterfind(f"{_T}String")
                                                         if c.text])
    importance = actions.findtext(f"{_T}MarkImportance")
    if importance:
        set_child(drop.element, "Importance", importance.strip())
    if _true_child(actions, "MarkAsRead"):
        drop.is_read = True
    if "CopyToFolder" in targets:
        plan.copies.append(targets["CopyToFolder"])
    for tag in ("MoveToFolder", "Delete"):
        if tag in targets:
            if plan.moved:
                plan.copies.append(targets[tag])
            else:
                drop.folder, plan.moved = targets[tag], True
    if _true_child(actions, "PermanentDelete"):
        plan.purge = True
    if not msg.is_rule_generated():  # loop protection: rule-generated mail is never sent on again
        for tag in _SENDING:
            holder = actions.find(f"{_T}{tag}")
            if holder is not None and _addresses(holder):
                plan.sends.append((tag, _addresses(holder)))
    order_children(drop.element, "t:MessageType")
    return _true_child(actions, "StopProcessingRules")


def _add_categories(el: etree._Element, have: list[str], added: list[str]) -> None:
    """The item's categories plus ``added`` (case-insensitively new ones only), in that order."""
    names = list(have)
    seen = {n.lower() for n in names}
    for name in added:
        if name.lower() not in seen:
            seen.add(name.lower())
            names.append(name)
    set_child(el, "Categories", None)
    holder = etree.SubElement(el, t("Categories"))
    for name in names:
        etree.SubElement(holder, t("String")).text = name


def _carry_out(store: Store, con: sqlite3.Connection, drop: LocalDelivery, plan: _Plan) -> None:
    now = int(time.time())
    done = {drop.folder.id} if not plan.purge else set()
    for folder in plan.copies:
        if folder.id not in done:
            done.add(folder.id)
            _store_copy(store, con, drop, folder, now)
    for kind, addresses in plan.sends:
        _send(store, con, drop, kind, addresses, now)
    if plan.purge:
        drop.drop = True


def _store_copy(store: Store, con: sqlite3.Connection, drop: LocalDelivery, folder: Folder, now: int) -> None:
    """A copy filed by CopyToFolder (or a second move): the delivered message as the rules left it."""
    el = copy.deepcopy(drop.element)
    set_child(el, "IsRead", "true" if drop.is_read else "false")
    mailbox = drop.mailbox
    for tag in ("ReceivedBy", "ReceivedRepresenting"):
        set_child(el, tag, None)
        el.append(mailbox_element(tag, mailbox.display_name, mailbox.smtp, mailbox.mailbox_type))
    order_children(el, "t:MessageType")
    row = store.items.insert(con, mailbox.id, folder.id, el, created_by=mailbox.id,
                             modifier_name=mailbox.display_name, received=now)
    if drop.attachments:
        store_attachments(store, con, row.id, drop.attachments)


# Forward, forward as attachment, redirect --------------------------------------------------------
def _loop_headers(el: etree._Element, mailbox: Recipient) -> None:
    headers = el.find(f"{_T}InternetMessageHeaders")
    if headers is None:
        headers = etree.SubElement(el, t("InternetMessageHeaders"))
    etree.SubElement(headers, t("InternetMessageHeader"), HeaderName=LOOP_HEADER).text = mailbox.smtp


def _send(store: Store, con: sqlite3.Connection, drop: LocalDelivery, kind: str, addresses: list[str],
          now: int) -> None:
    if kind == "RedirectToRecipients":
        _redirect(store, con, drop, addresses, now)
        return
    from ews_emulator.ops.createitem import normalized_subject, quoted_body  # noqa: PLC0415 - ops import late

    mailbox, orig = drop.mailbox, drop.element
    msg = etree.Element(t("Message"), nsmap={"t": T_NS})
    etree.SubElement(msg, t("ItemClass")).text = "IPM.Note"
    etree.SubElement(msg, t("Subject")).text = "FW: " + normalized_subject(orig.findtext(f"{_T}Subject") or "")
    attachments = list(drop.attachments)
    if kind == "ForwardToRecipients":
        msg.append(quoted_body(None, orig))
    else:  # ForwardAsAttachmentToRecipients: the original as an item attachment, no text of its own
        etree.SubElement(msg, t("Body"), BodyType="Text").text = ""
        inner = copy.deepcopy(orig)
        set_child(inner, "IsRead", "false")
        attachments = [AttachmentSpec(orig.findtext(f"{_T}Subject") or "Untitled", "message/rfc822",
                                      item_xml=etree.tostring(order_children(inner, "t:MessageType")))]
    etree.SubElement(msg, t("Importance")).text = orig.findtext(f"{_T}Importance") or "Normal"
    to = etree.SubElement(msg, t("ToRecipients"))
    for addr in addresses:
        to.append(mailbox_element("Mailbox", None, addr))
    for tag in ("From", "Sender"):
        msg.append(mailbox_element(tag, mailbox.display_name, mailbox.smtp, mailbox.mailbox_type))
    etree.SubElement(msg, t("DateTimeSent")).text = ts_text(now)
    etree.SubElement(msg, t("InternetMessageId")).text = new_message_id(mailbox.smtp.rpartition("@")[2])
    etree.SubElement(msg, t("IsRead")).text = "false"
    _loop_headers(msg, mailbox)
    try:
        normalize_recipients(store, msg)
    except EwsError:
        return  # an address the directory cannot resolve: nothing is sent, as a rule in error would
    deliver(store, order_children(msg, "t:MessageType"), attachments=attachments, now=now)


def _redirect(store: Store, con: sqlite3.Connection, drop: LocalDelivery, addresses: list[str], now: int) -> None:
    """The message as received, From and recipients unchanged, delivered to ``addresses`` only."""
    el = copy.deepcopy(drop.element)
    for tag in ("IsRead", "ReceivedBy", "ReceivedRepresenting"):
        set_child(el, tag, None)
    _loop_headers(el, drop.mailbox)
    order_children(el, "t:MessageType")
    mailboxes, external, _unknown = expand(store, addresses)
    for mailbox in mailboxes:
        _deliver_one(store, con, mailbox, el, list(drop.attachments), now)
    if external:
        _record_outbox(con, el, external, now)
