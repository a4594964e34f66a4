"""Items: one row per item with the columns FindItem sorts and filters on, and the item's XML.

The item element (``t:Message``, ``t:CalendarItem``, ``t:Contact``, ...) is stored as the
client sent it, minus the properties the server computes (ids, sizes, times, rights); the
columns are derived from it on every write, so they can never disagree with it. Server-
computed properties are added when an item is written out (``ews_emulator/ops/itemxml``).

A move gives the item a new id, as Exchange does: the old id then names nothing.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from ews_emulator.soap import T_NS
from ews_emulator.store.db import Database
from ews_emulator.store.events import record_event

_T = f"{{{T_NS}}}"
_ROW_COLS = (
    "id, mailbox_id, folder_id, item_class, element, subject, received, sent, created, modified, size, is_read,"
    " is_draft, has_attachments, importance, categories, from_addr, from_name, sender_addr, display_to, start_ts,"
    " end_ts, recurring, display_name, created_by, last_modified_name, change_num, is_associated, xml"
)
# Elements the server owns: dropped from what a client sends, added back on output.
SERVER_COMPUTED = frozenset({
    "ItemId", "ParentFolderId", "DateTimeReceived", "Size", "DateTimeCreated", "HasAttachments", "Attachments",
    "EffectiveRights", "LastModifiedName", "LastModifiedTime", "DisplayTo", "DisplayCc", "ResponseObjects",
    "IsSubmitted", "IsUnmodified", "IsFromMe", "IsResend", "MimeContent", "ConversationId", "UniqueBody",
    "InstanceKey", "IsAssociated", "WebClientReadFormQueryString", "WebClientEditFormQueryString",
})
_TAG_RE = re.compile(r"<[^>]+>")


@dataclass
class ItemRow:
    id: int
    mailbox_id: int
    folder_id: int
    item_class: str
    element: str
    subject: str
    received: int
    sent: int | None
    created: int
    modified: int
    size: int
    is_read: bool
    is_draft: bool
    has_attachments: bool
    importance: str
    categories: list[str]
    from_addr: str | None
    from_name: str | None
    sender_addr: str | None
    display_to: str
    start_ts: int | None
    end_ts: int | None
    recurring: bool
    display_name: str | None
    created_by: int | None
    last_modified_name: str | None
    change_num: int
    is_associated: bool
    xml: bytes = field(repr=False)

    def element_tree(self) -> etree._Element:
        """A fresh, mutable copy of the stored item element."""
        return etree.fromstring(self.xml)


def _row(r: sqlite3.Row) -> ItemRow:
    vals = list(r)
    vals[11], vals[12], vals[13] = bool(vals[11]), bool(vals[12]), bool(vals[13])
    vals[15] = json.loads(vals[15])
    vals[22], vals[27] = bool(vals[22]), bool(vals[27])
    return ItemRow(*vals)


def parse_datetime(text: str | None) -> int | None:
    """xs:dateTime -> unix seconds (naive values are taken as UTC, as Exchange does without a TimeZoneContext)."""
    if not text:
        return None
    value = text.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def _text(el: etree._Element, path: str) -> str | None:
    found = el.find(path)
    return found.text if found is not None else None


def derive_columns(el: etree._Element) -> dict[str, object]:
    """The searchable columns of an item element."""
    local = etree.QName(el).localname
    body = el.find(f"{_T}Body")
    body_text = ""
    if body is not None and body.text:
        body_text = body.text if body.get("BodyType") == "Text" else _TAG_RE.sub(" ", body.text)
    to_names = [(m.findtext(f"{_T}Name") or m.findtext(f"{_T}EmailAddress") or "")
                for m in el.iterfind(f"{_T}ToRecipients/{_T}Mailbox")]
    is_read = _text(el, f"{_T}IsRead")
    return {
        "item_class": _text(el, f"{_T}ItemClass") or _default_class(local),
        "element": local,
        "subject": _text(el, f"{_T}Subject") or "",
        "sent": parse_datetime(_text(el, f"{_T}DateTimeSent")),
        "is_read": is_read in ("true", "1") if is_read is not None else True,
        "is_draft": _text(el, f"{_T}IsDraft") in ("true", "1"),
        "importance": _text(el, f"{_T}Importance") or "Normal",
        "categories": json.dumps([c.text or "" for c in el.iterfind(f"{_T}Categories/{_T}String")]),
        "from_addr": (_text(el, f"{_T}From/{_T}Mailbox/{_T}EmailAddress") or "").lower() or None,
        "from_name": _text(el, f"{_T}From/{_T}Mailbox/{_T}Name"),
        "sender_addr": (_text(el, f"{_T}Sender/{_T}Mailbox/{_T}EmailAddress") or "").lower() or None,
        "display_to": "; ".join(n for n in to_names if n),
        "body_text": body_text[:200_000],
        "start_ts": parse_datetime(_text(el, f"{_T}Start")),
        "end_ts": parse_datetime(_text(el, f"{_T}End")),
        "recurring": el.find(f"{_T}Recurrence") is not None,
        "display_name": _text(el, f"{_T}DisplayName") or _text(el, f"{_T}FileAs"),
    }


def _default_class(local: str) -> str:
    return {"CalendarItem": "IPM.Appointment", "Contact": "IPM.Contact", "DistributionList": "IPM.DistList",
            "Task": "IPM.Task", "MeetingRequest": "IPM.Schedule.Meeting.Request"}.get(local, "IPM.Note")


def _without_read_flag(xml: bytes) -> bytes:
    el = etree.fromstring(xml)
    for child in el.findall(f"{_T}IsRead"):
        el.remove(child)
    return etree.tostring(el)


def strip_server_fields(el: etree._Element) -> etree._Element:
    for child in list(el):
        if etree.QName(child).localname in SERVER_COMPUTED:
            el.remove(child)
    return el


class ItemStore:
    """Item rows and attachments. Writes take the open transaction's connection."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, item_id: int) -> ItemRow | None:
        row = self.db.connection().execute(f"SELECT {_ROW_COLS} FROM items WHERE id = ?", (item_id,)).fetchone()
        return _row(row) if row else None

    def select(self, where: str, params: Sequence[object] = (), order: str = "received DESC, id DESC",
               limit: int | None = None, offset: int = 0) -> list[ItemRow]:
        sql = f"SELECT {_ROW_COLS} FROM items WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        return [_row(r) for r in self.db.connection().execute(sql, tuple(params))]

    def count(self, where: str, params: Sequence[object] = ()) -> int:
        return int(self.db.connection().execute(f"SELECT count(*) FROM items WHERE {where}", tuple(params))
                   .fetchone()[0])

    # Writes -----------------------------------------------------------------------------
    def insert(self, con: sqlite3.Connection, mailbox_id: int, folder_id: int, el: etree._Element, *,
               created_by: int | None, modifier_name: str | None, received: int | None = None,
               created: int | None = None, is_associated: bool = False, new_mail: bool = False) -> ItemRow:
        """Store a new item; records CreatedEvent (and NewMailEvent for delivered mail)."""
        strip_server_fields(el)
        now = int(time.time())
        cols = derive_columns(el)
        xml = etree.tostring(el)
        change = self.db.next_change(con)
        cur = con.execute(
            "INSERT INTO items(mailbox_id, folder_id, received, created, modified, size, created_by,"
            " last_modified_name, change_num, is_associated, xml, has_attachments, " + ", ".join(cols) + ")"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,0," + ",".join("?" * len(cols)) + ")",
            (mailbox_id, folder_id, received or now, created or received or now, received or now, len(xml), created_by,
             modifier_name, change, int(is_associated), xml, *cols.values()),
        )
        item_id = int(cur.lastrowid)  # type: ignore[arg-type]
        record_event(con, mailbox_id, "CreatedEvent", folder_id, item_id)
        if new_mail:
            record_event(con, mailbox_id, "NewMailEvent", folder_id, item_id)
        return self.get(item_id)  # type: ignore[return-value]

    def update(self, con: sqlite3.Connection, row: ItemRow, el: etree._Element, modifier_name: str | None,
               event: bool = True) -> ItemRow:
        """Replace an item's element; new ChangeKey, LastModified*, ModifiedEvent."""
        strip_server_fields(el)
        cols = derive_columns(el)
        xml = etree.tostring(el)
        change = self.db.next_change(con)
        size = len(xml) + self._attachment_bytes(con, row.id)
        if row.is_read != cols["is_read"] and _without_read_flag(row.xml) == _without_read_flag(xml):
            # Only the read flag changed: SyncFolderItems reports a ReadFlagChange, not an Update.
            con.execute("INSERT OR IGNORE INTO item_content_changes(item_id, change_num) VALUES (?, ?)",
                        (row.id, row.change_num))
        else:
            con.execute("INSERT OR REPLACE INTO item_content_changes(item_id, change_num) VALUES (?, ?)",
                        (row.id, change))
        con.execute(
            "UPDATE items SET xml = ?, size = ?, modified = ?, last_modified_name = ?, change_num = ?, "
            + ", ".join(f"{k} = ?" for k in cols) + " WHERE id = ?",
            (xml, size, int(time.time()), modifier_name, change, *cols.values(), row.id),
        )
        if event:
            record_event(con, row.mailbox_id, "ModifiedEvent", row.folder_id, row.id)
        return self.get(row.id)  # type: ignore[return-value]

    def touch(self, con: sqlite3.Connection, row: ItemRow, modifier_name: str | None) -> ItemRow:
        """Bump the change number (attachments added or removed)."""
        return self.update(con, row, row.element_tree(), modifier_name)

    def move(self, con: sqlite3.Connection, row: ItemRow, folder_id: int, mailbox_id: int | None = None) -> ItemRow:
        """Move to another folder (possibly of another mailbox). The item gets a new id."""
        new = self._clone(con, row, folder_id, mailbox_id or row.mailbox_id)
        self._delete_row(con, row, event=False)
        record_event(con, new.mailbox_id, "MovedEvent", folder_id, new.id, old_folder_id=row.folder_id,
                     old_item_id=row.id)
        return new

    def copy(self, con: sqlite3.Connection, row: ItemRow, folder_id: int, mailbox_id: int | None = None,
             created_by: int | None = None) -> ItemRow:
        """Copy to a folder (new id); ``created_by``: the copy's owner for Owned rights (default: the original's)."""
        new = self._clone(con, row, folder_id, mailbox_id or row.mailbox_id)
        if created_by is not None:
            con.execute("UPDATE items SET created_by = ? WHERE id = ?", (created_by, new.id))
            new = self.get(new.id)  # type: ignore[assignment]
        record_event(con, new.mailbox_id, "CopiedEvent", folder_id, new.id, old_folder_id=row.folder_id,
                     old_item_id=row.id)
        return new

    def delete(self, con: sqlite3.Connection, row: ItemRow) -> None:
        self._delete_row(con, row, event=True)

    def _clone(self, con: sqlite3.Connection, row: ItemRow, folder_id: int, mailbox_id: int) -> ItemRow:
        change = self.db.next_change(con)
        cur = con.execute(
            "INSERT INTO items(mailbox_id, folder_id, item_class, element, subject, received, sent, created, modified,"
            " size, is_read, is_draft, has_attachments, importance, categories, from_addr, from_name, sender_addr,"
            " display_to, body_text, start_ts, end_ts, recurring, display_name, created_by, last_modified_name,"
            " change_num, is_associated, xml)"
            " SELECT ?, ?, item_class, element, subject, received, sent, created, modified, size, is_read, is_draft,"
            " has_attachments, importance, categories, from_addr, from_name, sender_addr, display_to, body_text,"
            " start_ts, end_ts, recurring, display_name, created_by, last_modified_name, ?, is_associated, xml"
            " FROM items WHERE id = ?",
            (mailbox_id, folder_id, change, row.id),
        )
        new_id = int(cur.lastrowid)  # type: ignore[arg-type]
        con.execute(
            "INSERT INTO attachments(item_id, name, content_type, content_id, is_inline, size, content, item_xml,"
            " modified, is_contact_photo) SELECT ?, name, content_type, content_id, is_inline, size, content,"
            " item_xml, modified, is_contact_photo FROM attachments WHERE item_id = ? ORDER BY id", (new_id, row.id),
        )
        return self.get(new_id)  # type: ignore[return-value]

    def _delete_row(self, con: sqlite3.Connection, row: ItemRow, event: bool) -> None:
        change = self.db.next_change(con)
        con.execute("INSERT INTO tombstones(change_num, mailbox_id, folder_id, item_id) VALUES (?,?,?,?)",
                    (change, row.mailbox_id, row.folder_id, row.id))
        con.execute("DELETE FROM items WHERE id = ?", (row.id,))
        con.execute("DELETE FROM item_content_changes WHERE item_id = ?", (row.id,))
        if event:
            record_event(con, row.mailbox_id, "DeletedEvent", row.folder_id, row.id)

    # Attachments ------------------------------------------------------------------------
    def attachments(self, item_id: int) -> list[sqlite3.Row]:
        return self.db.connection().execute(
            "SELECT id, item_id, name, content_type, content_id, is_inline, size, modified, is_contact_photo,"
            " item_xml IS NOT NULL AS is_item FROM attachments WHERE item_id = ? ORDER BY id", (item_id,)
        ).fetchall()

    def attachment(self, attachment_id: int) -> sqlite3.Row | None:
        return self.db.connection().execute("SELECT * FROM attachments WHERE id = ?", (attachment_id,)).fetchone()

    def add_attachment(self, con: sqlite3.Connection, item_id: int, name: str, content_type: str,
                       content: bytes | None = None, item_xml: bytes | None = None, content_id: str | None = None,
                       is_inline: bool = False, is_contact_photo: bool = False) -> int:
        size = len(content or item_xml or b"")
        cur = con.execute(
            "INSERT INTO attachments(item_id, name, content_type, content_id, is_inline, size, content, item_xml,"
            " modified, is_contact_photo) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (item_id, name, content_type, content_id, int(is_inline), size, content, item_xml, int(time.time()),
             int(is_contact_photo)),
        )
        self._refresh_attachment_flag(con, item_id)
        return int(cur.lastrowid)  # type: ignore[arg-type]

    def delete_attachment(self, con: sqlite3.Connection, attachment_id: int) -> None:
        row = con.execute("SELECT item_id FROM attachments WHERE id = ?", (attachment_id,)).fetchone()
        con.execute("DELETE FROM attachments WHERE id = ?", (attachment_id,))
        if row:
            self._refresh_attachment_flag(con, row[0])

    def _refresh_attachment_flag(self, con: sqlite3.Connection, item_id: int) -> None:
        con.execute(
            "UPDATE items SET has_attachments = EXISTS(SELECT 1 FROM attachments a WHERE a.item_id = items.id"
            " AND a.is_inline = 0), size = length(xml) + (SELECT coalesce(sum(size), 0) FROM attachments a"
            " WHERE a.item_id = items.id) WHERE id = ?", (item_id,),
        )

    def _attachment_bytes(self, con: sqlite3.Connection, item_id: int) -> int:
        return int(con.execute("SELECT coalesce(sum(size), 0) FROM attachments WHERE item_id = ?", (item_id,))
                   .fetchone()[0])

    def ids_in(self, folder_ids: Iterable[int]) -> list[int]:
        ids = list(folder_ids)
        if not ids:
            return []
        q = ",".join("?" * len(ids))
        return [r[0] for r in self.db.connection().execute(f"SELECT id FROM items WHERE folder_id IN ({q})", ids)]
