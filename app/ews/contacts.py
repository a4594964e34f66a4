"""Contacts folders (list, search, read, create, change, delete contacts and contact groups) and the directory.

A folder's list is one FindItem (``IdOnly`` plus the fields the list and the detail view show; Exchange returns
the indexed e-mail, phone and address fields in FindItem). Notes and group members come with one GetItem when a
contact or group is opened. Requests go out under the mailbox's ``Account`` with explicit folder ids
(:mod:`app.ews.addressing`), so a delegate with rights on the Contacts folder only works as well as full access.

Photos: Exchange keeps a contact's picture as a file attachment with ``IsContactPhoto`` (exchangelib 5.6.0 has
no GetUserPhoto); :func:`photo` reads it when ``HasPicture`` says there is one, :func:`set_photo` replaces or
removes it (DeleteAttachment of the old picture, CreateAttachment of the new one, as Outlook does).

Directory: :func:`search_directory` is ResolveNames with full contact data (the GAL), :func:`expand_group`
is ExpandDL for a directory group.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence

from exchangelib.account import Account
from exchangelib.attachments import FileAttachment
from exchangelib.fields import FieldOrder, FieldPath
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import ID_ONLY, SHALLOW, DistributionList
from exchangelib.items import Contact as EwsContact
from exchangelib.properties import DLMailbox, ItemId, Mailbox, Member, ParentItemId
from exchangelib.restriction import Q, Restriction
from exchangelib.services import (
    CreateAttachment,
    CreateItem,
    DeleteAttachment,
    DeleteItem,
    ExpandDL,
    FindItem,
)

from app.domain.contacts import (
    ADDRESS_KINDS,
    MAX_EMAILS,
    PHONE_KINDS,
    Contact,
    ContactGroup,
    ContactList,
    PostalAddress,
    too_long,
)
from app.domain.errors import ServerError, ValueTooLong
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.ews.addressing import WholeBodyParsing, WholeGetItem, folder_id, folder_object, place, run
from app.ews.client import EwsClient
from app.ews.directory import resolve_full

_PAGE = 1000
_LIST_FIELDS = ("display_name", "given_name", "surname", "company_name", "job_title", "department",
                "email_addresses", "phone_numbers", "physical_addresses", "has_picture")
_DETAIL_FIELDS = (*_LIST_FIELDS, "body", "attachments")
_CONTACT_UPDATE = ("display_name", "given_name", "surname", "company_name", "job_title", "department",
                   "email_addresses", "phone_numbers", "physical_addresses", "body")


class _FindItem(WholeBodyParsing, FindItem):
    """FindItem, the body parsed in one piece."""


def _paths(names: tuple[str, ...]) -> list[FieldPath]:
    out: list[FieldPath] = []
    for name in names:
        out.append(FieldPath(field=EwsContact.get_field_by_fieldname(name)))
    return out


def _denied(what: str, ref: FolderRef) -> str:
    return (f"You may not {what} in {place(ref)}: the mailbox's owner has not given you that permission on its "
            "Contacts folder.")


# -- reading ---------------------------------------------------------------------------------------------------
def list_contacts(client: EwsClient, folder: FolderRef, search: str = "",
                  on_wait: Callable[[str], None] | None = None) -> ContactList:
    """Every contact and contact group of a Contacts folder (one FindItem), sorted by name.

    Args:
        search: When given, only items whose display name contains it (a server-side restriction).

    Raises:
        AccessDenied: The user may not read the folder (the reason says so).
    """
    account = client.account(folder.mailbox)
    fid = folder_id(folder)

    def find() -> ContactList:
        target = folder_object(account, fid)
        restriction = None
        text = search.strip()
        if text:
            restriction = Restriction(Q(display_name__icontains=text), folders=[target],
                                      applies_to=Restriction.ITEMS)
        fields = {p for f in _paths(_LIST_FIELDS) for p in f.expand(version=account.version)}
        order = [FieldOrder(field_path=FieldPath(field=EwsContact.get_field_by_fieldname("display_name")))]
        items = _FindItem(account=account, page_size=_PAGE).call(
            folders=[target], additional_fields=fields, restriction=restriction, order_fields=order,
            shape=ID_ONLY, query_string=None, depth=SHALLOW, calendar_view=None, max_items=None, offset=0)
        out = ContactList(folder)
        for item in items:
            if isinstance(item, Exception):
                raise item
            if isinstance(item, DistributionList):
                out.groups.append(ContactGroup(item.id, item.display_name or "", [], item.changekey or ""))
            elif isinstance(item, EwsContact):
                out.contacts.append(to_contact(item))
        out.contacts.sort(key=lambda c: c.name.casefold())
        out.groups.sort(key=lambda g: g.name.casefold())
        return out

    return run(client, folder.mailbox, find, denied=_denied("read the contacts", folder), on_wait=on_wait)


def get_contact(client: EwsClient, mailbox: str, item_id: str) -> Contact:
    """One contact with its notes (one GetItem)."""
    account = client.account(mailbox)

    def get() -> Contact:
        item = _get(account, item_id, _DETAIL_FIELDS, EwsContact)
        contact = to_contact(item)
        contact.notes = _text(item.body)
        contact.notes_loaded = True
        contact.has_photo = contact.has_photo or any(_is_photo(a) for a in item.attachments or [])
        return contact

    return run(client, mailbox, get, denied=f"You may not read this contact in {mailbox}.")


def get_group(client: EwsClient, mailbox: str, item_id: str) -> ContactGroup:
    """One contact group with its members (one GetItem)."""
    account = client.account(mailbox)

    def get() -> ContactGroup:
        item = _get(account, item_id, ("display_name", "members"), DistributionList)
        members = [_person(m.mailbox) for m in item.members or [] if m.mailbox is not None]
        return ContactGroup(item.id, item.display_name or "", [p for p in members if p], item.changekey or "",
                            members_loaded=True)

    return run(client, mailbox, get, denied=f"You may not read this contact group in {mailbox}.")


def photo(client: EwsClient, mailbox: str, item_id: str) -> bytes | None:
    """The contact's picture (the attachment marked ``IsContactPhoto``), or None when it has none."""
    account = client.account(mailbox)

    def get() -> bytes | None:
        item = _get(account, item_id, ("attachments",), EwsContact)
        for attachment in item.attachments or []:
            if _is_photo(attachment):
                return attachment.content
        return None

    return run(client, mailbox, get, denied=f"You may not read this contact in {mailbox}.")


def set_photo(client: EwsClient, folder: FolderRef, item_id: str, data: bytes | None,
              content_type: str = "image/jpeg") -> None:
    """Give a contact a new picture (``data``) or none (``None``): the old picture attachment is deleted first.

    Raises:
        AccessDenied: The user may not change contacts in the folder (the reason says so).
    """
    account = client.account(folder.mailbox)
    extension = {"image/png": "png", "image/gif": "gif", "image/bmp": "bmp"}.get(content_type, "jpg")

    def change() -> None:
        item = _get(account, item_id, ("attachments",), EwsContact)
        parent = ParentItemId(item.id, item.changekey)
        old = [a.attachment_id for a in item.attachments or [] if _is_photo(a)]
        if old:
            for result in DeleteAttachment(account=account).call(items=old):
                if isinstance(result, Exception):
                    raise result
                parent = ParentItemId(result.id, result.changekey)
        if data is None:
            return
        picture = FileAttachment(name=f"ContactPicture.{extension}", content=data, content_type=content_type,
                                 is_contact_photo=True)
        for result in CreateAttachment(account=account).call(parent_item=parent, items=[picture]):
            if isinstance(result, Exception):
                raise result

    run(client, folder.mailbox, change, denied=_denied("change contacts", folder))


def _get(account: Account, item_id: str, names: tuple[str, ...], cls: type) -> object:
    fields = {FieldPath(field=cls.get_field_by_fieldname(n)) for n in names}
    [item] = list(WholeGetItem(account=account).call(items=[ItemId(id=item_id)], additional_fields=fields,
                                                     shape=ID_ONLY))
    if isinstance(item, Exception):
        raise item
    if not isinstance(item, cls):
        raise ServerError(f"That item is not a {'contact group' if cls is DistributionList else 'contact'}.")
    return item


def _is_photo(attachment: object) -> bool:
    return isinstance(attachment, FileAttachment) and bool(getattr(attachment, "is_contact_photo", False))


# -- changing --------------------------------------------------------------------------------------------------
def create_contact(client: EwsClient, folder: FolderRef, contact: Contact) -> Contact:
    """Save a new contact in ``folder``; returns it with its server ids.

    Raises:
        AccessDenied: The user may not create items there (the reason says so).
    """
    account = client.account(folder.mailbox)

    def create() -> Contact:
        item = EwsContact(account=account, **_fields(contact))
        [saved] = _create(account, folder, item)
        return _with_ids(contact, saved)

    return run(client, folder.mailbox, create, denied=_denied("create contacts", folder))


def import_contacts(client: EwsClient, folder: FolderRef, items: Sequence[Contact]) -> list[Contact]:
    """Create every contact of ``items`` in ``folder``, or none: when one is refused (by Exchange, or before it is
    sent for a value too long), the ones this call created are deleted for good (HardDelete, so nothing is left
    in Deleted Items either) and the error is raised.

    Raises:
        ValueTooLong: A contact has a value longer than Exchange takes.
        AccessDenied: The user may not create items there (the reason says so).
    """
    created: list[Contact] = []
    try:
        for contact in items:
            created.append(create_contact(client, folder, contact))
    except BaseException:
        if created:
            with contextlib.suppress(Exception):
                delete_items(client, folder, [c.item_id for c in created], hard=True)
        raise
    return created


def update_contact(client: EwsClient, folder: FolderRef, contact: Contact) -> Contact:
    """Save the changed fields of an existing contact (``item_id`` set); returns it with its new change key."""
    account = client.account(folder.mailbox)

    def update() -> Contact:
        item = EwsContact(account=account, id=contact.item_id, changekey=contact.change_key or None,
                          **_fields(contact))
        item.save(update_fields=[f for f in _CONTACT_UPDATE if f != "body" or contact.notes_loaded])
        return _with_ids(contact, item)

    return run(client, folder.mailbox, update, denied=_denied("change contacts", folder))


def create_group(client: EwsClient, folder: FolderRef, group: ContactGroup) -> ContactGroup:
    """Save a new contact group with its members."""
    account = client.account(folder.mailbox)

    def create() -> ContactGroup:
        item = DistributionList(account=account, display_name=group.name, members=_members(group.members))
        [saved] = _create(account, folder, item)
        return ContactGroup(saved.id, group.name, list(group.members), saved.changekey or "", members_loaded=True)

    return run(client, folder.mailbox, create, denied=_denied("create contact groups", folder))


def update_group(client: EwsClient, folder: FolderRef, group: ContactGroup) -> ContactGroup:
    """Rename a group and set its members."""
    account = client.account(folder.mailbox)

    def update() -> ContactGroup:
        item = DistributionList(account=account, id=group.item_id, changekey=group.change_key or None,
                                display_name=group.name, members=_members(group.members))
        item.save(update_fields=["display_name", "members"])
        return ContactGroup(item.id, group.name, list(group.members), item.changekey or "", members_loaded=True)

    return run(client, folder.mailbox, update, denied=_denied("change contact groups", folder))


def delete_items(client: EwsClient, folder: FolderRef, item_ids: list[str], *, hard: bool = False) -> None:
    """Move contacts or groups to the mailbox's Deleted Items (``hard``: delete them for good, as an import that
    failed half-way takes back what it created)."""
    account = client.account(folder.mailbox)

    def delete() -> None:
        results = list(DeleteItem(account=account).call(
            items=[ItemId(id=i) for i in item_ids], delete_type="HardDelete" if hard else "MoveToDeletedItems",
            send_meeting_cancellations="SendToNone", affected_task_occurrences="AllOccurrences",
            suppress_read_receipts=True))
        for result in results:
            if isinstance(result, Exception):
                raise result

    run(client, folder.mailbox, delete, denied=_denied("delete contacts", folder))


def _create(account: Account, folder: FolderRef, item: object) -> list:
    saved = list(CreateItem(account=account).call(
        items=[item], folder=folder_object(account, folder_id(folder)), message_disposition="SaveOnly",
        send_meeting_invitations="SendToNone"))
    for result in saved:
        if isinstance(result, Exception):
            raise result
    return saved


def _with_ids(contact: Contact, saved: object) -> Contact:
    from dataclasses import replace

    return replace(contact, item_id=saved.id, change_key=saved.changekey or "")


def _members(people: list[Person]) -> list[Member]:
    return [Member(mailbox=Mailbox(email_address=p.address, name=p.name or None, routing_type="SMTP",
                                   mailbox_type="OneOff")) for p in people if p.address]


def _fields(c: Contact) -> dict[str, object]:
    problem = too_long(c)
    if problem is not None:  # refused here with words rather than by exchangelib with a ValueError
        what, length, limit = problem
        raise ValueTooLong(f"The {what} of {c.name[:60] or 'this contact'} is {length:,} characters long; Exchange "
                           f"takes at most {limit:,}.")
    emails = [EmailAddress(email=e, label=f"EmailAddress{i}") for i, e in enumerate(c.emails[:MAX_EMAILS], 1)]
    phones = [PhoneNumber(label=k, phone_number=v) for k, v in c.phones.items() if k in PHONE_KINDS and v]
    addresses = [PhysicalAddress(label=a.kind, street=a.street or None, city=a.city or None, state=a.state or None,
                                 country=a.country or None, zipcode=a.postal_code or None)
                 for a in c.addresses if a.kind in ADDRESS_KINDS and not a.is_empty()]
    return {
        "display_name": c.name or None, "given_name": c.given_name or None, "surname": c.surname or None,
        "company_name": c.company or None, "job_title": c.job_title or None, "department": c.department or None,
        "email_addresses": emails or None, "phone_numbers": phones or None, "physical_addresses": addresses or None,
        "body": c.notes or None,
    }


# -- converting ------------------------------------------------------------------------------------------------
def to_contact(item: EwsContact, source: str = "store") -> Contact:
    """A domain contact from an exchangelib one (FindItem, GetItem or a ResolveNames result)."""
    emails = []
    for entry in sorted(item.email_addresses or [], key=lambda e: e.label or ""):
        address = (entry.email or "").strip()
        if address.lower().startswith("smtp:"):
            address = address[5:]
        if address:
            emails.append(address)
    phones = {p.label: p.phone_number for p in item.phone_numbers or [] if p.label and p.phone_number}
    ordered = {k: phones[k] for k in PHONE_KINDS if k in phones}
    ordered.update({k: v for k, v in phones.items() if k not in ordered})
    addresses = [PostalAddress(a.label or "Other", a.street or "", a.city or "", a.state or "", a.zipcode or "",
                               a.country or "") for a in item.physical_addresses or []]
    return Contact(
        item_id=getattr(item, "id", None) or "", change_key=getattr(item, "changekey", None) or "",
        display_name=item.display_name or "", given_name=item.given_name or "", surname=item.surname or "",
        company=item.company_name or "", job_title=item.job_title or "", department=item.department or "",
        emails=emails, phones=ordered, addresses=[a for a in addresses if not a.is_empty()],
        has_photo=bool(getattr(item, "has_picture", False)), source=source,
    )


def _text(body: object) -> str:
    return str(body or "")


def _person(box: Mailbox | None) -> Person | None:
    if box is None or not (box.email_address or box.name):
        return None
    return Person((box.email_address or "").strip(), (box.name or "").strip())


# -- directory -------------------------------------------------------------------------------------------------
def search_directory(client: EwsClient, text: str, limit: int = 50) -> tuple[list[Contact], list[ContactGroup]]:
    """People and groups of the global address list matching ``text`` (ResolveNames, full contact data)."""
    people: list[Contact] = []
    groups: list[ContactGroup] = []
    seen: set[str] = set()
    for box, data in resolve_full(client, text, scope="ActiveDirectory"):
        address = (box.email_address or "").strip()
        if not address or address.casefold() in seen:
            continue
        seen.add(address.casefold())
        if (box.mailbox_type or "") in ("PublicDL", "GroupMailbox"):
            groups.append(ContactGroup(address, box.name or address, [], source="directory"))  # id: its address
            continue
        contact = to_contact(data, source="directory") if isinstance(data, EwsContact) else Contact(source="directory")
        contact.display_name = contact.display_name or box.name or address
        if address.casefold() not in {e.casefold() for e in contact.emails}:
            contact.emails.insert(0, address)
        contact.notes_loaded = True
        people.append(contact)
        if len(people) + len(groups) >= limit:
            break
    return people, groups


def expand_group(client: EwsClient, address: str) -> list[Person]:
    """The members of a directory distribution group (ExpandDL)."""
    protocol = client.own.protocol

    def expand() -> list[Person]:
        out: list[Person] = []
        for box in ExpandDL(protocol=protocol).call(
                distribution_list=DLMailbox(email_address=address, mailbox_type="PublicDL")):
            if isinstance(box, Exception):
                raise box
            person = _person(box)
            if person is not None:
                out.append(person)
        return out

    return client.retrying(expand, mailbox=address)
