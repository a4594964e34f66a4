"""The demo tenant as seeded into the store: recipients, folders, grants, configuration and content.

These are unit tests of the seed data through the store API; exchangelib-level behaviour is tested
elsewhere.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from lxml import etree

from ews_emulator.provision import STANDARD_TREE, provision_mailbox
from ews_emulator.rights import resolve_access
from ews_emulator.seed import logon_passwords, seed_tenant
from ews_emulator.seedgen import tenant as data
from ews_emulator.soap import M_NS, T_NS
from ews_emulator.store import Grant, Store
from ews_emulator.store.ids import decode_id
from ews_emulator.store.items import derive_columns
from ews_emulator.xml.schema_order import ENUMS
from tests.support.emulator import schema_dir

NOW = 1_767_000_000  # fixed reference time: the same store every run
DAY = 86400
_T = f"{{{T_NS}}}"


def _seeded(path, scale: int = 0) -> Store:
    store = Store(path / "mailboxes.sqlite")
    seed_tenant(store, scale=scale, now=NOW)
    return store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = _seeded(tmp_path_factory.mktemp("seed"))
    yield s
    s.close()


def rid(store: Store, alias: str) -> int:
    return store.directory.by_smtp(f"{alias}@example.com").id


def folder(store: Store, alias: str, name: str):
    """A well-known folder, or a subfolder of the Inbox by display name."""
    box = rid(store, alias)
    found = store.folders.by_well_known(box, name)
    if found is None:
        found = store.folders.child_named(store.folders.by_well_known(box, "inbox").id, name)
    assert found is not None, (alias, name)
    return found


def items(store: Store, alias: str, name: str):
    return store.items.select("folder_id = ?", (folder(store, alias, name).id,))


# Directory ----------------------------------------------------------------------------------------
def test_recipients_and_logons(store: Store) -> None:
    names = {r.smtp: (r.display_name, r.kind) for r in store.directory.all()}
    assert names["alice@example.com"] == ("Alice Archer", "user")
    assert names["dave@example.com"] == ("Dave Diaz", "user")
    assert names["support@example.com"] == ("Customer Support", "shared")
    assert names["billing@example.com"] == ("Billing", "shared")
    assert names["room-202@example.com"] == ("Room 202", "room")
    assert names["team@example.com"] == ("All Staff", "group")
    assert [r.smtp for r in store.directory.members(rid(store, "team"))] == [
        "alice@example.com",
        "bob@example.com",
        "carol@example.com",
        "dave@example.com",
    ]
    lists = store.directory.room_lists()
    assert [(r.smtp, r.display_name) for r in lists] == [("rooms-hq@example.com", "Head Office")]
    assert [r.smtp for r in store.directory.rooms(lists[0].id)] == [
        "room-101@example.com",
        "room-202@example.com",
    ]
    assert logon_passwords() == [
        ("alice@example.com", "alice-pass"),
        ("bob@example.com", "bob-pass"),
        ("carol@example.com", "carol-pass"),
        ("dave@example.com", "dave-pass"),
    ]
    assert store.directory.check_password("carol@example.com", "carol-pass") is not None
    assert store.directory.check_password("carol@example.com", "alice-pass") is None
    assert store.directory.check_password("support@example.com", "") is None


# Folders and default permissions --------------------------------------------------------------------
def test_every_mailbox_has_the_standard_tree(store: Store) -> None:
    enum = set(ENUMS["t:DistinguishedFolderIdNameType"])
    for alias in ("alice", "dave", "support", "hr", "room-101"):
        box = rid(store, alias)
        wk = {f.well_known: f for f in store.folders.all_in_mailbox(box) if f.well_known}
        assert set(wk) <= enum
        assert {
            "root",
            "msgfolderroot",
            "inbox",
            "drafts",
            "sentitems",
            "deleteditems",
            "outbox",
            "junkemail",
            "calendar",
            "contacts",
            "tasks",
            "notes",
            "journal",
            "archive",
            "searchfolders",
            "recoverableitemsroot",
            "recoverableitemsdeletions",
        } <= set(wk)
        assert wk["root"].parent_id is None and wk["root"].is_hidden
        assert wk["msgfolderroot"].parent_id == wk["root"].id
        assert wk["recoverableitemsroot"].parent_id == wk["root"].id
        assert wk["inbox"].parent_id == wk["msgfolderroot"].id and wk["inbox"].display_name == "Inbox"
        assert (wk["calendar"].kind, wk["calendar"].folder_class) == ("CalendarFolder", "IPF.Appointment")
        assert (wk["contacts"].kind, wk["contacts"].folder_class) == ("ContactsFolder", "IPF.Contact")
        assert (wk["tasks"].kind, wk["tasks"].folder_class) == ("TasksFolder", "IPF.Task")
        assert wk["sentitems"].display_name == "Sent Items" and wk["sentitems"].folder_class == "IPF.Note"
    assert store.folders.all_in_mailbox(rid(store, "team")) == []


def test_default_permissions_are_exchanges(store: Store) -> None:
    inbox = store.folders.permissions(folder(store, "dave", "inbox").id)
    calendar = store.folders.permissions(folder(store, "room-101", "calendar").id)
    assert inbox["Default"].level == "None" and inbox["Anonymous"].level == "None"
    assert calendar["Default"].level == "FreeBusyTimeOnly" and calendar["Default"].read_items == "TimeOnly"
    assert calendar["Anonymous"].level == "None"


def test_provision_mailbox_alone(tmp_path) -> None:
    store = Store(tmp_path / "p.sqlite")
    shared = store.directory.add("queue@example.com", "Queue", "shared")
    group = store.directory.add("g@example.com", "G", "group")
    with store.db.tx() as con:
        tree = provision_mailbox(store, con, shared)
        assert provision_mailbox(store, con, group) == {}

    def names(spec):
        return [spec.well_known, *(n for c in spec.children for n in names(c))]

    assert set(tree) == {n for n in names(STANDARD_TREE) if n}
    assert store.folders.children(tree["msgfolderroot"].id)[0].parent_id == tree["msgfolderroot"].id
    store.close()


# Grants: the demo tenant's table ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("user", "mailbox", "grant"),
    [
        ("alice", "support", Grant(full_access=True, automapping=True, send_as=True)),
        ("alice", "billing", Grant(full_access=True, automapping=False, send_on_behalf=True)),
        ("alice", "sales", Grant()),
        ("alice", "hr", Grant()),
        ("bob", "sales", Grant(full_access=True, automapping=True, send_on_behalf=True)),
        ("bob", "support", Grant()),
        ("carol", "hr", Grant(full_access=True, automapping=True, send_as=True)),
        ("carol", "support", Grant(full_access=True, automapping=True)),
        ("dave", "support", Grant()),
    ],
)
def test_mailbox_grants(store: Store, user: str, mailbox: str, grant: Grant) -> None:
    assert store.directory.grant(rid(store, mailbox), rid(store, user)) == grant


def _entries_for(store: Store, alias: str) -> dict[tuple[str, str], str]:
    """(mailbox, folder display name) -> level of every folder entry naming ``alias``."""
    uid = rid(store, alias)
    out = {}
    for r in store.directory.all():
        for f in store.folders.all_in_mailbox(r.id):
            perm = store.folders.permissions(f.id).get(uid)
            if perm is not None:
                out[(r.smtp.split("@")[0], f.display_name)] = perm.level
    return out


def test_folder_permissions(store: Store) -> None:
    assert _entries_for(store, "alice") == {
        ("sales", "Inbox"): "Reviewer",
        ("sales", "Calendar"): "Reviewer",
        ("hr", "Inbox"): "Custom",
    }
    assert _entries_for(store, "bob") == {("support", "Inbox"): "Reviewer"}
    assert _entries_for(store, "dave") == {}
    assert store.directory.grants_for_user(rid(store, "dave")) == []


def test_alice_custom_on_hr_inbox_writes_but_cannot_delete(store: Store) -> None:
    alice, hr = rid(store, "alice"), rid(store, "hr")
    inbox = folder(store, "hr", "inbox")
    acc = resolve_access(alice, hr, False, store.folders.permissions(inbox.id))
    assert acc.can_create_items and acc.can_read_items and acc.perm.is_folder_visible
    assert acc.can_edit_item(created_by=hr, caller_id=alice)
    assert not acc.can_delete_item(created_by=alice, caller_id=alice)
    assert not acc.can_create_subfolders and not acc.is_folder_owner
    root = folder(store, "hr", "msgfolderroot")
    assert not resolve_access(alice, hr, False, store.folders.permissions(root.id)).can_see_folder


# Content -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("alias", "minimum"), [("support", 200), ("sales", 100), ("hr", 50), ("billing", 30)]
)
def test_inbox_sizes(store: Store, alias: str, minimum: int) -> None:
    assert len(items(store, alias, "inbox")) >= minimum
    assert len(items(store, alias, "calendar")) >= 2
    assert len(items(store, alias, "contacts")) >= 5
    assert len(items(store, alias, "sentitems")) >= 5


def test_support_inbox_is_realistic(store: Store) -> None:
    rows = items(store, "support", "inbox")
    xml = [r.xml for r in rows]
    unread = sum(not r.is_read for r in rows) / len(rows)
    assert 0.15 <= unread <= 0.35
    assert {c for r in rows for c in r.categories} == {"Urgent", "Billing", "Bug", "Waiting on customer"}
    assert sum(bool(r.categories) for r in rows) >= 30
    assert sum(b'PropertyTag="0x1090"' in x for x in xml) >= 5
    assert sum(r.has_attachments for r in rows) >= 10
    assert sum(b'BodyType="HTML"' in x for x in xml) >= 50 and sum(b'BodyType="Text"' in x for x in xml) >= 50
    assert sum(b"https://tracker.example.net/pixel.gif" in x for x in xml) >= 5
    assert sum(b"&lt;script" in x for x in xml) == 2
    assert all(NOW - 90 * DAY <= r.received <= NOW for r in rows)
    assert max(r.received for r in rows) > NOW - DAY and min(r.received for r in rows) < NOW - 60 * DAY
    assert len({r.from_addr for r in rows}) >= 30
    assert all(r.created_by == rid(store, "support") for r in rows)
    names = {
        a["name"].rsplit(".", 1)[-1] for r in rows if r.has_attachments for a in store.items.attachments(r.id)
    }
    assert {"pdf", "png", "csv"} <= names


def test_attachments_are_real_files(store: Store) -> None:
    seen = set()
    for r in items(store, "support", "inbox") + items(store, "support", "Billing questions"):
        for a in store.items.attachments(r.id):
            content = store.items.attachment(a["id"])["content"]
            magic = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n"}.get(a["content_type"])
            if magic:
                assert content.startswith(magic), a["name"]
            assert a["size"] == len(content) > 0
            seen.add(a["content_type"])
    assert {"application/pdf", "image/png", "text/csv"} <= seen


def test_subfolders_sent_items_and_drafts(store: Store) -> None:
    for name in ("Billing questions", "Bugs", "Done"):
        assert len(items(store, "support", name)) >= 5
    assert all(r.is_read for r in items(store, "support", "Done"))
    sent = items(store, "support", "sentitems")
    alice = rid(store, "alice")
    assert all(r.subject.upper().startswith("RE: ") and r.created_by == alice for r in sent)
    assert {(r.from_addr, r.sender_addr) for r in sent} == {("support@example.com", "support@example.com")}
    on_behalf = items(store, "sales", "sentitems")
    assert {(r.from_addr, r.sender_addr) for r in on_behalf} == {("sales@example.com", "bob@example.com")}
    drafts = items(store, "support", "drafts")
    assert drafts and all(r.is_draft for r in drafts)


def test_personal_mailboxes_and_rooms(store: Store) -> None:
    for alias in ("alice", "bob", "carol", "dave"):
        assert len(items(store, alias, "inbox")) >= 3
        assert len(items(store, alias, "calendar")) >= 3
    for room in ("room-101", "room-202"):
        bookings = items(store, room, "calendar")
        assert len(bookings) >= 3
        assert all(room.encode() in r.xml for r in bookings)  # the room is among the Resources


def test_master_category_list(store: Store) -> None:
    row = (
        store.db.connection()
        .execute(
            "SELECT xml_data FROM user_configs WHERE folder_id = ? AND name = 'CategoryList'",
            (folder(store, "support", "calendar").id,),
        )
        .fetchone()
    )
    root = etree.fromstring(bytes(row[0]))
    assert root.tag == "{CategoryList.xsd}categories"
    cats = {c.get("name"): c for c in root}
    assert {n: int(c.get("color")) for n, c in cats.items()} == {
        "Urgent": 0,
        "Billing": 7,
        "Bug": 1,
        "Waiting on customer": 3,
    }
    for c in cats.values():
        assert re.fullmatch(r"\{[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}\}", c.get("guid"))
        assert c.get("lastTimeUsed") and c.get("keyboardShortcut") == "0"


def test_inbox_rules_and_mail_agree(store: Store) -> None:
    rows = (
        store.db.connection()
        .execute(
            "SELECT rule_id, priority, enabled, xml FROM rules WHERE mailbox_id = ? ORDER BY priority",
            (rid(store, "support"),),
        )
        .fetchall()
    )
    assert [(r[1], r[2]) for r in rows] == [(1, 1), (2, 1)]
    move, tag = (etree.fromstring(bytes(r[3])) for r in rows)
    assert move.findtext(f"{_T}RuleId") == rows[0][0]
    assert move.findtext(f"{_T}Conditions/{_T}ContainsSubjectStrings/{_T}String") == "invoice"
    target = decode_id(move.find(f"{_T}Actions/{_T}MoveToFolder/{_T}FolderId").get("Id"), "folder")
    assert target.row_id == folder(store, "support", "Billing questions").id
    assert tag.findtext(f"{_T}Conditions/{_T}ContainsSubjectStrings/{_T}String") == "URGENT"
    assert tag.findtext(f"{_T}Actions/{_T}AssignCategories/{_T}String") == "Urgent"
    inbox = items(store, "support", "inbox")
    assert not [r.subject for r in inbox if "invoice" in r.subject.lower()]
    urgent = [r for r in inbox if "URGENT" in r.subject]
    assert urgent and all("Urgent" in r.categories for r in urgent)
    assert any("invoice" in r.subject.lower() for r in items(store, "support", "Billing questions"))


def test_weekly_stand_up_spans_the_weeks_around_today(store: Store) -> None:
    today = datetime.fromtimestamp(NOW, UTC).date()
    for alias in ("support", "alice", "carol", "room-101"):
        [row] = [r for r in items(store, alias, "calendar") if r.subject == "Support stand-up"]
        el = row.element_tree()
        assert row.recurring
        assert el.findtext(f"{_T}Recurrence/{_T}WeeklyRecurrence/{_T}DaysOfWeek") == "Monday Wednesday Friday"
        start = date.fromisoformat(el.findtext(f"{_T}Recurrence/{_T}EndDateRecurrence/{_T}StartDate"))
        end = date.fromisoformat(el.findtext(f"{_T}Recurrence/{_T}EndDateRecurrence/{_T}EndDate"))
        assert start <= today - timedelta(weeks=5) and end >= today + timedelta(weeks=5)
        assert len(el.findall(f"{_T}DeletedOccurrences/{_T}DeletedOccurrence")) == 1
        [moved] = el.findall(f"{_T}ModifiedOccurrences/{_T}Occurrence")
        occ = decode_id(moved.find(f"{_T}ItemId").get("Id"), "occurrence")
        assert (occ.mailbox_id, occ.row_id) == (row.mailbox_id, row.id) and occ.extra > 1
        assert moved.findtext(f"{_T}Start") != moved.findtext(f"{_T}OriginalStart")
    events = items(store, "support", "calendar")
    assert len(events) >= 10


def test_contacts_and_contact_group(store: Store) -> None:
    rows = items(store, "support", "contacts")
    contacts = [r for r in rows if r.element == "Contact"]
    [group] = [r for r in rows if r.element == "DistributionList"]
    assert len(contacts) >= 20
    el = contacts[0].element_tree()
    assert el.find(f"{_T}EmailAddresses/{_T}Entry[@Key='EmailAddress1']").text
    assert el.find(f"{_T}PhoneNumbers/{_T}Entry[@Key='BusinessPhone']").text
    assert el.findtext(f"{_T}GivenName") and el.findtext(f"{_T}Surname") and el.findtext(f"{_T}CompanyName")
    assert len(group.element_tree().findall(f"{_T}Members/{_T}Member")) >= 3


@pytest.mark.skipif(schema_dir() is None, reason="EWS schema not available")
def test_every_stored_element_is_schema_valid(store: Store) -> None:
    from ews_emulator.schema import SchemaValidator

    validator = SchemaValidator(schema_dir())
    nsmap = {"m": M_NS, "t": T_NS}
    problems = []
    for (xml,) in store.db.connection().execute("SELECT xml FROM items"):
        create = etree.Element(f"{{{M_NS}}}CreateItem", nsmap=nsmap)
        etree.SubElement(create, f"{{{M_NS}}}Items").append(etree.fromstring(xml))
        problems += [str(v) for v in validator.validate_element(create)]
    for (xml,) in store.db.connection().execute("SELECT xml FROM rules"):
        update = etree.Element(f"{{{M_NS}}}UpdateInboxRules", nsmap=nsmap)
        op = etree.SubElement(
            etree.SubElement(update, f"{{{M_NS}}}Operations"), f"{{{T_NS}}}SetRuleOperation"
        )
        op.append(etree.fromstring(xml))
        problems += [str(v) for v in validator.validate_element(update)]
    assert problems == []


def test_no_notification_events_after_seeding(store: Store) -> None:
    assert store.db.connection().execute("SELECT count(*) FROM events").fetchone()[0] == 0


# Determinism and scale ------------------------------------------------------------------------------
def _snapshot(s: Store) -> list:
    con = s.db.connection()
    return [
        [
            tuple(r)
            for r in con.execute(
                "SELECT id, mailbox_id, folder_id, subject, received, is_read, categories,"
                " created_by, xml FROM items ORDER BY id"
            )
        ],
        [tuple(r) for r in con.execute("SELECT item_id, name, content FROM attachments ORDER BY id")],
        [
            tuple(r)
            for r in con.execute("SELECT folder_id, name, xml_data FROM user_configs ORDER BY folder_id")
        ],
        [
            tuple(r)
            for r in con.execute("SELECT id, parent_id, well_known, display_name FROM folders ORDER BY id")
        ],
    ]


def test_same_now_same_tenant(store: Store, tmp_path) -> None:
    again = _seeded(tmp_path)
    try:
        assert _snapshot(again) == _snapshot(store)
    finally:
        again.close()


def test_scale_adds_consistent_rows(tmp_path) -> None:
    s = _seeded(tmp_path, scale=3000)
    try:
        inbox = folder(s, "support", "inbox")
        demo = data.load("mail/support.json")["folders"]["Inbox"]
        assert s.items.count("folder_id = ?", (inbox.id,)) == demo + 3000
        bulk = s.items.select(
            "folder_id = ? AND received < ?", (inbox.id, NOW - 90 * DAY), limit=200, offset=1000
        )
        for row in bulk:
            cols = derive_columns(row.element_tree())
            assert (cols["subject"], cols["is_read"], cols["from_addr"], cols["sent"]) == (
                row.subject,
                row.is_read,
                row.from_addr,
                row.sent,
            )
        con = s.db.connection()
        changes = [r[0] for r in con.execute("SELECT change_num FROM items")]
        assert len(changes) == len(set(changes))
        assert int(con.execute("SELECT value FROM meta WHERE key = 'change_num'").fetchone()[0]) >= max(
            changes
        )
        assert (
            0.02
            < s.items.count("folder_id = ? AND is_read = 0 AND received < ?", (inbox.id, NOW - 90 * DAY))
            / 3000
            < 0.1
        )
    finally:
        s.close()
