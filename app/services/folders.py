"""Folder management: create, rename, move, delete and empty folders, their properties and permissions.

Every call runs on the mailbox's task queue (key = the mailbox address), after whatever the user did there before.
After a change the mailbox's folder tree is listed again (:meth:`MailboxService.open_mailbox` on the same queue),
so the sidebar shows the result as the server has it. Failures are worded by ``app.ews`` and reach the window
through :attr:`FolderService.failed`; successes through :attr:`FolderService.done`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from app.domain.errors import Cancelled, user_message
from app.domain.folders import FolderKind, FolderRef
from app.domain.permissions import FolderPermissions
from app.services.mailboxes import MailboxService
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

_CLASSES = {FolderKind.MAIL: "IPF.Note", FolderKind.CALENDAR: "IPF.Appointment", FolderKind.CONTACTS: "IPF.Contact",
            FolderKind.TASKS: "IPF.Task"}


class FolderService(QObject):
    """Changes folders and reads their properties, one task queue per mailbox.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient`` (called on the GUI thread).
        mailboxes: Lists a mailbox's folders again after a change (the sidebar follows its signals).
        parent: Qt parent.

    Signals:
        done(str): a change went through; the sentence says which ("Created “Escalations” in …").
        failed(str): a change or a read failed; the user-facing reason.
        created(FolderRef): a new folder exists (the window may select it once the sidebar shows it).
        permissions_saved(FolderRef): a folder's permission set was replaced.
        status(str): a passing message ("Exchange is busy; trying again in 2 s …").
    """

    done = Signal(str)
    failed = Signal(str)
    created = Signal(object)
    permissions_saved = Signal(object)
    status = Signal(str)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient], mailboxes: MailboxService,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._mailboxes = mailboxes
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)

    # -- changes -------------------------------------------------------------------------------------------------
    def create(self, parent: FolderRef, name: str, parent_place: str = "",
               kind: FolderKind = FolderKind.MAIL) -> TaskHandle[Any]:
        """Create folder ``name`` under ``parent`` (a folder, or ``msgfolderroot`` for the mailbox's top).

        ``kind`` is what the new folder holds (a calendar's subfolder is a calendar, as in Outlook).
        """
        where = parent_place or parent.mailbox

        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import folder_admin

            return folder_admin.create_folder(client, parent, name, parent_name=_last(parent_place),
                                              folder_class=_CLASSES.get(kind, "IPF.Note"), on_wait=on_wait)

        def ok(ref: FolderRef) -> None:
            self.created.emit(ref)
            self.done.emit(f"Created the folder “{name.strip()}” in {where}.")

        return self._change(parent.mailbox, work, ok, f"Creating the folder “{name}” in {where}")

    def rename(self, folder: FolderRef, old_name: str, name: str) -> TaskHandle[Any]:
        """Rename a folder."""
        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import folder_admin

            return folder_admin.rename_folder(client, folder, name, old_name=old_name, on_wait=on_wait)

        return self._change(folder.mailbox, work,
                            lambda _r: self.done.emit(f"Renamed “{old_name}” to “{name.strip()}”."),
                            f"Renaming the folder “{old_name}”")

    def move(self, folder: FolderRef, name: str, target: FolderRef, target_name: str) -> TaskHandle[Any]:
        """Move a folder under another one of the same mailbox (``msgfolderroot``: to the top)."""
        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import folder_admin

            return folder_admin.move_folder(client, folder, target, name=name, target_name=target_name,
                                            on_wait=on_wait)

        return self._change(folder.mailbox, work, lambda _r: self.done.emit(f"Moved “{name}” to {target_name}."),
                            f"Moving the folder “{name}”")

    def delete(self, folder: FolderRef, name: str, permanent: bool = False) -> TaskHandle[Any]:
        """Delete a folder with everything in it: to its mailbox's Deleted Items, or for good."""
        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import folder_admin

            return folder_admin.delete_folder(client, folder, permanent=permanent, name=name, on_wait=on_wait)

        told = (f"Deleted the folder “{name}” permanently." if permanent
                else f"Moved the folder “{name}” to Deleted Items.")
        return self._change(folder.mailbox, work, lambda _r: self.done.emit(told), f"Deleting the folder “{name}”")

    def empty(self, folder: FolderRef, name: str, permanent: bool) -> TaskHandle[Any]:
        """Empty a folder (Deleted Items: for good; Junk Email: to Deleted Items), subfolders included."""
        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import folder_admin

            return folder_admin.empty_folder(client, folder, permanent=permanent, name=name, on_wait=on_wait)

        return self._change(folder.mailbox, work, lambda _r: self.done.emit(f"Emptied {name}."),
                            f"Emptying {name}")

    def save_permissions(self, perms: FolderPermissions, name: str,
                         on_done: Callable[[], Any] | None = None,
                         on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Replace a folder's permission set; ``on_error`` gets the reason (else :attr:`failed` does)."""
        def work(client: EwsClient, on_wait: Callable[[str], None]) -> Any:
            from app.ews import permissions

            return permissions.write_permissions(client, perms)

        def ok(_result: object) -> None:
            self.permissions_saved.emit(perms.folder)
            self.done.emit(f"Saved who has access to {name}.")
            if on_done is not None:
                on_done()

        return self._change(perms.folder.mailbox, work, ok, f"Saving the permissions of {name}", on_error,
                            reload=False)

    # -- reads ---------------------------------------------------------------------------------------------------
    def properties(self, folder: FolderRef, calendar: bool, on_result: Callable[[Any], Any],
                   on_error: Callable[[str], Any]) -> TaskHandle[Any]:
        """Counts, size, rights and permissions of a folder (``app.ews.folder_admin.FolderProperties``)."""
        client = self._client()

        def work() -> Any:
            from app.ews import folder_admin

            return folder_admin.folder_properties(client, folder, calendar=calendar, on_wait=self._from_worker)

        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                on_error(user_message(error))

        return self._runner.run(work, key=folder.mailbox, on_result=on_result, on_error=failed,
                                description=f"Reading the properties of a folder of {folder.mailbox}")

    # -- internals -----------------------------------------------------------------------------------------------
    def _change(self, mailbox: str, work: Callable[[EwsClient, Callable[[str], None]], Any],
                ok: Callable[[Any], Any], description: str, on_error: Callable[[str], Any] | None = None,
                *, reload: bool = True) -> TaskHandle[Any]:
        client = self._client()

        def finished(result: Any) -> None:
            if reload and mailbox.casefold() in {a.casefold() for a in self._mailboxes.addresses()}:
                self._mailboxes.open_mailbox(mailbox)  # list its folders again, after the change (same queue)
            ok(result)

        def failed(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                return
            text = user_message(error)
            if on_error is not None:
                on_error(text)
            else:
                self.failed.emit(text)

        return self._runner.run(lambda: work(client, self._from_worker), key=mailbox, on_result=finished,
                                on_error=failed, description=description)

    def _from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
            self._worker_status.emit(text)


def _last(place: str) -> str:
    """ "Bugs" of "Customer Support › Inbox › Bugs"."""
    return place.rpartition(" › ")[2] if " › " in place else ""
