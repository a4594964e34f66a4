"""Fixtures for the app's tests. The emulator fixtures (``emulator``, ``fresh_emulator``) come from
``tests/support/emulator_fixtures.py``; this adds the real window signed in to one of them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.app_driver import Driver, start_app, stop_app


@pytest.fixture
def drive(qtbot, tmp_path) -> Iterator[Callable[..., Driver]]:
    """``drive(emu, "alice", wait=True, home=None, **options)`` -> a signed-in main window, stopped at the end
    of the test. Each window has its own home folder unless ``home`` names one (reusing it = a restart)."""
    apps: list[Any] = []

    def make(
        emu: Any, user: str = "alice", *, wait: bool = True, home: str | None = None, **options: Any
    ) -> Driver:
        app = start_app(qtbot, emu, tmp_path / (home or f"app{len(apps)}"), user, **options)
        apps.append(app)
        driver = Driver(qtbot, app, emu)
        if wait:
            driver.wait_signed_in()
        return driver

    yield make
    for app in apps:
        stop_app(app)
