"""The mailboxes in the sidebar: the user's own, the automapped ones, and those added by hand.

:class:`MailboxService` opens each mailbox on its own task queue (key = the mailbox address): a full-access
mailbox with :func:`app.ews.folders.list_folders`, one added by hand with :func:`app.ews.folders.probe_mailbox`,
which fails with a clear sentence when nothing in it is visible. It keeps the list in sidebar order; the
sidebar model follows its signals.

Only a definite answer takes a mailbox out of the list: no such mailbox, or no access (:attr:`mailbox_failed`
says why). Any other failure (the connection dropped, the server answered HTTP 500 or was busy even after the
retries of :mod:`app.ews.retry`, an answer Mailroom could not read) leaves it in the list, unavailable, with the
reason (:attr:`mailbox_unavailable`); :meth:`retry` tries again, and so does the service by itself: as soon as the
server answers again after a connection failure (:attr:`EwsClient.connectivity`), and after growing pauses
(:attr:`MailboxService.AUTO_RETRY_MS`) while it does not.

Wiring (the composition root)::

    mailboxes.mailboxes_changed.connect(sidebar.set_order)
    mailboxes.mailbox_opened.connect(sidebar.set_tree)
    mailboxes.mailbox_removed.connect(sidebar.remove_mailbox)
    mailboxes.mailbox_unavailable.connect(sidebar.set_unavailable)
    mailboxes.mailbox_retrying.connect(sidebar.set_retrying)
    mailboxes.counts_updated.connect(sidebar.update_counts)
"""

from __future__ import annotations

import contextlib
import enum
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain.errors import (
    AccessDenied,
    Cancelled,
    ConnectionFailed,
    MailboxNotFound,
    MailroomError,
    user_message,
)
from app.domain.mailbox import MailboxRef
from app.tasks import TaskHandle, TaskRunner, current_task

if TYPE_CHECKING:
    from app.ews.client import EwsClient


class MailboxOrigin(enum.IntEnum):
    """Why a mailbox is in the sidebar; also its rank there (own first, then automapped, then added)."""

    OWN = 0
    AUTOMAPPED = 1
    ADDED = 2


@dataclass
class OpenMailbox:
    """A mailbox in the list.

    Attributes:
        mailbox: Address and display name.
        origin: Own, automapped or added by hand.
        tree: Its folders once opened (a ``MailboxTree``), None while opening.
        handle: The task opening or refreshing it.
        error: Why it could not be opened (it is then unavailable), or "".
        retry_later: The failure may pass by itself (connection, busy server): try again automatically.
    """

    mailbox: MailboxRef
    origin: MailboxOrigin
    tree: Any = None
    handle: TaskHandle[Any] | None = None
    error: str = ""
    retry_later: bool = False

    @property
    def key(self) -> str:
        return self.mailbox.key


class MailboxService(QObject):
    """Opens mailboxes, keeps them in sidebar order, refreshes their folder counts.

    Args:
        runner: The task runner; each mailbox's work is queued under its address.
        client_provider: Returns the signed-in user's ``EwsClient`` (called on the GUI thread).
        parent: Qt parent.

    Signals:
        mailbox_opened(MailboxTree): a mailbox's folders arrived (again, after a refresh that changed folders).
        mailbox_failed(str, str): address, user-facing reason: the server said there is no such mailbox or no
            access; the mailbox left the list.
        mailbox_unavailable(MailboxRef, str): the mailbox could not be opened for now (reason in plain words); it
            stays in the list and is tried again by :meth:`retry` or automatically.
        mailbox_retrying(str): an unavailable mailbox is being tried again (address).
        mailbox_removed(str): address of a mailbox taken out of the list.
        mailboxes_changed(list): the addresses in sidebar order (own, automapped, added), opening or open.
        counts_updated(FolderRef, int, int): a folder's total and unread counts changed.
        status(str): a passing message for the status bar ("Exchange is busy; trying again in 2 s …").
    """

    mailbox_opened = Signal(object)
    mailbox_failed = Signal(str, str)
    mailbox_unavailable = Signal(object, str)
    mailbox_retrying = Signal(str)
    mailbox_removed = Signal(str)
    mailboxes_changed = Signal(list)
    counts_updated = Signal(object, int, int)
    status = Signal(str)
    # Internal: status text from worker threads, re-emitted on the GUI thread.
    _worker_status = Signal(str)
    # Internal: the server answers again after a connection failure (from a worker thread).
    _connection_back = Signal()

    AUTO_RETRY_MS = (2_000, 5_000, 15_000, 30_000, 60_000)
    """Pauses before trying unavailable mailboxes again by themselves (the last one repeats), each +-20 %."""

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._list: list[OpenMailbox] = []
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)
        self._connection_back.connect(self._retry_unavailable, Qt.ConnectionType.QueuedConnection)
        self._watched: Any = None  # the client whose connectivity we follow
        self._auto_retries = 0  # automatic rounds since the last success
        self._auto_timer = QTimer(self)
        self._auto_timer.setSingleShot(True)
        self._auto_timer.timeout.connect(self._retry_unavailable)

    # -- queries -------------------------------------------------------------------------------------------
    def entries(self) -> list[OpenMailbox]:
        """Every mailbox in the list (opening or open), in sidebar order."""
        return list(self._list)

    def addresses(self) -> list[str]:
        """Addresses in sidebar order."""
        return [e.mailbox.address for e in self._list]

    def mailboxes(self) -> list[MailboxRef]:
        """The mailboxes that are open (their folders arrived), in sidebar order."""
        return [e.mailbox for e in self._list if e.tree is not None]

    def tree(self, address: str) -> Any:
        """The MailboxTree of an open mailbox, or None."""
        entry = self._find(address)
        return entry.tree if entry is not None else None

    def unavailable(self) -> dict[str, str]:
        """Address -> reason of each mailbox in the list that could not be opened (yet)."""
        return {e.mailbox.address: e.error for e in self._list if e.error}

    def is_loading(self, address: str | None = None) -> bool:
        """True while a mailbox (or any, for None) is opening or refreshing."""
        entries = self._list if address is None else [e for e in self._list if e.key == address.casefold()]
        return any(e.handle is not None for e in entries)

    # -- opening and closing -------------------------------------------------------------------------------
    def open_all(self, automapped: Iterable[MailboxRef | str] = (), added: Iterable[str] = (),
                 hidden: Iterable[str] = ()) -> None:
        """Open the user's own mailbox, then the automapped ones, then those added by hand.

        Args:
            automapped: From autodiscover's AlternateMailboxes.
            added: Remembered for the account ("Open shared mailbox…").
            hidden: Automapped mailboxes the user removed from the sidebar.
        """
        skip = {h.casefold() for h in hidden}
        own = self._client().user
        self.open_mailbox(own.address, MailboxOrigin.OWN, display_name=own.display_name)
        for mb in automapped:
            ref = mb if isinstance(mb, MailboxRef) else MailboxRef(mb)
            if ref.key not in skip:
                self.open_mailbox(ref.address, MailboxOrigin.AUTOMAPPED, display_name=ref.display_name)
        for address in added:
            self.open_mailbox(address, MailboxOrigin.ADDED)

    def open_mailbox(self, address: str, origin: MailboxOrigin = MailboxOrigin.ADDED,
                     display_name: str = "") -> TaskHandle[Any]:
        """Open a mailbox (or reload one already open) on its queue.

        Own and automapped mailboxes are listed with ``list_folders``; one added by hand is probed with
        ``probe_mailbox`` (MailboxNotFound / AccessDenied when nothing is visible -> :attr:`mailbox_failed`).
        """
        address = address.strip()
        self._watch_connectivity()
        entry = self._find(address)
        if entry is None:
            entry = OpenMailbox(MailboxRef(address, display_name), origin)
            rank = sum(1 for e in self._list if e.origin <= origin)
            self._list.insert(rank, entry)
            self.mailboxes_changed.emit(self.addresses())
        elif origin < entry.origin:
            entry.origin = origin
        if entry.handle is not None:
            entry.handle.cancel()
        entry.handle = self._run_listing(entry, lambda tree: self._on_opened(entry, handle, tree),
                                         lambda error: self._on_failed(entry, handle, error),
                                         f"Opening {address}")
        handle = entry.handle
        if entry.error:
            self.mailbox_retrying.emit(entry.mailbox.address)
        return handle

    def retry(self, address: str) -> TaskHandle[Any] | None:
        """Try again to open a mailbox that could not be opened (None when it is not unavailable or opening)."""
        entry = self._find(address)
        if entry is None or not entry.error or entry.handle is not None:
            return None
        return self.open_mailbox(entry.mailbox.address, entry.origin, entry.mailbox.display_name)

    def remove_mailbox(self, address: str) -> None:
        """Take a mailbox out of the list (its running work is cancelled); emits :attr:`mailbox_removed`."""
        entry = self._find(address)
        if entry is None:
            return
        if entry.handle is not None:
            entry.handle.cancel()
        self._list.remove(entry)
        self.mailboxes_changed.emit(self.addresses())
        self.mailbox_removed.emit(entry.mailbox.address)

    def refresh_counts(self, mailbox: str) -> TaskHandle[Any] | None:
        """List a mailbox's folders again; emit :attr:`counts_updated` for each folder whose counts changed.

        When folders appeared or went, :attr:`mailbox_opened` is emitted with the new tree instead.
        Does nothing (returns None) for a mailbox not open or already refreshing.
        """
        entry = self._find(mailbox)
        if entry is None or entry.tree is None or entry.handle is not None:
            return None
        handle: TaskHandle[Any] | None = None

        def on_error(error: BaseException) -> None:
            if entry.handle is handle:
                entry.handle = None
            if not isinstance(error, Cancelled):
                self.status.emit(f"Could not refresh {entry.mailbox.display_name}: {user_message(error)}")

        handle = self._run_listing(entry, lambda tree: self._on_refreshed(entry, handle, tree), on_error,
                                   f"Refreshing the folders of {mailbox}")
        entry.handle = handle
        return handle

    def shutdown(self) -> None:
        """Cancel running work (call before the task runner shuts down)."""
        self._auto_timer.stop()
        if self._watched is not None:
            self._watched.connectivity.unsubscribe(self._on_connection_back)
            self._watched = None
        for entry in self._list:
            if entry.handle is not None:
                entry.handle.cancel()
                entry.handle = None

    # -- internals -----------------------------------------------------------------------------------------
    def _run_listing(self, entry: OpenMailbox, on_result: Callable[[Any], Any],
                     on_error: Callable[[BaseException], Any], description: str) -> TaskHandle[Any]:
        client = self._client()
        ref = entry.mailbox
        address = ref.address
        by_probe = entry.origin == MailboxOrigin.ADDED and entry.tree is None

        def work() -> Any:
            from app.ews import folders  # lazy: exchangelib is slow to import

            task = current_task()

            def listing() -> Any:
                if by_probe:
                    return folders.probe_mailbox(client, address)
                # A known display name saves the ResolveNames round trip.
                return folders.list_folders(client, ref if ref.display_name != address else address)

            # app.ews retries a busy server quietly; this outer retry is what shows "Exchange is busy" when
            # that was not enough.
            return client.retrying(listing, mailbox=address, on_wait=self._status_from_worker,
                                   cancelled=task.is_cancelled if task is not None else None)

        return self._runner.run(work, key=address, on_result=on_result, on_error=on_error,
                                description=description)

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
            self._worker_status.emit(text)

    def _on_opened(self, entry: OpenMailbox, handle: TaskHandle[Any] | None, tree: Any) -> None:
        if entry.handle is not handle or entry not in self._list:
            return
        entry.handle = None
        entry.tree = tree
        entry.mailbox = tree.mailbox
        entry.error, entry.retry_later = "", False
        if not any(e.retry_later for e in self._list):
            self._auto_retries = 0
            self._auto_timer.stop()
        self.mailbox_opened.emit(tree)

    def _on_failed(self, entry: OpenMailbox, handle: TaskHandle[Any] | None, error: BaseException) -> None:
        if entry.handle is not handle or entry not in self._list:
            return
        entry.handle = None
        if isinstance(error, Cancelled):
            return
        reason = user_message(error)
        if isinstance(error, MailboxNotFound | AccessDenied):  # a definite answer: it leaves the list, saying why
            if entry.tree is None:
                self._list.remove(entry)
                self.mailboxes_changed.emit(self.addresses())
            self.mailbox_failed.emit(entry.mailbox.address, reason)
            return
        if entry.tree is not None:  # open already (a reload failed): it keeps its folders
            self.status.emit(f"Could not reload {entry.mailbox.display_name}: {reason}")
            return
        entry.error = reason
        entry.retry_later = isinstance(error, ConnectionFailed) or (
            isinstance(error, MailroomError) and error.transient)
        self.mailbox_unavailable.emit(entry.mailbox, reason)
        if entry.retry_later:
            self._schedule_auto_retry()

    # -- trying unavailable mailboxes again ----------------------------------------------------------------
    def _watch_connectivity(self) -> None:
        """Follow the current client's connectivity (a new sign-in brings a new client)."""
        try:
            client = self._client()
        except RuntimeError:  # not signed in
            return
        if client is self._watched:
            return
        if self._watched is not None:
            self._watched.connectivity.unsubscribe(self._on_connection_back)
        self._watched = client
        client.connectivity.subscribe(self._on_connection_back)

    def _on_connection_back(self) -> None:
        """Runs on a worker thread: the server answers again."""
        with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
            self._connection_back.emit()

    def _schedule_auto_retry(self) -> None:
        if self._auto_timer.isActive():
            return
        pause = self.AUTO_RETRY_MS[min(self._auto_retries, len(self.AUTO_RETRY_MS) - 1)]
        self._auto_timer.start(int(pause * random.uniform(0.8, 1.2)))

    def _retry_unavailable(self) -> None:
        """Open again every unavailable mailbox whose failure may have passed."""
        waiting = [e for e in self._list if e.error and e.retry_later and e.handle is None]
        if not waiting:
            return
        self._auto_timer.stop()
        self._auto_retries += 1
        for entry in waiting:
            self.open_mailbox(entry.mailbox.address, entry.origin, entry.mailbox.display_name)

    def _on_refreshed(self, entry: OpenMailbox, handle: TaskHandle[Any] | None, tree: Any) -> None:
        if entry.handle is not handle or entry not in self._list:
            return
        entry.handle = None
        self.apply_tree(tree)

    def apply_tree(self, tree: Any) -> None:
        """Take a freshly listed tree of an open mailbox (e.g. from the mail service after new mail).

        Emits :attr:`counts_updated` for each folder whose counts changed, or :attr:`mailbox_opened` when
        folders appeared or went. A tree of a mailbox not in the list is ignored.
        """
        entry = self._find(tree.mailbox.address)
        if entry is None or entry.tree is None:
            return
        old = {n.ref.key: n for n in entry.tree.folders}
        entry.tree = tree
        if set(old) != {n.ref.key for n in tree.folders}:
            self.mailbox_opened.emit(tree)
            return
        for node in tree.folders:
            before = old[node.ref.key]
            if (before.total, before.unread) != (node.total, node.unread):
                self.counts_updated.emit(node.ref, node.total, node.unread)

    def mailbox_ref(self, address: str) -> MailboxRef:
        """The mailbox with its display name when known, else just the address."""
        entry = self._find(address)
        return entry.mailbox if entry is not None else MailboxRef(address)

    def _find(self, address: str) -> OpenMailbox | None:
        key = address.strip().casefold()
        return next((e for e in self._list if e.key == key), None)
