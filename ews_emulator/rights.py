"""Exchange's rights model: folder roles, mailbox grants and the EffectiveRights they yield.

Pure logic, no storage: the store hands in the facts (who owns the mailbox, which grants
and folder permissions exist) and this module answers "may this user do this", the same
answer an operation gives and ``EffectiveRights`` reports.

Role table: MS-OXWSFOLD 2.2.5.3 (PermissionLevelType), Microsoft's "Set folder permissions
by using EWS" article, and the calendar levels FreeBusyTimeOnly / FreeBusyTimeAndSubjectAndLocation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

NONE, OWNED, ALL = "None", "Owned", "All"
READ_NONE, READ_TIME, READ_TSL, READ_FULL = "None", "TimeOnly", "TimeAndSubjectAndLocation", "FullDetails"

_EDIT_RANK = {NONE: 0, OWNED: 1, ALL: 2}
_READ_RANK = {READ_NONE: 0, READ_TIME: 1, READ_TSL: 2, READ_FULL: 3}


@dataclass(frozen=True)
class FolderPermission:
    """One user's permission on one folder, as ``t:Permission`` / ``t:CalendarPermission`` carry it."""

    level: str
    can_create_items: bool
    can_create_subfolders: bool
    is_folder_owner: bool
    is_folder_visible: bool
    is_folder_contact: bool
    edit_items: str
    delete_items: str
    read_items: str

    def merged(self, other: FolderPermission) -> FolderPermission:
        """The union of two permissions (a user in several groups gets the best of each)."""
        return FolderPermission(
            level="Custom" if self.level != other.level else self.level,
            can_create_items=self.can_create_items or other.can_create_items,
            can_create_subfolders=self.can_create_subfolders or other.can_create_subfolders,
            is_folder_owner=self.is_folder_owner or other.is_folder_owner,
            is_folder_visible=self.is_folder_visible or other.is_folder_visible,
            is_folder_contact=self.is_folder_contact or other.is_folder_contact,
            edit_items=max(self.edit_items, other.edit_items, key=_EDIT_RANK.__getitem__),
            delete_items=max(self.delete_items, other.delete_items, key=_EDIT_RANK.__getitem__),
            read_items=max(self.read_items, other.read_items, key=_READ_RANK.__getitem__),
        )


def _role(level: str, ci: bool, csf: bool, own: bool, vis: bool, contact: bool, edit: str, delete: str,
          read: str) -> FolderPermission:
    return FolderPermission(level, ci, csf, own, vis, contact, edit, delete, read)


ROLES: dict[str, FolderPermission] = {
    "Owner": _role("Owner", True, True, True, True, True, ALL, ALL, READ_FULL),
    "PublishingEditor": _role("PublishingEditor", True, True, False, True, False, ALL, ALL, READ_FULL),
    "Editor": _role("Editor", True, False, False, True, False, ALL, ALL, READ_FULL),
    "PublishingAuthor": _role("PublishingAuthor", True, True, False, True, False, OWNED, OWNED, READ_FULL),
    "Author": _role("Author", True, False, False, True, False, OWNED, OWNED, READ_FULL),
    "NoneditingAuthor": _role("NoneditingAuthor", True, False, False, True, False, NONE, OWNED, READ_FULL),
    "Reviewer": _role("Reviewer", False, False, False, True, False, NONE, NONE, READ_FULL),
    "Contributor": _role("Contributor", True, False, False, True, False, NONE, NONE, READ_NONE),
    "None": _role("None", False, False, False, False, False, NONE, NONE, READ_NONE),
    # Calendar-only levels (CalendarPermissionLevelType).
    "FreeBusyTimeOnly": _role("FreeBusyTimeOnly", False, False, False, False, False, NONE, NONE, READ_TIME),
    "FreeBusyTimeAndSubjectAndLocation": _role(
        "FreeBusyTimeAndSubjectAndLocation", False, False, False, False, False, NONE, NONE, READ_TSL
    ),
}

FULL = ROLES["Owner"]
NO_ACCESS = ROLES["None"]
CALENDAR_ONLY_LEVELS = ("FreeBusyTimeOnly", "FreeBusyTimeAndSubjectAndLocation")


def level_for(perm: FolderPermission, calendar: bool = False) -> str:
    """The role name whose flags equal ``perm``'s, else ``Custom`` (what Exchange reports back)."""
    for name, role in ROLES.items():
        if name in CALENDAR_ONLY_LEVELS and not calendar:
            continue
        if replace(role, level=perm.level) == perm:
            return name
    return "Custom"


def from_role(level: str) -> FolderPermission:
    """Expand a role name into its flags; ``KeyError`` for an unknown or ``Custom`` level."""
    return ROLES[level]


@dataclass(frozen=True)
class Access:
    """What one caller may do with one folder: the folder permission plus how it was obtained."""

    perm: FolderPermission
    is_owner_of_mailbox: bool = False
    full_access: bool = False

    @property
    def everything(self) -> bool:
        return self.is_owner_of_mailbox or self.full_access

    # Folder-level questions -------------------------------------------------------------
    @property
    def can_see_folder(self) -> bool:
        return self.everything or self.perm.is_folder_visible or self.perm.read_items != READ_NONE

    @property
    def can_read_items(self) -> bool:
        return self.everything or self.perm.read_items == READ_FULL

    @property
    def can_read_free_busy(self) -> bool:
        return self.everything or self.perm.read_items != READ_NONE

    @property
    def can_create_items(self) -> bool:
        return self.everything or self.perm.can_create_items

    @property
    def can_create_subfolders(self) -> bool:
        return self.everything or self.perm.can_create_subfolders

    @property
    def is_folder_owner(self) -> bool:
        return self.everything or self.perm.is_folder_owner

    # Item-level questions --------------------------------------------------------------
    def can_edit_item(self, created_by: int | None, caller_id: int) -> bool:
        return self.everything or _allows(self.perm.edit_items, created_by, caller_id)

    def can_delete_item(self, created_by: int | None, caller_id: int) -> bool:
        return self.everything or _allows(self.perm.delete_items, created_by, caller_id)

    def folder_effective_rights(self) -> dict[str, bool]:
        """``t:EffectiveRights`` of a folder, in schema order."""
        return {
            "CreateAssociated": self.is_folder_owner,
            "CreateContents": self.can_create_items,
            "CreateHierarchy": self.can_create_subfolders,
            "Delete": self.is_folder_owner,
            "Modify": self.is_folder_owner,
            "Read": self.can_see_folder,
            "ViewPrivateItems": self.everything,
        }

    def item_effective_rights(self, created_by: int | None, caller_id: int) -> dict[str, bool]:
        """``t:EffectiveRights`` of an item, in schema order."""
        return {
            "CreateAssociated": False,
            "CreateContents": False,
            "CreateHierarchy": False,
            "Delete": self.can_delete_item(created_by, caller_id),
            "Modify": self.can_edit_item(created_by, caller_id),
            "Read": self.can_read_items,
            "ViewPrivateItems": self.everything,
        }


def _allows(scope: str, created_by: int | None, caller_id: int) -> bool:
    if scope == ALL:
        return True
    return scope == OWNED and created_by is not None and created_by == caller_id


def resolve_access(
    caller_id: int,
    mailbox_id: int,
    full_access: bool,
    entries: dict[int | str, FolderPermission],
    caller_groups: frozenset[int] = frozenset(),
) -> Access:
    """Combine the facts into an :class:`Access`.

    Args:
        caller_id: the signed-in user's recipient id.
        mailbox_id: the owner of the folder's mailbox.
        full_access: whether the caller holds FullAccess on that mailbox.
        entries: the folder's permission entries, keyed by recipient id or ``"Default"``/``"Anonymous"``.
        caller_groups: ids of the groups the caller belongs to (group entries apply to members).
    """
    if caller_id == mailbox_id:
        return Access(FULL, is_owner_of_mailbox=True)
    if full_access:
        return Access(FULL, full_access=True)
    perm: FolderPermission | None = entries.get(caller_id)
    for group in caller_groups:
        if group in entries:
            perm = entries[group] if perm is None else perm.merged(entries[group])
    if perm is None:
        perm = entries.get("Default", NO_ACCESS)
    return Access(perm)
