"""Inbox rules: GetInboxRules and UpdateInboxRules ([MS-OXWSRULES]).

``MailboxSmtpAddress`` names the mailbox; when it is absent both operations work on the *caller's own*
mailbox, exactly as Exchange does (exchangelib 5.6.0 omits it on UpdateInboxRules, so a delegate's
"create rule on the shared mailbox" lands in the delegate's own rules). Another mailbox needs Full
Access, else ``ErrorAccessDenied``.

UpdateInboxRules validates every operation first and applies all or nothing: a failed validation is
``ErrorInboxRulesValidationError`` with ``RuleOperationErrors`` (operation index, field, error code).
Priorities stay contiguous from 1: a created or re-prioritised rule is put at its requested position
and the others move down, as Exchange renumbers them. An existing Outlook rule blob must be removed
(``RemoveOutlookRuleBlob``) or the request fails with ``ErrorOutlookRuleBlobExists``. The whole
``t:Rule`` element is stored, so conditions and actions round-trip unchanged (delivery-time rule
actions are not run here).
"""

from __future__ import annotations

import base64
import sqlite3
import struct
from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import top_level_message
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t, xs_bool
from ews_emulator.store import Recipient
from ews_emulator.store.ids import MalformedId, decode_id
from ews_emulator.xml.builder import order_children
from ews_emulator.xml.schema_order import ELEMENT_TYPE

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
BLOB_KEY = "outlook_rule_blob"
VALIDATION_TEXT = "Validation error occurred when creating or updating Inbox rules."


@dataclass
class StoredRule:
    rule_id: str
    priority: int
    enabled: bool
    xml: bytes


@dataclass
class OperationError:
    index: int
    errors: list[tuple[str, str, str, str | None]] = field(default_factory=list)  # field, code, text, value


def _target_mailbox(ctx: Ctx, req: etree._Element) -> Recipient:
    address = (req.findtext(f"{_M}MailboxSmtpAddress") or "").strip()
    mailbox = ctx.mailbox(address or None)
    if not ctx.has_full_access(mailbox.id):
        raise access_denied()
    return mailbox


def load_rules(con: sqlite3.Connection, mailbox_id: int) -> list[StoredRule]:
    rows = con.execute("SELECT rule_id, priority, enabled, xml FROM rules WHERE mailbox_id = ? ORDER BY priority,"
                       " rule_id", (mailbox_id,)).fetchall()
    return [StoredRule(r[0], int(r[1]), bool(r[2]), bytes(r[3])) for r in rows]


def _blob_exists(con: sqlite3.Connection, mailbox_id: int) -> bool:
    row = con.execute("SELECT value FROM mailbox_settings WHERE mailbox_id = ? AND key = ?",
                      (mailbox_id, BLOB_KEY)).fetchone()
    return row is not None and bool(row[0]) and bytes(row[0]) not in (b"0", b"false")


def rule_el(rule: StoredRule) -> etree._Element:
    """The stored ``t:Rule`` with the server-owned RuleId, Priority and IsEnabled filled in."""
    el = etree.fromstring(rule.xml)
    for tag in ("RuleId", "Priority", "IsEnabled"):
        for old in el.findall(f"{_T}{tag}"):
            el.remove(old)
    etree.SubElement(el, t("RuleId")).text = rule.rule_id
    etree.SubElement(el, t("Priority")).text = str(rule.priority)
    etree.SubElement(el, t("IsEnabled")).text = bool_text(rule.enabled)
    return order_children(el, "t:RuleType")


@operation("GetInboxRules")
def get_inbox_rules(ctx: Ctx, req: etree._Element) -> etree._Element:
    try:
        mailbox = _target_mailbox(ctx, req)
    except EwsError as exc:
        return top_level_message("GetInboxRulesResponse", exc)
    con = ctx.store.db.connection()
    root = top_level_message("GetInboxRulesResponse")
    etree.SubElement(root, m("OutlookRuleBlobExists")).text = bool_text(_blob_exists(con, mailbox.id))
    rules = load_rules(con, mailbox.id)
    if rules:
        container = etree.SubElement(root, m("InboxRules"))
        for rule in rules:
            container.append(rule_el(rule))
    return root


# UpdateInboxRules ------------------------------------------------------------------------------
@operation("UpdateInboxRules")
def update_inbox_rules(ctx: Ctx, req: etree._Element) -> etree._Element:
    try:
        mailbox = _target_mailbox(ctx, req)
    except EwsError as exc:
        return top_level_message("UpdateInboxRulesResponse", exc)
    remove_blob = xs_bool(req.findtext(f"{_M}RemoveOutlookRuleBlob"), False)
    ops = list(req.find(f"{_M}Operations") if req.find(f"{_M}Operations") is not None else [])
    with ctx.store.db.tx() as con:
        if _blob_exists(con, mailbox.id) and not remove_blob:
            return top_level_message("UpdateInboxRulesResponse", EwsError(
                "ErrorOutlookRuleBlobExists", "The Outlook rule blob exists. Set RemoveOutlookRuleBlob to true to "
                                              "remove it and update the rules."))
        rules = load_rules(con, mailbox.id)
        failures = _apply(ctx, mailbox, rules, ops)
        if failures:
            return _validation_failure(failures)
        con.execute("DELETE FROM rules WHERE mailbox_id = ?", (mailbox.id,))
        for rule in rules:
            con.execute("INSERT INTO rules(mailbox_id, rule_id, priority, enabled, xml) VALUES (?,?,?,?,?)",
                        (mailbox.id, rule.rule_id, rule.priority, int(rule.enabled), rule.xml))
        if remove_blob:
            con.execute("DELETE FROM mailbox_settings WHERE mailbox_id = ? AND key = ?", (mailbox.id, BLOB_KEY))
    return top_level_message("UpdateInboxRulesResponse")


def _apply(ctx: Ctx, mailbox: Recipient, rules: list[StoredRule], ops: list[etree._Element]) -> list[OperationError]:
    """Apply ``ops`` to the in-memory ``rules`` list; return the validation failures (then nothing is saved)."""
    failures: list[OperationError] = []
    touched: set[str] = set()
    for index, op in enumerate(ops):
        kind = etree.QName(op).localname
        problem = OperationError(index)
        if kind == "DeleteRuleOperation":
            rid = (op.findtext(f"{_T}RuleId") or "").strip()
            target = next((r for r in rules if r.rule_id == rid), None)
            if target is None:
                problem.errors.append(("RuleId", "RuleNotFound", "The rule was not found.", rid))
            elif rid in touched:
                problem.errors.append(("RuleId", "DuplicatedOperationOnTheSameRule",
                                       "More than one operation was requested on the same rule.", rid))
            else:
                touched.add(rid)
                rules.remove(target)
        else:
            rule = op.find(f"{_T}Rule")
            assert rule is not None  # the schema requires it
            problem.errors.extend(_validate_rule(ctx, mailbox, rule, creating=kind == "CreateRuleOperation"))
            rid = (rule.findtext(f"{_T}RuleId") or "").strip()
            existing = next((r for r in rules if r.rule_id == rid), None) if rid else None
            if kind == "SetRuleOperation":
                if existing is None:
                    problem.errors.append(("RuleId", "RuleNotFound", "The rule was not found.", rid or None))
                elif rid in touched:
                    problem.errors.append(("RuleId", "DuplicatedOperationOnTheSameRule",
                                           "More than one operation was requested on the same rule.", rid))
            if not problem.errors:
                priority = int(rule.findtext(f"{_T}Priority") or 1)
                if existing is not None:
                    rules.remove(existing)
                    touched.add(existing.rule_id)
                new_id = existing.rule_id if existing is not None else _new_rule_id(rules)
                stored = StoredRule(new_id, priority, xs_bool(rule.findtext(f"{_T}IsEnabled"), True),
                                    etree.tostring(_clean_rule(rule)))
                rules.insert(max(0, min(priority - 1, len(rules))), stored)
        if problem.errors:
            failures.append(problem)
        for position, r in enumerate(rules, start=1):
            r.priority = position
    return failures


def _validate_rule(ctx: Ctx, mailbox: Recipient, rule: etree._Element,
                   creating: bool) -> list[tuple[str, str, str, str | None]]:
    errors: list[tuple[str, str, str, str | None]] = []
    rid = rule.findtext(f"{_T}RuleId")
    if creating and rid:
        errors.append(("RuleId", "CreateWithRuleId", "The rule ID cannot be set when creating a rule.", rid))
    if not (rule.findtext(f"{_T}DisplayName") or "").strip():
        errors.append(("DisplayName", "EmptyValueFound", "The rule must have a display name.", None))
    priority = rule.findtext(f"{_T}Priority") or ""
    if not priority.strip().lstrip("-").isdigit() or int(priority) < 1:
        errors.append(("Priority", "InvalidValue", "The priority must be 1 or greater.", priority or None))
    actions = rule.find(f"{_T}Actions")
    if actions is None or len(actions) == 0:
        errors.append(("Actions", "MissingAction", "The rule must have at least one action.", None))
    else:
        for tag in ("MoveToFolder", "CopyToFolder"):
            target = actions.find(f"{_T}{tag}")
            if target is not None and len(target):
                code = _folder_problem(ctx, mailbox, target[0])
                if code:
                    errors.append((f"Action:{tag}", code, "The target folder is not valid.",
                                   target[0].get("Id")))
    return errors


def _folder_problem(ctx: Ctx, mailbox: Recipient, ref: etree._Element) -> str | None:
    local = etree.QName(ref).localname
    if local == "FolderId":
        try:
            decoded = decode_id(ref.get("Id"), "folder")
        except MalformedId:
            return "InvalidFolderId"
        folder = ctx.store.folders.get(decoded.row_id)
        if folder is None or folder.mailbox_id != mailbox.id or decoded.mailbox_id != mailbox.id:
            return "FolderDoesNotExist"
        return None
    if local == "DistinguishedFolderId":
        return None if ctx.store.folders.by_well_known(mailbox.id, ref.get("Id") or "") else "FolderDoesNotExist"
    return None


def _clean_rule(rule: etree._Element) -> etree._Element:
    """The rule as stored: without server-owned flags, booleans in the canonical form Exchange answers with."""
    el = etree.fromstring(etree.tostring(rule))
    for tag in ("RuleId", "IsInError", "IsNotSupported"):
        for old in el.findall(f"{_T}{tag}"):
            el.remove(old)
    _canonical_booleans(el, "t:RuleType")
    return el


def _canonical_booleans(el: etree._Element, type_name: str) -> None:
    """Rewrite ``1``/``0`` in every ``xs:boolean`` element below ``el`` (exchangelib writes them so)."""
    types = ELEMENT_TYPE.get(type_name, {})
    for child in el:
        if not isinstance(child.tag, str):
            continue
        child_type = types.get(etree.QName(child).localname)
        if child_type == "xs:boolean" and child.text is not None:
            child.text = bool_text(xs_bool(child.text))
        elif child_type:
            _canonical_booleans(child, child_type)


def _new_rule_id(rules: list[StoredRule]) -> str:
    """A new opaque rule id (base64 of a 64-bit number, the shape Exchange's ids have)."""
    taken = {r.rule_id for r in rules}
    used = []
    for rid in taken:
        try:
            raw = base64.b64decode(rid, validate=True)
        except ValueError:
            continue
        if len(raw) == 8:
            used.append(struct.unpack("<Q", raw)[0])
    n = max(used, default=0) + 1
    while True:
        candidate = base64.b64encode(struct.pack("<Q", n)).decode("ascii")
        if candidate not in taken:
            return candidate
        n += 1


def _validation_failure(failures: list[OperationError]) -> etree._Element:
    root = top_level_message("UpdateInboxRulesResponse", EwsError("ErrorInboxRulesValidationError",
                                                                  VALIDATION_TEXT))
    container = etree.SubElement(root, m("RuleOperationErrors"))
    for failure in failures:
        op_el = etree.SubElement(container, t("RuleOperationError"))
        etree.SubElement(op_el, t("OperationIndex")).text = str(failure.index)
        errs = etree.SubElement(op_el, t("ValidationErrors"))
        for field_uri, code, text, value in failure.errors:
            e = etree.SubElement(errs, t("Error"))
            etree.SubElement(e, t("FieldURI")).text = field_uri
            etree.SubElement(e, t("ErrorCode")).text = code
            etree.SubElement(e, t("ErrorMessage")).text = text
            if value is not None:
                etree.SubElement(e, t("FieldValue")).text = value
    return root
