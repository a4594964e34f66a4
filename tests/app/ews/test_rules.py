"""app.domain.rules and app.ews.rules / app.ews.rule_run against the emulator over HTTP.

What the server stored is checked with plain exchangelib (tests.support.emulator.account), independently of the
code under test. Tests that change data run on a private copy of the demo tenant.
"""

from __future__ import annotations

from typing import Any

import pytest
from lxml import etree

from app.domain.errors import AccessDenied, ServerError
from app.domain.folders import FolderRef
from app.domain.rights import FolderRights
from app.domain.rules import (
    MessageFacts,
    Predicates,
    Rule,
    RuleActions,
    applies_to,
    copy_name,
    manage_capability,
    moved,
    split_values,
    summary,
    validate,
    warnings,
)
from app.ews import rule_run, rules
from app.ews.folders import list_folders
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.emulator import account, stored_rules

SUPPORT = "support@example.com"
OWN = "alice@example.com"
DEMO = ["Invoices to Billing questions", "Flag URGENT as Urgent"]
BILLING = FolderRef(SUPPORT, folder_id="billing-id")


# -- domain ----------------------------------------------------------------------------------------------------
def _names(ref: FolderRef) -> str:
    return {"billing-id": "Billing questions", "done-id": "Done"}.get(ref.folder_id, "")


def test_summary_reads_like_a_sentence() -> None:
    rule = Rule(name="Invoices", conditions=Predicates(subject_contains=("invoice",)),
                actions=RuleActions(move_to=BILLING))
    assert summary(rule, _names) == "When subject contains 'invoice' → move to Billing questions"
    busy = Rule(conditions=Predicates(from_addresses=("a@x.com", "b@x.com"), has_attachments=True, importance="High"),
                exceptions=Predicates(subject_contains=("newsletter",), categories=("Spam",)),
                actions=RuleActions(assign_labels=("Urgent", "Billing"), mark_as_read=True, stop_processing=True,
                                    forward_to=("boss@x.com",)))
    assert summary(busy, _names) == (
        "When from a@x.com or b@x.com, it has attachments and importance is high, unless subject contains "
        "'newsletter' or labelled 'Spam' → label 'Urgent' and 'Billing', mark as read, forward to boss@x.com, "
        "stop processing more rules")
    assert summary(Rule(actions=RuleActions(delete=True)), _names) == "Every message → delete"


def test_validation_in_plain_words() -> None:
    exists = lambda ref: ref.folder_id == "billing-id"  # noqa: E731
    assert validate(Rule(name="x", actions=RuleActions(move_to=BILLING)), exists) == []
    assert validate(Rule(name=" "), exists) == [
        "Give the rule a name.",
        "A rule needs at least one action, for example “Move to folder” or “Mark as read”."]
    gone = Rule(name="x", actions=RuleActions(move_to=FolderRef(SUPPORT, folder_id="gone"), delete=True,
                                              forward_to=("not an address",)))
    assert validate(gone, exists) == [
        "The folder to move messages to does not exist any more; choose another one.",
        "A rule cannot both move and delete a message; choose one of them.",
        "“not an address” in forward to is not an e-mail address."]
    assert warnings(Rule(name="x", actions=RuleActions(delete=True))) == [
        "This rule has no conditions: it acts on every message that arrives.",
        "Every message that arrives would be deleted."]


def test_rule_evaluation_helpers() -> None:
    rule = Rule(conditions=Predicates(subject_contains=("invoice",), sent_only_to_me=True),
                exceptions=Predicates(from_addresses=("boss@x.com",)))
    facts = MessageFacts(sender="cust@y.com", to=(SUPPORT,), subject="Your INVOICE 12")
    assert applies_to(rule, facts, SUPPORT)
    assert not applies_to(rule, MessageFacts(sender="boss@x.com", to=(SUPPORT,), subject="invoice"), SUPPORT)
    assert not applies_to(rule, MessageFacts(to=(SUPPORT, "b@x.com"), subject="invoice"), SUPPORT)
    assert split_values("invoice; bill\nInvoice;  ") == ("invoice", "bill")
    assert copy_name("Invoices", ["Invoices (copy)"]) == "Invoices (copy 2)"
    assert copy_name("Invoices (copy)", []) == "Invoices (copy)"
    three = [Rule(id=str(n), priority=n) for n in (1, 2, 3)]
    assert [(r.id, r.priority) for r in moved(three, "3", 1)] == [("3", 1), ("1", 2), ("2", 3)]
    reviewer = FolderRights(read=True)
    assert not manage_capability("Sales Team", own=False, inbox=reviewer)
    assert "needs Full Access" in manage_capability("Sales Team", own=False, inbox=reviewer).reason
    assert not manage_capability("Human Resources", own=False, inbox=None)
    owner = FolderRights(read=True, create_contents=True, create_hierarchy=True, modify=True, delete=True,
                         create_associated=True)
    assert manage_capability("Customer Support", own=False, inbox=owner)  # no ViewPrivateItems needed


# -- against the emulator --------------------------------------------------------------------------------------
def _folder(client: Any, mailbox: str, name: str) -> FolderRef:
    return next(n.ref for n in list_folders(client, mailbox).folders if n.name == name)


def test_reading_rules_names_the_mailbox(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        found = rules.get_rules(alice, SUPPORT)
    assert ews == {"GetInboxRules": 1}
    assert [r.name for r in found.rules] == DEMO and not found.outlook_blob
    names = {n.ref.key: n.name for n in list_folders(alice, SUPPORT).folders}
    assert [summary(r, lambda ref: names.get(ref.key, "")) for r in found.rules] == [
        "When subject contains 'invoice' → move to Billing questions",
        "When subject contains 'URGENT' → label 'Urgent'"]
    with pytest.raises(AccessDenied, match="Managing the rules of sales@example.com needs Full Access"):
        rules.get_rules(alice, "sales@example.com")


def test_update_requests_put_the_mailbox_first() -> None:
    """The WORKAROUND itself: UpdateInboxRules carries m:MailboxSmtpAddress first, then the flag, then Operations."""
    from exchangelib import DELEGATE, Account, Build, Configuration, Credentials, Version

    config = Configuration(service_endpoint="http://127.0.0.1:9/EWS/Exchange.asmx", credentials=Credentials("a", "b"),
                           version=Version(build=Build(15, 2, 2562, 17)))
    shared = Account(SUPPORT, config=config, autodiscover=False, access_type=DELEGATE)
    rule = rules.to_ews(Rule(name="x", actions=RuleActions(mark_as_read=True)), SUPPORT)
    payload = rules._CreateRule(account=shared).get_payload(rule=rule, remove_outlook_rule_blob=False)
    assert [etree.QName(c).localname for c in payload] == ["MailboxSmtpAddress", "RemoveOutlookRuleBlob", "Operations"]
    assert payload[0].text == SUPPORT


def test_editing_a_shared_mailboxs_rules_leaves_the_users_own_alone(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    own_rule = Rule(name="My own", conditions=Predicates(subject_contains=("lunch",)),
                    actions=RuleActions(mark_as_read=True))
    assert [r.name for r in rules.save_rule(alice, OWN, own_rule).rules] == ["My own"]
    own_before = stored_rules(fresh_emulator, "alice")
    done = _folder(alice, SUPPORT, "Done")
    created = rules.save_rule(alice, SUPPORT, Rule(name="Newsletters", priority=1,
                                                   conditions=Predicates(subject_contains=("newsletter",)),
                                                   actions=RuleActions(move_to=done, mark_as_read=True)))
    assert [r.name for r in created.rules] == ["Newsletters", *DEMO]
    new = created.rules[0]
    assert new.actions.move_to == done and new.conditions.subject_contains == ("newsletter",)
    changed = rules.save_rule(alice, SUPPORT, Rule(**{**new.__dict__, "name": "Newsletters (read)"}))
    assert changed.rules[0].name == "Newsletters (read)"
    after_move = rules.move_rule(alice, SUPPORT, new.id, 3)
    assert [r.name for r in after_move.rules] == [*DEMO, "Newsletters (read)"]
    off = rules.set_enabled(alice, SUPPORT, new.id, False)
    assert [r.enabled for r in off.rules] == [True, True, False]
    twin = rules.duplicate_rule(alice, SUPPORT, off.rules[0].id)
    assert [r.name for r in twin.rules] == [DEMO[0], "Invoices to Billing questions (copy)", DEMO[1],
                                            "Newsletters (read)"]
    left = rules.delete_rule(alice, SUPPORT, twin.rules[1].id)
    assert [r.name for r in left.rules] == [*DEMO, "Newsletters (read)"]
    server = account(fresh_emulator, "alice", SUPPORT).rules
    assert [(r.display_name, r.priority, r.is_enabled) for r in server] == [
        (DEMO[0], 1, True), (DEMO[1], 2, True), ("Newsletters (read)", 3, False)]
    assert server[2].actions.move_to_folder.folder_id.id == done.folder_id
    # the proof: alice's own rules are byte for byte the same
    assert stored_rules(fresh_emulator, "alice") == own_before
    assert [r.display_name for r in account(fresh_emulator, "alice").rules] == ["My own"]


def test_parts_mailroom_does_not_edit_survive_an_edit_and_a_duplicate(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    original = account(fresh_emulator, "alice", SUPPORT).rules[1]
    original.conditions.contains_header_strings = ["X-Customer-Tier: gold"]
    rules._SetRule(account=account(fresh_emulator, "alice", SUPPORT)).get(rule=original)
    found = rules.get_rules(alice, SUPPORT).rules[1]
    assert found.conditions.other == ("the header contains certain words",)
    assert "the header contains certain words" in summary(found, lambda _r: "")
    rules.save_rule(alice, SUPPORT, Rule(**{**found.__dict__, "name": "Urgent, sized"}))
    rules.duplicate_rule(alice, SUPPORT, found.id)
    server = account(fresh_emulator, "alice", SUPPORT).rules
    assert [r.display_name for r in server] == [DEMO[0], "Urgent, sized", "Urgent, sized (copy)"]
    for rule in server[1:]:
        assert rule.conditions.contains_header_strings == ["X-Customer-Tier: gold"]
        assert rule.actions.assign_categories == ["Urgent"]


def test_server_refusals_in_plain_words(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    elsewhere = _folder(alice, OWN, "Inbox")  # a folder of another mailbox: Exchange says it does not exist
    bad = Rule(name="Wrong target", actions=RuleActions(move_to=FolderRef(SUPPORT, folder_id=elsewhere.folder_id)))
    with pytest.raises(ServerError, match="the folder it moves or copies to does not exist"):
        rules.save_rule(alice, SUPPORT, bad)
    assert [r.name for r in rules.get_rules(alice, SUPPORT).rules] == DEMO


def test_outlook_rule_blob_is_reported_and_kept_unless_the_user_agrees(fresh_emulator) -> None:
    store = fresh_emulator.backend.store
    with store.db.tx() as con:
        con.execute("INSERT INTO mailbox_settings(mailbox_id, key, value) VALUES (?, 'outlook_rule_blob', ?)",
                    (store.directory.by_smtp(SUPPORT).id, b"1"))
    alice = signed_in(fresh_emulator, "alice").client
    found = rules.get_rules(alice, SUPPORT)
    assert found.outlook_blob
    rule = Rule(name="Late", priority=3, actions=RuleActions(mark_as_read=True))
    with pytest.raises(ServerError, match="client-only Outlook rules"):
        rules.save_rule(alice, SUPPORT, rule, remove_outlook_blob=False)
    assert rules.get_rules(alice, SUPPORT).outlook_blob
    saved = rules.save_rule(alice, SUPPORT, rule, remove_outlook_blob=True)
    assert not saved.outlook_blob and [r.name for r in saved.rules] == [*DEMO, "Late"]


def test_run_a_rule_now_on_the_messages_already_there(fresh_emulator) -> None:
    from exchangelib import Message

    support = account(fresh_emulator, "alice", SUPPORT)
    for n in range(3):
        Message(account=support, folder=support.inbox, subject=f"Invoice {n} for March").save()
    Message(account=support, folder=support.inbox, subject="Invoice from the boss",
            author="boss@example.net").save()
    alice = signed_in(fresh_emulator, "alice").client
    inbox = _folder(alice, SUPPORT, "Inbox")
    billing = _folder(alice, SUPPORT, "Billing questions")
    rule = Rule(name="Invoices", conditions=Predicates(subject_contains=("invoice",)),
                exceptions=Predicates(subject_contains=("boss",)),
                actions=RuleActions(move_to=billing, assign_labels=("Billing",), forward_to=("x@example.com",)))
    steps: list[tuple[int, int]] = []
    result = rule_run.run_rule(alice, inbox, rule, lambda d, t: steps.append((d, t)), lambda: False)
    assert (result.examined, result.matched, result.acted, result.skipped) == (4, 3, 3, ["forwarding"])
    assert steps == [(0, 3), (3, 3)]
    filed = list((support.inbox / "Billing questions").filter(subject__contains="for March").only(
        "subject", "categories"))
    assert sorted(m.subject for m in filed) == ["Invoice 0 for March", "Invoice 1 for March", "Invoice 2 for March"]
    assert all(m.categories == ["Billing"] for m in filed)
    assert [m.subject for m in support.inbox.filter(subject__contains="Invoice")] == ["Invoice from the boss"]
