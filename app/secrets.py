"""Passwords live in the system keyring and nowhere else.

On a machine without a secure store (a headless box: keyring's ``fail`` backend) we say so and refuse; we
never fall back to a plaintext file, and we refuse plaintext backends such as ``keyrings.alt``.
"""

from __future__ import annotations

import keyring
import keyring.backends.chainer
import keyring.backends.fail
import keyring.errors

from app.domain.errors import NoSecureStore, PasswordMissing
from app.paths import launch_command

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


def secure_store_problem() -> str | None:
    """Why passwords cannot be kept on this machine, or ``None`` when a secure keyring is available.

    Asks the configured backend nothing: it only looks at which backend keyring chose, so it is cheap enough
    for a dialog to call when it opens. A store that exists but fails later still raises
    :class:`NoSecureStore` from :func:`set_password`.
    """
    try:
        backend = _backend()
    except NoSecureStore as error:
        return str(error)
    if isinstance(backend, keyring.backends.fail.Keyring) or (
        isinstance(backend, keyring.backends.chainer.ChainerBackend) and not backend.backends
    ):
        return _NO_STORE
    return None


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
            f"No password is stored for {account}. Run: {launch_command()} --set-password --user {account}"
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


def delete_password(account: str) -> bool:
    """Forget the stored password for ``account``.

    Returns:
        True if a password was deleted, False if none was stored or there is no secure store.
    """
    try:
        backend = _backend()
        if backend.get_password(SERVICE, account.casefold()) is None:
            return False
        backend.delete_password(SERVICE, account.casefold())
    except (keyring.errors.KeyringError, NoSecureStore):
        return False
    return True
