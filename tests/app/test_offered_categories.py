"""Which categories are offered for applying when a mailbox's master list can or cannot be read."""

from __future__ import annotations

from app.domain.categories import NEUTRAL, Category, MasterList, Origin, offered_categories, unreadable_notice

OWN = (Category("Follow up", 3), Category("recruiting", 8))


def test_a_readable_list_is_offered_as_it_is() -> None:
    master = MasterList((Category("Urgent", 0), Category("Bug", 1)), own=OWN)
    offered = offered_categories(master, ["Elsewhere", "Urgent"])
    assert [(o.name, o.origin) for o in offered] == [("Urgent", Origin.MAILBOX), ("Bug", Origin.MAILBOX)]
    assert unreadable_notice("Customer Support", master) == ""


def test_an_unreadable_list_offers_what_is_in_use_then_the_users_own_with_their_colours() -> None:
    master = MasterList((), readable=False, reason="you have no access to its Calendar", own=OWN)
    offered = offered_categories(master, ["Recruiting", "Onboarding", " ", "recruiting", "Confidential"])
    assert [(o.name, o.origin, o.note) for o in offered] == [
        ("Confidential", Origin.ITEMS, "on messages here"),
        ("Onboarding", Origin.ITEMS, "on messages here"),
        ("Recruiting", Origin.ITEMS, "on messages here"),  # also in her own list: offered once, with its colour
        ("Follow up", Origin.OWN, "your category"),
    ]
    assert offered[2].hex_color == Category("x", 8).hex_color and offered[0].hex_color == NEUTRAL
    assert unreadable_notice("Human Resources", master) == (
        "The category list of Human Resources could not be read: you have no access to its Calendar. Shown are "
        "the categories on its messages here and your own.")


def test_an_unreadable_list_with_nothing_in_use_and_no_own_list_offers_nothing() -> None:
    assert offered_categories(MasterList((), readable=False), []) == []
