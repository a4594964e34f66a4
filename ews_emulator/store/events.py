"""Change events for notifications (Subscribe / GetStreamingEvents)."""

from __future__ import annotations

import sqlite3
import time


def record_event(con: sqlite3.Connection, mailbox_id: int, kind: str, folder_id: int | None,
                 item_id: int | None, *, old_folder_id: int | None = None, old_item_id: int | None = None,
                 is_folder: bool = False) -> None:
    """Append one event; readers poll ``events`` by ``seq`` (see ``ews_emulator/ops/notifications``)."""
    con.execute(
        "INSERT INTO events(mailbox_id, kind, folder_id, item_id, old_folder_id, old_item_id, is_folder, at)"
        " VALUES (?,?,?,?,?,?,?,?)",
        (mailbox_id, kind, folder_id, item_id, old_folder_id, old_item_id, int(is_folder), int(time.time())),
    )


def events_after(con: sqlite3.Connection, seq: int, mailbox_id: int, limit: int = 500) -> list[sqlite3.Row]:
    return con.execute(
        "SELECT * FROM events WHERE seq > ? AND mailbox_id = ? ORDER BY seq LIMIT ?", (seq, mailbox_id, limit)
    ).fetchall()


def last_seq(con: sqlite3.Connection) -> int:
    return int(con.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
