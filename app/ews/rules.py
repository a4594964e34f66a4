"""Inbox rules of a mailbox: GetInboxRules and UpdateInboxRules, always naming the mailbox.

exchangelib 5.6.0 sends ``m:MailboxSmtpAddress`` with GetInboxRules but **not** with UpdateInboxRules, so under
delegate access every change would land in the signed-in user's own rules. The services below put it first in
the request (schema order: MailboxSmtpAddress, RemoveOutlookRuleBlob, Operations).

Editing keeps what Mailroom does not model: a changed rule is the server's current ``t:Rule`` with only the
fields of :mod:`app.domain.rules` replaced, so conditions such as a size range or actions such as an SMS alert
survive an edit (and a duplicate carries them too).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

from exchangelib import errors as ex
from exchangelib.properties import (
    Actions,
    Conditions,
    CopyToFolder,
    DistinguishedFolderId,
    Exceptions,
    FolderId,
    Mailbox,
    MoveToFolder,
)
from exchangelib.properties import Rule as EwsRule
from exchangelib.services import GetInboxRules
from exchangelib.services.inbox_rules import CreateInboxRule, DeleteInboxRule, SetInboxRule
from exchangelib.util import MNS, add_xml_child

from app.domain.errors import ItemGone, ServerError
from app.domain.folders import FolderRef
from app.domain.rules import Predicates, Rule, RuleActions, copy_name
from app.ews.addressing import run
from app.ews.client import EwsClient

Wait = Callable[[str], None] | None

# Conditions and actions Mailroom edits (exchangelib field name -> Predicates / RuleActions field).
_PREDICATE_FIELDS = {
    "from_addresses": "from_addresses", "sent_to_addresses": "sent_to",
    "contains_subject_strings": "subject_contains", "contains_body_strings": "body_contains",
    "contains_subject_or_body_strings": "subject_or_body_contains", "has_attachments": "has_attachments",
    "importance": "importance", "sent_only_to_me": "sent_only_to_me", "categories": "categories",
}
_ADDRESS_FIELDS = {"from_addresses", "sent_to_addresses"}
# The others, in plain words (shown in summaries and kept on save).
_OTHER_CONDITIONS = {
    "contains_header_strings": "the header contains certain words",
    "contains_recipient_strings": "a recipient's address contains certain words",
    "contains_sender_strings": "the sender's address contains certain words",
    "flagged_for_action": "it is flagged for an action",
    "from_connected_accounts": "it comes from a connected account",
    "is_approval_request": "it is an approval request", "is_automatic_forward": "it is an automatic forward",
    "is_automatic_reply": "it is an automatic reply", "is_encrypted": "it is encrypted",
    "is_meeting_request": "it is a meeting request", "is_meeting_response": "it is a meeting response",
    "is_ndr": "it is a non-delivery report", "is_permission_controlled": "it is permission-controlled",
    "is_read_receipt": "it is a read receipt", "is_signed": "it is signed", "is_voicemail": "it is a voice mail",
    "item_classes": "it is of certain message classes",
    "message_classifications": "it has certain classifications", "not_sent_to_me": "it is not sent to the mailbox",
    "sent_cc_me": "the mailbox is on Cc", "sent_to_me": "the mailbox is on To",
    "sent_to_or_cc_me": "the mailbox is on To or Cc", "sensitivity": "it has a certain sensitivity",
    "within_date_range": "it was received within a date range", "within_size_range": "its size is within a range",
}
_ACTION_FIELDS = ("move_to_folder", "copy_to_folder", "assign_categories", "mark_as_read", "mark_importance",
                  "forward_to_recipients", "redirect_to_recipients", "delete", "stop_processing_rules")
_OTHER_ACTIONS = {
    "permanent_delete": "delete permanently",
    "forward_as_attachment_to_recipients": "forward as an attachment",
    "send_sms_alert_to_recipients": "send a text message alert",
    "server_reply_with_message": "reply with a template",
}
_VALIDATION_WORDS = {
    "FolderDoesNotExist": "the folder it moves or copies to does not exist",
    "InvalidFolderId": "the folder it moves or copies to does not exist",
    "RuleNotFound": "the rule does not exist any more (someone may have deleted it)",
    "MissingAction": "a rule needs at least one action",
    "EmptyValueFound": "the rule needs a name",
    "DuplicatedPriority": "two rules have the same priority",
    "InvalidAddress": "an address is not valid",
    "RecipientDoesNotExist": "an address names no one",
}


@dataclass(frozen=True)
class RuleSet:
    """A mailbox's rules in priority order, and whether Outlook keeps client-only rules there too."""

    mailbox: str
    rules: tuple[Rule, ...]
    outlook_blob: bool = False


# -- services -----------------------------------------------------------------------------------------------------
class _GetInboxRules(GetInboxRules):
    """GetInboxRules that also reads ``OutlookRuleBlobExists`` (exchangelib drops it)."""

    outlook_blob = False

    def _get_element_container(self, message, name=None):
        value = (message.findtext(f"{{{MNS}}}OutlookRuleBlobExists") or "").strip().lower()
        if value:
            self.outlook_blob = value in ("true", "1")
        return super()._get_element_container(message, name)


# WORKAROUND for exchangelib 5.6.0: UpdateInboxRules omits MailboxSmtpAddress (services/inbox_rules.py), so under
# delegate access Exchange changes the signed-in user's own rules. Put it first, naming the shared mailbox.
class _ForMailbox:
    """Mixin for the UpdateInboxRules services: ``m:MailboxSmtpAddress`` = the Account's mailbox, first."""

    account: object

    def get_payload(self, rule, remove_outlook_rule_blob: bool = True):
        payload = super().get_payload(rule=rule, remove_outlook_rule_blob=remove_outlook_rule_blob)  # type: ignore[misc]
        add_xml_child(payload, "m:MailboxSmtpAddress", self.account.primary_smtp_address)  # type: ignore[attr-defined]
        payload.insert(0, payload[-1])  # moves the element just appended to the front
        return payload


class _CreateRule(_ForMailbox, CreateInboxRule):
    """CreateRuleOperation on the Account's mailbox."""


class _SetRule(_ForMailbox, SetInboxRule):
    """SetRuleOperation on the Account's mailbox."""


class _DeleteRule(_ForMailbox, DeleteInboxRule):
    """DeleteRuleOperation on the Account's mailbox."""


# -- reading ------------------------------------------------------------------------------------------------------
def _ews_rules(client: EwsClient, mailbox: str) -> tuple[list[EwsRule], bool]:
    service = _GetInboxRules(account=client.account(mailbox))
    rules = [r for r in service.call(mailbox=mailbox) if isinstance(r, EwsRule)]
    return sorted(rules, key=lambda r: r.priority or 0), service.outlook_blob


def _denied(mailbox: str) -> str:
    return f"Managing the rules of {mailbox} needs Full Access to the mailbox."


def get_rules(client: EwsClient, mailbox: str, *, on_wait: Wait = None) -> RuleSet:
    """The mailbox's rules (one GetInboxRules naming it) and whether an Outlook rule blob exists.

    Raises:
        AccessDenied: The user has no Full Access to the mailbox.
    """

    def work() -> RuleSet:
        rules, blob = _ews_rules(client, mailbox)
        return RuleSet(mailbox, tuple(from_ews(r, mailbox) for r in rules), blob)

    return run(client, mailbox, work, denied=_denied(mailbox), on_wait=on_wait)


def from_ews(rule: EwsRule, mailbox: str) -> Rule:
    """The domain rule of an exchangelib ``Rule``."""
    return Rule(
        id=rule.id or "", name=rule.display_name or "", priority=int(rule.priority or 1),
        enabled=rule.is_enabled is not False, conditions=_predicates(rule.conditions),
        exceptions=_predicates(rule.exceptions), actions=_actions(rule.actions, mailbox),
        in_error=bool(rule.is_in_error), not_supported=bool(rule.is_not_supported),
    )


def _predicates(value: Conditions | None) -> Predicates:
    if value is None:
        return Predicates()
    kwargs: dict[str, object] = {}
    for ews_name, name in _PREDICATE_FIELDS.items():
        raw = getattr(value, ews_name, None)
        if raw is None:
            continue
        if ews_name in _ADDRESS_FIELDS:
            kwargs[name] = tuple(a.email_address for a in raw if getattr(a, "email_address", None))
        elif isinstance(raw, list):
            kwargs[name] = tuple(str(s) for s in raw if s)
        elif isinstance(raw, bool):
            kwargs[name] = raw
        else:
            kwargs[name] = str(raw)
    other = tuple(words for ews_name, words in _OTHER_CONDITIONS.items() if _present(getattr(value, ews_name, None)))
    return Predicates(**kwargs, other=other)  # type: ignore[arg-type]


def _folder(target: MoveToFolder | CopyToFolder | None, mailbox: str) -> FolderRef | None:
    if target is None:
        return None
    if target.folder_id is not None and target.folder_id.id:
        return FolderRef(mailbox, folder_id=target.folder_id.id)
    if target.distinguished_folder_id is not None and target.distinguished_folder_id.id:
        return FolderRef(mailbox, well_known=target.distinguished_folder_id.id)
    return None


def _actions(value: Actions | None, mailbox: str) -> RuleActions:
    if value is None:
        return RuleActions()
    return RuleActions(
        move_to=_folder(value.move_to_folder, mailbox), copy_to=_folder(value.copy_to_folder, mailbox),
        assign_labels=tuple(value.assign_categories or ()), mark_as_read=bool(value.mark_as_read),
        mark_importance=value.mark_importance or "",
        forward_to=tuple(a.email_address for a in value.forward_to_recipients or () if a.email_address),
        redirect_to=tuple(a.email_address for a in value.redirect_to_recipients or () if a.email_address),
        delete=bool(value.delete), stop_processing=bool(value.stop_processing_rules),
        other=tuple(words for name, words in _OTHER_ACTIONS.items() if _present(getattr(value, name, None))),
    )


def _present(value: object) -> bool:
    return value is not None and value is not False and value != []


# -- writing ------------------------------------------------------------------------------------------------------
def to_ews(rule: Rule, mailbox: str, base: EwsRule | None = None) -> EwsRule:
    """An exchangelib ``Rule`` for ``rule``: ``base`` (the server's version) with Mailroom's fields replaced."""
    out = copy.deepcopy(base) if base is not None else EwsRule()
    out.account = None
    out.id = rule.id or None
    out.display_name = rule.name.strip()
    out.priority = max(1, rule.priority)
    out.is_enabled = rule.enabled
    out.is_in_error = None  # server-owned
    out.is_not_supported = None
    out.conditions = _ews_predicates(rule.conditions, out.conditions, Conditions)
    out.exceptions = _ews_predicates(rule.exceptions, out.exceptions, Exceptions)
    out.actions = _ews_actions(rule.actions, out.actions, mailbox)
    return out


def _ews_predicates(value: Predicates, base: Conditions | None, cls: type[Conditions]) -> Conditions | None:
    out = base if base is not None else cls()
    for ews_name, name in _PREDICATE_FIELDS.items():
        raw = getattr(value, name)
        if isinstance(raw, tuple):
            setattr(out, ews_name, list(raw) or None)
        elif isinstance(raw, bool):
            setattr(out, ews_name, True if raw else None)
        else:
            setattr(out, ews_name, raw or None)
    fields = [f.name for f in cls.FIELDS]
    return out if any(_present(getattr(out, f, None)) for f in fields) else None


def _target(cls: type[MoveToFolder] | type[CopyToFolder], ref: FolderRef | None,
            mailbox: str) -> MoveToFolder | CopyToFolder | None:
    if ref is None:
        return None
    if ref.folder_id:
        return cls(folder_id=FolderId(id=ref.folder_id))
    return cls(distinguished_folder_id=DistinguishedFolderId(id=ref.well_known, mailbox=Mailbox(email_address=mailbox)))


def _ews_actions(value: RuleActions, base: Actions | None, mailbox: str) -> Actions:
    out = base if base is not None else Actions()
    out.move_to_folder = _target(MoveToFolder, value.move_to, mailbox)
    out.copy_to_folder = _target(CopyToFolder, value.copy_to, mailbox)
    out.assign_categories = list(value.assign_labels) or None
    out.mark_as_read = True if value.mark_as_read else None
    out.mark_importance = value.mark_importance or None
    out.forward_to_recipients = list(value.forward_to) or None
    out.redirect_to_recipients = list(value.redirect_to) or None
    out.delete = True if value.delete else None
    out.stop_processing_rules = True if value.stop_processing else None
    return out


def _update(client: EwsClient, mailbox: str, change: Callable[[object, list[EwsRule]], None],
            on_wait: Wait) -> RuleSet:
    """Read the rules, make one UpdateInboxRules change, read them again (the server renumbers priorities)."""
    account = client.account(mailbox)

    def work() -> RuleSet:
        current, _blob = _ews_rules(client, mailbox)
        try:
            change(account, current)
        except ex.ErrorInboxRulesValidationError as error:
            raise ServerError(_validation_words(str(error))) from error
        except ex.ErrorOutlookRuleBlobExists as error:
            raise ServerError("This mailbox has client-only Outlook rules; saving removes them. Confirm that to "
                              "save the change.") from error
        rules, blob = _ews_rules(client, mailbox)
        return RuleSet(mailbox, tuple(from_ews(r, mailbox) for r in rules), blob)

    return run(client, mailbox, work, denied=_denied(mailbox), on_wait=on_wait)


def _validation_words(text: str) -> str:
    found = [words for code, words in _VALIDATION_WORDS.items() if f"({code} on field" in text]
    if found:
        return "Exchange did not accept the rule: " + "; ".join(dict.fromkeys(found)) + "."
    return f"Exchange did not accept the rule: {text}"


def _base(current: list[EwsRule], rule_id: str) -> EwsRule:
    found = next((r for r in current if r.id == rule_id), None)
    if found is None:
        raise ItemGone("The rule does not exist any more; someone may have deleted it. The list was reloaded.")
    return found


def save_rule(client: EwsClient, mailbox: str, rule: Rule, *, remove_outlook_blob: bool = True,
              on_wait: Wait = None) -> RuleSet:
    """Create (no ``rule.id``) or change a rule of ``mailbox``; returns the rules as they are then.

    Args:
        remove_outlook_blob: Let Exchange remove Outlook's client-only rules (required when they exist; ask the
            user first).

    Raises:
        AccessDenied: No Full Access to the mailbox.
        ServerError: Exchange refused the rule (reason in plain words).
        ItemGone: The rule was deleted meanwhile.
    """

    def change(account: object, current: list[EwsRule]) -> None:
        if rule.id:
            _SetRule(account=account).get(rule=to_ews(rule, mailbox, _base(current, rule.id)),
                                          remove_outlook_rule_blob=remove_outlook_blob)
        else:
            _CreateRule(account=account).get(rule=to_ews(rule, mailbox), remove_outlook_rule_blob=remove_outlook_blob)

    return _update(client, mailbox, change, on_wait)


def delete_rule(client: EwsClient, mailbox: str, rule_id: str, *, remove_outlook_blob: bool = True,
                on_wait: Wait = None) -> RuleSet:
    """Delete a rule of ``mailbox``; returns the rules left."""

    def change(account: object, current: list[EwsRule]) -> None:
        _DeleteRule(account=account).get(rule=_base(current, rule_id), remove_outlook_rule_blob=remove_outlook_blob)

    return _update(client, mailbox, change, on_wait)


def _set_fields(client: EwsClient, mailbox: str, rule_id: str, remove_outlook_blob: bool, on_wait: Wait,
                **fields: object) -> RuleSet:
    def change(account: object, current: list[EwsRule]) -> None:
        target = copy.deepcopy(_base(current, rule_id))
        target.account = None
        target.is_in_error = target.is_not_supported = None
        for name, value in fields.items():
            setattr(target, name, value)
        _SetRule(account=account).get(rule=target, remove_outlook_rule_blob=remove_outlook_blob)

    return _update(client, mailbox, change, on_wait)


def set_enabled(client: EwsClient, mailbox: str, rule_id: str, enabled: bool, *, remove_outlook_blob: bool = True,
                on_wait: Wait = None) -> RuleSet:
    """Switch a rule on or off (only ``IsEnabled`` changes)."""
    return _set_fields(client, mailbox, rule_id, remove_outlook_blob, on_wait, is_enabled=enabled)


def move_rule(client: EwsClient, mailbox: str, rule_id: str, priority: int, *, remove_outlook_blob: bool = True,
              on_wait: Wait = None) -> RuleSet:
    """Put a rule at ``priority`` (1 = first); Exchange renumbers the others."""
    return _set_fields(client, mailbox, rule_id, remove_outlook_blob, on_wait, priority=max(1, priority))


def duplicate_rule(client: EwsClient, mailbox: str, rule_id: str, *, remove_outlook_blob: bool = True,
                   on_wait: Wait = None) -> RuleSet:
    """Copy a rule (all of it, also what Mailroom does not edit) right after the original, named "… (copy)"."""

    def change(account: object, current: list[EwsRule]) -> None:
        original = _base(current, rule_id)
        twin = copy.deepcopy(original)
        twin.account = None
        twin.id = None
        twin.is_in_error = twin.is_not_supported = None
        twin.display_name = copy_name(original.display_name or "Rule", [r.display_name or "" for r in current])
        twin.priority = int(original.priority or 1) + 1
        _CreateRule(account=account).get(rule=twin, remove_outlook_rule_blob=remove_outlook_blob)

    return _update(client, mailbox, change, on_wait)
