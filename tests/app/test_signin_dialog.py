"""The sign-in dialog driven like a user would, against the emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.services.session import SessionService, SignInPrefill
from app.settings import Settings
from app.tasks import TaskRunner
from app.views.signin_dialog import SignInDialog

SIGN_IN_MS = 30_000
SHOTS = Path(os.environ.get("MAILROOM_SCREENSHOTS", "")) if os.environ.get("MAILROOM_SCREENSHOTS") else None


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(20_000)


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.json"


@pytest.fixture
def service(runner: TaskRunner, settings_path: Path) -> Iterator[SessionService]:
    service = SessionService(runner, Settings.load(settings_path))
    yield service
    service.shutdown()


@pytest.fixture
def dialog(qtbot, service: SessionService) -> SignInDialog:
    dialog = SignInDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def fill(qtbot, dialog: SignInDialog, address: str, password: str, server: str = "") -> None:
    for edit, text in ((dialog.address_edit, address), (dialog.password_edit, password),
                       (dialog.server_edit, server)):
        edit.clear()
        qtbot.keyClicks(edit, text)


def wait_idle(qtbot, dialog: SignInDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=SIGN_IN_MS)


def shoot(dialog: SignInDialog, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert dialog.grab().save(str(SHOTS / name))


def test_fields_accessible_names_and_tab_order(dialog: SignInDialog) -> None:
    assert [w.accessibleName() for w in (dialog.address_edit, dialog.password_edit, dialog.server_edit,
                                         dialog.auth_combo, dialog.remember_check)] == [
        "E-mail address", "Password", "Server", "Authentication", "Remember my password"]
    assert [dialog.auth_combo.itemText(i) for i in range(dialog.auth_combo.count())] == [
        "Automatic", "NTLM", "Basic"]
    order = [dialog.address_edit]
    while len(order) < 6:
        order.append(order[-1].nextInFocusChain())
        while not order[-1].focusPolicy() & Qt.FocusPolicy.TabFocus or order[-1].isHidden():
            order[-1] = order[-1].nextInFocusChain()
    assert order[:5] == [dialog.address_edit, dialog.password_edit, dialog.server_edit, dialog.auth_combo,
                         dialog.remember_check]
    assert dialog.sign_in_button.isDefault()
    assert dialog.remember_check.isEnabled() and dialog.remember_check.isChecked()
    assert dialog.password_edit.echoMode() == dialog.password_edit.EchoMode.Password


def test_enter_signs_in_and_the_password_goes_to_the_keyring_only(qtbot, dialog, emulator, memory_keyring,
                                                                 settings_path) -> None:
    fill(qtbot, dialog, "alice@example.com", "alice-pass", emulator.ews_url)
    progress: list[str] = []
    dialog._service.progress.connect(progress.append)
    with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
        qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        assert dialog.is_busy()
        assert not dialog.address_edit.isEnabled() and dialog.cancel_button.isEnabled()
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert progress, "progress was reported while signing in"
    assert memory_keyring.passwords == {("Mailroom", "alice@example.com"): "alice-pass"}
    assert "alice-pass" not in settings_path.read_text(encoding="utf-8")
    assert dialog.password_edit.text() == ""


def test_wrong_password_shows_the_error_and_the_dialog_stays_usable(qtbot, dialog, emulator) -> None:
    fill(qtbot, dialog, "alice@example.com", "nope", emulator.ews_url)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    shoot(dialog, "signin-progress.png")
    wait_idle(qtbot, dialog)
    assert dialog.error_text().startswith("Wrong password or user name.")
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.password_edit.isEnabled() and dialog.password_edit.hasFocus()
    assert dialog.password_edit.selectedText() == "nope"
    shoot(dialog, "signin-error.png")

    qtbot.keyClicks(dialog.password_edit, "alice-pass")  # replaces the selection
    with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        assert dialog.error_text() == ""


def test_unknown_user(qtbot, dialog, emulator) -> None:
    fill(qtbot, dialog, "nobody@example.com", "whatever", emulator.ews_url)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, dialog)
    text = dialog.error_text()
    assert text, "an error is shown"
    assert "nobody@example.com" in text or "user name" in text
    assert dialog.isVisible() and dialog.sign_in_button.isEnabled()


def test_missing_fields_are_said_before_anything_is_sent(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert "e-mail address" in dialog.error_text()
    assert dialog.address_edit.hasFocus() and not dialog.is_busy()
    qtbot.keyClicks(dialog.address_edit, "alice@example.com")
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert dialog.error_text() == "Enter your password."


def test_no_secure_store_disables_remember_with_a_reason_and_still_signs_in(qtbot, runner, settings_path,
                                                                          emulator) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())
    service = SessionService(runner, Settings.load(settings_path))
    dialog = SignInDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.remember_check.isEnabled() and not dialog.remember_check.isChecked()
    assert dialog.remember_note.isVisible()
    assert "no secure password store" in dialog.remember_note.text()
    shoot(dialog, "signin-no-keyring.png")
    fill(qtbot, dialog, "alice@example.com", "alice-pass", emulator.ews_url)
    with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert service.result is not None
    assert "alice-pass" not in settings_path.read_text(encoding="utf-8")
    service.shutdown()


def test_cancel_during_sign_in_keeps_the_dialog_open_and_usable(qtbot, service, dialog) -> None:
    from ews_emulator import Emulator

    with Emulator(latency_ms=300) as slow:
        fill(qtbot, dialog, "alice@example.com", "alice-pass", slow.ews_url)
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.progress_text() not in ("", "Signing in …"), timeout=SIGN_IN_MS)
        shoot(dialog, "signin-progress.png")
        with qtbot.waitSignal(service.cancelled, timeout=1000):
            qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and not dialog.is_busy()
        assert dialog.progress_text() == "Sign-in cancelled."
        assert dialog.address_edit.isEnabled() and dialog.sign_in_button.isEnabled()
        # Signing in again works (the cancelled attempt's outcome is ignored).
        with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
            qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)


def test_cancel_when_idle_closes(qtbot, dialog) -> None:
    with qtbot.waitSignal(dialog.rejected, timeout=1000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)


def test_untrusted_certificate_shows_the_fingerprint_and_trusting_it_signs_in(qtbot, dialog, service,
                                                                            settings_path) -> None:
    from ews_emulator import Emulator

    with Emulator(tls=True) as secure:
        fill(qtbot, dialog, "alice@example.com", "alice-pass", secure.ews_url)
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, dialog)
        assert dialog.certificate_panel.isVisible()
        assert dialog.certificate_fingerprint.text().replace("\n", ":") == secure.tls.fingerprint_sha256
        assert "localhost" in dialog.certificate_subject.text()
        assert dialog.trust_button.text().replace("&", "") == f"Trust this certificate for 127.0.0.1:{secure.port}"
        shoot(dialog, "signin-certificate.png")
        with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
            qtbot.mouseClick(dialog.trust_button, Qt.MouseButton.LeftButton)
        assert Settings.load(settings_path).trusted_fingerprint(f"127.0.0.1:{secure.port}") == secure.tls.fingerprint_sha256


def test_prefill_shows_the_last_account_and_why(qtbot, service) -> None:
    prefill = SignInPrefill("alice@example.com", "mail.example.com", "basic", False,
                            "The server refused the user name or password for alice@example.com.")
    dialog = SignInDialog(service, prefill)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.address_edit.text() == "alice@example.com"
    assert dialog.server_edit.text() == "mail.example.com"
    assert dialog.auth_combo.currentText() == "Basic"
    assert not dialog.remember_check.isChecked()
    assert dialog.info_banner.isVisible() and "refused" in dialog.info_banner.text()
    qtbot.waitUntil(dialog.password_edit.hasFocus, timeout=2000)


def test_a_server_without_autodiscover_gets_the_full_address_suggested(qtbot, dialog, start_fresh_emulator) -> None:
    emu = start_fresh_emulator(quirks=["no-soap-autodiscover", "no-pox-autodiscover"])
    fill(qtbot, dialog, "alice@example.com", "alice-pass", emu.base_url)
    qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, dialog)
    text = dialog.error_text()
    assert text.startswith("Enter the full server address.")
    assert emu.ews_url in text
    assert "does not look like Exchange" not in text and "could not be reached" not in text
    assert dialog.server_edit.hasFocus() and dialog.server_edit.selectedText() == emu.base_url

    qtbot.keyClicks(dialog.server_edit, emu.ews_url)  # replaces the selection
    with qtbot.waitSignal(dialog.accepted, timeout=SIGN_IN_MS):
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
