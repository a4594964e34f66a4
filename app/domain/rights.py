"""What the user may do, decided before they try.

Exchange reports ``EffectiveRights`` on every folder and item; send rights (Send As, Send on Behalf) are not
reported anywhere a delegate can read and become known at the first send. This module turns those facts into
one :class:`Capability` per action, with the sentence a disabled button shows as its tooltip.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


@dataclass(frozen=True)
class FolderRights:
    """``EffectiveRights`` of a folder (EWS names in snake case).

    On a folder, ``modify`` and ``delete`` are about the folder itself and, with ``create_associated`` (hidden
    configuration items such as a Calendar's category list or an Inbox's rules), are what its owners have.
    ``view_private_items`` is optional in the schema and some servers never send it: decide nothing from it alone.
    What the user may do with the folder's *items* is not in a folder's EffectiveRights: ``read_items``,
    ``edit_items`` and ``delete_items`` carry it when the folder's permission set told it (Exchange's ReadItems,
    EditItems, DeleteItems: "None", "Owned", "All"; None when not known).
    """

    read: bool = False
    create_contents: bool = False
    create_hierarchy: bool = False
    modify: bool = False
    delete: bool = False
    view_private_items: bool = False
    create_associated: bool = False
    read_items: str | None = None
    edit_items: str | None = None
    delete_items: str | None = None

    @classmethod
    def full(cls) -> FolderRights:
        return cls(True, True, True, True, True, True, True)

    @property
    def owns_folder(self) -> bool:
        """The rights of the folder's owners: change it and keep configuration items in it."""
        return self.create_associated and self.modify


@dataclass(frozen=True, slots=True)  # one per message-list row: no instance dict
class ItemRights:
    """``EffectiveRights`` of an item: Owned vs All is already applied by the server."""

    read: bool = True
    modify: bool = False
    delete: bool = False


class SendRight(enum.Enum):
    """What the user may do when sending from a mailbox that is not their own."""

    OWN = "own"  # the user's own mailbox
    SEND_AS = "send_as"
    SEND_ON_BEHALF = "send_on_behalf"
    NONE = "none"
    UNKNOWN = "unknown"  # not known until the first send

    @property
    def may_try(self) -> bool:
        return self is not SendRight.NONE

    def describe(self) -> str:
        return {
            SendRight.OWN: "your own address",
            SendRight.SEND_AS: "Send As: mail goes out from this address",
            SendRight.SEND_ON_BEHALF: "Send on Behalf: mail shows “you on behalf of” this address",
            SendRight.NONE: "no right to send from this address",
            SendRight.UNKNOWN: "send rights unknown until the first send",
        }[self]


class Action(enum.Enum):
    """Actions the UI enables or disables."""

    REPLY = "Reply"
    REPLY_ALL = "Reply all"
    FORWARD = "Forward"
    DELETE = "Delete"
    MOVE = "Move"
    MARK_READ = "Mark as read/unread"
    FLAG = "Flag"
    CATEGORIZE = "Categorise"
    NEW_FOLDER = "New folder"
    NEW_MESSAGE = "New message"
    SEND_FROM = "Send from this mailbox"


@dataclass(frozen=True)
class Capability:
    """Whether an action is allowed, and why not."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Capability(True)


def _denied(reason: str) -> Capability:
    return Capability(False, reason)


def folder_capabilities(place: str, rights: FolderRights, send: SendRight) -> dict[Action, Capability]:
    """What the user may do in a folder, before any item is selected.

    Args:
        place: "Sales Team › Inbox", for the reasons.
        rights: The folder's effective rights.
        send: The user's send right on the folder's mailbox.
    """
    caps: dict[Action, Capability] = {}
    caps[Action.NEW_FOLDER] = (ALLOWED if rights.create_hierarchy
                               else _denied(f"You cannot create folders in {place}."))
    caps[Action.SEND_FROM] = (ALLOWED if send.may_try
                              else _denied(f"You have no right to send from {place.split(' › ')[0]}."))
    caps[Action.NEW_MESSAGE] = ALLOWED
    return caps


def item_capabilities(place: str, folder: FolderRights, item: ItemRights | None,
                      send: SendRight) -> dict[Action, Capability]:
    """What the user may do with the selected item(s) in a folder.

    ``item`` is None when nothing is selected. For several selected items, pass the rights that all of them
    share (see :func:`common_item_rights`).
    """
    if item is None:
        none = _denied("Select a message first.")
        return {a: none for a in (Action.REPLY, Action.REPLY_ALL, Action.FORWARD, Action.DELETE, Action.MOVE,
                                  Action.MARK_READ, Action.FLAG, Action.CATEGORIZE)}
    read_only = f"You have read-only access to {place}."
    caps = {
        Action.FORWARD: ALLOWED,
        Action.MARK_READ: ALLOWED if item.read else _denied(f"You cannot read items in {place}."),
        Action.FLAG: ALLOWED if item.modify else _denied(read_only if not item.delete else
                                                            f"You cannot change items in {place}."),
        Action.CATEGORIZE: ALLOWED if item.modify else _denied(read_only if not item.delete else
                                                                  f"You cannot change items in {place}."),
        Action.DELETE: ALLOWED if item.delete else _denied(
            read_only if not item.modify else f"You may change but not delete items in {place}."),
        Action.MOVE: ALLOWED if item.delete else _denied(
            read_only if not item.modify else f"You may not move items out of {place} (moving needs delete)."),
    }
    reply = ALLOWED if send.may_try else _denied(
        f"You cannot send from {place.split(' › ')[0]}; reply from your own mailbox by forwarding.")
    caps[Action.REPLY] = reply
    caps[Action.REPLY_ALL] = reply
    return caps


def may_default_sender(drafts: FolderRights | None, sent: FolderRights | None, send: SendRight) -> bool:
    """Whether new mail in a shared mailbox should go out from it by default (From preset to it).

    Sending from a mailbox saves the message in its Drafts and a copy in its Sent Items, so the user needs the
    right to create items in both; and the send right must not be known to be missing (Exchange tells a
    delegate about Send As / Send on Behalf only at the first send).

    Args:
        drafts: The user's rights on the mailbox's Drafts (None: not visible).
        sent: The user's rights on its Sent Items (None: not visible).
        send: What is known of the user's send right there.
    """
    return (send.may_try and drafts is not None and drafts.create_contents and sent is not None
            and sent.create_contents)


def common_item_rights(rights: list[ItemRights]) -> ItemRights | None:
    """The rights every one of several selected items grants (None for an empty selection)."""
    if not rights:
        return None
    return ItemRights(read=all(r.read for r in rights), modify=all(r.modify for r in rights),
                      delete=all(r.delete for r in rights))


ALL_ITEMS, OWN_ITEMS, NO_ITEMS = "All", "Owned", "None"  # Exchange's EditItems / DeleteItems scopes
_FREE_BUSY = {"TimeOnly": "see free/busy times", "TimeAndSubjectAndLocation": "see free/busy times with subjects "
              "and locations"}


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def describe_rights(*, read: str, create: bool, edit: str | None, delete: str | None, subfolders: bool = False,
                    owner: bool = False, whose: str = "your") -> str:
    """What a set of folder rights lets someone do, in words ("read, add and change items; cannot delete").

    Every right counts: reading (all of it, free/busy only, nothing), adding, changing and deleting items (all,
    ``whose`` own, none), creating subfolders, owning the folder. A scope not known (None) is not mentioned.

    Args:
        read: Exchange's ReadItems: "FullDetails", "TimeOnly", "TimeAndSubjectAndLocation" or "None".
        create: May add items.
        edit: EditItems ("All", "Owned", "None") or None when not known.
        delete: DeleteItems, likewise.
        subfolders: May create subfolders.
        owner: Owns the folder (changes it and who has access to it).
        whose: "your" for the user's own access, "their" for someone else's.
    """
    reads = read == "FullDetails"
    everything = reads and create and edit == ALL_ITEMS and delete == ALL_ITEMS
    if not (reads or create or read in _FREE_BUSY or subfolders or owner):
        return "no access"
    clauses: list[str] = []
    if reads:
        verbs = ["read"] + (["add"] if create else []) + [verb for verb, scope in (("change", edit), ("delete", delete))
                                                          if scope == ALL_ITEMS]
        clauses.append(_and(verbs) + " items")
    elif read in _FREE_BUSY:
        clauses.append(_FREE_BUSY[read])
    if create and not reads:
        clauses.append("add items" + ("" if read in _FREE_BUSY else " without seeing them"))
    own = [verb for verb, scope in (("change", edit), ("delete", delete)) if scope == OWN_ITEMS]
    if own:
        clauses.append(f"{_and(own)} {whose} own")
    if subfolders:
        clauses.append("create subfolders")
    if owner:
        clauses.append("change who has access")
    text = ", ".join(clauses)
    if text == "read items":
        return "read-only"
    cannot = [verb for verb, scope in (("change", edit), ("delete", delete)) if scope == NO_ITEMS]
    more = create or subfolders or owner or any(s in (ALL_ITEMS, OWN_ITEMS) for s in (edit, delete))
    if reads and more and cannot and not everything:
        text += f"; cannot {' or '.join(cannot)}"
    return text


def describe_folder_access(rights: FolderRights) -> str:
    """What the user may do in a folder, from all its rights (for "My access" and the sidebar).

    The item scopes come from the folder's permission set when it was read; without them, a folder owner is
    taken to have the owner's scopes (all items), and nothing is said of changing or deleting otherwise.
    """
    if not rights.read and not rights.create_contents:
        return "no access"
    owner = rights.owns_folder
    read = rights.read_items or ("FullDetails" if rights.read else "None")
    edit = rights.edit_items or (ALL_ITEMS if owner else None)
    delete = rights.delete_items or (ALL_ITEMS if owner else None)
    return describe_rights(read=read, create=rights.create_contents, edit=edit, delete=delete,
                           subfolders=rights.create_hierarchy, owner=owner)


def access_level(folders: list[tuple[str, FolderRights]], full_access: bool) -> tuple[str, list[str]]:
    """What the user may do in a mailbox's top folders, and which ones they see.

    Returns:
        ("full access" | "no access" | "mixed" | what :func:`describe_folder_access` says of every one of them,
        the names of the visible folders).
    """
    if full_access:
        return "full access", []
    visible = [(name, r) for name, r in folders if r.read or r.create_contents]
    if not visible:
        return "no access", []
    kinds = {describe_folder_access(r) for _, r in visible}
    return (kinds.pop() if len(kinds) == 1 else "mixed"), [name for name, _ in visible]


def summarize_access(folders: list[tuple[str, FolderRights]], full_access: bool) -> str:
    """One line for the sidebar: "read-only access to Inbox and Calendar", "access to Inbox: read, add and
    change items; cannot delete"."""
    level, names = access_level(folders, full_access)
    if not names:
        return level
    if level in ("read-only", "mixed"):
        return f"{level} access to {_and(names)}"
    return f"access to {_and(names)}: {level}"
