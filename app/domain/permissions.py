"""Folder permissions: who may do what in a folder, in Exchange's terms and in plain words.

A folder's permission set is a list of :class:`PermissionEntry`: one per person (or group), plus two that every
folder has, ``Default`` (everyone in the organisation not listed) and ``Anonymous`` (people outside it). Each entry
has a *role* (Exchange's ``PermissionLevel``: Owner … None, on calendars also the two free/busy levels) or
``Custom`` flags. The role table is Exchange's (MS-OXWSFOLD 2.2.5.3, "Set folder permissions by using EWS").
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.rights import describe_rights

DEFAULT = "Default"
ANONYMOUS = "Anonymous"
CUSTOM = "Custom"
SPECIAL_USERS = (DEFAULT, ANONYMOUS)

# EditItems / DeleteItems
NONE, OWNED, ALL = "None", "Owned", "All"
SCOPES = (NONE, OWNED, ALL)
# ReadItems (TimeOnly and TimeAndSubjectAndLocation exist on calendars only)
READ_NONE, READ_TIME, READ_TSL, READ_FULL = "None", "TimeOnly", "TimeAndSubjectAndLocation", "FullDetails"
READ_SCOPES = (READ_NONE, READ_FULL)
CALENDAR_READ_SCOPES = (READ_NONE, READ_TIME, READ_TSL, READ_FULL)

SCOPE_WORDS = {NONE: "None", OWNED: "Their own", ALL: "All"}
READ_WORDS = {READ_NONE: "Nothing", READ_TIME: "Free/busy time", READ_TSL: "Free/busy, subject, location",
              READ_FULL: "Everything"}


@dataclass(frozen=True)
class PermissionFlags:
    """The individual rights of one entry (``t:Permission`` without UserId and level)."""

    can_create_items: bool = False
    can_create_subfolders: bool = False
    is_folder_owner: bool = False
    is_folder_visible: bool = False
    is_folder_contact: bool = False
    edit_items: str = NONE
    delete_items: str = NONE
    read_items: str = READ_NONE


@dataclass(frozen=True)
class Role:
    """A named permission level.

    Attributes:
        level: Exchange's name (``PublishingEditor``), as sent in ``PermissionLevel``.
        label: What people read ("Publishing Editor").
        description: What it allows, in plain words.
        flags: The rights it stands for.
        calendar_only: Only calendars have it (the free/busy levels).
    """

    level: str
    label: str
    description: str
    flags: PermissionFlags
    calendar_only: bool = False


def _flags(ci: bool, csf: bool, own: bool, vis: bool, contact: bool, edit: str, delete: str,
           read: str) -> PermissionFlags:
    return PermissionFlags(ci, csf, own, vis, contact, edit, delete, read)


ROLES: tuple[Role, ...] = (
    Role("Owner", "Owner", "Everything: read, create, change and delete all items, create subfolders, and "
         "change who has access.", _flags(True, True, True, True, True, ALL, ALL, READ_FULL)),
    Role("PublishingEditor", "Publishing Editor", "Read, create, change and delete all items, and create "
         "subfolders.", _flags(True, True, False, True, False, ALL, ALL, READ_FULL)),
    Role("Editor", "Editor", "Read, create, change and delete all items.",
         _flags(True, False, False, True, False, ALL, ALL, READ_FULL)),
    Role("PublishingAuthor", "Publishing Author", "Read and create items, create subfolders, and change or "
         "delete their own items.", _flags(True, True, False, True, False, OWNED, OWNED, READ_FULL)),
    Role("Author", "Author", "Read and create items, and change or delete their own items.",
         _flags(True, False, False, True, False, OWNED, OWNED, READ_FULL)),
    Role("NoneditingAuthor", "Nonediting Author", "Read and create items, and delete their own items.",
         _flags(True, False, False, True, False, NONE, OWNED, READ_FULL)),
    Role("Reviewer", "Reviewer", "Read items only.",
         _flags(False, False, False, True, False, NONE, NONE, READ_FULL)),
    Role("Contributor", "Contributor", "Create items only: they cannot see what is in the folder.",
         _flags(True, False, False, True, False, NONE, NONE, READ_NONE)),
    Role("FreeBusyTimeAndSubjectAndLocation", "Free/busy time, subject, location",
         "See when you are busy, with the subject and location of appointments.",
         _flags(False, False, False, False, False, NONE, NONE, READ_TSL), calendar_only=True),
    Role("FreeBusyTimeOnly", "Free/busy time", "See only when you are busy.",
         _flags(False, False, False, False, False, NONE, NONE, READ_TIME), calendar_only=True),
    Role("None", "None", "No access: the folder is not even visible to them.",
         _flags(False, False, False, False, False, NONE, NONE, READ_NONE)),
)
_BY_LEVEL = {r.level: r for r in ROLES}
CUSTOM_DESCRIPTION = "Custom: the rights ticked below."


def roles_for(calendar: bool) -> list[Role]:
    """The roles a folder offers (the free/busy levels on calendars only), most rights first."""
    return [r for r in ROLES if calendar or not r.calendar_only]


def role_named(level: str) -> Role | None:
    """The role with this ``PermissionLevel`` name, or None (``Custom``, unknown)."""
    return _BY_LEVEL.get(level)


def level_for(flags: PermissionFlags, calendar: bool) -> str:
    """The role whose rights are exactly ``flags``, else ``Custom`` (what Exchange reports back)."""
    for role in roles_for(calendar):
        if role.flags == flags:
            return role.level
    return CUSTOM


def level_label(level: str) -> str:
    """ "Publishing Editor" for ``PublishingEditor``; "Custom" for anything else."""
    role = role_named(level)
    return role.label if role is not None else CUSTOM


def describe_flags(flags: PermissionFlags) -> str:
    """What an entry's rights allow, in one sentence (for Custom entries and tooltips)."""
    if not flags.is_folder_visible and flags.read_items == READ_NONE and not flags.can_create_items:
        return "No access."
    text = describe_rights(read=flags.read_items, create=flags.can_create_items, edit=flags.edit_items,
                           delete=flags.delete_items, subfolders=flags.can_create_subfolders,
                           owner=flags.is_folder_owner, whose="their")
    if text == "no access":
        return "See the folder, but nothing in it."
    return text[:1].upper() + text[1:] + "."


@dataclass(frozen=True)
class PermissionEntry:
    """One line of a folder's permissions.

    Attributes:
        user: The person (or group) it is for, or :data:`DEFAULT` / :data:`ANONYMOUS`.
        level: A role's ``PermissionLevel`` name, or :data:`CUSTOM`.
        flags: The rights (for a role, the role's).
        sid: The security id Exchange reported for the person ("" when unknown or special).
    """

    user: Person | str
    level: str
    flags: PermissionFlags
    sid: str = ""

    @classmethod
    def with_role(cls, user: Person | str, level: str) -> PermissionEntry:
        """An entry granting a named role (``Reviewer``)."""
        role = role_named(level)
        if role is None:
            raise ValueError(f"{level!r} is not a role")
        return cls(user, level, role.flags)

    @classmethod
    def custom(cls, user: Person | str, flags: PermissionFlags, calendar: bool = False) -> PermissionEntry:
        """An entry with individual rights; named after the role they equal, if any."""
        return cls(user, level_for(flags, calendar), flags)

    @property
    def is_special(self) -> bool:
        """Default or Anonymous (they cannot be removed, only set to None)."""
        return isinstance(self.user, str)

    @property
    def key(self) -> str:
        """``default`` / ``anonymous`` / the person's address, casefolded."""
        return self.user.casefold() if isinstance(self.user, str) else self.user.address.casefold()

    @property
    def name(self) -> str:
        """What the list shows for who it is."""
        if self.user == DEFAULT:
            return "Default (everyone else in the organisation)"
        if self.user == ANONYMOUS:
            return "Anonymous (people outside the organisation)"
        assert isinstance(self.user, Person)
        return self.user.name or self.user.address

    @property
    def role_label(self) -> str:
        return level_label(self.level)

    @property
    def description(self) -> str:
        role = role_named(self.level)
        return role.description if role is not None else describe_flags(self.flags)


@dataclass(frozen=True)
class FolderPermissions:
    """A folder's permission set as the user may see and, maybe, change it.

    Attributes:
        folder: The folder.
        calendar: It is a calendar (calendar roles, ``CalendarPermission`` on the wire).
        entries: Default and Anonymous first, then people in the server's order.
        unknown_entries: Entries Exchange could not resolve (deleted accounts); dropped when saving.
        editable: The user owns the folder (may change its permissions).
        reason: Why not, when not editable.
    """

    folder: FolderRef
    calendar: bool
    entries: tuple[PermissionEntry, ...]
    unknown_entries: tuple[str, ...] = ()
    editable: bool = False
    reason: str = ""

    def entry(self, user: Person | str) -> PermissionEntry | None:
        """The entry of a person (by address) or of Default/Anonymous, or None."""
        key = user.casefold() if isinstance(user, str) else user.address.casefold()
        return next((e for e in self.entries if e.key == key), None)

    def with_entry(self, entry: PermissionEntry) -> FolderPermissions:
        """A copy where ``entry`` replaces the same user's entry, or is added at the end."""
        entries = list(self.entries)
        for i, old in enumerate(entries):
            if old.key == entry.key:
                entries[i] = entry
                break
        else:
            entries.append(entry)
        return replace(self, entries=tuple(ordered(entries)))

    def without(self, user: Person | str) -> FolderPermissions:
        """A copy without a person's entry; Default and Anonymous are set to None instead of removed."""
        key = user.casefold() if isinstance(user, str) else user.address.casefold()
        entries = []
        for e in self.entries:
            if e.key != key:
                entries.append(e)
            elif e.is_special:
                entries.append(PermissionEntry.with_role(e.user, "None"))
        return replace(self, entries=tuple(entries))

    def complete(self) -> FolderPermissions:
        """A copy that has Default and Anonymous entries (None when missing), as Exchange always keeps them."""
        entries = list(self.entries)
        for special in SPECIAL_USERS:
            if not any(e.key == special.casefold() for e in entries):
                entries.append(PermissionEntry.with_role(special, "None"))
        return replace(self, entries=tuple(ordered(entries)))

    def check(self) -> str:
        """Why the set cannot be saved as it is ("" when it can)."""
        seen: set[str] = set()
        for e in self.entries:
            if e.key in seen:
                return f"{e.name} is listed twice."
            seen.add(e.key)
            role = role_named(e.level)
            if role is not None and role.calendar_only and not self.calendar:
                return f"{role.label} is for calendars only."
            if e.flags.read_items not in (CALENDAR_READ_SCOPES if self.calendar else READ_SCOPES):
                return f"{e.name}: “{READ_WORDS.get(e.flags.read_items, e.flags.read_items)}” is for calendars only."
        return ""


def ordered(entries: list[PermissionEntry]) -> list[PermissionEntry]:
    """Default, Anonymous, then the people in their order (as Exchange lists them)."""
    special = {e.key: e for e in entries if e.is_special}
    head = [special[s.casefold()] for s in SPECIAL_USERS if s.casefold() in special]
    return head + [e for e in entries if not e.is_special]
