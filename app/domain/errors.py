"""Errors the user can act on, each with a sentence fit for the screen.

Modelled on qutebrowser's split between known environment errors and bugs: a :class:`MailroomError` is
something that happens in the world (wrong password, server down) and is shown as is; anything else is a
bug and is shown as such by :func:`user_message`.
"""

from __future__ import annotations


class MailroomError(Exception):
    """A known, user-facing failure. ``str(error)`` is the text to show.

    Attributes:
        transient: True when the same request may well go through if sent again shortly (a dropped connection,
            an HTTP 5xx, a busy server); ``app.ews`` retries idempotent reads on such errors.
    """

    transient: bool = False


class AuthenticationFailed(MailroomError):
    """The server refused the user name or password."""


class ConnectionFailed(MailroomError):
    """The server could not be reached or answered with something that is not EWS."""


class ConnectionLost(ConnectionFailed):
    """The connection broke during an exchange (dropped, reset, timed out): the server may or may not have acted."""

    transient = True


class ServerUnavailable(ConnectionFailed):
    """The server answered with an HTTP error (5xx) instead of EWS: a passing outage, or a proxy in the way."""

    transient = True


class ServerBusy(MailroomError):
    """Exchange is throttling us.

    Attributes:
        back_off_seconds: How long the server asked us to wait, if it said.
    """

    transient = True

    def __init__(self, message: str, back_off_seconds: float | None = None) -> None:
        super().__init__(message)
        self.back_off_seconds = back_off_seconds


class AccessDenied(MailroomError):
    """The user has no right to do this to this mailbox, folder or item."""


class MailboxNotFound(MailroomError):
    """No mailbox with that address exists on the server."""


class ServerError(MailroomError):
    """Exchange answered with an error we have no better words for."""


class CertificateUntrusted(ConnectionFailed):
    """The server's TLS certificate is not trusted by this computer.

    The user may trust exactly this certificate for this server (compare the fingerprint with the one the
    administrator gives); verification is never switched off.

    Attributes:
        subject: The certificate's subject, e.g. ``CN=mail.example.com``.
        fingerprint_sha256: SHA-256 of the DER certificate, upper-case hex pairs joined by colons.
        host: ``host`` or ``host:port`` of the server that presented it.
    """

    def __init__(self, subject: str, fingerprint_sha256: str, host: str, message: str = "") -> None:
        super().__init__(message or (
            f"The certificate of {host} is not trusted by this computer. Subject: {subject}. "
            f"SHA-256 fingerprint: {fingerprint_sha256}. Trust it only if your administrator confirms this "
            "fingerprint."))
        self.subject = subject
        self.fingerprint_sha256 = fingerprint_sha256
        self.host = host


class UnsupportedAuthentication(AuthenticationFailed):
    """The server offers no sign-in method Mailroom can use (e.g. only OAuth)."""


class InvalidAddress(MailroomError):
    """What the user typed is not an e-mail address or a server name Mailroom can use."""


class SendDenied(AccessDenied):
    """Exchange refused to send from that address (``ErrorSendAsDenied``).

    Attributes:
        draft: The message as kept on the server's Drafts (an ``app.domain.messages.Draft`` with its server
            ids; set by ``app.ews.compose.send``), or None.
    """

    draft: object | None = None


class UnexpectedAnswer(ServerError):
    """The server answered in a shape Mailroom could not read (not a bug of Mailroom, not Exchange's usual answer).

    The detail (traceback, a summary of the exchange) is in the log; the user is told which feature is affected.

    Attributes:
        feature: What the answer was about, in words for the user ("labels", "the folder list"), or "".
        mailbox: The mailbox it was about, or "".
    """

    def __init__(self, feature: str = "", mailbox: str = "", message: str = "") -> None:
        where = f" for {mailbox}" if mailbox else ""
        if not message and feature:
            verb = "are" if feature.endswith("s") else "is"
            message = f"The server's answer about {feature} could not be read; {feature} {verb} unavailable{where}."
        super().__init__(message or f"The server answered in a way Mailroom could not use{where}.")
        self.feature = feature
        self.mailbox = mailbox


class ItemGone(ServerError):
    """The item or folder no longer exists (deleted or moved by someone else)."""


class OutcomeUnknown(ConnectionFailed):
    """A write reached the server, or may have, but its answer was lost (connection dropped, timeout, HTTP 5xx).

    Whether it was carried out is not known from the error: ask the server before doing it again.
    """


class Cancelled(MailroomError):
    """The work was cancelled before it finished (the user closed the view, or the app is quitting)."""


class NoSecureStore(MailroomError):
    """No system keyring is available, so passwords cannot be stored safely (never stored in plain text)."""


class PasswordMissing(MailroomError):
    """No password is stored for this account."""


def user_message(error: BaseException) -> str:
    """Return the text to show the user for ``error``.

    Args:
        error: Any exception that reached the GUI.

    Returns:
        The error's own sentence for a :class:`MailroomError`, else a sentence saying this is a bug.
    """
    if isinstance(error, MailroomError):
        return str(error)
    return f"Unexpected error (this is a bug in Mailroom): {type(error).__name__}: {error}"


class ValueTooLong(MailroomError):
    """A value is longer than Exchange takes for that field (e.g. a contact's name); nothing was sent."""


class AutodiscoverUnavailable(ConnectionFailed):
    """The server answered, but offers no Autodiscover (neither SOAP nor POX): the full EWS address is needed.

    Attributes:
        ews_url: The EWS address to suggest (``https://host/EWS/Exchange.asmx`` on the server the user named).
    """

    def __init__(self, message: str, ews_url: str) -> None:
        super().__init__(message)
        self.ews_url = ews_url
