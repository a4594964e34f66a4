"""Reading items: FindItem (paging, sorting, restrictions), GetItem (shapes, bodies, MIME, extended and
indexed properties, attachments metadata, EffectiveRights) and GetAttachment, driven by exchangelib over
HTTP against the demo tenant, plus hand-written SOAP for what exchangelib never sends. Expected values
come from the store itself, so the tests follow the seed instead of hard-coding it.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
from email import policy

import pytest
import requests
from exchangelib import ExtendedProperty, Message, Q
from exchangelib.errors import ErrorAccessDenied, ErrorInvalidIdMalformed, ErrorItemNotFound
from lxml import etree

from ews_emulator.store.ids import encode_id
from tests.support.emulator import account, extended_field

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"
NS = {"m": M, "t": T}


class FlagStatus(ExtendedProperty):
    """PR_FLAG_STATUS (0x1090): 2 = flagged, 1 = complete."""

    property_tag = 0x1090
    property_type = "Integer"


@pytest.fixture
def flag_field():
    with extended_field(Message, "flag_status", FlagStatus):
        yield


# Helpers ----------------------------------------------------------------------------------------
def soap(emu, user: str, body: str) -> etree._Element:
    """POST a hand-written request as ``user`` (Basic auth); return the SOAP body's child."""
    envelope = (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
                f' xmlns:m="{M}" xmlns:t="{T}"><s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>'
                f'<s:Body>{body}</s:Body></s:Envelope>')
    resp = requests.post(emu.ews_url, data=envelope.encode(), auth=(f"{user}@example.com", f"{user}-pass"),
                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    assert resp.status_code == 200, resp.text[:800]
    return etree.fromstring(resp.content).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def codes(root: etree._Element) -> list[str]:
    return [el.text for el in root.iter(f"{{{M}}}ResponseCode")]


def folder_xml(mailbox: str, name: str = "inbox") -> str:
    return (f'<t:DistinguishedFolderId Id="{name}"><t:Mailbox><t:EmailAddress>{mailbox}</t:EmailAddress>'
            f'</t:Mailbox></t:DistinguishedFolderId>')


def find_xml(folders: str, *, props: str = "", view: str = "", extra: str = "", base: str = "IdOnly") -> str:
    additional = f"<t:AdditionalProperties>{props}</t:AdditionalProperties>" if props else ""
    return (f'<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>{base}</t:BaseShape>{additional}'
            f'</m:ItemShape>{view}{extra}<m:ParentFolderIds>{folders}</m:ParentFolderIds></m:FindItem>')


def get_xml(ids: str, *, base: str = "IdOnly", shape_extra: str = "") -> str:
    return (f"<m:GetItem><m:ItemShape><t:BaseShape>{base}</t:BaseShape>{shape_extra}</m:ItemShape>"
            f"<m:ItemIds>{ids}</m:ItemIds></m:GetItem>")


def item_ref(row) -> str:
    return f'<t:ItemId Id="{encode_id("item", row.mailbox_id, row.id)}"/>'


def store_of(emu):
    return emu.backend.store


def folder_rows(emu, mailbox: str, well_known: str = "inbox", order: str = "received DESC, id DESC"):
    store = store_of(emu)
    owner = store.directory.by_smtp(mailbox)
    folder = store.folders.by_well_known(owner.id, well_known)
    return store.items.select("folder_id = ? AND is_associated = 0", (folder.id,), order=order)


# FindItem: pages, sorting, restrictions --------------------------------------------------------------
def test_newest_page_matches_the_store(emulator):
    acc = account(emulator, "alice", "support@example.com")
    page = list(acc.inbox.all().only("subject", "datetime_received", "is_read", "size")
                .order_by("-datetime_received")[:100])
    rows = folder_rows(emulator, "support@example.com")[:100]
    assert len(rows) == 100
    assert [(i.subject, int(i.datetime_received.timestamp()), i.is_read, i.size) for i in page] == \
        [(r.subject, r.received, r.is_read, r.size) for r in rows]


def test_sort_orders(emulator):
    acc = account(emulator, "alice", "support@example.com")
    by_subject = [i.subject for i in acc.inbox.all().only("subject").order_by("subject")]
    assert by_subject == sorted(by_subject, key=str.lower)
    sizes = [i.size for i in acc.inbox.all().only("size").order_by("-size")[:30]]
    assert sizes == sorted(sizes, reverse=True)
    oldest = acc.inbox.all().only("datetime_received").order_by("datetime_received")[0]
    assert int(oldest.datetime_received.timestamp()) == min(r.received for r in folder_rows(emulator,
                                                                                            "support@example.com"))


def test_restrictions_against_the_store(emulator):
    acc = account(emulator, "alice", "support@example.com")
    rows = folder_rows(emulator, "support@example.com")
    inbox = acc.inbox
    assert inbox.all().count() == len(rows)
    assert inbox.filter(is_read=False).count() == sum(not r.is_read for r in rows) > 0
    word = rows[0].subject.split()[0]
    assert inbox.filter(subject__contains=word).count() == sum(word in r.subject for r in rows) > 0
    assert inbox.filter(subject__icontains=word.upper()).count() == sum(word.lower() in r.subject.lower()
                                                                        for r in rows)
    assert inbox.filter(subject__startswith=word).count() == sum(r.subject.startswith(word) for r in rows)
    urgent = sum(any(c.lower() == "urgent" for c in r.categories) for r in rows)
    assert urgent > 0
    assert inbox.filter(categories__contains=["Urgent"]).count() == urgent
    assert inbox.filter(categories__contains=["urgent"]).count() == urgent  # case-insensitive, as Exchange
    with_attachments = sum(r.has_attachments for r in rows)
    assert inbox.filter(has_attachments=True).count() == with_attachments > 0
    high = sum(r.importance == "High" for r in rows)
    assert inbox.filter(importance="High").count() == high


def test_date_ranges_and_q_objects(emulator):
    acc = account(emulator, "alice", "support@example.com")
    rows = folder_rows(emulator, "support@example.com")
    tz = acc.default_timezone
    start = dt.datetime.fromtimestamp(rows[len(rows) // 2].received, dt.UTC)
    end = dt.datetime.fromtimestamp(rows[len(rows) // 4].received, dt.UTC)
    from exchangelib import EWSDateTime

    lo, hi = EWSDateTime.from_datetime(start).astimezone(tz), EWSDateTime.from_datetime(end).astimezone(tz)
    expected = sum(lo.timestamp() <= r.received <= hi.timestamp() for r in rows)
    assert acc.inbox.filter(datetime_received__range=(lo, hi)).count() == expected > 0
    assert acc.inbox.filter(datetime_received__gt=hi).count() == sum(r.received > hi.timestamp() for r in rows)
    word = rows[0].subject.split()[0]
    either = acc.inbox.filter(Q(is_read=False) | Q(subject__contains=word)).count()
    assert either == sum((not r.is_read) or word in r.subject for r in rows)
    neither = acc.inbox.filter(~Q(is_read=False) & ~Q(subject__contains=word)).count()
    assert neither == len(rows) - either
    assert acc.inbox.exclude(is_read=True).count() == sum(not r.is_read for r in rows)


def test_from_and_body_contains(emulator):
    acc = account(emulator, "alice", "support@example.com")
    rows = folder_rows(emulator, "support@example.com")
    sender = next(r for r in rows if r.from_addr)
    by_address = [r for r in rows if r.from_addr == sender.from_addr]
    body = soap(emulator, "alice", find_xml(
        folder_xml("support@example.com"), props='<t:FieldURI FieldURI="message:From"/>',
        extra=f'<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="message:From"/><t:FieldURIOrConstant>'
              f'<t:Constant Value="{sender.from_addr.upper()}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>'))
    found = body.findall(".//t:Message", NS)
    assert len(found) == len(by_address)
    assert {m.findtext("t:From/t:Mailbox/t:EmailAddress", namespaces=NS).lower() for m in found} == {sender.from_addr}
    store = store_of(emulator)
    text = store.db.connection().execute("SELECT body_text FROM items WHERE id = ?", (rows[0].id,)).fetchone()[0]
    phrase = " ".join(w for w in text.split() if w.isalpha())[:12].strip()
    hits = acc.inbox.filter(body__icontains=phrase).only("subject")
    assert rows[0].subject in {i.subject for i in hits}
    # A QueryString (AQS) term must appear in the subject, body or sender (a simplification of Exchange's search).
    word = max(rows[0].subject.split(), key=len)
    assert rows[0].subject in {i.subject for i in acc.inbox.filter(word).only("subject")}


def test_paging_covers_every_item_once(emulator):
    rows = folder_rows(emulator, "support@example.com")
    assert len(rows) >= 200
    seen, totals, offset, last_flags = [], set(), 0, []
    while True:
        body = soap(emulator, "alice", find_xml(
            folder_xml("support@example.com"),
            view=f'<m:IndexedPageItemView MaxEntriesReturned="50" Offset="{offset}" BasePoint="Beginning"/>',
            extra='<m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/>'
                  '</t:FieldOrder></m:SortOrder>'))
        root = body.find(".//m:RootFolder", NS)
        totals.add(root.get("TotalItemsInView"))
        ids = [el.get("Id") for el in root.iterfind("t:Items/*/t:ItemId", NS)]
        seen += ids
        last_flags.append(root.get("IncludesLastItemInRange"))
        assert int(root.get("IndexedPagingOffset")) == offset + len(ids)
        offset += len(ids)
        if root.get("IncludesLastItemInRange") == "true":
            break
    assert totals == {str(len(rows))}
    assert len(seen) == len(set(seen)) == len(rows)
    assert seen == [encode_id("item", r.mailbox_id, r.id) for r in rows]
    assert last_flags[:-1] == ["false"] * (len(last_flags) - 1)


def test_exchangelib_paging_with_small_pages(emulator):
    acc = account(emulator, "alice", "support@example.com")
    qs = acc.inbox.all().only("subject").order_by("-datetime_received")
    qs.page_size = 50
    ids = [i.id for i in qs]
    assert len(ids) == len(set(ids)) == len(folder_rows(emulator, "support@example.com"))


def test_base_point_end_and_fractional(emulator):
    rows = folder_rows(emulator, "support@example.com")
    body = soap(emulator, "alice", find_xml(
        folder_xml("support@example.com"),
        view='<m:IndexedPageItemView MaxEntriesReturned="10" Offset="0" BasePoint="End"/>'))
    root = body.find(".//m:RootFolder", NS)
    ids = [el.get("Id") for el in root.iterfind("t:Items/*/t:ItemId", NS)]
    assert ids == [encode_id("item", r.mailbox_id, r.id) for r in rows[-10:]]
    assert root.get("IncludesLastItemInRange") == "false"
    body = soap(emulator, "alice", find_xml(
        folder_xml("support@example.com"),
        view='<m:FractionalPageItemView MaxEntriesReturned="5" Numerator="1" Denominator="2"/>'))
    root = body.find(".//m:RootFolder", NS)
    assert root.get("AbsoluteDenominator") == str(len(rows))
    assert int(root.get("NumeratorOffset")) == len(rows) // 2 + 5
    first = root.find("t:Items/*/t:ItemId", NS).get("Id")
    assert first == encode_id("item", rows[len(rows) // 2].mailbox_id, rows[len(rows) // 2].id)


def test_several_folders_one_message_each(emulator):
    body = soap(emulator, "bob", find_xml(
        folder_xml("support@example.com") + folder_xml("sales@example.com") + folder_xml("hr@example.com"),
        view='<m:IndexedPageItemView MaxEntriesReturned="3" Offset="0" BasePoint="Beginning"/>'))
    assert codes(body) == ["NoError", "NoError", "ErrorAccessDenied"]
    counts = [len(r.findall("t:Items/*", NS)) for r in body.iterfind(".//m:RootFolder", NS)]
    assert counts == [3, 3]


def test_find_item_errors(emulator):
    # Body can't be used in FindItem; paths without an index answer as Exchange does.
    body = soap(emulator, "alice", find_xml(folder_xml("support@example.com"),
                                            props='<t:FieldURI FieldURI="item:Body"/>'))
    assert codes(body) == ["ErrorInvalidPropertyForOperation"]
    restriction = ('<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="item:Attachments"/><t:FieldURIOrConstant>'
                   '<t:Constant Value="x"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>')
    assert codes(soap(emulator, "alice", find_xml(folder_xml("support@example.com"), extra=restriction))) == \
        ["ErrorUnsupportedPathForQuery"]
    contains_date = ('<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">'
                     '<t:FieldURI FieldURI="item:DateTimeReceived"/><t:Constant Value="2026"/></t:Contains>'
                     '</m:Restriction>')
    assert codes(soap(emulator, "alice", find_xml(folder_xml("support@example.com"), extra=contains_date))) == \
        ["ErrorContainsFilterWrongType"]
    sort = ('<m:SortOrder><t:FieldOrder Order="Ascending"><t:FieldURI FieldURI="item:Body"/></t:FieldOrder>'
            '</m:SortOrder>')
    assert codes(soap(emulator, "alice", find_xml(folder_xml("support@example.com"), extra=sort))) == \
        ["ErrorUnsupportedPathForSortGroup"]


# Rights ----------------------------------------------------------------------------------------------
def test_denied_folders(emulator):
    # dave has no right on support@; bob is Reviewer on support@'s Inbox only; alice reads sales@ Inbox only.
    assert codes(soap(emulator, "dave", find_xml(folder_xml("support@example.com")))) == ["ErrorAccessDenied"]
    assert codes(soap(emulator, "bob", find_xml(folder_xml("support@example.com")))) == ["NoError"]
    assert codes(soap(emulator, "bob", find_xml(folder_xml("support@example.com", "sentitems")))) == \
        ["ErrorAccessDenied"]
    assert codes(soap(emulator, "alice", find_xml(folder_xml("sales@example.com", "sentitems")))) == \
        ["ErrorAccessDenied"]
    row = folder_rows(emulator, "support@example.com")[0]
    assert codes(soap(emulator, "dave", get_xml(item_ref(row)))) == ["ErrorAccessDenied"]
    dave = account(emulator, "dave")
    with pytest.raises(ErrorAccessDenied):
        list(dave.fetch([(encode_id("item", row.mailbox_id, row.id), None)]))


def test_effective_rights_follow_the_grants(emulator):
    alice = account(emulator, "alice")

    def rights_of(mailbox: str):
        row = folder_rows(emulator, mailbox)[0]
        item = list(alice.fetch([(encode_id("item", row.mailbox_id, row.id), None)],
                                only_fields=["effective_rights"]))[0]
        return item.effective_rights

    sales = rights_of("sales@example.com")  # Reviewer on Inbox
    assert (sales.read, sales.modify, sales.delete, sales.view_private_items) == (True, False, False, False)
    hr = rights_of("hr@example.com")  # Custom: edit all, delete none
    assert (hr.read, hr.modify, hr.delete) == (True, True, False)
    support = account(emulator, "alice", "support@example.com").inbox.all().only("effective_rights")[0]
    rights = support.effective_rights  # FullAccess
    assert (rights.read, rights.modify, rights.delete, rights.view_private_items) == (True, True, True, True)
    found = soap(emulator, "alice", find_xml(
        folder_xml("sales@example.com"), props='<t:FieldURI FieldURI="item:EffectiveRights"/>',
        view='<m:IndexedPageItemView MaxEntriesReturned="5" Offset="0" BasePoint="Beginning"/>'))
    assert {el.text for el in found.iterfind(".//t:EffectiveRights/t:Modify", NS)} == {"false"}


# GetItem ---------------------------------------------------------------------------------------------
def test_fetch_by_id_returns_full_items(emulator):
    acc = account(emulator, "alice", "support@example.com")
    rows = folder_rows(emulator, "support@example.com")[:25]
    items = list(acc.fetch([(encode_id("item", r.mailbox_id, r.id), None) for r in rows]))
    assert [i.subject for i in items] == [r.subject for r in rows]
    for item, row in zip(items, rows, strict=True):
        assert item.is_read == row.is_read
        assert item.has_attachments == row.has_attachments
        assert item.categories == (row.categories or None)
        assert item.sender is not None and item.to_recipients
        assert item.last_modified_name and item.last_modified_time is not None
        assert int(item.datetime_received.timestamp()) == row.received
        assert item.display_to == "; ".join(m.name for m in item.to_recipients)


def test_body_html_and_text(emulator):
    store = store_of(emulator)
    rows = folder_rows(emulator, "support@example.com")
    html_row = next(r for r in rows if b'BodyType="HTML"' in r.xml)
    ref = item_ref(html_row)
    html_body = soap(emulator, "alice", get_xml(ref, shape_extra="<t:BodyType>HTML</t:BodyType><t:AdditionalProperties>"
                                                 '<t:FieldURI FieldURI="item:Body"/></t:AdditionalProperties>'))
    body_el = html_body.find(".//t:Body", NS)
    assert body_el.get("BodyType") == "HTML" and "<" in body_el.text
    text = soap(emulator, "alice", get_xml(ref, shape_extra="<t:BodyType>Text</t:BodyType><t:AdditionalProperties>"
                                            '<t:FieldURI FieldURI="item:Body"/></t:AdditionalProperties>'))
    text_el = text.find(".//t:Body", NS)
    assert text_el.get("BodyType") == "Text"
    assert "<" not in text_el.text and ">" not in text_el.text
    stored = store.db.connection().execute("SELECT body_text FROM items WHERE id = ?", (html_row.id,)).fetchone()[0]
    assert " ".join(text_el.text.split()) == " ".join(stored.split())
    acc = account(emulator, "alice", "support@example.com")
    item = list(acc.fetch([(encode_id("item", html_row.mailbox_id, html_row.id), None)],
                          only_fields=["body", "text_body"]))[0]
    assert "<" in item.body and " ".join(item.text_body.split()) == " ".join(text_el.text.split())


def test_shapes_idonly_default_allproperties(emulator):
    row = next(r for r in folder_rows(emulator, "support@example.com") if r.has_attachments)
    ref = item_ref(row)
    idonly = soap(emulator, "alice", get_xml(ref)).find(".//t:Message", NS)
    assert [etree.QName(c).localname for c in idonly] == ["ItemId"]
    default = soap(emulator, "alice", get_xml(ref, base="Default")).find(".//t:Message", NS)
    names = [etree.QName(c).localname for c in default]
    assert {"ItemId", "Subject", "Body", "From", "ToRecipients", "IsRead", "Attachments"} <= set(names)
    assert "MimeContent" not in names
    full = soap(emulator, "alice", get_xml(ref, base="AllProperties")).find(".//t:Message", NS)
    all_names = {etree.QName(c).localname for c in full}
    assert {"ParentFolderId", "DateTimeReceived", "Size", "DateTimeCreated", "HasAttachments", "EffectiveRights",
            "LastModifiedName", "LastModifiedTime", "DisplayTo", "IsRead", "IsDraft"} <= all_names
    assert "ExtendedProperty" not in all_names  # only on request
    find_default = soap(emulator, "alice", find_xml(
        folder_xml("support@example.com"), base="Default",
        view='<m:IndexedPageItemView MaxEntriesReturned="1" Offset="0" BasePoint="Beginning"/>'))
    first = find_default.find(".//t:Items/*", NS)
    assert {"Subject", "DateTimeReceived", "From", "IsRead"} <= {etree.QName(c).localname for c in first}
    assert first.find("t:Body", NS) is None


def test_mime_content(emulator):
    row = next(r for r in folder_rows(emulator, "support@example.com") if r.has_attachments)
    body = soap(emulator, "alice", get_xml(item_ref(row), shape_extra="<t:IncludeMimeContent>true</t:IncludeMimeContent>"))
    mime = body.find(".//t:MimeContent", NS)
    assert mime.get("CharacterSet") == "UTF-8"
    msg = email.message_from_bytes(base64.b64decode(mime.text), policy=policy.default)
    assert msg["Subject"] == row.subject
    assert row.from_addr in msg["From"].lower()
    names = [part.get_filename() for part in msg.iter_attachments()]
    stored = [a["name"] for a in store_of(emulator).items.attachments(row.id)]
    assert names == stored


def test_attachments_metadata_and_content(emulator):
    store = store_of(emulator)
    row = next(r for r in folder_rows(emulator, "support@example.com") if r.has_attachments)
    acc = account(emulator, "alice", "support@example.com")
    item = list(acc.fetch([(encode_id("item", row.mailbox_id, row.id), None)]))[0]
    stored = store.items.attachments(row.id)
    assert [(a.name, a.content_type, a.size, a.is_inline) for a in item.attachments] == \
        [(s["name"], s["content_type"], s["size"], bool(s["is_inline"])) for s in stored]
    for att, meta in zip(item.attachments, stored, strict=True):
        assert att.content == store.items.attachment(meta["id"])["content"]
    # dave may not read it; a malformed attachment id is malformed.
    att_id = encode_id("attachment", row.mailbox_id, stored[0]["id"])
    req = (f'<m:GetAttachment><m:AttachmentIds><t:AttachmentId Id="{att_id}"/><t:AttachmentId Id="nope"/>'
           f'</m:AttachmentIds></m:GetAttachment>')
    assert codes(soap(emulator, "dave", req)) == ["ErrorAccessDenied", "ErrorInvalidIdMalformed"]
    ok = soap(emulator, "bob", req)  # bob is Reviewer on support@'s Inbox
    assert codes(ok)[0] == "NoError"
    assert base64.b64decode(ok.find(".//t:FileAttachment/t:Content", NS).text) == \
        store.items.attachment(stored[0]["id"])["content"]


def test_item_attachment(fresh_emulator):
    store = store_of(fresh_emulator)
    row = folder_rows(fresh_emulator, "support@example.com")[0]
    inner = (f'<t:Message xmlns:t="{T}"><t:Subject>Forwarded original</t:Subject>'
             f'<t:Body BodyType="HTML">&lt;p&gt;Original &lt;b&gt;text&lt;/b&gt;&lt;/p&gt;</t:Body>'
             f'<t:From><t:Mailbox><t:Name>Jane</t:Name><t:EmailAddress>jane@contoso.com</t:EmailAddress>'
             f'</t:Mailbox></t:From></t:Message>').encode()
    with store.db.tx() as con:
        att = store.items.add_attachment(con, row.id, "Forwarded original", "message/rfc822", item_xml=inner)
    ref = f'<t:AttachmentId Id="{encode_id("attachment", row.mailbox_id, att)}"/>'
    body = soap(fresh_emulator, "alice", f'<m:GetAttachment><m:AttachmentShape><t:BodyType>Text</t:BodyType>'
                                         f'</m:AttachmentShape><m:AttachmentIds>{ref}</m:AttachmentIds>'
                                         f'</m:GetAttachment>')
    message = body.find(".//t:ItemAttachment/t:Message", NS)
    assert message.findtext("t:Subject", namespaces=NS) == "Forwarded original"
    assert message.find("t:Body", NS).get("BodyType") == "Text"
    assert message.findtext("t:Body", namespaces=NS) == "Original text"
    acc = account(fresh_emulator, "alice", "support@example.com")
    item = list(acc.fetch([(encode_id("item", row.mailbox_id, row.id), None)]))[0]
    attached = [a for a in item.attachments if a.name == "Forwarded original"][0]
    assert attached.item.subject == "Forwarded original"


def test_extended_property_flag(emulator, flag_field):
    rows = folder_rows(emulator, "support@example.com")
    flagged = {r.id for r in rows if b'PropertyTag="0x1090"' in r.xml}
    assert flagged
    acc = account(emulator, "alice", "support@example.com")
    items = list(acc.fetch([(encode_id("item", r.mailbox_id, r.id), None) for r in rows[:60]],
                           only_fields=["subject", "flag_status"]))
    for item, row in zip(items, rows[:60], strict=True):
        assert item.flag_status == (2 if row.id in flagged else None)
    assert acc.inbox.filter(flag_status=2).count() == len(flagged)
    # A decimal tag names the same property; the answer echoes Exchange's hex form.
    ref = item_ref(next(r for r in rows if r.id in flagged))
    body = soap(emulator, "alice", get_xml(ref, shape_extra='<t:AdditionalProperties><t:ExtendedFieldURI '
                                                 'PropertyTag="4240" PropertyType="Integer"/></t:AdditionalProperties>'))
    prop = body.find(".//t:ExtendedProperty", NS)
    assert prop.find("t:ExtendedFieldURI", NS).get("PropertyTag") == "0x1090"
    assert prop.findtext("t:Value", namespaces=NS) == "2"


def test_contact_indexed_fields(emulator):
    store = store_of(emulator)
    owner = store.directory.by_smtp("support@example.com")
    folder = store.folders.by_well_known(owner.id, "contacts")
    row = next(r for r in store.items.select("folder_id = ? AND element = 'Contact'", (folder.id,))
               if b'Key="EmailAddress1"' in r.xml)
    stored = etree.fromstring(row.xml)
    expected = stored.findtext("t:EmailAddresses/t:Entry[@Key='EmailAddress1']", namespaces=NS)
    body = soap(emulator, "alice", get_xml(item_ref(row), shape_extra=(
        '<t:AdditionalProperties><t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"/>'
        '<t:FieldURI FieldURI="contacts:DisplayName"/></t:AdditionalProperties>')))
    contact = body.find(".//t:Contact", NS)
    entries = contact.findall("t:EmailAddresses/t:Entry", NS)
    assert [(e.get("Key"), e.text) for e in entries] == [("EmailAddress1", expected)]
    assert contact.findtext("t:DisplayName", namespaces=NS) == row.display_name
    acc = account(emulator, "alice", "support@example.com")
    names = {c.display_name for c in acc.contacts.all().only("display_name")}
    assert row.display_name in names


def test_contact_dictionaries_and_groups(fresh_emulator):
    store = store_of(fresh_emulator)
    owner = store.directory.by_smtp("support@example.com")
    folder = store.folders.by_well_known(owner.id, "contacts")
    contact = etree.fromstring(
        f'<t:Contact xmlns:t="{T}"><t:FileAs>Doe, Jo</t:FileAs><t:DisplayName>Jo Doe</t:DisplayName>'
        '<t:GivenName>Jo</t:GivenName><t:EmailAddresses><t:Entry Key="EmailAddress1">jo@contoso.com</t:Entry>'
        '<t:Entry Key="EmailAddress2">jo.doe@home.example</t:Entry></t:EmailAddresses>'
        '<t:PhysicalAddresses><t:Entry Key="Business"><t:Street>1 Main St</t:Street><t:City>Springfield</t:City>'
        '<t:PostalCode>12345</t:PostalCode></t:Entry></t:PhysicalAddresses>'
        '<t:PhoneNumbers><t:Entry Key="MobilePhone">+1 555 0100</t:Entry><t:Entry Key="BusinessPhone">+1 555 0101'
        '</t:Entry></t:PhoneNumbers><t:Surname>Doe</t:Surname></t:Contact>')
    with store.db.tx() as con:
        row = store.items.insert(con, owner.id, folder.id, contact, created_by=owner.id, modifier_name="Test")
    acc = account(fresh_emulator, "alice", "support@example.com")
    item = list(acc.fetch([(encode_id("item", row.mailbox_id, row.id), None)],
                          only_fields=["email_addresses", "phone_numbers", "physical_addresses", "display_name"]))[0]
    assert {(e.label, e.email) for e in item.email_addresses} == {("EmailAddress1", "jo@contoso.com"),
                                                                  ("EmailAddress2", "jo.doe@home.example")}
    assert {(p.label, p.phone_number) for p in item.phone_numbers} == {("MobilePhone", "+1 555 0100"),
                                                                       ("BusinessPhone", "+1 555 0101")}
    [address] = item.physical_addresses
    assert (address.label, address.street, address.city, address.zipcode, address.state) == \
        ("Business", "1 Main St", "Springfield", "12345", None)
    body = soap(fresh_emulator, "alice", get_xml(item_ref(row), shape_extra=(
        '<t:AdditionalProperties><t:IndexedFieldURI FieldURI="contacts:PhysicalAddress:City" FieldIndex="Business"/>'
        '<t:IndexedFieldURI FieldURI="contacts:PhoneNumber" FieldIndex="MobilePhone"/></t:AdditionalProperties>')))
    entry = body.find(".//t:PhysicalAddresses/t:Entry", NS)
    assert [etree.QName(c).localname for c in entry] == ["City"]
    assert [e.get("Key") for e in body.iterfind(".//t:PhoneNumbers/t:Entry", NS)] == ["MobilePhone"]
    groups = store.items.select("folder_id = ? AND element = 'DistributionList'", (folder.id,))
    assert groups
    group = list(acc.fetch([(encode_id("item", groups[0].mailbox_id, groups[0].id), None)]))[0]
    stored = etree.fromstring(groups[0].xml).findall("t:Members/t:Member/t:Mailbox/t:EmailAddress", NS)
    assert [m.mailbox.email_address for m in group.members] == [e.text for e in stored]


def test_bad_and_deleted_ids(fresh_emulator):
    store = store_of(fresh_emulator)
    row = folder_rows(fresh_emulator, "support@example.com")[0]
    with store.db.tx() as con:
        store.items.delete(con, row)
    acc = account(fresh_emulator, "alice", "support@example.com")
    results = list(acc.fetch([("bm90LWFuLWlk", None), (encode_id("item", row.mailbox_id, row.id), None),
                              (encode_id("folder", row.mailbox_id, row.folder_id), None)]))
    assert isinstance(results[0], ErrorInvalidIdMalformed)
    assert isinstance(results[1], ErrorItemNotFound)
    assert isinstance(results[2], ErrorInvalidIdMalformed)  # a folder id is no item id


def test_categories_round_trip(emulator):
    rows = [r for r in folder_rows(emulator, "support@example.com") if r.categories]
    acc = account(emulator, "alice", "support@example.com")
    items = list(acc.fetch([(encode_id("item", r.mailbox_id, r.id), None) for r in rows],
                           only_fields=["categories"]))
    assert rows and [i.categories for i in items] == [r.categories for r in rows]
