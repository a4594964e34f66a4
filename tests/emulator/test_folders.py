"""Folder operations against the emulator over real HTTP: exchangelib where it can say it, raw SOAP where
the exact answer matters (shapes, paging attributes, per-message response codes).

Raw requests go through the exchangelib account's own NTLM session, so they are authenticated exactly like
exchangelib's; they are schema-valid, so the emulator's request validation passes them through.
"""

from __future__ import annotations

import pytest
from lxml import etree

from tests.support.emulator import BUILD, account, extended_field

M = "{http://schemas.microsoft.com/exchange/services/2006/messages}"
T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
_ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
    ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
    '<s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header><s:Body>{body}</s:Body></s:Envelope>'
)


# Helpers (also used by test_folder_rights) ------------------------------------------------------------
def ews_call(acc, body: str) -> etree._Element:
    """POST one SOAP body with the account's authenticated session; return the response body element."""
    protocol = acc.protocol
    session = protocol.get_session()
    try:
        resp = session.post(
            protocol.service_endpoint,
            data=_ENVELOPE.format(body=body).encode(),
            headers={"Content-Type": "text/xml; charset=utf-8"},
            timeout=60,
        )
    finally:
        protocol.release_session(session)
    root = etree.fromstring(resp.content)
    return root.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]


def messages(resp: etree._Element) -> list[etree._Element]:
    return list(resp.find(f"{M}ResponseMessages"))


def codes(resp: etree._Element) -> list[str]:
    return [m.findtext(f"{M}ResponseCode") for m in messages(resp)]


def dfid(name: str, smtp: str | None = None) -> str:
    box = f"<t:Mailbox><t:EmailAddress>{smtp}</t:EmailAddress></t:Mailbox>" if smtp else ""
    return f'<t:DistinguishedFolderId Id="{name}">{box}</t:DistinguishedFolderId>'


def fid(emu, folder) -> str:
    from ews_emulator.store.ids import encode_id

    return f'<t:FolderId Id="{encode_id("folder", folder.mailbox_id, folder.id)}"/>'


def get_folder(acc, refs: str, base: str = "IdOnly", extra: str = "") -> etree._Element:
    props = f"<t:AdditionalProperties>{extra}</t:AdditionalProperties>" if extra else ""
    return ews_call(
        acc,
        f"<m:GetFolder><m:FolderShape><t:BaseShape>{base}</t:BaseShape>{props}</m:FolderShape>"
        f"<m:FolderIds>{refs}</m:FolderIds></m:GetFolder>",
    )


def find_folder(
    acc,
    parent: str,
    traversal: str = "Shallow",
    view: str = "",
    restriction: str = "",
    extra: str = '<t:FieldURI FieldURI="folder:DisplayName"/>',
) -> etree._Element:
    return ews_call(
        acc,
        f'<m:FindFolder Traversal="{traversal}"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape>'
        f"<t:AdditionalProperties>{extra}</t:AdditionalProperties></m:FolderShape>{view}"
        f"{restriction}<m:ParentFolderIds>{parent}</m:ParentFolderIds></m:FindFolder>",
    )


def found_names(resp: etree._Element) -> list[str]:
    (msg,) = messages(resp)
    return [f.findtext(f"{T}DisplayName") for f in msg.find(f"{M}RootFolder/{T}Folders")]


def found_ids(folders: etree._Element) -> list[str]:
    return [f.find(f"{T}FolderId").get("Id") for f in folders]


def folder_of(emu, smtp: str, well_known: str):
    store = emu.backend.store
    return store.folders.by_well_known(store.directory.by_smtp(smtp).id, well_known)


def child_of(emu, parent, name: str):
    return emu.backend.store.folders.child_named(parent.id, name)


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


# Reading ------------------------------------------------------------------------------------------------
def test_walk_lists_the_tree_with_the_stores_counts(emulator):
    acc = account(emulator, "alice", "support@example.com")
    by_name = {f.name: f for f in acc.root.walk()}
    assert {
        "Top of Information Store",
        "Inbox",
        "Billing questions",
        "Bugs",
        "Done",
        "Calendar",
        "Deleted Items",
        "Sent Items",
        "Contacts",
        "Tasks",
    } <= set(by_name)
    store = emulator.backend.store
    inbox = folder_of(emulator, "support@example.com", "inbox")
    for name, row in (("Inbox", inbox), ("Bugs", child_of(emulator, inbox, "Bugs"))):
        f = by_name[name]
        assert (f.total_count, f.unread_count, f.child_folder_count) == store.folders.counts(row.id)
    assert by_name["Inbox"].total_count >= 200 and by_name["Inbox"].unread_count > 0
    assert by_name["Inbox"].child_folder_count == 3
    assert by_name["Calendar"].folder_class == "IPF.Appointment"
    assert acc.inbox.effective_rights.create_hierarchy and acc.inbox.effective_rights.modify


def test_base_shapes_return_their_properties_in_schema_order(emulator):
    acc = account(emulator, "alice", "support@example.com")
    for base, expected in (
        ("IdOnly", ["FolderId"]),
        ("Default", ["FolderId", "DisplayName", "TotalCount", "ChildFolderCount", "UnreadCount"]),
        (
            "AllProperties",
            [
                "FolderId",
                "ParentFolderId",
                "FolderClass",
                "DisplayName",
                "TotalCount",
                "ChildFolderCount",
                "EffectiveRights",
                "UnreadCount",
            ],
        ),
    ):
        (msg,) = messages(get_folder(acc, dfid("inbox", "support@example.com"), base))
        (folder,) = msg.find(f"{M}Folders")
        assert local(folder) == "Folder"
        assert [local(c) for c in folder] == expected, base
    (msg,) = messages(get_folder(acc, dfid("calendar", "support@example.com"), "Default"))
    (cal,) = msg.find(f"{M}Folders")
    assert local(cal) == "CalendarFolder"
    assert [local(c) for c in cal] == ["FolderId", "DisplayName", "TotalCount", "ChildFolderCount"]
    (msg,) = messages(
        get_folder(
            acc,
            dfid("contacts", "support@example.com"),
            "IdOnly",
            '<t:FieldURI FieldURI="folder:DistinguishedFolderId"/>',
        )
    )
    (contacts,) = msg.find(f"{M}Folders")
    assert (
        local(contacts) == "ContactsFolder" and contacts.findtext(f"{T}DistinguishedFolderId") == "contacts"
    )


def test_one_response_message_per_requested_folder(emulator):
    acc = account(emulator, "alice", "support@example.com")
    resp = get_folder(
        acc,
        dfid("inbox", "support@example.com")
        + dfid("voicemail", "support@example.com")
        + '<t:FolderId Id="AAAAAAAA"/>'
        + dfid("calendar", "support@example.com"),
    )
    assert codes(resp) == ["NoError", "ErrorFolderNotFound", "ErrorInvalidIdMalformed", "NoError"]
    assert [local(m) for m in messages(resp)] == ["GetFolderResponseMessage"] * 4


def test_folder_size_extended_property(emulator):
    from exchangelib import ExtendedProperty
    from exchangelib.folders import Folder

    acc = account(emulator, "alice", "support@example.com")
    inbox = folder_of(emulator, "support@example.com", "inbox")
    expected = emulator.backend.store.folders.size(inbox.id)
    assert expected > 0
    (msg,) = messages(
        get_folder(
            acc,
            dfid("inbox", "support@example.com"),
            extra=(
                '<t:ExtendedFieldURI PropertyTag="0x0E08" PropertyType="Long"/>'
                '<t:ExtendedFieldURI PropertyTag="0x10F4" PropertyType="Boolean"/>'
            ),
        )
    )
    props = msg.findall(f"{M}Folders/{T}Folder/{T}ExtendedProperty")
    assert [(p.find(f"{T}ExtendedFieldURI").get("PropertyTag"), p.findtext(f"{T}Value")) for p in props] == [
        ("0xe08", str(expected)),
        ("0x10f4", "false"),
    ]

    class FolderSize(ExtendedProperty):
        property_tag = 0x0E08
        property_type = "Long"

    with extended_field(Folder, "size", FolderSize):
        fresh = account(emulator, "alice", "support@example.com")
        bugs = fresh.inbox / "Bugs"
        assert bugs.size == emulator.backend.store.folders.size(child_of(emulator, inbox, "Bugs").id) > 0


def test_find_folder_paging_is_consistent(emulator):
    acc = account(emulator, "alice", "support@example.com")
    root = dfid("root", "support@example.com")
    (msg,) = messages(find_folder(acc, root, "Deep"))
    everything = found_ids(msg.find(f"{M}RootFolder/{T}Folders"))
    assert len(everything) > 20 and len(set(everything)) == len(everything)
    paged, offset, pages = [], 0, 0
    while True:
        (msg,) = messages(
            find_folder(
                acc,
                root,
                "Deep",
                f'<m:IndexedPageFolderView MaxEntriesReturned="4" Offset="{offset}" BasePoint="Beginning"/>',
            )
        )
        rf = msg.find(f"{M}RootFolder")
        chunk = found_ids(rf.find(f"{T}Folders"))
        assert rf.get("TotalItemsInView") == str(len(everything))
        assert int(rf.get("IndexedPagingOffset")) == offset + len(chunk)
        paged += chunk
        pages += 1
        offset = int(rf.get("IndexedPagingOffset"))
        if rf.get("IncludesLastItemInRange") == "true":
            break
        assert len(chunk) == 4
    assert paged == everything and pages == -(-len(everything) // 4)
    (msg,) = messages(
        find_folder(
            acc, root, "Deep", '<m:IndexedPageFolderView MaxEntriesReturned="4" Offset="0" BasePoint="End"/>'
        )
    )
    assert found_ids(msg.find(f"{M}RootFolder/{T}Folders")) == everything[-4:]
    (msg,) = messages(
        find_folder(
            acc,
            root,
            "Deep",
            '<m:IndexedPageFolderView MaxEntriesReturned="4" '
            f'Offset="{len(everything) + 5}" BasePoint="Beginning"/>',
        )
    )
    rf = msg.find(f"{M}RootFolder")
    assert len(rf.find(f"{T}Folders")) == 0 and rf.get("IncludesLastItemInRange") == "true"


def test_find_folder_shallow_and_restrictions(emulator):
    acc = account(emulator, "alice", "support@example.com")
    assert found_names(find_folder(acc, dfid("inbox", "support@example.com"))) == [
        "Billing questions",
        "Bugs",
        "Done",
    ]
    top = dfid("msgfolderroot", "support@example.com")
    everything = found_names(find_folder(acc, top, "Deep"))
    contains_b = (
        '<m:Restriction><t:Contains ContainmentMode="Substring" ContainmentComparison="IgnoreCase">'
        '<t:FieldURI FieldURI="folder:DisplayName"/><t:Constant Value="b"/></t:Contains></m:Restriction>'
    )
    assert found_names(find_folder(acc, top, "Deep", restriction=contains_b)) == [
        n for n in everything if "b" in n.lower()
    ]
    calendars = (
        '<m:Restriction><t:IsEqualTo><t:FieldURI FieldURI="folder:FolderClass"/><t:FieldURIOrConstant>'
        '<t:Constant Value="IPF.Appointment"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>'
    )
    assert found_names(find_folder(acc, top, "Deep", restriction=calendars)) == ["Calendar"]
    not_hidden = (
        '<m:Restriction><t:IsEqualTo><t:ExtendedFieldURI PropertyTag="0x10F4" PropertyType="Boolean"/>'
        '<t:FieldURIOrConstant><t:Constant Value="false"/></t:FieldURIOrConstant></t:IsEqualTo>'
        "</m:Restriction>"
    )
    visible = found_names(
        find_folder(acc, dfid("root", "support@example.com"), "Deep", restriction=not_hidden)
    )
    assert "Recipient Cache" not in visible and "Finder" not in visible and "Inbox" in visible


# Writing ------------------------------------------------------------------------------------------------
def test_create_rename_move_and_delete(fresh_emulator):
    from exchangelib.errors import ErrorFolderExists, ErrorMoveCopyFailed
    from exchangelib.folders import Folder

    emu = fresh_emulator
    acc = account(emu, "alice", "support@example.com")
    inbox = folder_of(emu, "support@example.com", "inbox")
    f = Folder(parent=acc.inbox, name="Escalations").save()
    row = child_of(emu, inbox, "Escalations")
    assert row is not None and row.folder_class == "IPF.Note" and row.kind == "Folder"
    with pytest.raises(ErrorFolderExists):
        Folder(parent=acc.inbox, name="escalations").save()
    f.name = "Bugs"
    with pytest.raises(ErrorFolderExists):
        f.save(update_fields=["name"])
    f.name = "Escalated"
    f.save(update_fields=["name"])
    assert emu.backend.store.folders.get(row.id).display_name == "Escalated"
    child = Folder(parent=f, name="Level 2").save()
    level2 = child_of(emu, row, "Level 2")
    with pytest.raises(ErrorMoveCopyFailed):
        f.move(child)
    archive = acc.root / "Top of Information Store" / "Archive"
    f.move(archive)
    moved = emu.backend.store.folders.get(row.id)
    assert moved.parent_id == folder_of(emu, "support@example.com", "archive").id  # same id after the move
    from exchangelib.items import MOVE_TO_DELETED_ITEMS

    f.delete(delete_type=MOVE_TO_DELETED_ITEMS)
    trash = folder_of(emu, "support@example.com", "deleteditems")
    assert emu.backend.store.folders.get(row.id).parent_id == trash.id
    resp = ews_call(
        acc,
        f'<m:DeleteFolder DeleteType="SoftDelete"><m:FolderIds>{fid(emu, row)}</m:FolderIds>'
        "</m:DeleteFolder>",
    )
    assert codes(resp) == ["NoError"]  # folders cannot be soft-deleted: they leave the mailbox
    assert emu.backend.store.folders.get(row.id) is None
    assert emu.backend.store.folders.get(level2.id) is None  # subfolders go with it
    assert emu.backend.store.folders.children(trash.id) == []


def test_calendar_folders_take_their_type_from_the_class(fresh_emulator):
    from exchangelib.folders import Calendar

    emu = fresh_emulator
    acc = account(emu, "alice", "support@example.com")
    Calendar(parent=acc.calendar, name="Rota").save()
    row = child_of(emu, folder_of(emu, "support@example.com", "calendar"), "Rota")
    assert row.kind == "CalendarFolder" and row.folder_class == "IPF.Appointment"
    (msg,) = messages(get_folder(acc, fid(emu, row), extra='<t:FieldURI FieldURI="folder:PermissionSet"/>'))
    (el,) = msg.find(f"{M}Folders")
    assert local(el) == "CalendarFolder"
    assert el.find(f"{T}PermissionSet/{T}CalendarPermissions/{T}CalendarPermission") is not None
    parent = dfid("calendar", "support@example.com")
    resp = ews_call(
        acc,
        f"<m:CreateFolder><m:ParentFolderId>{parent}</m:ParentFolderId><m:Folders>"
        "<t:CalendarFolder><t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>Odd</t:DisplayName>"
        "</t:CalendarFolder><t:TasksFolder><t:DisplayName>Jobs</t:DisplayName></t:TasksFolder>"
        "</m:Folders></m:CreateFolder>",
    )
    assert codes(resp) == ["ErrorNoFolderClassOverride", "NoError"]
    assert local(messages(resp)[1].find(f"{M}Folders")[0]) == "TasksFolder"


def test_distinguished_folders_cannot_be_moved_or_deleted(fresh_emulator):
    from exchangelib.errors import ErrorDeleteDistinguishedFolder, ErrorMoveDistinguishedFolder

    acc = account(fresh_emulator, "alice", "support@example.com")
    with pytest.raises(ErrorDeleteDistinguishedFolder):
        acc.inbox.delete()
    with pytest.raises(ErrorMoveDistinguishedFolder):
        acc.inbox.move(acc.drafts)
    resp = ews_call(
        acc,
        f"<m:MoveFolder><m:ToFolderId>{dfid('inbox', 'bob@example.com')}</m:ToFolderId>"
        f"<m:FolderIds>{fid(fresh_emulator, child_of(fresh_emulator, folder_of(fresh_emulator, 'support@example.com', 'inbox'), 'Bugs'))}"
        "</m:FolderIds></m:MoveFolder>",
    )
    assert codes(resp) == ["ErrorAccessDenied"]  # alice cannot see bob's Inbox at all
    resp = ews_call(
        acc,
        f"<m:MoveFolder><m:ToFolderId>{dfid('inbox', 'billing@example.com')}</m:ToFolderId>"
        f"<m:FolderIds>{fid(fresh_emulator, child_of(fresh_emulator, folder_of(fresh_emulator, 'support@example.com', 'inbox'), 'Bugs'))}"
        "</m:FolderIds></m:MoveFolder>",
    )
    assert codes(resp) == ["ErrorCrossMailboxMoveCopy"]


def test_empty_folder(fresh_emulator):
    from exchangelib.folders import Folder
    from exchangelib.items import HARD_DELETE, MOVE_TO_DELETED_ITEMS

    emu = fresh_emulator
    store = emu.backend.store
    acc = account(emu, "alice", "support@example.com")
    bugs = acc.inbox / "Bugs"
    row = child_of(emu, folder_of(emu, "support@example.com", "inbox"), "Bugs")
    trash = folder_of(emu, "support@example.com", "deleteditems")
    n = store.folders.counts(row.id)[0]
    before = store.folders.counts(trash.id)[0]
    assert n > 0
    Folder(parent=bugs, name="Old").save()
    bugs.empty(delete_type=MOVE_TO_DELETED_ITEMS, delete_sub_folders=False)
    assert store.folders.counts(row.id) == (0, 0, 1)
    assert store.folders.counts(trash.id)[0] == before + n
    bugs.empty(delete_type=HARD_DELETE, delete_sub_folders=True)
    assert store.folders.counts(row.id) == (0, 0, 0)
    # Emptying Deleted Items "to Deleted Items" puts the items in the dumpster, as DeleteItem does.
    dumpster = folder_of(emu, "support@example.com", "recoverableitemsdeletions")
    in_trash, in_dumpster = store.folders.counts(trash.id)[0], store.folders.counts(dumpster.id)[0]
    acc.trash.empty(delete_type=MOVE_TO_DELETED_ITEMS, delete_sub_folders=False)
    assert store.folders.counts(trash.id)[0] == 0
    assert store.folders.counts(dumpster.id)[0] == in_dumpster + in_trash
    # Emptying the message root with subfolders keeps the default folders.
    resp = ews_call(
        acc,
        '<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="true"><m:FolderIds>'
        f"{dfid('inbox', 'support@example.com')}</m:FolderIds></m:EmptyFolder>",
    )
    assert codes(resp) == ["NoError"]
    inbox = folder_of(emu, "support@example.com", "inbox")
    assert store.folders.counts(inbox.id) == (0, 0, 0)
    resp = ews_call(
        acc,
        '<m:EmptyFolder DeleteType="HardDelete" DeleteSubFolders="true"><m:FolderIds>'
        f"{dfid('msgfolderroot', 'support@example.com')}</m:FolderIds></m:EmptyFolder>",
    )
    assert codes(resp) == ["NoError"]
    assert folder_of(emu, "support@example.com", "inbox") is not None


def test_sync_folder_hierarchy(fresh_emulator):
    from exchangelib.folders import Folder

    emu = fresh_emulator
    store = emu.backend.store
    acc = account(emu, "alice", "support@example.com")
    top = acc.msg_folder_root
    initial = list(top.sync_hierarchy())
    below = store.folders.descendants(folder_of(emu, "support@example.com", "msgfolderroot").id)
    assert sorted(f.name for kind, f in initial if kind == "create") == sorted(f.display_name for f in below)
    assert all(kind == "create" for kind, _ in initial)
    state = top.folder_sync_state
    assert list(top.sync_hierarchy(sync_state=state)) == []
    state = top.folder_sync_state
    new = Folder(parent=acc.inbox, name="Partners").save()
    done = acc.inbox / "Done"
    done.name = "Closed"
    done.save(update_fields=["name"])
    (acc.inbox / "Bugs").delete()
    changes = list(top.sync_hierarchy(sync_state=state))
    summary = sorted((kind, getattr(f, "name", None)) for kind, f in changes)
    assert summary == [("create", "Partners"), ("delete", None), ("update", "Closed")]
    (deleted,) = [f for kind, f in changes if kind == "delete"]
    assert deleted.id not in {f.id for f in acc.inbox.children}
    assert new.id in {f.id for kind, f in changes}
    resp = ews_call(
        acc,
        "<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        f"<m:SyncFolderId>{dfid('inbox', 'support@example.com')}</m:SyncFolderId>"
        f"<m:SyncState>{top.folder_sync_state}</m:SyncState></m:SyncFolderHierarchy>",
    )
    assert codes(resp) == ["ErrorInvalidSyncStateData"]  # a state belongs to its sync root
    resp = ews_call(
        acc,
        "<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        "<m:SyncState>bm90IGEgc3RhdGU=</m:SyncState></m:SyncFolderHierarchy>",
    )
    assert codes(resp) == ["ErrorInvalidSyncStateData"]


def test_folder_changes_are_recorded_as_events(fresh_emulator):
    from exchangelib.folders import Folder

    emu = fresh_emulator
    acc = account(emu, "alice", "support@example.com")
    f = Folder(parent=acc.inbox, name="Audit").save()
    f.name = "Audited"
    f.save(update_fields=["name"])
    f.move(acc.inbox / "Done")
    f.delete()
    rows = (
        emu.backend.store.db.connection()
        .execute("SELECT kind FROM events WHERE is_folder = 1 ORDER BY seq")
        .fetchall()
    )
    assert [r[0] for r in rows] == ["CreatedEvent", "ModifiedEvent", "MovedEvent", "DeletedEvent"]


# ConvertId ----------------------------------------------------------------------------------------------
def test_convert_id_version_probe_and_round_trip(emulator):
    from exchangelib import DELEGATE, NTLM, Account, Configuration, Credentials
    from exchangelib.properties import AlternateId

    creds = Credentials("alice@example.com", "alice-pass")
    config = Configuration(
        service_endpoint=emulator.ews_url, credentials=creds, auth_type=NTLM
    )  # no version: probe
    acc = Account(
        "support@example.com", credentials=creds, config=config, autodiscover=False, access_type=DELEGATE
    )
    assert acc.version.build.major_version == BUILD[0] and acc.version.build.minor_version == BUILD[1]
    resp = ews_call(
        acc,
        '<m:ConvertId DestinationFormat="EntryId"><m:SourceIds>'
        '<t:AlternateId Format="EwsId" Id="DUMMY" Mailbox="DUMMY"/></m:SourceIds></m:ConvertId>',
    )
    assert codes(resp) == ["ErrorInvalidIdMalformed"]
    inbox_id = acc.inbox.id
    (hex_id,) = acc.protocol.convert_ids(
        [AlternateId(id=inbox_id, format="EwsId", mailbox="support@example.com")],
        destination_format="HexEntryId",
    )
    assert hex_id.format == "HexEntryId" and hex_id.id != inbox_id and hex_id.mailbox == "support@example.com"
    (back,) = acc.protocol.convert_ids([hex_id], destination_format="EwsId")
    assert back.id == inbox_id
    (owa,) = acc.protocol.convert_ids([back], destination_format="OwaId")
    (again,) = acc.protocol.convert_ids([owa], destination_format="EwsId")
    assert again.id == inbox_id
