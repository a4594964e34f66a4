"""Rights in words: one description derived from every right, for each Exchange role and for custom sets,
the user's own access (My access, the sidebar) and someone else's (a folder's permission list)."""

from __future__ import annotations

import pytest

from app.domain.permissions import ROLES, PermissionFlags, describe_flags, role_named
from app.domain.rights import FolderRights, describe_folder_access, describe_rights, summarize_access
from tests.support.app_driver import WEBENGINE_LOG_IGNORE

ROLE_WORDS = {
    "Owner": "Read, add, change and delete items, create subfolders, change who has access.",
    "PublishingEditor": "Read, add, change and delete items, create subfolders.",
    "Editor": "Read, add, change and delete items.",
    "PublishingAuthor": "Read and add items, change and delete their own, create subfolders.",
    "Author": "Read and add items, change and delete their own.",
    "NoneditingAuthor": "Read and add items, delete their own; cannot change.",
    "Reviewer": "Read-only.",
    "Contributor": "Add items without seeing them.",
    "FreeBusyTimeAndSubjectAndLocation": "See free/busy times with subjects and locations.",
    "FreeBusyTimeOnly": "See free/busy times.",
    "None": "No access.",
}


@pytest.mark.parametrize("level", [r.level for r in ROLES])
def test_every_role_is_described_from_its_rights(level: str) -> None:
    role = role_named(level)
    assert role is not None and describe_flags(role.flags) == ROLE_WORDS[level]


@pytest.mark.parametrize(("flags", "words"), [
    # hr@'s Inbox for alice: create items, read all, edit all, delete none, no subfolders.
    (PermissionFlags(can_create_items=True, is_folder_visible=True, edit_items="All", read_items="FullDetails"),
     "Read, add and change items; cannot delete."),
    (PermissionFlags(is_folder_visible=True, edit_items="All", delete_items="All", read_items="FullDetails"),
     "Read, change and delete items."),
    (PermissionFlags(is_folder_visible=True, delete_items="Owned", read_items="FullDetails"),
     "Read items, delete their own; cannot change."),
    (PermissionFlags(is_folder_visible=True, can_create_subfolders=True, read_items="FullDetails"),
     "Read items, create subfolders; cannot change or delete."),
    (PermissionFlags(is_folder_visible=True), "See the folder, but nothing in it."),
])
def test_custom_sets_say_what_they_allow_and_what_they_do_not(flags: PermissionFlags, words: str) -> None:
    assert describe_flags(flags) == words


def test_the_users_own_access_comes_from_every_right_known() -> None:
    hr = FolderRights(read=True, create_contents=True, read_items="FullDetails", edit_items="All",
                      delete_items="None")
    assert describe_folder_access(hr) == "read, add and change items; cannot delete"
    assert summarize_access([("Inbox", hr)], False) == "access to Inbox: read, add and change items; cannot delete"
    # The folder's own Modify/Delete are its owner's rights, not "change" and "delete" of items.
    assert describe_folder_access(FolderRights(read=True, create_contents=True, modify=True)) == "read and add items"
    # A folder owner (no permission set read) has the owner's scopes.
    assert describe_folder_access(FolderRights.full()) == ("read, add, change and delete items, create subfolders, "
                                                          "change who has access")
    reviewer = FolderRights(read=True, read_items="FullDetails", edit_items="None", delete_items="None")
    assert summarize_access([("Inbox", reviewer), ("Calendar", FolderRights(read=True))], False) == \
        "read-only access to Inbox and Calendar"
    assert summarize_access([("Inbox", hr), ("Calendar", reviewer)], False) == "mixed access to Inbox and Calendar"
    assert summarize_access([("Inbox", FolderRights())], False) == "no access"
    assert describe_rights(read="None", create=False, edit=None, delete=None) == "no access"


@pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)
def test_alice_reads_what_she_may_really_do_on_hr(qtbot, emulator, drive) -> None:
    from PySide6.QtCore import Qt

    from app.models.roles import Roles

    hr = "hr@example.com"
    d = drive(emulator, mailbox=hr)
    d.wait_mailboxes("alice@example.com", "support@example.com", hr)
    words = "read, add and change items; cannot delete"
    index = d.app.sidebar_model.mailbox_index(hr)
    assert index.data(Roles.AccessRole) == f"access to Inbox: {words}"
    inbox = d.open_folder(hr)
    assert d.index_of_folder(inbox).data(Qt.ItemDataRole.ToolTipRole).endswith(f"Your access: {words}")
    dialog = d.window.commands.show_access()
    assert dialog.rows() == [("Inbox", words[:1].upper() + words[1:])]
    assert dialog.summary_label.text() == f"You have access to Inbox of Human Resources: {words}."
    dialog.close()
