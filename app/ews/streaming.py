"""EWS streaming notifications: Subscribe (streaming) and one hanging GetStreamingEvents per group of mailboxes.

Exchange clients carry the subscriptions of several mailboxes on one hanging connection when the server allows
it: the subscriptions of one ``GetStreamingEvents`` must be for the same user and the same mailbox server
(Exchange Online allows a user 10 hanging connections). Affinity is kept as Microsoft documents it ("Maintain
affinity between a group of subscriptions and the Mailbox server"): every Subscribe of a group names the group's
anchor mailbox (the first of its addresses in alphabetical order) in ``X-AnchorMailbox`` with
``X-PreferServerAffinity: true``; the ``X-BackEndOverrideCookie`` cookie the first answer sets goes with every
later request of the group.

Notifications here are only news that a folder changed: what changed is read with SyncFolderItems
(:mod:`app.ews.sync`), so a missed event costs a resync, never a wrong list.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import requests
from exchangelib import errors as ex
from exchangelib.properties import Notification
from exchangelib.services.get_streaming_events import GetStreamingEvents
from exchangelib.services.subscribe import SubscribeToStreaming
from exchangelib.util import MNS, TNS, get_xml_attrs

from app.domain.errors import ConnectionFailed, MailroomError
from app.domain.folders import FolderRef
from app.ews.addressing import folder_id
from app.ews.client import EwsClient
from app.ews.errors import translated

MAX_SUBSCRIPTIONS_PER_CONNECTION = 200
"""Microsoft's limit of subscriptions in one affinity group (one hanging connection)."""
MAX_CONNECTIONS = 10
"""Exchange Online's HangingConnectionLimit per user (on-premises the default is lower; 10 is the ceiling)."""
COOKIE = "X-BackEndOverrideCookie"
EVENT_TYPES = ("NewMailEvent", "CreatedEvent", "DeletedEvent", "ModifiedEvent", "MovedEvent", "CopiedEvent")

# Answers that say "this server has no streaming notifications" (Exchange 2007 / 2010 RTM, other servers).
_REFUSALS = (ex.ErrorInvalidSubscriptionRequest, ex.ErrorInvalidRequest, ex.ErrorSchemaValidation,
             ex.ErrorInvalidServerVersion, ex.ErrorIncorrectSchemaVersion)
# Answers that say "these subscriptions are gone; subscribe again and resynchronise".
_LOST = (ex.ErrorSubscriptionNotFound, ex.ErrorInvalidSubscription, ex.ErrorMissedNotificationEvents,
         ex.ErrorReadEventsFailed, ex.ErrorProxyRequestNotAllowed, ex.ErrorSubscriptionAccessDenied)


class StreamingRefused(MailroomError):
    """The server does not offer streaming notifications (the caller polls instead)."""


class SubscriptionsLost(MailroomError):
    """Subscriptions are gone or missed events; subscribe again and resynchronise.

    Attributes:
        subscription_ids: The ids the server named (empty: all of the request).
        code: The EWS response code (``ErrorMissedNotificationEvents``, ``ErrorSubscriptionNotFound`` …).
    """

    def __init__(self, message: str, subscription_ids: Iterable[str] = (), code: str = "") -> None:
        super().__init__(message)
        self.subscription_ids = tuple(subscription_ids)
        self.code = code


@dataclass
class Affinity:
    """What keeps a group of subscriptions on one mailbox server.

    Attributes:
        anchor: The group's anchor mailbox (``X-AnchorMailbox`` of every request of the group).
        cookie: The ``X-BackEndOverrideCookie`` value the first Subscribe answered, once known.
    """

    anchor: str
    cookie: str = ""

    def headers(self) -> dict[str, str]:
        headers = {"X-AnchorMailbox": self.anchor, "X-PreferServerAffinity": "True"}
        if self.cookie:
            headers["Cookie"] = f"{COOKIE}={self.cookie}"
        return headers


@dataclass(frozen=True)
class FolderNews:
    """One notification: which folders of a subscription's mailbox changed.

    Attributes:
        subscription_id: The subscription it came on.
        folder_ids: EWS ids of the folders whose items or counts changed (parents of item events, folders of
            folder events).
        unread: Unread counts the server sent with folder ModifiedEvents, by folder id.
    """

    subscription_id: str
    folder_ids: frozenset[str]
    unread: dict[str, int] = field(default_factory=dict)


def group_mailboxes(addresses: Iterable[str], grouping: dict[str, str] | None = None) -> list[list[str]]:
    """Affinity groups: mailboxes with the same grouping value, at most 200 each, the anchor first.

    Args:
        addresses: The mailboxes to watch.
        grouping: Autodiscover's ``GroupingInformation`` (with the EWS URL) by address, when known; mailboxes
            without one share a group (they are reached through the same EWS endpoint by the same user).
    """
    by_key: dict[str, list[str]] = {}
    for address in sorted({a.casefold() for a in addresses}):
        by_key.setdefault((grouping or {}).get(address, ""), []).append(address)
    groups = []
    for members in by_key.values():
        for start in range(0, len(members), MAX_SUBSCRIPTIONS_PER_CONNECTION):
            groups.append(members[start:start + MAX_SUBSCRIPTIONS_PER_CONNECTION])
    return groups[:MAX_CONNECTIONS]


# WORKAROUND for exchangelib 5.6.0: Subscribe anchors on the account's own mailbox and keeps the affinity cookie
# per account in the shared session pool's cookie jar.
class _GroupSubscribe(SubscribeToStreaming):
    """exchangelib's ``X-AnchorMailbox`` is the subscribed mailbox itself, so the subscriptions of several
    mailboxes meant for one connection are routed to as many servers; and the ``X-BackEndOverrideCookie`` it reads
    lands in ``account.affinity_cookie`` (sent back as a header) while the cookie stays in a pooled session's jar,
    where it then rides along on unrelated requests. Here both belong to the group (:class:`Affinity`)."""

    def __init__(self, *args, affinity: Affinity, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.affinity = affinity

    def _extra_headers(self) -> dict[str, str]:
        headers = super()._extra_headers()
        headers.pop(COOKIE, None)
        headers.update(self.affinity.headers())
        return headers

    def _handle_response_cookies(self, session) -> None:
        for cookie in list(session.cookies):
            if cookie.name == COOKIE:
                self.affinity.cookie = cookie.value or ""
                session.cookies.clear(cookie.domain, cookie.path, cookie.name)


def subscribe(client: EwsClient, mailbox: str, folders: Iterable[FolderRef], affinity: Affinity) -> str:
    """Create a streaming subscription to ``folders`` (all in ``mailbox``) in the group of ``affinity``.

    Raises:
        StreamingRefused: The server has no streaming notifications.
        AccessDenied / ConnectionFailed / …: As every EWS call (:mod:`app.ews.errors`).
    """
    account = client.account(mailbox)
    fids = [folder_id(ref) for ref in folders]
    svc = _GroupSubscribe(account=account, affinity=affinity)
    try:
        with translated(mailbox=mailbox, server=client.ews_url):
            answers = list(svc.call(folders=fids, event_types=EVENT_TYPES))
            for answer in answers:
                if isinstance(answer, Exception):
                    raise answer
    except MailroomError as error:
        if isinstance(error.__cause__, _REFUSALS):
            raise StreamingRefused(f"The server offers no streaming notifications ({error.__cause__}).") from error
        raise
    return str(answers[0])


# WORKAROUND for exchangelib 5.6.0 (ecederstrand/exchangelib#1088, #906): GetStreamingEvents holds a pooled session.
class _HangingGetStreamingEvents(GetStreamingEvents):
    """exchangelib takes the hanging request's session from the protocol's pool and keeps it for the whole
    ConnectionTimeout (up to 30 minutes), so every other call of the user waits for a free connection (with a pool
    of one, calls made while streaming hang: #1088, #906); nothing can interrupt the blocked read from another
    thread; and an error answer names its subscriptions only inside the exception text, read as
    ``m:SubscriptionId`` where the schema has ``t:SubscriptionId`` (so the list is always empty). This one posts on
    the :class:`StreamConnection`'s own session (never the pool), lets :meth:`StreamConnection.close` shut its
    socket, and keeps the ids of ``m:ErrorSubscriptionIds``."""

    def __init__(self, *args, connection: StreamConnection, on_open: Callable[[], None] | None = None,
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.connection = connection
        self.error_ids: list[str] = []
        self.on_open = on_open

    def _extra_headers(self) -> dict[str, str]:
        headers = super()._extra_headers()
        headers.pop(COOKIE, None)
        headers.update(self.connection.affinity.headers())
        return headers

    def _get_response(self, payload, api_version):
        data = self.wrap(content=payload, api_version=api_version)
        response = self.connection.post(data, self._extra_headers(), self.timeout or self.protocol.TIMEOUT)
        self._streaming_session, self._streaming_response = None, response
        return response

    def stop_streaming(self) -> None:
        if self._streaming_response is not None:
            self._streaming_response.close()
            self._streaming_response = None

    def _get_element_container(self, message, name=None):
        ids_elem = message.find(f"{{{MNS}}}ErrorSubscriptionIds")
        if ids_elem is not None:
            self.error_ids = list(get_xml_attrs(ids_elem, f"{{{TNS}}}SubscriptionId"))
        container = super()._get_element_container(message=message, name=name)
        if self.on_open is not None and self.connection_status == self.OK:  # the server took every subscription
            on_open, self.on_open = self.on_open, None
            on_open()
        return container


class StreamConnection:
    """The hanging connection of one affinity group: its own HTTP session (not the pool's), closable any time.

    Args:
        client: The signed-in user's client (credentials, endpoint).
        affinity: The group's anchor and cookie.
    """

    def __init__(self, client: EwsClient, affinity: Affinity) -> None:
        self.client = client
        self.affinity = affinity
        self._lock = threading.Lock()
        self._session: requests.Session | None = None
        self._socket: socket.socket | None = None
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def post(self, data: bytes, headers: dict[str, str], timeout: float) -> requests.Response:
        """POST one request on the group's session, keeping the socket for :meth:`close`.

        Raises:
            ConnectionFailed: Closed, or the network failed.
        """
        with self._lock:
            if self._closed:
                raise ConnectionFailed("The streaming connection was closed.")
            if self._session is None:
                self._session = self.client.own.protocol.create_session()
            session = self._session
        try:
            response = session.post(self.client.ews_url, data=data, headers=headers, stream=True,
                                    timeout=timeout, allow_redirects=False)
        except requests.RequestException as error:
            self._forget_session()
            raise ConnectionFailed(f"The streaming connection failed: {error}") from error
        if response.status_code != 200 and "xml" not in response.headers.get("Content-Type", ""):
            response.close()
            self._forget_session()
            if response.status_code == 401:
                raise ex.UnauthorizedError(f"The server refused the credentials (HTTP {response.status_code}).")
            raise ConnectionFailed(f"The server answered HTTP {response.status_code} to GetStreamingEvents.")
        with self._lock:
            self._socket = _socket_of(response)
            if self._closed:
                self._shut()
        return response

    def events(self, subscription_ids: list[str], connection_timeout_min: int,
               on_open: Callable[[], None] | None = None) -> Iterator[FolderNews]:
        """One GetStreamingEvents: yields the news as it arrives; returns when the server says ``Closed``.

        ``on_open`` is called once the server has accepted every subscription (its first ``OK`` answer).

        Raises:
            SubscriptionsLost: Some subscriptions are gone or missed events.
            StreamingRefused: The server does not know GetStreamingEvents.
            ConnectionFailed: The connection dropped (or :meth:`close` was called).
        """
        account = self.client.own
        svc = _HangingGetStreamingEvents(account=account, connection=self, on_open=on_open)
        try:
            with translated(server=self.client.ews_url):
                for notification in svc.call(subscription_ids=subscription_ids,
                                             connection_timeout=connection_timeout_min):
                    if isinstance(notification, Exception):
                        raise notification
                    news = _news(notification)
                    if news is not None:
                        yield news
                if svc.connection_status != svc.CLOSED:  # the body ended without ConnectionStatus Closed
                    raise ConnectionFailed("The streaming connection ended early.")
        except MailroomError as error:
            cause = error.__cause__
            if isinstance(cause, _LOST):
                raise SubscriptionsLost(str(cause), svc.error_ids, type(cause).__name__) from error
            if isinstance(cause, _REFUSALS):
                raise StreamingRefused(f"The server offers no streaming notifications ({cause}).") from error
            if self._closed:
                raise ConnectionFailed("The streaming connection was closed.") from error
            raise
        except (requests.RequestException, OSError, ValueError) as error:  # a read cut short mid-body
            raise ConnectionFailed(f"The streaming connection dropped: {error}") from error
        finally:
            svc.stop_streaming()

    def close(self) -> None:
        """Stop: shut the socket (a blocked read returns at once) and the session. Any thread; idempotent."""
        with self._lock:
            self._closed = True
            self._shut()
            session, self._session = self._session, None
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()

    def _shut(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def _forget_session(self) -> None:
        with self._lock:
            session, self._session = self._session, None
            self._socket = None
        if session is not None:
            with contextlib.suppress(Exception):
                session.close()


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The TCP socket under a streamed response (urllib3 2: the connection stays on the response)."""
    connection = getattr(response.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _news(notification: Notification) -> FolderNews | None:
    folder_ids: set[str] = set()
    unread: dict[str, int] = {}
    for event in notification.events or []:
        kind = type(event).__name__
        if kind == "StatusEvent":
            continue
        for attr in ("parent_folder_id", "old_parent_folder_id"):
            ref = getattr(event, attr, None)
            if ref is not None and ref.id:
                folder_ids.add(ref.id)
        folder = getattr(event, "folder_id", None)
        if folder is not None and folder.id:
            folder_ids.add(folder.id)
            count = getattr(event, "unread_count", None)
            if count is not None:
                unread[folder.id] = int(count)
    if not folder_ids:
        return None
    return FolderNews(notification.subscription_id, frozenset(folder_ids), unread)
