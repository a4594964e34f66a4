"""Sign-in: find the server, choose the authentication, prove the password, learn the automapped mailboxes.

Steps (each reported through ``progress``; ``cancelled`` is checked between them):

1. Autodiscover (:mod:`app.ews.discovery`) at the given server, else at the standard URLs for the address's domain;
   where SOAP Autodiscover fails, POX Autodiscover on the same hosts (:mod:`app.ews.pox_discovery`), as Outlook.
   With a full EWS URL it is only asked for the display name and the automapped mailboxes, and may fail.
2. For AUTO, one unauthenticated POST to the EWS URL: the 401's ``WWW-Authenticate`` offers NTLM and/or Basic.
3. One GetFolder of the user's Inbox proves the password; the display name comes from Autodiscover (else one
   ResolveNames).

TLS: certificates are verified by the system's trust store. When that fails, :class:`CertificateUntrusted` carries
the server certificate's subject and SHA-256 fingerprint; the user may trust exactly that certificate for that
host and port (``SignInRequest.trusted_fingerprint``): its PEM is saved under the user data folder and requests to
that host are verified against it alone (:class:`PinningHTTPAdapter`). Verification is never switched off.

The password is kept in memory only and never logged.
"""

from __future__ import annotations

import contextlib
import enum
import hashlib
import logging
import re
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import platformdirs
import requests
from cryptography import x509
from exchangelib.protocol import BaseProtocol, Protocol

from app.domain.errors import (
    AuthenticationFailed,
    AutodiscoverUnavailable,
    Cancelled,
    CertificateUntrusted,
    ConnectionFailed,
    MailboxNotFound,
    MailroomError,
    ServerBusy,
    UnsupportedAuthentication,
)
from app.domain.folders import FolderNode
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews.client import EwsClient
from app.ews.directory import display_name
from app.ews.discovery import EWS_PATH, Endpoints, UserSettings, domain_of, endpoints_for, get_user_settings
from app.ews.errors import tls_failure
from app.ews.exchanges import RecordingHTTPAdapter
from app.ews.folders import open_inbox
from app.ews.pox_discovery import get_pox_settings

T = TypeVar("T")
APP_NAME = "Mailroom"
_log = logging.getLogger(__name__)
PROBE_TIMEOUT = 15  # seconds, for the unauthenticated probe and for reading a certificate


class AuthChoice(enum.Enum):
    """What the user picked in the sign-in window."""

    AUTO = "auto"  # what the server's 401 offers: NTLM, else Basic
    NTLM = "ntlm"
    BASIC = "basic"


@dataclass(frozen=True)
class SignInRequest:
    """What the user typed.

    Attributes:
        address: The user's e-mail address.
        password: The password (never shown in ``repr``, never logged).
        server: "" (Autodiscover for the address's domain), a host name, or the full EWS URL.
        auth: Authentication choice.
        trusted_fingerprint: The SHA-256 fingerprint of a certificate the user chose to trust (several may be
            given, separated by commas, when Autodiscover and EWS are on hosts with different certificates). A
            certificate with that fingerprint is trusted on the host that presents it, and only there.
        username: The logon name when it is not the address (``EXAMPLE\\alice``), else "".
    """

    address: str
    password: str = field(repr=False)
    server: str = ""
    auth: AuthChoice = AuthChoice.AUTO
    trusted_fingerprint: str = ""
    username: str = ""


@dataclass
class SignInResult:
    """A signed-in user.

    Attributes:
        client: The connection (close it when done).
        user: The user's own mailbox with their display name.
        ews_url: The EWS endpoint in use.
        version: The server build (from the responses' ServerVersionInfo).
        automapped: Shared mailboxes Exchange automaps for the user (Autodiscover ``AlternateMailboxes``).
        auth: The authentication that worked (remember it to skip the probe next time).
        inbox: The user's Inbox as sign-in read it.
    """

    client: EwsClient
    user: MailboxRef
    ews_url: str
    version: ServerVersion
    automapped: list[MailboxRef]
    auth: AuthMethod
    inbox: FolderNode


def sign_in(req: SignInRequest, progress: Callable[[str], None], cancelled: Callable[[], bool]) -> SignInResult:
    """Sign the user in (blocking; run it in a worker).

    Args:
        req: What the user typed.
        progress: Told each step in plain words ("Looking up the server for example.com…").
        cancelled: Polled between steps and while waiting for a busy server.

    Raises:
        InvalidAddress: The address or server is not usable.
        AuthenticationFailed: Wrong user name or password (UnsupportedAuthentication: only OAuth on offer).
        MailboxNotFound: Autodiscover knows no such user.
        CertificateUntrusted: The server's certificate is not trusted (the user may trust it explicitly).
        ConnectionFailed: Server unreachable, or not Exchange (AutodiscoverUnavailable: it answered, but offers
            no Autodiscover; the message suggests the full EWS address).
        ServerBusy: Exchange kept throttling.
        Cancelled: ``cancelled()`` said so.
    """
    install_certificate_pinning()
    install_log_redaction()
    address = req.address.strip()
    domain = domain_of(address)
    endpoints = endpoints_for(address, req.server)
    username = req.username.strip() or address
    trust = _Trust(req.trusted_fingerprint)

    def step(message: str) -> None:
        if cancelled():
            raise Cancelled("Sign-in was cancelled.")
        progress(message)

    step(f"Looking up the server for {domain}…")
    settings = _discover(req, endpoints, address, username, trust, step)
    ews_url = endpoints.ews_url or (settings.ews_url if settings else "")
    if not ews_url:
        raise ConnectionFailed(f"The server for {domain} did not say where Exchange Web Services are. "
                               "Enter the full EWS address (https://…/EWS/Exchange.asmx) as the server.")
    step(f"Signing in as {address}…")
    auth = trust.run(ews_url, lambda: _negotiate(ews_url)) if req.auth is AuthChoice.AUTO else _METHODS[req.auth]
    client = EwsClient(ews_url, username, req.password, auth,
                       version=settings.server_version if settings else None,
                       user=MailboxRef(address, settings.display_name if settings else ""))
    try:
        step("Opening your mailbox…")
        inbox = trust.run(ews_url, lambda: open_inbox(client, on_wait=progress, cancelled=cancelled))
        if cancelled():
            raise Cancelled("Sign-in was cancelled.")
        if not (settings and settings.display_name):
            client.user = MailboxRef(address, display_name(client, address))
        build = client.own.version.build
        version = ServerVersion(build.major_version, build.minor_version, build.major_build or 0,
                                build.minor_build or 0)
        automapped = [m for m in (settings.alternate_mailboxes if settings else []) if m.key != client.user.key]
        step(_found(len(automapped)))
        return SignInResult(client, client.user, ews_url, version, automapped, auth, inbox)
    except BaseException:
        _discard(client)
        raise


_METHODS = {AuthChoice.NTLM: AuthMethod.NTLM, AuthChoice.BASIC: AuthMethod.BASIC}


def _found(count: int) -> str:
    if count == 0:
        return "No shared mailboxes found"
    return f"Found {count} shared mailbox" + ("" if count == 1 else "es")


def _discover(req: SignInRequest, endpoints: Endpoints, address: str, username: str, trust: _Trust,
              step: Callable[[str], None]) -> UserSettings | None:
    """Ask the Autodiscover endpoints in turn, SOAP first, then POX as Outlook does; the first answer wins.

    With a full EWS URL the answer is optional (None when no endpoint answers). Otherwise a wrong password,
    an unknown user, a busy server or a cancel ends the search at once; an unreachable endpoint, one without
    Autodiscover or one with an untrusted certificate lets the next one try.
    """
    optional = bool(endpoints.ews_url)
    failures: list[MailroomError] = []
    attempts = [(url, get_user_settings, "") for url in endpoints.autodiscover]
    attempts += [(url, get_pox_settings, " (Outlook Autodiscover)") for url in endpoints.pox]
    for url, get_settings, kind in attempts:
        if failures:
            step(f"Trying {urlsplit(url).netloc}{kind}…")
        try:
            def ask(url: str = url, get_settings: _SettingsCall = get_settings) -> UserSettings:
                auth = _negotiate(url) if req.auth is AuthChoice.AUTO else _METHODS[req.auth]
                return get_settings(url, address, username, req.password, auth)

            return trust.run(url, ask)
        except Cancelled:
            raise
        except (AuthenticationFailed, MailboxNotFound, ServerBusy):
            if optional:
                return None
            raise
        except (CertificateUntrusted, ConnectionFailed) as error:
            _log.info("Autodiscover at %s failed: %s", url, error)
            failures.append(error)
    if optional:
        return None
    untrusted = next((f for f in failures if isinstance(f, CertificateUntrusted)), None)
    if untrusted is not None:
        raise untrusted
    if req.server.strip():
        if all(_unreachable(f) for f in failures):
            raise failures[-1]
        # The server answered, but no Autodiscover there: many EWS servers have none. Say what to type instead.
        base = urlsplit(endpoints.autodiscover[0])
        ews_url = f"{base.scheme}://{base.netloc}{EWS_PATH}"
        raise AutodiscoverUnavailable(f"{base.netloc} did not answer the automatic lookup (Autodiscover). Enter "
                                      f"the full Exchange Web Services address as the server, for example "
                                      f"{ews_url}, and try again.", ews_url)
    domain = domain_of(address)
    raise ConnectionFailed(f"Could not find the Exchange server for {domain} automatically. Enter the server name "
                           f"(for example mail.{domain}) or the full EWS address, and try again.")


_SettingsCall = Callable[[str, str, str, str, AuthMethod], UserSettings]
_NETWORK_ERRORS = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError)


def _unreachable(error: BaseException) -> bool:
    """True when the server could not be reached at all (no HTTP answer), as opposed to answering without
    Autodiscover."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, _NETWORK_ERRORS):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _negotiate(url: str) -> AuthMethod:
    """One unauthenticated POST; pick from the 401's ``WWW-Authenticate`` offers: NTLM (or Negotiate), else Basic.

    Raises:
        UnsupportedAuthentication: Only OAuth (Bearer) or other unsupported schemes are offered.
        ConnectionFailed: Unreachable, or the answer is not an Exchange 401.
    """
    where = urlsplit(url).netloc
    session = BaseProtocol.raw_session(url)
    try:
        response = session.post(url, data=b"", headers={"Content-Type": "text/xml; charset=utf-8"},
                                timeout=PROBE_TIMEOUT, allow_redirects=False)
    except requests.exceptions.RequestException as error:
        if tls_failure(error) is not None:
            raise
        raise ConnectionFailed(f"Could not reach {where}. Check the server name and your network connection.") \
            from error
    finally:
        session.close()
    with response:
        if response.status_code != 401:
            if response.is_redirect:
                raise ConnectionFailed(f"{url} redirects to {response.headers.get('Location', '?')}. "
                                       "Enter that address as the server.")
            raise ConnectionFailed(f"{where} answered HTTP {response.status_code} at {urlsplit(url).path} without "
                                   "asking to sign in: this does not look like Exchange. Check the server name.")
        return choose_auth(response.raw.headers.getlist("WWW-Authenticate"), where)


def choose_auth(challenges: list[str], where: str) -> AuthMethod:
    """The method to use for a 401's ``WWW-Authenticate`` values: NTLM (also for Negotiate), else Basic.

    Args:
        challenges: The header values (one header may hold several challenges).
        where: The server, for the message.

    Raises:
        UnsupportedAuthentication: Only OAuth ("Bearer") or other schemes Mailroom cannot use are offered.
    """
    schemes = offered_schemes(challenges)
    if schemes & {"ntlm", "negotiate"}:
        return AuthMethod.NTLM
    if "basic" in schemes:
        return AuthMethod.BASIC
    if not schemes:
        raise UnsupportedAuthentication(f"{where} refused the request without offering a way to sign in.")
    if schemes == {"bearer"}:
        raise UnsupportedAuthentication(
            f"{where} accepts only OAuth (modern authentication), and Mailroom is not configured for OAuth. "
            "Ask your administrator to allow NTLM or Basic sign-in for Exchange Web Services.")
    raise UnsupportedAuthentication(f"{where} offers only {', '.join(sorted(schemes))} sign-in, which Mailroom "
                                    "does not support (it signs in with NTLM or Basic).")


def offered_schemes(challenges: list[str]) -> set[str]:
    """Authentication schemes in ``WWW-Authenticate`` values (lower case), e.g. ``{"ntlm", "basic"}``.

    One header may hold several comma-separated challenges; parameters (``realm="x"``, ``error="…"``) are skipped.
    """
    schemes = set()
    for value in challenges:
        for piece in value.split(","):
            token = piece.strip().split(" ", 1)[0]
            if token and "=" not in token and '"' not in token:
                schemes.add(token.lower())
    return schemes


class RedactCredentials(logging.Filter):
    """Blanks ``Authorization`` header values in exchangelib's debug logs (they carry Basic passwords in base64).

    exchangelib logs every request's headers at DEBUG (util.py post_ratelimited, transport.py).
    """

    _HEADER = re.compile(r"""((?:proxy-)?authorization['"]?\s*[:=]\s*['"]?)[^'",}\r\n]+""", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self._HEADER.sub(r"\1<redacted>", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_REDACTED_LOGGERS = ("exchangelib.util", "exchangelib.transport", "exchangelib.protocol", "requests_ntlm")


def install_log_redaction() -> None:
    """Keep credentials out of exchangelib's logs, whatever the log level (idempotent)."""
    for name in _REDACTED_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactCredentials) for f in logger.filters):
            logger.addFilter(RedactCredentials())


def _discard(client: EwsClient) -> None:
    """Close the connections of a failed sign-in and drop exchangelib's cached Protocol (it holds the password)."""
    with contextlib.suppress(Exception):
        client.close()
    with contextlib.suppress(KeyError):
        del Protocol[client.config]


# -- TLS: explicitly trusted certificates -------------------------------------------------------------------------
@dataclass(frozen=True)
class ServerCertificate:
    """A server's certificate as read from the TLS handshake (not verified)."""

    host: str
    port: int
    pem: str
    subject: str
    fingerprint_sha256: str  # "AB:CD:…"

    @property
    def label(self) -> str:
        return self.host if self.port == 443 else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class _Pin:
    path: Path
    fingerprint: str
    context: ssl.SSLContext


_pins: dict[tuple[str, int], _Pin] = {}
_pins_lock = threading.Lock()


def _host_port(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    return parts.hostname.lower(), parts.port or 443


def pinned_certificate(url: str) -> Path | None:
    """The PEM file of the certificate trusted for the host and port of ``url``, if the user trusted one."""
    key = _host_port(url)
    pin = _pins.get(key) if key else None
    return pin.path if pin else None


class PinningHTTPAdapter(RecordingHTTPAdapter):
    """exchangelib's HTTP adapter (``BaseProtocol.HTTP_ADAPTER_CLS``), verifying pinned hosts against their pin.

    It records each request's operation as its base does (:mod:`app.ews.exchanges`, for the retry policy).

    For a host the user trusted explicitly, the chain is verified against that one certificate only (as the sole
    trust anchor) and the presented certificate must have the pinned SHA-256 fingerprint; every other host is
    verified as requests always does.
    """

    def build_connection_pool_key_attributes(self, request: Any, verify: Any, cert: Any = None) -> Any:
        key = _host_port(request.url or "")
        pin = _pins.get(key) if key else None
        if pin is None:
            return super().build_connection_pool_key_attributes(request, verify, cert)
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, str(pin.path), cert)
        pool_kwargs["ssl_context"] = pin.context
        pool_kwargs["assert_fingerprint"] = pin.fingerprint
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        pinned = pinned_certificate(url)
        super().cert_verify(conn, url, str(pinned) if pinned else verify, cert)


def install_certificate_pinning() -> None:
    """Make every exchangelib connection honour the user's trusted certificates (idempotent)."""
    if not issubclass(BaseProtocol.HTTP_ADAPTER_CLS, PinningHTTPAdapter):
        BaseProtocol.HTTP_ADAPTER_CLS = PinningHTTPAdapter


def fetch_certificate(url: str) -> ServerCertificate:
    """Read the certificate the server at ``url`` presents (without trusting it), for the user to judge.

    Raises:
        ConnectionFailed: The server cannot be reached over TLS.
    """
    key = _host_port(url)
    if key is None:
        raise ConnectionFailed(f"{url} does not use TLS.")
    host, port = key
    try:
        pem = ssl.get_server_certificate((host, port), timeout=PROBE_TIMEOUT)
    except (OSError, ValueError) as error:
        raise ConnectionFailed(f"Could not read the certificate of {host}:{port}: {error}") from error
    der = ssl.PEM_cert_to_DER_cert(pem)
    subject = x509.load_der_x509_certificate(der).subject.rfc4514_string() or "(no subject)"
    return ServerCertificate(host, port, pem, subject, _colons(hashlib.sha256(der).hexdigest()))


def trust_certificate(certificate: ServerCertificate, fingerprint: str) -> Path:
    """Trust ``certificate`` for its host and port, after checking it has the fingerprint the user accepted.

    Returns:
        Where its PEM is kept (``<user data>/certs/<host>_<port>.pem``).

    Raises:
        CertificateUntrusted: The fingerprints differ.
    """
    if _bare(certificate.fingerprint_sha256) not in fingerprints(fingerprint):
        raise CertificateUntrusted(certificate.subject, certificate.fingerprint_sha256, certificate.label)
    path = _cert_path(certificate.host, certificate.port)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(certificate.pem, encoding="ascii")
    _pin(certificate.host, certificate.port, path, certificate.fingerprint_sha256)
    return path


def forget_certificate(url: str) -> None:
    """Stop trusting the certificate trusted for ``url``'s host and port, and delete its saved copy."""
    key = _host_port(url)
    if key is None:
        return
    with _pins_lock:
        _pins.pop(key, None)
    _cert_path(*key).unlink(missing_ok=True)


def _pin(host: str, port: int, path: Path, fingerprint: str) -> None:
    context = ssl.create_default_context(cafile=str(path))  # this certificate is the only trust anchor
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # it may be a CA-issued leaf, not a root
    context.check_hostname = False  # the fingerprint, checked on every connection, binds it to this host
    with _pins_lock:
        _pins[(host, port)] = _Pin(path, fingerprint, context)


def _load_saved(url: str, accepted: frozenset[str]) -> None:
    """Pin a certificate saved earlier for ``url``'s host, if it still has a fingerprint the user trusted."""
    key = _host_port(url)
    if key is None or (key in _pins and _bare(_pins[key].fingerprint) in accepted):
        return
    path = _cert_path(*key)
    try:
        der = ssl.PEM_cert_to_DER_cert(path.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return
    if hashlib.sha256(der).hexdigest() in accepted:
        _pin(*key, path, _colons(hashlib.sha256(der).hexdigest()))


def _is_pinned(certificate: ServerCertificate) -> bool:
    pin = _pins.get((certificate.host, certificate.port))
    return pin is not None and _bare(pin.fingerprint) == _bare(certificate.fingerprint_sha256)


def _cert_path(host: str, port: int) -> Path:
    safe = re.sub(r"[^a-z0-9.-]", "_", host.lower())
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "certs" / f"{safe}_{port}.pem"


def fingerprints(text: str) -> frozenset[str]:
    """The SHA-256 fingerprints in ``text`` as bare lower-case hex.

    ``text`` holds one or several fingerprints in any common notation (``AB:CD:…``, ``abcd…``, ``AB CD …``),
    several separated by commas; anything that is not a whole number of fingerprints yields none.
    """
    digits = _bare(text)
    if not digits or len(digits) % 64:
        return frozenset()
    return frozenset(digits[i:i + 64] for i in range(0, len(digits), 64))


def _bare(fingerprint: str) -> str:
    return re.sub(r"[^0-9a-f]", "", fingerprint.lower())


def _colons(hex_digest: str) -> str:
    digest = hex_digest.upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


class _Trust:
    """Runs a step; on an untrusted certificate, trusts it if it is the one the user accepted, else says so."""

    def __init__(self, trusted: str) -> None:
        self.trusted = trusted
        self.accepted = fingerprints(trusted)

    def run(self, url: str, fn: Callable[[], T]) -> T:
        if self.accepted:
            _load_saved(url, self.accepted)
        for attempt in range(2):
            try:
                return fn()
            except Exception as error:
                if tls_failure(error) is None:
                    raise
                certificate = fetch_certificate(url)
                accepted = _bare(certificate.fingerprint_sha256) in self.accepted
                if accepted and attempt == 0 and not _is_pinned(certificate):
                    trust_certificate(certificate, self.trusted)
                    continue
                if accepted:
                    raise ConnectionFailed(
                        f"The certificate of {certificate.label} is the one you trusted, but it does not verify: "
                        f"{tls_failure(error)}") from error
                raise CertificateUntrusted(certificate.subject, certificate.fingerprint_sha256,
                                           certificate.label) from error
        raise AssertionError("unreachable")
