"""Folder permission sets: ``t:PermissionSet`` out of the store and back in.

Reading follows the schema (``t:Permission``: UserId, CanCreateItems, CanCreateSubFolders, IsFolderOwner,
IsFolderVisible, IsFolderContact, EditItems, DeleteItems, ReadItems, PermissionLevel; calendar folders use
``t:CalendarPermissions``/``t:CalendarPermission`` with ``CalendarPermissionLevel``). Writing follows
Microsoft's "Set folder permissions" article and the ResponseCode reference:

- a named level other than ``Custom`` expands to the role's flags; giving flags as well is
  ``ErrorInvalidPermissionSettings``; ``Custom`` takes the given flags (missing ones are off);
- ``Default``/``Anonymous`` together with a SID, address or name is ``ErrorInvalidUserInfo``; an
  empty ``UserId`` is ``ErrorMissingUserIdInformation``; the same user twice is
  ``ErrorDuplicateUserIdsSpecified``; ``UnknownEntries`` cannot be written
  (``ErrorCannotSetPermissionUnknownEntries``);
- calendar entries on a non-calendar folder and the reverse are refused
  (``ErrorCannotSetCalendarPermissionOnNonCalendarFolder`` / ``...NonCalendarPermissionOnCalendarFolder``);
- an address, SID or name that resolves to nobody in the directory is ``ErrorInvalidUserInfo``
  (Exchange's exact code for this case is not documented).
Levels are reported back from the flags (:func:`ews_emulator.rights.level_for`), so a Custom set that
equals a role reads back as that role, as Exchange does.
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.rights import (
    CALENDAR_ONLY_LEVELS,
    NO_ACCESS,
    READ_FULL,
    READ_NONE,
    ROLES,
    FolderPermission,
    level_for,
)
from ews_emulator.soap import T_NS, bool_text, t, xs_bool
from ews_emulator.store import Folder, Recipient

_T = f"{{{T_NS}}}"
SPECIAL = ("Default", "Anonymous")
# Deterministic, realistic-looking SIDs for the tenant's recipients (domain part fixed, RID = 1100 + id).
SID_PREFIX = "S-1-5-21-2743183101-1482306637-2230129815-"
_FLAGS = (
    "CanCreateItems",
    "CanCreateSubFolders",
    "IsFolderOwner",
    "IsFolderVisible",
    "IsFolderContact",
    "EditItems",
    "DeleteItems",
    "ReadItems",
)

PermissionEntries = dict[int | str, FolderPermission]


def sid_of(recipient: Recipient) -> str:
    return f"{SID_PREFIX}{1100 + recipient.id}"


def _recipient_by_sid(ctx: Ctx, sid: str) -> Recipient | None:
    if not sid.startswith(SID_PREFIX):
        return None
    try:
        rid = int(sid[len(SID_PREFIX) :]) - 1100
    except ValueError:
        return None
    return ctx.store.directory.by_id(rid)


# Output ---------------------------------------------------------------------------------------------
def _user_id_el(ctx: Ctx, key: int | str) -> etree._Element | None:
    uid = etree.Element(t("UserId"))
    if isinstance(key, str):
        etree.SubElement(uid, t("DistinguishedUser")).text = key
        return uid
    rec = ctx.store.directory.by_id(key)
    if rec is None:
        return None
    etree.SubElement(uid, t("SID")).text = sid_of(rec)
    etree.SubElement(uid, t("PrimarySmtpAddress")).text = rec.smtp
    etree.SubElement(uid, t("DisplayName")).text = rec.display_name
    return uid


def permission_el(ctx: Ctx, key: int | str, perm: FolderPermission, calendar: bool) -> etree._Element | None:
    """One ``t:Permission`` / ``t:CalendarPermission``; None for a principal that no longer exists."""
    uid = _user_id_el(ctx, key)
    if uid is None:
        return None
    el = etree.Element(t("CalendarPermission" if calendar else "Permission"))
    el.append(uid)
    for name, value in (
        ("CanCreateItems", perm.can_create_items),
        ("CanCreateSubFolders", perm.can_create_subfolders),
        ("IsFolderOwner", perm.is_folder_owner),
        ("IsFolderVisible", perm.is_folder_visible),
        ("IsFolderContact", perm.is_folder_contact),
    ):
        etree.SubElement(el, t(name)).text = bool_text(value)
    etree.SubElement(el, t("EditItems")).text = perm.edit_items
    etree.SubElement(el, t("DeleteItems")).text = perm.delete_items
    read = perm.read_items if calendar or perm.read_items in (READ_NONE, READ_FULL) else READ_NONE
    etree.SubElement(el, t("ReadItems")).text = read
    level = level_for(perm, calendar=calendar)
    etree.SubElement(el, t("CalendarPermissionLevel" if calendar else "PermissionLevel")).text = level
    return el


def ordered_keys(entries: PermissionEntries) -> list[int | str]:
    """Default, Anonymous, then users in the order they were granted (as Exchange lists them)."""
    return [k for k in SPECIAL if k in entries] + [k for k in entries if not isinstance(k, str)]


def permission_set_el(ctx: Ctx, folder: Folder) -> etree._Element:
    """``t:PermissionSet`` of a folder (calendar form on calendar folders)."""
    calendar = folder.is_calendar
    entries = ctx.store.folders.permissions(folder.id)
    ps = etree.Element(t("PermissionSet"))
    arr = etree.SubElement(ps, t("CalendarPermissions" if calendar else "Permissions"))
    for key in ordered_keys(entries):
        el = permission_el(ctx, key, entries[key], calendar)
        if el is not None:
            arr.append(el)
    return ps


# Input ----------------------------------------------------------------------------------------------
def _principal(ctx: Ctx, uid: etree._Element | None) -> int | str:
    if uid is None:
        raise EwsError("ErrorMissingUserIdInformation", "The UserId of a permission entry is missing.")
    sid = (uid.findtext(f"{_T}SID") or "").strip()
    smtp = (uid.findtext(f"{_T}PrimarySmtpAddress") or "").strip()
    name = (uid.findtext(f"{_T}DisplayName") or "").strip()
    special = (uid.findtext(f"{_T}DistinguishedUser") or "").strip()
    external = (uid.findtext(f"{_T}ExternalUserIdentity") or "").strip()
    if special:
        if sid or smtp or name or external:
            raise EwsError(
                "ErrorInvalidUserInfo", "A distinguished user cannot also have a SID, address or name."
            )
        return special
    if external:
        raise EwsError("ErrorInvalidUserInfo", "External users cannot be given folder permissions here.")
    rec = None
    if sid:
        rec = _recipient_by_sid(ctx, sid)
        if rec is None:
            raise EwsError("ErrorInvalidUserInfo", f"The SID {sid} does not resolve to a user.")
    if smtp:
        by_smtp = ctx.store.directory.by_smtp(smtp)
        if by_smtp is None or (rec is not None and by_smtp.id != rec.id):
            raise EwsError("ErrorInvalidUserInfo", f"The user {smtp} could not be resolved.")
        rec = by_smtp
    if rec is None and name:
        matches = [r for r in ctx.store.directory.all() if r.display_name.lower() == name.lower()]
        if len(matches) != 1:
            raise EwsError("ErrorInvalidUserInfo", f"The user '{name}' could not be resolved.")
        rec = matches[0]
    if rec is None:
        raise EwsError("ErrorMissingUserIdInformation", "The UserId of a permission entry is empty.")
    return rec.id


def _flag(el: etree._Element, name: str) -> str | None:
    found = el.find(f"{_T}{name}")
    return found.text.strip() if found is not None and found.text is not None else None


def parse_permission(ctx: Ctx, el: etree._Element, calendar: bool) -> tuple[int | str, FolderPermission]:
    """One request entry -> (principal, permission)."""
    key = _principal(ctx, el.find(f"{_T}UserId"))
    level = _flag(el, "CalendarPermissionLevel" if calendar else "PermissionLevel") or "Custom"
    given = {name: _flag(el, name) for name in _FLAGS}
    if level != "Custom":
        if any(v is not None for v in given.values()):
            raise EwsError(
                "ErrorInvalidPermissionSettings",
                "Individual permissions cannot be combined with a permission level other than Custom.",
            )
        if level in CALENDAR_ONLY_LEVELS and not calendar:
            raise EwsError("ErrorInvalidPermissionSettings", f"{level} applies to calendar folders only.")
        return key, ROLES[level]
    perm = FolderPermission(
        level="Custom",
        can_create_items=xs_bool(given["CanCreateItems"]),
        can_create_subfolders=xs_bool(given["CanCreateSubFolders"]),
        is_folder_owner=xs_bool(given["IsFolderOwner"]),
        is_folder_visible=xs_bool(given["IsFolderVisible"]),
        is_folder_contact=xs_bool(given["IsFolderContact"]),
        edit_items=given["EditItems"] or "None",
        delete_items=given["DeleteItems"] or "None",
        read_items=given["ReadItems"] or READ_NONE,
    )
    return key, perm


def parse_permission_set(ctx: Ctx, folder: Folder, ps: etree._Element | None) -> PermissionEntries:
    """The entries of a ``t:PermissionSet`` from a request, validated for ``folder``."""
    if ps is None:
        return {}
    unknown = ps.find(f"{_T}UnknownEntries")
    if unknown is not None and len(unknown):
        raise EwsError("ErrorCannotSetPermissionUnknownEntries", "Unknown permission entries cannot be set.")
    plain, cal = ps.find(f"{_T}Permissions"), ps.find(f"{_T}CalendarPermissions")
    if folder.is_calendar and plain is not None and len(plain):
        raise EwsError(
            "ErrorCannotSetNonCalendarPermissionOnCalendarFolder",
            "Non-calendar permissions cannot be set on a calendar folder.",
        )
    if not folder.is_calendar and cal is not None and len(cal):
        raise EwsError(
            "ErrorCannotSetCalendarPermissionOnNonCalendarFolder",
            "Calendar permissions cannot be set on a non-calendar folder.",
        )
    source = cal if folder.is_calendar else plain
    entries: PermissionEntries = {}
    for el in source if source is not None else []:
        key, perm = parse_permission(ctx, el, folder.is_calendar)
        if key in entries:
            raise EwsError(
                "ErrorDuplicateUserIdsSpecified", "A user appears more than once in the permission set."
            )
        entries[key] = perm
    return entries


def complete(entries: PermissionEntries) -> PermissionEntries:
    """Every folder keeps a Default and an Anonymous entry (None when the request left them out)."""
    out: PermissionEntries = {k: entries.get(k, NO_ACCESS) for k in SPECIAL}
    out.update((k, v) for k, v in entries.items() if not isinstance(k, str))
    return out
