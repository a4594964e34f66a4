""""Run this rule now": a rule's actions on the messages already in a folder, done by the client.

Exchange runs inbox rules only on delivery. To apply one to what is already there, the client:

1. finds the candidates with **one FindItem restriction** built from the conditions the server can filter on
   (subject/body words, From, attachments, importance, labels);
2. when the rule also looks at recipients ("sent to", "sent only to me") or has exceptions, reads those messages'
   recipients (and body, when an exception needs it) with GetItem, 100 per request, and checks the rule with
   :func:`app.domain.rules.applies_to`;
3. acts on the matches in chunks of :data:`CHUNK`: labels, read state and importance first, then copy, then
   move or delete (each chunk one request per action), reporting ``progress(done, total)`` after each chunk.

Forwarding and redirecting are not repeated for old messages (that would mail people again); the result says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from exchangelib.fields import FieldPath
from exchangelib.items import AUTO_RESOLVE, ID_ONLY, SAVE_ONLY, SEND_TO_NONE, SHALLOW, Message
from exchangelib.properties import ItemId
from exchangelib.restriction import Q, Restriction
from exchangelib.services import FindItem, UpdateItem

from app.domain.errors import Cancelled
from app.domain.folders import FolderRef
from app.domain.rules import MessageFacts, Predicates, Rule, applies_to
from app.ews import actions
from app.ews.addressing import (
    WholeBodyParsing,
    WholeGetItem,
    folder_id,
    folder_object,
    place,
    raise_first_error,
    run,
)
from app.ews.client import EwsClient
from app.ews.labels import update_categories

CHUNK = 50
PAGE = 1000
_T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
_FIND_FIELDS = ("subject", "author", "categories", "importance", "has_attachments", "is_read")


@dataclass
class RunResult:
    """What running a rule on a folder did.

    Attributes:
        examined: Messages the server's filter returned.
        matched: Messages the rule applies to.
        acted: Messages acted on (less than ``matched`` when some were gone meanwhile).
        skipped: Actions not repeated for old messages, in words ("forward to …").
    """

    examined: int = 0
    matched: int = 0
    acted: int = 0
    skipped: list[str] = field(default_factory=list)


def _any_of(parts: list[Q]) -> Q:
    out = parts[0]
    for part in parts[1:]:
        out |= part
    return out


def server_filter(conditions: Predicates) -> Q | None:
    """The part of the conditions FindItem can check (None: every message is a candidate)."""
    parts: list[Q] = []
    if conditions.subject_contains:
        parts.append(_any_of([Q(subject__icontains=w) for w in conditions.subject_contains]))
    if conditions.body_contains:
        parts.append(_any_of([Q(body__icontains=w) for w in conditions.body_contains]))
    if conditions.subject_or_body_contains:
        parts.append(_any_of([Q(subject__icontains=w) | Q(body__icontains=w)
                              for w in conditions.subject_or_body_contains]))
    if conditions.from_addresses:
        parts.append(_any_of([Q(author__icontains=a) for a in conditions.from_addresses]))
    if conditions.has_attachments:
        parts.append(Q(has_attachments=True))
    if conditions.importance:
        parts.append(Q(importance=conditions.importance))
    if conditions.categories:
        parts.append(_any_of([Q(categories__contains=[c]) for c in conditions.categories]))
    if not parts:
        return None
    q = parts[0]
    for part in parts[1:]:
        q &= part
    return q


class _FindCandidates(WholeBodyParsing, FindItem):
    def page(self, folder: FolderRef, q: Q | None, offset: int) -> tuple[list[tuple[str, MessageFacts]], bool]:
        fid = folder_id(folder)
        restriction = Restriction(q, folders=[folder_object(self.account, fid)], applies_to=Restriction.ITEMS) \
            if q is not None else None
        payload = self.get_payload(
            folders=[fid], additional_fields={FieldPath(field=Message.get_field_by_fieldname(n)) for n in _FIND_FIELDS},
            restriction=restriction, order_fields=None, query_string=None, shape=ID_ONLY, depth=SHALLOW,
            calendar_view=None, page_size=PAGE, offset=offset,
        )
        rows: list[tuple[str, MessageFacts]] = []
        more = False
        for root, next_offset in self._get_elements(payload=payload):
            if isinstance(root, Exception):
                raise root
            if root is None:
                continue
            for elem in self._get_elems_from_page(root, max_items=None, total_item_count=0):
                row = _facts_from_xml(elem)
                if row is not None:
                    rows.append(row)
            more = next_offset is not None and bool(rows)
        return rows, more


def _facts_from_xml(elem) -> tuple[str, MessageFacts] | None:
    item_id = elem.find(f"{_T}ItemId")
    if item_id is None or not item_id.get("Id"):
        return None
    cats = elem.find(f"{_T}Categories")
    sender = elem.findtext(f"{_T}From/{_T}Mailbox/{_T}EmailAddress") or ""
    return item_id.get("Id") or "", MessageFacts(
        sender=sender.strip(), subject=elem.findtext(f"{_T}Subject") or "",
        has_attachments=(elem.findtext(f"{_T}HasAttachments") or "").strip().lower() in ("true", "1"),
        importance=elem.findtext(f"{_T}Importance") or "Normal",
        categories=tuple((s.text or "") for s in cats.iterfind(f"{_T}String")) if cats is not None else (),
    )


def _needs_details(rule: Rule) -> tuple[bool, bool]:
    """(fetch recipients, fetch body) for the checks FindItem could not do."""
    c, e = rule.conditions, rule.exceptions
    recipients = bool(c.sent_to or c.sent_only_to_me or e.sent_to or e.sent_only_to_me)
    # The conditions on the body were checked by the server, but applies_to checks them again: fetch it then too.
    body = bool(c.body_contains or c.subject_or_body_contains or e.body_contains or e.subject_or_body_contains)
    return recipients or body, body


def _with_details(client: EwsClient, mailbox: str, rows: list[tuple[str, MessageFacts]], body: bool,
                  cancelled: Callable[[], bool]) -> list[tuple[str, MessageFacts]]:
    account = client.account(mailbox)
    names = ["to_recipients", "cc_recipients", *(("text_body",) if body else ())]
    fields = {FieldPath(field=Message.get_field_by_fieldname(n)) for n in names}
    out: list[tuple[str, MessageFacts]] = []
    for start in range(0, len(rows), 100):
        if cancelled():
            raise Cancelled("Cancelled.")
        chunk = rows[start:start + 100]

        def work(chunk: list = chunk) -> list[object]:
            return list(WholeGetItem(account=account).call(items=[ItemId(id=i) for i, _ in chunk],
                                                           additional_fields=fields, shape=ID_ONLY))

        items = run(client, mailbox, work, denied=f"You have no right to read messages in {mailbox}.",
                    cancelled=cancelled)
        for (item_id, facts), item in zip(chunk, items, strict=True):
            if isinstance(item, Exception) or item is None:
                continue  # gone meanwhile
            to = tuple(m.email_address for m in getattr(item, "to_recipients", None) or () if m.email_address)
            cc = tuple(m.email_address for m in getattr(item, "cc_recipients", None) or () if m.email_address)
            text = str(getattr(item, "text_body", "") or "") if body else ""
            out.append((item_id, MessageFacts(facts.sender, to, cc, facts.subject, text, facts.has_attachments,
                                              facts.importance, facts.categories)))
    return out


def candidates(client: EwsClient, folder: FolderRef, rule: Rule, cancelled: Callable[[], bool]
               ) -> tuple[int, list[tuple[str, MessageFacts]]]:
    """(messages the server filter returned, those the rule applies to) in ``folder``."""
    account = client.account(folder.mailbox)
    q = server_filter(rule.conditions)
    rows: list[tuple[str, MessageFacts]] = []
    offset, more = 0, True
    while more:
        if cancelled():
            raise Cancelled("Cancelled.")

        def work(offset: int = offset) -> tuple[list[tuple[str, MessageFacts]], bool]:
            return _FindCandidates(account=account, page_size=PAGE).page(folder, q, offset)

        page, more = run(client, folder.mailbox, work, denied=f"You have no right to read {place(folder)}.",
                         cancelled=cancelled)
        rows.extend(page)
        offset += len(page)
    details, body = _needs_details(rule)
    checked = _with_details(client, folder.mailbox, rows, body, cancelled) if details else rows
    return len(rows), [(i, f) for i, f in checked if applies_to(rule, f, folder.mailbox)]


def _set_fields(client: EwsClient, mailbox: str, ids: Sequence[str], **values: object) -> None:
    account = client.account(mailbox)
    changes = [(Message(account=account, id=i, **values), list(values)) for i in ids]
    run(client, mailbox, lambda: raise_first_error(UpdateItem(account=account).call(
        items=changes, conflict_resolution=AUTO_RESOLVE, message_disposition=SAVE_ONLY,
        send_meeting_invitations_or_cancellations=SEND_TO_NONE, suppress_read_receipts=True)),
        denied=f"You may not change messages in {mailbox}.")


def run_rule(client: EwsClient, folder: FolderRef, rule: Rule, progress: Callable[[int, int], None],
             cancelled: Callable[[], bool]) -> RunResult:
    """Apply ``rule`` to the messages in ``folder`` now (see the module docstring).

    Raises:
        AccessDenied: The user may not read the folder or change/move its messages.
        Cancelled: ``cancelled()`` became true between two chunks (what was done stays done).
    """
    a = rule.actions
    result = RunResult()
    if a.forward_to:
        result.skipped.append("forwarding")
    if a.redirect_to:
        result.skipped.append("redirecting")
    result.examined, matched = candidates(client, folder, rule, cancelled)
    result.matched = len(matched)
    progress(0, result.matched)
    never: Callable[[int, int], None] = lambda _d, _t: None  # noqa: E731 - progress is per chunk here
    mailbox = folder.mailbox
    for start in range(0, len(matched), CHUNK):
        if cancelled():
            raise Cancelled(f"Stopped after {start} of {result.matched} messages.")
        chunk = matched[start:start + CHUNK]
        ids = [i for i, _ in chunk]
        if a.assign_labels:
            changes = []
            for item_id, facts in chunk:
                have = list(facts.categories)
                wanted = have + [c for c in a.assign_labels if c.casefold() not in {h.casefold() for h in have}]
                if wanted != have:
                    changes.append((item_id, wanted))
            update_categories(client, mailbox, changes, never, lambda: False)
        if a.mark_as_read:
            _set_fields(client, mailbox, ids, is_read=True)
        if a.mark_importance:
            _set_fields(client, mailbox, ids, importance=a.mark_importance)
        if a.copy_to is not None:
            actions.move(client, folder, ids, a.copy_to, True, never, lambda: False)
        if a.move_to is not None:
            result.acted += actions.move(client, folder, ids, a.move_to, False, never, lambda: False)
        elif a.delete:
            result.acted += actions.delete(client, mailbox, ids, False, never, lambda: False)
        else:
            result.acted += len(ids)
        progress(min(start + CHUNK, result.matched), result.matched)
    return result
