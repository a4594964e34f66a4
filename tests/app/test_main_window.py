"""The whole application as it starts: the sign-in dialog or automatic sign-in, then the main window.

Sign-in through the real dialog against the emulator over HTTP (success, wrong password, unknown user, no secure
keyring), reopening the last place at the next start, and the demo/screenshot command in a subprocess.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from app import secrets
from app.settings import LAST_ACCOUNT, Settings
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver, start_app, stop_app

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


@pytest.fixture
def launch(qtbot, tmp_path) -> Iterator[Callable[..., Driver]]:
    """launch(emulator, user, sign_in=...) -> the running app; every app is stopped at the end."""
    apps: list[Any] = []

    def make(emu: Any, user: str = "alice", **kwargs: Any) -> Driver:
        app = start_app(qtbot, emu, tmp_path / "home", user, **kwargs)
        apps.append(app)
        return Driver(qtbot, app, emu)

    yield make
    for app in apps:
        stop_app(app)


def dialog_of(d: Driver) -> Any:
    d.qtbot.waitUntil(lambda: d.app.signin_dialog is not None and d.app.signin_dialog.isVisible(), timeout=WAIT_MS)
    return d.app.signin_dialog


def fill(dialog: Any, address: str, password: str, server: str) -> None:
    dialog.address_edit.setText(address)
    dialog.password_edit.setText(password)
    dialog.server_edit.setText(server)


def test_first_start_asks_then_signs_in_and_remembers(qtbot, emulator, launch, memory_keyring) -> None:
    d = launch(emulator, sign_in=False)
    dialog = dialog_of(d)
    assert d.window.isVisible() and d.window.user is None
    assert not d.window.actions.delete.isEnabled()
    assert d.window.actions.delete.toolTip() == "Sign in first."

    fill(dialog, "alice@example.com", "not-her-password", emulator.ews_url)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error_text()), timeout=WAIT_MS)
    assert "password" in dialog.error_text().lower()
    assert d.window.user is None

    dialog.password_edit.setText("alice-pass")
    dialog.sign_in_button.click()
    d.wait_signed_in()
    d.wait_mailboxes("alice@example.com", "support@example.com")
    qtbot.waitUntil(lambda: d.app.signin_dialog is None, timeout=WAIT_MS)
    assert secrets.get_password("alice@example.com") == "alice-pass"  # the keyring, and only there
    saved = Settings.load(d.app.settings.path)
    assert saved[LAST_ACCOUNT].address == "alice@example.com"
    assert "alice-pass" not in d.app.settings.path.read_text()


def test_unknown_user_is_said_plainly(qtbot, emulator, launch) -> None:
    d = launch(emulator, sign_in=False)
    dialog = dialog_of(d)
    fill(dialog, "mallory@example.com", "whatever", emulator.ews_url)
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: bool(dialog.error_text()), timeout=WAIT_MS)
    # Exchange answers an unknown account exactly as a wrong password (401), so the words cover both.
    assert "user name" in dialog.error_text() and "mallory@example.com" in dialog.error_text()
    assert d.window.user is None and dialog.isVisible()


def test_without_a_secure_keyring_it_signs_in_and_says_the_password_is_not_kept(qtbot, emulator, launch) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # a headless machine; restored by the conftest
    d = launch(emulator, sign_in=False)
    dialog = dialog_of(d)
    assert not dialog.remember_check.isEnabled()
    fill(dialog, "bob@example.com", "bob-pass", emulator.ews_url)
    dialog.sign_in_button.click()
    d.wait_signed_in()
    d.wait_mailboxes("bob@example.com", "sales@example.com")
    assert d.window.user.address == "bob@example.com"


def test_next_start_signs_in_alone_and_reopens_the_last_folder(qtbot, emulator, launch) -> None:
    first = launch(emulator, "alice")
    first.wait_mailboxes("alice@example.com", "support@example.com")
    ref = first.open_folder("support@example.com", name="Bugs")
    stop_app(first.app)

    second = launch(emulator, sign_in=False)  # nothing on the command line: the saved account
    second.wait_signed_in()
    second.wait_list_loaded(ref)
    assert second.app.signin_dialog is None
    assert second.window.folder.key == ref.key
    assert second.window.sidebar.current_folder().key == ref.key


def test_exchangelib_is_not_imported_before_the_window_shows() -> None:
    code = ("import sys; import app.application, app.views.main_window, app.services.mail; "
            "print('exchangelib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_demo_mode_screenshot_end_to_end(tmp_path: Path) -> None:
    """`python -m app --demo --user alice --screenshot PATH`: support@'s Inbox with a message open, saved."""
    shot = tmp_path / "demo.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--user", "alice", "--screenshot", str(shot), "--timeout", "90"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "screenshot saved" in proc.stdout
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert (image.width(), image.height()) == (1280, 800)


def test_unknown_demo_user_fails_with_a_message(tmp_path: Path) -> None:
    shot = tmp_path / "never.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--user", "mallory", "--screenshot", str(shot)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 1
    assert "not a demo user" in proc.stderr
    assert not shot.exists()
