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
