"""Small reads the main window needs besides the mail list: master categories and attachment content.

Both run on the mailbox's task queue. Master category lists are cached per mailbox for the session (they
change rarely; :meth:`LookupService.forget_categories` drops the cache, e.g. on Refresh). A list the user may not
read is cached as such (:class:`~app.domain.categories.MasterList` ``readable`` False, with the user's own list),
so that menus can say so and still offer the categories in use instead of "no categories".
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from app.domain.categories import Category, MasterList
from app.domain.errors import Cancelled, user_message
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient


class LookupService(QObject):
    """Master categories and attachment bytes.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient``.
        parent: Qt parent.

    Signals:
        categories_loaded(str, list): mailbox address, its master categories (also when served from the cache;
            empty for a list that could not be read: :meth:`master_list` says so).
        status(str): a passing message (busy server).
    """

    categories_loaded = Signal(str, list)
    status = Signal(str)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._categories: dict[str, MasterList] = {}
        self._loading: set[str] = set()
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)

    def categories(self, mailbox: str) -> list[Category] | None:
        """The cached master list of a mailbox, or None when not loaded yet ([] also when it could not be read)."""
        master = self._categories.get(mailbox.casefold())
        return list(master.categories) if master is not None else None

    def master_list(self, mailbox: str) -> MasterList | None:
        """What is known of a mailbox's master list (whether it could be read), or None when not loaded yet."""
        return self._categories.get(mailbox.casefold())

    def load_categories(self, mailbox: str) -> None:
        """Load a mailbox's master category list (once); :attr:`categories_loaded` follows."""
        key = mailbox.casefold()
        if key in self._categories:
            self.categories_loaded.emit(mailbox, list(self._categories[key].categories))
            return
        if key in self._loading:
            return
        self._loading.add(key)
        client = self._client()

        def work() -> MasterList:
            from app.ews import categories

            return categories.master_list(client, mailbox, on_wait=self._status_from_worker)

        def on_result(found: MasterList) -> None:
            self._loading.discard(key)
            self._categories[key] = found
            self.categories_loaded.emit(mailbox, list(found.categories))

        def on_error(error: BaseException) -> None:
            self._loading.discard(key)
            if not isinstance(error, Cancelled):
                # Categories are a nicety: the list still works without colours.
                self.status.emit(f"Could not read the categories of {mailbox}: {user_message(error)}")

        self._runner.run(work, key=mailbox, on_result=on_result, on_error=on_error,
                         description=f"Reading the categories of {mailbox}")

    def forget_categories(self, mailbox: str | None = None) -> None:
        """Drop the cached list of a mailbox (all mailboxes for None)."""
        if mailbox is None:
            self._categories.clear()
        else:
            self._categories.pop(mailbox.casefold(), None)

    def attachment_content(self, mailbox: str, item_id: str, attachment_id: str,
                           on_result: Callable[[bytes], Any], on_error: Callable[[str], Any]) -> TaskHandle[bytes]:
        """The bytes of one attachment (for Save as… and inline images)."""
        client = self._client()

        def work() -> bytes:
            from app.ews import messages

            return messages.attachment_content(client, mailbox, item_id, attachment_id,
                                               on_wait=self._status_from_worker)

        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                on_error(f"Could not fetch the attachment: {user_message(error)}")

        return self._runner.run(work, key=mailbox, on_result=on_result, on_error=failed,
                                description=f"Fetching an attachment in {mailbox}")

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_status.emit(text)
