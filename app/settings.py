"""Mailroom's settings, declared in one place (as Picard's ``options.py`` and qutebrowser's ``configdata``).

Every setting is a :class:`Setting` in :data:`SETTINGS`, with its type, default and a label for a preferences
page. They are kept as one JSON object in ``platformdirs.user_config_dir("Mailroom")/settings.json``, written
atomically (a temporary file in the same folder, then ``os.replace``). A file that cannot be read as settings
is moved aside to ``settings.json.bad`` and the defaults are used, with a warning that says so.

Passwords are never stored here: they live in the system keyring (:mod:`app.secrets`). Only declared settings
can be written, every value is checked against its declared type, and :meth:`Settings.save` refuses a file that
would contain a key named like a password.

Example::

    settings = Settings.load()
    settings[MARK_READ_DELAY_MS]            # 1500
    settings.set(MARK_READ_DELAY_MS, 0)
    settings.account("alice@example.com").added_mailboxes
    settings.save()
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar, overload

import platformdirs

log = logging.getLogger(__name__)

T = TypeVar("T")
APP_NAME = "Mailroom"
FILE_NAME = "settings.json"
#: How to authenticate: (value stored in the settings, label for the user).
AUTH_CHOICES: tuple[tuple[str, str], ...] = (("auto", "Automatic"), ("ntlm", "NTLM"), ("basic", "Basic"))
_AUTH_VALUES = tuple(value for value, _ in AUTH_CHOICES)


# -- structured values ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastAccount:
    """The account signed in to last: enough to sign in again (the password is in the keyring).

    Attributes:
        address: The user's e-mail address.
        server: Host name or full EWS URL as the user typed it, or the EWS URL discovery found; "" for none.
        auth: ``auto``, ``ntlm`` or ``basic``.
    """

    address: str
    server: str = ""
    auth: str = "auto"

    def to_json(self) -> dict[str, str]:
        return {"address": self.address, "server": self.server, "auth": self.auth}

    @classmethod
    def from_json(cls, value: object) -> LastAccount | None:
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) - {"address", "server", "auth"}:
            raise ValueError("expected an object with address, server and auth")
        address, server, auth = value.get("address"), value.get("server", ""), value.get("auth", "auto")
        if not isinstance(address, str) or not address or not isinstance(server, str) or auth not in _AUTH_VALUES:
            raise ValueError("address must be text, server text, auth one of " + ", ".join(_AUTH_VALUES))
        return cls(address, server, auth)


@dataclass(frozen=True)
class AccountSettings:
    """What Mailroom remembers per account (keyed by the casefolded address).

    Attributes:
        added_mailboxes: Shared mailboxes the user opened with "Open shared mailbox…", in the order added.
        removed_automapped: Automapped mailboxes the user removed from the sidebar.
    """

    added_mailboxes: tuple[str, ...] = ()
    removed_automapped: tuple[str, ...] = ()

    def to_json(self) -> dict[str, list[str]]:
        return {"added_mailboxes": list(self.added_mailboxes), "removed_automapped": list(self.removed_automapped)}

    @classmethod
    def from_json(cls, value: object) -> AccountSettings:
        if not isinstance(value, dict) or set(value) - {"added_mailboxes", "removed_automapped"}:
            raise ValueError("expected an object with added_mailboxes and removed_automapped")
        lists = {}
        for key in ("added_mailboxes", "removed_automapped"):
            items = value.get(key, [])
            if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
                raise ValueError(f"{key} must be a list of addresses")
            lists[key] = tuple(items)
        return cls(**lists)


def _accounts_from_json(value: object) -> dict[str, AccountSettings]:
    if not isinstance(value, dict):
        raise ValueError("expected an object keyed by address")
    return {str(k).casefold(): AccountSettings.from_json(v) for k, v in value.items()}


def _accounts_to_json(value: dict[str, AccountSettings]) -> dict[str, Any]:
    return {k: v.to_json() for k, v in sorted(value.items())}


def _fingerprints_from_json(value: object) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise ValueError("expected an object mapping host names to SHA-256 fingerprints")
    return {k.casefold(): v.upper() for k, v in value.items()}


def _checked(kind: type, *, minimum: int | None = None) -> Callable[[object], Any]:
    def parse(value: object) -> Any:
        # bool is an int in Python; a JSON true for a number is still a mistake.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ValueError(f"expected {kind.__name__}")
        if minimum is not None and value < minimum:  # type: ignore[operator]
            raise ValueError(f"must be at least {minimum}")
        return value

    return parse


def _identity(value: Any) -> Any:
    return value


# -- declarations -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One setting: its JSON key, Python type, default and the label a preferences page shows.

    Attributes:
        name: The key in the JSON file.
        type: The Python type of the value (for documentation and preferences pages).
        default: The value when the file has none (copied before use when mutable).
        label: Words for the user.
        parse: JSON value -> Python value; raises ``ValueError`` for a bad value.
        dump: Python value -> JSON value.
    """

    name: str
    type: type
    default: T
    label: str
    parse: Callable[[object], T] = field(default=_identity, compare=False, repr=False)
    dump: Callable[[T], Any] = field(default=_identity, compare=False, repr=False)

    def fresh_default(self) -> T:
        """The default, copied when it is a container so no two Settings objects share it."""
        default = self.default
        if isinstance(default, dict | list):
            return type(default)(default)  # type: ignore[return-value]
        return default


LAST_ACCOUNT: Setting[LastAccount | None] = Setting(
    "last_account", LastAccount, None, "Account to sign in to at start",
    parse=LastAccount.from_json, dump=lambda v: v.to_json() if v is not None else None,
)
REMEMBER_PASSWORD: Setting[bool] = Setting(
    "remember_password", bool, True, "Remember my password (in the system keyring)", parse=_checked(bool)
)
ACCOUNTS: Setting[dict[str, AccountSettings]] = Setting(
    "accounts", dict, {}, "Mailboxes added or removed per account",
    parse=_accounts_from_json, dump=_accounts_to_json,
)
LAST_MAILBOX: Setting[str] = Setting("last_mailbox", str, "", "Mailbox open at exit", parse=_checked(str))
LAST_FOLDER: Setting[str] = Setting("last_folder", str, "", "Folder open at exit (EWS folder id)",
                                    parse=_checked(str))
MARK_READ_DELAY_MS: Setting[int] = Setting(
    "mark_read_delay_ms", int, 1500, "Mark a message read after showing it for (ms; 0 = at once, -1 = never)",
    parse=_checked(int, minimum=-1),
)
POLL_INTERVAL_S: Setting[int] = Setting(
    "poll_interval_s", int, 30, "Check for new mail every (seconds)", parse=_checked(int, minimum=5)
)
TRUSTED_CERTIFICATES: Setting[dict[str, str]] = Setting(
    "trusted_certificates", dict, {}, "Server certificates trusted by hand (host → SHA-256 fingerprint)",
    parse=_fingerprints_from_json,
)
REMINDER_CALENDARS: Setting[dict[str, bool]] = Setting(
    "reminder_calendars", dict, {}, "Calendars that remind of their events (calendar → on/off; default: your own)",
    parse=_checked(dict),
)
REMINDER_STATE: Setting[dict[str, Any]] = Setting(
    "reminder_state", dict, {}, "Reminders dismissed or snoozed (so they do not pop up again)", parse=_checked(dict),
)

SETTINGS: tuple[Setting[Any], ...] = (
    LAST_ACCOUNT,
    REMEMBER_PASSWORD,
    ACCOUNTS,
    LAST_MAILBOX,
    LAST_FOLDER,
    MARK_READ_DELAY_MS,
    POLL_INTERVAL_S,
    TRUSTED_CERTIFICATES,
    REMINDER_CALENDARS,
    REMINDER_STATE,
)
_BY_NAME = {s.name: s for s in SETTINGS}
_FORBIDDEN_KEY_PARTS = ("password", "secret", "token")


def default_path() -> Path:
    """``settings.json`` in the platform's per-user configuration folder."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / FILE_NAME


# -- the store ---------------------------------------------------------------------------------------------------


class Settings:
    """The settings in memory, bound to their file. Not thread-safe: use from the GUI thread.

    Attributes:
        path: The JSON file.
        warnings: Sentences about problems met while loading (shown to the user once at start).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else default_path()
        self.warnings: list[str] = []
        self._values: dict[str, Any] = {s.name: s.fresh_default() for s in SETTINGS}

    # -- loading and saving ------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Read the settings file; a missing file gives the defaults.

        A file that is not a JSON object is renamed to ``<name>.bad`` (replacing an older one) and the defaults
        are used; a single bad value falls back to its default. Either way a sentence is added to
        :attr:`warnings` and logged.
        """
        settings = cls(path)
        try:
            text = settings.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return settings
        except (OSError, UnicodeDecodeError) as error:
            settings._set_aside(f"could not be read ({error})")
            return settings
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            settings._set_aside(f"is not valid JSON ({error})")
            return settings
        if not isinstance(data, dict):
            settings._set_aside("does not hold a JSON object")
            return settings
        for name, raw in data.items():
            setting = _BY_NAME.get(name)
            if setting is None:
                log.info("Ignoring unknown setting %r in %s", name, settings.path)
                continue
            try:
                settings._values[name] = setting.parse(raw)
            except (ValueError, TypeError, AttributeError) as error:
                settings._warn(f"The setting “{setting.label}” ({name}) in {settings.path} was invalid "
                               f"({error}); using the default instead.")
        return settings

    def save(self) -> None:
        """Write every setting to :attr:`path` atomically (temporary file in the same folder, then replace).

        Raises:
            OSError: The file could not be written (the old file is then left as it was).
            ValueError: A key would name a password (a bug: passwords belong in the keyring).
        """
        data = {s.name: s.dump(self._values[s.name]) for s in SETTINGS}
        _refuse_secrets(data)
        text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    # -- values ------------------------------------------------------------------------------------------------

    @overload
    def __getitem__(self, setting: Setting[T]) -> T: ...
    @overload
    def __getitem__(self, setting: str) -> Any: ...
    def __getitem__(self, setting: Setting[Any] | str) -> Any:
        return self._values[self._setting(setting).name]

    def set(self, setting: Setting[T], value: T) -> None:
        """Change a setting in memory (call :meth:`save` to write it).

        Raises:
            ValueError: ``value`` does not have the declared type.
        """
        declared = self._setting(setting)
        if not (isinstance(value, declared.type) or (value is None and declared.default is None)):
            raise ValueError(f"{declared.name} must be a {declared.type.__name__}, not {type(value).__name__}")
        try:
            declared.parse(declared.dump(value))  # the value must survive its own round trip
        except (TypeError, AttributeError) as error:
            raise ValueError(f"{declared.name}: {error}") from error
        self._values[declared.name] = value

    def reset(self, setting: Setting[Any]) -> None:
        """Back to the default."""
        self._values[self._setting(setting).name] = setting.fresh_default()

    # -- per-account helpers -----------------------------------------------------------------------------------

    def account(self, address: str) -> AccountSettings:
        """What is remembered for ``address`` (empty for an account never seen)."""
        return self[ACCOUNTS].get(address.casefold(), AccountSettings())

    def update_account(self, address: str, **changes: tuple[str, ...]) -> AccountSettings:
        """Replace fields of the account's settings (in memory) and return the new value."""
        accounts = dict(self[ACCOUNTS])
        updated = replace(self.account(address), **changes)
        accounts[address.casefold()] = updated
        self.set(ACCOUNTS, accounts)
        return updated

    def trusted_fingerprint(self, host: str) -> str:
        """The certificate fingerprint the user trusted for ``host``, or ""."""
        return self[TRUSTED_CERTIFICATES].get(host.casefold(), "")

    def trust_fingerprint(self, host: str, fingerprint: str) -> None:
        """Remember that the user trusts the certificate with ``fingerprint`` for ``host`` (in memory)."""
        trusted = dict(self[TRUSTED_CERTIFICATES])
        trusted[host.casefold()] = fingerprint.upper()
        self.set(TRUSTED_CERTIFICATES, trusted)

    # -- internals ---------------------------------------------------------------------------------------------

    @staticmethod
    def _setting(setting: Setting[Any] | str) -> Setting[Any]:
        name = setting if isinstance(setting, str) else setting.name
        declared = _BY_NAME.get(name)
        if declared is None or (not isinstance(setting, str) and declared is not setting):
            raise KeyError(f"{name!r} is not a declared setting (see app.settings.SETTINGS)")
        return declared

    def _set_aside(self, problem: str) -> None:
        bad = self.path.with_name(self.path.name + ".bad")
        try:
            os.replace(self.path, bad)
            kept = f"It was kept as {bad}."
        except OSError as error:
            kept = f"It could not be moved aside ({error})."
        self._warn(f"The settings file {self.path} {problem}, so Mailroom started with default settings. {kept}")

    def _warn(self, text: str) -> None:
        self.warnings.append(text)
        log.warning("%s", text)


def _refuse_secrets(data: dict[str, Any]) -> None:
    """Fail loudly if a field named like a secret would be written (user data such as addresses is not checked:
    ``secretary@example.com`` is a fine mailbox)."""
    fields: list[str] = list(data)
    if isinstance(data.get(LAST_ACCOUNT.name), dict):
        fields += [f"{LAST_ACCOUNT.name}.{k}" for k in data[LAST_ACCOUNT.name]]
    for address, account in data.get(ACCOUNTS.name, {}).items():
        fields += [f"{ACCOUNTS.name}[{address}].{k}" for k in account]
    for name in fields:
        last = name.rpartition(".")[2].casefold()
        if name != REMEMBER_PASSWORD.name and any(part in last for part in _FORBIDDEN_KEY_PARTS):
            raise ValueError(f"Refusing to write {name} to the settings file: secrets belong in the keyring.")
