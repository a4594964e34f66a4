"""app.ews.messages / app.ews.sync against the emulator over HTTP: the message list, the reading pane, new mail.

Round trips are counted with the emulator's ``operation_counts`` (one entry per EWS request it served).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from exchangelib import HTMLBody, Mailbox, Message

from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.messages import ChangeKind, ListQuery, SortField
from app.ews.client import EwsClient
from app.ews.messages import (
    attachment_content,
    attachment_contents,
    find_page,
    get_detail,
    set_read,
    sync_changes,
)
from tests.support.emulator import BUILD
from tests.support.emulator import account as el_account

SUPPORT_INBOX = FolderRef("support@example.com", well_known="inbox")
SALES_INBOX = FolderRef("sales@example.com", well_known="inbox")


def make_client(emu, user: str) -> EwsClient:
    return EwsClient(emu.ews_url, f"{user}@example.com", f"{user}-pass", AuthMethod.NTLM, ServerVersion(*BUILD))


@pytest.fixture(autouse=True)
def schema_valid_answers(emulator) -> Iterator[None]:
    """Every answer the shared emulator gave during the test validates against Microsoft's schema."""
    emulator.backend.response_violations.clear()
    yield
    assert not emulator.backend.response_violations


@pytest.fixture
def alice(emulator) -> Iterator[EwsClient]:
    client = make_client(emulator, "alice")
    yield client
    client.close()


def counted(emu) -> dict[str, int]:
    emu.backend.operation_counts.clear()
    return emu.backend.operation_counts


# -- find_page ---------------------------------------------------------------------------------------------
def test_first_page_is_one_finditem_with_every_list_field(emulator, alice) -> None:
    ops = counted(emulator)
    page = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 50)
    assert ops == {"FindItem": 1}, "no GetItem per row, no second FindItem for the total"
    assert page.offset == 0
    assert len(page.items) == 50
    assert page.total >= 200  # TotalItemsInView: the whole folder, not the page
    received = [m.received for m in page.items]
    assert all(r is not None and r.tzinfo is not None for r in received)
    assert received == sorted(received, reverse=True)
    assert all(m.item_id and m.change_key and m.sender and m.sender.address for m in page.items)
    assert all(m.rights.read and m.rights.modify and m.rights.delete for m in page.items)  # full access
    assert any(m.categories for m in page.items), "categories come back in FindItem"
    assert any(m.has_attachments for m in page.items)
    assert any(not m.is_read for m in page.items) and any(m.is_read for m in page.items)
    assert {m.importance for m in page.items} <= {"Low", "Normal", "High"}


def test_pages_follow_each_other_without_overlap(emulator, alice) -> None:
    first = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 30)
    ops = counted(emulator)
    second = find_page(alice, SUPPORT_INBOX, ListQuery(), 30, 30)
    assert ops == {"FindItem": 1}
    assert second.offset == 30 and second.total == first.total
    assert not {m.item_id for m in first.items} & {m.item_id for m in second.items}
    assert first.items[-1].received >= second.items[0].received
    tail = find_page(alice, SUPPORT_INBOX, ListQuery(), first.total - 5, 100)
    assert len(tail.items) == 5
    assert find_page(alice, SUPPORT_INBOX, ListQuery(), first.total + 10, 100).items == ()


@pytest.mark.parametrize("sort", [SortField.SUBJECT, SortField.SIZE, SortField.SENDER])
@pytest.mark.parametrize("descending", [False, True])
def test_sorted_on_the_server(emulator, alice, sort: SortField, descending: bool) -> None:
    page = find_page(alice, SUPPORT_INBOX, ListQuery(sort=sort, descending=descending), 0, 100)
    key = {
        SortField.SUBJECT: lambda m: m.subject.casefold(),
        SortField.SIZE: lambda m: m.size,
        SortField.SENDER: lambda m: (m.sender.name or m.sender.address).casefold(),
    }[sort]
    keys = [key(m) for m in page.items]
    assert keys == sorted(keys, reverse=descending)
    assert len(set(keys)) > 5, "the sample must tell orders apart"


def test_search_matches_subject_sender_and_body_case_insensitively(emulator, alice) -> None:
    everything = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 1000)
    sample = next(m for m in everything.items if len(m.subject) > 12)
    word = max(sample.subject.split(), key=len)
    ops = counted(emulator)
    hits = find_page(alice, SUPPORT_INBOX, ListQuery(search=word.upper()), 0, 1000)
    assert ops == {"FindItem": 1}
    assert sample.item_id in {m.item_id for m in hits.items}
    assert 0 < hits.total < everything.total
    assert hits.total == len(hits.items)

    sender = next(m.sender for m in everything.items if m.sender.name)
    by_name = find_page(alice, SUPPORT_INBOX, ListQuery(search=sender.name.split()[-1].lower()), 0, 1000)
    assert any(m.sender == sender for m in by_name.items)

    assert find_page(alice, SUPPORT_INBOX, ListQuery(search="zzqx-no-such-text"), 0, 100).total == 0


def test_search_finds_words_only_in_the_body(fresh_emulator) -> None:
    bob = el_account(fresh_emulator, "bob")
    Message(account=bob, folder=bob.sent, subject="Quarterly numbers", body=HTMLBody("<p>Shipped to Zanzibar</p>"),
            to_recipients=[Mailbox(email_address="support@example.com")]).send_and_save()
    alice = make_client(fresh_emulator, "alice")
    try:
        hits = find_page(alice, SUPPORT_INBOX, ListQuery(search="zanzibar"), 0, 100)
        assert [m.subject for m in hits.items] == ["Quarterly numbers"] and hits.total == 1
    finally:
        alice.close()


def test_unread_only_and_category_filters(emulator, alice) -> None:
    everything = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 1000)
    unread = find_page(alice, SUPPORT_INBOX, ListQuery(unread_only=True), 0, 1000)
    assert unread.total == sum(1 for m in everything.items if not m.is_read) > 0
    assert all(not m.is_read for m in unread.items)
    category = next(c for m in everything.items for c in m.categories)
    tagged = find_page(alice, SUPPORT_INBOX, ListQuery(category=category), 0, 1000)
    assert tagged.total == sum(1 for m in everything.items if category in m.categories) > 0
    both = find_page(alice, SUPPORT_INBOX, ListQuery(category=category, unread_only=True), 0, 1000)
    assert {m.item_id for m in both.items} == {m.item_id for m in tagged.items if not m.is_read}


def test_partial_rights_mailbox_without_touching_its_root(emulator, alice) -> None:
    """alice is Reviewer on sales@'s Inbox only: the Inbox lists, read-only; no GetFolder on sales@'s root."""
    ops = counted(emulator)
    page = find_page(alice, SALES_INBOX, ListQuery(), 0, 20)
    assert ops == {"FindItem": 1}
    assert page.total > 0 and page.items
    assert all(m.rights.read and not m.rights.modify and not m.rights.delete for m in page.items)


def test_by_folder_id_as_well_as_by_name(emulator, alice) -> None:
    inbox = el_account(emulator, "alice", "support@example.com").inbox  # the id, as the folder tree gives it
    by_name = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 10)
    by_id = find_page(alice, FolderRef("support@example.com", folder_id=inbox.id), ListQuery(), 0, 10)
    assert by_id == by_name


def test_no_rights_is_access_denied_naming_the_folder(emulator) -> None:
    dave = make_client(emulator, "dave")
    try:
        with pytest.raises(AccessDenied, match=r"support@example.com › Inbox"):
            find_page(dave, SUPPORT_INBOX, ListQuery(), 0, 10)
    finally:
        dave.close()


# -- get_detail / attachments --------------------------------------------------------------------------------
def test_detail_is_one_getitem_with_html_body_and_headers(emulator, alice) -> None:
    row = find_page(alice, SALES_INBOX, ListQuery(), 0, 1).items[0]
    ops = counted(emulator)
    detail = get_detail(alice, SALES_INBOX, row.item_id)
    assert ops == {"GetItem": 1}
    assert detail.summary == row, "the reading pane's row is the list's row"
    assert not detail.summary.rights.modify  # alice reads sales@ only
    assert detail.author == row.sender
    assert detail.to and detail.to[0].address == "sales@example.com"
    assert detail.body_html and "<html" in detail.body_html.lower() and detail.body_text is None
    assert detail.internet_message_id.startswith("<")
    assert detail.last_modified_name
    assert detail.sent is not None and detail.sent.tzinfo is not None


def test_attachment_metadata_and_content(emulator, alice) -> None:
    rows = find_page(alice, SUPPORT_INBOX, ListQuery(), 0, 1000).items
    row = next(m for m in rows if m.has_attachments)
    detail = get_detail(alice, SUPPORT_INBOX, row.item_id)
    att = next(a for a in detail.attachments if not a.is_inline)
    assert att.name and att.size > 0 and att.content_type
    ops = counted(emulator)
    data = attachment_content(alice, "support@example.com", row.item_id, att.attachment_id)
    assert ops == {"GetAttachment": 1}
    assert len(data) == att.size

    others = [m for m in rows if m.has_attachments][1:4]
    wanted = {a.attachment_id: a.size for m in others for a in get_detail(alice, SUPPORT_INBOX, m.item_id).attachments}
    ops = counted(emulator)
    contents = attachment_contents(alice, "support@example.com", list(wanted))
    assert ops == {"GetAttachment": 1}
    assert {k: len(v) for k, v in contents.items()} == wanted and len(wanted) >= 3


def test_plain_text_and_on_behalf_headers(fresh_emulator) -> None:
    sales = el_account(fresh_emulator, "bob", "sales@example.com")
    Message(account=sales, folder=sales.sent, subject="Plain offer", body="Line one\nLine two",
            to_recipients=[Mailbox(email_address="alice@example.com")]).send_and_save()
    alice = make_client(fresh_emulator, "alice")
    try:
        inbox = FolderRef("alice@example.com", well_known="inbox")
        row = next(m for m in find_page(alice, inbox, ListQuery(search="Plain offer"), 0, 10).items)
        detail = get_detail(alice, inbox, row.item_id)
        assert detail.body_html is None and "Line two" in (detail.body_text or "")
        assert detail.author.address == "sales@example.com"
        assert detail.sender.address == "bob@example.com"
        assert detail.on_behalf
    finally:
        alice.close()


# -- sync_changes ----------------------------------------------------------------------------------------------
def test_sync_reports_new_mail_read_state_and_deletions(fresh_emulator) -> None:
    alice = make_client(fresh_emulator, "alice")
    try:
        changes, state = sync_changes(alice, SUPPORT_INBOX, None)
        assert changes == [] and state, "the first sync only sets the starting point"
        ops = counted(fresh_emulator)
        assert sync_changes(alice, SUPPORT_INBOX, state) == ([], state)
        assert ops == {"SyncFolderItems": 1}

        bob = el_account(fresh_emulator, "bob")
        Message(account=bob, folder=bob.sent, subject="New mail for support", body=HTMLBody("<p>Hi</p>"),
                to_recipients=[Mailbox(email_address="support@example.com")]).send_and_save()
        changes, state = sync_changes(alice, SUPPORT_INBOX, state)
        assert [c.kind for c in changes] == [ChangeKind.CREATE]
        new = changes[0].summary
        assert new is not None and new.subject == "New mail for support" and not new.is_read
        assert new.sender.address == "bob@example.com"
        assert new.received is not None and new.received <= datetime.now(UTC)

        set_read(alice, "support@example.com", [new.item_id], True)
        changes, state = sync_changes(alice, SUPPORT_INBOX, state)
        assert [(c.kind, c.item_id, c.is_read) for c in changes] == [(ChangeKind.READ_FLAG, new.item_id, True)]

        support = el_account(fresh_emulator, "alice", "support@example.com")
        support.inbox.get(id=new.item_id).delete()
        changes, state = sync_changes(alice, SUPPORT_INBOX, state)
        assert [(c.kind, c.item_id) for c in changes] == [(ChangeKind.DELETE, new.item_id)]
    finally:
        alice.close()


def test_sync_without_rights_is_access_denied(emulator) -> None:
    dave = make_client(emulator, "dave")
    try:
        with pytest.raises(AccessDenied, match="sales@example.com"):
            sync_changes(dave, SALES_INBOX, None)
    finally:
        dave.close()


# -- rows from XML (what real servers vary in) -----------------------------------------------------------------
def test_rows_tolerate_what_servers_vary_in() -> None:
    from lxml import etree

    from app.ews.rows import parse_time, summary_from_xml

    assert parse_time("2026-11-26T14:34:38.1234567Z") == datetime(2026, 11, 26, 14, 34, 38, 123456, tzinfo=UTC)
    assert parse_time("2026-11-26T15:34:38+01:00") == datetime(2026, 11, 26, 14, 34, 38, tzinfo=UTC)
    assert parse_time("2026-11-26T14:34:38") == datetime(2026, 11, 26, 14, 34, 38, tzinfo=UTC)
    assert parse_time("") is None and parse_time("yesterday") is None

    t = "http://schemas.microsoft.com/exchange/services/2006/types"
    minimal = etree.fromstring(f'<t:MeetingRequest xmlns:t="{t}"><t:ItemId Id="A" ChangeKey="B"/>'
                               f'<t:Sender><t:Mailbox><t:Name>Room</t:Name></t:Mailbox></t:Sender>'
                               f'<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag="4240" PropertyType="Integer"/>'
                               f'<t:Value>2</t:Value></t:ExtendedProperty></t:MeetingRequest>')
    row = summary_from_xml(minimal)
    assert row is not None
    assert (row.item_id, row.change_key, row.subject, row.size, row.received) == ("A", "B", "", 0, None)
    assert row.sender is not None and row.sender.name == "Room"
    assert row.flagged, "PropertyTag 4240 is 0x1090"
    assert row.is_read and not row.has_attachments and row.categories == () and row.importance == "Normal"
    assert row.rights.read and not row.rights.modify and not row.rights.delete  # unknown: read-only
    assert summary_from_xml(etree.fromstring(f'<t:Message xmlns:t="{t}"/>')) is None
