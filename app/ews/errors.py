"""Classify exchangelib errors once, into :mod:`app.domain.errors` with text fit for the screen."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager

import requests
from exchangelib import errors as ex

from app.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    ConnectionFailed,
    ItemGone,
    MailboxNotFound,
    MailroomError,
    SendDenied,
    ServerBusy,
    ServerError,
)

# requests' own errors reach us when exchangelib's fail-fast policy re-raises them.
_NETWORK_ERRORS = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)


def translate(error: BaseException, *, mailbox: str = "", server: str = "") -> MailroomError | None:
    """Map an exception raised by exchangelib (or requests under it) to a domain error.

    Args:
        error: The exception.
        mailbox: The mailbox address the call was about, for the message.
        server: The endpoint, for the message.

    Returns:
        The domain error, or ``None`` when ``error`` is not an EWS or network error (then it is a bug).
    """
    if isinstance(error, MailroomError):
        return error
    where = f" ({server})" if server else ""
    if tls_failure(error) is not None:
        return ConnectionFailed(f"The server{where} presented a TLS certificate this computer does not trust "
                                "(it may have changed). Sign in again to review it.")
    if _caused_by_network(error):
        return ConnectionFailed(f"Could not reach the server{where}. Check the address and the network.")
    what = mailbox or "the mailbox"
    if isinstance(error, ex.UnauthorizedError):
        return AuthenticationFailed(f"The server refused the user name or password for {what}.")
    if isinstance(error, ex.ErrorServerBusy):
        return ServerBusy(
            f"Exchange is busy and asked us to wait {error.back_off or 0:g} s. Try again shortly.",
            back_off_seconds=error.back_off,
        )
    if isinstance(error, ex.RateLimitError):
        return ServerBusy(f"Exchange kept throttling the requests for {what}; gave up after {error.wait:g} s")
    if isinstance(error, ex.ErrorAccessDenied | ex.ErrorImpersonateUserDenied):
        return AccessDenied(f"You have no access to {what}.")
    if isinstance(error, ex.ErrorNonExistentMailbox | ex.ErrorMailboxStoreUnavailable):
        return MailboxNotFound(f"There is no mailbox {what} on the server.")
    if isinstance(error, ex.ErrorSendAsDenied):
        return SendDenied(f"You may not send as {what}.")
    if isinstance(error, ex.ErrorFolderNotFound | ex.ErrorItemNotFound):
        return ItemGone(f"It no longer exists in {what}: it was deleted or moved elsewhere.")
    if isinstance(error, ex.ErrorIrresolvableConflict):
        return ServerError("It was changed by someone else meanwhile. Reload and try again.")
    if isinstance(error, ex.ResponseMessageError):
        return ServerError(f"Exchange answered with an error{where}: {type(error).__name__}: {error}")
    if isinstance(error, ex.CASError | ex.RedirectError):
        return ConnectionFailed(f"The server{where} redirected or refused the request: {error}")
    if isinstance(error, ex.TransportError | ex.EWSError):
        return ConnectionFailed(f"The server{where} did not answer as Exchange does: {error}")
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and its causes and contexts, each once."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        yield current
        seen.add(id(current))
        current = current.__cause__ or current.__context__


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
    return any(isinstance(current, _NETWORK_ERRORS) for current in _chain(error))


@contextmanager
def translated(*, mailbox: str = "", server: str = "") -> Iterator[None]:
    """Re-raise EWS and network errors inside the block as domain errors (the original as ``__cause__``).

    Args:
        mailbox: The mailbox address the block works on, for the message.
        server: The endpoint, for the message.
    """
    try:
        yield
    except MailroomError:
        raise
    except Exception as error:
        domain_error = translate(error, mailbox=mailbox, server=server)
        if domain_error is None:
            raise
        raise domain_error from error
