"""The rights engine: role expansion, Owned vs All, grants and EffectiveRights."""

from __future__ import annotations

import pytest

from ews_emulator.rights import ROLES, FolderPermission, level_for, resolve_access

CALLER, MAILBOX, OTHER = 1, 2, 3


def test_every_role_reports_its_own_level():
    for name, perm in ROLES.items():
        assert level_for(perm, calendar=True) == name


def test_flags_matching_no_role_are_custom():
    hr_custom = FolderPermission("Custom", True, False, False, True, False, "All", "None", "FullDetails")
    assert level_for(hr_custom) == "Custom"


def test_calendar_levels_are_not_reported_for_mail_folders():
    assert level_for(ROLES["FreeBusyTimeOnly"], calendar=False) == "None" or \
        level_for(ROLES["FreeBusyTimeOnly"], calendar=False) == "Custom"


def test_owner_of_mailbox_and_full_access_may_do_everything():
    for acc in (resolve_access(MAILBOX, MAILBOX, False, {}), resolve_access(CALLER, MAILBOX, True, {})):
        assert acc.everything
        assert all(acc.folder_effective_rights().values())
        assert acc.can_delete_item(created_by=OTHER, caller_id=CALLER)


def test_without_entry_the_default_entry_applies():
    acc = resolve_access(CALLER, MAILBOX, False, {"Default": ROLES["Reviewer"]})
    assert acc.can_read_items and not acc.can_create_items
    assert resolve_access(CALLER, MAILBOX, False, {}).can_see_folder is False


@pytest.mark.parametrize(
    ("role", "own_edit", "other_edit", "own_delete", "other_delete"),
    [
        ("Editor", True, True, True, True),
        ("Author", True, False, True, False),
        ("NoneditingAuthor", False, False, True, False),
        ("Reviewer", False, False, False, False),
    ],
)
def test_owned_versus_all(role, own_edit, other_edit, own_delete, other_delete):
    acc = resolve_access(CALLER, MAILBOX, False, {CALLER: ROLES[role]})
    assert acc.can_edit_item(CALLER, CALLER) is own_edit
    assert acc.can_edit_item(OTHER, CALLER) is other_edit
    assert acc.can_delete_item(CALLER, CALLER) is own_delete
    assert acc.can_delete_item(OTHER, CALLER) is other_delete


def test_reviewer_effective_rights_are_read_only():
    acc = resolve_access(CALLER, MAILBOX, False, {CALLER: ROLES["Reviewer"]})
    rights = acc.item_effective_rights(created_by=MAILBOX, caller_id=CALLER)
    assert rights == {"CreateAssociated": False, "CreateContents": False, "CreateHierarchy": False,
                      "Delete": False, "Modify": False, "Read": True, "ViewPrivateItems": False}
    assert acc.folder_effective_rights()["Read"] is True
    assert acc.folder_effective_rights()["CreateContents"] is False


def test_group_entries_merge_with_the_users_own():
    group = 9
    acc = resolve_access(CALLER, MAILBOX, False, {CALLER: ROLES["Reviewer"], group: ROLES["Contributor"]},
                         caller_groups=frozenset({group}))
    assert acc.can_read_items and acc.can_create_items


def test_free_busy_levels_allow_availability_but_not_items():
    acc = resolve_access(CALLER, MAILBOX, False, {"Default": ROLES["FreeBusyTimeOnly"]})
    assert acc.can_read_free_busy and not acc.can_read_items
