"""Mailbox provisioning: the folder tree and default permissions Exchange gives every new mailbox.

The tree follows what ``New-Mailbox`` creates on Exchange 2019 (English locale), restricted to the
folders that have a ``DistinguishedFolderIdNameType`` value plus their usual non-distinguished
neighbours. The hidden ``root`` holds the IPM subtree (``msgfolderroot``, "Top of Information
Store") and the non-IPM folders (search folders, Recoverable Items).

Default permissions are Exchange's: ``Default`` = None and ``Anonymous`` = None on every folder,
except the Calendar, where ``Default`` = FreeBusyTimeOnly ("AvailabilityOnly") so colleagues see
free/busy. Rooms get the same default. Distribution groups have no mailbox.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ews_emulator.rights import NO_ACCESS, FolderPermission, from_role
from ews_emulator.store import Folder, Recipient, Store


@dataclass(frozen=True)
class FolderSpec:
    """One folder of the standard tree."""

    well_known: str | None
    name: str
    folder_class: str | None = "IPF.Note"
    kind: str = "Folder"
    hidden: bool = False
    children: tuple[FolderSpec, ...] = ()


_IPM = FolderSpec(
    "msgfolderroot",
    "Top of Information Store",
    None,
    children=(
        FolderSpec("inbox", "Inbox"),
        FolderSpec("drafts", "Drafts"),
        FolderSpec("sentitems", "Sent Items"),
        FolderSpec("deleteditems", "Deleted Items"),
        FolderSpec("outbox", "Outbox"),
        FolderSpec("junkemail", "Junk Email"),
        FolderSpec("archive", "Archive"),
        FolderSpec("conversationhistory", "Conversation History", "IPF.Note.Microsoft.Conversation"),
        FolderSpec("calendar", "Calendar", "IPF.Appointment", "CalendarFolder"),
        FolderSpec(
            "contacts",
            "Contacts",
            "IPF.Contact",
            "ContactsFolder",
            children=(
                FolderSpec(
                    "recipientcache",
                    "Recipient Cache",
                    "IPF.Contact.RecipientCache",
                    "ContactsFolder",
                    hidden=True,
                ),
            ),
        ),
        FolderSpec("tasks", "Tasks", "IPF.Task", "TasksFolder"),
        FolderSpec("notes", "Notes", "IPF.StickyNote"),
        FolderSpec("journal", "Journal", "IPF.Journal"),
        FolderSpec(
            "syncissues",
            "Sync Issues",
            children=(
                FolderSpec("conflicts", "Conflicts"),
                FolderSpec("localfailures", "Local Failures"),
                FolderSpec("serverfailures", "Server Failures"),
            ),
        ),
    ),
)

STANDARD_TREE = FolderSpec(
    "root",
    "Root",
    None,
    hidden=True,
    children=(
        _IPM,
        FolderSpec("searchfolders", "Finder", None, hidden=True),
        FolderSpec(
            "recoverableitemsroot",
            "Recoverable Items",
            None,
            hidden=True,
            children=(
                FolderSpec("recoverableitemsdeletions", "Deletions", None, hidden=True),
                FolderSpec("recoverableitemsversions", "Versions", None, hidden=True),
                FolderSpec("recoverableitemspurges", "Purges", None, hidden=True),
                FolderSpec("recoverableitemsdiscoveryholds", "DiscoveryHolds", None, hidden=True),
            ),
        ),
    ),
)

CALENDAR_DEFAULT = from_role("FreeBusyTimeOnly")


def default_permissions(spec_kind: str) -> dict[int | str, FolderPermission]:
    """The permission set Exchange gives a new folder of this kind."""
    default = CALENDAR_DEFAULT if spec_kind == "CalendarFolder" else NO_ACCESS
    return {"Default": default, "Anonymous": NO_ACCESS}


def provision_mailbox(store: Store, con: sqlite3.Connection, recipient: Recipient) -> dict[str, Folder]:
    """Create the standard folder tree of ``recipient``'s mailbox (inside the caller's transaction).

    Args:
        store: The tenant store.
        con: The open write transaction's connection (``store.db.tx()``).
        recipient: A user, shared or room mailbox; groups have no mailbox and get nothing.

    Returns:
        The distinguished folders by ``DistinguishedFolderIdNameType`` value (``"inbox"``, ...).
    """
    if not recipient.has_mailbox or recipient.kind == "group":
        return {}
    out: dict[str, Folder] = {}

    def make(spec: FolderSpec, parent_id: int | None) -> None:
        folder = store.folders.create(
            con,
            recipient.id,
            parent_id,
            spec.name,
            spec.folder_class,
            spec.kind,
            spec.well_known,
            spec.hidden,
        )
        store.folders.set_permissions(con, folder.id, default_permissions(spec.kind))
        if spec.well_known:
            out[spec.well_known] = folder
        for child in spec.children:
            make(child, folder.id)

    make(STANDARD_TREE, None)
    return out


def grant_folder_permission(
    store: Store, con: sqlite3.Connection, folder_id: int, principal: int | str, perm: FolderPermission
) -> None:
    """Add or replace one principal's entry in a folder's permission set, keeping the others."""
    entries = store.folders.permissions(folder_id)
    entries[principal] = perm
    store.folders.set_permissions(con, folder_id, entries)
