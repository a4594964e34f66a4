"""app.ews.folders against the demo tenant over HTTP: full and partial access, rights, order, round trips."""

from __future__ import annotations

import pytest

from app.domain.errors import AccessDenied, MailboxNotFound
from app.domain.folders import FolderKind, FolderNode
from app.domain.mailbox import MailboxRef
from app.domain.rights import FolderRights, SendRight
from app.ews.folders import MailboxTree, list_folders, open_inbox, probe_mailbox
from tests.app.ews.conftest import round_trips, signed_in

pytestmark = pytest.mark.usefixtures("schema_valid_answers")
SUPPORT = MailboxRef("support@example.com", "Customer Support")
READ_ONLY = FolderRights(read=True)
# Outlook's order: well-known mail folders, then calendar, contacts, tasks, notes, then the rest by name.
STANDARD_TOP = ["Inbox", "Drafts", "Sent Items", "Deleted Items", "Junk Email", "Outbox", "Archive", "Calendar",
                "Contacts", "Tasks", "Notes", "Conversation History", "Journal"]


def top_level(tree: MailboxTree) -> list[str]:
    return [f.name for f in tree.folders if not f.parent_id]


def children(tree: MailboxTree, parent: FolderNode) -> list[str]:
    return [f.name for f in tree.folders if f.parent_id == parent.ref.folder_id]


def test_own_mailbox_is_full_in_two_round_trips(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        tree = list_folders(alice, alice.user)
    assert ews == {"GetFolder": 1, "FindFolder": 1}
    assert tree.mailbox == MailboxRef("alice@example.com", "Alice Archer")
    assert tree.full_access and tree.send_right is SendRight.OWN
    assert top_level(tree) == STANDARD_TOP
    assert tree.access_summary() == "full access"
    inbox = tree.folder("inbox")
    assert inbox is not None and inbox.rights == FolderRights.full() and inbox.total == 10
    assert {f.ref.mailbox for f in tree.folders} == {"alice@example.com"}


def test_full_access_mailbox_with_subfolders(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        tree = list_folders(alice, SUPPORT)
    assert ews == {"GetFolder": 1, "FindFolder": 1}  # no GetFolder per folder, no ResolveNames (name known)
    assert tree.mailbox == SUPPORT and tree.full_access
    assert tree.send_right is SendRight.UNKNOWN  # EWS tells a delegate nothing about Send As until a send
    inbox = tree.folder("inbox")
    assert inbox is not None
    assert [f.name for f in tree.folders][:4] == ["Inbox", "Billing questions", "Bugs", "Done"]  # parents first
    assert children(tree, inbox) == ["Billing questions", "Bugs", "Done"]
    assert inbox.child_count == 3 and inbox.total >= 200 and 0 < inbox.unread <= inbox.total
    assert top_level(tree) == STANDARD_TOP
    bugs = next(f for f in tree.folders if f.name == "Bugs")
    assert bugs.ref.mailbox == "support@example.com" and bugs.ref.well_known == "" and bugs.ref.folder_id
    assert bugs.kind is FolderKind.MAIL and bugs.rights == FolderRights.full()
    assert len({f.ref.folder_id for f in tree.folders}) == len(tree.folders)


def test_kinds_follow_the_folder_class(alice) -> None:
    tree = list_folders(alice, SUPPORT)
    kinds = {f.well_known: f.kind for f in tree.folders if f.well_known}
    assert kinds["inbox"] is FolderKind.MAIL and kinds["sentitems"] is FolderKind.MAIL
    assert kinds["calendar"] is FolderKind.CALENDAR
    assert kinds["contacts"] is FolderKind.CONTACTS
    assert kinds["tasks"] is FolderKind.TASKS
    assert kinds["notes"] is FolderKind.OTHER  # IPF.StickyNote


def test_hidden_and_system_folders_are_left_out(alice) -> None:
    names = {f.name for f in list_folders(alice, SUPPORT).folders}
    assert "Recipient Cache" not in names  # PR_ATTR_HIDDEN
    assert not names & {"Sync Issues", "Conflicts", "Local Failures", "Server Failures"}
    assert "Top of Information Store" not in names


def test_the_display_name_is_looked_up_when_only_the_address_is_known(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        tree = list_folders(alice, "billing@example.com")
    assert ews == {"GetFolder": 1, "FindFolder": 1, "ResolveNames": 1}
    assert tree.mailbox == MailboxRef("billing@example.com", "Billing")
    assert tree.full_access  # Full Access without automapping: not in Autodiscover, but open all the same
    inbox = tree.folder("inbox")
    assert inbox is not None and children(tree, inbox) == ["Remittances"]


def test_reviewer_on_inbox_and_calendar_sees_just_those_read_only(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        tree = list_folders(alice, MailboxRef("sales@example.com", "Sales Team"))
    # One GetFolder for msgfolderroot (denied) and every well-known folder; one FindFolder below the Inbox,
    # whose subfolders (Leads, Contracts) are not shared.
    assert ews == {"GetFolder": 1, "FindFolder": 1}
    assert not tree.full_access
    assert [(f.name, f.well_known, f.parent_id) for f in tree.folders] == [
        ("Inbox", "inbox", ""), ("Calendar", "calendar", "")]
    # Her own entries in the folders' permission sets (asked in the same GetFolder) say what she may do with items.
    reviewer = FolderRights(read=True, read_items="FullDetails", edit_items="None", delete_items="None")
    assert all(f.rights == reviewer for f in tree.folders)
    assert tree.access_summary() == "read-only access to Inbox and Calendar"
    assert tree.folder("calendar").kind is FolderKind.CALENDAR  # type: ignore[union-attr]
    assert tree.folder("inbox").child_count == 2  # type: ignore[union-attr] - there, but not visible


def test_custom_rights_on_one_folder(alice) -> None:
    tree = list_folders(alice, MailboxRef("hr@example.com", "Human Resources"))
    # hr@'s Calendar is visible to everyone for free/busy only: it is not one of alice's folders there.
    assert [f.name for f in tree.folders] == ["Inbox"]
    rights = tree.folders[0].rights
    assert rights.read and rights.create_contents
    assert not rights.delete and not rights.create_hierarchy
    # Folder-level Modify is the folder owner's right; "edit all items" is her permission entry's EditItems.
    assert not rights.modify
    assert (rights.read_items, rights.edit_items, rights.delete_items) == ("FullDetails", "All", "None")
    assert tree.access_summary() == "access to Inbox: read, add and change items; cannot delete"


def test_probe_reports_no_access_plainly(emulator, dave) -> None:
    with round_trips(emulator) as ews, pytest.raises(AccessDenied) as info:
        probe_mailbox(dave, "support@example.com")
    assert "You have no access to support@example.com" in str(info.value)
    assert ews == {"GetFolder": 1}  # nothing visible: no FindFolder, no name look-up


def test_probe_of_an_unknown_address(alice) -> None:
    with pytest.raises(MailboxNotFound, match="nobody@example.com"):
        probe_mailbox(alice, "nobody@example.com")


def test_probe_returns_the_tree_when_something_is_visible(alice) -> None:
    tree = probe_mailbox(alice, "sales@example.com")
    assert tree.mailbox == MailboxRef("sales@example.com", "Sales Team")
    assert top_level(tree) == ["Inbox", "Calendar"]


@pytest.mark.parametrize(("user", "mailbox", "full", "names"), [
    ("bob", "support@example.com", False, ["Inbox"]),  # Reviewer on support@'s Inbox
    ("bob", "sales@example.com", True, STANDARD_TOP),
    ("carol", "hr@example.com", True, STANDARD_TOP),
    ("carol", "support@example.com", True, STANDARD_TOP),
])
def test_other_users(emulator, user: str, mailbox: str, full: bool, names: list[str]) -> None:
    client = signed_in(emulator, user).client
    try:
        tree = list_folders(client, mailbox)
        assert tree.full_access is full
        assert top_level(tree) == names
    finally:
        client.close()


def test_open_inbox_is_one_getfolder(emulator, alice) -> None:
    with round_trips(emulator) as ews:
        inbox = open_inbox(alice)
    assert ews == {"GetFolder": 1}
    assert (inbox.name, inbox.well_known, inbox.ref.mailbox) == ("Inbox", "inbox", "alice@example.com")
    assert inbox.ref.folder_id == list_folders(alice, alice.user).folder("inbox").ref.folder_id  # type: ignore[union-attr]
