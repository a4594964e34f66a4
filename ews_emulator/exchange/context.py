"""The per-request context: who is calling, and rights-checked lookups of mailboxes, folders and items."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.rights import Access, resolve_access
from ews_emulator.soap import T_NS
from ews_emulator.store import Folder, ItemRow, Recipient, Store
from ews_emulator.store.ids import MalformedId, change_num_of, decode_id

if TYPE_CHECKING:
    from ews_emulator.exchange.backend import ExchangeBackend

_T = f"{{{T_NS}}}"

# DistinguishedFolderIdNameType values that name the mailbox's root folders.
ROOT_NAMES = ("root", "msgfolderroot")


@dataclass
class Ctx:
    """One authenticated request."""

    store: Store
    caller: Recipient
    headers: Mapping[str, str]
    backend: ExchangeBackend
    request_version: str = "Exchange2016"
    _access_cache: dict[int, Access] = field(default_factory=dict)

    # Mailboxes ----------------------------------------------------------------------------
    def mailbox(self, smtp: str | None) -> Recipient:
        """The mailbox owner for an address; the caller's own mailbox when no address is given."""
        if not smtp:
            return self.caller
        rec = self.store.directory.by_smtp(smtp)
        if rec is None or not rec.has_mailbox:
            raise EwsError("ErrorNonExistentMailbox", "The SMTP address has no mailbox associated with it.")
        return rec

    def has_full_access(self, mailbox_id: int) -> bool:
        return mailbox_id == self.caller.id or self.store.directory.grant(mailbox_id, self.caller.id).full_access

    # Folders ------------------------------------------------------------------------------
    def access(self, folder: Folder) -> Access:
        hit = self._access_cache.get(folder.id)
        if hit is None:
            hit = resolve_access(
                self.caller.id,
                folder.mailbox_id,
                self.has_full_access(folder.mailbox_id),
                self.store.folders.permissions(folder.id),
                self.store.directory.groups_of(self.caller.id),
            )
            self._access_cache[folder.id] = hit
        return hit

    def forget_access(self) -> None:
        """Drop cached rights (after a permission change inside this request)."""
        self._access_cache.clear()

    def folder(self, ref: etree._Element) -> Folder:
        """Resolve ``t:FolderId`` / ``t:DistinguishedFolderId`` (optionally with ``t:Mailbox``) to a folder.

        Raises ErrorInvalidIdMalformed, ErrorFolderNotFound, ErrorNonExistentMailbox; does not check rights.
        """
        local = etree.QName(ref).localname
        if local == "DistinguishedFolderId":
            mailbox = self.mailbox(ref.findtext(f"{_T}Mailbox/{_T}EmailAddress"))
            name = ref.get("Id") or ""
            folder = self.store.folders.by_well_known(mailbox.id, name)
            if folder is None:
                raise EwsError("ErrorFolderNotFound")
            return folder
        if local in ("FolderId", "ParentFolderId", "ToFolderId"):
            try:
                decoded = decode_id(ref.get("Id"), "folder")
            except MalformedId as exc:
                raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
            folder = self.store.folders.get(decoded.row_id)
            if folder is None or folder.mailbox_id != decoded.mailbox_id:
                raise EwsError("ErrorFolderNotFound")
            return folder
        raise EwsError("ErrorInvalidRequest", f"Unsupported folder reference {local}.")

    def visible_folder(self, ref: etree._Element) -> tuple[Folder, Access]:
        """A folder the caller may see; ErrorAccessDenied otherwise (as Exchange answers GetFolder)."""
        folder = self.folder(ref)
        acc = self.access(folder)
        if not acc.can_see_folder:
            raise access_denied()
        return folder, acc

    def folder_refs(self, container: etree._Element | None) -> list[etree._Element]:
        """The folder reference children of a ``FolderIds`` / ``ParentFolderIds`` container."""
        return list(container) if container is not None else []

    # Items --------------------------------------------------------------------------------
    def item(self, ref: etree._Element, *, check_change_key: bool = False) -> tuple[ItemRow, Folder, Access]:
        """Resolve ``t:ItemId`` to an item the caller may read."""
        try:
            decoded = decode_id(ref.get("Id"), ("item", "occurrence"))
        except MalformedId as exc:
            raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
        row = self.store.items.get(decoded.row_id)
        if row is None or row.mailbox_id != decoded.mailbox_id:
            raise EwsError("ErrorItemNotFound")
        folder = self.store.folders.get(row.folder_id)
        assert folder is not None
        acc = self.access(folder)
        if not acc.can_read_items:
            raise access_denied()
        if check_change_key:
            given = change_num_of(ref.get("ChangeKey"))
            if given is not None and given != row.change_num:
                raise EwsError("ErrorIrresolvableConflict")
        return row, folder, acc
