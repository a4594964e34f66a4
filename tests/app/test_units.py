"""Small pieces without a server: domain values, error classification, secrets, command line, resources."""

from __future__ import annotations

import keyring
import pytest
from exchangelib import errors as ex

from app import __main__ as entry
from app import paths, secrets
from app.demo import demo_credentials
from app.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    MailboxNotFound,
    NoSecureStore,
    PasswordMissing,
    ServerBusy,
    user_message,
)
from app.domain.mailbox import MailboxRef, ServerVersion
from app.ews.errors import translate, translated


def test_mailbox_ref_shows_name_and_address() -> None:
    assert (
        str(MailboxRef("support@example.com", "Customer Support")) == "Customer Support <support@example.com>"
    )
    assert MailboxRef("x@example.com").display_name == "x@example.com"
    assert MailboxRef("Support@Example.com").key == "support@example.com"


def test_server_version_text() -> None:
    version = ServerVersion(15, 2, 2562, 17)
    assert str(version) == "15.2.2562.17"
    assert version.short == "Exchange 15.2"
    assert ServerVersion(15, 1) < version


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ex.UnauthorizedError("401"), AuthenticationFailed),
        (ex.ErrorAccessDenied("denied"), AccessDenied),
        (ex.ErrorNonExistentMailbox("nope"), MailboxNotFound),
        (ex.ErrorSendAsDenied("no"), AccessDenied),
    ],
)
def test_exchangelib_errors_map_to_domain_errors(error: Exception, expected: type) -> None:
    assert isinstance(translate(error, mailbox="support@example.com"), expected)


def test_server_busy_keeps_the_back_off() -> None:
    mapped = translate(ex.ErrorServerBusy("busy", back_off=2.5))
    assert isinstance(mapped, ServerBusy)
    assert mapped.back_off_seconds == 2.5


def test_bugs_are_not_dressed_up_as_known_errors() -> None:
    assert translate(TypeError("oops")) is None
    with pytest.raises(TypeError), translated(mailbox="a@example.com"):
        raise TypeError("oops")
    assert user_message(TypeError("oops")).startswith("Unexpected error (this is a bug in Mailroom)")
    assert user_message(AccessDenied("You have no access.")) == "You have no access."


def test_translated_chains_the_original_error() -> None:
    original = ex.ErrorAccessDenied("denied")
    with pytest.raises(AccessDenied) as info, translated(mailbox="sales@example.com"):
        raise original
    assert info.value.__cause__ is original
    assert "sales@example.com" in str(info.value)


def test_secrets_round_trip_in_the_keyring(memory_keyring) -> None:
    secrets.set_password("Alice@Example.com", "pw")
    assert secrets.get_password("alice@example.com") == "pw"
    assert memory_keyring.passwords == {(secrets.SERVICE, "alice@example.com"): "pw"}
    with pytest.raises(PasswordMissing):
        secrets.get_password("bob@example.com")


def test_secrets_refuse_a_missing_keyring() -> None:
    import keyring.backends.fail

    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(NoSecureStore, match="No secure password store"):
        secrets.get_password("alice@example.com")
    with pytest.raises(NoSecureStore):
        secrets.set_password("alice@example.com", "pw")


def test_secrets_refuse_a_plaintext_keyring() -> None:
    from keyring.backend import KeyringBackend

    class PlaintextKeyring(KeyringBackend):  # the name keyrings.alt gives its file backend
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            return "leaked"

        def set_password(self, service: str, username: str, password: str) -> None:
            raise AssertionError("must not be called")

        def delete_password(self, service: str, username: str) -> None:
            raise AssertionError("must not be called")

    keyring.set_keyring(PlaintextKeyring())
    with pytest.raises(NoSecureStore, match="plain text"):
        secrets.get_password("alice@example.com")


def test_demo_credentials() -> None:
    assert demo_credentials("alice") == ("alice@example.com", "alice-pass")
    assert demo_credentials("Dave@example.com") == ("dave@example.com", "dave-pass")
    with pytest.raises(ValueError, match="not a demo user"):
        demo_credentials("mallory")


def test_command_line_defaults_and_errors() -> None:
    args = entry.parse_args(["--demo"])
    assert (args.demo, args.user, args.screenshot, args.timeout) == (True, "alice", None, 60.0)
    with pytest.raises(SystemExit):
        entry.parse_args(["--demo", "--ews-url", "http://127.0.0.1:1/EWS/Exchange.asmx"])


def test_no_display_is_explained_unless_headless_is_fine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    message = entry.prepare_environment(headless_ok=False)
    assert message is not None and "xvfb-run" in message
    assert entry.prepare_environment(headless_ok=True) is None
    assert entry.os.environ["QT_QPA_PLATFORM"] == "offscreen"


def test_the_window_icon_is_shipped() -> None:
    icon = paths.icon_path("mailroom.svg")
    assert icon.is_file()
    assert icon.parent.parent == paths.resources_dir()
