"""Authentication of the emulator's HTTP layer: the 401 challenge, Basic, NTLM (connection-bound) and Bearer.

A small in-test Backend with two users and a shared mailbox stands in for the Exchange logic, so these
tests exercise ``auth.py``, ``ntlm.py`` and ``tokens.py`` over real HTTP with ``requests``,
``requests_ntlm`` and exchangelib's own auth probe.
"""

from __future__ import annotations

import http.client
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import requests
from lxml import etree
from requests_ntlm import HttpNtlmAuth

from ews_emulator import Emulator, soap
from ews_emulator.backend import HttpResult
from ews_emulator.ntlm import ENV_VAR

WAIT = 10


def convert_id_error() -> bytes:
    """A ConvertId error answer with ServerVersionInfo: enough for exchangelib's version probe."""
    root = etree.Element(soap.m("ConvertIdResponse"), nsmap={"m": soap.M_NS})
    msg = etree.SubElement(
        etree.SubElement(root, soap.m("ResponseMessages")), soap.m("ConvertIdResponseMessage")
    )
    msg.set("ResponseClass", "Error")
    etree.SubElement(msg, soap.m("MessageText")).text = "Id is malformed."
    etree.SubElement(msg, soap.m("ResponseCode")).text = "ErrorInvalidIdMalformed"
    etree.SubElement(msg, soap.m("DescriptiveLinkKey")).text = "0"
    return soap.envelope(root)


class DirectoryBackend:
    """Users alice and bob may log on; support@ is a shared mailbox with a password that must never work."""

    def __init__(self, passwords: dict[str, str] | None = None) -> None:
        self.passwords = passwords or {"alice@example.com": "alice-pass", "bob@example.com": "bob-pass"}
        self.shared = {"support@example.com": "support-pass"}
        self.principals: list[str] = []

    def check_password(self, address: str, password: str) -> str | None:
        return address if self.passwords.get(address) == password else None

    def logon_accounts(self) -> list[tuple[str, str]]:
        return list(self.passwords.items())

    def resolve_logon(self, name: str) -> str | None:
        name = name.rsplit("\\", 1)[-1].lower()
        address = name if "@" in name else f"{name}@example.com"
        return address if address in self.passwords or address in self.shared else None

    def handle_ews(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        self.principals.append(principal)
        return HttpResult(200, convert_id_error(), headers={"X-Principal": principal})

    handle_autodiscover = handle_ews


@pytest.fixture
def backend() -> DirectoryBackend:
    return DirectoryBackend()


@pytest.fixture
def emu(backend: DirectoryBackend) -> Iterator[Emulator]:
    with Emulator(backend=backend) as emulator:
        yield emulator


def post(emulator: Emulator, auth: object = None, **kwargs: object) -> requests.Response:
    return requests.post(emulator.ews_url, data=b"<x/>", auth=auth, timeout=WAIT, **kwargs)  # type: ignore[arg-type]


# -- the challenge --------------------------------------------------------------------------------------
def test_unauthenticated_request_gets_ntlm_and_basic_challenges(
    emu: Emulator, backend: DirectoryBackend
) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=WAIT)
    try:
        conn.request("POST", "/EWS/Exchange.asmx", body=b"<x/>", headers={"Content-Type": "text/xml"})
        r = conn.getresponse()
        r.read()
        assert r.status == 401
        assert r.msg.get_all("WWW-Authenticate") == ["NTLM", 'Basic realm="127.0.0.1"']
        assert not r.will_close, "a 401 keeps the connection open (NTLM needs it)"
    finally:
        conn.close()
    assert backend.principals == []


def test_autodiscover_needs_auth_too(emu: Emulator) -> None:
    assert requests.post(emu.autodiscover_url, data=b"<x/>", timeout=WAIT).status_code == 401
    r = requests.post(emu.autodiscover_url, data=b"<x/>", auth=("bob", "bob-pass"), timeout=WAIT)
    assert r.headers["X-Principal"] == "bob@example.com"


# -- Basic ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["alice@example.com", "ALICE@example.com", "EXAMPLE\\alice", "alice"])
def test_basic_accepts_every_logon_name_form(emu: Emulator, backend: DirectoryBackend, name: str) -> None:
    r = post(emu, (name, "alice-pass"))
    assert r.status_code == 200
    assert backend.principals == ["alice@example.com"]


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("alice@example.com", "bob-pass"),
        ("alice@example.com", ""),
        ("mallory@example.com", "alice-pass"),
        ("support@example.com", "support-pass"),  # a shared mailbox cannot log on, whatever the password
    ],
)
def test_basic_rejects_wrong_password_unknown_user_and_shared_mailbox(
    emu: Emulator, backend: DirectoryBackend, name: str, password: str
) -> None:
    r = post(emu, (name, password))
    assert r.status_code == 401
    assert "Basic" in r.headers["WWW-Authenticate"]
    assert backend.principals == []


@pytest.mark.parametrize(
    "header", ["Basic !!!not-base64", "Basic " + "YWxpY2U=", "Digest x", "Negotiate YIIB"]
)
def test_malformed_or_unsupported_authorization_is_401(emu: Emulator, header: str) -> None:
    assert post(emu, headers={"Authorization": header}).status_code == 401
    assert post(emu, ("alice", "alice-pass")).status_code == 200


def test_basic_is_not_bound_to_the_connection(emu: Emulator) -> None:
    with requests.Session() as s:
        assert (
            s.post(emu.ews_url, data=b"<x/>", auth=("alice", "alice-pass"), timeout=WAIT).status_code == 200
        )
        assert s.post(emu.ews_url, data=b"<x/>", timeout=WAIT).status_code == 401
    assert emu.connections_accepted == 1


# -- NTLM -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["alice@example.com", "\\alice@example.com", "EXAMPLE\\alice", "example\\ALICE", "example.com\\alice"],
)
def test_ntlm_handshake_with_every_logon_name_form(
    emu: Emulator, backend: DirectoryBackend, name: str
) -> None:
    r = post(emu, HttpNtlmAuth(name, "alice-pass"))
    assert r.status_code == 200
    assert [h.status_code for h in r.history] == [401, 401]
    assert r.history[1].headers["WWW-Authenticate"].startswith("NTLM TlRMTVNTUAAC")  # a Challenge message
    assert backend.principals == ["alice@example.com"]


@pytest.mark.parametrize(
    ("name", "password"),
    [("alice@example.com", "wrong"), ("mallory@example.com", "x"), ("support@example.com", "support-pass")],
)
def test_ntlm_rejects_wrong_password_unknown_user_and_shared_mailbox(
    emu: Emulator, backend: DirectoryBackend, name: str, password: str
) -> None:
    r = post(emu, HttpNtlmAuth(name, password))
    assert r.status_code == 401
    assert backend.principals == []


def test_ntlm_authenticates_the_connection_not_the_request(emu: Emulator, backend: DirectoryBackend) -> None:
    with requests.Session() as s:
        s.auth = HttpNtlmAuth("alice@example.com", "alice-pass")
        first = s.post(emu.ews_url, data=b"<x/>", timeout=WAIT)
        second = s.post(emu.ews_url, data=b"<x/>", timeout=WAIT)
        assert (first.status_code, len(first.history)) == (200, 2)
        assert (second.status_code, second.history) == (200, [])  # no new handshake, no Authorization header
        assert "Authorization" not in second.request.headers
    assert emu.connections_accepted == 1
    assert backend.principals == ["alice@example.com", "alice@example.com"]
    assert post(emu).status_code == 401, "a new connection starts unauthenticated"


def test_ntlm_user_file_holds_hashes_only_and_is_private(emu: Emulator) -> None:
    path = Path(os.environ[ENV_VAR])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text()
    assert "alice-pass" not in text and "bob-pass" not in text
    names = {line.split(":")[0].lower() for line in text.splitlines()}
    assert {"alice@example.com", "example\\alice", "example.com\\alice", "alice"} <= names
    assert not any(name.startswith("support") for name in names)


def test_two_emulators_in_one_process_merge_their_ntlm_accounts() -> None:
    first = DirectoryBackend()
    second = DirectoryBackend({"alice@example.com": "alice-pass", "erin@example.com": "erin-pass"})
    with Emulator(backend=first) as one, Emulator(backend=second) as two:
        assert post(one, HttpNtlmAuth("alice@example.com", "alice-pass")).status_code == 200
        assert post(one, HttpNtlmAuth("bob", "bob-pass")).status_code == 200
        assert post(two, HttpNtlmAuth("alice@example.com", "alice-pass")).status_code == 200
        assert post(two, HttpNtlmAuth("erin", "erin-pass")).status_code == 200
        assert post(one, HttpNtlmAuth("erin", "erin-pass")).status_code == 401  # not a user of `one`
        assert post(two, HttpNtlmAuth("bob", "bob-pass")).status_code == 401  # not a user of `two`
    assert "erin" not in Path(os.environ[ENV_VAR]).read_text(), "a stopped emulator's entries are removed"


def test_conflicting_passwords_across_emulators_never_let_a_wrong_password_in() -> None:
    older = DirectoryBackend({"alice@example.com": "old-pass"})
    newer = DirectoryBackend({"alice@example.com": "new-pass"})
    with Emulator(backend=older) as one:
        with Emulator(backend=newer) as two:
            assert post(two, HttpNtlmAuth("alice", "new-pass")).status_code == 200
            assert (
                post(one, HttpNtlmAuth("alice", "new-pass")).status_code == 401
            )  # never the other's password
            assert post(one, HttpNtlmAuth("alice", "old-pass")).status_code == 401  # documented limitation
            assert post(one, ("alice", "old-pass")).status_code == 200  # Basic is unaffected
        assert (
            post(one, HttpNtlmAuth("alice", "old-pass")).status_code == 200
        )  # back once the newer one stopped


def test_exchangelib_probe_picks_ntlm_and_reads_the_version(emu: Emulator, backend: DirectoryBackend) -> None:
    from exchangelib import NTLM, Configuration, Credentials
    from exchangelib.protocol import Protocol

    config = Configuration(
        service_endpoint=emu.ews_url, credentials=Credentials("alice@example.com", "alice-pass")
    )
    protocol = Protocol(config=config)
    try:
        assert protocol.auth_type == NTLM  # the unauthenticated probe saw NTLM offered
        build = protocol.version.build
        assert (build.major_version, build.minor_version, build.major_build, build.minor_build) == (
            15,
            2,
            2562,
            17,
        )
    finally:
        protocol.close()
    assert backend.principals and set(backend.principals) == {"alice@example.com"}


def test_exchangelib_wrong_password_is_unauthorized(emu: Emulator) -> None:
    from exchangelib import BASIC, Build, Configuration, Credentials, Version
    from exchangelib.errors import UnauthorizedError
    from exchangelib.protocol import Protocol

    config = Configuration(
        service_endpoint=emu.ews_url,
        credentials=Credentials("alice@example.com", "wrong"),
        auth_type=BASIC,
        version=Version(build=Build(15, 2, 2562, 17)),
    )
    protocol = Protocol(config=config)
    try:
        with pytest.raises(UnauthorizedError):
            list(protocol.get_timezones())
    finally:
        protocol.close()


# -- Bearer ---------------------------------------------------------------------------------------------
def token(emulator: Emulator, **form: str) -> requests.Response:
    return requests.post(emulator.token_url, data=form, timeout=WAIT)


def test_password_grant_issues_a_working_bearer_token(emu: Emulator, backend: DirectoryBackend) -> None:
    r = token(
        emu, grant_type="password", username="EXAMPLE\\bob", password="bob-pass", scope="EWS.AccessAsUser.All"
    )
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "no-store"
    grant = r.json()
    assert grant["token_type"] == "Bearer"
    assert grant["expires_in"] == 3600
    assert grant["scope"] == "EWS.AccessAsUser.All"
    assert len(grant["access_token"]) >= 40 and grant["access_token"] != grant["refresh_token"]
    ok = post(emu, headers={"Authorization": f"Bearer {grant['access_token']}"})
    assert ok.status_code == 200
    assert backend.principals == ["bob@example.com"]


def test_refresh_grant_rotates_the_refresh_token(emu: Emulator) -> None:
    first = token(emu, grant_type="password", username="alice", password="alice-pass").json()
    r = token(emu, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert second["access_token"] != first["access_token"]
    assert post(emu, headers={"Authorization": f"Bearer {second['access_token']}"}).status_code == 200
    reused = token(emu, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_expired_or_unknown_bearer_token_is_invalid_token(emu: Emulator) -> None:
    grant = token(emu, grant_type="password", username="alice@example.com", password="alice-pass").json()
    bearer = {"Authorization": f"Bearer {grant['access_token']}"}
    assert post(emu, headers=bearer).status_code == 200
    real_clock = emu.tokens.clock
    emu.tokens.clock = lambda: real_clock() + 3601
    expired = post(emu, headers=bearer)
    assert expired.status_code == 401
    assert expired.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    emu.tokens.clock = lambda: real_clock() + 86401
    late = token(emu, grant_type="refresh_token", refresh_token=grant["refresh_token"])
    assert (late.status_code, late.json()["error"]) == (400, "invalid_grant")
    emu.tokens.clock = real_clock
    unknown = post(emu, headers={"Authorization": "Bearer not-a-token"})
    assert unknown.status_code == 401
    assert unknown.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "password", "username": "alice", "password": "wrong"}, "invalid_grant"),
        (
            {"grant_type": "password", "username": "support@example.com", "password": "support-pass"},
            "invalid_grant",
        ),
        ({"grant_type": "password", "username": "alice"}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"username": "alice", "password": "alice-pass"}, "invalid_request"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
)
def test_token_endpoint_errors(emu: Emulator, form: dict[str, str], error: str) -> None:
    r = token(emu, **form)
    assert r.status_code == 400
    assert r.json()["error"] == error


def test_token_endpoint_wants_a_form_post(emu: Emulator) -> None:
    r = requests.post(emu.token_url, json={"grant_type": "password"}, timeout=WAIT)
    assert (r.status_code, r.json()["error"]) == (400, "invalid_request")
    assert requests.get(emu.token_url, timeout=WAIT).status_code == 405


def test_a_standard_oauth2_client_accepts_the_token_endpoint(backend: DirectoryBackend) -> None:
    from oauthlib.oauth2 import LegacyApplicationClient
    from requests_oauthlib import OAuth2Session

    with Emulator(backend=backend, tls=True) as emulator:  # https, as oauthlib insists
        assert emulator.tls is not None
        cert = str(emulator.tls.cert_path)
        with OAuth2Session(
            client=LegacyApplicationClient(client_id="mailroom"), scope=["EWS.AccessAsUser.All"]
        ) as s:
            first = s.fetch_token(
                token_url=emulator.token_url,
                username="alice@example.com",
                password="alice-pass",
                include_client_id=True,
                verify=cert,
                timeout=WAIT,
            )
            assert s.post(emulator.ews_url, data=b"<x/>", verify=cert, timeout=WAIT).status_code == 200
            second = s.refresh_token(emulator.token_url, include_client_id=True, verify=cert, timeout=WAIT)
            assert second["access_token"] != first["access_token"]
            assert s.post(emulator.ews_url, data=b"<x/>", verify=cert, timeout=WAIT).status_code == 200
    assert backend.principals == ["alice@example.com", "alice@example.com"]


def test_raw_ntlm_in_the_negotiate_scheme_and_a_clobbered_user_file_env(
    emu: Emulator, backend: DirectoryBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    import spnego

    monkeypatch.setenv(ENV_VAR, "/nonexistent")  # something else in the process changed it
    client = spnego.client(
        "EXAMPLE\\bob", "bob-pass", protocol="ntlm", options=spnego.NegotiateOptions.use_ntlm
    )
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=WAIT)
    try:
        negotiate = base64.b64encode(client.step()).decode()
        conn.request(
            "POST", "/EWS/Exchange.asmx", body=b"<x/>", headers={"Authorization": f"Negotiate {negotiate}"}
        )
        r = conn.getresponse()
        r.read()
        assert r.status == 401
        scheme, _, challenge = r.getheader("WWW-Authenticate").partition(" ")
        assert scheme == "Negotiate"
        authenticate = base64.b64encode(client.step(base64.b64decode(challenge))).decode()
        conn.request(
            "POST", "/EWS/Exchange.asmx", body=b"<x/>", headers={"Authorization": f"Negotiate {authenticate}"}
        )
        r = conn.getresponse()
        r.read()
        assert (r.status, r.getheader("X-Principal")) == (200, "bob@example.com")
        conn.request("POST", "/EWS/Exchange.asmx", body=b"<x/>")
        r = conn.getresponse()
        r.read()
        assert (r.status, r.getheader("X-Principal")) == (200, "bob@example.com")
    finally:
        conn.close()
