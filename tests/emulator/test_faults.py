"""Injected faults against the real demo tenant, seen through exchangelib's own error handling."""

from __future__ import annotations

import pytest
from exchangelib.errors import ErrorServerBusy, TransportError
from exchangelib.protocol import FaultTolerance

from ews_emulator import Emulator
from tests.support.emulator import account, copy_store, schema_dir


def _emulator(seeded_store_dir, tmp_path, **faults) -> Emulator:
    return Emulator(data_dir=copy_store(seeded_store_dir, tmp_path / "store"), schema_dir=schema_dir(), **faults)


def test_busy_server_is_retried_after_its_back_off(seeded_store_dir, tmp_path):
    with _emulator(seeded_store_dir, tmp_path, fail_rate=0.5, fail_mode="busy", fail_seed=3,
                   fail_back_off_ms=20) as emu:
        acc = account(emu, "alice", "support@example.com", retry_policy=FaultTolerance(max_wait=60))
        subjects = [m.subject for m in acc.inbox.all().only("subject").order_by("-datetime_received")[:30]]
        assert len(subjects) == 30
        assert emu.faults.busy > 0, "the run must actually have hit injected ErrorServerBusy faults"
        assert emu.faults.drop == emu.faults.http500 == 0


def test_busy_fault_reaches_a_fail_fast_client_with_its_back_off(seeded_store_dir, tmp_path):
    with _emulator(seeded_store_dir, tmp_path, fail_rate=1.0, fail_mode="busy", fail_back_off_ms=1500) as emu:
        acc = account(emu, "alice", "support@example.com")
        with pytest.raises(ErrorServerBusy) as info:
            acc.inbox.refresh()
        assert info.value.back_off == pytest.approx(1.5)


@pytest.mark.parametrize("mode", ["drop", "http500"])
def test_broken_answers_fail_cleanly_and_the_server_keeps_serving(seeded_store_dir, tmp_path, mode):
    with _emulator(seeded_store_dir, tmp_path, fail_rate=1.0, fail_mode=mode) as emu:
        acc = account(emu, "alice", "support@example.com")
        with pytest.raises(TransportError):
            acc.inbox.refresh()
        assert getattr(emu.faults, mode) >= 1
        emu.server.faults.rate = 0.0  # the fault clears: the same server answers normally again
        fresh = account(emu, "bob")
        assert fresh.inbox.total_count >= 1
