"""One signed-in user's connection to Exchange: credentials, configuration and an Account per mailbox.

Every shared mailbox is opened as an exchangelib ``Account`` with DELEGATE access under the user's own
credentials; all of them share one ``Protocol`` (connection pool of :data:`MAX_CONNECTIONS`). Blocking: use
from worker threads only, one task queue per mailbox (``app.tasks``), so calls to one ``Account`` never overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from exchangelib import BASIC, DELEGATE, NTLM, Account, Build, Configuration, Credentials, FailFast, Version
from exchangelib.extended_properties import ExtendedProperty
from exchangelib.folders import Folder
from exchangelib.items import Message

from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews import exchanges, retry

T = TypeVar("T")
_AUTH = {AuthMethod.NTLM: NTLM, AuthMethod.BASIC: BASIC}
MAX_CONNECTIONS = 4
"""HTTP connections to the server, shared by every mailbox of the user.

exchangelib's default is one, which queues every mailbox, the background sync and the list's pages behind each
other (the first page of a folder waited 100-200 ms for a sync round trip to free the connection). The order of a
user's actions on a mailbox is kept by the per-mailbox task queues (:mod:`app.tasks`), not by the pool; Exchange
allows about 27 concurrent connections per user (EWSMaxConcurrency), four is polite."""


class FlagStatus(ExtendedProperty):
    """PR_FLAG_STATUS (0x1090): 0 none, 1 complete, 2 flagged.

    WORKAROUND for exchangelib 5.6.0: it has no ``item:Flag`` field.
    """

    property_tag = 0x1090
    property_type = "Integer"


class FolderSize(ExtendedProperty):
    """PR_MESSAGE_SIZE_EXTENDED (0x0E08): a folder's size in bytes."""

    property_tag = 0x0E08
    property_type = "Long"


_registered = threading.Lock()


def _register_extended_properties() -> None:
    with _registered:
        if "flag_status" not in Message.FIELDS:
            Message.register("flag_status", FlagStatus)
        if "size" not in Folder.FIELDS:
            Folder.register("size", FolderSize)


def _reentrant_pool_lock(protocol: object) -> None:
    """WORKAROUND for exchangelib 5.6.0 (protocol.py decrease_poolsize): a deadlock on ErrorServerBusy.

    On every busy answer exchangelib shrinks the session pool: ``decrease_poolsize`` takes ``_session_pool_lock``
    and then ``get_session()``; when every session is out with other threads, ``get_session`` calls
    ``increase_poolsize``, which takes the same (non-reentrant) lock again: the worker hangs for good. Seen with
    four mailboxes opening at once against a busy server. A reentrant lock lets that thread add the session and
    take it out again.
    """
    lock = getattr(protocol, "_session_pool_lock", None)
    if lock is not None and not isinstance(lock, type(threading.RLock())):
        protocol._session_pool_lock = threading.RLock()  # type: ignore[attr-defined]


class EwsClient:
    """The user's EWS connection.

    Args:
        ews_url: The EWS endpoint.
        username: Logon name (``alice@example.com`` or ``DOMAIN\\alice``).
        password: The password (kept only in memory).
        auth: NTLM or Basic.
        version: The server build when known (saves exchangelib's ConvertId probe).
        user: The signed-in user's mailbox, when known.
    """

    def __init__(self, ews_url: str, username: str, password: str, auth: AuthMethod,
                 version: ServerVersion | None = None, user: MailboxRef | None = None) -> None:
        _register_extended_properties()
        exchanges.install_recording()
        self.ews_url = ews_url
        self.auth = auth
        address = username.rpartition("\\")[2]
        self.user = user or MailboxRef(address)
        self._config = Configuration(
            service_endpoint=ews_url,
            credentials=Credentials(username, password),
            auth_type=_AUTH[auth],
            version=Version(build=Build(version.major, version.minor, version.major_build, version.minor_build))
            if version else None,
            # Never exchangelib's own retries: they would resend writes after a lost answer. `retrying` decides.
            retry_policy=FailFast(),
            max_connections=MAX_CONNECTIONS,
        )
        self._accounts: dict[str, Account] = {}
        self._lock = threading.Lock()
        self._connectivity = retry.Connectivity()
        self.retry_policy = retry.DEFAULT_POLICY

    @property
    def config(self) -> Configuration:
        return self._config

    def account(self, mailbox: str | None = None) -> Account:
        """The ``Account`` for a mailbox (the user's own by default), created once and cached."""
        address = (mailbox or self.user.address).casefold()
        with self._lock:
            acc = self._accounts.get(address)
            if acc is None:
                acc = Account(address, config=self._config, autodiscover=False, access_type=DELEGATE)
                _reentrant_pool_lock(acc.protocol)
                self._accounts[address] = acc
            return acc

    @property
    def own(self) -> Account:
        return self.account(self.user.address)

    @property
    def connectivity(self) -> retry.Connectivity:
        """Whether the server answered lately; subscribers hear when it answers again after a failure."""
        return self._connectivity

    def retrying(self, fn: Callable[[], T], *, mailbox: str = "", on_wait: Callable[[str], None] | None = None,
                 cancelled: Callable[[], bool] | None = None, feature: str = "") -> T:
        """Run ``fn``, translating errors; after a transient failure try again where that is safe.

        Reads are tried again after a dropped connection, an HTTP 5xx or a busy server; a write only when Exchange
        said it was busy (it then did nothing). See :mod:`app.ews.retry`.

        Args:
            fn: The blocking EWS work.
            mailbox: For error messages.
            on_wait: Told "Exchange is busy; trying again in 2 s …" before each wait.
            cancelled: Polled while waiting.
            feature: What the work is about in the user's words ("labels"), for an answer Mailroom cannot read.
        """
        return retry.call(fn, mailbox=mailbox, server=self.ews_url, feature=feature, on_wait=on_wait,
                          cancelled=cancelled, connectivity=self._connectivity, policy=self.retry_policy)

    def close(self) -> None:
        """Close the pooled connections (every Account of this client shares one Protocol)."""
        with self._lock:
            accounts = list(self._accounts.values())
        if accounts:
            accounts[0].protocol.close()

