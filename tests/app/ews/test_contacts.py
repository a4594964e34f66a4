"""app.ews.contacts against the emulator over HTTP: Contacts folders, changes as a delegate, the directory.

Reads use the shared emulator; changes run on a private copy of the demo tenant, checked with plain exchangelib.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.domain.contacts import Contact, ContactGroup, PostalAddress
from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.ews import contacts
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.emulator import account

pytestmark = pytest.mark.usefixtures("schema_valid_answers")
SUPPORT = FolderRef("support@example.com", well_known="contacts")
SALES = FolderRef("sales@example.com", well_known="contacts")


def test_lists_support_contacts_and_group_in_one_finditem(emulator: Any, alice: Any) -> None:
    with round_trips(emulator) as trips:
        found = contacts.list_contacts(alice, SUPPORT)
    assert trips == {"FindItem": 1}
    assert len(found.contacts) >= 20
    assert [g.name for g in found.groups] == ["Key accounts"]
    names = [c.name for c in found.contacts]
    assert names == sorted(names, key=str.casefold)
    first = found.contacts[0]
    assert first.emails and "@" in first.emails[0] and first.company and first.phones


def test_search_and_detail_and_group_members(alice: Any) -> None:
    everyone = contacts.list_contacts(alice, SUPPORT).contacts
    some = contacts.list_contacts(alice, SUPPORT, search="ame").contacts
    assert some and all("ame" in c.display_name.lower() for c in some) and len(some) < len(everyone)
    group = contacts.list_contacts(alice, SUPPORT).groups[0]
    full = contacts.get_group(alice, SUPPORT.mailbox, group.item_id)
    assert len(full.members) == 6 and all("@" in p.address for p in full.members)
    detail = contacts.get_contact(alice, SUPPORT.mailbox, everyone[0].item_id)
    assert detail.notes_loaded and detail.emails == everyone[0].emails


def test_alice_has_no_rights_on_sales_contacts(alice: Any) -> None:
    with pytest.raises(AccessDenied, match="read the contacts in sales@example.com"):
        contacts.list_contacts(alice, SALES)
    with pytest.raises(AccessDenied, match="create contacts in sales@example.com"):
        contacts.create_contact(alice, SALES, Contact(display_name="Nope", emails=["n@example.com"]))


def test_directory_search_and_expand_team(alice: Any) -> None:
    people, _groups = contacts.search_directory(alice, "carol")
    [carol] = [p for p in people if p.primary_email == "carol@example.com"]
    assert carol.source == "directory" and carol.display_name == "Carol Chen" and carol.job_title
    _people, groups = contacts.search_directory(alice, "team")
    assert any(g.item_id == "team@example.com" for g in groups)
    members = contacts.expand_group(alice, "team@example.com")
    assert sorted(p.address for p in members) == [f"{u}@example.com" for u in ("alice", "bob", "carol", "dave")]


# -- changes, on a private copy ---------------------------------------------------------------------------------
def _stored(emu: Any) -> dict[str, Any]:
    acc = account(emu, "carol", "support")  # an independent reader of support@ (full access)
    return {c.display_name: c for c in acc.contacts.all()}


def test_alice_creates_edits_and_deletes_a_contact_in_support(fresh_emulator: Any) -> None:
    client = signed_in(fresh_emulator, "alice").client
    new = Contact(display_name="Pat Lee", given_name="Pat", surname="Lee", company="Contoso", job_title="Buyer",
                  emails=["pat.lee@contoso.com"], phones={"MobilePhone": "+44 7700 900001"},
                  addresses=[PostalAddress("Business", "1 High St", "Leeds", "", "LS1 1AA", "UK")],
                  notes="Met at the fair.", notes_loaded=True)
    saved = contacts.create_contact(client, SUPPORT, new)
    assert saved.item_id
    stored = _stored(fresh_emulator)["Pat Lee"]
    assert stored.company_name == "Contoso" and stored.email_addresses[0].email == "pat.lee@contoso.com"
    assert str(stored.body) == "Met at the fair."

    edited = contacts.get_contact(client, SUPPORT.mailbox, saved.item_id)
    edited.job_title, edited.phones = "Head of Buying", {"BusinessPhone": "+44 113 496 0000"}
    contacts.update_contact(client, SUPPORT, edited)
    stored = _stored(fresh_emulator)["Pat Lee"]
    assert stored.job_title == "Head of Buying"
    assert [(p.label, p.phone_number) for p in stored.phone_numbers or []] == [("BusinessPhone", "+44 113 496 0000")]

    contacts.delete_items(client, SUPPORT, [saved.item_id])
    assert "Pat Lee" not in _stored(fresh_emulator)
    client.close()


def test_alice_creates_and_changes_a_contact_group(fresh_emulator: Any) -> None:
    client = signed_in(fresh_emulator, "alice").client
    group = contacts.create_group(client, SUPPORT, ContactGroup(name="Escalations", members=[
        Person("amelia.patel@relecloud.com", "Amelia Patel")]))
    group.members.append(Person("ben@example.org", "Ben"))
    group.name = "Escalation desk"
    contacts.update_group(client, SUPPORT, group)
    back = contacts.get_group(client, SUPPORT.mailbox, group.item_id)
    assert back.name == "Escalation desk"
    assert [p.address for p in back.members] == ["amelia.patel@relecloud.com", "ben@example.org"]
    contacts.delete_items(client, SUPPORT, [group.item_id])
    assert all(g.name != "Escalation desk" for g in contacts.list_contacts(client, SUPPORT).groups)
    client.close()
