"""The main-window shell wired by the composition root, against the emulator over real HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from app import secrets
from app.application import MailroomApp, Options
from app.domain.mailbox import AuthMethod

REPO = Path(__file__).resolve().parents[2]
CONNECT_MS = 60_000


def run_until_outcome(qtbot, app: MailroomApp) -> tuple[str, object]:
    """Start the app and wait for the first of connected/failed; returns ("connected", info) or ("failed", text)."""
    outcomes: list[tuple[str, object]] = []
    app.controller.connected.connect(lambda info: outcomes.append(("connected", info)))
    app.controller.failed.connect(lambda text: outcomes.append(("failed", text)))
    app.start()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=CONNECT_MS)
    return outcomes[0]


@pytest.fixture
def make_app(qtbot) -> Iterator:
    apps: list[MailroomApp] = []

    def make(**kwargs) -> MailroomApp:
        app = MailroomApp(Options(**kwargs))
        qtbot.addWidget(app.window)
        apps.append(app)
        return app

    yield make
    for app in apps:
        assert app.shutdown(10_000)


def test_window_shows_the_mailbox_it_connected_to(qtbot, emulator, make_app) -> None:
    secrets.set_password("alice@example.com", "alice-pass")
    app = make_app(ews_url=emulator.ews_url, user="alice@example.com")
    kind, info = run_until_outcome(qtbot, app)

    assert kind == "connected", info
    assert info.mailbox.display_name == "Alice Archer"
    assert app.window.status_text() == "Connected to Alice Archer <alice@example.com> — Exchange 15.2"
    assert app.window.error_text() == ""
    assert "Alice Archer" in app.window.windowTitle()
    assert app.controller.session is not None


def test_shared_mailbox_over_basic_auth(qtbot, emulator, make_app) -> None:
    secrets.set_password("carol@example.com", "carol-pass")
    app = make_app(
        ews_url=emulator.ews_url, user="carol@example.com", mailbox="hr@example.com", auth=AuthMethod.BASIC
    )
    kind, detail = run_until_outcome(qtbot, app)
    assert kind == "connected", detail
    assert app.window.status_text().startswith("Connected to Human Resources <hr@example.com>")


def test_wrong_password_shows_an_error_in_the_window(qtbot, emulator, make_app) -> None:
    secrets.set_password("alice@example.com", "not-her-password")
    app = make_app(ews_url=emulator.ews_url, user="alice@example.com")
    kind, detail = run_until_outcome(qtbot, app)
    assert kind == "failed", detail

    assert app.window.isVisible()
    assert "refused the user name or password" in app.window.error_text()
    assert app.window.status_text() == "Not connected."
    assert app.controller.session is None


def test_missing_password_says_how_to_store_one(qtbot, emulator, make_app) -> None:
    app = make_app(ews_url=emulator.ews_url, user="bob@example.com")
    kind, detail = run_until_outcome(qtbot, app)
    assert kind == "failed", detail
    assert "No password is stored for bob@example.com" in app.window.error_text()


def test_no_secure_store_is_reported_not_worked_around(qtbot, emulator, make_app) -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what a headless machine has; restored by conftest
    app = make_app(ews_url=emulator.ews_url, user="bob@example.com")
    kind, detail = run_until_outcome(qtbot, app)
    assert kind == "failed", detail
    assert "No secure password store" in app.window.error_text()


@pytest.mark.slow
def test_demo_mode_screenshot_end_to_end(tmp_path: Path) -> None:
    """What `make demo` does, headless: start the emulator in-process, sign in as alice, save the window."""
    shot = tmp_path / "demo.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "--demo",
            "--user",
            "alice",
            "--screenshot",
            str(shot),
            "--timeout",
            "90",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 2000


def test_unknown_demo_user_fails_with_a_message(tmp_path: Path) -> None:
    shot = tmp_path / "never.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--user", "mallory", "--screenshot", str(shot)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "not a demo user" in proc.stderr
    assert not shot.exists()
