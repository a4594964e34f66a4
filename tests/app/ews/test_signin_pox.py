"""Sign-in with only a host name on servers without SOAP Autodiscover (grommunio Gromox): POX Autodiscover, as
Outlook asks it, and when no Autodiscover answers at all, a message that says what to type instead."""

from __future__ import annotations

import pytest

from app.domain.errors import ConnectionFailed, MailboxNotFound
from app.domain.mailbox import MailboxRef
from app.ews.signin import SignInRequest, forget_certificate, sign_in
from tests.app.ews.conftest import round_trips


def _run(emu, server: str, address: str = "alice@example.com", username: str = ""):
    shown: list[str] = []
    trusted = emu.tls.fingerprint_sha256 if emu.tls is not None else ""
    try:
        return sign_in(SignInRequest(address, "alice-pass", server=server, trusted_fingerprint=trusted,
                                     username=username),
                       shown.append, lambda: False), shown
    finally:
        forget_certificate(emu.base_url)


def test_host_name_only_signs_in_through_pox_autodiscover(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(tls=True, quirks=["no-soap-autodiscover"])
    host = f"127.0.0.1:{emu.port}"
    with round_trips(emu) as ops:
        result, shown = _run(emu, host)
    try:
        assert result.ews_url == f"https://{host}/EWS/Exchange.asmx"
        assert result.user == MailboxRef("alice@example.com", "Alice Archer")  # the name POX gave: no ResolveNames
        assert result.automapped == [MailboxRef("support@example.com", "Customer Support")]
        assert "ResolveNames" not in ops
        assert f"Trying {host} (Outlook Autodiscover)…" in shown
        assert shown[-1] == "Found 1 shared mailbox"
    finally:
        result.client.close()


def test_pox_says_plainly_when_the_user_is_unknown(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(quirks=["no-soap-autodiscover"])
    with pytest.raises(MailboxNotFound, match="no user nobody@example.com"):
        _run(emu, emu.base_url, address="nobody@example.com", username="alice@example.com")


def test_no_autodiscover_at_all_suggests_the_full_ews_address(start_fresh_emulator) -> None:
    emu = start_fresh_emulator(tls=True, quirks=["no-soap-autodiscover", "no-pox-autodiscover"])
    host = f"127.0.0.1:{emu.port}"
    with pytest.raises(ConnectionFailed) as info:
        _run(emu, host)
    text = str(info.value)
    assert f"https://{host}/EWS/Exchange.asmx" in text
    assert "does not look like Exchange" not in text
    # ... and that address works.
    result, _ = _run(emu, f"https://{host}/EWS/Exchange.asmx")
    try:
        assert result.user.address == "alice@example.com"
        assert result.automapped == []  # no Autodiscover: nobody said which mailboxes are automapped
    finally:
        result.client.close()
