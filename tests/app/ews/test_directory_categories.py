"""app.ews.directory (ResolveNames) and app.ews.categories (CategoryList) against the demo tenant over HTTP."""

from __future__ import annotations

import pytest

from app.domain.categories import PRESET_COLORS, Category, MasterList
from app.domain.labels import LabelList
from app.domain.messages import Person
from app.ews.categories import NO_CALENDAR_ACCESS, master_list
from app.ews.directory import display_name, resolve
from tests.app.ews.conftest import round_trips

pytestmark = pytest.mark.usefixtures("schema_valid_answers")


# -- directory ---------------------------------------------------------------------------------------------------
def test_a_name_resolves_in_one_request(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        people = resolve(alice, "Bob")
    assert ews == {"ResolveNames": 1}
    assert people == [Person("bob@example.com", "Bob Baker")]


def test_directory_and_contacts_both_answer(alice) -> None:
    people = resolve(alice, "a")
    addresses = [p.address for p in people]
    assert "alice@example.com" in addresses  # the directory
    assert "team@example.com" in addresses  # a distribution group of the directory
    contacts = [p for p in people if not p.address.endswith("@example.com")]
    assert contacts and all(p.name for p in contacts)  # alice's own contacts (customers)
    assert len(addresses) == len({a.casefold() for a in addresses})


def test_shared_mailboxes_are_in_the_directory(alice) -> None:
    assert Person("support@example.com", "Customer Support") in resolve(alice, "Customer")


def test_limit(alice) -> None:
    assert len(resolve(alice, "a", limit=1)) == 1


def test_no_match_and_blank_input(emulator, alice) -> None:
    assert resolve(alice, "zzzz-nobody") == []
    with round_trips(emulator) as ews:
        assert resolve(alice, "   ") == []
    assert ews == {}


def test_display_name_of_an_exact_address(alice) -> None:
    assert display_name(alice, "sales@example.com") == "Sales Team"
    assert display_name(alice, "nobody@example.com") == ""


# -- categories --------------------------------------------------------------------------------------------------
def test_shared_mailbox_categories_in_one_request(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        master = master_list(alice, "support@example.com")
    assert ews == {"GetUserConfiguration": 1}
    assert master == MasterList((Category("Urgent", 0), Category("Billing", 7), Category("Bug", 1),
                                 Category("Waiting on customer", 3)))
    assert master.categories[0].hex_color == PRESET_COLORS[0][1]


@pytest.mark.parametrize(("mailbox", "expected"), [
    ("alice@example.com", ["Follow up", "Personal"]),  # her own list
    ("sales@example.com", ["Hot lead", "Renewal", "Proposal sent"]),  # Reviewer on sales@'s Calendar
])
def test_categories_per_mailbox(alice, mailbox: str, expected: list[str]) -> None:
    master = master_list(alice, mailbox)
    assert master.readable and [c.name for c in master.categories] == expected


def test_a_list_the_user_may_not_read_is_unreadable_not_empty(emulator, alice) -> None:
    # alice has rights on hr@'s Inbox only: its Calendar, where the list lives, refuses her.
    with round_trips(emulator) as ews:
        master = master_list(alice, "hr@example.com")
    assert ews == {"GetUserConfiguration": 2}  # hr@'s (refused), then her own
    assert not master.readable and master.categories == () and master.reason == NO_CALENDAR_ACCESS
    assert master.own == (Category("Follow up", 3), Category("Personal", 8))


def test_a_mailbox_without_a_list_has_none(dave) -> None:
    assert master_list(dave, "dave@example.com") == MasterList()


def test_category_list_parsing() -> None:
    xml = (b'<?xml version="1.0"?><categories default="A" xmlns="CategoryList.xsd">'
           b'<category name="A" color="4" guid="{1}"/><category name="a" color="1"/>'
           b'<category name="No colour" color="-1"/><category name="Odd" color="99"/>'
           b'<category name="Bad" color="x"/><category name="" color="2"/></categories>')
    assert LabelList(xml).categories() == [Category("A", 4), Category("No colour", -1), Category("Odd", -1),
                                            Category("Bad", -1)]
    assert LabelList(None).categories() == []
