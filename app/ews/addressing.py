"""Addressing mailboxes, folders and items over EWS without reading a mailbox's root first.

Everything in :mod:`app.ews.messages`, :mod:`app.ews.actions`, :mod:`app.ews.sync` and :mod:`app.ews.compose`
talks to exchangelib's *services* (FindItem, GetItem, UpdateItem, ...) with explicit ids: a folder is a
``FolderId`` or a ``DistinguishedFolderId`` naming its mailbox, an item is an ``ItemId``. The requests go out
under the ``Account`` of the mailbox concerned (so ``X-AnchorMailbox`` names it, as Exchange wants for
delegate access), but nothing here ever touches ``account.root`` / ``account.inbox``: those read the
mailbox's root folder first, which Exchange refuses when only some folders are shared (alice on sales@).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from exchangelib import errors as ex
from exchangelib.account import Account
from exchangelib.folders import Folder
from exchangelib.folders.roots import Root
from exchangelib.properties import DistinguishedFolderId, FolderId, ItemId, Mailbox
from exchangelib.services import GetItem

from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.ews.client import EwsClient

T = TypeVar("T")

# Display names of the well-known folders, for messages ("support@example.com › Inbox").
WELL_KNOWN_NAMES = {
    "inbox": "Inbox", "drafts": "Drafts", "sentitems": "Sent Items", "deleteditems": "Deleted Items",
    "junkemail": "Junk Email", "outbox": "Outbox", "archive": "Archive", "calendar": "Calendar",
    "contacts": "Contacts", "tasks": "Tasks", "notes": "Notes",
}


def folder_id(ref: FolderRef) -> FolderId:
    """The EWS id of a folder: its ``FolderId``, else ``DistinguishedFolderId`` + ``Mailbox``."""
    if ref.folder_id:
        return FolderId(id=ref.folder_id)
    if ref.well_known:
        return well_known(ref.mailbox, ref.well_known)
    raise ValueError(f"{ref!r} names no folder")


def well_known(mailbox: str, name: str) -> DistinguishedFolderId:
    """``DistinguishedFolderId`` of a well-known folder (``drafts``, ``sentitems``...) in a given mailbox."""
    return DistinguishedFolderId(id=name, mailbox=Mailbox(email_address=mailbox))


# WORKAROUND for exchangelib 5.6.0: Account.root/.inbox and Folder.resolve read the mailbox root first.
def folder_object(account: Account, fid: FolderId) -> Folder:
    """A ``Folder`` carrying ``fid`` for the exchangelib calls that insist on a folder object; never fetched.

    In exchangelib 5.6.0 ``Account.root`` / ``Account.inbox`` / ``Folder.resolve`` first GetFolder
    the mailbox root (refused when only some folders are shared), and a folder resolved from a
    DistinguishedFolderId under the user's own account is bound to the user's own mailbox for later saves. A
    ``Folder`` under a ``Root`` that is built locally and never fetched carries the account and the explicit
    id (with its mailbox) and costs no round trip.
    """
    root = Root(account=account)  # a local object: nothing is requested for it
    if isinstance(fid, DistinguishedFolderId):
        return Folder(root=root, _distinguished_id=fid)
    return Folder(root=root, id=fid.id, changekey=fid.changekey)


class _WholeBody:
    """A received response body handed to exchangelib's parser in one piece."""

    def __init__(self, content: bytes) -> None:
        self._content = content

    def iter_content(self) -> bytes:
        # Bytes, not an iterator of one chunk: exchangelib's to_xml() parses bytes through io.BytesIO, but wraps
        # an iterator in BytesGeneratorIO, whose read(n) copies the rest of the body on every call (quadratic).
        return self._content


# WORKAROUND for exchangelib 5.6.0: responses are parsed through iter_content() one byte at a time.
class WholeBodyParsing:
    """Mixin for exchangelib services that are never streamed: parse the response body in one piece.

    exchangelib 5.6.0 feeds lxml from ``response.iter_content()`` (services/common.py ``_get_soap_parts``),
    whose chunk size defaults to one byte in requests: a 100-row FindItem page (~90 KB) took ~40 ms of
    Python loop per response, and a 10 MB attachment seconds. The body is already in memory (these services
    are not streamed), so hand it over whole.
    """

    def _get_soap_parts(self, response):  # exchangelib's signature (a classmethod there, but not everywhere)
        content = getattr(response, "content", None)
        if isinstance(content, bytes) and not getattr(self, "streaming", False):
            response = _WholeBody(content)
        return super()._get_soap_parts(response)  # type: ignore[misc]


class WholeGetItem(WholeBodyParsing, GetItem):
    """GetItem, the response parsed in one piece."""


def item_ids(ids: Iterable[str]) -> list[ItemId]:
    """``ItemId``s without change keys (Exchange then applies changes to the current version)."""
    return [ItemId(id=i) for i in ids]


def place(ref: FolderRef) -> str:
    """``support@example.com › Inbox`` (or just the mailbox when the folder is known only by id)."""
    name = WELL_KNOWN_NAMES.get(ref.well_known, "")
    return f"{ref.mailbox} › {name}" if name else ref.mailbox


@contextmanager
def denied_as(message: str) -> Iterator[None]:
    """Re-raise ``ErrorAccessDenied`` inside the block as :class:`AccessDenied` with ``message``."""
    try:
        yield
    except ex.ErrorAccessDenied as error:
        raise AccessDenied(message) from error


def run(client: EwsClient, mailbox: str, fn: Callable[[], T], *, denied: str,
        on_wait: Callable[[str], None] | None = None, cancelled: Callable[[], bool] | None = None) -> T:
    """One piece of EWS work for ``mailbox``: busy-retried, errors translated, a refusal worded as ``denied``.

    ``fn`` must finish its round trips before it returns (consume exchangelib's generators inside it).
    """

    def guarded() -> T:
        with denied_as(denied):
            return fn()

    return client.retrying(guarded, mailbox=mailbox, on_wait=on_wait, cancelled=cancelled)


def raise_first_error(results: Iterable[object]) -> list[object]:
    """The results of a bulk service call as a list; per-item errors other than "gone" are raised."""
    out = list(results)
    for r in out:
        if isinstance(r, Exception) and not isinstance(r, ex.ErrorItemNotFound | ex.ErrorInvalidIdMalformed):
            raise r
    return out
