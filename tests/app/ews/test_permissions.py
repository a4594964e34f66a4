"""Folder permissions: the corrected t:Permission mapping against the emulator (schema validation on), the role
table, who may see and who may change a permission set, and a permission written here enforced for another user.

Tests that change data get a private emulator; results are checked with a separate exchangelib account or with
the other user's own connection, not with the code under test alone.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.domain.errors import AccessDenied, ServerError
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.messages import ListQuery, Person
from app.domain.permissions import (
    ANONYMOUS,
    CUSTOM,
    DEFAULT,
    FolderPermissions,
    PermissionEntry,
    PermissionFlags,
    describe_flags,
    level_for,
    role_named,
    roles_for,
)
from app.ews.client import EwsClient
from app.ews.folders import list_folders
from app.ews.messages import find_page
from app.ews.permissions import (
    SchemaPermission,
    folder_class,
    read_permissions,
    to_exchangelib,
    write_permissions,
)
from tests.app.ews.conftest import round_trips
from tests.support.emulator import BUILD, schema_dir

SUPPORT = "support@example.com"
DAVE = Person("dave@example.com", "Dave Diaz")


def client_for(emu, user: str) -> EwsClient:
    return EwsClient(emu.ews_url, f"{user}@example.com", f"{user}-pass", AuthMethod.NTLM, ServerVersion(*BUILD))


@pytest.fixture
def alice(fresh_emulator) -> Iterator[EwsClient]:
    client = client_for(fresh_emulator, "alice")
    yield client
    client.close()


@pytest.fixture
def dave(fresh_emulator) -> Iterator[EwsClient]:
    client = client_for(fresh_emulator, "dave")
    yield client
    client.close()


def folder(client: EwsClient, mailbox: str, name: str = "", well_known: str = "") -> FolderRef:
    tree = list_folders(client, mailbox)
    node = next(f for f in tree.folders if (name and f.name == name) or (well_known and f.well_known == well_known))
    return node.ref


# -- the role table (pure) ----------------------------------------------------------------------------------------
def test_roles_are_exchanges_table_with_plain_descriptions() -> None:
    mail = [r.level for r in roles_for(calendar=False)]
    assert mail == ["Owner", "PublishingEditor", "Editor", "PublishingAuthor", "Author", "NoneditingAuthor",
                    "Reviewer", "Contributor", "None"]
    assert [r.level for r in roles_for(calendar=True)][-3:] == ["FreeBusyTimeAndSubjectAndLocation",
                                                                "FreeBusyTimeOnly", "None"]
    assert all(r.description.endswith(".") for r in roles_for(True))
    reviewer = role_named("Reviewer")
    assert reviewer is not None and reviewer.description == "Read items only."
    assert level_for(reviewer.flags, calendar=False) == "Reviewer"
    odd = PermissionFlags(can_create_items=True, is_folder_visible=True, read_items="FullDetails")
    assert level_for(odd, calendar=False) == CUSTOM
    assert describe_flags(odd) == "Read and add items; cannot change or delete."
    owner = role_named("Owner")
    assert owner is not None and "change who has access" in describe_flags(owner.flags)


def test_a_permission_set_is_edited_as_a_copy() -> None:
    ref = FolderRef(SUPPORT, "id1")
    perms = FolderPermissions(ref, False, ()).complete()
    assert [e.user for e in perms.entries] == [DEFAULT, ANONYMOUS]
    added = perms.with_entry(PermissionEntry.with_role(DAVE, "Reviewer"))
    assert perms.entry(DAVE) is None and added.entry(DAVE).level == "Reviewer"
    changed = added.with_entry(PermissionEntry.with_role(Person("DAVE@example.com"), "Editor"))
    assert [e.level for e in changed.entries] == ["None", "None", "Editor"]  # the same person, by address
    assert [e.user for e in changed.without(DAVE).entries] == [DEFAULT, ANONYMOUS]
    reset = changed.with_entry(PermissionEntry.with_role(DEFAULT, "Reviewer")).without(DEFAULT)
    assert reset.entry(DEFAULT).level == "None"  # Default stays, set to None
    free_busy = PermissionEntry.with_role(DEFAULT, "FreeBusyTimeOnly")
    assert "calendars only" in perms.with_entry(free_busy).check()
    assert FolderPermissions(ref, True, ()).complete().with_entry(free_busy).check() == ""


# -- the workaround, proven against the schema ----------------------------------------------------------------------
def _send(client: EwsClient, ref: FolderRef, permission_set, cls) -> None:
    from exchangelib.folders.roots import Root
    from exchangelib.services import UpdateFolder

    account = client.account(ref.mailbox)
    target = cls(root=Root(account=account), id=ref.folder_id, permission_set=permission_set)
    [answer] = list(UpdateFolder(account=account).call(folders=[(target, ["permission_set"])]))
    if isinstance(answer, Exception):
        raise answer


def test_exchangelibs_own_permission_xml_is_rejected_and_the_corrected_one_accepted(fresh_emulator, alice) -> None:
    from exchangelib import errors as ex
    from exchangelib.folders import Folder
    from exchangelib.properties import Permission, PermissionSet, UserId

    bugs = folder(alice, SUPPORT, "Bugs")
    original = PermissionSet(permissions=[
        Permission(user_id=UserId(distinguished_user="Default"), permission_level="None"),
        Permission(user_id=UserId(primary_smtp_address=DAVE.address), permission_level="Reviewer"),
    ])
    xml = original.to_xml(version=alice.account(SUPPORT).version)
    first = xml.find("{*}Permissions")[1]
    names = [c.tag.rpartition("}")[2] for c in first]
    assert names[0] == "CanCreateItems" and names[-2:] == ["UserId", "CalendarPermissionLevel"]  # upstream, as sent
    assert "CanCreateSubfolders" in names
    fixed = to_exchangelib(FolderPermissions(bugs, False, (PermissionEntry.with_role(DAVE, "Reviewer"),)))
    fixed_first = fixed.to_xml(version=alice.account(SUPPORT).version).find("{*}Permissions")[2]
    assert [c.tag.rpartition("}")[2] for c in fixed_first] == ["UserId", "PermissionLevel"]

    if schema_dir() is not None:  # the emulator validates requests against Microsoft's schema
        with pytest.raises(ex.ErrorSchemaValidation):
            _send(alice, bugs, original, Folder)
        assert read_permissions(alice, bugs).entry(DAVE) is None  # nothing was written
    with round_trips(fresh_emulator) as ews:
        _send(alice, bugs, fixed, folder_class())
    assert ews == {"UpdateFolder": 1}
    assert read_permissions(alice, bugs).entry(DAVE).level == "Reviewer"


def test_exchangelib_misreads_what_the_corrected_mapping_reads(alice) -> None:
    from exchangelib.fields import FieldPath
    from exchangelib.folders import Folder
    from exchangelib.folders.roots import Root
    from exchangelib.services import GetFolder

    bugs = folder(alice, SUPPORT, "Bugs")
    perms = read_permissions(alice, bugs).with_entry(PermissionEntry.with_role(DAVE, "PublishingEditor"))
    write_permissions(alice, perms)

    account = alice.account(SUPPORT)
    plain = Folder(root=Root(account=account), id=bugs.folder_id)
    path = {FieldPath(field=Folder.get_field_by_fieldname("permission_set"))}
    [answer] = list(GetFolder(account=account).call(folders=[plain], additional_fields=path, shape="IdOnly"))
    upstream = next(p for p in answer.permission_set.permissions if p.user_id.primary_smtp_address == DAVE.address)
    assert (upstream.permission_level, upstream.can_create_subfolders) == ("None", False)  # upstream: wrong

    entry = read_permissions(alice, bugs).entry(DAVE)
    assert entry.level == "PublishingEditor" and entry.flags.can_create_subfolders  # corrected: right
    assert entry.user == DAVE and entry.sid.startswith("S-1-5-21-")
    assert isinstance(SchemaPermission(user_id=None), type(upstream))  # still exchangelib's Permission


# -- reading and writing ------------------------------------------------------------------------------------------
def test_a_reviewer_sees_the_permissions_read_only(alice) -> None:
    perms = read_permissions(alice, FolderRef("sales@example.com", well_known="inbox"))
    assert not perms.editable and "owners" in perms.reason
    me = perms.entry(Person("alice@example.com"))
    assert me is not None and me.level == "Reviewer" and me.user.name == "Alice Archer"
    assert perms.entry(DEFAULT).level == "None"
    with pytest.raises(AccessDenied, match="owners"):
        write_permissions(alice, perms.with_entry(PermissionEntry.with_role(DAVE, "Owner")))


def test_a_permission_written_here_is_enforced_for_the_other_user(alice, dave) -> None:
    bugs = folder(alice, SUPPORT, "Bugs")
    inbox = FolderRef(SUPPORT, well_known="inbox")
    with pytest.raises(AccessDenied):
        find_page(dave, bugs, ListQuery(), 0, 10)
    write_permissions(alice, read_permissions(alice, bugs).with_entry(PermissionEntry.with_role(DAVE, "Reviewer")))

    page = find_page(dave, bugs, ListQuery(), 0, 10)
    assert page.total > 0 and page.items  # dave reads Bugs now …
    assert all(not m.rights.delete and not m.rights.modify for m in page.items)  # … read-only
    with pytest.raises(AccessDenied):
        find_page(dave, inbox, ListQuery(), 0, 10)  # … and still not the Inbox above it
    mine = read_permissions(dave, bugs)
    assert not mine.editable and mine.entry(DAVE).level == "Reviewer"


def test_custom_flags_default_and_calendar_levels_round_trip(alice) -> None:
    done = folder(alice, SUPPORT, "Done")
    carol = Person("carol@example.com")
    flags = PermissionFlags(can_create_items=True, is_folder_visible=True, read_items="FullDetails")
    perms = (read_permissions(alice, done)
             .with_entry(PermissionEntry.custom(carol, flags))
             .with_entry(PermissionEntry.with_role(DEFAULT, "Reviewer")))
    write_permissions(alice, perms)
    back = read_permissions(alice, done)
    assert back.entry(carol).level == CUSTOM and back.entry(carol).flags == flags
    assert back.entry(DEFAULT).level == "Reviewer" and back.entry(ANONYMOUS).level == "None"

    calendar = folder(alice, SUPPORT, well_known="calendar")
    cal = read_permissions(alice, calendar, calendar=True)
    assert cal.calendar and cal.entry(DEFAULT).level == "FreeBusyTimeOnly"
    write_permissions(alice, cal.with_entry(PermissionEntry.with_role(DEFAULT, "FreeBusyTimeAndSubjectAndLocation")))
    assert read_permissions(alice, calendar, calendar=True).entry(DEFAULT).flags.read_items == \
        "TimeAndSubjectAndLocation"


def test_refusals_are_worded(alice) -> None:
    done = folder(alice, SUPPORT, "Done")
    perms = read_permissions(alice, done)
    with pytest.raises(ServerError, match="could not find"):
        write_permissions(alice, perms.with_entry(PermissionEntry.with_role(Person("nobody@example.com"), "Owner")))
    with pytest.raises(ServerError, match="calendars only"):
        write_permissions(alice, perms.with_entry(PermissionEntry.with_role(DEFAULT, "FreeBusyTimeOnly")))
