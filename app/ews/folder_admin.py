"""Managing the folders of a mailbox: create, rename, move, delete, empty, and their properties.

Everything works on the mailbox holding the folder, by folder id (never through ``account.root``, which a delegate
may not read), under that mailbox's ``Account`` (``X-AnchorMailbox``). A deleted folder goes to *that* mailbox's
Deleted Items (``DeleteFolder`` ``MoveToDeletedItems``, as Outlook does). Well-known folders are refused before any
request (:class:`~app.domain.folder_actions.StandardFolder`), and Exchange's own refusal
(``ErrorDeleteDistinguishedFolder`` / ``ErrorMoveDistinguishedFolder``) is worded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from exchangelib import errors as ex
from exchangelib.fields import FieldPath
from exchangelib.folders import Folder
from exchangelib.folders.roots import Root
from exchangelib.items import HARD_DELETE, MOVE_TO_DELETED_ITEMS, SOFT_DELETE
from exchangelib.services import CreateFolder, DeleteFolder, EmptyFolder, GetFolder, MoveFolder, UpdateFolder

from app.domain.errors import ItemGone, OutcomeUnknown, ServerError
from app.domain.folder_actions import TOP_OF_MAILBOX, StandardFolder, name_problem
from app.domain.folders import FolderRef
from app.domain.permissions import FolderPermissions
from app.domain.rights import FolderRights
from app.ews.addressing import WELL_KNOWN_NAMES, folder_id, run
from app.ews.client import EwsClient
from app.ews.once import ask, find_child_folder, once
from app.ews.permissions import local_folder, only, to_domain

Wait = Callable[[str], None] | None
_PROPERTY_FIELDS = ("name", "folder_class", "total_count", "unread_count", "child_folder_count",
                    "effective_rights", "size", "permission_set")


@dataclass(frozen=True)
class FolderProperties:
    """What the Properties dialog shows of a folder.

    Attributes:
        ref: The folder.
        name: Its display name.
        folder_class: ``IPF.Note`` …
        total: Items in it.
        unread: Unread items.
        size: Bytes (PR_MESSAGE_SIZE_EXTENDED), or None when the server does not say.
        child_count: Direct subfolders.
        rights: The user's effective rights on it.
        permissions: Its permission set (None when the server showed none).
    """

    ref: FolderRef
    name: str
    folder_class: str
    total: int
    unread: int
    size: int | None
    child_count: int
    rights: FolderRights
    permissions: FolderPermissions | None


def _where(ref: FolderRef, name: str = "") -> str:
    """ "support@example.com › Bugs", "the top of support@example.com", "a folder of support@example.com"."""
    if ref.well_known == TOP_OF_MAILBOX:
        return f"the top of {ref.mailbox}"
    folder = name or WELL_KNOWN_NAMES.get(ref.well_known, "")
    return f"{ref.mailbox} › {folder}" if folder else f"a folder of {ref.mailbox}"


@contextmanager
def _worded(ref: FolderRef, name: str = "", exists: str = "") -> Iterator[None]:
    """Exchange's folder-specific refusals as sentences (access refusals are worded by :func:`run`).

    Args:
        ref: The folder concerned.
        name: Its name, for the sentences.
        exists: The sentence for ``ErrorFolderExists``.
    """
    try:
        yield
    except ex.ErrorFolderExists as error:
        raise ServerError(exists or f"There is already a folder named “{name}” there.") from error
    except (ex.ErrorDeleteDistinguishedFolder, ex.ErrorMoveDistinguishedFolder) as error:
        raise StandardFolder(f"{name or 'This'} is a standard folder of {ref.mailbox}: it cannot be moved or "
                             "deleted.") from error
    except ex.ErrorMoveCopyFailed as error:
        raise ServerError("A folder cannot be moved into itself or one of its subfolders.") from error
    except ex.ErrorCrossMailboxMoveCopy as error:
        raise ServerError("Folders can be moved only within their own mailbox.") from error
    except (ex.ErrorParentFolderNotFound, ex.ErrorToFolderNotFound) as error:
        raise ItemGone(f"The target folder no longer exists in {ref.mailbox}.") from error


def _refuse_standard(ref: FolderRef, verb: str) -> None:
    if ref.well_known:
        name = WELL_KNOWN_NAMES.get(ref.well_known, ref.well_known)
        raise StandardFolder(f"{name} is a standard folder of {ref.mailbox}: it cannot be {verb}.")


def create_folder(client: EwsClient, parent: FolderRef, name: str, *, parent_name: str = "",
                  folder_class: str = "IPF.Note", on_wait: Wait = None) -> FolderRef:
    """Create folder ``name`` under ``parent`` (a folder, or the mailbox's top: ``msgfolderroot``).

    ``folder_class`` is what it holds (``IPF.Note`` mail; a calendar's subfolder is ``IPF.Appointment``).

    Raises:
        AccessDenied: No ``CreateHierarchy`` on the parent.
        ServerError: A sibling has that name, or the name is empty.
    """
    problem = name_problem(name, ())
    if problem:
        raise ServerError(problem)
    name = name.strip()
    account = client.account(parent.mailbox)
    new = Folder(root=Root(account=account), name=name, folder_class=folder_class)  # local: nothing is fetched

    def work() -> FolderRef:
        with _worded(parent, name, f"There is already a folder named “{name}” in {_where(parent, parent_name)}."):
            created = only(CreateFolder(account=account).call(parent_folder=folder_id(parent), folders=[new]))
        return FolderRef(parent.mailbox, created.id)

    denied = f"You may not create folders in {_where(parent, parent_name)}."
    what = f"the folder “{name}” in {_where(parent, parent_name)}"
    try:  # never repeated blindly: a second CreateFolder after a lost answer would fail as a duplicate name
        return once(client, parent.mailbox, work, denied=denied, what=what, on_wait=on_wait)
    except OutcomeUnknown:
        found = ask(client, parent.mailbox, lambda: find_child_folder(account, folder_id(parent), name),
                    what=f"{what} was created")
        if found is not None:
            return FolderRef(parent.mailbox, found)
        return run(client, parent.mailbox, work, denied=denied, on_wait=on_wait)  # it was not: create it now


def rename_folder(client: EwsClient, ref: FolderRef, name: str, *, old_name: str = "",
                  on_wait: Wait = None) -> None:
    """Rename a folder (UpdateFolder ``folder:DisplayName``; needs ownership)."""
    _refuse_standard(ref, "renamed")
    problem = name_problem(name, ())
    if problem:
        raise ServerError(problem)
    name = name.strip()
    account = client.account(ref.mailbox)
    folder = local_folder(client, ref, name=name)

    def work() -> None:
        with _worded(ref, name, f"There is already a folder named “{name}” next to {old_name or 'it'}."):
            only(UpdateFolder(account=account).call(folders=[(folder, ["name"])]))

    run(client, ref.mailbox, work, denied=f"Only the owners of {_where(ref, old_name)} may rename it.", on_wait=on_wait)


def move_folder(client: EwsClient, ref: FolderRef, target: FolderRef, *, name: str = "", target_name: str = "",
                on_wait: Wait = None) -> FolderRef:
    """Move a folder under ``target`` in the same mailbox (the folder keeps its id)."""
    _refuse_standard(ref, "moved")
    if target.mailbox.casefold() != ref.mailbox.casefold():
        raise ServerError("Folders can be moved only within their own mailbox.")
    account = client.account(ref.mailbox)

    def work() -> FolderRef:
        with _worded(ref, name, f"There is already a folder named “{name}” in {_where(target, target_name)}."):
            moved = only(MoveFolder(account=account).call(folders=[folder_id(ref)], to_folder=folder_id(target)))
        return FolderRef(ref.mailbox, moved.id or ref.folder_id)

    return run(client, ref.mailbox, work, on_wait=on_wait,
               denied=f"You may not move {name or 'the folder'} to {_where(target, target_name)}: moving needs "
                      "the right to delete the folder and to create folders in the target.")


def delete_folder(client: EwsClient, ref: FolderRef, *, permanent: bool = False, name: str = "",
                  on_wait: Wait = None) -> None:
    """Delete a folder with its items and subfolders: to its mailbox's Deleted Items, or for good."""
    _refuse_standard(ref, "deleted")
    account = client.account(ref.mailbox)
    delete_type = HARD_DELETE if permanent else MOVE_TO_DELETED_ITEMS

    def work() -> None:
        with _worded(ref, name):
            only(DeleteFolder(account=account).call(folders=[folder_id(ref)], delete_type=delete_type))

    run(client, ref.mailbox, work, denied=f"You may not delete {_where(ref, name)}.", on_wait=on_wait)


def empty_folder(client: EwsClient, ref: FolderRef, *, permanent: bool, subfolders: bool = True, name: str = "",
                 on_wait: Wait = None) -> None:
    """Empty a folder: its items (and subfolders) to Deleted Items, or - ``permanent`` - out of the mailbox.

    ``permanent`` is a soft delete (recoverable by an administrator for a while), as Outlook does for
    Deleted Items.
    """
    account = client.account(ref.mailbox)
    delete_type = SOFT_DELETE if permanent else MOVE_TO_DELETED_ITEMS

    def work() -> None:
        with _worded(ref):
            only(EmptyFolder(account=account).call(folders=[folder_id(ref)], delete_type=delete_type,
                                                    delete_sub_folders=subfolders))

    run(client, ref.mailbox, work, denied=f"You may not delete everything in {_where(ref, name)}.",
        on_wait=on_wait)


def folder_properties(client: EwsClient, ref: FolderRef, *, calendar: bool = False,
                      on_wait: Wait = None) -> FolderProperties:
    """Counts, size, rights and permissions of a folder in one GetFolder."""
    account = client.account(ref.mailbox)
    folder = local_folder(client, ref, calendar)
    cls = type(folder)
    names = [n for n in _PROPERTY_FIELDS if n in cls.FIELDS]
    paths = {FieldPath(field=cls.get_field_by_fieldname(n)) for n in names}

    def work() -> object:
        return only(GetFolder(account=account).call(folders=[folder], additional_fields=paths, shape="IdOnly"))

    f = run(client, ref.mailbox, work, denied=f"You cannot see {_where(ref)}.", on_wait=on_wait)
    er = f.effective_rights
    rights = FolderRights(read=bool(er and er.read), create_contents=bool(er and er.create_contents),
                          create_hierarchy=bool(er and er.create_hierarchy), modify=bool(er and er.modify),
                          delete=bool(er and er.delete), view_private_items=bool(er and er.view_private_items),
                          create_associated=bool(er and er.create_associated))
    editable = rights.modify
    perms = None
    if f.permission_set is not None:
        perms = to_domain(ref, calendar, f.permission_set, editable=editable,
                          reason="" if editable else "Only the folder's owners can change who has access to it.")
    size = getattr(f, "size", None)
    return FolderProperties(ref, f.name or "", f.folder_class or "", f.total_count or 0, f.unread_count or 0,
                            int(size) if size is not None else None, f.child_folder_count or 0, rights, perms)
