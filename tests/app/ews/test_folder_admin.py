"""app.ews.folder_admin against the emulator over HTTP: create, rename, move, delete, empty, properties, and the
rights of alice on support@ (full), sales@ (Reviewer on Inbox) and hr@ (write, no delete, no subfolders).

Every test that changes data gets a private emulator; results are checked with a separate exchangelib account.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.domain.errors import AccessDenied, ServerError
from app.domain.folder_actions import (
    TOP_OF_MAILBOX,
    FolderAction,
    FolderTarget,
    StandardFolder,
    folder_action_capabilities,
    move_refusal,
    name_problem,
)
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.rights import FolderRights
from app.ews.actions import delete, move
from app.ews.client import EwsClient
from app.ews.folder_admin import (
    create_folder,
    delete_folder,
    empty_folder,
    folder_properties,
    move_folder,
    rename_folder,
)
from app.ews.folders import MailboxTree, list_folders
from tests.app.ews.conftest import round_trips
from tests.support.emulator import BUILD
from tests.support.emulator import account as el_account

SUPPORT = "support@example.com"


@pytest.fixture
def alice(fresh_emulator) -> Iterator[EwsClient]:
    client = EwsClient(fresh_emulator.ews_url, "alice@example.com", "alice-pass", AuthMethod.NTLM,
                       ServerVersion(*BUILD))
    yield client
    client.close()


def named(tree: MailboxTree, name: str) -> FolderNode:
    return next(f for f in tree.folders if f.name == name)


def children_of(emu, mailbox: str, well_known: str) -> list[str]:
    """Subfolder names of a well-known folder, as a separate exchangelib account sees them."""
    acc = el_account(emu, "alice", mailbox)
    return sorted(f.name for f in getattr(acc, well_known).children)


# -- the rules (pure) ---------------------------------------------------------------------------------------------
def node(name: str, well_known: str = "", parent: str = "", rights: FolderRights | None = None,
         total: int = 3, fid: str = "") -> FolderNode:
    return FolderNode(FolderRef(SUPPORT, fid or f"id-{name}", well_known), parent, name, FolderKind.MAIL, total, 0,
                      0, rights or FolderRights.full())


def test_capabilities_follow_the_rights_and_the_well_known_folders() -> None:
    inbox = node("Inbox", "inbox")
    caps = folder_action_capabilities(FolderTarget(SUPPORT, "Customer Support", inbox, True))
    assert caps[FolderAction.NEW].allowed and caps[FolderAction.PROPERTIES].allowed
    assert caps[FolderAction.DELETE].reason == "Inbox is a standard folder of Customer Support: it cannot be deleted."
    assert "cannot be renamed" in caps[FolderAction.RENAME].reason
    assert caps[FolderAction.EMPTY].reason == "Only Deleted Items and Junk Email can be emptied."

    reviewer = node("Inbox", "inbox", rights=FolderRights(read=True))
    caps = folder_action_capabilities(FolderTarget("sales@example.com", "Sales Team", reviewer))
    assert caps[FolderAction.NEW].reason == "You cannot create folders in Sales Team › Inbox."
    assert caps[FolderAction.PERMISSIONS].allowed  # everyone who sees the folder sees who has access

    custom = node("Leads", rights=FolderRights(read=True, create_contents=True, modify=False))
    caps = folder_action_capabilities(FolderTarget(SUPPORT, "Customer Support", custom))
    assert caps[FolderAction.RENAME].reason == "Only the owners of Customer Support › Leads can rename it."
    assert caps[FolderAction.DELETE].reason == "You may not delete Customer Support › Leads."

    trash = node("Deleted Items", "deleteditems", total=0)
    assert "already empty" in folder_action_capabilities(
        FolderTarget(SUPPORT, "Customer Support", trash))[FolderAction.EMPTY].reason
    top = folder_action_capabilities(FolderTarget("sales@example.com", "Sales Team", None, False))
    assert "needs Full Access" in top[FolderAction.NEW].reason
    assert not folder_action_capabilities(None)[FolderAction.PROPERTIES].allowed


def test_names_and_moves_are_checked_before_asking_the_server() -> None:
    assert name_problem("  ", []) == "Type a name for the folder."
    assert name_problem("bugs", ["Bugs", "Done"]) == "There is already a folder named “bugs” here."
    assert name_problem("BUGS", ["Bugs"], current="Bugs") == ""  # only the capitals change
    inbox = node("Inbox", "inbox")
    bugs = node("Bugs", parent=inbox.ref.folder_id)
    sub = node("Sub", parent=bugs.ref.folder_id)
    done = node("Done", parent=inbox.ref.folder_id)
    folders = [inbox, bugs, sub, done]
    target = FolderTarget(SUPPORT, "Customer Support", None, True)
    assert move_refusal(folders, bugs, FolderTarget(SUPPORT, "CS", done)) == ""
    assert move_refusal(folders, bugs, FolderTarget(SUPPORT, "CS", sub)) == \
        "A folder cannot be moved into itself or one of its subfolders."
    assert move_refusal(folders, bugs, FolderTarget(SUPPORT, "CS", inbox)) == "Bugs is already in Inbox."
    assert move_refusal(folders, inbox, FolderTarget(SUPPORT, "CS", done)).endswith("it cannot be moved.")
    assert move_refusal(folders, bugs, target) == ""  # to the top of the mailbox
    assert "own mailbox" in move_refusal(folders, bugs, FolderTarget("hr@example.com", "HR", None, True))


# -- against the server -------------------------------------------------------------------------------------------
def test_alice_creates_renames_moves_and_deletes_a_folder_in_support(fresh_emulator, alice) -> None:
    tree = list_folders(alice, SUPPORT)
    inbox, done = tree.folder("inbox"), named(tree, "Done")
    with round_trips(fresh_emulator) as ews:
        new = create_folder(alice, inbox.ref, "  Escalations ")
    assert ews == {"CreateFolder": 1}
    assert "Escalations" in children_of(fresh_emulator, SUPPORT, "inbox")

    rename_folder(alice, new, "Escalated", old_name="Escalations")
    moved = move_folder(alice, new, done.ref, name="Escalated", target_name="Done")
    assert moved.folder_id == new.folder_id  # Exchange folder ids survive moves
    tree = list_folders(alice, SUPPORT)
    assert named(tree, "Escalated").parent_id == done.ref.folder_id

    with round_trips(fresh_emulator) as ews:
        delete_folder(alice, new, name="Escalated")
    assert ews == {"DeleteFolder": 1}
    assert "Escalated" in children_of(fresh_emulator, SUPPORT, "trash")  # support@'s own Deleted Items
    assert "Escalated" not in children_of(fresh_emulator, "alice@example.com", "trash")

    top = create_folder(alice, FolderRef(SUPPORT, well_known=TOP_OF_MAILBOX), "Projects")
    tree = list_folders(alice, SUPPORT)
    assert named(tree, "Projects").parent_id == "" and named(tree, "Projects").ref.folder_id == top.folder_id


def test_standard_folders_are_refused_before_and_by_the_server(fresh_emulator, alice) -> None:
    inbox = list_folders(alice, SUPPORT).folder("inbox")
    with round_trips(fresh_emulator) as ews, pytest.raises(StandardFolder, match="Inbox is a standard folder"):
        delete_folder(alice, inbox.ref)
    assert ews == {}  # refused before any request
    for call in (lambda r: rename_folder(alice, r, "Post"), lambda r: move_folder(alice, r, inbox.ref)):
        with pytest.raises(StandardFolder):
            call(inbox.ref)
    by_id_only = FolderRef(SUPPORT, inbox.ref.folder_id)
    with pytest.raises(StandardFolder, match="standard folder of support@example.com"):
        delete_folder(alice, by_id_only)  # the server's ErrorDeleteDistinguishedFolder, worded the same
    with pytest.raises(StandardFolder):
        move_folder(alice, by_id_only, list_folders(alice, SUPPORT).folder("drafts").ref)


def test_conflicts_are_worded(alice) -> None:
    tree = list_folders(alice, SUPPORT)
    inbox, bugs = tree.folder("inbox"), named(tree, "Bugs")
    with pytest.raises(ServerError, match="already a folder named “bugs” in support@example.com › Inbox"):
        create_folder(alice, inbox.ref, "bugs", parent_name="Inbox")
    with pytest.raises(ServerError, match="next to Bugs"):
        rename_folder(alice, bugs.ref, "Done", old_name="Bugs")
    with pytest.raises(ServerError, match="into itself"):
        move_folder(alice, bugs.ref, bugs.ref)
    with pytest.raises(ServerError, match="own mailbox"):
        move_folder(alice, bugs.ref, FolderRef("alice@example.com", well_known="inbox"))


def test_read_only_and_write_no_delete_users_cannot_create_subfolders(fresh_emulator, alice) -> None:
    for mailbox in ("sales@example.com", "hr@example.com"):
        inbox = list_folders(alice, mailbox).folder("inbox")
        assert inbox is not None and not inbox.rights.create_hierarchy
        with pytest.raises(AccessDenied, match=f"You may not create folders in {mailbox} › Inbox"):
            create_folder(alice, inbox.ref, "Mine", parent_name="Inbox")
    leads = named(list_folders(el_client(fresh_emulator, "bob"), "sales@example.com"), "Leads")
    with pytest.raises(AccessDenied):
        delete_folder(alice, leads.ref, name="Leads")  # she cannot even see it


def el_client(emu, user: str) -> EwsClient:
    return EwsClient(emu.ews_url, f"{user}@example.com", f"{user}-pass", AuthMethod.NTLM, ServerVersion(*BUILD))


def test_properties_have_counts_size_and_permissions(alice) -> None:
    tree = list_folders(alice, SUPPORT)
    inbox = tree.folder("inbox")
    props = folder_properties(alice, inbox.ref)
    assert (props.name, props.total, props.unread, props.child_count) == (
        "Inbox", inbox.total, inbox.unread, inbox.child_count)
    assert props.size is not None and props.size > 1000 * props.total // 10
    assert props.rights == FolderRights.full() and props.folder_class == "IPF.Note"
    assert props.permissions is not None and props.permissions.editable
    assert props.permissions.entry("Default") is not None

    sales = folder_properties(alice, FolderRef("sales@example.com", well_known="inbox"))
    assert sales.rights.read and not sales.rights.modify
    assert sales.permissions is not None and not sales.permissions.editable

    calendar = folder_properties(alice, tree.folder("calendar").ref, calendar=True)
    assert calendar.permissions is not None and calendar.permissions.calendar


def test_emptying_junk_and_deleted_items(fresh_emulator, alice) -> None:
    from app.domain.messages import ListQuery
    from app.ews.messages import find_page

    tree = list_folders(alice, SUPPORT)
    inbox, junk, trash = tree.folder("inbox"), tree.folder("junkemail"), tree.folder("deleteditems")
    ids = [m.item_id for m in find_page(alice, inbox.ref, ListQuery(), 0, 4).items]
    move(alice, inbox.ref, ids[:2], junk.ref, False, lambda *_: None, lambda: False)
    delete(alice, SUPPORT, ids[2:], False, lambda *_: None, lambda: False)
    delete_folder(alice, named(tree, "Done").ref, name="Done")
    assert folder_properties(alice, junk.ref).total == 2

    empty_folder(alice, junk.ref, permanent=False)  # Junk: to Deleted Items
    assert folder_properties(alice, junk.ref).total == 0
    assert folder_properties(alice, trash.ref).total == trash.total + 4
    assert children_of(fresh_emulator, SUPPORT, "trash") == ["Done"]

    empty_folder(alice, trash.ref, permanent=True)  # Deleted Items: out of the mailbox, subfolders too
    after = folder_properties(alice, trash.ref)
    assert (after.total, after.child_count) == (0, 0)
    assert "Done" not in [f.name for f in list_folders(alice, SUPPORT).folders]
