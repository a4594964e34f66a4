"""Hints that tell the user a command to type name one that works here: never a bare ``python``, which a fresh
Debian does not have, but this interpreter (``.venv/bin/python -m app`` as the README has it, ``python3 -m app``
when that is this interpreter) or ``mailroom`` for the installed script."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from app import __main__ as entry
from app import paths, secrets
from app.domain.errors import PasswordMissing


def _interpreter(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def venv_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Mailroom run as ``.venv/bin/python -m app`` from its folder, with no ``python3`` of this venv on PATH."""
    monkeypatch.setattr(sys, "executable", _interpreter(tmp_path / ".venv" / "bin" / "python"))
    monkeypatch.setattr(sys, "argv", ["-m"])
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_command_is_this_interpreter(venv_here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.launch_command() == ".venv/bin/python -m app"
    (venv_here / "elsewhere").mkdir()
    monkeypatch.chdir(venv_here / "elsewhere")  # not below the current folder: the full path
    assert paths.launch_command() == f"{venv_here / '.venv' / 'bin' / 'python'} -m app"
    system = _interpreter(venv_here / "usr" / "bin" / "python3")
    monkeypatch.setattr(sys, "executable", system)
    monkeypatch.setenv("PATH", os.path.dirname(system))
    assert paths.launch_command() == "python3 -m app"
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/mailroom"])
    assert paths.launch_command() == "mailroom"


def test_the_no_display_hint_names_a_command_that_works(venv_here: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    message = entry.prepare_environment(headless_ok=False)
    assert message is not None
    assert "take a screenshot instead: .venv/bin/python -m app --demo --screenshot mailroom.png" in message
    assert "python -m app" not in message.replace(".venv/bin/python -m app", "")


def test_the_missing_password_hint_names_a_command_that_works(venv_here: Path, memory_keyring: object) -> None:
    with pytest.raises(PasswordMissing) as info:
        secrets.get_password("bob@example.com")
    assert str(info.value) == ("No password is stored for bob@example.com. Run: .venv/bin/python -m app "
                               "--set-password --user bob@example.com")
