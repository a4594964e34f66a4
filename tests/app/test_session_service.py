"""SessionService against the emulator over HTTP: keyring, settings, auto sign-in, cancel, certificate trust."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app.domain.errors import AuthenticationFailed, MailroomError
from app.services.session import SessionService
from app.settings import LAST_ACCOUNT, LAST_FOLDER, LAST_MAILBOX, LastAccount, Settings
from app.tasks import TaskRunner

SIGN_IN_MS = 30_000
KEY = ("Mailroom", "alice@example.com")


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(20_000), "a worker did not finish"


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


@pytest.fixture
def make_service(runner: TaskRunner, settings_path: Path) -> Iterator:
    services: list[SessionService] = []

    def make() -> SessionService:
        service = SessionService(runner, Settings.load(settings_path))
        services.append(service)
        return service

    yield make
    for service in services:
        service.shutdown()


class Recorder:
    """Collects every signal of a service, in order."""

    def __init__(self, service: SessionService) -> None:
        self.events: list[tuple[str, object]] = []
        for name in ("progress", "signed_in", "failed", "certificate_untrusted", "no_secure_store",
                     "needs_credentials", "mailboxes_changed", "notice"):
            getattr(service, name).connect(lambda *args, n=name: self.events.append((n, args[0] if args else None)))
        service.cancelled.connect(lambda: self.events.append(("cancelled", None)))

    def names(self) -> list[str]:
        return [name for name, _ in self.events]

    def first(self, name: str) -> object:
        return next(value for n, value in self.events if n == name)

    def outcome(self) -> str | None:
        return next((n for n in self.names() if n in {"signed_in", "failed", "cancelled"}), None)


def sign_in(qtbot, service: SessionService, *args, **kwargs) -> Recorder:
    recorder = Recorder(service)
    service.sign_in(*args, **kwargs)
    qtbot.waitUntil(lambda: recorder.outcome() is not None, timeout=SIGN_IN_MS)
    return recorder


def test_success_saves_the_password_in_the_keyring_only(qtbot, emulator, make_service, memory_keyring,
                                                          settings_path) -> None:
    service = make_service()
    recorder = sign_in(qtbot, service, "alice@example.com", "alice-pass", emulator.ews_url, "auto", True)

    assert recorder.outcome() == "signed_in", recorder.events
    result = recorder.first("signed_in")
    assert result is service.result and service.client is result.client
    assert result.user.display_name == "Alice Archer"
    progress = [v for n, v in recorder.events if n == "progress"]
    assert len(progress) >= 2, "sign-in reports its steps"
    assert memory_keyring.passwords == {KEY: "alice-pass"}
    text = settings_path.read_text(encoding="utf-8")
    assert "alice-pass" not in text
    assert Settings.load(settings_path)[LAST_ACCOUNT] == LastAccount("alice@example.com", emulator.ews_url, "auto")


def test_without_remember_no_password_is_kept_and_an_old_one_is_forgotten(qtbot, emulator, make_service,
                                                                          memory_keyring) -> None:
    memory_keyring.set_password(*KEY, "old-pass")
    recorder = sign_in(qtbot, make_service(), "alice@example.com", "alice-pass", emulator.ews_url, "ntlm", False)
    assert recorder.outcome() == "signed_in", recorder.events
    assert memory_keyring.passwords == {}


def test_wrong_password_fails_and_saves_nothing(qtbot, emulator, make_service, memory_keyring,
                                                settings_path) -> None:
    service = make_service()
    recorder = sign_in(qtbot, service, "alice@example.com", "wrong", emulator.ews_url, "auto", True)
    assert recorder.outcome() == "failed"
    assert isinstance(recorder.first("failed"), AuthenticationFailed)
    assert service.result is None and not service.is_busy
    assert memory_keyring.passwords == {}
    assert not settings_path.exists()


def test_unknown_user_fails_in_plain_words(qtbot, emulator, make_service) -> None:
    recorder = sign_in(qtbot, make_service(), "nobody@example.com", "x", emulator.ews_url)
    assert recorder.outcome() == "failed"
    error = recorder.first("failed")
    assert isinstance(error, MailroomError)
    assert "nobody@example.com" in str(error) or "user name or password" in str(error)


def test_no_secure_store_says_so_and_signs_in_without_saving(qtbot, emulator, make_service,
                                                              settings_path) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # the autouse fixture restores the old one
    service = make_service()
    assert service.secure_store_problem() is not None
    recorder = sign_in(qtbot, service, "alice@example.com", "alice-pass", emulator.ews_url, "auto", True)
    assert recorder.names().count("signed_in") == 1, recorder.events
    message = recorder.first("no_secure_store")
    assert "no secure password store" in str(message)
    assert recorder.names().index("no_secure_store") < recorder.names().index("signed_in")
    assert "alice-pass" not in settings_path.read_text(encoding="utf-8")

    # Next start: nothing to sign in with, so the dialog is asked for, with the reason.
    again = make_service()
    recorder = Recorder(again)
    assert again.try_auto_sign_in() is False
    prefill = recorder.first("needs_credentials")
    assert prefill.address == "alice@example.com"
    assert "secure password store" in prefill.message


def test_auto_sign_in_at_next_start(qtbot, emulator, make_service) -> None:
    first = make_service()
    assert sign_in(qtbot, first, "alice@example.com", "alice-pass", emulator.ews_url).outcome() == "signed_in"
    first.set_last_location("support@example.com", "folder-id-1")
    first.flush()  # what closing the app does (the location is otherwise written a second after the click)

    second = make_service()  # a new start: settings read from the file
    recorder = Recorder(second)
    assert second.try_auto_sign_in() is True
    qtbot.waitUntil(lambda: recorder.outcome() is not None, timeout=SIGN_IN_MS)
    assert recorder.outcome() == "signed_in", recorder.events
    assert second.result.user.address == "alice@example.com"
    assert second.last_location() == ("support@example.com", "folder-id-1")


def test_first_start_needs_credentials(make_service) -> None:
    service = make_service()
    recorder = Recorder(service)
    assert service.try_auto_sign_in() is False
    prefill = recorder.first("needs_credentials")
    assert (prefill.address, prefill.message, prefill.auth) == ("", "", "auto")


def test_auto_sign_in_with_a_changed_password_asks_again(qtbot, emulator, make_service, memory_keyring,
                                                         settings_path) -> None:
    settings = Settings.load(settings_path)
    settings.set(LAST_ACCOUNT, LastAccount("alice@example.com", emulator.ews_url, "ntlm"))
    settings.save()
    memory_keyring.set_password(*KEY, "outdated")
    service = make_service()
    recorder = Recorder(service)
    assert service.try_auto_sign_in()
    qtbot.waitUntil(lambda: "needs_credentials" in recorder.names(), timeout=SIGN_IN_MS)
    assert recorder.outcome() == "failed"
    prefill = recorder.first("needs_credentials")
    assert prefill.address == "alice@example.com" and prefill.auth == "ntlm"
    assert "password" in prefill.message


def test_cancel_during_sign_in(qtbot, make_service, runner) -> None:
    from ews_emulator import Emulator

    with Emulator(latency_ms=300) as slow:
        service = make_service()
        recorder = Recorder(service)
        service.sign_in("alice@example.com", "alice-pass", slow.ews_url)
        qtbot.waitUntil(lambda: "progress" in recorder.names(), timeout=SIGN_IN_MS)
        assert service.is_busy
        service.cancel()
        assert recorder.outcome() == "cancelled"
        assert not service.is_busy
        qtbot.waitUntil(lambda: runner.pending_count() == 0, timeout=SIGN_IN_MS)
        assert "signed_in" not in recorder.names() and "failed" not in recorder.names()
        assert service.result is None


def test_untrusted_certificate_then_trusted(qtbot, make_service, settings_path) -> None:
    from ews_emulator import Emulator

    with Emulator(tls=True) as secure:
        service = make_service()
        recorder = sign_in(qtbot, service, "alice@example.com", "alice-pass", secure.ews_url)
        assert recorder.outcome() == "failed"
        problem = recorder.first("certificate_untrusted")
        assert problem.fingerprint == secure.tls.fingerprint_sha256
        assert problem.host == f"127.0.0.1:{secure.port}"
        assert "localhost" in problem.subject
        assert service.result is None

        service.trust_certificate(problem)
        assert Settings.load(settings_path).trusted_fingerprint(f"127.0.0.1:{secure.port}") == secure.tls.fingerprint_sha256
        recorder = sign_in(qtbot, service, "alice@example.com", "alice-pass", secure.ews_url)
        assert recorder.outcome() == "signed_in", recorder.events

        again = make_service()  # the trust is remembered
        recorder = Recorder(again)
        assert again.try_auto_sign_in()
        qtbot.waitUntil(lambda: recorder.outcome() is not None, timeout=SIGN_IN_MS)
        assert recorder.outcome() == "signed_in", recorder.events


def test_added_and_removed_mailboxes_are_remembered_per_account(make_service, settings_path) -> None:
    settings = Settings.load(settings_path)
    settings.set(LAST_ACCOUNT, LastAccount("alice@example.com"))
    settings.save()
    service = make_service()
    changes: list[None] = []
    service.mailboxes_changed.connect(lambda: changes.append(None))

    service.add_mailbox("sales@example.com")
    service.add_mailbox("billing@example.com")
    service.add_mailbox("SALES@example.com")  # already there
    service.remove_mailbox("support@example.com")  # automapped: hidden
    assert service.added_mailboxes() == ["sales@example.com", "billing@example.com"]
    assert service.removed_automapped() == ["support@example.com"]
    assert len(changes) == 4

    again = make_service()
    assert again.added_mailboxes() == ["sales@example.com", "billing@example.com"]
    again.remove_mailbox("sales@example.com")
    again.add_mailbox("support@example.com")  # back again
    assert again.added_mailboxes() == ["billing@example.com", "support@example.com"]
    assert again.removed_automapped() == []
    assert Settings.load(settings_path).account("bob@example.com").added_mailboxes == ()


def test_last_location(qtbot, make_service, settings_path) -> None:
    service = make_service()
    assert service.last_location() is None
    service.set_last_location("support@example.com", "AAMk=")
    assert service.last_location() == ("support@example.com", "AAMk=")  # at once in memory
    # written a moment later (debounced: clicking through folders writes the file once)
    qtbot.waitUntil(lambda: Settings.load(settings_path)[LAST_MAILBOX] == "support@example.com", timeout=5000)
    loaded = Settings.load(settings_path)
    assert (loaded[LAST_MAILBOX], loaded[LAST_FOLDER]) == ("support@example.com", "AAMk=")
    assert make_service().last_location() == ("support@example.com", "AAMk=")


def test_settings_that_cannot_be_written_are_a_notice(make_service, settings_path) -> None:
    service = make_service()
    settings_path.mkdir(parents=True)  # a folder where the file should go: os.replace fails, even for root
    notices: list[str] = []
    service.notice.connect(notices.append)
    service.set_last_location("support@example.com", "x")
    service.flush()
    assert len(notices) == 1 and "could not be saved" in notices[0]
    assert service.last_location() == ("support@example.com", "x"), "kept in memory"
