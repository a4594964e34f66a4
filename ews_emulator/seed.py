"""Seed the demo tenant into an empty store, deterministically.

Everything about the tenant is data in ``resources/demo_tenant/``: ``tenant.json`` (recipients, grants,
folder permissions, categories, rules, contacts), ``people.json`` (the outside world), ``mail/*.json``
(mail templates per mailbox) and ``calendar.json``. This module turns it into recipients, mailboxes,
grants, configuration and content. Same ``now``, same store: every random choice comes from a
``random.Random`` seeded per purpose, and every date is relative to ``now``.
"""

from __future__ import annotations

import random
import sqlite3
import time

from ews_emulator.provision import default_permissions, grant_folder_permission, provision_mailbox
from ews_emulator.rights import FolderPermission, from_role
from ews_emulator.seedgen import tenant as data
from ews_emulator.seedgen.calendar import CalendarGenerator, add_modified_occurrences
from ews_emulator.seedgen.config import category_list_xml, store_category_list, store_rules
from ews_emulator.seedgen.contacts import contact_items
from ews_emulator.seedgen.mail import Mail, MailGenerator
from ews_emulator.seedgen.people import People
from ews_emulator.seedgen.photos import DIRECTORY_PHOTO_SIZE, PHOTO_NAME, portrait_png
from ews_emulator.seedgen.scale import add_bulk_messages
from ews_emulator.store import Folder, Grant, Recipient, Store

SEED = 20240611
MAIL_FILES = ("support", "sales", "hr", "billing")
_WELL_KNOWN = {
    "Inbox": "inbox",
    "Sent Items": "sentitems",
    "Deleted Items": "deleteditems",
    "Drafts": "drafts",
}

Boxes = dict[str, dict[str, Folder]]


def logon_passwords() -> list[tuple[str, str]]:
    """(primary SMTP address, password) of every user who may log on, from ``tenant.json``."""
    return [(data.smtp(u["alias"]), u["password"]) for u in data.tenant()["users"]]


def seed_tenant(store: Store, scale: int = 0, now: float | None = None) -> None:
    """Create the demo tenant in an empty store (one transaction; no notification events are left).

    Args:
        store: An empty store.
        scale: Extra generated messages in support@'s Inbox (benchmarks).
        now: Reference time for all dates (unix seconds); default: the current time.
    """
    now = time.time() if now is None else now
    t = data.tenant()
    people = People(f"{SEED}-people")
    with store.db.tx() as con:
        recips = _directory(store, t)
        boxes = {alias: provision_mailbox(store, con, r) for alias, r in recips.items() if r.has_mailbox}
        _grants(store, con, t, recips, boxes)
        extra = _inbox_subfolders(store, con, t, recips, boxes)
        _configuration(store, con, now, t, recips, boxes, extra)
        generators = _mail(store, con, now, recips, boxes, extra, people)
        _calendars(store, con, now, recips, boxes)
        _contacts(store, con, now, t, recips, boxes, people)
        _user_photos(store, con, recips)
        if scale > 0:
            add_bulk_messages(store, con, generators["support"], boxes["support"]["inbox"].id, scale, now)
        con.execute("DELETE FROM events")


# Directory and rights -----------------------------------------------------------------------------
def _directory(store: Store, t: dict) -> dict[str, Recipient]:
    d = store.directory
    out: dict[str, Recipient] = {}
    company = t.get("company")
    for u in t["users"]:
        out[u["alias"]] = d.add(
            data.smtp(u["alias"]),
            u["display_name"],
            "user",
            u["password"],
            title=u.get("title"),
            department=u.get("department"),
            office=u.get("office"),
            phone=u.get("phone"),
            company=company,
        )
    for s in t["shared"]:
        out[s["alias"]] = d.add(
            data.smtp(s["alias"]),
            s["display_name"],
            "shared",
            department=s.get("department"),
            company=company,
        )
    for r in t["rooms"]:
        out[r["alias"]] = d.add(
            data.smtp(r["alias"]), r["display_name"], "room", office=r.get("office"), company=company
        )
    for rl in t["room_lists"]:
        lst = out[rl["alias"]] = d.add(data.smtp(rl["alias"]), rl["display_name"], "group", company=company)
        for room in rl["rooms"]:
            d.add_room(lst, out[room])
    for g in t["groups"]:
        grp = out[g["alias"]] = d.add(data.smtp(g["alias"]), g["display_name"], "group", company=company)
        for m in g["members"]:
            d.add_member(grp, out[m])
    return out


def permission_from_spec(spec: dict) -> FolderPermission:
    """A ``folder_permissions`` entry of ``tenant.json`` -> FolderPermission (a role name, or Custom flags)."""
    if spec["role"] != "Custom":
        return from_role(spec["role"])
    return FolderPermission(level="Custom", **spec["flags"])


def _grants(
    store: Store, con: sqlite3.Connection, t: dict, recips: dict[str, Recipient], boxes: Boxes
) -> None:
    for g in t["mailbox_grants"]:
        grant = Grant(
            bool(g.get("full_access")),
            bool(g.get("automapping")),
            bool(g.get("send_as")),
            bool(g.get("send_on_behalf")),
        )
        store.directory.set_grant(recips[g["mailbox"]], recips[g["user"]], grant)
    for p in t["folder_permissions"]:
        folder = boxes[p["mailbox"]][p["folder"]]
        grant_folder_permission(store, con, folder.id, recips[p["user"]].id, permission_from_spec(p))


def _inbox_subfolders(
    store: Store, con: sqlite3.Connection, t: dict, recips: dict[str, Recipient], boxes: Boxes
) -> Boxes:
    out: Boxes = {}
    for alias, names in t["inbox_folders"].items():
        inbox = boxes[alias]["inbox"]
        out[alias] = {}
        for name in names:
            folder = store.folders.create(con, recips[alias].id, inbox.id, name)
            store.folders.set_permissions(con, folder.id, default_permissions(folder.kind))
            out[alias][name] = folder
    return out


def _configuration(
    store: Store,
    con: sqlite3.Connection,
    now: float,
    t: dict,
    recips: dict[str, Recipient],
    boxes: Boxes,
    extra: Boxes,
) -> None:
    rng = random.Random(f"{SEED}-config")
    for alias, cats in t["categories"].items():
        store_category_list(store, con, boxes[alias]["calendar"], category_list_xml(cats, now, rng))
    for alias, specs in t["rules"].items():
        store_rules(store, con, recips[alias].id, specs, extra.get(alias, {}))


# Content --------------------------------------------------------------------------------------------
def _folder(boxes: Boxes, extra: Boxes, alias: str, name: str) -> Folder:
    if name in _WELL_KNOWN:
        return boxes[alias][_WELL_KNOWN[name]]
    return extra[alias][name]


def _insert_mail(store: Store, con: sqlite3.Connection, owner: Recipient, folder: Folder, mail: Mail) -> None:
    author = mail.author or owner
    row = store.items.insert(
        con,
        owner.id,
        folder.id,
        mail.element,
        created_by=author.id,
        modifier_name=author.display_name,
        received=mail.received,
        created=mail.received,
    )
    for name, content_type, content in mail.attachments:
        store.items.add_attachment(con, row.id, name, content_type, content)


def _mail(
    store: Store,
    con: sqlite3.Connection,
    now: float,
    recips: dict[str, Recipient],
    boxes: Boxes,
    extra: Boxes,
    people: People,
) -> dict[str, MailGenerator]:
    users = {a: r for a, r in recips.items() if r.kind == "user"}
    groups = {a: r for a, r in recips.items() if r.kind == "group"}
    jobs: list[tuple[str, dict]] = [(name, data.load(f"mail/{name}.json")) for name in MAIL_FILES]
    personal = data.load("mail/personal.json")
    jobs += [(alias, personal) for alias in personal["owners"]]
    generators = {}
    for alias, spec in jobs:
        owner = recips[alias]
        gen = MailGenerator(spec, owner, users, people, now, random.Random(f"{SEED}-mail-{alias}"), groups)
        generators[alias] = gen
        delivered = gen.inbox_mail()
        written = sorted(
            [*delivered, *gen.sent_mail(delivered, owner), *gen.drafts(owner)], key=lambda m: m.received
        )
        for mail in written:
            _insert_mail(store, con, owner, _folder(boxes, extra, alias, mail.folder), mail)
    return generators


def _calendars(
    store: Store, con: sqlite3.Connection, now: float, recips: dict[str, Recipient], boxes: Boxes
) -> None:
    gen = CalendarGenerator(recips, now, random.Random(f"{SEED}-calendar"))
    for b in gen.bookings(data.load("calendar.json")["events"]):
        owner = recips[b.mailbox]
        row = store.items.insert(
            con,
            owner.id,
            boxes[b.mailbox]["calendar"].id,
            b.element,
            created_by=b.created_by,
            modifier_name=b.modifier_name,
            received=b.created,
            created=b.created,
        )
        if b.modified:
            el = add_modified_occurrences(row.element_tree(), owner.id, row.id, b.modified)
            store.items.update(con, row, el, b.modifier_name, event=False)


def _delegate(t: dict, recips: dict[str, Recipient], alias: str) -> Recipient:
    """Who maintains a mailbox: its owner, or for a shared mailbox its first Full Access holder."""
    if recips[alias].kind == "user":
        return recips[alias]
    holders = [g["user"] for g in t["mailbox_grants"] if g["mailbox"] == alias and g.get("full_access")]
    return recips[holders[0]] if holders else recips[alias]


def _contacts(
    store: Store,
    con: sqlite3.Connection,
    now: float,
    t: dict,
    recips: dict[str, Recipient],
    boxes: Boxes,
    people: People,
) -> None:
    for alias, spec in t["contacts"].items():
        owner = recips[alias]
        author = _delegate(t, recips, alias)
        rng = random.Random(f"{SEED}-contacts-{alias}")
        folder = boxes[alias]["contacts"]
        photos = spec.get("photos", 0)
        for n, el in enumerate(contact_items(spec, people, rng)):
            created = int(now) - 86400 * (200 - n)
            row = store.items.insert(
                con,
                owner.id,
                folder.id,
                el,
                created_by=author.id,
                modifier_name=author.display_name,
                received=created,
                created=created,
            )
            if n < photos and row.element == "Contact":  # the first ``photos`` contacts have a picture
                store.items.add_attachment(con, row.id, PHOTO_NAME, "image/png", portrait_png(row.display_name or ""),
                                           is_contact_photo=True)


# Directory photos (GetUserPhoto) ----------------------------------------------------------------------
#: Recipients with a directory photo; everyone else (dave, the rooms, the other shared mailboxes) has none.
USER_PHOTOS = ("alice", "bob", "carol", "support")


def _user_photos(store: Store, con: sqlite3.Connection, recips: dict[str, Recipient]) -> None:
    for alias in USER_PHOTOS:
        if alias in recips:
            person = recips[alias]
            store.user_photos.set(con, person.id, portrait_png(person.display_name, DIRECTORY_PHOTO_SIZE))
