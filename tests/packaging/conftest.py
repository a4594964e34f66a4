"""Fixtures for the packaging tests: a clean environment for child processes and the built bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "dist" / "mailroom"
EXECUTABLE = BUNDLE / ("mailroom.exe" if sys.platform == "win32" else "mailroom")


@pytest.fixture
def child_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a Mailroom child process: its own HOME and XDG folders (logs, settings, Chromium's NSS
    database and caches land under ``tmp_path``), no display, WebEngine allowed as root."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env["HOME"] = str(tmp_path / "home")
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR"):
        env[name] = str(tmp_path / name.lower())
        Path(env[name]).mkdir(parents=True, exist_ok=True)
    Path(env["HOME"]).mkdir(exist_ok=True)
    os.chmod(env["XDG_RUNTIME_DIR"], 0o700)
    env["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must set it itself
    return env


@pytest.fixture(scope="session")
def bundle() -> Path:
    """The built one-folder bundle (``make bundle``).

    Without one the tests skip, so that ``make test`` passes on a fresh clone; ``.ci/run`` sets
    ``MAILROOM_REQUIRE_BUNDLE=1`` after building it, and then a missing bundle fails.
    """
    if not EXECUTABLE.is_file():
        if os.environ.get("MAILROOM_REQUIRE_BUNDLE"):
            pytest.fail(f"no bundle at {EXECUTABLE} although MAILROOM_REQUIRE_BUNDLE is set")
        pytest.skip("no bundle: run `make bundle` first")
    return BUNDLE
