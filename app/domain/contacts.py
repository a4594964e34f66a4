"""Contacts and contact groups of a mailbox's Contacts folders, and people of the directory (GAL).

Plain data, no Qt and no exchangelib: :mod:`app.ews.contacts` fills these from EWS, :mod:`app.domain.vcard`
reads and writes them as vCards, the contacts view shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.rights import Capability, FolderRights

#: Exchange keeps at most three e-mail addresses per contact (EmailAddress1..3).
MAX_EMAILS = 3

#: The longest one-line contact field (names, company, job title, department, e-mail address, phone number, each
#: part of a postal address) Mailroom sends. Microsoft's EWS reference gives the contact name elements (GivenName,
#: Surname, DisplayName: learn.microsoft.com/exchange/client-developer/web-service-reference/givenname and its
#: siblings) as plain ``xs:string`` with no stated length, and gives 255 characters as the limit of an item's
#: Subject (web-service-reference/subject: "The subject is limited to 255 characters"); exchangelib 5.6.0 refuses
#: GivenName, MiddleName and Surname longer than 255 before anything is sent (``CharField``, fields.py), and its
#: maintainer reports that Exchange cuts a longer Subject to 255 with "..." rather than refusing it
#: (github.com/nylas/exchangelib/pull/68). So one limit of 255 holds for every one-line field, and a longer value
#: is refused here with words, before anything is created, instead of being cut or failing with a traceback.
MAX_FIELD_CHARS = 255
#: The longest notes (the contact's body) Mailroom sends. The EWS reference states no limit for a Body; 32 KB is
#: what Microsoft KB 216981 says Outlook keeps of an item's fields on an Exchange mailbox.
MAX_NOTES_CHARS = 32 * 1024

#: EWS ``PhoneNumberKey`` values the client edits, with the labels the detail view shows, in display order.
PHONE_KINDS: dict[str, str] = {
    "BusinessPhone": "Work",
    "MobilePhone": "Mobile",
    "HomePhone": "Home",
    "BusinessFax": "Work fax",
    "HomeFax": "Home fax",
    "Pager": "Pager",
    "OtherTelephone": "Other",
}
#: EWS ``PhysicalAddressKey`` values with their labels.
ADDRESS_KINDS: dict[str, str] = {"Business": "Work", "Home": "Home", "Other": "Other"}


@dataclass(frozen=True)
class PostalAddress:
    """One postal address of a contact; ``kind`` is an :data:`ADDRESS_KINDS` key."""

    kind: str = "Business"
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""

    def is_empty(self) -> bool:
        return not any((self.street, self.city, self.state, self.postal_code, self.country))

    def lines(self) -> list[str]:
        """The address as the detail view prints it."""
        town = " ".join(p for p in (self.postal_code, self.city) if p)
        region = ", ".join(p for p in (town, self.state) if p)
        return [p for p in (self.street, region, self.country) if p]


@dataclass
class Contact:
    """A contact item (or, with ``source="directory"``, a person of the global address list).

    Attributes:
        item_id / change_key: The server item ("" for a contact not saved yet, or a directory entry).
        phones: :data:`PHONE_KINDS` key -> number.
        emails: At most :data:`MAX_EMAILS` addresses, the first being the one mail goes to.
        notes: The contact's body as plain text ("" until the detail was read: ``notes_loaded``).
        has_photo: The server holds a contact photo (an attachment with ``IsContactPhoto``).
        source: ``"store"`` for a Contacts folder item, ``"directory"`` for the GAL.
    """

    item_id: str = ""
    change_key: str = ""
    display_name: str = ""
    given_name: str = ""
    surname: str = ""
    company: str = ""
    job_title: str = ""
    department: str = ""
    emails: list[str] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)
    addresses: list[PostalAddress] = field(default_factory=list)
    notes: str = ""
    has_photo: bool = False
    source: str = "store"
    notes_loaded: bool = False

    @property
    def name(self) -> str:
        """What lists show: the display name, else given name and surname, else the first address."""
        full = " ".join(p for p in (self.given_name, self.surname) if p)
        return self.display_name or full or (self.emails[0] if self.emails else "")

    @property
    def primary_email(self) -> str:
        return self.emails[0] if self.emails else ""

    def person(self) -> Person | None:
        """The contact as a recipient, or None without an address."""
        return Person(self.primary_email, self.name) if self.primary_email else None

    def matches(self, text: str) -> bool:
        """True when ``text`` is in the name, an address or the company (the list's local filter)."""
        needle = text.strip().casefold()
        if not needle:
            return True
        hay = [self.name, self.given_name, self.surname, self.company, *self.emails]
        return any(needle in h.casefold() for h in hay if h)


@dataclass
class ContactGroup:
    """A contact group (EWS ``DistributionList`` item) or, with ``source="directory"``, a directory group."""

    item_id: str = ""
    name: str = ""
    members: list[Person] = field(default_factory=list)
    change_key: str = ""
    source: str = "store"
    members_loaded: bool = False


@dataclass
class ContactList:
    """What one Contacts folder holds."""

    folder: FolderRef
    contacts: list[Contact] = field(default_factory=list)
    groups: list[ContactGroup] = field(default_factory=list)


@dataclass(frozen=True)
class ContactFolder:
    """A Contacts folder the user can see, with the rights that decide what the view enables."""

    ref: FolderRef
    name: str
    mailbox_name: str
    rights: FolderRights

    @property
    def title(self) -> str:
        return f"{self.mailbox_name} › {self.name}"


def contact_capabilities(folder: ContactFolder | None) -> dict[str, Capability]:
    """May the user create, edit and delete contacts and groups in ``folder``? Reasons for each refusal.

    Keys: ``"create"``, ``"edit"``, ``"delete"``.
    """
    if folder is None:
        no = Capability(False, "Choose a Contacts folder first; the directory cannot be changed from Mailroom.")
        return {"create": no, "edit": no, "delete": no}
    rights, where = folder.rights, folder.title
    why = "Ask the mailbox's owner for Editor permission on the folder."
    return {
        "create": Capability(True) if rights.create_contents else Capability(
            False, f"You may not create contacts in {where}: you have no right to create items there. {why}"),
        "edit": Capability(True) if rights.modify else Capability(
            False, f"You may not change contacts in {where}: your permission is read-only. {why}"),
        "delete": Capability(True) if rights.delete else Capability(
            False, f"You may not delete contacts in {where}: your permission does not allow deleting. {why}"),
    }


_FIELD_LABELS = (("display_name", "display name"), ("given_name", "first name"), ("surname", "last name"),
                 ("company", "company"), ("job_title", "job title"), ("department", "department"))


def too_long(contact: Contact) -> tuple[str, int, int] | None:
    """The first field of ``contact`` longer than Exchange takes, as (what, its length, the limit), or None.

    See :data:`MAX_FIELD_CHARS` and :data:`MAX_NOTES_CHARS` for where the limits come from.
    """
    values: list[tuple[str, str]] = [(label, getattr(contact, name)) for name, label in _FIELD_LABELS]
    values += [("e-mail address", e) for e in contact.emails]
    values += [(f"{PHONE_KINDS.get(k, k).lower()} phone number", v) for k, v in contact.phones.items()]
    for a in contact.addresses:
        kind = ADDRESS_KINDS.get(a.kind, a.kind).lower()
        values += [(f"{kind} address ({part})", getattr(a, part)) for part in
                   ("street", "city", "state", "postal_code", "country")]
    for what, value in values:
        if len(value) > MAX_FIELD_CHARS:
            return what, len(value), MAX_FIELD_CHARS
    if len(contact.notes) > MAX_NOTES_CHARS:
        return "notes", len(contact.notes), MAX_NOTES_CHARS
    return None

