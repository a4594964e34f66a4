"""Folders, their hierarchy, counts and permission entries."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ews_emulator.rights import FolderPermission
from ews_emulator.store.db import Database

_COLS = "id, mailbox_id, parent_id, well_known, display_name, folder_class, kind, is_hidden, change_num"


@dataclass(frozen=True)
class Folder:
    id: int
    mailbox_id: int
    parent_id: int | None
    well_known: str | None
    display_name: str
    folder_class: str | None
    kind: str  # Folder | CalendarFolder | ContactsFolder | TasksFolder | SearchFolder
    is_hidden: bool
    change_num: int

    @property
    def is_calendar(self) -> bool:
        return self.kind == "CalendarFolder"


class FolderStore:
    """Folder rows: lookup, hierarchy, counts, create/rename/move/delete and permissions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    def _row(row: sqlite3.Row) -> Folder:
        return Folder(row[0], row[1], row[2], row[3], row[4], row[5], row[6], bool(row[7]), row[8])

    def get(self, folder_id: int) -> Folder | None:
        row = self.db.connection().execute(f"SELECT {_COLS} FROM folders WHERE id = ?", (folder_id,)).fetchone()
        return self._row(row) if row else None

    def by_well_known(self, mailbox_id: int, name: str) -> Folder | None:
        row = self.db.connection().execute(
            f"SELECT {_COLS} FROM folders WHERE mailbox_id = ? AND well_known = ?", (mailbox_id, name)
        ).fetchone()
        return self._row(row) if row else None

    def children(self, folder_id: int) -> list[Folder]:
        rows = self.db.connection().execute(
            f"SELECT {_COLS} FROM folders WHERE parent_id = ? ORDER BY display_name COLLATE NOCASE", (folder_id,)
        ).fetchall()
        return [self._row(r) for r in rows]

    def child_named(self, parent_id: int, name: str) -> Folder | None:
        row = self.db.connection().execute(
            f"SELECT {_COLS} FROM folders WHERE parent_id = ? AND display_name = ? COLLATE NOCASE", (parent_id, name)
        ).fetchone()
        return self._row(row) if row else None

    def descendants(self, folder_id: int) -> list[Folder]:
        """Every folder below ``folder_id``, depth first, parents before children."""
        out: list[Folder] = []
        stack = list(reversed(self.children(folder_id)))
        while stack:
            f = stack.pop()
            out.append(f)
            stack.extend(reversed(self.children(f.id)))
        return out

    def ancestors(self, folder_id: int) -> list[Folder]:
        out: list[Folder] = []
        f = self.get(folder_id)
        while f is not None and f.parent_id is not None:
            f = self.get(f.parent_id)
            if f is not None:
                out.append(f)
        return out

    def all_in_mailbox(self, mailbox_id: int) -> list[Folder]:
        rows = self.db.connection().execute(f"SELECT {_COLS} FROM folders WHERE mailbox_id = ?", (mailbox_id,))
        return [self._row(r) for r in rows]

    def counts(self, folder_id: int) -> tuple[int, int, int]:
        """(TotalCount, UnreadCount, ChildFolderCount) of normal items."""
        con = self.db.connection()
        total, unread = con.execute(
            "SELECT count(*), coalesce(sum(is_read = 0), 0) FROM items WHERE folder_id = ? AND is_associated = 0",
            (folder_id,),
        ).fetchone()
        children = con.execute("SELECT count(*) FROM folders WHERE parent_id = ?", (folder_id,)).fetchone()[0]
        return int(total), int(unread), int(children)

    def size(self, folder_id: int) -> int:
        row = self.db.connection().execute("SELECT coalesce(sum(size), 0) FROM items WHERE folder_id = ?", (folder_id,))
        return int(row.fetchone()[0])

    # Writes (call inside db.tx()) ---------------------------------------------------------
    def create(self, con: sqlite3.Connection, mailbox_id: int, parent_id: int | None, name: str,
               folder_class: str | None = "IPF.Note", kind: str = "Folder", well_known: str | None = None,
               hidden: bool = False) -> Folder:
        change = self.db.next_change(con)
        cur = con.execute(
            "INSERT INTO folders(mailbox_id, parent_id, well_known, display_name, folder_class, kind, is_hidden,"
            " change_num, created_change) VALUES (?,?,?,?,?,?,?,?,?)",
            (mailbox_id, parent_id, well_known, name, folder_class, kind, int(hidden), change, change),
        )
        return self.get(cur.lastrowid)  # type: ignore[arg-type, return-value]

    def touch(self, con: sqlite3.Connection, folder_id: int) -> int:
        change = self.db.next_change(con)
        con.execute("UPDATE folders SET change_num = ? WHERE id = ?", (change, folder_id))
        return change

    def rename(self, con: sqlite3.Connection, folder_id: int, name: str) -> None:
        con.execute("UPDATE folders SET display_name = ? WHERE id = ?", (name, folder_id))
        self.touch(con, folder_id)

    def set_class(self, con: sqlite3.Connection, folder_id: int, folder_class: str) -> None:
        con.execute("UPDATE folders SET folder_class = ? WHERE id = ?", (folder_class, folder_id))
        self.touch(con, folder_id)

    def move(self, con: sqlite3.Connection, folder_id: int, new_parent_id: int) -> None:
        con.execute("UPDATE folders SET parent_id = ? WHERE id = ?", (new_parent_id, folder_id))
        self.touch(con, folder_id)

    def delete(self, con: sqlite3.Connection, folder: Folder) -> list[int]:
        """Hard-delete a folder, its subfolders and their items; leave tombstones for hierarchy sync."""
        doomed = [folder, *self.descendants(folder.id)]
        for f in reversed(doomed):
            change = self.db.next_change(con)
            con.execute("INSERT INTO tombstones(change_num, mailbox_id, dead_folder_id) VALUES (?,?,?)",
                        (change, f.mailbox_id, f.id))
            con.execute("DELETE FROM items WHERE folder_id = ?", (f.id,))
            con.execute("DELETE FROM user_configs WHERE folder_id = ?", (f.id,))
            con.execute("DELETE FROM permissions WHERE folder_id = ?", (f.id,))
            con.execute("DELETE FROM folders WHERE id = ?", (f.id,))
        return [f.id for f in doomed]

    # Permissions --------------------------------------------------------------------------
    def permissions(self, folder_id: int) -> dict[int | str, FolderPermission]:
        rows = self.db.connection().execute(
            "SELECT principal_id, special, level, can_create_items, can_create_subfolders, is_folder_owner,"
            " is_folder_visible, is_folder_contact, edit_items, delete_items, read_items"
            " FROM permissions WHERE folder_id = ?", (folder_id,)
        ).fetchall()
        out: dict[int | str, FolderPermission] = {}
        for r in rows:
            key = r[0] if r[0] is not None else r[1]
            out[key] = FolderPermission(r[2], bool(r[3]), bool(r[4]), bool(r[5]), bool(r[6]), bool(r[7]),
                                        r[8], r[9], r[10])
        return out

    def set_permissions(self, con: sqlite3.Connection, folder_id: int,
                        entries: dict[int | str, FolderPermission]) -> None:
        """Replace the folder's permission set (as UpdateFolder's SetFolderField PermissionSet does)."""
        con.execute("DELETE FROM permissions WHERE folder_id = ?", (folder_id,))
        for key, p in entries.items():
            principal, special = (key, None) if isinstance(key, int) else (None, key)
            con.execute(
                "INSERT INTO permissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (folder_id, principal, special, p.level, int(p.can_create_items), int(p.can_create_subfolders),
                 int(p.is_folder_owner), int(p.is_folder_visible), int(p.is_folder_contact), p.edit_items,
                 p.delete_items, p.read_items),
            )
        self.touch(con, folder_id)
