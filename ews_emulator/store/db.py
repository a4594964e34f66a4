"""SQLite database: schema, connections and transactions.

One connection per thread (SQLite connections must not be shared across threads) and
one process-wide lock around write transactions, so a request sees a consistent store
and the change counter that drives ChangeKeys, sync states and notifications is strictly
monotonic.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- Directory: users, shared/room/equipment mailboxes and distribution groups.
CREATE TABLE IF NOT EXISTS recipients (
    id INTEGER PRIMARY KEY,
    smtp TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL,              -- user | shared | room | group
    password_hash TEXT,              -- pbkdf2 for users; NULL: cannot log on
    title TEXT, department TEXT, office TEXT, phone TEXT, company TEXT,
    has_mailbox INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS group_members (
    group_id INTEGER NOT NULL REFERENCES recipients(id),
    member_id INTEGER NOT NULL REFERENCES recipients(id),
    PRIMARY KEY (group_id, member_id)
);
CREATE TABLE IF NOT EXISTS room_lists (
    list_id INTEGER NOT NULL REFERENCES recipients(id),
    room_id INTEGER NOT NULL REFERENCES recipients(id),
    PRIMARY KEY (list_id, room_id)
);
-- Mailbox-level grants (Add-MailboxPermission / Add-RecipientPermission / GrantSendOnBehalfTo).
CREATE TABLE IF NOT EXISTS grants (
    mailbox_id INTEGER NOT NULL REFERENCES recipients(id),
    user_id INTEGER NOT NULL REFERENCES recipients(id),
    full_access INTEGER NOT NULL DEFAULT 0,
    automapping INTEGER NOT NULL DEFAULT 0,
    send_as INTEGER NOT NULL DEFAULT 0,
    send_on_behalf INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox_id, user_id)
);

CREATE TABLE IF NOT EXISTS folders (
    id INTEGER PRIMARY KEY,
    mailbox_id INTEGER NOT NULL REFERENCES recipients(id),
    parent_id INTEGER REFERENCES folders(id),
    well_known TEXT,                 -- DistinguishedFolderIdNameType value or NULL
    display_name TEXT NOT NULL,
    folder_class TEXT,               -- IPF.Note, IPF.Appointment, IPF.Contact, IPF.Task, ...
    kind TEXT NOT NULL DEFAULT 'Folder', -- Folder | CalendarFolder | ContactsFolder | TasksFolder | SearchFolder
    is_hidden INTEGER NOT NULL DEFAULT 0,
    change_num INTEGER NOT NULL,
    created_change INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS folders_wk ON folders(mailbox_id, well_known) WHERE well_known IS NOT NULL;
CREATE INDEX IF NOT EXISTS folders_parent ON folders(parent_id);
CREATE INDEX IF NOT EXISTS folders_mailbox_change ON folders(mailbox_id, change_num);

-- Folder permissions. principal: a recipient id, or NULL with special = 'Default' | 'Anonymous'.
CREATE TABLE IF NOT EXISTS permissions (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    principal_id INTEGER REFERENCES recipients(id),
    special TEXT,
    level TEXT NOT NULL,             -- PermissionLevel or CalendarPermissionLevel name, 'Custom' for flags
    can_create_items INTEGER NOT NULL,
    can_create_subfolders INTEGER NOT NULL,
    is_folder_owner INTEGER NOT NULL,
    is_folder_visible INTEGER NOT NULL,
    is_folder_contact INTEGER NOT NULL,
    edit_items TEXT NOT NULL,        -- None | Owned | All
    delete_items TEXT NOT NULL,      -- None | Owned | All
    read_items TEXT NOT NULL         -- None | TimeOnly | TimeAndSubjectAndLocation | FullDetails
);
CREATE INDEX IF NOT EXISTS permissions_folder ON permissions(folder_id);

CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reuse an id: a dead ItemId must stay dead
    mailbox_id INTEGER NOT NULL REFERENCES recipients(id),
    folder_id INTEGER NOT NULL REFERENCES folders(id),
    item_class TEXT NOT NULL,
    element TEXT NOT NULL,           -- Message | CalendarItem | Contact | DistributionList | MeetingRequest | ...
    subject TEXT NOT NULL DEFAULT '',
    received INTEGER NOT NULL,       -- unix seconds (DateTimeReceived)
    sent INTEGER,
    created INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    is_read INTEGER NOT NULL DEFAULT 1,
    is_draft INTEGER NOT NULL DEFAULT 0,
    has_attachments INTEGER NOT NULL DEFAULT 0,
    importance TEXT NOT NULL DEFAULT 'Normal',
    categories TEXT NOT NULL DEFAULT '[]',   -- JSON list of strings
    from_addr TEXT, from_name TEXT,
    sender_addr TEXT,
    display_to TEXT NOT NULL DEFAULT '',
    body_text TEXT NOT NULL DEFAULT '',      -- plain text used by Contains restrictions on body
    start_ts INTEGER, end_ts INTEGER,        -- calendar items
    recurring INTEGER NOT NULL DEFAULT 0,
    display_name TEXT,                       -- contacts and groups (FileAs / DisplayName)
    created_by INTEGER REFERENCES recipients(id),  -- owner for Owned edit/delete rights
    last_modified_name TEXT,
    change_num INTEGER NOT NULL,
    is_associated INTEGER NOT NULL DEFAULT 0,
    xml BLOB NOT NULL                         -- the item element (t:Message, ...) without server-computed fields
);
CREATE INDEX IF NOT EXISTS items_folder_received ON items(folder_id, received DESC, id DESC);
CREATE INDEX IF NOT EXISTS items_folder_change ON items(folder_id, change_num);
CREATE INDEX IF NOT EXISTS items_folder_start ON items(folder_id, start_ts);
CREATE INDEX IF NOT EXISTS items_folder_read ON items(folder_id, is_read);
-- FindItem pages and counts (TotalItemsInView, folder counts) filter on is_associated: keep them index-only.
CREATE INDEX IF NOT EXISTS items_folder_assoc_received ON items(folder_id, is_associated, received DESC, id DESC);
CREATE INDEX IF NOT EXISTS items_folder_assoc_read ON items(folder_id, is_associated, is_read, received DESC, id DESC);

CREATE TABLE IF NOT EXISTS attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,  -- a deleted AttachmentId must stay dead
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    content_id TEXT,
    is_inline INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    content BLOB,                     -- file attachments
    item_xml BLOB,                    -- item attachments
    modified INTEGER NOT NULL,
    is_contact_photo INTEGER NOT NULL DEFAULT 0  -- a contact's picture (FileAttachment IsContactPhoto)
);
CREATE INDEX IF NOT EXISTS attachments_item ON attachments(item_id);

-- Change number of each item's last change other than its read flag (SyncFolderItems ReadFlagChange).
CREATE TABLE IF NOT EXISTS item_content_changes (
    item_id INTEGER PRIMARY KEY,
    change_num INTEGER NOT NULL
);

-- Deletions and moves out of a folder, for SyncFolderItems / SyncFolderHierarchy.
CREATE TABLE IF NOT EXISTS tombstones (
    change_num INTEGER PRIMARY KEY,
    mailbox_id INTEGER NOT NULL,
    folder_id INTEGER,                -- the folder the item left (NULL for folder tombstones)
    item_id INTEGER,
    dead_folder_id INTEGER            -- a deleted folder
);
CREATE INDEX IF NOT EXISTS tombstones_folder ON tombstones(folder_id, change_num);

-- Notification events (Subscribe / GetStreamingEvents).
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox_id INTEGER NOT NULL,
    kind TEXT NOT NULL,               -- NewMailEvent | CreatedEvent | DeletedEvent | ModifiedEvent | MovedEvent | CopiedEvent
    folder_id INTEGER,                -- parent folder of the item (or the folder itself for folder events)
    item_id INTEGER,
    old_folder_id INTEGER,
    old_item_id INTEGER,
    is_folder INTEGER NOT NULL DEFAULT 0,
    at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS user_configs (
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    dictionary BLOB, xml_data BLOB, binary_data BLOB,
    change_num INTEGER NOT NULL,
    PRIMARY KEY (folder_id, name)
);

CREATE TABLE IF NOT EXISTS rules (
    mailbox_id INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    priority INTEGER NOT NULL,
    enabled INTEGER NOT NULL,
    xml BLOB NOT NULL,                -- the t:Rule element
    PRIMARY KEY (mailbox_id, rule_id)
);

CREATE TABLE IF NOT EXISTS mailbox_settings (
    mailbox_id INTEGER NOT NULL,
    key TEXT NOT NULL,                -- 'oof', 'outlook_rule_blob', ...
    value BLOB,
    PRIMARY KEY (mailbox_id, key)
);

-- Mail addressed outside the tenant: accepted and recorded, never sent.
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    sender TEXT NOT NULL,
    from_addr TEXT NOT NULL,
    recipients TEXT NOT NULL,         -- JSON list
    subject TEXT NOT NULL,
    xml BLOB NOT NULL,
    at INTEGER NOT NULL
);
"""


class Database:
    """The store's SQLite file, with a connection per thread and a process-wide write lock."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self.lock = threading.RLock()
        with self.lock:
            self.connection().executescript(DDL)  # executescript commits on its own
            self._add_missing_columns()
        with self.tx() as con:
            con.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('change_num', '1'), ('schema', ?)",
                (str(SCHEMA_VERSION),),
            )

    def _add_missing_columns(self) -> None:
        """Columns added after a store file was created (additive, so older files keep working)."""
        con = self.connection()
        columns = {r[1] for r in con.execute("PRAGMA table_info(attachments)")}
        if "is_contact_photo" not in columns:
            con.execute("ALTER TABLE attachments ADD COLUMN is_contact_photo INTEGER NOT NULL DEFAULT 0")

    def connection(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True, timeout=30)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA cache_size=-65536")
            self._local.con = con
        return con

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """A write transaction under the process-wide lock (re-entrant: nested calls join the outer one)."""
        with self.lock:
            con = self.connection()
            depth = getattr(self._local, "depth", 0)
            if depth == 0:
                con.execute("BEGIN IMMEDIATE")
            self._local.depth = depth + 1
            try:
                yield con
            except BaseException:
                self._local.depth = depth
                if depth == 0:
                    con.execute("ROLLBACK")
                raise
            self._local.depth = depth
            if depth == 0:
                con.execute("COMMIT")

    def next_change(self, con: sqlite3.Connection) -> int:
        """Allocate the next value of the store-wide change counter (inside a transaction)."""
        row = con.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'change_num' RETURNING value"
        ).fetchone()
        return int(row[0])

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
