"""Passwords live in the system keyring and nowhere else.

On a machine without a secure store (a headless box: keyring's ``fail`` backend) we say so and refuse; we
never fall back to a plaintext file, and we refuse plaintext backends such as ``keyrings.alt``.
"""

from __future__ import annotations

import keyring
import keyring.errors

from app.domain.errors import NoSecureStore, PasswordMissing

SERVICE = "Mailroom"

_NO_STORE = (
    "No secure password store (system keyring) is available on this machine, so Mailroom cannot keep "
    "passwords. Install and unlock one (e.g. GNOME Keyring or KWallet)."
)


def _backend() -> keyring.backend.KeyringBackend:
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if module.startswith("keyrings.alt") or "Plaintext" in type(backend).__name__:
        raise NoSecureStore(f"{_NO_STORE} (The configured backend {module} stores passwords in plain text.)")
    return backend


def get_password(account: str) -> str:
    """The stored password for ``account`` (an address or logon name).

    Raises:
        NoSecureStore: No usable keyring.
        PasswordMissing: The keyring has no password for this account.
    """
    try:
        password = _backend().get_password(SERVICE, account.casefold())
    except keyring.errors.KeyringError as error:
        raise NoSecureStore(f"{_NO_STORE} ({error})") from error
    if password is None:
        raise PasswordMissing(
            f"No password is stored for {account}. Run: python -m app --set-password --user {account}"
        )
    return password


def set_password(account: str, password: str) -> None:
    """Store ``password`` for ``account`` in the keyring.

    Raises:
        NoSecureStore: No usable keyring.
    """
    try:
        _backend().set_password(SERVICE, account.casefold(), password)
    except keyring.errors.KeyringError as error:
        raise NoSecureStore(f"{_NO_STORE} ({error})") from error
