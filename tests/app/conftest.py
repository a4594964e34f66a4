"""Fixtures for the app's tests: the EWS emulator over real HTTP, started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _schema_dir() -> Path | None:
    candidate = REPO.parent / "shared" / "ews-schema"
    return candidate if (candidate / "messages.xsd").is_file() else None


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    """The local Exchange emulator with a fresh demo tenant on a free loopback port (use it read-only)."""
    from ews_emulator import Emulator

    with Emulator(
        host="127.0.0.1", port=0, data_dir=None, scale=0, latency_ms=0, schema_dir=_schema_dir()
    ) as emu:
        yield emu
