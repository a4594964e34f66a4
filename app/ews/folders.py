"""A mailbox's folder tree as far as the user can see it, in two round trips.

1. One ``GetFolder`` asks for ``msgfolderroot`` and every well-known folder of the mailbox at once, each by
   ``DistinguishedFolderId`` + ``Mailbox`` under the user's **own** ``Account`` (``Account(shared).root`` fails when
   only some folders are shared). Each answers on its own: ``ErrorAccessDenied`` / ``ErrorFolderNotFound`` just
   mean "not visible".
2. One ``FindFolder Traversal="Deep"``: from ``msgfolderroot`` when it answered, else from the visible
   well-known folders that have subfolders (none: no second round trip).

For another person's mailbox the GetFolder also asks for each folder's ``PermissionSet`` (Exchange shows it to
everyone who may see the folder): the user's own entry there says what they may do with the folder's *items*
(read, change, delete: all, their own, none), which the folder's ``EffectiveRights`` do not.

Full access = ``msgfolderroot`` answered with every ``EffectiveRights`` flag the schema requires set (not the
optional ``ViewPrivateItems``, which some servers never send). What the user may do with labels, rules or
sending is decided from the rights on the folders concerned, not from this. Hidden folders
(``PR_ATTR_HIDDEN``), non-``IPF`` folders and Sync Issues are left out, with their subfolders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exchangelib import errors as ex
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.fields import CharField, FieldPath
from exchangelib.folders import Folder, Root
from exchangelib.properties import DistinguishedFolderId, EffectiveRights, Mailbox
from exchangelib.services import FindFolder, GetFolder
from exchangelib.version import EXCHANGE_2013, EXCHANGE_2016

from app.domain.errors import AccessDenied
from app.domain.folders import WELL_KNOWN_ORDER, FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.rights import FolderRights, SendRight, summarize_access
from app.ews.client import EwsClient
from app.ews.directory import display_name
from app.ews.errors import translate

# DistinguishedFolderId values that exist on every Exchange 2010+ server ("archive" needs 2016, added below).
_WELL_KNOWN = tuple(name for name in WELL_KNOWN_ORDER if name != "archive")
_NOT_SHOWN = ("syncissues",)  # well-known folders Outlook keeps out of the folder pane, with their subfolders
_SKIPPED = (ex.ErrorAccessDenied, ex.ErrorFolderNotFound, ex.ErrorItemNotFound, ex.ErrorInvalidOperation,
            ex.ErrorNoPublicFolderReplicaAvailable)
_PAGE_SIZE = 1000  # folders per FindFolder page (Exchange's default EWSFindCountLimit)
# The fields a tree needs (FindFolder); well-known folders are never hidden, but may be free/busy-only calendars.
_FIELDS = ("parent_folder_id", "name", "folder_class", "total_count", "unread_count", "child_folder_count",
           "effective_rights", "is_hidden")
_WELL_KNOWN_FIELDS = (*(f for f in _FIELDS if f != "is_hidden"), "sharing_effective_rights")
# EffectiveRightsType's elements the schema requires (ViewPrivateItems is minOccurs="0").
_REQUIRED_RIGHTS = ("create_associated", "create_contents", "create_hierarchy", "delete", "modify", "read")
_KINDS = {"IPF.Note": FolderKind.MAIL, "IPF.Appointment": FolderKind.CALENDAR, "IPF.Contact": FolderKind.CONTACTS,
          "IPF.Task": FolderKind.TASKS}


class HiddenFlag(ExtendedProperty):
    """PR_ATTR_HIDDEN (0x10F4): set on folders Exchange keeps out of clients' folder lists."""

    property_tag = 0x10F4
    property_type = "Boolean"


_registered = threading.Lock()


def _register_fields() -> None:
    with _registered:
        if "is_hidden" not in Folder.FIELDS:
            Folder.register("is_hidden", HiddenFlag)


class _WellKnownFolder(Folder):
    """A folder asked for by ``DistinguishedFolderId`` in some mailbox.

    WORKAROUND for exchangelib 5.6.0: it has no field for ``folder:SharingEffectiveRights``, the only sign that a
    calendar is visible merely through the default free/busy permission (``EffectiveRights`` then reads like
    Reviewer's).
    """

    sharing_effective_rights = CharField(field_uri="folder:SharingEffectiveRights", is_read_only=True,
                                         supported_from=EXCHANGE_2013)


@dataclass
class MailboxTree:
    """The folders of one mailbox that the user can see.

    Attributes:
        mailbox: The mailbox, with its display name.
        full_access: The user can open the whole mailbox (Full Access or owner).
        folders: Visible folders, parents before children, well-known folders first among siblings.
        send_right: OWN for the user's own mailbox, else UNKNOWN (EWS tells a delegate nothing until a send).
    """

    mailbox: MailboxRef
    full_access: bool
    folders: list[FolderNode]
    send_right: SendRight

    def folder(self, well_known: str) -> FolderNode | None:
        """The visible well-known folder ``well_known`` (``inbox``), or None."""
        return next((f for f in self.folders if f.well_known == well_known), None)

    def access_summary(self) -> str:
        """"full access", or e.g. "read-only access to Inbox and Calendar" (the top-level folders)."""
        top = [(f.name, f.rights) for f in self.folders if not f.parent_id]
        return summarize_access(top, self.full_access)


def list_folders(client: EwsClient, mailbox: str | MailboxRef) -> MailboxTree:
    """The visible folder tree of ``mailbox`` (the user's own or a shared one): one GetFolder, at most one FindFolder.

    Args:
        client: The signed-in user.
        mailbox: The address, or a MailboxRef whose display name is already known (saves a ResolveNames).

    Raises:
        MailboxNotFound: No such mailbox.
        ConnectionFailed, AuthenticationFailed, ServerBusy: As usual.
    """
    _register_fields()
    ref = mailbox if isinstance(mailbox, MailboxRef) else MailboxRef(mailbox.strip())
    address = ref.address
    own = address.casefold() == client.user.key
    account = client.own
    target = Mailbox(email_address=address)
    root = Root(account=account, _distinguished_id=DistinguishedFolderId(id="root", mailbox=target))
    names = ["msgfolderroot", *_WELL_KNOWN, *_NOT_SHOWN]
    if account.version.build >= EXCHANGE_2016:
        names.append("archive")
    asked = [_WellKnownFolder(root=root, _distinguished_id=DistinguishedFolderId(id=n, mailbox=target)) for n in names]
    fields = _field_paths(_WellKnownFolder, _WELL_KNOWN_FIELDS if own else (*_WELL_KNOWN_FIELDS, "permission_set"))
    answers = client.retrying(lambda: list(GetFolder(account=account).call(
        folders=asked, additional_fields=fields, shape="IdOnly")), mailbox=address)
    found = {name: answer for name, answer in zip(names, answers, strict=True)
             if _answered(answer, address) and answer.id}
    top = found.pop("msgfolderroot", None)
    well_known = {f.id: name for name, f in found.items()}
    full_access = top is not None and _all_rights(top.effective_rights)
    left_out = {f.id for name, f in found.items() if name in _NOT_SHOWN or not (full_access or _visible(f))}
    if top is not None:  # the root is visible (Full Access, or "folder visible" on it): walk the whole tree
        visible = _find_subfolders(client, address, [top])
    else:
        shown = [f for f in found.values() if f.id not in left_out]
        visible = shown + _find_subfolders(client, address, [f for f in shown if f.child_folder_count])
    nodes = _nodes(visible, address, well_known, left_out, client.user.address)
    if own:
        ref = client.user
    elif nodes and ref.display_name == address:  # the name matters only for a mailbox the user will see
        ref = _named(client, address)
    return MailboxTree(ref, full_access or own, nodes, SendRight.OWN if own else SendRight.UNKNOWN)


def probe_mailbox(client: EwsClient, address: str) -> MailboxTree:
    """Check what the user can reach in a mailbox before adding it to the sidebar ("Open shared mailbox…").

    Raises:
        MailboxNotFound: No such mailbox.
        AccessDenied: The user can see none of its folders.
    """
    tree = list_folders(client, address)
    if not tree.folders:
        raise AccessDenied(f"You have no access to {tree.mailbox.address}: none of its folders is shared with you. "
                           "Ask the mailbox's owner or your administrator for access.")
    return tree


def open_inbox(client: EwsClient, on_wait: Callable[[str], None] | None = None,
               cancelled: Callable[[], bool] | None = None) -> FolderNode:
    """The user's own Inbox, in one GetFolder (sign-in proves the credentials with it).

    Args:
        client: The user's connection.
        on_wait: Told when Exchange is busy and the request waits to be retried.
        cancelled: Polled while waiting.
    """
    _register_fields()
    account = client.own
    address = client.user.address
    target = Mailbox(email_address=address)
    root = Root(account=account, _distinguished_id=DistinguishedFolderId(id="root", mailbox=target))
    inbox = Folder(root=root, _distinguished_id=DistinguishedFolderId(id="inbox", mailbox=target))
    fields = _field_paths(Folder, _FIELDS)
    [answer] = client.retrying(lambda: list(GetFolder(account=account).call(
        folders=[inbox], additional_fields=fields, shape="IdOnly")), mailbox=address, on_wait=on_wait,
        cancelled=cancelled)
    if isinstance(answer, Exception):
        raise translate(answer, mailbox=address) or answer
    return _node(answer, address, {answer.id: "inbox"}, set())


def _named(client: EwsClient, address: str) -> MailboxRef:
    return MailboxRef(address, display_name(client, address))


def _field_paths(cls: type[Folder], names: Iterable[str]) -> set[FieldPath]:
    return {FieldPath(field=cls.get_field_by_fieldname(name)) for name in names}


def _answered(answer: Folder | Exception, address: str) -> bool:
    """True for a folder; False for "not visible"; raises any other per-folder error, translated."""
    if not isinstance(answer, Exception):
        return True
    if isinstance(answer, _SKIPPED):
        return False
    raise translate(answer, mailbox=address) or answer


def _visible(folder: Folder) -> bool:
    """A well-known folder worth showing to a delegate.

    Every calendar is visible to everyone through the default free/busy permission; such a calendar (and a folder
    the user cannot read at all) is left out.
    """
    if not (folder.effective_rights and folder.effective_rights.read):
        return False
    sharing = getattr(folder, "sharing_effective_rights", None)
    return sharing in (None, "FullDetails")


def _find_subfolders(client: EwsClient, address: str, parents: list[Folder]) -> list[Folder]:
    """Every visible folder below ``parents``: one FindFolder Deep for all of them."""
    if not parents:
        return []
    account = parents[0].root.account
    fields = _field_paths(Folder, _FIELDS)

    def find() -> list[Folder]:
        service = FindFolder(account=account, page_size=_PAGE_SIZE)
        return [f for f in service.call(folders=parents, additional_fields=fields, restriction=None, shape="IdOnly",
                                         depth="Deep", max_items=None, offset=0) if _answered(f, address)]

    return client.retrying(find, mailbox=address)


def _nodes(folders: list[Folder], address: str, well_known: dict[str, str], left_out: set[str],
           user: str = "") -> list[FolderNode]:
    """Domain folders in display order, without ``left_out``, hidden and non-IPF folders and their subfolders."""
    by_id = {f.id: f for f in folders if f.id}
    parent_of = {fid: (f.parent_folder_id.id if f.parent_folder_id else "") for fid, f in by_id.items()}
    dropped: dict[str, bool] = {}

    def is_dropped(fid: str) -> bool:
        if fid not in dropped:
            f = by_id[fid]
            own = fid in left_out or bool(getattr(f, "is_hidden", False)) or not _is_ipf(f.folder_class)
            parent = parent_of[fid]
            dropped[fid] = False  # guards against a (malformed) cycle
            dropped[fid] = own or (parent in by_id and is_dropped(parent))
        return dropped[fid]

    kept = {fid for fid in by_id if not is_dropped(fid)}
    nodes = {fid: _node(by_id[fid], address, well_known, kept, user) for fid in kept}
    children: dict[str, list[FolderNode]] = {}
    for node in nodes.values():
        children.setdefault(node.parent_id, []).append(node)
    ordered: list[FolderNode] = []
    stack = sorted(children.get("", []), key=FolderNode.sort_key, reverse=True)
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(sorted(children.get(node.ref.folder_id, []), key=FolderNode.sort_key, reverse=True))
    return ordered


def _node(f: Folder, address: str, well_known: dict[str, str], visible_ids: set[str], user: str = "") -> FolderNode:
    parent = f.parent_folder_id.id if f.parent_folder_id else ""
    return FolderNode(
        ref=FolderRef(address, f.id, well_known.get(f.id, "")),
        parent_id=parent if parent in visible_ids else "",
        name=f.name or "",
        kind=_kind(f.folder_class),
        total=f.total_count or 0,
        unread=f.unread_count or 0,
        child_count=f.child_folder_count or 0,
        rights=_rights(f.effective_rights, _own_entry(f, user)),
    )


def _is_ipf(folder_class: str | None) -> bool:
    """Mail clients show IPF folders; a folder without a class is shown as mail, as Outlook does."""
    return not folder_class or folder_class == "IPF" or folder_class.startswith("IPF.")


def _kind(folder_class: str | None) -> FolderKind:
    if not folder_class:
        return FolderKind.MAIL
    for prefix, kind in _KINDS.items():
        if folder_class == prefix or folder_class.startswith(prefix + "."):
            return kind
    return FolderKind.OTHER


def _own_entry(f: Folder, user: str) -> object | None:
    """The user's own entry in the folder's permission set, if the server sent one.

    Only the user's own entry: access through a group, or Default, cannot be told apart from here, and a guess
    could say less (or more) than the user has; then the item scopes stay unknown.
    """
    ps = getattr(f, "permission_set", None)
    if ps is None or not user:
        return None
    entries = [*(ps.permissions or []), *(ps.calendar_permissions or [])]
    return next((p for p in entries if p.user_id is not None
                 and (p.user_id.primary_smtp_address or "").casefold() == user.casefold()), None)


def _rights(rights: EffectiveRights | None, entry: object | None = None) -> FolderRights:
    if rights is None:
        return FolderRights()
    return FolderRights(read=bool(rights.read), create_contents=bool(rights.create_contents),
                        create_hierarchy=bool(rights.create_hierarchy), modify=bool(rights.modify),
                        delete=bool(rights.delete), view_private_items=bool(rights.view_private_items),
                        create_associated=bool(rights.create_associated),
                        read_items=getattr(entry, "read_items", None) or None,
                        edit_items=getattr(entry, "edit_items", None) or None,
                        delete_items=getattr(entry, "delete_items", None) or None)


def _all_rights(rights: EffectiveRights | None) -> bool:
    """Every right the schema requires the server to report is granted.

    The optional ``ViewPrivateItems`` is not consulted: grommunio Gromox never sends it, and exchangelib 5.6.0
    reads a missing element as False (its ``EffectiveRights`` fields default to False), so "absent" and "denied"
    cannot be told apart. Owner rights on the top of the tree are then read as full access; what that could
    wrongly allow is decided elsewhere from the folders concerned (labels: the Calendar; rules: the Inbox;
    the From default: Drafts and Sent Items).
    """
    return rights is not None and all(getattr(rights, name) for name in _REQUIRED_RIGHTS)


# Shared with app.ews.calendar (calendar folders are read the same way).
WellKnownFolder = _WellKnownFolder
register_folder_fields = _register_fields
folder_field_paths = _field_paths
find_subfolders = _find_subfolders
folder_rights = _rights
