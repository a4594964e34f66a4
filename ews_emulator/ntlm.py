"""Server-side NTLM through pyspnego's pure-Python acceptor.

pyspnego's acceptor looks up the LM/NT hashes of the user named in the client's
Authenticate message in a file named by the environment variable ``NTLM_USER_FILE``
(smbpasswd format, see ``spnego/_ntlm.py:_get_credential``). :class:`NtlmUserFile` keeps
one such file per process (mode 0600 in a private temp dir, hashes only, no plaintext)
and merges the accounts of every running emulator into it. If two emulators disagree
about a user's password, the newest registration wins: the older emulator then refuses
that user's NTLM logons (each emulator checks after a handshake that the hash used was
its own) until the newer one stops. Basic and Bearer are not affected.

The hashes are keyed by ``(DOMAIN, user)`` exactly as the client sends them, so each
account gets the forms clients use: ``\\alice@example.com`` (UPN, empty domain; what
exchangelib sends), ``EXAMPLE\\alice``, ``example.com\\alice`` and bare ``alice``.
"""

from __future__ import annotations

import atexit
import base64
import itertools
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import spnego
from spnego._ntlm_raw.crypto import lmowfv1, ntowfv1
from spnego.exceptions import SpnegoError

log = logging.getLogger(__name__)

ENV_VAR = "NTLM_USER_FILE"


@dataclass(frozen=True)
class NtlmAccount:
    """The hashes of one logon name and the primary SMTP address it belongs to."""

    domain: str
    user: str
    lm_hash: bytes
    nt_hash: bytes
    address: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.domain.upper(), self.user.upper())

    def line(self) -> str:
        name = f"{self.domain}\\{self.user}" if self.domain else self.user
        lm = base64.b16encode(self.lm_hash).decode()
        nt = base64.b16encode(self.nt_hash).decode()
        return f"{name}:0:{lm}:{nt}:[U]:LCT-0"


def accounts_for(logons: Iterable[tuple[str, str]]) -> list[NtlmAccount]:
    """Every NTLM logon-name form for each ``(primary SMTP address, password)``."""
    result: list[NtlmAccount] = []
    for address, password in logons:
        local, _, dns_domain = address.partition("@")
        lm, nt = lmowfv1(password), ntowfv1(password)
        netbios = dns_domain.split(".")[0].upper()
        forms = [("", address), (netbios, local), (dns_domain, local), ("", local)]
        result.extend(NtlmAccount(d, u, lm, nt, address) for d, u in forms if u)
    return result


class NtlmUserFile:
    """The process-wide ``NTLM_USER_FILE``, shared by every emulator in the process."""

    _lock = threading.Lock()
    _dir: str | None = None
    _registrations: dict[int, list[NtlmAccount]] = {}  # process-wide, like the env var
    _ids = itertools.count(1)

    @classmethod
    def register(cls, accounts: list[NtlmAccount]) -> int:
        """Add accounts to the file; returns a handle for :meth:`unregister`."""
        with cls._lock:
            known = {a.key: a.nt_hash for accs in cls._registrations.values() for a in accs}
            clashes = sorted({a.address for a in accounts if known.get(a.key, a.nt_hash) != a.nt_hash})
            if clashes:
                log.warning(
                    "NTLM: another emulator in this process has other passwords for %s; "
                    "NTLM logons there fail until this emulator stops",
                    ", ".join(clashes),
                )
            handle = next(cls._ids)
            cls._registrations[handle] = accounts
            cls._write()
            return handle

    @classmethod
    def unregister(cls, handle: int) -> None:
        """Remove the accounts added under ``handle``."""
        with cls._lock:
            if cls._registrations.pop(handle, None) is not None:
                cls._write()

    @classmethod
    def current(cls, domain: str, user: str) -> NtlmAccount | None:
        """The entry pyspnego will use for this name (newest registration first)."""
        key = (domain.upper(), user.upper())
        with cls._lock:
            for handle in sorted(cls._registrations, reverse=True):
                for account in cls._registrations[handle]:
                    if account.key == key:
                        return account
        return None

    @classmethod
    def ensure_env(cls) -> None:
        """Point ``NTLM_USER_FILE`` at the file again if something in the process changed it."""
        with cls._lock:
            if cls._dir is not None:
                cls._set_env(os.path.join(cls._dir, "ntlm_users"))

    @classmethod
    def _set_env(cls, path: str) -> None:
        if os.environ.get(ENV_VAR) != path:
            if os.environ.get(ENV_VAR):
                log.warning("Replacing %s=%s with the emulator's user file", ENV_VAR, os.environ[ENV_VAR])
            os.environ[ENV_VAR] = path

    @classmethod
    def _write(cls) -> None:
        if cls._dir is None:
            cls._dir = tempfile.mkdtemp(prefix="ews-emulator-ntlm-")
            atexit.register(shutil.rmtree, cls._dir, True)
        path = os.path.join(cls._dir, "ntlm_users")
        lines: list[str] = []
        seen: set[tuple[str, str]] = set()
        for handle in sorted(cls._registrations, reverse=True):
            for account in cls._registrations[handle]:
                if account.key not in seen:
                    seen.add(account.key)
                    lines.append(account.line())
        tmp = path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.replace(tmp, path)  # atomic: a concurrent handshake reads the old or the new file
        cls._set_env(path)


class NtlmError(Exception):
    """The NTLM handshake failed (bad token, unknown user or wrong password)."""


class NtlmAcceptor:
    """One server-side NTLM handshake (Negotiate -> Challenge, then Authenticate)."""

    def __init__(self) -> None:
        """Start a handshake.

        Raises:
            NtlmError: When pyspnego cannot act as an acceptor (no user file).
        """
        NtlmUserFile.ensure_env()
        try:
            self._ctx = spnego.server(protocol="ntlm", options=spnego.NegotiateOptions.use_ntlm)
        except SpnegoError as exc:
            raise NtlmError(str(exc)) from exc

    def challenge(self, negotiate: bytes) -> bytes:
        """Answer a Negotiate message with a Challenge message.

        Raises:
            NtlmError: For a malformed Negotiate message.
        """
        try:
            out = self._ctx.step(negotiate)
        except Exception as exc:  # pyspnego raises struct.error, ValueError, ... on garbage from the client
            raise NtlmError(str(exc)) from exc
        if not out:
            raise NtlmError("no challenge produced")
        return out

    def authenticate(self, message: bytes) -> tuple[str, str]:
        """Verify an Authenticate message; returns ``(domain, user)`` as the client sent them.

        Raises:
            NtlmError: For a wrong password, an unknown user or a malformed message.
        """
        try:
            self._ctx.step(message)
        except Exception as exc:  # as above
            raise NtlmError(str(exc)) from exc
        principal = self._ctx.client_principal
        if not self._ctx.complete or not principal:
            raise NtlmError("handshake incomplete")
        domain, sep, user = principal.partition("\\")
        return (domain, user) if sep else ("", principal)


def message_type(token: bytes) -> int:
    """The NTLM message type (1 Negotiate, 2 Challenge, 3 Authenticate), 0 for anything else."""
    if len(token) < 12 or not token.startswith(b"NTLMSSP\x00"):
        return 0
    return int.from_bytes(token[8:12], "little")
