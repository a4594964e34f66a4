"""Directory photos (what Exchange keeps per user for GetUserPhoto): one picture per recipient.

The table is created here when missing, so store files made before it existed gain it when they are opened
(the same additive upgrade :class:`~ews_emulator.store.db.Database` does for new columns).
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from ews_emulator.store.db import Database

_DDL = """
CREATE TABLE IF NOT EXISTS user_photos (
    recipient_id INTEGER PRIMARY KEY REFERENCES recipients(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    data BLOB NOT NULL,
    etag TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class UserPhoto:
    """A recipient's photo; ``etag`` changes whenever the picture does."""

    data: bytes
    content_type: str
    etag: str


class UserPhotos:
    """Read and write access to the ``user_photos`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db
        with db.lock:
            db.connection().execute(_DDL)

    def set(self, con: sqlite3.Connection, recipient_id: int, data: bytes, content_type: str = "image/png") -> None:
        """Store (or replace) a recipient's photo inside the caller's transaction ``con``."""
        etag = hashlib.sha256(data).hexdigest()[:32]
        con.execute("INSERT OR REPLACE INTO user_photos(recipient_id, content_type, data, etag) VALUES (?,?,?,?)",
                    (recipient_id, content_type, data, etag))

    def get(self, recipient_id: int) -> UserPhoto | None:
        """The recipient's photo, or None when the directory holds none."""
        row = self.db.connection().execute(
            "SELECT data, content_type, etag FROM user_photos WHERE recipient_id = ?", (recipient_id,)).fetchone()
        return UserPhoto(bytes(row[0]), row[1], row[2]) if row else None
