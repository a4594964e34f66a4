"""Emulator fixtures for the whole suite (registered in tests/conftest.py), schema validation on when available."""

from __future__ import annotations

import weakref

import pytest

from tests.support.emulator import copy_store, schema_dir

# Emulators a test already checked and stopped itself (check_and_stop); fresh_emulator leaves them alone.
_checked_and_stopped: weakref.WeakSet = weakref.WeakSet()


@pytest.fixture(scope="session")
def seeded_store_dir(tmp_path_factory):
    """The demo tenant seeded once per session; tests that change data work on a copy."""
    from ews_emulator.exchange import create_backend

    path = tmp_path_factory.mktemp("seeded")
    backend = create_backend(data_dir=path)
    backend.store.close()
    return path


def _start(data_dir, **options):
    from ews_emulator import Emulator

    emu = Emulator(data_dir=data_dir, schema_dir=schema_dir(), **options)
    emu.start()
    return emu


def _assert_valid_responses(emu) -> None:
    violations = list(emu.backend.response_violations)
    emu.backend.response_violations.clear()
    assert not violations, "schema-invalid responses:\n" + "\n".join(violations[:20])


@pytest.fixture(scope="session")
def shared_emulator(seeded_store_dir, tmp_path_factory):
    """One emulator for read-only tests (do not change data through it)."""
    emu = _start(copy_store(seeded_store_dir, tmp_path_factory.mktemp("shared")))
    yield emu
    emu.stop()


@pytest.fixture
def emulator(shared_emulator):
    """The shared read-only emulator; fails the test if any response it sent broke the schema."""
    shared_emulator.backend.response_violations.clear()
    yield shared_emulator
    _assert_valid_responses(shared_emulator)


@pytest.fixture
def fresh_emulator(seeded_store_dir, tmp_path):
    """An emulator on a private copy of the demo tenant, for tests that change data."""
    emu = _start(copy_store(seeded_store_dir, tmp_path / "store"))
    yield emu
    if emu in _checked_and_stopped:  # the test stopped it itself (server gone) with check_and_stop()
        return
    try:
        _assert_valid_responses(emu)
    finally:
        emu.stop()


@pytest.fixture
def start_fresh_emulator(seeded_store_dir, tmp_path):
    """``start(**options)`` -> a started emulator on its own private copy of the demo tenant.

    Options are the Emulator's (``latency_ms``, ``fail_rate``, ``fail_seed`` ...). Each emulator started is
    checked for schema-invalid responses and stopped at the end of the test.
    """
    started = []

    def start(**options):
        emu = _start(copy_store(seeded_store_dir, tmp_path / f"started-store{len(started)}"), **options)
        started.append(emu)
        return emu

    yield start
    failures = []
    for emu in started:
        try:
            check_and_stop(emu)
        except AssertionError as error:
            failures.append(str(error))
    assert not failures, "\n".join(failures)


def check_and_stop(emu) -> None:
    """Stop an emulator a test started itself, failing the test if any of its answers broke the schema."""
    try:
        _assert_valid_responses(emu)
    finally:
        emu.stop()
        _checked_and_stopped.add(emu)
