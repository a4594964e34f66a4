"""Inbox rules as people use them: conditions, exceptions, actions, validation and a one-line summary.

A rule applies when **all** its conditions hold (several words or addresses in one condition: **any** of them)
and **none** of its exceptions does (any one exception is enough to skip the message), as Outlook and Exchange
evaluate them. Rules run in priority order (1 first); "stop processing more rules" ends the run.

Conditions and actions Exchange knows but Mailroom does not edit (size ranges, SMS alerts, server replies…) are
listed by name in ``other`` so that the user sees that they exist; the EWS layer keeps them when it saves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from app.domain.folders import FolderRef
from app.domain.rights import Capability, FolderRights

IMPORTANCES = ("Low", "Normal", "High")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Predicates:
    """The conditions (or exceptions) of a rule. Empty fields take no part.

    Attributes:
        from_addresses: The message is from one of these addresses.
        sent_to: One of these addresses is among its recipients.
        subject_contains: The subject contains one of these words or phrases (case-insensitive).
        body_contains: The body contains one of them.
        subject_or_body_contains: The subject or the body contains one of them.
        has_attachments: It has attachments.
        importance: Its importance is this ("Low", "Normal", "High"; "" = any).
        sent_only_to_me: The mailbox is its only recipient.
        categories: It carries one of these labels.
        other: Plain names of conditions present on the server that Mailroom does not edit (kept on save).
    """

    from_addresses: tuple[str, ...] = ()
    sent_to: tuple[str, ...] = ()
    subject_contains: tuple[str, ...] = ()
    body_contains: tuple[str, ...] = ()
    subject_or_body_contains: tuple[str, ...] = ()
    has_attachments: bool = False
    importance: str = ""
    sent_only_to_me: bool = False
    categories: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        """True when nothing is asked (``other`` counts: the server still checks those)."""
        return not self.phrases()

    def phrases(self) -> list[str]:
        """Each condition in words: ["subject contains 'invoice'", "it has attachments"]."""
        out: list[str] = []
        if self.from_addresses:
            out.append(f"from {_any(self.from_addresses, quote=False)}")
        if self.sent_to:
            out.append(f"sent to {_any(self.sent_to, quote=False)}")
        if self.sent_only_to_me:
            out.append("sent only to this mailbox")
        if self.subject_contains:
            out.append(f"subject contains {_any(self.subject_contains)}")
        if self.body_contains:
            out.append(f"body contains {_any(self.body_contains)}")
        if self.subject_or_body_contains:
            out.append(f"subject or body contains {_any(self.subject_or_body_contains)}")
        if self.has_attachments:
            out.append("it has attachments")
        if self.importance:
            out.append(f"importance is {self.importance.lower()}")
        if self.categories:
            out.append(f"labelled {_any(self.categories)}")
        out.extend(self.other)
        return out


@dataclass(frozen=True)
class RuleActions:
    """What a rule does to a message.

    Attributes:
        move_to: Move it to this folder (of the same mailbox).
        copy_to: Put a copy in this folder.
        assign_labels: Give it these labels.
        mark_as_read: Mark it read.
        mark_importance: Set its importance ("" = leave it).
        forward_to: Forward it to these addresses.
        redirect_to: Redirect it to these addresses (the original sender stays the sender).
        delete: Move it to Deleted Items.
        stop_processing: Do not run the rules after this one.
        other: Plain names of actions present on the server that Mailroom does not edit (kept on save).
    """

    move_to: FolderRef | None = None
    copy_to: FolderRef | None = None
    assign_labels: tuple[str, ...] = ()
    mark_as_read: bool = False
    mark_importance: str = ""
    forward_to: tuple[str, ...] = ()
    redirect_to: tuple[str, ...] = ()
    delete: bool = False
    stop_processing: bool = False
    other: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not self.phrases(lambda _ref: "")

    def phrases(self, folder_name: Callable[[FolderRef], str]) -> list[str]:
        """Each action in words: ["move to Billing questions", "mark as read"]."""
        out: list[str] = []
        if self.assign_labels:
            out.append(f"label {_all(self.assign_labels)}")
        if self.mark_as_read:
            out.append("mark as read")
        if self.mark_importance:
            out.append(f"mark importance {self.mark_importance.lower()}")
        if self.copy_to is not None:
            out.append(f"copy to {folder_name(self.copy_to) or 'a folder'}")
        if self.forward_to:
            out.append(f"forward to {_all(self.forward_to, quote=False)}")
        if self.redirect_to:
            out.append(f"redirect to {_all(self.redirect_to, quote=False)}")
        if self.move_to is not None:
            out.append(f"move to {folder_name(self.move_to) or 'a folder'}")
        if self.delete:
            out.append("delete")
        out.extend(self.other)
        if self.stop_processing:
            out.append("stop processing more rules")
        return out


@dataclass(frozen=True)
class Rule:
    """One inbox rule of a mailbox.

    Attributes:
        id: The server's RuleId ("" for a rule not saved yet).
        name: DisplayName.
        priority: 1 runs first.
        enabled: Whether it runs.
        conditions: All must hold.
        exceptions: None may hold.
        actions: What it does.
        in_error: The server says the rule is broken (e.g. its folder is gone).
        not_supported: The server cannot run it (made by a client with features Exchange lacks).
    """

    id: str = ""
    name: str = ""
    priority: int = 1
    enabled: bool = True
    conditions: Predicates = field(default_factory=Predicates)
    exceptions: Predicates = field(default_factory=Predicates)
    actions: RuleActions = field(default_factory=RuleActions)
    in_error: bool = False
    not_supported: bool = False

    def folders(self) -> list[FolderRef]:
        """The folders the rule's actions name."""
        return [f for f in (self.actions.move_to, self.actions.copy_to) if f is not None]


@dataclass(frozen=True)
class MessageFacts:
    """What a rule looks at in a message (for running a rule on messages already in a folder).

    Attributes:
        sender: The From address.
        to: To recipients' addresses.
        cc: Cc recipients' addresses.
        subject: Subject.
        body: Body text ("" when not fetched).
        has_attachments: Whether it has attachments.
        importance: "Low", "Normal" or "High".
        categories: Its labels.
    """

    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    subject: str = ""
    body: str = ""
    has_attachments: bool = False
    importance: str = "Normal"
    categories: tuple[str, ...] = ()


def _has_any(text: str, words: tuple[str, ...]) -> bool:
    low = text.casefold()
    return any(w.casefold() in low for w in words)


def _checks(p: Predicates, m: MessageFacts, mailbox: str) -> list[bool]:
    """One truth value per condition set in ``p`` (``other`` conditions cannot be checked here: not counted)."""
    out: list[bool] = []
    recipients = {a.casefold() for a in (*m.to, *m.cc)}
    if p.from_addresses:
        out.append(m.sender.casefold() in {a.casefold() for a in p.from_addresses})
    if p.sent_to:
        out.append(bool(recipients & {a.casefold() for a in p.sent_to}))
    if p.sent_only_to_me:
        out.append(recipients == {mailbox.casefold()})
    if p.subject_contains:
        out.append(_has_any(m.subject, p.subject_contains))
    if p.body_contains:
        out.append(_has_any(m.body, p.body_contains))
    if p.subject_or_body_contains:
        out.append(_has_any(m.subject, p.subject_or_body_contains) or _has_any(m.body, p.subject_or_body_contains))
    if p.has_attachments:
        out.append(m.has_attachments)
    if p.importance:
        out.append(m.importance.casefold() == p.importance.casefold())
    if p.categories:
        out.append(bool({c.casefold() for c in m.categories} & {c.casefold() for c in p.categories}))
    return out


def applies_to(rule: Rule, message: MessageFacts, mailbox: str) -> bool:
    """Whether ``rule`` acts on ``message`` delivered to ``mailbox``: every condition holds, no exception does."""
    conditions = _checks(rule.conditions, message, mailbox)
    exceptions = _checks(rule.exceptions, message, mailbox)
    return all(conditions) and not any(exceptions)


# -- words ------------------------------------------------------------------------------------------------------
def _quoted(value: str, quote: bool) -> str:
    return f"'{value}'" if quote else value


def _any(values: Iterable[str], quote: bool = True) -> str:
    return _join([_quoted(v, quote) for v in values], "or")


def _all(values: Iterable[str], quote: bool = True) -> str:
    return _join([_quoted(v, quote) for v in values], "and")


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def summary(rule: Rule, folder_name: Callable[[FolderRef], str]) -> str:
    """One line: "When subject contains 'invoice' → move to Billing questions".

    Args:
        rule: The rule.
        folder_name: The display name of a folder ("" when unknown: "a folder" is said instead).
    """
    conditions = rule.conditions.phrases()
    head = f"When {_join(conditions, 'and')}" if conditions else "Every message"
    exceptions = rule.exceptions.phrases()
    if exceptions:
        head += f", unless {_join(exceptions, 'or')}"
    actions = rule.actions.phrases(folder_name)
    tail = ", ".join(actions) if actions else "do nothing"
    return f"{head} → {tail}"


# -- validation -------------------------------------------------------------------------------------------------
def validate(rule: Rule, folder_exists: Callable[[FolderRef], bool]) -> list[str]:
    """What keeps the rule from being saved, in plain words ([] when it can be saved).

    Args:
        rule: The rule as edited.
        folder_exists: Whether a target folder is (still) in the mailbox.
    """
    problems: list[str] = []
    if not rule.name.strip():
        problems.append("Give the rule a name.")
    if rule.actions.is_empty():
        problems.append("A rule needs at least one action, for example “Move to folder” or “Mark as read”.")
    for what, ref in (("move", rule.actions.move_to), ("copy", rule.actions.copy_to)):
        if ref is not None and not folder_exists(ref):
            problems.append(f"The folder to {what} messages to does not exist any more; choose another one.")
    if rule.actions.move_to is not None and rule.actions.delete:
        problems.append("A rule cannot both move and delete a message; choose one of them.")
    if rule.actions.move_to is not None and rule.actions.copy_to is not None \
            and rule.actions.move_to.key == rule.actions.copy_to.key:
        problems.append("Moving and copying to the same folder makes no sense; choose one of them.")
    for label, addresses in (("forward to", rule.actions.forward_to), ("redirect to", rule.actions.redirect_to),
                             ("“from”", rule.conditions.from_addresses), ("“sent to”", rule.conditions.sent_to),
                             ("“from” (exceptions)", rule.exceptions.from_addresses),
                             ("“sent to” (exceptions)", rule.exceptions.sent_to)):
        bad = [a for a in addresses if not _ADDRESS.match(a)]
        if bad:
            problems.append(f"“{bad[0]}” in {label} is not an e-mail address.")
    for predicates in (rule.conditions, rule.exceptions):
        if predicates.importance and predicates.importance not in IMPORTANCES:
            problems.append(f"Importance must be low, normal or high, not “{predicates.importance}”.")
    if rule.actions.mark_importance and rule.actions.mark_importance not in IMPORTANCES:
        problems.append(f"Importance must be low, normal or high, not “{rule.actions.mark_importance}”.")
    return problems


def warnings(rule: Rule) -> list[str]:
    """Things worth a second look that do not block saving."""
    out: list[str] = []
    if rule.conditions.is_empty():
        out.append("This rule has no conditions: it acts on every message that arrives.")
    if rule.actions.delete and rule.conditions.is_empty():
        out.append("Every message that arrives would be deleted.")
    if rule.conditions.other or rule.exceptions.other or rule.actions.other:
        out.append("This rule has parts Mailroom cannot edit; they are kept as they are.")
    return out


def split_values(text: str) -> tuple[str, ...]:
    """What the user typed into a list field ("invoice; bill" or one per line) as clean, unique values."""
    out: list[str] = []
    for part in re.split(r"[;\n]", text):
        value = part.strip()
        if value and value.casefold() not in {o.casefold() for o in out}:
            out.append(value)
    return tuple(out)


def copy_name(name: str, existing: Iterable[str]) -> str:
    """ "Invoices (copy)", then "Invoices (copy 2)"… — a name not in ``existing``."""
    taken = {e.casefold() for e in existing}
    base = re.sub(r" \(copy(?: \d+)?\)$", "", name)
    candidate = f"{base} (copy)"
    n = 2
    while candidate.casefold() in taken:
        candidate = f"{base} (copy {n})"
        n += 1
    return candidate


def moved(rules: list[Rule], rule_id: str, priority: int) -> list[Rule]:
    """The list after putting a rule at ``priority`` (the others renumbered from 1, as Exchange does)."""
    ordered = sorted(rules, key=lambda r: r.priority)
    target = next((r for r in ordered if r.id == rule_id), None)
    if target is None:
        return ordered
    ordered.remove(target)
    ordered.insert(max(0, min(priority - 1, len(ordered))), target)
    return [replace(r, priority=n) for n, r in enumerate(ordered, start=1)]


def manage_capability(display_name: str, *, own: bool, inbox: FolderRights | None, access: str = "") -> Capability:
    """Whether the user may change a mailbox's inbox rules, and why not.

    Rules are kept in the Inbox (as folder-associated items): changing them needs owner rights on it, which the
    mailbox's owner and Full Access holders have (Exchange asks for Full Access).

    Args:
        display_name: "Sales Team".
        own: The user's own mailbox.
        inbox: The user's rights on the mailbox's Inbox (None: not visible).
        access: What the user has instead, for the reason.
    """
    if own or (inbox is not None and inbox.owns_folder):
        return Capability(True)
    having = f" You have {access}." if access else ""
    return Capability(False, f"Managing the rules of {display_name} needs Full Access to the mailbox.{having}")


OUTLOOK_BLOB_WARNING = (
    "This mailbox also has rules that only Outlook runs (client-only rules, such as ones that play a sound or "
    "act on the computer). Exchange removes those when rules are saved from another program, as Microsoft "
    "documents. The server rules listed here are kept."
)
