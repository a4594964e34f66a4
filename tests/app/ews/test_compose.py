"""app.ews.compose against the emulator over HTTP: drafts, Send As, Send on Behalf, denied sends, replies.

Delivery and the copies are checked with separate exchangelib accounts of the recipients and the mailboxes.
The pure helpers of app.domain.html_quote are tested at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from app.domain import html_quote
from app.domain.errors import AccessDenied, SendDenied
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.messages import ComposeMode, Draft, ListQuery, LocalAttachment, Person
from app.ews.client import EwsClient
from app.ews.compose import prepare_response, save_draft, send
from app.ews.messages import find_page, get_detail
from tests.support.emulator import BUILD
from tests.support.emulator import account as el_account

SUPPORT_INBOX = FolderRef("support@example.com", well_known="inbox")


@pytest.fixture
def clients(fresh_emulator) -> Iterator[dict[str, EwsClient]]:
    made: dict[str, EwsClient] = {}

    class Clients(dict):
        def __missing__(self, user: str) -> EwsClient:
            made[user] = self[user] = EwsClient(fresh_emulator.ews_url, f"{user}@example.com", f"{user}-pass",
                                                AuthMethod.NTLM, ServerVersion(*BUILD))
            return made[user]

    yield Clients()
    for client in made.values():
        client.close()


def found(emu, user: str, mailbox: str | None, folder: str, subject: str) -> list:
    acc = el_account(emu, user, mailbox)
    return list(getattr(acc, folder).filter(subject=subject))


def one(emu, user: str, mailbox: str | None, folder: str, subject: str):
    items = found(emu, user, mailbox, folder, subject)
    assert len(items) == 1, f"expected one {subject!r} in {mailbox or user}'s {folder}, got {len(items)}"
    return items[0]


def addr(mailbox) -> str:
    return mailbox.email_address.lower()


def counted(emu) -> dict[str, int]:
    emu.backend.operation_counts.clear()
    return emu.backend.operation_counts


# -- sending ------------------------------------------------------------------------------------------------
def test_send_as_support_reaches_bob_with_the_copy_in_supports_sent_items(fresh_emulator, clients) -> None:
    draft = Draft("support@example.com", to=["Bob Baker <bob@example.com>"], subject="Send As from support",
                  body_html="<p>Hello Bob</p>")
    ops = counted(fresh_emulator)
    send(clients["alice"], draft)
    assert ops == {"CreateItem": 1}
    got = one(fresh_emulator, "bob", None, "inbox", "Send As from support")
    assert addr(got.author) == addr(got.sender) == "support@example.com"
    assert "Hello Bob" in got.body
    kept = one(fresh_emulator, "alice", "support@example.com", "sent", "Send As from support")
    assert addr(kept.author) == "support@example.com"
    assert found(fresh_emulator, "alice", None, "sent", "Send As from support") == []
    assert found(fresh_emulator, "alice", "support@example.com", "drafts", "Send As from support") == []


def test_send_on_behalf_of_sales_by_bob(fresh_emulator, clients) -> None:
    send(clients["bob"], Draft("sales@example.com", to=["dave@example.com"], subject="Quote from sales",
                               body_html="<p>Our offer</p>"))
    got = one(fresh_emulator, "dave", None, "inbox", "Quote from sales")
    assert (addr(got.author), addr(got.sender)) == ("sales@example.com", "bob@example.com")
    kept = one(fresh_emulator, "bob", "sales@example.com", "sent", "Quote from sales")
    assert (addr(kept.author), addr(kept.sender)) == ("sales@example.com", "bob@example.com")


def test_carol_may_not_send_from_support_and_the_draft_is_kept(fresh_emulator, clients) -> None:
    draft = Draft("support@example.com", to=["bob@example.com"], subject="Carol as support",
                  body_html="<p>Important text</p>", attachments=[LocalAttachment("notes.txt", b"keep me")])
    with pytest.raises(SendDenied) as caught:
        send(clients["carol"], draft)
    # The refusal only: where the message is kept is said by whoever reports it (it knows the local copy too).
    assert str(caught.value) == "You may not send as Customer Support (support@example.com)."
    kept = one(fresh_emulator, "carol", "support@example.com", "drafts", "Carol as support")
    assert "Important text" in kept.body and [a.name for a in kept.attachments] == ["notes.txt"]
    assert caught.value.draft.draft_id == kept.id
    assert found(fresh_emulator, "bob", None, "inbox", "Carol as support") == []
    assert found(fresh_emulator, "carol", "support@example.com", "sent", "Carol as support") == []
    assert draft.draft_id == "", "the caller's draft is not changed behind its back"

    # Sending the kept draft again is refused again, and its latest text is still kept (no second copy).
    again = caught.value.draft
    again.body_html = "<p>Edited after the refusal</p>"
    with pytest.raises(SendDenied):
        send(clients["carol"], again)
    kept = one(fresh_emulator, "carol", "support@example.com", "drafts", "Carol as support")
    assert "Edited after the refusal" in kept.body


def test_draft_round_trip_save_update_send(fresh_emulator, clients) -> None:
    alice = clients["alice"]
    draft = Draft("support@example.com", to=["bob@example.com"], subject="Round trip",
                  body_html="<p>First version</p>", attachments=[LocalAttachment("a.txt", b"AAA", "text/plain")])
    ops = counted(fresh_emulator)
    saved = save_draft(alice, draft)
    assert ops == {"CreateItem": 1}, "attachments go in the same CreateItem"
    assert saved.draft_id and saved.change_key and saved.attachments[0].attachment_id
    assert draft.draft_id == "" and saved is not draft
    stored = one(fresh_emulator, "alice", "support@example.com", "drafts", "Round trip")
    assert stored.id == saved.draft_id and stored.is_draft
    assert addr(stored.author) == "support@example.com"
    assert [a.name for a in stored.attachments] == ["a.txt"]
    assert found(fresh_emulator, "alice", None, "drafts", "Round trip") == []  # not in alice's own Drafts

    saved.body_html = "<p>Second version</p>"
    saved.cc = ["carol@example.com"]
    saved.attachments = [LocalAttachment("b.txt", b"BBBB", "text/plain")]
    ops = counted(fresh_emulator)
    saved = save_draft(alice, saved)
    assert ops == {"UpdateItem": 1, "DeleteAttachment": 1, "CreateAttachment": 1}
    stored = one(fresh_emulator, "alice", "support@example.com", "drafts", "Round trip")
    assert stored.id == saved.draft_id
    assert "Second version" in stored.body and [addr(m) for m in stored.cc_recipients] == ["carol@example.com"]
    assert [a.name for a in stored.attachments] == ["b.txt"]

    saved.subject = "Round trip, final"
    ops = counted(fresh_emulator)
    send(alice, saved)
    assert ops == {"UpdateItem": 1}, "update and send in one request"
    got = one(fresh_emulator, "bob", None, "inbox", "Round trip, final")
    assert "Second version" in got.body and [a.name for a in got.attachments] == ["b.txt"]
    assert addr(got.author) == "support@example.com"
    assert one(fresh_emulator, "carol", None, "inbox", "Round trip, final")
    assert one(fresh_emulator, "alice", "support@example.com", "sent", "Round trip, final")
    assert found(fresh_emulator, "alice", "support@example.com", "drafts", "Round trip") == []
    assert found(fresh_emulator, "alice", "support@example.com", "drafts", "Round trip, final") == []


def test_no_rights_on_the_mailbox_is_access_denied_and_nothing_goes_out(fresh_emulator, clients) -> None:
    with pytest.raises(AccessDenied, match=r"support@example\.com"):
        send(clients["dave"], Draft("support@example.com", to=["bob@example.com"], subject="Dave as support",
                                    body_html="<p>x</p>"))
    with pytest.raises(AccessDenied, match=r"You may not save drafts in support@example\.com's Drafts"):
        save_draft(clients["dave"], Draft("support@example.com", subject="Dave's draft"))
    assert found(fresh_emulator, "bob", None, "inbox", "Dave as support") == []


def test_own_mailbox_send(fresh_emulator, clients) -> None:
    send(clients["dave"], Draft("dave@example.com", to=["carol@example.com"], subject="From dave",
                                body_html="<p>x</p>"))
    got = one(fresh_emulator, "carol", None, "inbox", "From dave")
    assert addr(got.author) == addr(got.sender) == "dave@example.com"
    assert one(fresh_emulator, "dave", None, "sent", "From dave")


# -- replies and forwards --------------------------------------------------------------------------------------
def _incoming(emu, subject: str, cc: list[str] | None = None) -> str:
    """bob writes to support@ (cc alice and others); returns the id of the message in support@'s Inbox."""
    from exchangelib import HTMLBody, Mailbox, Message

    bob = el_account(emu, "bob")
    Message(account=bob, folder=bob.sent, subject=subject, body=HTMLBody("<p>Original <b>text</b></p>"),
            to_recipients=[Mailbox(email_address="support@example.com")],
            cc_recipients=[Mailbox(email_address=a) for a in cc or []]).send_and_save()
    return one(emu, "alice", "support@example.com", "inbox", subject).id


def test_reply_from_support_is_threaded_and_quotes_the_original(fresh_emulator, clients) -> None:
    alice = clients["alice"]
    original_id = _incoming(fresh_emulator, "Printer on fire")
    ops = counted(fresh_emulator)
    draft = prepare_response(alice, SUPPORT_INBOX, original_id, ComposeMode.REPLY, "support@example.com")
    assert ops == {"GetItem": 1}
    assert draft.subject == "RE: Printer on fire"
    assert draft.to == ["bob@example.com"] and draft.cc == []
    assert draft.mode is ComposeMode.REPLY and draft.reference_id == original_id and not draft.draft_id
    assert "<blockquote" in draft.body_html and "Original <b>text</b>" in draft.body_html
    assert "<b>From:</b> Bob Baker &lt;bob@example.com&gt;" in draft.body_html
    assert "<b>Subject:</b> Printer on fire" in draft.body_html

    draft.body_html = draft.body_html.replace("<p><br></p>", "<p>We are on it.</p>", 1)
    ops = counted(fresh_emulator)
    send(alice, draft)
    assert ops == {"CreateItem": 1, "UpdateItem": 1}
    got = one(fresh_emulator, "bob", None, "inbox", "RE: Printer on fire")
    original = one(fresh_emulator, "alice", "support@example.com", "inbox", "Printer on fire")
    assert got.in_reply_to == original.message_id
    assert original.message_id in (got.references or "")
    assert addr(got.author) == "support@example.com"
    assert got.body.count("Original <b>text</b>") == 1, "quoted once: ours, not the server's again"
    assert "We are on it." in got.body
    assert one(fresh_emulator, "alice", "support@example.com", "sent", "RE: Printer on fire")


def test_reply_all_leaves_out_the_mailbox_itself(fresh_emulator, clients) -> None:
    original_id = _incoming(fresh_emulator, "Team question", cc=["carol@example.com", "support@example.com"])
    draft = prepare_response(clients["alice"], SUPPORT_INBOX, original_id, ComposeMode.REPLY_ALL,
                             "support@example.com")
    assert draft.subject == "RE: Team question"
    assert draft.to == ["bob@example.com"]
    assert draft.cc == ["carol@example.com"]


def test_forward_carries_the_attachments(fresh_emulator, clients) -> None:
    from exchangelib import FileAttachment, HTMLBody, Mailbox, Message

    bob = el_account(fresh_emulator, "bob")
    Message(account=bob, folder=bob.sent, subject="Signed contract", body=HTMLBody("<p>See attached</p>"),
            to_recipients=[Mailbox(email_address="support@example.com")],
            attachments=[FileAttachment(name="invoice.pdf", content=b"%PDF-1.4 data"),
                         FileAttachment(name="terms.txt", content=b"terms")]).send_and_save()
    original = one(fresh_emulator, "alice", "support@example.com", "inbox", "Signed contract")
    alice = clients["alice"]
    draft = prepare_response(alice, SUPPORT_INBOX, original.id, ComposeMode.FORWARD, "support@example.com")
    assert draft.subject == "FW: Signed contract" and draft.to == [] and draft.cc == []
    assert [a.name for a in draft.forwarded] == ["invoice.pdf", "terms.txt"]

    draft.to = ["dave@example.com"]
    draft.forwarded = [a for a in draft.forwarded if a.name == "invoice.pdf"]  # the user drops one
    draft.attachments = [LocalAttachment("note.txt", b"my note")]
    saved = save_draft(alice, draft)
    assert [a.name for a in saved.forwarded] == ["invoice.pdf"]
    assert saved.forwarded[0].attachment_id != draft.forwarded[0].attachment_id  # the draft's own copy
    send(alice, saved)
    got = one(fresh_emulator, "dave", None, "inbox", "FW: Signed contract")
    assert sorted(a.name for a in got.attachments) == ["invoice.pdf", "note.txt"]
    assert addr(got.author) == "support@example.com"
    # The original is untouched.
    assert sorted(a.name for a in one(fresh_emulator, "alice", "support@example.com", "inbox",
                                      "Signed contract").attachments) == ["invoice.pdf", "terms.txt"]


def test_reply_to_a_plain_text_message_quotes_it_as_html(fresh_emulator, clients) -> None:
    from exchangelib import Mailbox, Message

    bob = el_account(fresh_emulator, "bob")
    Message(account=bob, folder=bob.sent, subject="Plain <question>", body="Line 1\nLine 2 & more",
            to_recipients=[Mailbox(email_address="support@example.com")]).send_and_save()
    row = find_page(clients["alice"], SUPPORT_INBOX, ListQuery(search="Plain <question>"), 0, 5).items[0]
    assert get_detail(clients["alice"], SUPPORT_INBOX, row.item_id).body_text
    draft = prepare_response(clients["alice"], SUPPORT_INBOX, row.item_id, ComposeMode.REPLY,
                             "support@example.com")
    assert "Line 1<br>\nLine 2 &amp; more" in draft.body_html
    assert "Plain &lt;question&gt;" in draft.body_html


# -- html_quote (pure) -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "mode", "expected"), [
    ("Hello", ComposeMode.REPLY, "RE: Hello"),
    ("RE: Hello", ComposeMode.REPLY_ALL, "RE: Hello"),
    ("Re: AW: Fwd: Hello", ComposeMode.REPLY, "RE: Hello"),
    ("re[2]: Hello", ComposeMode.FORWARD, "FW: Hello"),
    ("", ComposeMode.FORWARD, "FW: "),
    ("Rebate offer", ComposeMode.REPLY, "RE: Rebate offer"),
])
def test_response_subject(subject: str, mode: ComposeMode, expected: str) -> None:
    assert html_quote.response_subject(subject, mode) == expected


def test_reply_recipients() -> None:
    bob, carol = Person("bob@example.com", "Bob"), Person("carol@example.com")
    support, helpdesk = Person("Support@Example.com"), Person("helpdesk@example.com")
    args = dict(author=bob, reply_to=[], to=[support, carol, bob], cc=[helpdesk, carol],
                exclude=["support@example.com"])
    assert html_quote.reply_recipients(ComposeMode.REPLY, **args) == (["bob@example.com"], [])
    assert html_quote.reply_recipients(ComposeMode.REPLY_ALL, **args) == (
        ["bob@example.com", "carol@example.com"], ["helpdesk@example.com"])
    assert html_quote.reply_recipients(ComposeMode.FORWARD, **args) == ([], [])
    with_reply_to = dict(args, reply_to=[helpdesk])
    assert html_quote.reply_recipients(ComposeMode.REPLY, **with_reply_to) == (["helpdesk@example.com"], [])
    # A message the mailbox sent itself: the reply goes back to that address.
    own = dict(args, author=support)
    assert html_quote.reply_recipients(ComposeMode.REPLY, **own)[0] == ["Support@Example.com"]


def test_quoted_document_drops_active_content_and_keeps_the_text() -> None:
    headers = html_quote.header_lines(Person("bob@example.com", "Bob"), datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
                                      [Person("a@x.com")], [], "Hi <there>")
    assert [k for k, _ in headers] == ["From", "Sent", "To", "Subject"]
    doc = html_quote.quoted_document(
        headers, "<html><head><script>x()</script><title>t</title></head><body>Hey <p onclick='y'>you</p>"
                 "<script>evil()</script><iframe src='http://x'></iframe></body></html>", None)
    assert "evil" not in doc and "<iframe" not in doc and "<title>" not in doc and "x()" not in doc
    assert "Hey <p>you</p>" in doc and "onclick" not in doc
    assert "<b>Subject:</b> Hi &lt;there&gt;" in doc
    assert doc.index("<p><br></p>") < doc.index("<blockquote")
