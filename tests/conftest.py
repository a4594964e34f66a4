"""Test-wide set-up: headless Qt, throw-away XDG folders, and an in-memory keyring for every test.

Runs at import time, before pytest-qt creates the QApplication: without a platform and a display a plain
QApplication aborts the process (exit 134).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator

import keyring
import pytest

from tests.support.memory_keyring import MemoryKeyring

# Emulator fixtures (emulator, fresh_emulator, seeded_store_dir) for every test package.
pytest_plugins = ["tests.support.emulator_fixtures"]

os.environ["QT_QPA_PLATFORM"] = "offscreen"
_xdg_root = tempfile.mkdtemp(prefix="mailroom-tests-xdg-")
atexit.register(shutil.rmtree, _xdg_root, ignore_errors=True)
for _name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
    os.environ[_name] = os.path.join(_xdg_root, _name.removeprefix("XDG_").removesuffix("_HOME").lower())
    os.makedirs(os.environ[_name], exist_ok=True)
# QtWebEngine (later) refuses to run as root without it; CI runs as root.
os.environ.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")

# QtWebEngine must be imported, and GL contexts shared, before the QApplication exists.
from PySide6.QtCore import QCoreApplication, Qt  # noqa: E402

QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
import PySide6.QtWebEngineWidgets  # noqa: E402, F401

# The reading pane's mailroom: and cid: URL schemes: Qt accepts them only before the QApplication exists.
from app.views.webview import register_schemes  # noqa: E402

register_schemes()


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    """Every test gets an empty in-memory keyring; the machine's keyring is never touched."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
