"""The retry policy against the emulator's injected faults: reads are tried again, writes are not resent blindly.

Faults are injected per authenticated EWS request by the emulator (``fail_rate``/``fail_mode``, seeded); the
rate is changed at runtime where a test needs a fault at one precise step.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest

from app.domain.errors import Cancelled, ConnectionLost, ServerBusy, ServerUnavailable
from app.domain.folders import FolderRef
from app.ews import folder_admin, folders
from app.ews.client import EwsClient
from app.ews.exchanges import is_read, operation_of
from app.ews.retry import RetryPolicy
from tests.app.ews.conftest import signed_in

SUPPORT = "support@example.com"
FAST = RetryPolicy(max_retries=5, base_delay=0.01, max_delay=0.05)
RAW_HTTP = ("HTTP", "headers", "Content-Type", "ews-emulator", "<", "Internal server error", "Unknown failure")


def client_of(emu: Any, user: str = "alice") -> EwsClient:
    client = signed_in(emu, user).client
    client.retry_policy = FAST
    return client


@pytest.mark.parametrize("mode", ["drop", "http500"])
def test_a_read_is_tried_again_after_a_transient_failure(start_fresh_emulator, mode: str) -> None:
    emu = start_fresh_emulator(fail_mode=mode)
    client = client_of(emu)
    emu._injector.rate = 1.0  # the next request fails ...
    failures = getattr(emu.faults, mode)

    def heal() -> None:  # ... and the ones after it go through
        while getattr(emu.faults, mode) == failures:
            time.sleep(0.001)
        emu._injector.rate = 0.0

    healer = threading.Thread(target=heal)
    healer.start()
    tree = folders.list_folders(client, SUPPORT)
    healer.join()
    assert tree.folder("inbox") is not None
    assert getattr(emu.faults, mode) >= failures + 1
    client.close()


def test_reads_give_up_after_the_bounded_retries_with_a_plain_message(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(fail_mode="http500")
    client = client_of(emu)
    emu._injector.rate = 1.0
    with pytest.raises(ServerUnavailable) as info:
        folders.list_folders(client, SUPPORT)  # nested retrying calls inside: the outermost owns the retries
    assert emu.faults.http500 == FAST.max_retries + 1
    text = str(info.value)
    assert not [raw for raw in RAW_HTTP if raw in text], text
    assert "try again" in text.lower()
    assert client.connectivity.down
    client.close()


def test_a_write_whose_answer_was_lost_is_not_sent_again(start_fresh_emulator) -> None:
    # A rename goes through the retry policy as it is (a create goes out once and asks afterwards: test_writes_once).
    emu = start_fresh_emulator(fail_mode="drop")
    client = client_of(emu)
    top = FolderRef(SUPPORT, "", "msgfolderroot")
    made = folder_admin.create_folder(client, top, "Once only")
    emu._injector.rate = 1.0
    with pytest.raises(ConnectionLost):
        folder_admin.rename_folder(client, made, "Renamed once")
    assert emu.faults.drop == 1, "UpdateFolder was sent exactly once"
    client.close()


def test_a_write_refused_as_busy_is_sent_again(start_fresh_emulator) -> None:
    # ErrorServerBusy means Exchange did nothing: a write may go again, after the server's back-off.
    emu = start_fresh_emulator(fail_mode="busy", fail_back_off_ms=30)
    client = client_of(emu)
    top = FolderRef(SUPPORT, "", "msgfolderroot")
    emu._injector.rate = 1.0
    with pytest.raises(ServerBusy):
        folder_admin.create_folder(client, top, "Busy")
    assert emu.faults.busy == FAST.max_retries + 1
    client.close()


def test_waits_respect_the_servers_back_off_and_are_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    busy = ServerBusy("busy", back_off_seconds=3.0)
    lost = ConnectionLost("lost")
    rng = random.Random(1)
    assert all(3.0 <= policy.delay(1, busy, rng) <= 3.3 for _ in range(50))
    first = [policy.delay(1, lost, rng) for _ in range(50)]
    assert all(0.25 <= d <= 0.5 for d in first) and len(set(first)) > 40  # jitter: spread, never all at once
    assert all(2.0 <= policy.delay(9, lost, rng) <= 4.0 for _ in range(50))  # capped


def test_a_wait_ends_when_the_work_is_cancelled(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(fail_mode="busy", fail_back_off_ms=60_000)
    client = client_of(emu)
    client.retry_policy = RetryPolicy(max_total_wait=600)
    emu._injector.rate = 1.0
    started = time.monotonic()
    deadline = started + 0.3
    with pytest.raises(Cancelled):
        client.retrying(lambda: folders.list_folders(client, SUPPORT), cancelled=lambda: time.monotonic() > deadline)
    assert time.monotonic() - started < 5
    client.close()


def test_connectivity_listeners_hear_the_server_answer_again(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(fail_mode="http500")
    client = client_of(emu)
    heard: list[bool] = []
    client.connectivity.subscribe(lambda: heard.append(True))
    emu._injector.rate = 1.0
    with pytest.raises(ServerUnavailable):
        folders.list_folders(client, SUPPORT)
    assert not heard
    emu._injector.rate = 0.0
    folders.list_folders(client, SUPPORT)
    assert heard == [True] and not client.connectivity.down
    client.close()


def test_operations_are_classified_read_or_write() -> None:
    body = (b'<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Header/><s:Body>'
            b'<m:FindItem Traversal="Shallow"/></s:Body></s:Envelope>')
    assert operation_of(body) == "FindItem" and is_read("FindItem")
    for write in ("CreateItem", "SendItem", "MoveItem", "UpdateItem", "DeleteItem", "CreateFolder", "Subscribe"):
        assert not is_read(write)
    assert operation_of(b"not soap") == "" and not is_read("")  # unknown counts as a write


def test_exchangelibs_made_up_busy_is_not_a_refusal_so_a_write_is_not_sent_again() -> None:
    # exchangelib 5.6.0 re-raises a lost connection, a timeout or an answer with "Connection: close" as
    # ErrorServerBusy; only Exchange's own ErrorServerBusy refuses before acting and makes a write safe to resend.
    from exchangelib import errors as ex

    from app.ews.errors import translate
    from app.ews.exchanges import ExchangeRecord
    from app.ews.retry import may_retry

    write, read = ExchangeRecord(sent=["CreateItem"]), ExchangeRecord(sent=["GetFolder"])
    for made_up in (ex.ErrorServerBusy("Caused by closed connection"),
                    ex.ErrorServerBusy("Reraised from ErrorTimeoutExpired(The request timed out)", back_off=1)):
        error = translate(made_up)
        assert isinstance(error, ConnectionLost) and error.transient, made_up
        assert not may_retry(error, write), "the write may have been carried out"
        assert may_retry(error, read)
    refused = translate(ex.ErrorServerBusy("The server cannot service this request right now.", back_off=2))
    assert isinstance(refused, ServerBusy) and refused.back_off_seconds == 2
    assert may_retry(refused, write)
