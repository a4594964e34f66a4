"""Folders of a mailbox as the sidebar shows them."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from app.domain.rights import FolderRights


class FolderKind(enum.Enum):
    """What a folder holds (from its EWS element / FolderClass)."""

    MAIL = "mail"
    CALENDAR = "calendar"
    CONTACTS = "contacts"
    TASKS = "tasks"
    OTHER = "other"


# Well-known folders first, in this order (the rest sorted by name), as Outlook lists them.
WELL_KNOWN_ORDER = ("inbox", "drafts", "sentitems", "deleteditems", "junkemail", "outbox", "archive",
                    "calendar", "contacts", "tasks", "notes")


@dataclass(frozen=True)
class FolderRef:
    """Enough to address a folder in EWS: its id, or a well-known name in a mailbox.

    Attributes:
        mailbox: Primary SMTP address of the mailbox that holds the folder.
        folder_id: The EWS FolderId (opaque), or "" when only the well-known name is known.
        well_known: DistinguishedFolderId name (``inbox``) or "".
    """

    mailbox: str
    folder_id: str = ""
    well_known: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.mailbox.casefold(), self.folder_id or self.well_known)


@dataclass(frozen=True)
class FolderNode:
    """One folder with its counts and the user's rights on it.

    Attributes:
        ref: How to address it.
        parent_id: FolderId of the parent, "" for a top-level folder of what the user can see.
        name: Display name.
        kind: What it holds.
        total: Items in it.
        unread: Unread items in it.
        child_count: Subfolders (visible or not).
        rights: The user's effective rights on the folder.
    """

    ref: FolderRef
    parent_id: str
    name: str
    kind: FolderKind
    total: int
    unread: int
    child_count: int
    rights: FolderRights

    @property
    def well_known(self) -> str:
        return self.ref.well_known

    def sort_key(self) -> tuple[int, str]:
        rank = WELL_KNOWN_ORDER.index(self.well_known) if self.well_known in WELL_KNOWN_ORDER else 99
        return (rank, self.name.casefold())
