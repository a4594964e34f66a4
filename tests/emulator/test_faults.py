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


def test_an_anchor_mailbox_that_does_not_exist_fails_the_request(emulator):
    import requests

    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
        ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
        ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
        '<s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>'
        "<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
        '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>'
    )
    auth = ("alice@example.com", "alice-pass")
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    ok = requests.post(emulator.ews_url, data=body, auth=auth, headers=headers, timeout=10)
    assert ok.status_code == 200 and b"NoError" in ok.content  # the same request, routed to alice: fine
    routed = requests.post(emulator.ews_url, data=body, auth=auth, timeout=10,
                           headers=headers | {"X-AnchorMailbox": "nobody@example.com"})
    assert routed.status_code == 500
    assert b"ErrorNonExistentMailbox" in routed.content


def test_an_unknown_request_server_version_is_refused(tmp_path, seeded_store_dir):
    import requests

    # Without a schema folder the backend still knows Exchange's version list (ErrorInvalidServerVersion is what
    # makes exchangelib fall back to an older version).
    with Emulator(data_dir=copy_store(seeded_store_dir, tmp_path / "store")) as emu:
        body = (
            '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"'
            ' xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"'
            ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">'
            '<s:Header><t:RequestServerVersion Version="Exchange2099"/></s:Header>'
            "<s:Body><m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>"
            '<m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder></s:Body></s:Envelope>'
        )
        answer = requests.post(emu.ews_url, data=body, auth=("alice@example.com", "alice-pass"), timeout=10)
        assert answer.status_code == 500
        assert b"ErrorInvalidServerVersion" in answer.content
