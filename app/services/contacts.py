"""Contacts: Contacts folders of the open mailboxes, the directory (GAL), vCard import and export.

Every call runs on the mailbox's task queue (key = the mailbox address; directory look-ups on none) and answers
on the GUI thread through the callbacks given; failures arrive as user-facing text. vCard import is
all-or-nothing: the file's size is checked before it is read, it is parsed and validated completely before the
first contact is created, and when the server refuses a contact midway the ones already created by this import
are deleted again (:func:`app.ews.contacts.import_contacts`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QImage

from app.domain.contacts import Contact, ContactFolder, ContactGroup, ContactList
from app.domain.errors import Cancelled, user_message
from app.domain.folders import FolderKind, FolderRef
from app.domain.messages import Person
from app.domain.vcard import export_vcards, parse_vcards, read_vcard_file
from app.services.contact_photos import DirectoryPhotos, PhotoChange, decode, read_photo
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

OnError = Callable[[str], Any]


class ContactsService(QObject):
    """Reads and changes contacts; all EWS work in tasks.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient``.
        mailboxes: The open mailboxes (``MailboxService``): their folder trees name the Contacts folders.

    Signals:
        status(str): a passing message (busy server, "Imported 12 contacts").
        changed(FolderRef): a folder's contacts changed (created, edited, deleted, imported).
    """

    status = Signal(str)
    changed = Signal(object)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient], mailboxes: Any,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._mailboxes = mailboxes
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)
        self.directory_photos = DirectoryPhotos()  # GetUserPhoto answers per address

    # -- folders -----------------------------------------------------------------------------------------------
    def folders(self) -> list[ContactFolder]:
        """The Contacts folders of every open mailbox the user can read, in sidebar order."""
        out: list[ContactFolder] = []
        for ref in self._mailboxes.mailboxes():
            tree = self._mailboxes.tree(ref.address)
            if tree is None:
                continue
            for node in tree.folders:
                if node.kind == FolderKind.CONTACTS and node.rights.read:
                    out.append(ContactFolder(node.ref, node.name or "Contacts", tree.mailbox.display_name,
                                             node.rights))
        return out

    # -- reading -----------------------------------------------------------------------------------------------
    def load(self, folder: FolderRef, search: str, on_result: Callable[[ContactList], Any],
             on_error: OnError) -> TaskHandle[Any]:
        """A folder's contacts and groups (``search``: display names containing it)."""
        client = self._client()

        def work() -> ContactList:
            from app.ews import contacts

            return contacts.list_contacts(client, folder, search, on_wait=self._from_worker)

        return self._run(work, folder.mailbox, on_result, on_error, f"Reading the contacts of {folder.mailbox}")

    def detail(self, folder: FolderRef, contact: Contact, on_result: Callable[[Contact], Any],
               on_error: OnError) -> TaskHandle[Any]:
        client = self._client()

        def work() -> Contact:
            from app.ews import contacts

            return contacts.get_contact(client, folder.mailbox, contact.item_id)

        return self._run(work, folder.mailbox, on_result, on_error, "Reading a contact")

    def group_members(self, folder: FolderRef | None, group: ContactGroup,
                      on_result: Callable[[ContactGroup], Any], on_error: OnError) -> TaskHandle[Any]:
        """A contact group with its members, or a directory group expanded (ExpandDL)."""
        client = self._client()

        def work() -> ContactGroup:
            from app.ews import contacts

            if group.source == "directory" or folder is None:
                members = contacts.expand_group(client, group.item_id)
                return ContactGroup(group.item_id, group.name, members, source="directory", members_loaded=True)
            return contacts.get_group(client, folder.mailbox, group.item_id)

        key = folder.mailbox if folder is not None and group.source != "directory" else None
        return self._run(work, key, on_result, on_error, f"Reading the members of {group.name}")

    def photo(self, folder: FolderRef, contact: Contact, on_result: Callable[[QImage | None], Any],
              on_error: OnError) -> TaskHandle[Any]:
        """The contact's picture, decoded in the worker (None when it has none or it cannot be decoded)."""
        client = self._client()

        def work() -> QImage | None:
            from app.ews import contacts

            data = contacts.photo(client, folder.mailbox, contact.item_id)
            return decode(data) if data else None

        return self._run(work, folder.mailbox, on_result, on_error, f"Reading the photo of {contact.name}")

    def directory_photo(self, address: str, on_result: Callable[[QImage | None], Any],
                        on_error: OnError) -> TaskHandle[Any]:
        """A directory person's photo (GetUserPhoto, 96 x 96), decoded in the worker; None when there is none.

        The answer is kept in :attr:`directory_photos`: a person already asked for is not asked again.
        """
        client = self._client()
        photos = self.directory_photos

        def work() -> QImage | None:
            from app.ews import user_photo

            known, image = photos.lookup(address)
            if not known:
                data = user_photo.user_photo(client, address, user_photo.DEFAULT_SIZE)
                image = decode(data) if data else None
                photos.remember(address, image)
            return image

        return self._run(work, None, on_result, on_error, f"Reading the directory photo of {address}")

    def check_photo(self, path: Path, on_result: Callable[[tuple[PhotoChange, QImage]], Any],
                    on_error: OnError) -> TaskHandle[Any]:
        """Read and check a picture file (size, type, decodable) off the GUI thread."""

        def work() -> tuple[PhotoChange, QImage]:
            change = read_photo(path)
            image = decode(change.data or b"")
            assert image is not None  # read_photo checked it decodes
            return change, image

        return self._run(work, None, on_result, on_error, f"Reading {path.name}")

    def search_directory(self, text: str, on_result: Callable[[tuple[list[Contact], list[ContactGroup]]], Any],
                         on_error: OnError) -> TaskHandle[Any]:
        """People and groups of the global address list (ResolveNames)."""
        client = self._client()

        def work() -> tuple[list[Contact], list[ContactGroup]]:
            from app.ews import contacts

            return contacts.search_directory(client, text)

        return self._run(work, None, on_result, on_error, f"Searching the directory for “{text}”")

    # -- changing ----------------------------------------------------------------------------------------------
    def save_contact(self, folder: FolderRef, contact: Contact, on_result: Callable[[Contact], Any],
                     on_error: OnError, photo: PhotoChange | None = None) -> TaskHandle[Any]:
        """Create (no ``item_id``) or update a contact; then set or remove its picture when ``photo`` says so."""
        client = self._client()

        def work() -> Contact:
            from dataclasses import replace

            from app.ews import contacts

            if contact.item_id:
                saved = contacts.update_contact(client, folder, contact)
            else:
                saved = contacts.create_contact(client, folder, contact)
            if photo is None:
                return saved
            contacts.set_photo(client, folder, saved.item_id, photo.data, photo.content_type)
            return replace(saved, has_photo=not photo.removes)

        return self._run(work, folder.mailbox, self._changed(folder, on_result), on_error,
                         f"Saving {contact.name}")

    def save_group(self, folder: FolderRef, group: ContactGroup, on_result: Callable[[ContactGroup], Any],
                   on_error: OnError) -> TaskHandle[Any]:
        client = self._client()

        def work() -> ContactGroup:
            from app.ews import contacts

            if group.item_id:
                return contacts.update_group(client, folder, group)
            return contacts.create_group(client, folder, group)

        return self._run(work, folder.mailbox, self._changed(folder, on_result), on_error, f"Saving {group.name}")

    def delete(self, folder: FolderRef, item_ids: list[str], on_result: Callable[[None], Any],
               on_error: OnError) -> TaskHandle[Any]:
        client = self._client()

        def work() -> None:
            from app.ews import contacts

            contacts.delete_items(client, folder, item_ids)

        return self._run(work, folder.mailbox, self._changed(folder, on_result), on_error, "Deleting contacts")

    # -- vCard -------------------------------------------------------------------------------------------------
    def import_vcards(self, folder: FolderRef, path: Path, on_result: Callable[[list[Contact]], Any],
                      on_error: OnError) -> TaskHandle[Any]:
        """Create every contact of a ``.vcf`` file in ``folder``, or none (see the module's docstring)."""
        client = self._client()

        def work() -> list[Contact]:
            from app.ews import contacts

            parsed = parse_vcards(read_vcard_file(path))  # the size is checked before the file is read
            return contacts.import_contacts(client, folder, parsed)

        def failed(text: str) -> None:
            on_error(f"Nothing was imported from {path.name}. {text}")

        return self._run(work, folder.mailbox, self._changed(folder, on_result), failed,
                         f"Importing {path.name}")

    def export_vcards(self, folder: FolderRef | None, items: Iterable[Contact], path: Path, version: str,
                      on_result: Callable[[int], Any], on_error: OnError) -> TaskHandle[Any]:
        """Write contacts to a ``.vcf`` file (their notes read first where not loaded yet)."""
        client = self._client()
        chosen = list(items)

        def work() -> int:
            from app.ews import contacts

            full = [c if c.notes_loaded or not c.item_id or folder is None
                    else contacts.get_contact(client, folder.mailbox, c.item_id) for c in chosen]
            path.write_text(export_vcards(full, version), encoding="utf-8", newline="")
            return len(full)

        return self._run(work, folder.mailbox if folder is not None else None, on_result, on_error,
                         f"Exporting to {path.name}")

    # -- internals ---------------------------------------------------------------------------------------------
    def _changed(self, folder: FolderRef, then: Callable[[Any], Any]) -> Callable[[Any], Any]:
        def done(result: Any) -> None:
            then(result)
            self.changed.emit(folder)

        return done

    def _run(self, work: Callable[[], Any], key: str | None, on_result: Callable[[Any], Any], on_error: OnError,
             description: str) -> TaskHandle[Any]:
        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                on_error(user_message(error))

        return self._runner.run(work, key=key, on_result=on_result, on_error=failed, description=description)

    def _from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_status.emit(text)


def recipients(people: Iterable[Person]) -> list[str]:
    """``Name <address>`` strings for a compose window's To field."""
    return [str(p) for p in people if p.address]
