"""The grant table applied to folders: who sees which folder, what EffectiveRights say, and that every
folder operation then does exactly what EffectiveRights promised. Plus folder permission sets: read back,
written with schema-valid XML and enforced for the grantee, and exchangelib 5.6.0's invalid permission XML
refused with ErrorSchemaValidation as Exchange refuses it.
"""

from __future__ import annotations

import pytest

from tests.emulator.test_folders import (
    M,
    T,
    child_of,
    codes,
    dfid,
    ews_call,
    fid,
    find_folder,
    folder_of,
    found_names,
    get_folder,
    local,
    messages,
)
from tests.support.emulator import account, schema_dir

RIGHTS = '<t:FieldURI FieldURI="folder:EffectiveRights"/>'
PERMS = '<t:FieldURI FieldURI="folder:PermissionSet"/>'


def rights_of(acc, ref: str) -> dict[str, bool]:
    (msg,) = messages(get_folder(acc, ref, extra=RIGHTS))
    assert msg.findtext(f"{M}ResponseCode") == "NoError"
    (folder,) = msg.find(f"{M}Folders")
    return {local(c): c.text == "true" for c in folder.find(f"{T}EffectiveRights")}


def grant(emu, smtp: str, well_known: str, user: str, **flags) -> None:
    """Give ``user`` a custom permission on a folder directly in the store (what an admin would do)."""
    from ews_emulator.provision import grant_folder_permission
    from ews_emulator.rights import FolderPermission

    store = emu.backend.store
    folder = folder_of(emu, smtp, well_known)
    perm = FolderPermission(
        "Custom",
        flags.get("create", False),
        flags.get("subfolders", False),
        False,
        flags.get("visible", True),
        False,
        "None",
        "None",
        flags.get("read", "None"),
    )
    with store.db.tx() as con:
        grant_folder_permission(store, con, folder.id, store.directory.by_smtp(user).id, perm)


def create_folder(acc, parent: str, name: str) -> str:
    resp = ews_call(
        acc,
        f"<m:CreateFolder><m:ParentFolderId>{parent}</m:ParentFolderId><m:Folders><t:Folder>"
        f"<t:DisplayName>{name}</t:DisplayName></t:Folder></m:Folders></m:CreateFolder>",
    )
    return codes(resp)[0]


def set_permissions(
    acc, ref: str, entries: str, wrapper: str = "Folder", action: str = "SetFolderField"
) -> str:
    arr = "CalendarPermissions" if wrapper == "CalendarFolder" else "Permissions"
    resp = ews_call(
        acc,
        f"<m:UpdateFolder><m:FolderChanges><t:FolderChange>{ref}<t:Updates><t:{action}>"
        f'<t:FieldURI FieldURI="folder:PermissionSet"/><t:{wrapper}><t:PermissionSet><t:{arr}>'
        f"{entries}</t:{arr}></t:PermissionSet></t:{wrapper}></t:{action}></t:Updates>"
        "</t:FolderChange></m:FolderChanges></m:UpdateFolder>",
    )
    return codes(resp)[0]


def entry(user: str, body: str, tag: str = "Permission") -> str:
    uid = (
        f"<t:DistinguishedUser>{user}</t:DistinguishedUser>"
        if user in ("Default", "Anonymous")
        else f"<t:PrimarySmtpAddress>{user}</t:PrimarySmtpAddress>"
    )
    return f"<t:{tag}><t:UserId>{uid}</t:UserId>{body}</t:{tag}>"


def level(name: str) -> str:
    return f"<t:PermissionLevel>{name}</t:PermissionLevel>"


def permission_table(acc, ref: str) -> dict[str, tuple[str, ...]]:
    """{user: (flags..., level)} from GetFolder's PermissionSet."""
    (msg,) = messages(get_folder(acc, ref, extra=PERMS))
    assert msg.findtext(f"{M}ResponseCode") == "NoError"
    (folder,) = msg.find(f"{M}Folders")
    out = {}
    for perm in folder.find(f"{T}PermissionSet")[0]:
        uid = perm.find(f"{T}UserId")
        who = uid.findtext(f"{T}DistinguishedUser") or uid.findtext(f"{T}PrimarySmtpAddress")
        out[who] = tuple(c.text for c in perm if local(c) != "UserId")
    return out


# Who sees what --------------------------------------------------------------------------------------------
def test_alice_on_sales_sees_inbox_and_calendar_only(emulator):
    from exchangelib.errors import ErrorAccessDenied
    from exchangelib.folders import Calendar, Inbox
    from exchangelib.properties import DistinguishedFolderId, Mailbox

    shared = account(emulator, "alice", "sales@example.com")
    with pytest.raises(ErrorAccessDenied):
        shared.root  # noqa: B018 - exchangelib's first GetFolder is on the root
    me = account(emulator, "alice")
    box = Mailbox(email_address="sales@example.com")
    inbox = Inbox.resolve(
        account=me,
        folder=Inbox(root=me.root, _distinguished_id=DistinguishedFolderId(id="inbox", mailbox=box)),
    )
    store = emulator.backend.store
    assert (
        inbox.total_count
        == store.folders.counts(folder_of(emulator, "sales@example.com", "inbox").id)[0]
        >= 100
    )
    rights = inbox.effective_rights
    assert (rights.read, rights.create_contents, rights.create_hierarchy, rights.modify, rights.delete) == (
        True,
        False,
        False,
        False,
        False,
    )
    cal = Calendar.resolve(
        account=me,
        folder=Calendar(root=me.root, _distinguished_id=DistinguishedFolderId(id="calendar", mailbox=box)),
    )
    assert cal.effective_rights.read and not cal.effective_rights.create_contents
    resp = get_folder(
        me,
        "".join(
            dfid(n, "sales@example.com")
            for n in ("root", "msgfolderroot", "sentitems", "drafts", "inbox", "calendar")
        ),
    )
    assert codes(resp) == ["ErrorAccessDenied"] * 4 + ["NoError", "NoError"]
    assert codes(find_folder(me, dfid("msgfolderroot", "sales@example.com"))) == ["ErrorAccessDenied"]
    assert create_folder(me, dfid("inbox", "sales@example.com"), "Mine") == "ErrorAccessDenied"


def test_visible_root_lists_only_the_granted_folders(fresh_emulator):
    emu = fresh_emulator
    me = account(emu, "alice")
    grant(emu, "sales@example.com", "msgfolderroot", "alice@example.com", visible=True)
    top = dfid("msgfolderroot", "sales@example.com")
    assert found_names(find_folder(me, top)) == ["Calendar", "Inbox"]
    assert found_names(find_folder(me, top, "Deep")) == ["Calendar", "Inbox"]
    assert rights_of(me, top) == {
        "CreateAssociated": False,
        "CreateContents": False,
        "CreateHierarchy": False,
        "Delete": False,
        "Modify": False,
        "Read": True,
        "ViewPrivateItems": False,
    }
    assert codes(get_folder(me, dfid("root", "sales@example.com"))) == ["ErrorAccessDenied"]
    # Hierarchy sync follows the same visibility, and notices when a grant goes away.
    body = (
        "<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>Default</t:BaseShape></m:FolderShape>"
        f"<m:SyncFolderId>{top}</m:SyncFolderId>{{state}}</m:SyncFolderHierarchy>"
    )
    (msg,) = messages(ews_call(me, body.format(state="")))
    assert sorted(c[0].findtext(f"{T}DisplayName") for c in msg.find(f"{M}Changes")) == ["Calendar", "Inbox"]
    state = msg.findtext(f"{M}SyncState")
    bob = account(emu, "bob", "sales@example.com")  # Full Access on sales
    assert (
        set_permissions(
            bob,
            dfid("inbox", "sales@example.com"),
            entry("Default", level("None")) + entry("Anonymous", level("None")),
        )
        == "NoError"
    )
    (msg,) = messages(ews_call(me, body.format(state=f"<m:SyncState>{state}</m:SyncState>")))
    assert [local(c) for c in msg.find(f"{M}Changes")] == ["Delete"]


def test_alice_on_hr_inbox_can_write_items_but_not_the_hierarchy(fresh_emulator):
    me = account(fresh_emulator, "alice")
    inbox = dfid("inbox", "hr@example.com")
    assert rights_of(me, inbox) == {
        "CreateAssociated": False,
        "CreateContents": True,
        "CreateHierarchy": False,
        "Delete": False,
        "Modify": False,
        "Read": True,
        "ViewPrivateItems": False,
    }
    assert create_folder(me, inbox, "Cases") == "ErrorAccessDenied"
    resp = ews_call(
        me,
        f"<m:UpdateFolder><m:FolderChanges><t:FolderChange>{inbox}<t:Updates><t:SetFolderField>"
        '<t:FieldURI FieldURI="folder:DisplayName"/><t:Folder><t:DisplayName>Renamed</t:DisplayName>'
        "</t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges></m:UpdateFolder>",
    )
    assert codes(resp) == ["ErrorAccessDenied"]
    resp = ews_call(
        me,
        '<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="false"><m:FolderIds>'
        f"{inbox}</m:FolderIds></m:EmptyFolder>",
    )
    assert codes(resp) == ["ErrorAccessDenied"]  # delete items: None
    store = fresh_emulator.backend.store
    assert store.folders.counts(folder_of(fresh_emulator, "hr@example.com", "inbox").id)[0] >= 50
    assert codes(get_folder(me, dfid("msgfolderroot", "hr@example.com"))) == ["ErrorAccessDenied"]


def test_bob_reviewer_on_support_inbox_sees_no_subfolders(emulator):
    bob = account(emulator, "bob")
    inbox = folder_of(emulator, "support@example.com", "inbox")
    assert rights_of(bob, dfid("inbox", "support@example.com"))["Read"]
    assert found_names(find_folder(bob, dfid("inbox", "support@example.com"))) == []
    assert codes(get_folder(bob, fid(emulator, child_of(emulator, inbox, "Bugs")))) == ["ErrorAccessDenied"]


def test_dave_is_denied_every_support_folder(emulator):
    from exchangelib.errors import ErrorAccessDenied

    dave = account(emulator, "dave")
    store = emulator.backend.store
    folders = store.folders.all_in_mailbox(store.directory.by_smtp("support@example.com").id)
    resp = get_folder(dave, "".join(fid(emulator, f) for f in folders), extra=RIGHTS)
    for folder, msg in zip(folders, messages(resp), strict=True):
        default = store.folders.permissions(folder.id)["Default"]
        if folder.well_known == "calendar":
            # Exchange's default calendar permission: everybody may see free/busy (FreeBusyTimeOnly).
            assert default.level == "FreeBusyTimeOnly" and msg.findtext(f"{M}ResponseCode") == "NoError"
            rights = msg.find(f"{M}Folders")[0].find(f"{T}EffectiveRights")
            assert [c.text for c in rights] == ["false"] * 5 + ["true", "false"]
        else:
            assert msg.findtext(f"{M}ResponseCode") == "ErrorAccessDenied", folder.display_name
    with pytest.raises(ErrorAccessDenied):
        account(emulator, "dave", "support@example.com").root  # noqa: B018


def test_unknown_mailbox(emulator):
    from exchangelib.errors import ErrorNonExistentMailbox

    with pytest.raises(ErrorNonExistentMailbox):
        account(emulator, "alice", "nobody@example.com").root  # noqa: B018
    resp = get_folder(
        account(emulator, "alice"), dfid("inbox", "team@example.com") + dfid("inbox", "x@elsewhere.org")
    )
    assert codes(resp) == ["ErrorNonExistentMailbox", "ErrorNonExistentMailbox"]


@pytest.mark.parametrize(
    ("user", "mailbox"),
    [
        ("alice", "support@example.com"),
        ("alice", "hr@example.com"),
        ("alice", "sales@example.com"),
        ("bob", "support@example.com"),
        ("carol", "support@example.com"),
        ("alice", "billing@example.com"),
    ],
)
def test_effective_rights_predict_what_the_operations_do(fresh_emulator, user, mailbox):
    acc = account(fresh_emulator, user)
    inbox = dfid("inbox", mailbox)
    rights = rights_of(acc, inbox)
    assert (create_folder(acc, inbox, "Probe") == "NoError") == rights["CreateHierarchy"]
    resp = ews_call(
        acc,
        f"<m:UpdateFolder><m:FolderChanges><t:FolderChange>{inbox}<t:Updates><t:SetFolderField>"
        '<t:FieldURI FieldURI="folder:FolderClass"/><t:Folder><t:FolderClass>IPF.Note.Probe'
        "</t:FolderClass></t:Folder></t:SetFolderField></t:Updates></t:FolderChange></m:FolderChanges>"
        "</m:UpdateFolder>",
    )
    assert (codes(resp) == ["NoError"]) == rights["Modify"]
    assert (set_permissions(acc, inbox, entry("Default", level("None"))) == "NoError") == rights["Modify"]


# Permission sets ------------------------------------------------------------------------------------------
def test_permission_sets_read_back(emulator):
    alice = account(emulator, "alice")
    table = permission_table(alice, dfid("inbox", "hr@example.com"))
    assert table["Default"] == ("false",) * 5 + ("None", "None", "None", "None")
    assert table["alice@example.com"] == (
        "true",
        "false",
        "false",
        "true",
        "false",
        "All",
        "None",
        "FullDetails",
        "Custom",
    )
    (msg,) = messages(get_folder(alice, dfid("calendar", "sales@example.com"), extra=PERMS))
    perms = msg.find(f"{M}Folders/{T}CalendarFolder/{T}PermissionSet/{T}CalendarPermissions")
    levels = {p.find(f"{T}UserId")[-1].text: p.findtext(f"{T}CalendarPermissionLevel") for p in perms}
    assert levels["Default"] == "FreeBusyTimeOnly" and levels["Alice Archer"] == "Reviewer"
    support = account(emulator, "alice", "support@example.com")
    assert {p.user_id.primary_smtp_address for p in support.inbox.permission_set.permissions} >= {
        "bob@example.com"
    }


def test_written_permissions_are_enforced(fresh_emulator):
    emu = fresh_emulator
    alice, dave = account(emu, "alice"), account(emu, "dave")
    bugs = fid(emu, child_of(emu, folder_of(emu, "support@example.com", "inbox"), "Bugs"))
    assert codes(get_folder(dave, bugs)) == ["ErrorAccessDenied"]
    specials = entry("Default", level("None")) + entry("Anonymous", level("None"))
    assert set_permissions(alice, bugs, specials + entry("dave@example.com", level("Reviewer"))) == "NoError"
    assert permission_table(alice, bugs)["dave@example.com"] == (
        "false",
        "false",
        "false",
        "true",
        "false",
        "None",
        "None",
        "FullDetails",
        "Reviewer",
    )
    assert rights_of(dave, bugs)["Read"] and not rights_of(dave, bugs)["CreateHierarchy"]
    assert create_folder(dave, bugs, "Dave's") == "ErrorAccessDenied"
    assert codes(get_folder(dave, dfid("inbox", "support@example.com"))) == ["ErrorAccessDenied"]
    editor_flags = (
        "<t:CanCreateItems>true</t:CanCreateItems><t:CanCreateSubFolders>false</t:CanCreateSubFolders>"
        "<t:IsFolderOwner>false</t:IsFolderOwner><t:IsFolderVisible>true</t:IsFolderVisible>"
        "<t:IsFolderContact>false</t:IsFolderContact><t:EditItems>All</t:EditItems>"
        "<t:DeleteItems>All</t:DeleteItems><t:ReadItems>FullDetails</t:ReadItems>"
    )
    assert (
        set_permissions(alice, bugs, specials + entry("dave@example.com", editor_flags + level("Custom")))
        == "NoError"
    )
    assert (
        permission_table(alice, bugs)["dave@example.com"][-1] == "Editor"
    )  # flags equal to a role read back as it
    odd = editor_flags.replace("<t:CanCreateSubFolders>false", "<t:CanCreateSubFolders>true").replace(
        "<t:DeleteItems>All", "<t:DeleteItems>Owned"
    )
    assert (
        set_permissions(alice, bugs, specials + entry("dave@example.com", odd + level("Custom"))) == "NoError"
    )
    assert permission_table(alice, bugs)["dave@example.com"][-1] == "Custom"
    assert create_folder(dave, bugs, "Dave's") == "NoError"
    resp = ews_call(
        alice,
        f"<m:UpdateFolder><m:FolderChanges><t:FolderChange>{bugs}<t:Updates><t:DeleteFolderField>"
        '<t:FieldURI FieldURI="folder:PermissionSet"/></t:DeleteFolderField></t:Updates>'
        "</t:FolderChange></m:FolderChanges></m:UpdateFolder>",
    )
    assert codes(resp) == ["NoError"]
    assert set(permission_table(alice, bugs)) == {"Default", "Anonymous"}
    assert codes(get_folder(dave, bugs)) == ["ErrorAccessDenied"]
    assert (
        set_permissions(
            alice, bugs, entry("carol@example.com", level("Author")), action="AppendToFolderField"
        )
        == "NoError"
    )
    assert set(permission_table(alice, bugs)) == {"Default", "Anonymous", "carol@example.com"}


def test_invalid_permission_sets_are_refused(fresh_emulator):
    emu = fresh_emulator
    alice, bob = account(emu, "alice"), account(emu, "bob")
    inbox = dfid("inbox", "support@example.com")
    before = permission_table(alice, inbox)
    reviewer_and_flag = "<t:CanCreateItems>true</t:CanCreateItems>" + level("Reviewer")
    assert (
        set_permissions(alice, inbox, entry("dave@example.com", reviewer_and_flag))
        == "ErrorInvalidPermissionSettings"
    )
    assert (
        set_permissions(alice, inbox, entry("dave@example.com", level("Reviewer")) * 2)
        == "ErrorDuplicateUserIdsSpecified"
    )
    assert (
        set_permissions(alice, inbox, entry("ghost@example.com", level("Reviewer"))) == "ErrorInvalidUserInfo"
    )
    mixed = (
        "<t:Permission><t:UserId><t:PrimarySmtpAddress>dave@example.com</t:PrimarySmtpAddress>"
        "<t:DistinguishedUser>Default</t:DistinguishedUser></t:UserId>" + level("None") + "</t:Permission>"
    )
    assert set_permissions(alice, inbox, mixed) == "ErrorInvalidUserInfo"
    cal_entry = entry(
        "dave@example.com",
        "<t:CalendarPermissionLevel>Reviewer</t:CalendarPermissionLevel>",
        "CalendarPermission",
    )
    assert (
        set_permissions(alice, inbox, cal_entry, wrapper="CalendarFolder")
        == "ErrorCannotSetCalendarPermissionOnNonCalendarFolder"
    )
    assert (
        set_permissions(
            alice, dfid("calendar", "support@example.com"), entry("dave@example.com", level("Reviewer"))
        )
        == "ErrorCannotSetNonCalendarPermissionOnCalendarFolder"
    )
    assert set_permissions(bob, inbox, entry("dave@example.com", level("Reviewer"))) == "ErrorAccessDenied"
    assert (
        set_permissions(alice, inbox, entry("bob@example.com", level("Editor")), action="AppendToFolderField")
        == "ErrorDuplicateUserIdsSpecified"
    )
    assert permission_table(alice, inbox) == before
    cal = dfid("calendar", "support@example.com")
    assert set_permissions(alice, cal, cal_entry, wrapper="CalendarFolder") == "NoError"
    assert permission_table(alice, cal)["dave@example.com"][-1] == "Reviewer"


def test_exchangelib_permission_xml_is_rejected_by_schema_validation(fresh_emulator):
    if schema_dir() is None:
        pytest.skip("Microsoft's EWS schema (../shared/ews-schema) is not available")
    from exchangelib.errors import ErrorSchemaValidation
    from exchangelib.properties import Permission, PermissionSet, UserId

    emu = fresh_emulator
    acc = account(emu, "alice", "support@example.com")
    inbox = acc.inbox
    before = emu.backend.store.folders.permissions(folder_of(emu, "support@example.com", "inbox").id)
    inbox.permission_set = PermissionSet(
        permissions=[
            Permission(user_id=UserId(primary_smtp_address="dave@example.com"), permission_level="Reviewer")
        ]
    )
    with pytest.raises(ErrorSchemaValidation):
        inbox.save(update_fields=["permission_set"])
    assert emu.backend.store.folders.permissions(folder_of(emu, "support@example.com", "inbox").id) == before


def test_new_folders_inherit_the_parents_permissions(fresh_emulator):
    emu = fresh_emulator
    carol, bob = account(emu, "carol"), account(emu, "bob")
    assert create_folder(carol, dfid("inbox", "support@example.com"), "Triage") == "NoError"
    triage = child_of(emu, folder_of(emu, "support@example.com", "inbox"), "Triage")
    assert "bob@example.com" in permission_table(carol, fid(emu, triage))
    assert found_names(find_folder(bob, dfid("inbox", "support@example.com"))) == ["Triage"]


# A non-Exchange answer shape, on demand ------------------------------------------------------------------------
ITEM_RIGHTS = '<t:FieldURI FieldURI="item:EffectiveRights"/>'


def _item_rights(acc) -> list[str]:
    resp = ews_call(acc, "<m:FindItem Traversal=\"Shallow\"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>"
                         f"<t:AdditionalProperties>{ITEM_RIGHTS}</t:AdditionalProperties></m:ItemShape>"
                         "<m:IndexedPageItemView MaxEntriesReturned=\"1\" Offset=\"0\" BasePoint=\"Beginning\"/>"
                         f"<m:ParentFolderIds>{dfid('inbox', 'support@example.com')}</m:ParentFolderIds>"
                         "</m:FindItem>")
    (msg,) = messages(resp)
    assert msg.findtext(f"{M}ResponseCode") == "NoError"
    (item,) = msg.find(f"{M}RootFolder").find(f"{T}Items")
    return [local(c) for c in item.find(f"{T}EffectiveRights")]


def test_effective_rights_leave_out_view_private_items_only_under_the_gromox_quirk(emulator, start_fresh_emulator):
    order = ["CreateAssociated", "CreateContents", "CreateHierarchy", "Delete", "Modify", "Read"]
    exchange = account(emulator, "alice")
    assert list(rights_of(exchange, dfid("inbox", "support@example.com"))) == [*order, "ViewPrivateItems"]
    assert _item_rights(exchange) == [*order, "ViewPrivateItems"]

    gromox = start_fresh_emulator(quirks=["no-view-private-items"])
    acc = account(gromox, "alice")
    rights = rights_of(acc, dfid("inbox", "support@example.com"))
    assert list(rights) == order and all(rights.values())  # Full Access: every right it does send is granted
    assert _item_rights(acc) == order
    # The rights themselves are unchanged: only the optional element is left out (schema-valid, checked at stop).
    assert rights_of(acc, dfid("inbox", "sales@example.com")) == {
        "CreateAssociated": False, "CreateContents": False, "CreateHierarchy": False, "Delete": False,
        "Modify": False, "Read": True}
