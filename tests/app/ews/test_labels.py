"""app.domain.labels (the CategoryList model) and app.ews.labels against the emulator over HTTP.

Tests that change data run on a private copy of the demo tenant; every check of what the server stored is made
with plain exchangelib (tests.support.emulator.account), independently of the code under test.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from lxml import etree

from app.domain.categories import Category
from app.domain.errors import AccessDenied, Cancelled
from app.domain.folders import FolderKind
from app.domain.labels import LabelEdit, LabelError, LabelList, edit_capability, relabelled
from app.domain.rights import FolderRights
from app.ews import labels
from app.ews.folders import list_folders
from tests.app.ews.conftest import round_trips, signed_in
from tests.support.category_lists import FOREIGN_ATTR, FOREIGN_ELEMENT, add_foreign_data, stored_category_list
from tests.support.emulator import account

SUPPORT = "support@example.com"
SALES = "sales@example.com"
NS = "{CategoryList.xsd}"
M = "{http://schemas.microsoft.com/exchange/services/2006/messages}"
T = "{http://schemas.microsoft.com/exchange/services/2006/types}"


# -- the XML model ---------------------------------------------------------------------------------------------
OUTLOOK_XML = (b'<?xml version="1.0"?><categories default="Bug" lastSavedSession="3" lastSavedTime="2026-01-02T03:04:05.000"'
               b' xmlns="CategoryList.xsd"><category name="Urgent" color="0" keyboardShortcut="3" usageCount="12"'
               b' guid="{AAAAAAAA-0000-0000-0000-000000000001}" renameOnFirstUse="0" ' + FOREIGN_ATTR + b'/>'
               + FOREIGN_ELEMENT +
               b'<category name="Bug" color="1" usageCount="3" guid="{AAAAAAAA-0000-0000-0000-000000000002}"/>'
               b'</categories>')


def _attrs(xml: bytes, name: str) -> dict[str, str]:
    root = etree.fromstring(xml)
    element = next(e for e in root.iter(f"{NS}category") if e.get("name") == name)
    return dict(element.attrib)


def test_label_list_changes_only_what_the_user_changed() -> None:
    labels = LabelList(OUTLOOK_XML)
    assert labels.categories() == [Category("Urgent", 0), Category("Bug", 1)]
    before_urgent = _attrs(OUTLOOK_XML, "Urgent")
    labels.rename("bug", "Defect")
    labels.recolor("Urgent", 22)
    labels.add("Escalated", 4)
    xml = labels.to_xml()
    assert xml.startswith(b'<?xml version="1.0"?>')
    assert labels.categories() == [Category("Urgent", 22), Category("Defect", 1), Category("Escalated", 4)]
    after_urgent = _attrs(xml, "Urgent")
    assert after_urgent == {**before_urgent, "color": "22"}  # keyboard shortcut, usage, guid, foreign attr kept
    assert _attrs(xml, "Defect")["guid"] == "{AAAAAAAA-0000-0000-0000-000000000002}"  # same entry, renamed
    root = etree.fromstring(xml)
    assert root.get("default") == "Defect"  # the default followed the rename
    assert root.get("lastSavedTime") == "2026-01-02T03:04:05.000"
    assert root.find("{urn:example:crm}mapping").text == "keep me"
    new = _attrs(xml, "Escalated")
    assert new["color"] == "4" and new["guid"].startswith("{") and len(new["guid"]) == 38
    labels.delete("Defect")
    root = etree.fromstring(labels.to_xml())
    assert [e.get("name") for e in root.iter(f"{NS}category")] == ["Urgent", "Escalated"]
    assert root.find("{urn:example:crm}mapping") is not None


@pytest.mark.parametrize(("edit", "message"), [
    (LabelEdit("add", "  "), "needs a name"),
    (LabelEdit("add", "urgent"), "already a label called"),
    (LabelEdit("add", "a,b"), "cannot contain “,”"),
    (LabelEdit("rename", "Bug", "URGENT"), "already a label called"),
    (LabelEdit("rename", "Nope", "X"), "no label called “Nope”"),
    (LabelEdit("recolor", "Bug", color=25), "not one of Outlook's 25 colours"),
])
def test_label_edits_are_refused_in_plain_words(edit: LabelEdit, message: str) -> None:
    with pytest.raises(LabelError, match=message):
        edit.apply(LabelList(OUTLOOK_XML))


def test_a_rename_to_another_case_is_allowed_and_missing_lists_are_created() -> None:
    labels = LabelList(OUTLOOK_XML)
    labels.rename("Bug", "BUG")
    assert labels.names() == ["Urgent", "BUG"]
    fresh = LabelList(None)
    assert not fresh.existed and fresh.categories() == []
    fresh.add("First", -1)
    assert etree.fromstring(fresh.to_xml()).tag == f"{NS}categories"
    with pytest.raises(LabelError, match="not valid XML"):
        LabelList(b"<categories")


def test_relabelled_keeps_other_labels_and_order() -> None:
    assert relabelled(("Urgent", "bug", "Billing"), "Bug", "Defect") == ["Urgent", "Defect", "Billing"]
    assert relabelled(("Urgent", "Bug"), "Bug", None) == ["Urgent"]
    assert relabelled(("Defect", "Bug"), "Bug", "Defect") == ["Defect"]


def test_edit_capability_says_why() -> None:
    assert edit_capability("Customer Support", own=False, calendar=FolderRights.full())
    assert edit_capability("My mailbox", own=True, calendar=None)
    owner = FolderRights(read=True, create_contents=True, modify=True, delete=True, create_associated=True)
    assert edit_capability("Customer Support", own=False, calendar=owner)  # no ViewPrivateItems: still the owner
    assert not edit_capability("Sales Team", own=False, calendar=FolderRights(read=True))  # Reviewer
    assert not edit_capability("Human Resources", own=False, calendar=None)  # Calendar not visible
    denied = edit_capability("Sales Team", own=False, calendar=FolderRights(read=True, create_contents=True),
                             access="read-only access to Inbox")
    assert not denied and denied.reason == ("Changing the labels of Sales Team needs Full Access to the mailbox. "
                                            "You have read-only access to Inbox.")


# -- against the emulator --------------------------------------------------------------------------------------
def _mail_folders(client: Any, mailbox: str) -> list[Any]:
    return [n.ref for n in list_folders(client, mailbox).folders if n.kind == FolderKind.MAIL and n.rights.read]


def test_master_list_edits_on_the_shared_mailbox_keep_foreign_data(fresh_emulator) -> None:
    xml = add_foreign_data(fresh_emulator, SUPPORT)  # another client has put its own data into support@'s list
    own_before = stored_category_list(fresh_emulator, "alice@example.com")
    alice = signed_in(fresh_emulator, "alice").client
    with round_trips(fresh_emulator) as ews:
        saved = labels.edit_list(alice, SUPPORT, [LabelEdit("add", "Escalated", color=4)])
    assert ews == {"GetUserConfiguration": 1, "UpdateUserConfiguration": 1}
    assert saved[-1] == Category("Escalated", 4)
    labels.edit_list(alice, SUPPORT, [LabelEdit("rename", "Bug", "Defect")])
    labels.edit_list(alice, SUPPORT, [LabelEdit("recolor", "Billing", color=19)])
    labels.edit_list(alice, SUPPORT, [LabelEdit("delete", "Waiting on customer")])
    stored = stored_category_list(fresh_emulator, SUPPORT)
    assert LabelList(stored).categories() == [Category("Urgent", 0), Category("Billing", 19), Category("Defect", 1),
                                              Category("Escalated", 4)]
    original = {e.get("name"): dict(e.attrib) for e in etree.fromstring(xml).iter(f"{NS}category")}
    now = {e.get("name"): dict(e.attrib) for e in etree.fromstring(stored).iter(f"{NS}category")}
    assert now["Urgent"] == original["Urgent"]  # untouched entry: every attribute, the foreign one too
    assert now["Urgent"]["{urn:example:crm}sync"] == "42"
    assert now["Defect"] == {**original["Bug"], "name": "Defect"}
    assert now["Billing"] == {**original["Billing"], "color": "19"}
    assert etree.fromstring(stored).find("{urn:example:crm}mapping").text == "keep me"
    assert stored_category_list(fresh_emulator, "alice@example.com") == own_before  # support@'s list changed, not alice's


def test_changing_the_list_needs_full_access(emulator, alice) -> None:
    before = labels.read_list(alice, SALES).categories()
    assert [c.name for c in before] == ["Hot lead", "Renewal", "Proposal sent"]  # a Reviewer may read it
    with pytest.raises(AccessDenied, match="You may not change the labels of sales@example.com: that needs Full "
                                           "Access"):
        labels.edit_list(alice, SALES, [LabelEdit("add", "Mine")])
    assert labels.read_list(alice, SALES).categories() == before
    with pytest.raises(AccessDenied, match="You cannot see the labels of hr@example.com"):
        labels.read_list(alice, "hr@example.com")


def test_a_mailbox_without_a_list_gets_one(fresh_emulator) -> None:
    dave = signed_in(fresh_emulator, "dave").client
    assert not labels.read_list(dave, "dave@example.com").existed
    assert labels.edit_list(dave, "dave@example.com", [LabelEdit("add", "Mine", color=3)]) == [Category("Mine", 3)]
    xml = stored_category_list(fresh_emulator, "dave@example.com", user="dave")
    assert LabelList(xml).categories() == [Category("Mine", 3)]


def _stored_counts(emu: Any, folders: list[Any], names: list[str]) -> dict[tuple[str, str], dict[str, int]]:
    """Messages per folder and label, straight from the emulator's store (its SQLite tables, not EWS)."""
    from ews_emulator.store.ids import decode_id

    con = emu.backend.store.db.connection()
    out: dict[tuple[str, str], dict[str, int]] = {}
    for folder in folders:
        row_id = decode_id(folder.folder_id).row_id
        per: dict[str, int] = {}
        for (cats,) in con.execute("SELECT categories FROM items WHERE folder_id = ? AND is_associated = 0",
                                   (row_id,)):
            carried = {c.casefold() for c in json.loads(cats)}
            for name in names:
                if name.casefold() in carried:
                    per[name] = per.get(name, 0) + 1
        out[folder.key] = per
    return out


@contextmanager
def _find_items(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[etree._Element]]:
    """The FindItem request bodies the emulator receives inside the block."""
    from ews_emulator.exchange.registry import OPERATIONS

    seen: list[etree._Element] = []
    real = OPERATIONS["FindItem"]

    def spy(ctx: Any, req: etree._Element) -> Any:
        seen.append(copy.deepcopy(req))
        return real(ctx, req)

    monkeypatch.setitem(OPERATIONS, "FindItem", spy)
    yield seen
    monkeypatch.setitem(OPERATIONS, "FindItem", real)


def test_counting_labels_asks_one_count_only_find_item_per_label_and_folder(emulator, alice, monkeypatch) -> None:
    folders = _mail_folders(alice, SUPPORT)
    master = [c.name for c in labels.read_list(alice, SUPPORT).categories()]
    assert len(folders) == 11 and master == ["Urgent", "Billing", "Bug", "Waiting on customer"]
    names = [*master, "bug", "Nobody uses this"]  # a repeat in another case is counted once; an unused label: 0
    with round_trips(emulator) as ews, _find_items(monkeypatch) as requests:
        counts = labels.count_labels(alice, SUPPORT, folders, names)
    wanted = [*master, "Nobody uses this"]
    assert ews == {"FindItem": len(wanted) * len(folders)} == {"FindItem": 55}
    assert counts.requests == 55 and not counts.skipped
    # Each request: one folder, one label, IdOnly, one row, a restriction on item:Categories -> TotalItemsInView.
    asked: list[tuple[str, str]] = []
    for req in requests:
        assert req.find(f"{M}ItemShape/{T}BaseShape").text == "IdOnly"
        assert req.find(f"{M}ItemShape/{T}AdditionalProperties") is None
        assert req.find(f"{M}IndexedPageItemView").get("MaxEntriesReturned") == "1"
        (parent,) = req.find(f"{M}ParentFolderIds")
        (test,) = req.find(f"{M}Restriction")
        assert etree.QName(test).localname == "IsEqualTo"
        assert test.find(f"{T}FieldURI").get("FieldURI") == "item:Categories"
        asked.append((parent.get("Id"), test.find(f"{T}FieldURIOrConstant/{T}Constant").get("Value")))
    assert sorted(asked) == sorted((f.folder_id, n) for f in folders for n in wanted)

    stored = _stored_counts(emulator, folders, wanted)
    assert counts.per_folder == {key: {n: c for n, c in per.items() if c} for key, per in stored.items()}
    for name in wanted:
        expected = sum(per.get(name, 0) for per in stored.values())
        assert counts.total(name) == counts.total(name.upper()) == expected
        assert counts.covers(name) and counts.by_folder(name) == {k: v[name] for k, v in stored.items() if v.get(name)}
    assert counts.total("Bug") > 0 and counts.total("Nobody uses this") == 0
    assert sorted(counts.names()) == sorted(master)  # labels carried by messages; the unused one is not listed
    assert not counts.covers("Escalated") and counts.total("Escalated") == 0


def test_counting_stops_between_requests_when_cancelled(emulator, alice) -> None:
    folders = _mail_folders(alice, SUPPORT)
    polls: list[int] = []

    def cancelled() -> bool:  # polled before each request
        polls.append(1)
        return len(polls) > 3

    with round_trips(emulator) as ews, pytest.raises(Cancelled, match="was cancelled"):
        labels.count_labels(alice, SUPPORT, folders, ["Bug", "Billing"], cancelled=cancelled)
    assert ews == {"FindItem": 3}


def test_relabel_renames_on_every_message_keeping_other_labels(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    folders = _mail_folders(alice, SUPPORT)
    carriers = labels.find_labelled(alice, SUPPORT, folders, "Bug")
    assert carriers
    both = next((c for c in carriers if len(c.categories) > 1), None)
    steps: list[tuple[int, int]] = []
    done = labels.relabel(alice, SUPPORT, folders, "Bug", "Defect", lambda d, t: steps.append((d, t)), lambda: False)
    assert done == len(carriers)
    assert steps[0] == (0, len(carriers)) and steps[-1] == (len(carriers), len(carriers))
    assert labels.find_labelled(alice, SUPPORT, folders, "Bug") == []
    acc = account(fresh_emulator, "alice", SUPPORT)
    if both is not None:
        item = acc.fetch(ids=[(both.item_id, None)], only_fields=["categories"])
        assert list(item)[0].categories == relabelled(both.categories, "Bug", "Defect")
    assert labels.count_labels(alice, SUPPORT, folders, ["Defect"]).total("Defect") == len(carriers)


def test_relabel_stops_when_cancelled_and_says_how_far_it_got(fresh_emulator) -> None:
    alice = signed_in(fresh_emulator, "alice").client
    folders = _mail_folders(alice, SUPPORT)
    total = len(labels.find_labelled(alice, SUPPORT, folders, "Billing"))
    assert total > 10
    seen: list[int] = []

    def cancelled() -> bool:
        return bool(seen) and seen[-1] >= 10

    with pytest.raises(Cancelled, match=f"Stopped after 10 of {total}"):
        labels.relabel(alice, SUPPORT, folders, "Billing", None, lambda d, _t: seen.append(d), cancelled,
                       chunk_size=10)
    assert len(labels.find_labelled(alice, SUPPORT, folders, "Billing")) == total - 10


def test_labelling_messages_needs_modify(emulator, alice) -> None:
    inbox = next(r for r in _mail_folders(alice, SALES) if r.well_known == "inbox")
    some = labels.find_labelled(alice, SALES, [inbox], "Hot lead")[:2]
    assert some
    with pytest.raises(AccessDenied, match="You may not change the labels of messages in sales@example.com"):
        labels.update_categories(alice, SALES, [(i.item_id, ["Renewal"]) for i in some], lambda *_: None,
                                 lambda: False)
    assert labels.find_labelled(alice, SALES, [inbox], "Hot lead")[:2] == some
