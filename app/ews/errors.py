"""Classify exchangelib errors once, into :mod:`app.domain.errors` with text fit for the screen.

The one error-to-message map. Every sentence here is plain language written by us: exchangelib's own text (HTTP
status lines, response headers, HTML error pages, SOAP fault strings) never reaches the user. That detail is
logged once, where the error is translated (:func:`translated`), and the log's handlers redact it.
"""

from __future__ import annotations

import http.client
import logging
import re
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import requests
import urllib3.exceptions
from exchangelib import errors as ex

from app.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    Cancelled,
    ConnectionFailed,
    ConnectionLost,
    ItemGone,
    MailboxNotFound,
    MailroomError,
    SendDenied,
    ServerBusy,
    ServerError,
    ServerUnavailable,
    UnexpectedAnswer,
)
from app.ews import exchanges

log = logging.getLogger(__name__)

# requests' own errors reach us when exchangelib's fail-fast policy re-raises them.
_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)
# Nothing answered at all (the request never reached a server); anything else in _NETWORK_ERRORS broke mid-way.
_UNREACHABLE = (
    ConnectionRefusedError,
    socket.gaierror,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.ConnectTimeoutError,
    requests.exceptions.ConnectTimeout,
)
_LOST = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, TimeoutError,
         urllib3.exceptions.ProtocolError, urllib3.exceptions.ReadTimeoutError, requests.exceptions.ReadTimeout,
         requests.exceptions.ChunkedEncodingError)
# Exchange's own codes for "a temporary problem on our side, try again".
_TRANSIENT_CODES = (ex.ErrorMailboxStoreUnavailable, ex.ErrorMailboxMoveInProgress, ex.ErrorInternalServerTransientError,
                    ex.ErrorConnectionFailedTransientError, ex.ErrorInternalServerError, ex.ErrorTimeoutExpired)
# WORKAROUND for exchangelib 5.6.0: a non-EWS HTTP answer becomes MalformedResponseError("Unknown failure in
# response. Code: 500 headers: … content: …") (protocol.py raise_response_errors); only the text has the status.
_HTTP_STATUS = re.compile(r"\bCode: (\d{3})\b")
LOG_DETAIL_CHARS = 2000
_PACKAGES_OF_ANSWERS = ("exchangelib", "lxml", "isodate", "base64", "binascii", "xml")
_FEATURES = {
    "GetUserConfiguration": "labels", "GetFolder": "the folder list", "FindFolder": "the folder list",
    "SyncFolderHierarchy": "the folder list", "FindItem": "the message list", "SyncFolderItems": "the message list",
    "GetItem": "messages", "GetAttachment": "attachments", "GetInboxRules": "rules", "ResolveNames": "names",
    "ExpandDL": "contact groups", "GetUserAvailability": "free/busy times", "GetRoomLists": "rooms",
    "GetRooms": "rooms", "GetUserPhoto": "photos", "GetUserSettings": "the account settings",
}


def translate(error: BaseException, *, mailbox: str = "", server: str = "", feature: str = "") -> MailroomError | None:
    """Map an exception raised by exchangelib (or requests under it) to a domain error.

    Args:
        error: The exception.
        mailbox: The mailbox address the call was about, for the message.
        server: The endpoint, for the message.
        feature: What the call was about in the user's words, for an answer that could not be read.

    Returns:
        The domain error, or ``None`` when ``error`` is not an EWS or network error (then it is a bug, unless
        :func:`translated` sees it came from reading a server's answer).
    """
    if isinstance(error, MailroomError):
        return error
    where = f" ({server})" if server else ""
    what = mailbox or "the mailbox"
    if tls_failure(error) is not None:
        return ConnectionFailed(f"The server{where} presented a TLS certificate this computer does not trust "
                                "(it may have changed). Sign in again to review it.")
    if _caused_by_network(error):
        if _in_chain(error, _UNREACHABLE) or not _in_chain(error, _LOST):
            return ConnectionFailed(f"Could not reach the server{where}. Check the address and the network.")
        return ConnectionLost(f"The connection to the server{where} was interrupted before it answered.")
    if isinstance(error, ex.UnauthorizedError):
        return AuthenticationFailed(f"The server refused the user name or password for {what}.")
    if relabelled_busy(error):
        return ConnectionLost(f"The connection to the server{where} was interrupted before it answered.")
    if isinstance(error, ex.ErrorServerBusy):
        return ServerBusy(
            f"Exchange is busy and asked us to wait {error.back_off or 0:g} s. Try again shortly.",
            back_off_seconds=error.back_off,
        )
    if isinstance(error, ex.RateLimitError):
        return ServerBusy(f"Exchange kept throttling the requests for {what}; Mailroom gave up after {error.wait:g} s.")
    if isinstance(error, ex.ErrorAccessDenied | ex.ErrorImpersonateUserDenied):
        return AccessDenied(f"You have no access to {what}.")
    if isinstance(error, ex.ErrorNonExistentMailbox):
        return MailboxNotFound(f"There is no mailbox {what} on the server.")
    if isinstance(error, ex.ErrorSendAsDenied):
        return SendDenied(f"You may not send as {what}.")
    if isinstance(error, ex.ErrorFolderNotFound | ex.ErrorItemNotFound):
        return ItemGone(f"It no longer exists in {what}: it was deleted or moved elsewhere.")
    if isinstance(error, ex.ErrorIrresolvableConflict):
        return ServerError("It was changed by someone else meanwhile. Reload and try again.")
    if isinstance(error, ex.ErrorQuotaExceeded):
        return ServerError(f"{what[:1].upper()}{what[1:]} is full: Exchange refused to store more in it.")
    if isinstance(error, _TRANSIENT_CODES):
        return ServerUnavailable(f"Exchange{where} had a temporary problem with {what}. Try again shortly.")
    if isinstance(error, ex.ResponseMessageError):
        return ServerError(f"Exchange{where} refused the request for {what} (reason code {type(error).__name__}).")
    if isinstance(error, ex.CASError):
        return ServerUnavailable(f"The server's front end{where} could not pass the request on to Exchange.")
    if isinstance(error, ex.RedirectError):
        return ConnectionFailed(f"The server{where} sent the request elsewhere. Enter the server's own EWS address "
                                "(https://…/EWS/Exchange.asmx) and sign in again.")
    if isinstance(error, ex.MalformedResponseError):
        status = _http_status(error)
        if status is not None and 500 <= status < 600:
            return ServerUnavailable(f"The server{where} had an internal error and gave no Exchange answer "
                                     f"(status {status}). Try again shortly.")
        if status is not None:
            return ConnectionFailed(f"The server{where} refused the request without an Exchange answer "
                                    f"(status {status}).")
        return UnexpectedAnswer(_feature_of(feature), mailbox)
    if isinstance(error, ex.TransportError | ex.EWSError):
        return ConnectionFailed(f"The server{where} did not answer as Exchange does.")
    return None


def _http_status(error: BaseException) -> int | None:
    found = _HTTP_STATUS.search(str(error))
    return int(found.group(1)) if found else None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes and contexts, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


def _in_chain(error: BaseException, kinds: tuple[type[BaseException], ...]) -> bool:
    return any(isinstance(current, kinds) for current in _chain(error))


def relabelled_busy(error: BaseException) -> bool:
    """True when ``error`` (or a cause of it) is an ``ErrorServerBusy`` exchangelib made up, not Exchange's answer.

    WORKAROUND for exchangelib 5.6.0: a lost connection, a timeout or an answer carrying "Connection: close" is
    re-raised as ``ErrorServerBusy`` ("Reraised from ...", services/common.py; "Caused by closed connection",
    protocol.py). Exchange's own ``ErrorServerBusy`` refuses a request before acting on it, so a write may go again
    after it; after these the request may well have been carried out, so only reads may.
    """
    return any(isinstance(current, ex.ErrorServerBusy) and str(current).startswith(("Reraised from", "Caused by"))
               for current in _chain(error))


def tls_failure(error: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification error behind ``error`` (anywhere in its chain of causes), or None.

    requests raises ``requests.exceptions.SSLError`` (a ``ConnectionError``) with the ``ssl`` error as its root
    cause; exchangelib re-raises it wrapped (see :func:`_caused_by_network`), so only the chain tells an untrusted
    certificate from a refused connection or a failed handshake.
    """
    for current in _chain(error):
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
    return None


def _caused_by_network(error: BaseException) -> bool:
    """True if a network error is anywhere in the chain of causes.

    WORKAROUND for exchangelib 5.6.0: a refused connection is re-raised as ``ErrorTimeoutExpired`` (a response
    error, util.py post_ratelimited) and, during the version probe, wrapped once more in a ``TransportError``
    ("No valid version headers found"); only the implicit exception context keeps the real cause.
    """
    return _in_chain(error, _NETWORK_ERRORS)


def _raised_reading_an_answer(error: BaseException) -> bool:
    """True when ``error`` was raised in exchangelib's (or a parser's) code after the server had answered.

    That is an answer in a shape exchangelib cannot take (a ``ValueError`` deep in its parsing), not a bug of
    ours; an error raised in our own code, or before any answer came, stays a bug.
    """
    record = exchanges.current()
    if record is not None and not record.answered:
        return False
    tb = error.__traceback__
    module = ""
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        tb = tb.tb_next
    return module.split(".", 1)[0] in _PACKAGES_OF_ANSWERS


def _feature_of(feature: str) -> str:
    if feature:
        return feature
    record = exchanges.current()
    operation = record.last_operation if record is not None else ""
    return _FEATURES.get(operation, "")


_deferred = threading.local()


@contextmanager
def logging_deferred() -> Iterator[None]:
    """Inside the block :func:`translated` does not log: the caller logs the final outcome (:func:`log_failure`).

    The retry policy uses it so that a failure tried again several times is logged once, when it is given up.
    """
    outer = getattr(_deferred, "on", False)
    _deferred.on = True
    try:
        yield
    finally:
        _deferred.on = outer


def log_failure(domain_error: MailroomError, mailbox: str = "",
                record: exchanges.ExchangeRecord | None = None) -> None:
    """Log the technical detail of a translated error once (its ``__cause__``; the handlers redact it)."""
    error = domain_error.__cause__
    if error is None or isinstance(domain_error, Cancelled):
        return
    record = record if record is not None else exchanges.current()
    summary = record.summary() if record is not None else "no record of the exchange"
    detail = f"{type(error).__module__}.{type(error).__name__}: {error}"[:LOG_DETAIL_CHARS]
    if isinstance(domain_error, UnexpectedAnswer):
        log.error("Unusable answer from the server about %s for %s (%s): %s", domain_error.feature,
                  mailbox or "the server", summary, detail, exc_info=error)
    elif isinstance(domain_error, ConnectionFailed) or domain_error.transient:
        log.warning("No usable answer for %s (%s): %s", mailbox or "the server", summary, detail)
    else:
        log.info("Exchange refused a request for %s (%s): %s", mailbox or "the server", summary, detail)


@contextmanager
def translated(*, mailbox: str = "", server: str = "", feature: str = "") -> Iterator[None]:
    """Re-raise EWS and network errors inside the block as domain errors (the original as ``__cause__``).

    An exception that is not an EWS error but was raised while exchangelib read the server's answer becomes
    :class:`UnexpectedAnswer` for ``feature`` (else the feature of the last operation sent); any other exception
    is a bug and is re-raised as it is. Each translated error is logged once with its detail.

    Args:
        mailbox: The mailbox address the block works on, for the message.
        server: The endpoint, for the message.
        feature: What the block is about in the user's words ("labels"), for an unusable answer.
    """
    try:
        yield
    except MailroomError:
        raise
    except Exception as error:
        domain_error = translate(error, mailbox=mailbox, server=server, feature=feature)
        if domain_error is None and _raised_reading_an_answer(error):
            domain_error = UnexpectedAnswer(_feature_of(feature), mailbox)
        if domain_error is None:
            raise
        domain_error.__cause__ = error
        if not getattr(_deferred, "on", False):
            log_failure(domain_error, mailbox)
        raise domain_error from error
