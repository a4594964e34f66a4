"""Inbox rules acting on delivery, over real HTTP with exchangelib (ews_emulator/rules_engine.py).

support@'s demo rules: 1 "Invoices to Billing questions" (subject contains "invoice" -> move), 2 "Flag URGENT
as Urgent" (subject contains "URGENT" -> category Urgent). alice and carol have Full Access to support@.
"""

from __future__ import annotations

from tests.support.emulator import account

LOOP_HEADER = "X-MS-Exchange-Inbox-Rules-Loop"


def _with_mailbox(service_cls):
    """A test-local exchangelib service sending ``m:MailboxSmtpAddress`` first (5.6.0 leaves it out)."""
    from exchangelib.util import add_xml_child

    class WithMailbox(service_cls):
        def get_payload(self, rule, remove_outlook_rule_blob=True):
            payload = super().get_payload(rule=rule, remove_outlook_rule_blob=remove_outlook_rule_blob)
            add_xml_child(payload, "m:MailboxSmtpAddress", self.account.primary_smtp_address)
            payload.insert(0, payload[-1])
            return payload

    return WithMailbox


def _create(acc, rule) -> None:
    from exchangelib.services.inbox_rules import CreateInboxRule

    _with_mailbox(CreateInboxRule)(account=acc).get(rule=rule)


def _set(acc, rule) -> None:
    from exchangelib.services.inbox_rules import SetInboxRule

    _with_mailbox(SetInboxRule)(account=acc).get(rule=rule)


def _rule(name: str, priority: int = 1, *, conditions=None, exceptions=None, enabled: bool = True, **actions):
    from exchangelib.properties import Actions, Rule

    return Rule(display_name=name, priority=priority, is_enabled=enabled, conditions=conditions,
                exceptions=exceptions, actions=Actions(**actions))


def _subject(*words: str):
    from exchangelib.properties import Conditions

    return Conditions(contains_subject_strings=list(words))


def _target(folder, cls):
    from exchangelib.properties import FolderId

    return cls(folder_id=FolderId(id=folder.id, changekey=folder.changekey))


def _send(emu, sender: str, to: str | list[str], subject: str, *, cc: tuple[str, ...] = (), attach: bool = False):
    from exchangelib import FileAttachment, Mailbox, Message

    acc = account(emu, sender)
    targets = [to] if isinstance(to, str) else to
    msg = Message(account=acc, folder=acc.sent, subject=subject, body="Hello from the tests",
                  to_recipients=[Mailbox(email_address=a) for a in targets],
                  cc_recipients=[Mailbox(email_address=a) for a in cc] or None)
    if attach:
        msg.attach(FileAttachment(name="invoice.pdf", content=b"%PDF-1.4 test"))
    msg.send()


def _found(folder, subject: str) -> list:
    return list(folder.filter(subject=subject))


def _one(folder, subject: str):
    items = _found(folder, subject)
    assert len(items) == 1, f"expected one {subject!r} in {folder.name}, got {len(items)}"
    return items[0]


def _addr(mailbox) -> str | None:
    return mailbox.email_address.lower() if mailbox is not None else None


# The demo rules --------------------------------------------------------------------------------
def test_demo_rules_file_invoices_and_tag_urgent_mail(fresh_emulator) -> None:
    from exchangelib.services import SubscribeToPull

    support = account(fresh_emulator, "alice", "support")
    billing = support.inbox / "Billing questions"
    sid, watermark = SubscribeToPull(account=support).get(
        folders=[support.inbox, billing], event_types=["CreatedEvent", "MovedEvent", "NewMailEvent"], watermark=None, timeout=5)
    _send(fresh_emulator, "bob", "support@example.com", "Invoice 4711")
    _send(fresh_emulator, "bob", "support@example.com", "URGENT printer on fire")
    _send(fresh_emulator, "bob", "support@example.com", "A plain question")

    invoice = _one(billing, "Invoice 4711")
    assert _found(support.inbox, "Invoice 4711") == []
    assert (invoice.is_read, invoice.categories, _addr(invoice.author)) == (False, None, "bob@example.com")
    urgent = _one(support.inbox, "URGENT printer on fire")
    assert urgent.categories == ["Urgent"]
    plain = _one(support.inbox, "A plain question")
    assert plain.categories is None and not plain.is_read
    # The filed message arrives in its folder: Created + NewMail there, nothing in the Inbox, no move.
    events = [e for e in next(support.inbox.get_events(sid, watermark)).events if type(e).__name__ != "StatusEvent"]
    mine = [(type(e).__name__, e.parent_folder_id.id) for e in events if e.item_id.id == invoice.id]
    assert mine == [("CreatedEvent", billing.id), ("NewMailEvent", billing.id)]
    assert "MovedEvent" not in {type(e).__name__ for e in events}
    assert [type(e).__name__ for e in events].count("NewMailEvent") == 3


def test_both_demo_rules_act_on_an_urgent_invoice_and_items_saved_directly_are_left_alone(fresh_emulator) -> None:
    from exchangelib import Message

    support = account(fresh_emulator, "alice", "support")
    _send(fresh_emulator, "carol", "support@example.com", "urgent: invoice overdue")
    filed = _one(support.inbox / "Billing questions", "urgent: invoice overdue")
    assert filed.categories == ["Urgent"]  # rule 1 does not stop processing, rule 2 still runs
    # Rules act on transport delivery only; an item created in the Inbox through EWS stays put, untagged.
    Message(account=support, folder=support.inbox, subject="Invoice typed in by hand").save()
    assert _one(support.inbox, "Invoice typed in by hand").categories is None


# Rules written through UpdateInboxRules with MailboxSmtpAddress ------------------------------------
def test_rule_created_for_the_shared_mailbox_moves_the_next_message(fresh_emulator) -> None:
    from exchangelib.properties import MoveToFolder

    support = account(fresh_emulator, "alice", "support")
    done = support.inbox / "Done"
    _send(fresh_emulator, "bob", "support@example.com", "Newsletter 1")  # before the rule: stays in the Inbox
    _create(support, _rule("Newsletters to Done", conditions=_subject("newsletter"),
                           move_to_folder=_target(done, MoveToFolder)))
    _send(fresh_emulator, "bob", "support@example.com", "Newsletter 2")
    assert _one(done, "Newsletter 2").subject == "Newsletter 2"
    assert _found(support.inbox, "Newsletter 2") == []
    assert _one(support.inbox, "Newsletter 1").subject == "Newsletter 1"
    # alice's own mailbox has no rules: the same mail to her stays in her Inbox.
    _send(fresh_emulator, "bob", "alice@example.com", "Newsletter 3")
    assert _one(account(fresh_emulator, "alice").inbox, "Newsletter 3").subject == "Newsletter 3"


def test_disabled_rule_does_not_act(fresh_emulator) -> None:
    support = account(fresh_emulator, "alice", "support")
    invoices = support.rules[0]
    invoices.is_enabled = False
    _set(support, invoices)
    _send(fresh_emulator, "bob", "support@example.com", "Invoice 4712")
    assert _one(support.inbox, "Invoice 4712").subject == "Invoice 4712"
    assert _found(support.inbox / "Billing questions", "Invoice 4712") == []
    invoices.is_enabled = True
    _set(support, invoices)
    _send(fresh_emulator, "bob", "support@example.com", "Invoice 4713")
    assert _one(support.inbox / "Billing questions", "Invoice 4713").subject == "Invoice 4713"


def test_stop_processing_rules_ends_the_run(fresh_emulator) -> None:
    support = account(fresh_emulator, "alice", "support")
    _create(support, _rule("Read URGENT and stop", conditions=_subject("urgent"), mark_as_read=True,
                           stop_processing_rules=True))
    _create(support, _rule("Read URGENT, go on", priority=2, conditions=_subject("please"), mark_as_read=True))
    _send(fresh_emulator, "bob", "support@example.com", "URGENT server down")
    stopped = _one(support.inbox, "URGENT server down")
    assert stopped.is_read and stopped.categories is None  # the demo "Urgent" rule (now 4th) never ran
    _send(fresh_emulator, "bob", "support@example.com", "Please help")
    going_on = _one(support.inbox, "Please help")
    assert going_on.is_read and going_on.categories is None


def test_exceptions_cancel_a_matching_rule(fresh_emulator) -> None:
    from exchangelib.properties import Address, Exceptions

    support = account(fresh_emulator, "alice", "support")
    invoices = support.rules[0]
    invoices.exceptions = Exceptions(from_addresses=[Address(email_address="carol@example.com")],
                                     contains_body_strings=["DO NOT FILE"])
    _set(support, invoices)
    billing = support.inbox / "Billing questions"
    _send(fresh_emulator, "carol", "support@example.com", "Invoice from carol")
    _send(fresh_emulator, "bob", "support@example.com", "Invoice from bob")
    assert _one(support.inbox, "Invoice from carol").subject == "Invoice from carol"
    assert _one(billing, "Invoice from bob").subject == "Invoice from bob"


def test_conditions_on_recipients_attachments_and_importance(fresh_emulator) -> None:
    from exchangelib.properties import Conditions

    support = account(fresh_emulator, "alice", "support")
    _create(support, _rule("Only to me", conditions=Conditions(sent_only_to_me=True), assign_categories=["Bug"]))
    _create(support, _rule("Cc me", priority=2, conditions=Conditions(sent_cc_me=True),
                           assign_categories=["Waiting on customer"]))
    _create(support, _rule("Attachments", priority=3, conditions=Conditions(has_attachments=True,
                                                                            contains_sender_strings=["BOB"]),
                           mark_importance="High"))
    _send(fresh_emulator, "bob", "support@example.com", "Just us")
    _send(fresh_emulator, "bob", ["alice@example.com"], "Copy for support", cc=("support@example.com",))
    _send(fresh_emulator, "bob", ["support@example.com", "carol@example.com"], "With a file", attach=True)
    just_us = _one(support.inbox, "Just us")
    assert (just_us.categories, just_us.importance) == (["Bug"], "Normal")
    assert _one(support.inbox, "Copy for support").categories == ["Waiting on customer"]
    with_file = _one(support.inbox, "With a file")
    assert (with_file.categories, with_file.importance) == (None, "High")


# Actions ---------------------------------------------------------------------------------------
def test_mark_read_assign_categories_and_importance(fresh_emulator) -> None:
    support = account(fresh_emulator, "alice", "support")
    _create(support, _rule("Billing chatter", conditions=_subject("receipt"), mark_as_read=True,
                           assign_categories=["Billing", "Waiting on customer"], mark_importance="Low"))
    _send(fresh_emulator, "bob", "support@example.com", "Your receipt, URGENT")
    got = _one(support.inbox, "Your receipt, URGENT")
    assert got.is_read is True and got.importance == "Low"
    assert got.categories == ["Billing", "Waiting on customer", "Urgent"]  # rules add, in priority order


def test_copy_delete_and_permanent_delete(fresh_emulator) -> None:
    from exchangelib.properties import CopyToFolder, MoveToFolder

    support = account(fresh_emulator, "alice", "support")
    bugs, done = support.inbox / "Bugs", support.inbox / "Done"
    _create(support, _rule("Copy crashes", conditions=_subject("crash"), copy_to_folder=_target(bugs, CopyToFolder),
                           assign_categories=["Bug"]))
    _create(support, _rule("Spam away", priority=2, conditions=_subject("lottery"), delete=True))
    _create(support, _rule("Gone for good", priority=3, conditions=_subject("unsubscribe"), permanent_delete=True))
    _create(support, _rule("Also Done", priority=4, conditions=_subject("crash report"),
                           move_to_folder=_target(done, MoveToFolder)))
    _send(fresh_emulator, "bob", "support@example.com", "App crash")
    _send(fresh_emulator, "bob", "support@example.com", "App crash report")
    _send(fresh_emulator, "bob", "support@example.com", "You won the lottery")
    _send(fresh_emulator, "bob", "support@example.com", "Please unsubscribe me")

    assert _one(support.inbox, "App crash").categories == ["Bug"]
    assert _one(bugs, "App crash").categories == ["Bug"]
    # Copied by rule 1, moved by rule 4: one copy in each folder, none left in the Inbox.
    assert _one(bugs, "App crash report").categories == ["Bug"]
    assert _one(done, "App crash report").categories == ["Bug"]
    assert _found(support.inbox, "App crash report") == []
    assert _one(support.trash, "You won the lottery").subject == "You won the lottery"
    assert _found(support.inbox, "You won the lottery") == []
    for folder in (support.inbox, support.trash, bugs, done):
        assert _found(folder, "Please unsubscribe me") == []


def test_forward_and_redirect_deliver_copies_without_loops(fresh_emulator) -> None:
    from exchangelib.properties import Address, Conditions

    support = account(fresh_emulator, "alice", "support")
    carol, dave = account(fresh_emulator, "carol"), account(fresh_emulator, "dave")
    _create(support, _rule("Escalate to carol", conditions=_subject("escalate"),
                           forward_to_recipients=[Address(email_address="carol@example.com")]))
    _create(support, _rule("Hand over to dave", priority=2, conditions=_subject("handover"),
                           redirect_to_recipients=[Address(email_address="dave@example.com")]))
    # carol's own rule sends escalations straight back to support@ and tags them; her own rules, so
    # exchangelib's plain create_rule is right here.
    carol.create_rule(_rule("Back to support", conditions=Conditions(contains_subject_strings=["escalate"]),
                            forward_to_recipients=[Address(email_address="support@example.com")],
                            assign_categories=["Escalated"]))

    _send(fresh_emulator, "bob", "support@example.com", "Please escalate")
    original = _one(support.inbox, "Please escalate")
    forwarded = _one(carol.inbox, "FW: Please escalate")
    assert _addr(forwarded.author) == _addr(forwarded.sender) == "support@example.com"
    assert [_addr(r) for r in forwarded.to_recipients] == ["carol@example.com"]
    assert "Hello from the tests" in forwarded.body and "From:" in forwarded.body
    assert forwarded.categories == ["Escalated"]  # carol's rule ran on it...
    assert [(h.name, h.value) for h in forwarded.headers or []] == [(LOOP_HEADER, "support@example.com")]
    # ...but did not send the rule-generated copy on: no "FW: FW:" anywhere, no second copy at carol's.
    assert [i.subject for i in support.inbox.filter(subject__contains="escalate")] == [original.subject]
    assert _found(carol.inbox, "FW: FW: Please escalate") == []
    assert _found(account(fresh_emulator, "carol").sent, "FW: Please escalate") == []

    _send(fresh_emulator, "bob", "support@example.com", "handover of ticket 12")
    redirected = _one(dave.inbox, "handover of ticket 12")
    assert _addr(redirected.author) == "bob@example.com"  # a redirect keeps the original sender...
    assert [_addr(r) for r in redirected.to_recipients] == ["support@example.com"]  # ...and recipients
    assert _one(support.inbox, "handover of ticket 12").subject == "handover of ticket 12"


def test_forward_to_an_outside_address_goes_to_the_outbox(fresh_emulator) -> None:
    import json

    from exchangelib.properties import Address

    support = account(fresh_emulator, "alice", "support")
    _create(support, _rule("To the contractor", conditions=_subject("contract"),
                           forward_as_attachment_to_recipients=[Address(email_address="pat@contoso.com")]))
    _send(fresh_emulator, "bob", "support@example.com", "New contract")
    con = fresh_emulator.backend.store.db.connection()
    rows = con.execute("SELECT sender, recipients, subject FROM outbox WHERE subject = 'FW: New contract'").fetchall()
    assert [(r[0], json.loads(r[1])) for r in rows] == [("support@example.com", ["pat@contoso.com"])]


def test_rule_whose_folder_was_deleted_is_skipped_and_flagged(fresh_emulator) -> None:
    from exchangelib import Folder
    from exchangelib.properties import MoveToFolder

    support = account(fresh_emulator, "alice", "support")
    temp = Folder(parent=support.inbox, name="Temporary")
    temp.save()
    _create(support, _rule("Reports to Temporary", conditions=_subject("report"),
                           move_to_folder=_target(temp, MoveToFolder), assign_categories=["Billing"]))
    _send(fresh_emulator, "bob", "support@example.com", "Weekly report 1")
    assert _one(temp, "Weekly report 1").categories == ["Billing"]
    assert not support.rules[0].is_in_error

    temp.delete()
    _send(fresh_emulator, "bob", "support@example.com", "URGENT weekly report 2")
    got = _one(support.inbox, "URGENT weekly report 2")
    assert got.categories == ["Urgent"]  # the broken rule did nothing at all; the others still ran
    rules = support.rules
    assert [(r.display_name, r.is_in_error) for r in rules] == [
        ("Reports to Temporary", True), ("Invoices to Billing questions", None), ("Flag URGENT as Urgent", None)]
    # Saving the rule again (pointed at an existing folder) clears the flag and it acts again.
    fixed = rules[0]
    fixed.actions.move_to_folder = _target(support.inbox / "Done", MoveToFolder)
    fixed.is_in_error = None
    _set(support, fixed)
    assert support.rules[0].is_in_error is None
    _send(fresh_emulator, "bob", "support@example.com", "Weekly report 3")
    assert _one(support.inbox / "Done", "Weekly report 3").categories == ["Billing"]


def test_a_users_own_rules_act_on_their_own_mail_only(fresh_emulator) -> None:
    own = account(fresh_emulator, "alice")
    own.create_rule(_rule("Read everything", mark_as_read=True))  # no conditions: every message
    _send(fresh_emulator, "bob", ["alice@example.com", "support@example.com"], "For both of you")
    assert _one(own.inbox, "For both of you").is_read is True
    assert _one(account(fresh_emulator, "alice", "support").inbox, "For both of you").is_read is False
