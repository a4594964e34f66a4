"""Searching on a server that refuses to search message bodies (grommunio Gromox): subject and sender still work.

The emulator answers as such a server with the ``no-body-search`` quirk: any FindItem restriction that names
``item:Body`` is refused with ``ErrorUnsupportedPathForQuery``.
"""

from __future__ import annotations

from exchangelib import HTMLBody, Mailbox, Message

from app.domain.folders import FolderRef
from app.domain.messages import ListQuery
from app.ews.messages import NO_BODY_SEARCH_NOTE, find_page
from tests.app.ews.test_messages import make_client
from tests.support.emulator import account as el_account

SUPPORT_INBOX = FolderRef("support@example.com", well_known="inbox")


def _send_two(emu) -> None:
    """One message with the word in its subject, one with it only in its body."""
    bob = el_account(emu, "bob")
    for subject, body in (("Zanzibar shipment", "<p>See the list.</p>"),
                          ("Quarterly numbers", "<p>Shipped to Zanzibar</p>")):
        Message(account=bob, folder=bob.sent, subject=subject, body=HTMLBody(body),
                to_recipients=[Mailbox(email_address="support@example.com")]).send_and_save()


def test_search_falls_back_to_subject_and_sender_when_bodies_cannot_be_searched(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(quirks=["no-body-search"])
    _send_two(emu)
    alice = make_client(emu, "alice")
    try:
        before = emu.backend.operation_counts.get("FindItem", 0)
        hits = find_page(alice, SUPPORT_INBOX, ListQuery(search="zanzibar"), 0, 100)
        assert [m.subject for m in hits.items] == ["Zanzibar shipment"] and hits.total == 1
        assert hits.note == NO_BODY_SEARCH_NOTE
        assert "cannot search message bodies" in hits.note
        assert emu.backend.operation_counts["FindItem"] - before == 2  # the refused one and the retry
        # The connection remembers: the next search (or page) costs one round trip.
        again = find_page(alice, SUPPORT_INBOX, ListQuery(search="shipment"), 0, 100)
        assert [m.subject for m in again.items] == ["Zanzibar shipment"] and again.note == NO_BODY_SEARCH_NOTE
        assert emu.backend.operation_counts["FindItem"] - before == 3
        # Not searching: nothing is left out, nothing said.
        assert find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 10).note == ""
    finally:
        alice.close()


def test_a_server_that_searches_bodies_gets_the_whole_search_and_no_note(fresh_emulator) -> None:
    _send_two(fresh_emulator)
    alice = make_client(fresh_emulator, "alice")
    try:
        hits = find_page(alice, SUPPORT_INBOX, ListQuery(search="zanzibar"), 0, 100)
        assert sorted(m.subject for m in hits.items) == ["Quarterly numbers", "Zanzibar shipment"]
        assert hits.note == ""
    finally:
        alice.close()
