"""Authentication for the emulator's HTTP front end: Basic, NTLM and Bearer.

Like IIS in front of Exchange:

- An unauthenticated request gets ``401`` with ``WWW-Authenticate: NTLM`` and
  ``WWW-Authenticate: Basic realm="..."``.
- Basic is checked on every request. Logon names ``alice@example.com``, ``EXAMPLE\\alice``
  and ``alice`` are mapped through ``Backend.resolve_logon``; only accounts the backend
  lets log on pass ``Backend.check_password`` (shared, room and group mailboxes never do).
- NTLM authenticates the TCP connection: after a successful handshake, later requests on
  the same connection without an ``Authorization`` header run as the same principal.
- Bearer tokens come from :mod:`ews_emulator.tokens`; an unknown or expired token gets
  ``401`` with ``WWW-Authenticate: Bearer error="invalid_token"``.

Passwords and tokens are never logged.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from ews_emulator.backend import Backend
from ews_emulator.ntlm import NtlmAcceptor, NtlmAccount, NtlmError, NtlmUserFile, accounts_for, message_type
from ews_emulator.tokens import TokenStore

log = logging.getLogger(__name__)


@dataclass
class ConnectionAuth:
    """Authentication state of one TCP connection (NTLM binds a principal to it)."""

    ntlm: NtlmAcceptor | None = None
    principal: str | None = None


@dataclass(frozen=True)
class AuthResult:
    """The outcome for one request: a principal, or the ``WWW-Authenticate`` values of a 401."""

    principal: str | None
    challenges: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.principal is not None


class Authenticator:
    """Checks the ``Authorization`` header of each request against the Backend's accounts."""

    def __init__(self, backend: Backend, tokens: TokenStore, realm: str) -> None:
        self.backend = backend
        self.tokens = tokens
        self.realm = realm
        self._ntlm_accounts: dict[tuple[str, str], NtlmAccount] = {}
        self._ntlm_handle: int | None = None

    def start(self) -> None:
        """Publish the backend's logon accounts to the process-wide NTLM user file."""
        accounts = accounts_for(self.backend.logon_accounts())
        self._ntlm_accounts = {}
        for account in accounts:
            self._ntlm_accounts.setdefault(account.key, account)
        self._ntlm_handle = NtlmUserFile.register(accounts)

    def close(self) -> None:
        """Withdraw this emulator's accounts from the NTLM user file."""
        if self._ntlm_handle is not None:
            NtlmUserFile.unregister(self._ntlm_handle)
            self._ntlm_handle = None

    def default_challenges(self) -> list[str]:
        return ["NTLM", f'Basic realm="{self.realm}"']

    def check_password(self, name: str, password: str) -> str | None:
        """The primary SMTP address for a logon name and password, or None."""
        address = self.backend.resolve_logon(name)
        if address is None:
            return None
        return self.backend.check_password(address, password)

    def authenticate(self, headers: Mapping[str, str], conn: ConnectionAuth) -> AuthResult:
        """Authenticate one request on a connection.

        Args:
            headers: The request headers (case-insensitive mapping).
            conn: The connection's state; NTLM updates it.

        Returns:
            The principal, or the challenges for a 401 answer.
        """
        header = headers.get("Authorization")
        if not header:
            if conn.principal is not None:
                return AuthResult(conn.principal)
            return AuthResult(None, self.default_challenges())
        scheme, _, param = header.strip().partition(" ")
        scheme = scheme.lower()
        param = param.strip()
        if scheme == "basic":
            return self._basic(param)
        if scheme == "bearer":
            principal = self.tokens.principal_for(param)
            if principal is None:
                log.info("Rejected an unknown or expired bearer token")
                return AuthResult(None, ['Bearer error="invalid_token"'])
            return AuthResult(principal)
        if scheme in ("ntlm", "negotiate"):
            return self._ntlm(scheme, param, conn)
        return AuthResult(None, self.default_challenges())

    def _basic(self, param: str) -> AuthResult:
        try:
            raw = base64.b64decode(param, validate=True)
        except (binascii.Error, ValueError):
            return AuthResult(None, self.default_challenges())
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        name, sep, password = text.partition(":")
        principal = self.check_password(name, password) if sep else None
        if principal is None:
            log.info("Basic authentication failed for %r", name)
            return AuthResult(None, self.default_challenges())
        return AuthResult(principal)

    def _ntlm(self, scheme: str, param: str, conn: ConnectionAuth) -> AuthResult:
        try:
            token = base64.b64decode(param, validate=True)
        except (binascii.Error, ValueError):
            token = b""
        kind = message_type(token)
        label = "Negotiate" if scheme == "negotiate" else "NTLM"
        if kind == 1:
            conn.principal = None
            conn.ntlm = None
            try:
                acceptor = NtlmAcceptor()
                challenge = acceptor.challenge(token)
            except NtlmError as exc:
                log.info("NTLM negotiate failed: %s", exc)
                return AuthResult(None, self.default_challenges())
            conn.ntlm = acceptor
            return AuthResult(None, [f"{label} {base64.b64encode(challenge).decode()}"])
        if kind == 3 and conn.ntlm is not None:
            acceptor, conn.ntlm = conn.ntlm, None
            try:
                domain, user = acceptor.authenticate(token)
            except NtlmError as exc:
                log.info("NTLM authentication failed: %s", exc)
                return AuthResult(None, self.default_challenges())
            principal = self._ntlm_principal(domain, user)
            if principal is None:
                return AuthResult(None, self.default_challenges())
            conn.principal = principal
            return AuthResult(principal)
        conn.ntlm = None
        return AuthResult(None, self.default_challenges())

    def _ntlm_principal(self, domain: str, user: str) -> str | None:
        """Map a verified NTLM name to this emulator's account (the user file is shared by all emulators)."""
        mine = self._ntlm_accounts.get((domain.upper(), user.upper()))
        used = NtlmUserFile.current(domain, user)
        if mine is None or used is None or used.nt_hash != mine.nt_hash:
            log.info("NTLM user %r is not an account of this emulator", f"{domain}\\{user}")
            return None
        name = f"{domain}\\{user}" if domain else user
        principal = self.backend.resolve_logon(name)
        if principal is None or principal.lower() != mine.address.lower():
            principal = mine.address
        return principal
