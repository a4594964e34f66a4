"""Sending through the emulator with exchangelib over HTTP: drafts, Send As, Send on Behalf, delivery.

Grants: alice has SendAs on support@ and SendOnBehalf on billing@, bob SendOnBehalf on
sales@, carol FullAccess on support@ without a send right, dave nothing.
"""

from __future__ import annotations

import json

import pytest
from exchangelib import FileAttachment, HTMLBody, Mailbox, Message
from exchangelib.errors import ErrorAccessDenied, ErrorItemNotFound, ErrorSendAsDenied
from exchangelib.folders import SentItems
from exchangelib.items import ReplyAllToItem
from exchangelib.properties import ReferenceItemId

from tests.support.emulator import account


def _found(folder, subject: str) -> list:
    return list(folder.filter(subject=subject))


def _one(folder, subject: str):
    items = _found(folder, subject)
    assert len(items) == 1, f"expected one {subject!r} in {folder.name}, got {len(items)}"
    return items[0]


def _addr(mailbox) -> str | None:
    return mailbox.email_address.lower() if mailbox is not None else None


def test_draft_saved_in_shared_drafts_reads_back(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="Draft for a customer",
                    body=HTMLBody("<p>Dear customer</p>"), to_recipients=[Mailbox(email_address="jane@contoso.com")])
    draft.save()
    assert draft.id and draft.changekey

    got = support.drafts.get(id=draft.id)
    assert got.subject == "Draft for a customer"
    assert got.is_draft is True
    assert "Dear customer" in got.body
    assert [_addr(r) for r in got.to_recipients] == ["jane@contoso.com"]
    assert got.last_modified_name == "Alice Archer"
    assert got.parent_folder_id.id == support.drafts.id
    # The draft lives in support@'s Drafts, not in alice's own.
    assert _found(account(fresh_emulator, "alice").drafts, "Draft for a customer") == []


def test_send_as_from_support_reaches_bob_and_support_sent_items(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    Message(account=support, folder=support.sent, subject="Send As check", body="Hello Bob",
            to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()

    received = _one(account(fresh_emulator, "bob").inbox, "Send As check")
    assert _addr(received.author) == "support@example.com"
    assert _addr(received.sender) == "support@example.com"
    assert received.is_read is False
    assert received.datetime_received is not None

    kept = _one(support.sent, "Send As check")
    assert _addr(kept.author) == _addr(kept.sender) == "support@example.com"
    assert kept.is_read is True and kept.is_draft is False
    assert kept.datetime_sent is not None
    assert _found(account(fresh_emulator, "alice").sent, "Send As check") == []


def test_explicit_from_in_own_mailbox_is_send_as(fresh_emulator):
    alice = account(fresh_emulator, "alice")
    Message(account=alice, folder=alice.sent, subject="From support, sent from my mailbox", body="x",
            author=Mailbox(email_address="support@example.com"),
            to_recipients=[Mailbox(email_address="carol@example.com")]).send_and_save()
    received = _one(account(fresh_emulator, "carol").inbox, "From support, sent from my mailbox")
    assert _addr(received.author) == _addr(received.sender) == "support@example.com"
    assert _addr(_one(alice.sent, "From support, sent from my mailbox").author) == "support@example.com"


def test_send_on_behalf_from_billing(fresh_emulator):
    billing = account(fresh_emulator, "alice", "billing@example.com")
    Message(account=billing, folder=billing.sent, subject="On behalf of billing", body="Invoice attached",
            to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    received = _one(account(fresh_emulator, "bob").inbox, "On behalf of billing")
    assert _addr(received.author) == "billing@example.com"
    assert _addr(received.sender) == "alice@example.com"
    kept = _one(billing.sent, "On behalf of billing")
    assert (_addr(kept.author), _addr(kept.sender)) == ("billing@example.com", "alice@example.com")


def test_bob_sends_on_behalf_of_sales(fresh_emulator):
    sales = account(fresh_emulator, "bob", "sales@example.com")
    Message(account=sales, folder=sales.sent, subject="Quote from sales", body="Our offer",
            to_recipients=[Mailbox(email_address="dave@example.com")]).send_and_save()
    received = _one(account(fresh_emulator, "dave").inbox, "Quote from sales")
    assert (_addr(received.author), _addr(received.sender)) == ("sales@example.com", "bob@example.com")


def test_carol_cannot_send_from_support_and_nothing_is_delivered(fresh_emulator):
    support = account(fresh_emulator, "carol", "support@example.com")
    with pytest.raises(ErrorSendAsDenied):
        Message(account=support, folder=support.sent, subject="Carol as support", body="x",
                to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    carol = account(fresh_emulator, "carol")
    with pytest.raises(ErrorSendAsDenied):
        Message(account=carol, folder=carol.sent, subject="Carol as support", body="x",
                author=Mailbox(email_address="support@example.com"),
                to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    assert _found(account(fresh_emulator, "bob").inbox, "Carol as support") == []
    assert _found(support.sent, "Carol as support") == []
    assert _found(carol.sent, "Carol as support") == []


def test_dave_without_rights(fresh_emulator):
    dave = account(fresh_emulator, "dave")
    # From support@ out of his own mailbox: the submission is refused as Exchange refuses it.
    with pytest.raises(ErrorSendAsDenied):
        Message(account=dave, folder=dave.sent, subject="Dave as support", body="x",
                author=Mailbox(email_address="support@example.com"),
                to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    # Keeping the copy in support@'s Sent Items needs rights on that folder first.
    foreign_sent = SentItems(root=dave.root, id=account(fresh_emulator, "alice", "support@example.com").sent.id)
    with pytest.raises(ErrorAccessDenied):
        Message(account=dave, folder=foreign_sent, subject="Dave as support", body="x",
                to_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    assert _found(account(fresh_emulator, "bob").inbox, "Dave as support") == []


def test_mail_to_team_reaches_every_member(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    Message(account=support, folder=support.sent, subject="Team announcement", body="Party on Friday",
            to_recipients=[Mailbox(email_address="team@example.com")],
            cc_recipients=[Mailbox(email_address="bob@example.com")]).send_and_save()
    for user in ("alice", "bob", "carol", "dave"):
        got = _one(account(fresh_emulator, user).inbox, "Team announcement")  # bob once, not twice
        assert _addr(got.author) == "support@example.com"
        assert got.is_read is False


def test_external_recipients_go_to_the_outbox_and_unknown_local_ones_bounce(fresh_emulator):
    billing = account(fresh_emulator, "alice", "billing@example.com")
    Message(account=billing, folder=billing.sent, subject="Your invoice 4711", body="Please pay",
            to_recipients=[Mailbox(email_address="jane@contoso.com"), Mailbox(email_address="nobody@example.com")],
            bcc_recipients=[Mailbox(email_address="audit@fabrikam.net")]).send_and_save()
    rows = fresh_emulator.backend.store.db.connection().execute(
        "SELECT sender, from_addr, recipients, subject FROM outbox").fetchall()
    assert [(r[0], r[1], json.loads(r[2]), r[3]) for r in rows] == [
        ("alice@example.com", "billing@example.com", ["jane@contoso.com", "audit@fabrikam.net"], "Your invoice 4711")]
    # The unknown example.com address bounces to the Sender (alice, who sent on behalf of billing).
    ndr = _one(account(fresh_emulator, "alice").inbox, "Undeliverable: Your invoice 4711")
    assert ndr.item_class == "REPORT.IPM.Note.NDR"
    assert "nobody@example.com" in ndr.body
    assert _found(billing.inbox, "Undeliverable: Your invoice 4711") == []


def test_send_only_keeps_no_copy_and_sends_as_the_caller(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    Message(account=support, subject="Send only", body="x",
            to_recipients=[Mailbox(email_address="bob@example.com")]).send(save_copy=False)
    got = _one(account(fresh_emulator, "bob").inbox, "Send only")
    assert _addr(got.author) == "alice@example.com"  # no folder, so no mailbox context: the caller sends
    assert _found(support.sent, "Send only") == []
    assert _found(account(fresh_emulator, "alice").sent, "Send only") == []


def test_saved_draft_sent_with_senditem_is_removed(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="Draft to send later", body="x",
                    to_recipients=[Mailbox(email_address="carol@example.com")])
    draft.save()
    draft_id = draft.id
    draft.send()  # SendItem with SavedItemFolderId = support@'s Sent Items
    got = _one(account(fresh_emulator, "carol").inbox, "Draft to send later")
    assert _addr(got.author) == _addr(got.sender) == "support@example.com"
    assert _one(support.sent, "Draft to send later").is_draft is False
    assert _found(support.drafts, "Draft to send later") == []
    with pytest.raises(ErrorItemNotFound):
        support.drafts.get(id=draft_id)


def test_draft_updated_and_sent_in_one_update_item(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="First wording", body="x",
                    to_recipients=[Mailbox(email_address="bob@example.com")])
    draft.save()
    draft.subject = "Final wording"
    draft.send_and_save()  # UpdateItem MessageDisposition="SendAndSaveCopy" with every field
    got = _one(account(fresh_emulator, "bob").inbox, "Final wording")
    assert _addr(got.author) == "support@example.com"
    assert _one(support.sent, "Final wording").is_draft is False
    assert _found(support.drafts, "First wording") + _found(support.drafts, "Final wording") == []


def test_refused_senditem_leaves_the_draft(fresh_emulator):
    support = account(fresh_emulator, "carol", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="Carol's draft", body="x",
                    to_recipients=[Mailbox(email_address="bob@example.com")])
    draft.save()
    changekey = draft.changekey
    with pytest.raises(ErrorSendAsDenied):
        draft.send()
    kept = support.drafts.get(id=draft.id)
    assert kept.changekey == changekey and kept.is_draft is True
    assert _found(account(fresh_emulator, "bob").inbox, "Carol's draft") == []


def test_attachments_travel_with_the_message(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    msg = Message(account=support, folder=support.sent, subject="Logs attached", body="See attachment",
                  to_recipients=[Mailbox(email_address="bob@example.com")])
    msg.attach(FileAttachment(name="log.txt", content=b"line 1\nline 2\n", content_type="text/plain"))
    msg.send_and_save()
    store = fresh_emulator.backend.store
    for smtp, folder in (("bob@example.com", "inbox"), ("support@example.com", "sentitems")):
        rec = store.directory.by_smtp(smtp)
        [row] = store.items.select("folder_id = ? AND subject = ?",
                                   (store.folders.by_well_known(rec.id, folder).id, "Logs attached"))
        assert row.has_attachments
        [meta] = store.items.attachments(row.id)
        assert meta["name"] == "log.txt"
        assert store.items.attachment(meta["id"])["content"] == b"line 1\nline 2\n"
    got = _one(account(fresh_emulator, "bob").inbox, "Logs attached")
    assert got.has_attachments is True
    assert [a.name for a in got.attachments] == ["log.txt"]


# Replies and forwards -------------------------------------------------------------------------
@pytest.fixture
def conversation(fresh_emulator):
    """support@ (alice, Send As) writes to bob and carol, cc dave; returns bob's received copy."""
    support = account(fresh_emulator, "alice", "support@example.com")
    Message(account=support, folder=support.sent, subject="Ticket 99: printer on fire", body="Please advise.",
            to_recipients=[Mailbox(email_address="bob@example.com"), Mailbox(email_address="carol@example.com")],
            cc_recipients=[Mailbox(email_address="dave@example.com")]).send_and_save()
    bob = account(fresh_emulator, "bob")
    return bob, _one(bob.inbox, "Ticket 99: printer on fire")


def test_reply_goes_to_the_author_with_quoted_body(fresh_emulator, conversation):
    bob, original = conversation
    original.reply(subject=None, body="Use the extinguisher.")
    support = account(fresh_emulator, "alice", "support@example.com")
    reply = _one(support.inbox, "RE: Ticket 99: printer on fire")
    assert _addr(reply.author) == "bob@example.com"
    assert [_addr(r) for r in reply.to_recipients] == ["support@example.com"]
    assert "Use the extinguisher." in reply.body and "Please advise." in reply.body
    assert reply.in_reply_to == original.message_id
    assert _one(bob.sent, "RE: Ticket 99: printer on fire").is_read is True
    assert _found(account(fresh_emulator, "carol").inbox, "RE: Ticket 99: printer on fire") == []


def test_reply_all_recipients_are_derived_by_the_server(fresh_emulator, conversation):
    bob, original = conversation
    # No recipients in the request: Exchange derives them (author + To, Cc, minus the replying mailbox).
    ReplyAllToItem(account=bob, reference_item_id=ReferenceItemId(id=original.id, changekey=original.changekey),
                   new_body="Copying everyone.").send()
    for user in ("carol", "dave"):
        _one(account(fresh_emulator, user).inbox, "RE: Ticket 99: printer on fire")
    kept = _one(bob.sent, "RE: Ticket 99: printer on fire")
    assert sorted(_addr(r) for r in kept.to_recipients) == ["carol@example.com", "support@example.com"]
    assert [_addr(r) for r in kept.cc_recipients] == ["dave@example.com"]
    assert _found(bob.inbox, "RE: Ticket 99: printer on fire") == []


def test_forward_carries_attachments_and_prefix(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    msg = Message(account=support, folder=support.sent, subject="Contract", body="Signed copy",
                  to_recipients=[Mailbox(email_address="bob@example.com")])
    msg.attach(FileAttachment(name="contract.pdf", content=b"%PDF-1.4 fake", content_type="application/pdf"))
    msg.send_and_save()
    bob = account(fresh_emulator, "bob")
    _one(bob.inbox, "Contract").forward(subject=None, body="FYI",
                                        to_recipients=[Mailbox(email_address="dave@example.com")])
    fwd = _one(account(fresh_emulator, "dave").inbox, "FW: Contract")
    assert "FYI" in fwd.body and "Signed copy" in fwd.body
    assert [a.name for a in fwd.attachments] == ["contract.pdf"]
    assert fwd.attachments[0].content == b"%PDF-1.4 fake"


def test_saved_reply_is_a_draft(fresh_emulator, conversation):
    bob, original = conversation
    draft_ref = original.create_reply(subject="RE: my own subject", body="Draft reply").save(bob.drafts)
    draft = bob.drafts.get(id=draft_ref.id)
    assert draft.subject == "RE: my own subject" and draft.is_draft is True
    assert [_addr(r) for r in draft.to_recipients] == ["support@example.com"]
    assert _found(account(fresh_emulator, "alice", "support@example.com").inbox, "RE: my own subject") == []
