"""SyncFolderItems: initial sync in pages, then Create / Update / ReadFlagChange / Delete after changes made
directly in the store, Ignore, sync states, and rights (exchangelib over HTTP, plus raw SOAP for errors).
"""

from __future__ import annotations

import time

from exchangelib.properties import ItemId
from lxml import etree

from ews_emulator.store.ids import encode_id
from tests.emulator.test_items_read import NS, codes, folder_rows, folder_xml, soap, store_of
from tests.support.emulator import account

T = NS["t"]


def sync_all(folder, **kwargs) -> list[tuple[str, object]]:
    return list(folder.sync_items(**kwargs))


def sync_xml(folder: str, state: str = "", max_changes: int = 100) -> str:
    state_el = f"<m:SyncState>{state}</m:SyncState>" if state else ""
    return (f"<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>"
            f"<m:SyncFolderId>{folder}</m:SyncFolderId>{state_el}"
            f"<m:MaxChangesReturned>{max_changes}</m:MaxChangesReturned></m:SyncFolderItems>")


def new_message(subject: str) -> etree._Element:
    el = etree.Element(f"{{{T}}}Message", nsmap={"t": T})
    etree.SubElement(el, f"{{{T}}}Subject").text = subject
    etree.SubElement(el, f"{{{T}}}Body", BodyType="Text").text = "body"
    etree.SubElement(el, f"{{{T}}}IsRead").text = "false"
    return el


def with_child(row, name: str, value: str) -> etree._Element:
    el = row.element_tree()
    child = el.find(f"{{{T}}}{name}")
    if child is None:
        child = etree.SubElement(el, f"{{{T}}}{name}")
    child.text = value
    return el


def test_initial_sync_in_pages_covers_every_item_once(emulator):
    acc = account(emulator, "alice", "support@example.com")
    inbox = acc.inbox
    changes = sync_all(inbox, only_fields=["subject", "is_read"], max_changes_returned=37)
    rows = folder_rows(emulator, "support@example.com")
    assert {kind for kind, _ in changes} == {"create"}
    assert len(changes) == len(rows)
    assert {i.id for _k, i in changes} == {encode_id("item", r.mailbox_id, r.id) for r in rows}
    by_id = {encode_id("item", r.mailbox_id, r.id): r for r in rows}
    assert all(i.subject == by_id[i.id].subject and i.is_read == by_id[i.id].is_read for _k, i in changes)
    assert inbox.item_sync_state
    assert sync_all(inbox, only_fields=["subject"]) == []


def test_changes_after_the_initial_sync(fresh_emulator):
    store = store_of(fresh_emulator)
    acc = account(fresh_emulator, "alice", "support@example.com")
    inbox = acc.inbox
    sync_all(inbox, only_fields=["subject"], max_changes_returned=512)
    state = inbox.item_sync_state
    rows = folder_rows(fresh_emulator, "support@example.com")
    retitled, read_toggled, deleted, moved = rows[0], rows[1], rows[2], rows[3]
    owner = store.directory.by_smtp("support@example.com")
    done = next(f for f in store.folders.all_in_mailbox(owner.id) if f.display_name == "Done")
    with store.db.tx() as con:
        created = store.items.insert(con, owner.id, retitled.folder_id, new_message("Brand new"),
                                     created_by=owner.id, modifier_name="Test", received=int(time.time()))
        store.items.update(con, retitled, with_child(retitled, "Subject", "Retitled"), "Test")
        store.items.update(con, read_toggled, with_child(read_toggled, "IsRead",
                                                         "false" if read_toggled.is_read else "true"), "Test")
        store.items.delete(con, deleted)
        moved_row = store.items.move(con, moved, done.id)
    changes = sync_all(inbox, sync_state=state, only_fields=["subject", "is_read"])
    kinds = {}
    for kind, payload in changes:
        if kind in ("create", "update"):
            kinds.setdefault(kind, []).append((payload.id, payload.subject))
        elif kind == "read_flag_change":
            item_id, is_read = payload
            kinds.setdefault(kind, []).append((item_id.id, is_read))
        else:
            kinds.setdefault(kind, []).append(payload.id)

    def gid(row):
        return encode_id("item", row.mailbox_id, row.id)

    assert kinds["create"] == [(gid(created), "Brand new")]
    assert kinds["update"] == [(gid(retitled), "Retitled")]
    assert kinds["read_flag_change"] == [(gid(read_toggled), not read_toggled.is_read)]
    assert sorted(kinds["delete"]) == sorted([gid(deleted), gid(moved)])
    assert sync_all(inbox) == []
    # The moved item shows up as new in its new folder.
    done_folder = acc.inbox / "Done"
    done_changes = sync_all(done_folder, only_fields=["subject"])
    assert gid(moved_row) in {i.id for _k, i in done_changes}


def test_a_later_change_turns_a_read_flag_change_into_an_update(fresh_emulator):
    store = store_of(fresh_emulator)
    inbox = account(fresh_emulator, "alice", "support@example.com").inbox
    sync_all(inbox, only_fields=["subject"], max_changes_returned=512)
    state = inbox.item_sync_state
    row = folder_rows(fresh_emulator, "support@example.com")[5]
    with store.db.tx() as con:
        row = store.items.update(con, row, with_child(row, "IsRead", "false" if row.is_read else "true"), "Test")
        store.items.update(con, row, with_child(row, "Subject", "Changed too"), "Test")
    changes = sync_all(inbox, sync_state=state, only_fields=["subject"])
    assert [(k, i.subject) for k, i in changes] == [("update", "Changed too")]


def test_ignore_hides_items(fresh_emulator):
    store = store_of(fresh_emulator)
    inbox = account(fresh_emulator, "alice", "support@example.com").inbox
    sync_all(inbox, only_fields=["subject"], max_changes_returned=512)
    state = inbox.item_sync_state
    rows = folder_rows(fresh_emulator, "support@example.com")[:2]
    with store.db.tx() as con:
        for r in rows:
            store.items.update(con, r, with_child(r, "Subject", f"Edited {r.id}"), "Test")
    ignored = ItemId(id=encode_id("item", rows[0].mailbox_id, rows[0].id))
    changes = sync_all(inbox, sync_state=state, only_fields=["subject"], ignore=[ignored])
    assert [(k, i.subject) for k, i in changes] == [("update", f"Edited {rows[1].id}")]


def test_sync_rights_and_bad_states(emulator):
    inbox = folder_xml("support@example.com")
    assert codes(soap(emulator, "dave", sync_xml(inbox))) == ["ErrorAccessDenied"]
    assert codes(soap(emulator, "alice", sync_xml(folder_xml("sales@example.com", "sentitems")))) == \
        ["ErrorAccessDenied"]
    first = soap(emulator, "bob", sync_xml(inbox, max_changes=5))  # bob: Reviewer on support@'s Inbox
    assert codes(first) == ["NoError"]
    assert first.findtext(".//m:IncludesLastItemInRange", namespaces=NS) == "false"
    assert len(first.findall(".//m:Changes/t:Create", NS)) == 5
    state = first.findtext(".//m:SyncState", namespaces=NS)
    second = soap(emulator, "bob", sync_xml(inbox, state, max_changes=5))
    ids = {el.get("Id") for el in first.iterfind(".//t:ItemId", NS)}
    assert ids.isdisjoint({el.get("Id") for el in second.iterfind(".//t:ItemId", NS)})
    assert codes(soap(emulator, "bob", sync_xml(inbox, "bm90IGEgc3RhdGU="))) == ["ErrorInvalidSyncStateData"]
    other = soap(emulator, "alice", sync_xml(folder_xml("support@example.com", "sentitems"), state))
    assert codes(other) == ["ErrorInvalidSyncStateData"]
