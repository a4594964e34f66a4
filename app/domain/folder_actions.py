"""What the user may do to a folder itself (create, rename, move, delete, empty), decided before they try.

Exchange's folder ``EffectiveRights`` decide it: ``CreateHierarchy`` on the parent for a new folder, ``Modify``
(the folder's owners) for a rename and for its permissions, ``Delete`` to delete or move it away. Well-known folders
(Inbox, Sent Items, …) can be neither renamed, moved nor deleted. Only Deleted Items and Junk Email are emptied.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from app.domain.errors import MailroomError
from app.domain.folders import FolderNode, FolderRef
from app.domain.rights import Capability

#: Folders Mailroom offers to empty (Outlook's "Empty folder").
EMPTIABLE = ("deleteditems", "junkemail")
#: The parent of a mailbox's top-level folders (``DistinguishedFolderId``).
TOP_OF_MAILBOX = "msgfolderroot"
MAX_NAME = 255


class StandardFolder(MailroomError):
    """A well-known folder (Inbox, Deleted Items, …) cannot be renamed, moved or deleted."""


class FolderAction(enum.Enum):
    NEW = "New folder"
    RENAME = "Rename folder"
    DELETE = "Delete folder"
    MOVE = "Move folder"
    EMPTY = "Empty folder"
    PROPERTIES = "Folder properties"
    PERMISSIONS = "Folder permissions"


@dataclass(frozen=True)
class FolderTarget:
    """What a folder command acts on: a folder, or a mailbox row (its top level).

    Attributes:
        mailbox: The mailbox's address.
        mailbox_name: Its display name, for sentences.
        node: The folder, or None for the mailbox row.
        full_access: The user has Full Access to the mailbox (may create top-level folders).
    """

    mailbox: str
    mailbox_name: str
    node: FolderNode | None
    full_access: bool = False

    @property
    def place(self) -> str:
        """ "Customer Support › Bugs", or just the mailbox's name."""
        return f"{self.mailbox_name} › {self.node.name}" if self.node is not None else self.mailbox_name

    @property
    def ref(self) -> FolderRef:
        """The folder, or the top of the mailbox (where new top-level folders go)."""
        return self.node.ref if self.node is not None else FolderRef(self.mailbox, well_known=TOP_OF_MAILBOX)


def _no(reason: str) -> Capability:
    return Capability(False, reason)


ALLOWED = Capability(True)


def folder_action_capabilities(target: FolderTarget | None) -> dict[FolderAction, Capability]:
    """Every folder action for ``target`` (None: nothing selected), with the reason when not allowed."""
    if target is None:
        nothing = _no("Select a folder in the sidebar first.")
        return {a: nothing for a in FolderAction}
    node = target.node
    if node is None:  # a mailbox row: only a new top-level folder
        mailbox_only = _no("Select a folder of the mailbox first.")
        caps = {a: mailbox_only for a in FolderAction}
        caps[FolderAction.NEW] = ALLOWED if target.full_access else _no(
            f"You cannot create top-level folders in {target.mailbox_name}: that needs Full Access.")
        return caps
    place, name = target.place, node.name
    standard = f"{name} is a standard folder of {target.mailbox_name}"
    caps = {
        FolderAction.NEW: ALLOWED if node.rights.create_hierarchy
        else _no(f"You cannot create folders in {place}."),
        FolderAction.PROPERTIES: ALLOWED,
        FolderAction.PERMISSIONS: ALLOWED if node.rights.read else _no(f"You cannot see {place}."),
    }
    if node.well_known:
        caps[FolderAction.RENAME] = _no(f"{standard}: it cannot be renamed.")
        caps[FolderAction.DELETE] = _no(f"{standard}: it cannot be deleted.")
        caps[FolderAction.MOVE] = _no(f"{standard}: it cannot be moved.")
    else:
        caps[FolderAction.RENAME] = ALLOWED if node.rights.modify else _no(
            f"Only the owners of {place} can rename it.")
        caps[FolderAction.DELETE] = ALLOWED if node.rights.delete else _no(f"You may not delete {place}.")
        caps[FolderAction.MOVE] = ALLOWED if node.rights.delete else _no(
            f"You may not move {place} (moving a folder needs the right to delete it).")
    if node.well_known not in EMPTIABLE:
        caps[FolderAction.EMPTY] = _no("Only Deleted Items and Junk Email can be emptied.")
    elif not node.rights.delete:
        caps[FolderAction.EMPTY] = _no(f"You may not delete items in {place}.")
    elif node.total == 0 and node.child_count == 0:
        caps[FolderAction.EMPTY] = _no(f"{place} is already empty.")
    else:
        caps[FolderAction.EMPTY] = ALLOWED
    return caps


def name_problem(name: str, siblings: Iterable[str], current: str = "") -> str:
    """Why ``name`` cannot be a folder's name among ``siblings`` ("" when it can)."""
    clean = name.strip()
    if not clean:
        return "Type a name for the folder."
    if len(clean) > MAX_NAME:
        return f"A folder name can have at most {MAX_NAME} characters."
    if clean.casefold() == current.casefold() and clean != current:
        return ""  # a change of capitals only
    taken = {s.casefold() for s in siblings if s.casefold() != current.casefold()}
    if clean.casefold() in taken:
        return f"There is already a folder named “{clean}” here."
    return ""


def subtree(folders: Iterable[FolderNode], root: FolderNode) -> list[FolderNode]:
    """``root``'s descendants among ``folders`` (not ``root`` itself), parents before children."""
    children: dict[str, list[FolderNode]] = {}
    for f in folders:
        children.setdefault(f.parent_id, []).append(f)
    out: list[FolderNode] = []
    stack = list(reversed(children.get(root.ref.folder_id, []))) if root.ref.folder_id else []
    seen: set[str] = set()
    while stack:
        node = stack.pop()
        if node.ref.folder_id in seen:
            continue
        seen.add(node.ref.folder_id)
        out.append(node)
        stack.extend(reversed(children.get(node.ref.folder_id, [])))
    return out


def is_inside(folders: Iterable[FolderNode], node: FolderNode, well_known: str) -> bool:
    """True when ``node`` is below the well-known folder ``well_known`` (e.g. already in Deleted Items)."""
    by_id = {f.ref.folder_id: f for f in folders if f.ref.folder_id}
    parent = by_id.get(node.parent_id)
    hops = 0
    while parent is not None and hops < 64:
        if parent.well_known == well_known:
            return True
        parent = by_id.get(parent.parent_id)
        hops += 1
    return False


def move_refusal(folders: list[FolderNode], source: FolderNode, target: FolderTarget) -> str:
    """Why ``source`` cannot be moved into ``target`` ("" when it can); all folders of one mailbox tree."""
    if source.well_known:
        return f"{source.name} is a standard folder: it cannot be moved."
    if target.mailbox.casefold() != source.ref.mailbox.casefold():
        return "Folders can be moved only within their own mailbox."
    if not source.rights.delete:
        return f"You may not move {source.name} (moving a folder needs the right to delete it)."
    node = target.node
    if node is None:
        if not target.full_access:
            return f"You cannot create top-level folders in {target.mailbox_name}."
        return "" if source.parent_id else f"{source.name} is already at the top of {target.mailbox_name}."
    if node.ref.key == source.ref.key or any(d.ref.key == node.ref.key for d in subtree(folders, source)):
        return "A folder cannot be moved into itself or one of its subfolders."
    if node.ref.folder_id and node.ref.folder_id == source.parent_id:
        return f"{source.name} is already in {node.name}."
    if not node.rights.create_hierarchy:
        return f"You cannot create folders in {node.name}."
    return ""
