"""The emulator's mailbox store: SQLite tables for the directory, folders, items and rights."""

from __future__ import annotations

from pathlib import Path

from ews_emulator.store.db import Database
from ews_emulator.store.directory import Directory, Grant, Recipient
from ews_emulator.store.folders import Folder, FolderStore
from ews_emulator.store.items import ItemRow, ItemStore
from ews_emulator.store.user_photos import UserPhotos


class Store:
    """One tenant's data: the database and the table gateways over it."""

    def __init__(self, path: Path) -> None:
        self.db = Database(path)
        self.directory = Directory(self.db)
        self.folders = FolderStore(self.db)
        self.items = ItemStore(self.db)
        self.user_photos = UserPhotos(self.db)

    def is_empty(self) -> bool:
        return self.db.connection().execute("SELECT count(*) FROM recipients").fetchone()[0] == 0

    def close(self) -> None:
        self.db.close()


__all__ = ["Database", "Directory", "Folder", "FolderStore", "Grant", "ItemRow", "ItemStore", "Recipient", "Store"]
