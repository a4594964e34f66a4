"""Folder permissions over EWS: read a folder's ``PermissionSet`` (GetFolder) and replace it (UpdateFolder).

exchangelib 5.6.0 maps ``t:Permission`` wrongly (see :class:`SchemaPermission`), so this module declares the
elements again in schema order and uses them through folder classes whose ``permission_set`` field carries the
corrected classes (:func:`folder_class`). A named role is sent as ``UserId`` + ``PermissionLevel`` only; individual
flags go out with ``PermissionLevel`` = ``Custom`` (Exchange refuses flags next to a named level with
``ErrorInvalidPermissionSettings``). ``UnknownEntries`` (deleted accounts) cannot be written and are dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from exchangelib import errors as ex
from exchangelib.fields import (
    BooleanField,
    Choice,
    ChoiceField,
    EWSElementField,
    EWSElementListField,
    FieldPath,
    PermissionSetField,
    UnknownEntriesField,
)
from exchangelib.folders import Calendar, Folder
from exchangelib.folders.roots import Root
from exchangelib.properties import (
    CalendarPermission,
    DistinguishedFolderId,
    Fields,
    Permission,
    PermissionSet,
    UserId,
)
from exchangelib.services import GetFolder, UpdateFolder
from exchangelib.version import EXCHANGE_2007_SP1

from app.domain.errors import ServerError
from app.domain.folders import FolderRef
from app.domain.messages import Person
from app.domain.permissions import (
    CALENDAR_READ_SCOPES,
    CUSTOM,
    SPECIAL_USERS,
    FolderPermissions,
    PermissionEntry,
    PermissionFlags,
    level_for,
    role_named,
)
from app.ews.addressing import folder_id, run
from app.ews.client import EwsClient

_SCOPES = {Choice("None"), Choice("Owned"), Choice("All")}
_LEVELS = ("None", "Owner", "PublishingEditor", "Editor", "PublishingAuthor", "Author", "NoneditingAuthor",
           "Reviewer", "Contributor", "Custom")
_CALENDAR_LEVELS = (*_LEVELS, "FreeBusyTimeOnly", "FreeBusyTimeAndSubjectAndLocation")


def _schema_fields(read_choices: Iterable[str], level_name: str, level_tag: str, levels: Iterable[str]) -> Fields:
    """``t:BasePermissionType`` + ReadItems + the level, in the schema's order, without defaults."""
    return Fields(
        EWSElementField(name="user_id", value_cls=UserId, is_required=True),
        BooleanField(name="can_create_items", field_uri="CanCreateItems"),
        BooleanField(name="can_create_subfolders", field_uri="CanCreateSubFolders"),
        BooleanField(name="is_folder_owner", field_uri="IsFolderOwner"),
        BooleanField(name="is_folder_visible", field_uri="IsFolderVisible"),
        BooleanField(name="is_folder_contact", field_uri="IsFolderContact"),
        ChoiceField(name="edit_items", field_uri="EditItems", choices=set(_SCOPES)),
        ChoiceField(name="delete_items", field_uri="DeleteItems", choices=set(_SCOPES)),
        ChoiceField(name="read_items", field_uri="ReadItems", choices={Choice(c) for c in read_choices}),
        ChoiceField(name=level_name, field_uri=level_tag, choices={Choice(c) for c in levels}, is_required=True),
    )


# WORKAROUND for exchangelib 5.6.0: t:Permission is mis-mapped (properties.py BasePermission / Permission):
# permission_level is the element CalendarPermissionLevel (the schema says PermissionLevel), can_create_subfolders
# is CanCreateSubfolders (the schema spells CanCreateSubFolders), and UserId is written after the flags (the schema
# wants it first). Reading therefore yields permission_level "None" and can_create_subfolders False for every
# entry, and writing produces UpdateFolder XML that fails schema validation. Every flag also defaults to False/"None",
# so a named role would always go out with flags beside it (ErrorInvalidPermissionSettings); here unset is unsent.
class SchemaPermission(Permission):
    """``t:Permission`` as the schema defines it (PermissionType)."""

    FIELDS = _schema_fields(("None", "FullDetails"), "permission_level", "PermissionLevel", _LEVELS)


# WORKAROUND for exchangelib 5.6.0: CalendarPermission shares the CanCreateSubfolders spelling and the UserId order
# of BasePermission, and its ReadItems allows only None/FullDetails (calendars also use TimeOnly and
# TimeAndSubjectAndLocation, the free/busy levels).
class SchemaCalendarPermission(CalendarPermission):
    """``t:CalendarPermission`` as the schema defines it (CalendarPermissionType)."""

    FIELDS = _schema_fields(CALENDAR_READ_SCOPES, "calendar_permission_level", "CalendarPermissionLevel",
                            _CALENDAR_LEVELS)


class SchemaPermissionSet(PermissionSet):
    """``t:PermissionSet`` holding the corrected permission classes."""

    FIELDS = Fields(
        EWSElementListField(name="permissions", field_uri="Permissions", value_cls=SchemaPermission),
        EWSElementListField(name="calendar_permissions", field_uri="CalendarPermissions",
                            value_cls=SchemaCalendarPermission),
        UnknownEntriesField(name="unknown_entries", field_uri="UnknownEntries"),
    )


class SchemaPermissionSetField(PermissionSetField):
    """``folder:PermissionSet`` read and written with :class:`SchemaPermissionSet`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._value_cls = SchemaPermissionSet


_classes: dict[tuple[bool, tuple[str, ...]], type[Folder]] = {}
_classes_lock = threading.Lock()


def folder_class(calendar: bool = False) -> type[Folder]:
    """A ``Folder`` (``CalendarFolder`` for calendars) class whose ``permission_set`` is schema-correct.

    Built from ``Folder.FIELDS`` as they are now (custom fields such as the folder size registered by
    :mod:`app.ews.client` included), once per set of fields.
    """
    names = tuple(f.name for f in Folder.FIELDS)
    with _classes_lock:
        cls = _classes.get((calendar, names))
        if cls is None:
            fixed = SchemaPermissionSetField(name="permission_set", field_uri="folder:PermissionSet",
                                             supported_from=EXCHANGE_2007_SP1)
            fields = Fields(*[fixed if f.name == "permission_set" else f for f in Folder.FIELDS])
            base = Calendar if calendar else Folder
            body: dict[str, object] = {"FIELDS": fields, "__module__": __name__}
            # WORKAROUND for exchangelib 5.6.0: Calendar's element is t:Folder, whose PermissionSet may not hold
            # CalendarPermissions (schema), so an UpdateFolder of a calendar's permissions needs t:CalendarFolder.
            if calendar:
                body["ELEMENT_NAME"] = "CalendarFolder"
            cls = type(f"Schema{base.__name__}", (base,), body)
            _classes[(calendar, names)] = cls
        return cls


def local_folder(client: EwsClient, ref: FolderRef, calendar: bool = False, **values: object) -> Folder:
    """A never-fetched folder object of :func:`folder_class` carrying ``ref``'s id (no round trip)."""
    account = client.account(ref.mailbox)
    fid = folder_id(ref)
    cls = folder_class(calendar)
    root = Root(account=account)
    if isinstance(fid, DistinguishedFolderId):
        return cls(root=root, _distinguished_id=fid, **values)
    return cls(root=root, id=fid.id, changekey=fid.changekey, **values)


def only(results: Iterable[object]) -> object:
    """The single answer of a one-folder service call; a per-folder error is raised."""
    [answer] = list(results)
    if isinstance(answer, Exception):
        raise answer
    return answer


# -- reading ------------------------------------------------------------------------------------------------------
def to_domain(ref: FolderRef, calendar: bool, ps: PermissionSet | None, *, editable: bool,
              reason: str = "") -> FolderPermissions:
    """The domain view of a folder's permission set (an empty one when the server sent none)."""
    rows = (ps.calendar_permissions if calendar else ps.permissions) if ps is not None else None
    entries = [_entry(p, calendar) for p in rows or []]
    unknown = tuple(ps.unknown_entries or ()) if ps is not None else ()
    return FolderPermissions(ref, calendar, tuple(e for e in entries if e is not None), unknown, editable,
                             reason).complete()


def _entry(p: Permission | CalendarPermission, calendar: bool) -> PermissionEntry | None:
    uid = p.user_id
    if uid is None:
        return None
    user: Person | str
    if uid.distinguished_user in SPECIAL_USERS:
        user = uid.distinguished_user
    elif uid.primary_smtp_address:
        user = Person(uid.primary_smtp_address, uid.display_name or "")
    else:
        return None  # an external identity or an unresolvable SID: nothing Mailroom can show or write back
    flags = PermissionFlags(
        can_create_items=bool(p.can_create_items), can_create_subfolders=bool(p.can_create_subfolders),
        is_folder_owner=bool(p.is_folder_owner), is_folder_visible=bool(p.is_folder_visible),
        is_folder_contact=bool(p.is_folder_contact), edit_items=p.edit_items or "None",
        delete_items=p.delete_items or "None", read_items=p.read_items or "None")
    level = (p.calendar_permission_level if calendar else p.permission_level) or CUSTOM
    role = role_named(level)
    if role is None or role.flags != flags:  # trust the flags; name the level after them
        level = level_for(flags, calendar)
    return PermissionEntry(user, level, flags, sid=uid.sid or "")


def read_permissions(client: EwsClient, ref: FolderRef, calendar: bool = False) -> FolderPermissions:
    """A folder's permission set (one GetFolder), and whether the user may change it (EffectiveRights Modify)."""
    account = client.account(ref.mailbox)
    cls = folder_class(calendar)
    paths = {FieldPath(field=cls.get_field_by_fieldname(n)) for n in ("permission_set", "effective_rights")}
    folder = local_folder(client, ref, calendar)

    def fetch() -> Folder:
        return only(GetFolder(account=account).call(folders=[folder], additional_fields=paths, shape="IdOnly"))

    answer = run(client, ref.mailbox, fetch, denied=f"You cannot see the folder's permissions in {ref.mailbox}.")
    editable = bool(answer.effective_rights and answer.effective_rights.modify)
    reason = "" if editable else "Only the folder's owners can change who has access to it."
    return to_domain(ref, calendar, answer.permission_set, editable=editable, reason=reason)


# -- writing ------------------------------------------------------------------------------------------------------
def to_exchangelib(perms: FolderPermissions) -> SchemaPermissionSet:
    """The corrected exchangelib permission set for ``perms`` (Default and Anonymous always included)."""
    cls = SchemaCalendarPermission if perms.calendar else SchemaPermission
    level_field = "calendar_permission_level" if perms.calendar else "permission_level"
    out = []
    for e in perms.complete().entries:
        if isinstance(e.user, str):
            uid = UserId(distinguished_user=e.user)
        else:
            uid = UserId(primary_smtp_address=e.user.address)
        values: dict[str, object] = {"user_id": uid, level_field: e.level}
        if role_named(e.level) is None:  # Custom: the flags, and only then
            f = e.flags
            values.update(can_create_items=f.can_create_items, can_create_subfolders=f.can_create_subfolders,
                          is_folder_owner=f.is_folder_owner, is_folder_visible=f.is_folder_visible,
                          is_folder_contact=f.is_folder_contact, edit_items=f.edit_items,
                          delete_items=f.delete_items, read_items=f.read_items)
            values[level_field] = CUSTOM
        out.append(cls(**values))
    if perms.calendar:
        return SchemaPermissionSet(calendar_permissions=out)
    return SchemaPermissionSet(permissions=out)


_REFUSALS = {
    ex.ErrorInvalidUserInfo: "Exchange could not find one of the people in its directory",
    ex.ErrorDuplicateUserIdsSpecified: "A person is listed twice",
    ex.ErrorInvalidPermissionSettings: "Exchange refused these permission settings",
    ex.ErrorMissingUserIdInformation: "An entry names nobody",
}


def write_permissions(client: EwsClient, perms: FolderPermissions) -> None:
    """Replace a folder's permission set (one UpdateFolder ``SetFolderField folder:PermissionSet``).

    Raises:
        AccessDenied: The user does not own the folder.
        ServerError: Exchange refused the set (an unknown person, a duplicate, invalid settings).
    """
    problem = perms.check()
    if problem:
        raise ServerError(problem)
    ref = perms.folder
    account = client.account(ref.mailbox)
    folder = local_folder(client, ref, perms.calendar, permission_set=to_exchangelib(perms))

    def update() -> None:
        try:
            only(UpdateFolder(account=account).call(folders=[(folder, ["permission_set"])]))
        except tuple(_REFUSALS) as error:
            words = next(w for c, w in _REFUSALS.items() if isinstance(error, c))
            raise ServerError(f"{words}: {error.args[0] if error.args else error}") from error

    run(client, ref.mailbox, update,
        denied=f"Only the folder's owners can change who has access to it ({ref.mailbox}).")
