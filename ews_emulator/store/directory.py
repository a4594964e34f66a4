"""The tenant directory: recipients, groups, room lists and mailbox-level grants."""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass

from ews_emulator.store.db import Database

_COLUMNS = "id, smtp, display_name, kind, title, department, office, phone, company, has_mailbox"


@dataclass(frozen=True)
class Recipient:
    id: int
    smtp: str
    display_name: str
    kind: str  # user | shared | room | group
    title: str | None = None
    department: str | None = None
    office: str | None = None
    phone: str | None = None
    company: str | None = None
    has_mailbox: bool = True

    @property
    def can_log_on(self) -> bool:
        return self.kind == "user"

    @property
    def mailbox_type(self) -> str:
        """``t:MailboxTypeType`` as ResolveNames reports it."""
        return {"user": "Mailbox", "shared": "Mailbox", "room": "Mailbox", "group": "PublicDL"}[self.kind]


@dataclass(frozen=True)
class Grant:
    """Mailbox-level rights of one user on one mailbox."""

    full_access: bool = False
    automapping: bool = False
    send_as: bool = False
    send_on_behalf: bool = False


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 20_000)
    return f"pbkdf2${salt.hex()}${digest.hex()}"


def _verify(password: str, stored: str) -> bool:
    _, salt, digest = stored.split("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)).split("$")[2], digest)


class Directory:
    """Read and write access to the directory tables."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[str, Recipient] = {}

    def _row(self, row) -> Recipient:
        return Recipient(**dict(zip(row.keys(), row, strict=True)) | {"has_mailbox": bool(row["has_mailbox"])})

    def add(self, smtp: str, display_name: str, kind: str, password: str | None = None, **details: str) -> Recipient:
        with self.db.tx() as con:
            cur = con.execute(
                "INSERT INTO recipients(smtp, display_name, kind, password_hash, title, department, office, phone,"
                " company, has_mailbox) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (smtp.lower(), display_name, kind, hash_password(password) if password else None,
                 details.get("title"), details.get("department"), details.get("office"), details.get("phone"),
                 details.get("company"), int(kind != "group")),
            )
            return self.by_id(cur.lastrowid)  # type: ignore[return-value]

    def by_smtp(self, smtp: str | None) -> Recipient | None:
        if not smtp:
            return None
        key = smtp.strip().lower()
        if key.startswith("smtp:"):
            key = key[5:]
        hit = self._cache.get(key)
        if hit is None:
            row = self.db.connection().execute(f"SELECT {_COLUMNS} FROM recipients WHERE smtp = ?", (key,)).fetchone()
            if row is None:
                return None
            hit = self._cache[key] = self._row(row)
        return hit

    def by_id(self, rid: int | None) -> Recipient | None:
        if rid is None:
            return None
        row = self.db.connection().execute(f"SELECT {_COLUMNS} FROM recipients WHERE id = ?", (rid,)).fetchone()
        return self._row(row) if row else None

    def all(self, kind: str | None = None) -> list[Recipient]:
        sql = f"SELECT {_COLUMNS} FROM recipients"
        rows = self.db.connection().execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY display_name",
                                            (kind,) if kind else ()).fetchall()
        return [self._row(r) for r in rows]

    def check_password(self, smtp: str, password: str) -> Recipient | None:
        """The user, if ``password`` is right and the recipient may log on at all."""
        rec = self.by_smtp(smtp)
        if rec is None or not rec.can_log_on:
            return None
        row = self.db.connection().execute("SELECT password_hash FROM recipients WHERE id = ?", (rec.id,)).fetchone()
        if not row or not row[0] or not _verify(password, row[0]):
            return None
        return rec

    def search(self, text: str, limit: int = 100) -> list[Recipient]:
        """Ambiguous-name resolution: prefix of the address, the display name or any word of it."""
        needle = text.strip().lower()
        if needle.startswith("smtp:"):
            needle = needle[5:]
        rows = self.db.connection().execute(
            f"SELECT {_COLUMNS} FROM recipients WHERE smtp LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\'"
            " OR lower(display_name) LIKE ? ESCAPE '\\' ORDER BY display_name LIMIT ?",
            (_like(needle) + "%", _like(needle) + "%", "% " + _like(needle) + "%", limit),
        ).fetchall()
        return [self._row(r) for r in rows]

    # Groups and rooms -------------------------------------------------------------------
    def add_member(self, group: Recipient, member: Recipient) -> None:
        with self.db.tx() as con:
            con.execute("INSERT OR IGNORE INTO group_members VALUES (?, ?)", (group.id, member.id))

    def members(self, group_id: int) -> list[Recipient]:
        rows = self.db.connection().execute(
            f"SELECT {', '.join('r.' + c.strip() for c in _COLUMNS.split(','))} FROM group_members g"
            " JOIN recipients r ON r.id = g.member_id WHERE g.group_id = ? ORDER BY r.display_name", (group_id,)
        ).fetchall()
        return [self._row(r) for r in rows]

    def groups_of(self, member_id: int) -> frozenset[int]:
        rows = self.db.connection().execute("SELECT group_id FROM group_members WHERE member_id = ?", (member_id,))
        return frozenset(r[0] for r in rows)

    def add_room(self, room_list: Recipient, room: Recipient) -> None:
        with self.db.tx() as con:
            con.execute("INSERT OR IGNORE INTO room_lists VALUES (?, ?)", (room_list.id, room.id))

    def room_lists(self) -> list[Recipient]:
        rows = self.db.connection().execute("SELECT DISTINCT list_id FROM room_lists").fetchall()
        return sorted((self.by_id(r[0]) for r in rows), key=lambda r: r.display_name)  # type: ignore[union-attr, return-value]

    def rooms(self, list_id: int) -> list[Recipient]:
        rows = self.db.connection().execute("SELECT room_id FROM room_lists WHERE list_id = ?", (list_id,)).fetchall()
        return sorted((self.by_id(r[0]) for r in rows), key=lambda r: r.display_name)  # type: ignore[union-attr, return-value]

    # Mailbox-level grants ---------------------------------------------------------------
    def set_grant(self, mailbox: Recipient, user: Recipient, grant: Grant) -> None:
        with self.db.tx() as con:
            con.execute(
                "INSERT OR REPLACE INTO grants VALUES (?,?,?,?,?,?)",
                (mailbox.id, user.id, int(grant.full_access), int(grant.automapping), int(grant.send_as),
                 int(grant.send_on_behalf)),
            )

    def grant(self, mailbox_id: int, user_id: int) -> Grant:
        row = self.db.connection().execute(
            "SELECT full_access, automapping, send_as, send_on_behalf FROM grants WHERE mailbox_id=? AND user_id=?",
            (mailbox_id, user_id),
        ).fetchone()
        return Grant(*(bool(v) for v in row)) if row else Grant()

    def grants_for_user(self, user_id: int) -> list[tuple[Recipient, Grant]]:
        rows = self.db.connection().execute(
            "SELECT mailbox_id, full_access, automapping, send_as, send_on_behalf FROM grants WHERE user_id = ?",
            (user_id,),
        ).fetchall()
        return [(self.by_id(r[0]), Grant(*(bool(v) for v in r[1:]))) for r in rows]  # type: ignore[misc]

    def send_on_behalf_holders(self, mailbox_id: int) -> list[Recipient]:
        rows = self.db.connection().execute(
            "SELECT user_id FROM grants WHERE mailbox_id = ? AND send_on_behalf = 1", (mailbox_id,)
        ).fetchall()
        return [self.by_id(r[0]) for r in rows]  # type: ignore[misc]


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
