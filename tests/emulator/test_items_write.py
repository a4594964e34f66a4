"""Changing items through the emulator: CreateItem (save), UpdateItem, DeleteItem, MoveItem, CopyItem and
attachments, driven by exchangelib over HTTP (plus a few hand-written SOAP requests for the edge cases
exchangelib never sends). Rights follow the demo tenant's grant table.
"""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from exchangelib import (
    CalendarItem,
    Contact,
    DistributionList,
    EWSDateTime,
    EWSTimeZone,
    ExtendedProperty,
    FileAttachment,
    ItemAttachment,
    Mailbox,
    Message,
    Task,
)
from exchangelib.errors import (
    ErrorAccessDenied,
    ErrorCalendarEndDateIsEarlierThanStartDate,
    ErrorCannotCreateCalendarItemInNonCalendarFolder,
    ErrorIrresolvableConflict,
    ErrorItemNotFound,
)
from exchangelib.folders import Inbox
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.properties import DistinguishedFolderId, Member
from exchangelib.recurrence import Recurrence, WeeklyPattern
from lxml import etree

from ews_emulator.store.ids import encode_id
from tests.support.emulator import account, extended_field

M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"


class FlagStatus(ExtendedProperty):
    """PR_FLAG_STATUS: 2 = flagged, 1 = complete (exchangelib has no item:Flag field)."""

    property_tag = 0x1090
    property_type = "Integer"


@pytest.fixture
def flag_field():
    with extended_field(Message, "flag_status", FlagStatus):
        yield


def shared_inbox(acc, mailbox: str) -> Inbox:
    """Another mailbox's Inbox reached through the user's own account (works with folder rights only).

    WORKAROUND: exchangelib 5.6.0 gives the resolved folder a DistinguishedFolderId of the *account's* mailbox,
    so later requests would name the user's own Inbox; keep only the FolderId.
    """
    folder = Inbox(root=acc.root, _distinguished_id=DistinguishedFolderId(
        id="inbox", mailbox=Mailbox(email_address=mailbox)))
    resolved = Inbox.resolve(account=acc, folder=folder)
    return Inbox(root=acc.root, id=resolved.id, changekey=resolved.changekey)


def newest(folder):
    return folder.all().order_by("-datetime_received")[0]


def soap(emu, user: str, body: str) -> etree._Element:
    """POST a hand-written request (Basic auth) and return the response's body element."""
    envelope = (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
                f' xmlns:m="{M}" xmlns:t="{T}"><s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>'
                f'<s:Body>{body}</s:Body></s:Envelope>')
    resp = requests.post(emu.ews_url, data=envelope.encode(), auth=(f"{user}@example.com", f"{user}-pass"),
                         headers={"Content-Type": "text/xml; charset=utf-8"}, timeout=30)
    assert resp.status_code == 200, resp.text[:500]
    return etree.fromstring(resp.content).find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def codes(root: etree._Element) -> list[str]:
    return [el.text for el in root.iter(f"{{{M}}}ResponseCode")]


# UpdateItem -------------------------------------------------------------------------------------
def test_update_read_state_categories_subject_and_flag(fresh_emulator, flag_field):
    support = account(fresh_emulator, "alice", "support@example.com")
    item = newest(support.inbox)
    before = item.changekey
    item.is_read = not item.is_read
    item.save(update_fields=["is_read"])
    assert item.changekey != before
    item.categories = ["Urgent", "Billing"]
    item.subject = "Renamed by Alice"
    item.flag_status = 2
    item.save(update_fields=["categories", "subject", "flag_status"])

    got = support.inbox.get(id=item.id)
    assert got.is_read is item.is_read
    assert got.categories == ["Urgent", "Billing"]
    assert got.subject == "Renamed by Alice"
    assert got.flag_status == 2
    assert got.last_modified_name == "Alice Archer"
    assert got.changekey == item.changekey

    got.categories = None
    got.flag_status = None
    got.save(update_fields=["categories", "flag_status"])
    again = support.inbox.get(id=item.id)
    assert again.categories is None and again.flag_status is None


def test_stale_changekey(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    item = newest(support.inbox)
    stale = support.inbox.get(id=item.id)
    item.subject = "First writer"
    item.save(update_fields=["subject"])
    stale.subject = "Second writer"
    with pytest.raises(ErrorIrresolvableConflict):
        stale.save(update_fields=["subject"], conflict_resolution="NeverOverwrite")
    assert support.inbox.get(id=item.id).subject == "First writer"
    stale.save(update_fields=["subject"], conflict_resolution="AlwaysOverwrite")
    assert support.inbox.get(id=item.id).subject == "Second writer"


def test_alice_on_hr_inbox_may_create_and_edit_but_not_delete(fresh_emulator):
    alice = account(fresh_emulator, "alice")
    inbox = shared_inbox(alice, "hr@example.com")
    note = Message(account=alice, folder=inbox, subject="Note for HR", body="Leave request")
    note.save()
    note.subject = "Note for HR (updated)"
    note.save(update_fields=["subject"])
    assert inbox.get(id=note.id).subject == "Note for HR (updated)"
    with pytest.raises(ErrorAccessDenied):
        note.delete()
    seeded = newest(inbox)
    with pytest.raises(ErrorAccessDenied):
        seeded.move_to_trash()
    seeded.categories = ["Urgent"]
    seeded.save(update_fields=["categories"])  # EditItems All
    assert inbox.get(id=seeded.id).categories == ["Urgent"]


def test_alice_as_reviewer_on_sales_inbox(fresh_emulator):
    alice = account(fresh_emulator, "alice")
    inbox = shared_inbox(alice, "sales@example.com")
    item = newest(inbox)
    item.subject = "Changed by a reviewer"
    with pytest.raises(ErrorAccessDenied):
        item.save(update_fields=["subject"])
    with pytest.raises(ErrorAccessDenied):
        item.delete()
    with pytest.raises(ErrorAccessDenied):
        Message(account=alice, folder=inbox, subject="Reviewer creates", body="x").save()
    with pytest.raises(ErrorAccessDenied):
        item.move(alice.inbox)
    # The read state is not an edit: a Reviewer may mark items read or unread, as in Exchange.
    fresh = inbox.get(id=item.id)
    fresh.is_read = not fresh.is_read
    fresh.save(update_fields=["is_read"])
    assert inbox.get(id=item.id).is_read is fresh.is_read
    assert inbox.get(id=item.id).subject != "Changed by a reviewer"


# DeleteItem -------------------------------------------------------------------------------------
def _rows(emu, mailbox: str, folder: str, subject: str):
    store = emu.backend.store
    rec = store.directory.by_smtp(mailbox)
    return store.items.select("folder_id = ? AND subject = ?", (store.folders.by_well_known(rec.id, folder).id, subject))


def test_move_to_deleted_items_stays_in_the_shared_mailbox(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    item = newest(support.inbox)
    item.subject = "Trash me"
    item.save(update_fields=["subject"])
    subject, old_id = item.subject, item.id
    item.move_to_trash()
    [trashed] = list(support.trash.filter(subject=subject))
    assert list(account(fresh_emulator, "alice").trash.filter(subject=subject)) == []
    with pytest.raises(ErrorItemNotFound):
        support.inbox.get(id=old_id)
    trashed.move_to_trash()  # already in Deleted Items: soft-deleted into the dumpster
    assert list(support.trash.filter(subject=subject)) == []
    assert len(_rows(fresh_emulator, "support@example.com", "recoverableitemsdeletions", subject)) == 1


def test_soft_and_hard_delete(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    items = list(support.inbox.all().order_by("-datetime_received")[:2])
    for n, item in enumerate(items):
        item.subject = f"Doomed {n}"
        item.save(update_fields=["subject"])
    items[0].soft_delete()
    assert len(_rows(fresh_emulator, "support@example.com", "recoverableitemsdeletions", items[0].subject)) == 1
    hard_id = items[1].id
    items[1].delete()
    with pytest.raises(ErrorItemNotFound):
        support.inbox.get(id=hard_id)
    for folder in ("inbox", "deleteditems", "recoverableitemsdeletions"):
        assert _rows(fresh_emulator, "support@example.com", folder, items[1].subject) == []


def test_delete_errors(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    gone = newest(support.inbox)
    gone_id = gone.id
    gone.delete()
    root = soap(fresh_emulator, "alice", f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>'
                f'<t:ItemId Id="{gone_id}"/><t:ItemId Id="bm90IGFuIGlk"/></m:ItemIds></m:DeleteItem>')
    assert codes(root) == ["ErrorItemNotFound", "ErrorInvalidIdMalformed"]
    dave_try = soap(fresh_emulator, "dave", f'<m:DeleteItem DeleteType="HardDelete"><m:ItemIds>'
                    f'<t:ItemId Id="{newest(support.inbox).id}"/></m:ItemIds></m:DeleteItem>')
    assert codes(dave_try) == ["ErrorAccessDenied"]


# MoveItem / CopyItem ----------------------------------------------------------------------------
def test_move_and_copy_inside_support(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    done = support.inbox / "Done"
    item = newest(support.inbox)
    old_id = item.id
    item.move(done)
    assert item.id and item.id != old_id
    assert done.get(id=item.id).subject == item.subject
    with pytest.raises(ErrorItemNotFound):
        support.inbox.get(id=old_id)
    new_id, new_key = item.copy(support.inbox / "Bugs")
    assert new_id not in (item.id, old_id) and new_key
    assert (support.inbox / "Bugs").get(id=new_id).subject == item.subject
    assert done.get(id=item.id).subject == item.subject  # the original stays


def test_move_across_mailboxes_support_to_billing(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    billing = account(fresh_emulator, "alice", "billing@example.com")
    item, copied = list(support.inbox.all().order_by("-datetime_received")[:2])
    for one, subject in ((item, "Moving to billing"), (copied, "Copying to billing")):
        one.subject = subject
        one.save(update_fields=["subject"])
    old_id = item.id
    item.move(billing.inbox)
    assert item.id is None  # Exchange returns no id across mailboxes
    assert [i.subject for i in billing.inbox.filter(subject="Moving to billing")] == ["Moving to billing"]
    with pytest.raises(ErrorItemNotFound):
        support.inbox.get(id=old_id)
    assert copied.copy(billing.inbox) is None
    assert len(list(billing.inbox.filter(subject="Copying to billing"))) == 1
    assert support.inbox.get(id=copied.id).subject == "Copying to billing"


def test_reviewer_may_copy_out_but_not_move(fresh_emulator):
    bob = account(fresh_emulator, "bob")
    inbox = shared_inbox(bob, "support@example.com")
    item = newest(inbox)
    with pytest.raises(ErrorAccessDenied):
        item.move(bob.inbox)
    before = {i.id for i in bob.inbox.filter(subject=item.subject)}
    assert item.copy(bob.inbox) is None
    [copy] = [i for i in bob.inbox.filter(subject=item.subject) if i.id not in before]
    copy.subject = "Bob's copy"
    copy.save(update_fields=["subject"])  # his own mailbox: he may edit the copy
    hr_inbox = Inbox(root=bob.root, id=shared_inbox(account(fresh_emulator, "alice"), "hr@example.com").id)
    with pytest.raises(ErrorAccessDenied):
        item.copy(hr_inbox)  # no right to create items in hr@'s Inbox


def test_move_item_raw_answers(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    item = newest(support.inbox)
    quiet = soap(fresh_emulator, "alice", f'<m:MoveItem><m:ToFolderId><t:DistinguishedFolderId Id="drafts">'
                 f'<t:Mailbox><t:EmailAddress>support@example.com</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId>'
                 f'</m:ToFolderId><m:ItemIds><t:ItemId Id="{item.id}"/></m:ItemIds>'
                 f'<m:ReturnNewItemIds>false</m:ReturnNewItemIds></m:MoveItem>')
    assert codes(quiet) == ["NoError"]
    assert len(quiet.find(f".//{{{M}}}Items")) == 0
    nowhere = encode_id("folder", fresh_emulator.backend.store.directory.by_smtp("support@example.com").id, 10**9)
    missing = soap(fresh_emulator, "alice", f'<m:CopyItem><m:ToFolderId><t:FolderId Id="{nowhere}"/></m:ToFolderId>'
                   f'<m:ItemIds><t:ItemId Id="{newest(support.inbox).id}"/></m:ItemIds></m:CopyItem>')
    assert codes(missing) == ["ErrorToFolderNotFound"]


# Attachments ------------------------------------------------------------------------------------
def test_attachments_create_and_delete(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="With attachments", body="x")
    draft.attach(FileAttachment(name="inline-created.txt", content=b"one"))
    draft.save()  # attachments inside CreateItem
    assert draft.attachments[0].attachment_id is not None
    key = draft.changekey
    later = FileAttachment(name="later.csv", content=b"a,b\n1,2\n", content_type="text/csv")
    draft.attach(later)  # CreateAttachment
    assert later.attachment_id is not None and draft.changekey != key
    got = support.drafts.get(id=draft.id)
    assert sorted(a.name for a in got.attachments) == ["inline-created.txt", "later.csv"]
    assert got.has_attachments is True
    key = draft.changekey
    draft.detach(later)  # DeleteAttachment
    got = support.drafts.get(id=draft.id)
    assert [a.name for a in got.attachments] == ["inline-created.txt"]
    assert got.changekey != key


def test_item_attachment(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="Forward as attachment", body="x")
    draft.save()
    draft.attach(ItemAttachment(name="Original mail", item=Message(subject="Inner", body="Inner body")))
    got = support.drafts.get(id=draft.id)
    assert [(type(a).__name__, a.name) for a in got.attachments] == [("ItemAttachment", "Original mail")]


def test_reviewer_cannot_add_attachments(fresh_emulator):
    alice = account(fresh_emulator, "alice")
    item = newest(shared_inbox(alice, "sales@example.com"))
    with pytest.raises(ErrorAccessDenied):
        item.attach(FileAttachment(name="x.txt", content=b"x"))


# Other item kinds -------------------------------------------------------------------------------
def test_contact_and_group(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    contact = Contact(folder=support.contacts, display_name="Ann Lee", given_name="Ann", surname="Lee",
                      company_name="Contoso", email_addresses=[EmailAddress(email="ann@contoso.com", label="EmailAddress1")],
                      phone_numbers=[PhoneNumber(label="BusinessPhone", phone_number="+1 555 0100")])
    contact.save()
    contact.job_title = "Buyer"
    contact.email_addresses = [EmailAddress(email="ann.lee@contoso.com", label="EmailAddress1")]
    contact.physical_addresses = [PhysicalAddress(label="Business", street="1 Main St", city="Springfield")]
    contact.save(update_fields=["job_title", "email_addresses", "physical_addresses"])
    got = support.contacts.get(id=contact.id)
    assert got.job_title == "Buyer"
    assert [(e.label, e.email) for e in got.email_addresses] == [("EmailAddress1", "ann.lee@contoso.com")]
    assert [(p.label, p.phone_number) for p in got.phone_numbers] == [("BusinessPhone", "+1 555 0100")]
    assert [(a.label, a.street, a.city) for a in got.physical_addresses] == [("Business", "1 Main St", "Springfield")]
    got.surname = "Lee-Smith"
    got.save()  # a full save: every settable field set or deleted
    assert support.contacts.get(id=contact.id).surname == "Lee-Smith"

    group = DistributionList(folder=support.contacts, display_name="Key accounts",
                             members=[Member(mailbox=Mailbox(email_address="ann@contoso.com"))])
    group.save()
    group.members = [Member(mailbox=Mailbox(email_address="ann@contoso.com")),
                     Member(mailbox=Mailbox(email_address="bo@fabrikam.net"))]
    group.save(update_fields=["members"])
    got = support.contacts.get(id=group.id)
    assert sorted(mb.mailbox.email_address for mb in got.members) == ["ann@contoso.com", "bo@fabrikam.net"]


def test_calendar_item_with_recurrence_and_task(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    tz = EWSTimeZone("UTC")
    start = EWSDateTime(2030, 1, 7, 9, 0, tzinfo=tz)
    event = CalendarItem(folder=support.calendar, subject="Weekly triage", start=start,
                         end=start + dt.timedelta(minutes=30), location="Room 101",
                         recurrence=Recurrence(pattern=WeeklyPattern(interval=1, weekdays=[1]), start=start.date(),
                                               number=4))
    event.save()
    event.location = "Room 202"
    event.save(update_fields=["location"])
    got = support.calendar.get(id=event.id)
    assert got.location == "Room 202" and got.subject == "Weekly triage"
    row = fresh_emulator.backend.store.items.select("subject = ?", ("Weekly triage",))[0]
    assert row.recurring and b"NumberedRecurrence" in row.xml

    event.end = start - dt.timedelta(hours=1)
    with pytest.raises(ErrorCalendarEndDateIsEarlierThanStartDate):
        event.save(update_fields=["end"])
    with pytest.raises(ErrorCannotCreateCalendarItemInNonCalendarFolder):
        CalendarItem(folder=support.inbox, subject="Wrong place", start=start,
                     end=start + dt.timedelta(hours=1)).save()

    task = Task(folder=support.tasks, subject="Call the customer back")
    task.save()
    assert support.tasks.get(id=task.id).subject == "Call the customer back"


# Edge cases exchangelib does not produce --------------------------------------------------------
def test_update_item_change_descriptions(fresh_emulator):
    support = account(fresh_emulator, "alice", "support@example.com")
    draft = Message(account=support, folder=support.drafts, subject="Append test", body="x",
                    to_recipients=[Mailbox(email_address="bob@example.com")])
    draft.save()

    def update(change: str, key: str) -> etree._Element:
        return soap(fresh_emulator, "alice",
                    f'<m:UpdateItem ConflictResolution="AlwaysOverwrite" MessageDisposition="SaveOnly"><m:ItemChanges>'
                    f'<t:ItemChange><t:ItemId Id="{draft.id}" ChangeKey="{key}"/><t:Updates>{change}</t:Updates>'
                    f'</t:ItemChange></m:ItemChanges></m:UpdateItem>')

    appended = update('<t:AppendToItemField><t:FieldURI FieldURI="message:ToRecipients"/><t:Message><t:ToRecipients>'
                      '<t:Mailbox><t:EmailAddress>carol@example.com</t:EmailAddress></t:Mailbox></t:ToRecipients>'
                      '</t:Message></t:AppendToItemField>', draft.changekey)
    assert codes(appended) == ["NoError"]
    assert appended.find(f".//{{{M}}}ConflictResults/{{{T}}}Count").text == "0"
    got = support.drafts.get(id=draft.id)
    assert [r.email_address for r in got.to_recipients] == ["bob@example.com", "carol@example.com"]

    bad_append = update('<t:AppendToItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>!</t:Subject>'
                        '</t:Message></t:AppendToItemField>', got.changekey)
    mismatch = update('<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Importance>High'
                      '</t:Importance></t:Message></t:SetItemField>', got.changekey)
    too_many = update('<t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>a</t:Subject>'
                      '<t:Importance>High</t:Importance></t:Message></t:SetItemField>', got.changekey)
    read_only = update('<t:SetItemField><t:FieldURI FieldURI="item:DateTimeSent"/><t:Message>'
                       '<t:DateTimeSent>2030-01-01T00:00:00Z</t:DateTimeSent></t:Message></t:SetItemField>',
                       got.changekey)
    assert [codes(r) for r in (bad_append, mismatch, too_many, read_only)] == [
        ["ErrorInvalidPropertyAppend"], ["ErrorUpdatePropertyMismatch"], ["ErrorIncorrectUpdatePropertyCount"],
        ["ErrorInvalidPropertySet"]]
    assert bad_append.find(f".//{{{M}}}Items") is not None  # schema: error messages carry an empty Items


def test_create_and_send_request_checks(fresh_emulator):
    no_disposition = soap(fresh_emulator, "alice", '<m:CreateItem><m:Items><t:Message><t:Subject>x</t:Subject>'
                                                   '</t:Message></m:Items></m:CreateItem>')
    assert codes(no_disposition) == ["ErrorMessageDispositionRequired"]
    no_recipients = soap(fresh_emulator, "alice", '<m:CreateItem MessageDisposition="SendOnly"><m:Items><t:Message>'
                                                  '<t:Subject>x</t:Subject></t:Message></m:Items></m:CreateItem>')
    assert codes(no_recipients) == ["ErrorInvalidRecipients"]
    alice = account(fresh_emulator, "alice")
    draft = Message(account=alice, folder=alice.drafts, subject="Save settings", body="x",
                    to_recipients=[Mailbox(email_address="bob@example.com")])
    draft.save()
    bad = soap(fresh_emulator, "alice", f'<m:SendItem SaveItemToFolder="false"><m:ItemIds><t:ItemId Id="{draft.id}"/>'
                                        '</m:ItemIds><m:SavedItemFolderId><t:DistinguishedFolderId Id="sentitems"/>'
                                        '</m:SavedItemFolderId></m:SendItem>')
    assert codes(bad) == ["ErrorInvalidSendItemSaveSettings"]
    assert alice.drafts.get(id=draft.id).subject == "Save settings"
