"""app.ews.signin against the emulator over HTTP: Autodiscover, authentication, errors, TLS trust, cancelling."""

from __future__ import annotations

import base64
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from exchangelib.protocol import BaseProtocol

from app.domain.errors import (
    AuthenticationFailed,
    Cancelled,
    CertificateUntrusted,
    ConnectionFailed,
    MailboxNotFound,
    ServerBusy,
    UnsupportedAuthentication,
)
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews.folders import list_folders
from app.ews.signin import (
    AuthChoice,
    SignInRequest,
    choose_auth,
    fetch_certificate,
    fingerprints,
    forget_certificate,
    offered_schemes,
    pinned_certificate,
    sign_in,
    trust_certificate,
)
from tests.app.ews.conftest import round_trips
from tests.support.emulator import schema_dir

pytestmark = pytest.mark.usefixtures("schema_valid_answers")
ALICE = MailboxRef("alice@example.com", "Alice Archer")


def run(req: SignInRequest, cancel_at: str = "") -> tuple[Any, list[str]]:
    """sign_in, recording progress; cancels once the message starting with ``cancel_at`` was shown."""
    shown: list[str] = []

    def cancelled() -> bool:
        return bool(cancel_at) and any(m.startswith(cancel_at) for m in shown)

    try:
        return sign_in(req, shown.append, cancelled), shown
    except Exception as error:
        error.progress = shown  # type: ignore[attr-defined]
        raise


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- success ----------------------------------------------------------------------------------------------------
def test_sign_in_through_autodiscover_step_by_step(emulator) -> None:
    with round_trips(emulator) as ews:
        result, shown = run(SignInRequest("alice@example.com", "alice-pass", server=emulator.base_url))
    try:
        assert shown == ["Looking up the server for example.com…", "Signing in as alice@example.com…",
                         "Opening your mailbox…", "Found 1 shared mailbox"]
        assert result.user == ALICE and result.client.user == ALICE
        assert result.ews_url == emulator.ews_url
        assert result.auth is AuthMethod.NTLM  # the 401 offers NTLM and Basic: NTLM wins
        assert result.version == ServerVersion(15, 2, 2562, 17)
        assert result.automapped == [MailboxRef("support@example.com", "Customer Support")]
        assert result.inbox.well_known == "inbox" and result.inbox.rights.delete
        # Autodiscover named the user and gave the build: the only EWS request is the Inbox (no ConvertId probe,
        # no ResolveNames).
        assert ews == {"GetFolder": 1}
    finally:
        result.client.close()


def test_a_full_ews_url_skips_the_lookup_but_still_finds_automapped_mailboxes(emulator) -> None:
    result, shown = run(SignInRequest("carol@example.com", "carol-pass", server=emulator.ews_url,
                                      auth=AuthChoice.BASIC))
    try:
        assert result.ews_url == emulator.ews_url
        assert result.auth is AuthMethod.BASIC
        assert result.user == MailboxRef("carol@example.com", "Carol Chen")
        assert {m.address for m in result.automapped} == {"hr@example.com", "support@example.com"}
        assert shown[-1] == "Found 2 shared mailboxes"
    finally:
        result.client.close()


def test_a_user_without_shared_mailboxes(emulator) -> None:
    result, shown = run(SignInRequest("dave@example.com", "dave-pass", server=emulator.base_url,
                                      auth=AuthChoice.NTLM))
    try:
        assert result.automapped == [] and shown[-1] == "No shared mailboxes found"
    finally:
        result.client.close()


def test_the_client_works_after_sign_in(emulator) -> None:
    result, _ = run(SignInRequest("alice@example.com", "alice-pass", server=emulator.base_url))
    try:
        assert list_folders(result.client, result.automapped[0]).full_access
    finally:
        result.client.close()


# -- errors in plain words ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", list(AuthChoice))
def test_wrong_password(emulator, auth: AuthChoice) -> None:
    with pytest.raises(AuthenticationFailed, match="refused the user name or password for alice@example.com") as info:
        run(SignInRequest("alice@example.com", "wrong-password", server=emulator.base_url, auth=auth))
    assert "wrong-password" not in str(info.value)
    assert info.value.progress == ["Looking up the server for example.com…"]  # type: ignore[attr-defined]


def test_wrong_password_with_a_full_ews_url(emulator) -> None:
    # Autodiscover is optional then; the Inbox request is what refuses the password.
    with pytest.raises(AuthenticationFailed):
        run(SignInRequest("alice@example.com", "wrong-password", server=emulator.ews_url))


def test_unknown_user_cannot_sign_in(emulator) -> None:
    # Exchange cannot tell a stranger from a typo in the password: both are refused logons.
    with pytest.raises(AuthenticationFailed, match="nobody@example.com"):
        run(SignInRequest("nobody@example.com", "whatever", server=emulator.base_url))


def test_an_address_with_no_mailbox_is_not_found(emulator) -> None:
    # alice signs in with her logon name but gives an address that has no mailbox.
    with pytest.raises(MailboxNotFound, match="There is no user alicia@example.com on this server"):
        run(SignInRequest("alicia@example.com", "alice-pass", server=emulator.base_url, username="EXAMPLE\\alice"))


@pytest.mark.parametrize("server", ["127.0.0.1:{port}", "http://127.0.0.1:{port}/EWS/Exchange.asmx"])
@pytest.mark.parametrize("auth", [AuthChoice.AUTO, AuthChoice.NTLM])
def test_unreachable_server(server: str, auth: AuthChoice) -> None:
    with pytest.raises(ConnectionFailed, match=r"(?i)reach"):
        run(SignInRequest("alice@example.com", "alice-pass", server=server.format(port=free_port()), auth=auth))


def test_busy_server_is_retried_then_reported() -> None:
    from ews_emulator import Emulator

    with Emulator(fail_rate=1.0, fail_mode="busy", fail_back_off_ms=1, schema_dir=schema_dir()) as busy:
        with pytest.raises(ServerBusy) as info:
            run(SignInRequest("alice@example.com", "alice-pass", server=busy.base_url))
        assert busy.faults.busy == 6  # the first try and five retries, each after the server's back-off
    waits = [m for m in info.value.progress if m.startswith("Exchange is busy")]  # type: ignore[attr-defined]
    assert len(waits) == 5


@pytest.mark.parametrize(("challenges", "expected"), [
    (["NTLM", 'Basic realm="mail.example.com"'], AuthMethod.NTLM),
    (["Negotiate"], AuthMethod.NTLM),
    (['Basic realm="x"'], AuthMethod.BASIC),
    (['Basic realm="x", NTLM'], AuthMethod.NTLM),
])
def test_auth_is_chosen_from_the_401(challenges: list[str], expected: AuthMethod) -> None:
    assert choose_auth(challenges, "mail.example.com") is expected


def test_oauth_only_is_explained() -> None:
    bearer = ['Bearer authorization_uri="https://login.example.com/common", error="invalid_token"']
    assert offered_schemes(bearer) == {"bearer"}
    with pytest.raises(UnsupportedAuthentication, match="only OAuth"):
        choose_auth(bearer, "outlook.example.com")
    with pytest.raises(UnsupportedAuthentication, match="(?i)offers only digest"):
        choose_auth(['Digest realm="x", qop="auth"'], "mail.example.com")


# -- cancelling --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("cancel_at", "last_step"), [
    ("Looking up", "Looking up the server for example.com…"),
    ("Signing in", "Signing in as alice@example.com…"),
    ("Opening", "Opening your mailbox…"),
])
def test_cancel_between_steps(emulator, cancel_at: str, last_step: str) -> None:
    with pytest.raises(Cancelled) as info:
        run(SignInRequest("alice@example.com", "alice-pass", server=emulator.base_url), cancel_at=cancel_at)
    assert info.value.progress[-1] == last_step  # type: ignore[attr-defined]


# -- the password stays secret ---------------------------------------------------------------------------------
def test_the_password_is_never_logged(emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for auth in (AuthChoice.BASIC, AuthChoice.NTLM):
        result, _ = run(SignInRequest("alice@example.com", "alice-pass", server=emulator.base_url, auth=auth))
        result.client.close()
    with pytest.raises(AuthenticationFailed):
        run(SignInRequest("alice@example.com", "s3cret-typo", server=emulator.base_url, auth=AuthChoice.BASIC))
    text = caplog.text
    assert "Authorization" in text, "exchangelib's request logging is on (the test would prove nothing)"
    for secret in ("alice-pass", "s3cret-typo"):
        assert secret not in text
        assert base64.b64encode(f"alice@example.com:{secret}".encode()).decode() not in text
    assert "alice-pass" not in repr(SignInRequest("alice@example.com", "alice-pass"))


# -- TLS: an untrusted certificate, then trusted explicitly -------------------------------------------------------
@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Any]:
    from ews_emulator import Emulator

    with Emulator(tls=True, schema_dir=schema_dir()) as emu:
        yield emu
        forget_certificate(emu.base_url)
        assert not emu.backend.response_violations


def saved_pem(host: str, port: int) -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "Mailroom" / "certs" / f"{host}_{port}.pem"


def test_an_untrusted_certificate_is_shown_with_subject_and_fingerprint(tls_emulator) -> None:
    server = f"127.0.0.1:{tls_emulator.port}"
    with pytest.raises(CertificateUntrusted) as info:
        run(SignInRequest("alice@example.com", "alice-pass", server=server))
    error = info.value
    assert error.subject == "CN=localhost"
    assert error.fingerprint_sha256 == tls_emulator.tls.fingerprint_sha256
    assert error.host == server
    assert error.fingerprint_sha256 in str(error) and "not trusted" in str(error)
    assert pinned_certificate(tls_emulator.base_url) is None
    assert not saved_pem("127.0.0.1", tls_emulator.port).exists()


def test_another_fingerprint_does_not_trust_it(tls_emulator) -> None:
    with pytest.raises(CertificateUntrusted):
        run(SignInRequest("alice@example.com", "alice-pass", server=f"127.0.0.1:{tls_emulator.port}",
                          trusted_fingerprint="00:" * 31 + "00"))
    assert pinned_certificate(tls_emulator.base_url) is None


def test_trusting_that_certificate_signs_in_over_verified_tls(tls_emulator) -> None:
    fingerprint = tls_emulator.tls.fingerprint_sha256
    server = f"127.0.0.1:{tls_emulator.port}"
    result, shown = run(SignInRequest("alice@example.com", "alice-pass", server=server,
                                      trusted_fingerprint=fingerprint.replace(":", "").lower()))
    try:
        assert result.ews_url == f"https://{server}/EWS/Exchange.asmx"
        assert result.automapped == [MailboxRef("support@example.com", "Customer Support")]
        assert shown[-1] == "Found 1 shared mailbox"
        pem = saved_pem("127.0.0.1", tls_emulator.port)
        assert pinned_certificate(tls_emulator.base_url) == pem
        assert pem.read_text() == tls_emulator.tls.cert_path.read_text()
        assert list_folders(result.client, "support@example.com").full_access
    finally:
        result.client.close()
    # The trust is for that host and port only: the same server by another name is still not trusted.
    with pytest.raises(CertificateUntrusted, match=f"localhost:{tls_emulator.port}"):
        run(SignInRequest("alice@example.com", "alice-pass", server=f"localhost:{tls_emulator.port}"))


def test_fingerprints_in_any_notation() -> None:
    one = "AB" * 32
    other = "cd" * 32
    assert fingerprints(":".join([one[i:i + 2] for i in range(0, 64, 2)])) == {one.lower()}
    assert fingerprints(" ".join([one[i:i + 2] for i in range(0, 64, 2)])) == {one.lower()}
    assert fingerprints(f"{one}, {other}") == {one.lower(), other}
    assert fingerprints("") == fingerprints("AB:CD") == fingerprints(one + "ab") == frozenset()


def test_several_trusted_fingerprints(tls_emulator) -> None:
    forget_certificate(tls_emulator.base_url)
    trusted = f"{'00' * 32}, {tls_emulator.tls.fingerprint_sha256}"
    result, _ = run(SignInRequest("dave@example.com", "dave-pass", server=f"127.0.0.1:{tls_emulator.port}",
                                  trusted_fingerprint=trusted))
    result.client.close()
    assert pinned_certificate(tls_emulator.base_url) is not None


def test_a_pinned_host_accepts_only_its_certificate(tls_emulator) -> None:
    """Trusting certificate A for a host does not switch verification off there: certificate B still fails."""
    from ews_emulator import Emulator

    with Emulator(tls=True, schema_dir=schema_dir()) as other:
        mine = fetch_certificate(tls_emulator.base_url)
        assert mine.fingerprint_sha256 != other.tls.fingerprint_sha256
        foreign = type(mine)("127.0.0.1", other.port, mine.pem, mine.subject, mine.fingerprint_sha256)
        trust_certificate(foreign, mine.fingerprint_sha256)
        try:
            session = BaseProtocol.raw_session(other.ews_url)
            with session, pytest.raises(requests.exceptions.SSLError):
                session.post(other.ews_url, data=b"", timeout=10)
            with pytest.raises(CertificateUntrusted) as info:
                run(SignInRequest("alice@example.com", "alice-pass", server=f"127.0.0.1:{other.port}"))
            assert info.value.fingerprint_sha256 == other.tls.fingerprint_sha256
        finally:
            forget_certificate(other.base_url)
        assert pinned_certificate(other.base_url) is None


def test_a_saved_certificate_is_reused_without_a_failed_handshake(tls_emulator) -> None:
    from app.ews import signin

    fingerprint = tls_emulator.tls.fingerprint_sha256
    server = f"127.0.0.1:{tls_emulator.port}"
    forget_certificate(tls_emulator.base_url)
    first, _ = run(SignInRequest("alice@example.com", "alice-pass", server=server, trusted_fingerprint=fingerprint))
    first.client.close()
    pem = pinned_certificate(tls_emulator.base_url)
    assert pem is not None and pem.exists()
    signin._pins.clear()  # as in a new process: only the saved file is left
    before = tls_emulator.connections_accepted
    again, _ = run(SignInRequest("bob@example.com", "bob-pass", server=server, trusted_fingerprint=fingerprint))
    again.client.close()
    assert pinned_certificate(tls_emulator.base_url) == pem
    # Autodiscover probe + GetUserSettings, EWS probe + GetFolder: no connection spent on a refused handshake.
    assert tls_emulator.connections_accepted - before <= 4
