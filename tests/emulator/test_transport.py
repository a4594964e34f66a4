"""The emulator's HTTP layer alone: routing, keep-alive, streaming, latency, faults, robustness, TLS, CLI.

A small in-test Backend answers fixed SOAP, so these tests exercise only ``server.py`` and friends,
over real HTTP on loopback with ``requests``, ``http.client`` and exchangelib's own transport.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
import requests
from lxml import etree

from ews_emulator import Emulator, soap
from ews_emulator.backend import HttpResult
from ews_emulator.faults import FaultInjector, FaultMode

REPO = Path(__file__).resolve().parents[2]
ALICE = ("alice@example.com", "alice-pass")
WAIT = 10  # seconds: upper bound of every wait on another thread, never reached when things work


def convert_id_error() -> bytes:
    """A valid ConvertId error answer with ServerVersionInfo (what exchangelib's version probe accepts)."""
    root = etree.Element(soap.m("ConvertIdResponse"), nsmap={"m": soap.M_NS})
    msgs = etree.SubElement(root, soap.m("ResponseMessages"))
    msg = etree.SubElement(msgs, soap.m("ConvertIdResponseMessage"), ResponseClass="Error")
    etree.SubElement(msg, soap.m("MessageText")).text = "Id is malformed."
    etree.SubElement(msg, soap.m("ResponseCode")).text = "ErrorInvalidIdMalformed"
    etree.SubElement(msg, soap.m("DescriptiveLinkKey")).text = "0"
    return soap.envelope(root)


class FixedBackend:
    """A Backend with one logon account that answers fixed SOAP; request bodies select test behaviours."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, bytes, dict[str, str]]] = []
        self.slow_entered = threading.Event()
        self.slow_release = threading.Event()
        self.stream_step = threading.Event()
        self.stream_closed = threading.Event()
        self._lock = threading.Lock()

    def check_password(self, address: str, password: str) -> str | None:
        return ALICE[0] if (address, password) == ALICE else None

    def logon_accounts(self) -> list[tuple[str, str]]:
        return [ALICE]

    def resolve_logon(self, name: str) -> str | None:
        name = name.rsplit("\\", 1)[-1].lower()
        return ALICE[0] if name in ("alice", ALICE[0]) else None

    def handle_autodiscover(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        self._record("autodiscover", principal, body, headers)
        return HttpResult(200, b"<autodiscover/>", headers={"X-Test-Route": "autodiscover"})

    def handle_ews(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        self._record("ews", principal, body, headers)
        if b"RAISE" in body:
            raise RuntimeError("a backend bug")
        if b"SLOW" in body:
            self.slow_entered.set()
            assert self.slow_release.wait(WAIT)
        if b"STREAM-BROKEN" in body:
            return HttpResult(200, self._broken_stream())
        if b"STREAM-FOREVER" in body:
            return HttpResult(200, self._endless_stream())
        if b"STREAM" in body:
            return HttpResult(200, self._stepped_stream())
        return HttpResult(
            200, convert_id_error(), headers={"X-Test-Route": "ews", "X-Test-Principal": principal}
        )

    def _record(self, route: str, principal: str, body: bytes, headers: Mapping[str, str]) -> None:
        with self._lock:
            self.calls.append((route, principal, body, dict(headers)))

    def _stepped_stream(self) -> Iterator[bytes]:
        yield b"<part1/>"
        if not self.stream_step.wait(WAIT):  # the test sets it only after it has received part 1
            raise AssertionError("part 1 never reached the client")
        yield b"<part2/>"

    def _endless_stream(self) -> Iterator[bytes]:
        try:
            for _ in range(2000):  # bounded: 2000 x 10 ms
                yield b"<keepalive/>" * 512
                time.sleep(0.01)
        finally:
            self.stream_closed.set()

    def _broken_stream(self) -> Iterator[bytes]:
        yield b"<part1/>"
        raise RuntimeError("stream bug")


@pytest.fixture
def backend() -> FixedBackend:
    return FixedBackend()


@pytest.fixture
def emu(backend: FixedBackend) -> Iterator[Emulator]:
    with Emulator(backend=backend) as emulator:
        yield emulator


def post(emulator: Emulator, body: bytes = b"<x/>", **kwargs: object) -> requests.Response:
    kwargs.setdefault("auth", ALICE)
    return requests.post(emulator.ews_url, data=body, timeout=WAIT, **kwargs)  # type: ignore[arg-type]


# -- routing and HTTP basics ----------------------------------------------------------------------------
def test_binds_loopback_on_a_free_port(emu: Emulator) -> None:
    assert emu.host == "127.0.0.1"
    assert emu.port > 0
    assert emu.ews_url == f"http://127.0.0.1:{emu.port}/EWS/Exchange.asmx"
    assert emu.autodiscover_url == f"http://127.0.0.1:{emu.port}/autodiscover/autodiscover.svc"
    assert emu.token_url == f"http://127.0.0.1:{emu.port}/token"


def test_ews_post_reaches_backend_with_principal_and_headers(emu: Emulator, backend: FixedBackend) -> None:
    r = post(emu, b"<soap/>", headers={"X-AnchorMailbox": "support@example.com"})
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert int(r.headers["Content-Length"]) == len(r.content)
    assert r.content == convert_id_error()
    route, principal, body, headers = backend.calls[-1]
    assert (route, principal, body) == ("ews", "alice@example.com", b"<soap/>")
    assert headers["X-AnchorMailbox"] == "support@example.com"
    assert not any(k.lower() == "authorization" for k in headers), "credentials must not reach the Backend"


def test_paths_are_case_insensitive_and_autodiscover_is_routed(emu: Emulator, backend: FixedBackend) -> None:
    r = requests.post(emu.base_url + "/ews/exchange.asmx", data=b"<x/>", auth=ALICE, timeout=WAIT)
    assert r.headers["X-Test-Route"] == "ews"
    r = requests.post(emu.base_url + "/Autodiscover/Autodiscover.svc", data=b"<x/>", auth=ALICE, timeout=WAIT)
    assert r.status_code == 200
    assert r.headers["X-Test-Route"] == "autodiscover"
    assert [c[0] for c in backend.calls] == ["ews", "autodiscover"]


def test_unknown_path_is_404(emu: Emulator, backend: FixedBackend) -> None:
    r = requests.post(emu.base_url + "/owa/", data=b"x", auth=ALICE, timeout=WAIT)
    assert r.status_code == 404
    assert requests.get(emu.base_url + "/", timeout=WAIT).status_code == 404
    assert backend.calls == []


def test_get_on_ews_url_needs_auth(emu: Emulator, backend: FixedBackend) -> None:
    assert requests.get(emu.ews_url, timeout=WAIT).status_code == 401
    r = requests.get(emu.ews_url, auth=ALICE, timeout=WAIT)
    assert r.status_code == 200
    assert "Exchange Web Services" in r.text
    assert backend.calls == []


def test_keep_alive_reuses_one_connection(emu: Emulator) -> None:
    with requests.Session() as s:
        s.auth = ALICE
        for _ in range(3):
            r = s.post(emu.ews_url, data=b"<x/>", timeout=WAIT)
            assert r.status_code == 200
    assert emu.connections_accepted == 1


def test_connection_close_is_honoured(emu: Emulator) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=WAIT)
    try:
        conn.request("POST", "/EWS/Exchange.asmx", body=b"<x/>", headers={"Connection": "close"})
        r = conn.getresponse()
        assert r.status == 401
        r.read()
        assert r.will_close
    finally:
        conn.close()


def test_chunked_request_body_is_read(emu: Emulator, backend: FixedBackend) -> None:
    r = post(emu, iter([b"<a>", b"chunked", b"</a>"]))  # a generator body makes requests send it chunked
    assert r.status_code == 200
    assert backend.calls[-1][2] == b"<a>chunked</a>"


def test_oversized_body_is_413_and_invalid_length_400(emu: Emulator, backend: FixedBackend) -> None:
    emu.server.options.max_body_bytes = 1024
    r = post(emu, b"x" * 2048)
    assert r.status_code == 413
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=WAIT)
    try:
        conn.putrequest("POST", "/EWS/Exchange.asmx")
        conn.putheader("Content-Length", "twelve")
        conn.endheaders()
        assert conn.getresponse().status == 400
    finally:
        conn.close()
    assert backend.calls == []
    assert post(emu).status_code == 200


def test_garbage_on_the_socket_does_not_hurt(emu: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", emu.port), timeout=WAIT) as sock:
        sock.sendall(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 junk\r\n\r\n"
        )  # a TLS hello on plain HTTP
        sock.recv(4096)  # whatever the answer, the server must not fall over
    with socket.create_connection(("127.0.0.1", emu.port), timeout=WAIT) as sock:
        sock.sendall(b"BREW /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 501 ")
    assert post(emu).status_code == 200


# -- streaming ------------------------------------------------------------------------------------------
def test_chunked_streaming_delivers_each_part_as_it_is_produced(emu: Emulator, backend: FixedBackend) -> None:
    with post(emu, b"STREAM", stream=True) as r:
        assert r.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in r.headers
        parts = r.iter_content(chunk_size=None)
        assert next(parts) == b"<part1/>"  # arrives while the backend still waits for stream_step
        backend.stream_step.set()
        assert b"".join(parts) == b"<part2/>"


def test_stream_stops_when_client_goes_away(emu: Emulator, backend: FixedBackend) -> None:
    with post(emu, b"STREAM-FOREVER", stream=True) as r:
        assert next(r.iter_content(chunk_size=None)).startswith(b"<keepalive/>")
    assert backend.stream_closed.wait(WAIT), "the server kept streaming to a closed connection"
    assert post(emu).status_code == 200


def test_failing_stream_aborts_the_response_and_server_keeps_serving(emu: Emulator) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        post(emu, b"STREAM-BROKEN")
    assert post(emu).status_code == 200


# -- latency --------------------------------------------------------------------------------------------
def test_latency_delays_authenticated_responses(backend: FixedBackend) -> None:
    with Emulator(backend=backend, latency_ms=150) as emulator, requests.Session() as s:
        s.auth = ALICE
        for url in (emulator.ews_url, emulator.autodiscover_url):
            start = time.perf_counter()
            assert s.post(url, data=b"<x/>", timeout=WAIT).status_code == 200
            assert time.perf_counter() - start >= 0.15


# -- fault injection ------------------------------------------------------------------------------------
def test_busy_fault_is_a_parseable_soap_fault(backend: FixedBackend) -> None:
    with Emulator(backend=backend, fail_rate=1.0, fail_mode="busy", fail_back_off_ms=1500) as emulator:
        r = post(emulator)
        assert r.status_code == 500
        root = etree.fromstring(r.content)
        ns = {"s": soap.SOAP_NS, "e": soap.E_NS, "t": soap.T_NS}
        assert root.findtext("s:Body/s:Fault/faultcode", namespaces=ns).endswith("ErrorServerBusy")
        assert root.findtext("s:Body/s:Fault/detail/e:ResponseCode", namespaces=ns) == "ErrorServerBusy"
        value = root.find("s:Body/s:Fault/detail/t:MessageXml/t:Value", namespaces=ns)
        assert value.get("Name") == "BackOffMilliseconds"
        assert value.text == "1500"
        assert backend.calls == [], "a faulted request must not be executed"
        assert emulator.faults.busy == 1
        assert emulator.faults.total == 1


def test_busy_fault_through_exchangelib_gives_back_off(backend: FixedBackend) -> None:
    from exchangelib import NTLM, Build, Configuration, Credentials, Version
    from exchangelib.errors import ErrorServerBusy
    from exchangelib.properties import AlternateId
    from exchangelib.protocol import Protocol

    with Emulator(backend=backend, fail_rate=1.0, fail_back_off_ms=750) as emulator:
        config = Configuration(
            service_endpoint=emulator.ews_url,
            credentials=Credentials(*ALICE),
            auth_type=NTLM,
            version=Version(build=Build(15, 2, 2562, 17)),
        )
        protocol = Protocol(config=config)
        try:
            ids = [AlternateId(id="x", format="EwsId", mailbox=ALICE[0])]
            with pytest.raises(ErrorServerBusy) as info:
                list(protocol.convert_ids(ids, destination_format="EwsLegacyId"))
            assert info.value.back_off == pytest.approx(0.75)
        finally:
            protocol.close()


def test_drop_fault_closes_the_connection(backend: FixedBackend) -> None:
    with Emulator(backend=backend, fail_rate=1.0, fail_mode="drop") as emulator:
        with pytest.raises(requests.exceptions.ConnectionError):
            post(emulator)
        assert emulator.faults.drop == 1
        assert backend.calls == []
        assert requests.post(emulator.ews_url, data=b"x", timeout=WAIT).status_code == 401  # still serving


def test_http500_fault_is_not_soap(backend: FixedBackend) -> None:
    with Emulator(backend=backend, fail_rate=1.0, fail_mode="http500") as emulator:
        r = post(emulator)
        assert r.status_code == 500
        assert r.headers["Content-Type"].startswith("text/html")
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(r.content)
        assert emulator.faults.http500 == 1


def test_faults_are_deterministic_for_a_seed_and_spare_unauthenticated_requests(
    backend: FixedBackend,
) -> None:
    with Emulator(backend=backend, fail_rate=0.5, fail_mode="http500", fail_seed=7) as emulator:
        for _ in range(5):
            assert requests.post(emulator.ews_url, data=b"x", timeout=WAIT).status_code == 401
        statuses = [post(emulator).status_code for _ in range(40)]
    reference = FaultInjector(0.5, "http500", seed=7)
    expected = [500 if reference.decide() is FaultMode.HTTP500 else 200 for _ in range(40)]
    assert statuses == expected
    assert 5 < statuses.count(500) < 35
    assert emulator.faults.http500 == statuses.count(500)


def test_fault_injector_rejects_bad_settings() -> None:
    with pytest.raises(ValueError):
        FaultInjector(1.5)
    with pytest.raises(ValueError):
        FaultInjector(0.1, "explode")


# -- robustness and concurrency -------------------------------------------------------------------------
def test_backend_exception_becomes_internal_server_error_fault(emu: Emulator) -> None:
    r = post(emu, b"RAISE")
    assert r.status_code == 500
    ns = {"s": soap.SOAP_NS, "e": soap.E_NS}
    code = etree.fromstring(r.content).findtext("s:Body/s:Fault/detail/e:ResponseCode", namespaces=ns)
    assert code == "ErrorInternalServerError"
    assert post(emu).status_code == 200


def test_slow_request_does_not_block_others(emu: Emulator, backend: FixedBackend) -> None:
    results: list[int] = []
    slow = threading.Thread(target=lambda: results.append(post(emu, b"SLOW").status_code))
    slow.start()
    try:
        assert backend.slow_entered.wait(WAIT)
        assert post(emu).status_code == 200  # served while the slow call is still inside the backend
        assert results == []
    finally:
        backend.slow_release.set()
        slow.join(WAIT)
    assert results == [200]


def test_stop_closes_idle_keep_alive_connections(backend: FixedBackend) -> None:
    emulator = Emulator(backend=backend).start()
    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=WAIT)
    try:
        conn.request("GET", "/EWS/Exchange.asmx")
        conn.getresponse().read()
        emulator.stop()
        with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
            conn.request("GET", "/EWS/Exchange.asmx")
            conn.getresponse()
    finally:
        conn.close()
        emulator.stop()


# -- TLS ------------------------------------------------------------------------------------------------
def test_tls_serves_https_with_the_reported_certificate(backend: FixedBackend, tmp_path: Path) -> None:
    with Emulator(backend=backend, tls=True, data_dir=tmp_path) as emulator:
        assert emulator.ews_url.startswith("https://127.0.0.1:")
        assert emulator.tls is not None
        assert emulator.tls.cert_path.parent == tmp_path / "tls"
        assert emulator.tls.key_path.stat().st_mode & 0o077 == 0
        cert = str(emulator.tls.cert_path)
        r = requests.post(emulator.ews_url, data=b"<x/>", auth=ALICE, verify=cert, timeout=WAIT)
        assert r.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(emulator.ews_url, data=b"<x/>", auth=ALICE, timeout=WAIT)  # not in the system store
        pem = ssl.get_server_certificate(("127.0.0.1", emulator.port))
        der = ssl.PEM_cert_to_DER_cert(pem)
        assert hashlib.sha256(der).digest().hex(":").upper() == emulator.tls.fingerprint_sha256
        first = emulator.tls.fingerprint_sha256
    with Emulator(backend=backend, tls=True, data_dir=tmp_path) as again:
        assert again.tls is not None
        assert again.tls.fingerprint_sha256 == first, "the certificate in the data dir is reused"


# -- CLI ------------------------------------------------------------------------------------------------
_CLI_SCRIPT = """
import sys
sys.path.insert(0, {tests!r})
from test_transport import FixedBackend
from ews_emulator.emulator import Emulator
Emulator._create_backend = lambda self: FixedBackend()  # the CLI layer alone, not the Exchange logic
from ews_emulator.__main__ import main
sys.exit(main(sys.argv[1:]))
"""


def test_cli_prints_endpoints_serves_and_exits_0_on_sigterm() -> None:
    script = _CLI_SCRIPT.format(tests=str(Path(__file__).parent))
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "--port", "0", "--latency-ms", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )
    try:
        assert proc.stdout is not None
        ews_line = proc.stdout.readline().strip()
        ad_line = proc.stdout.readline().strip()
        assert ews_line.startswith("EWS endpoint: http://127.0.0.1:")
        assert ews_line.endswith("/EWS/Exchange.asmx")
        url = ews_line.removeprefix("EWS endpoint: ")
        assert ad_line == "Autodiscover: " + url.replace(
            "/EWS/Exchange.asmx", "/autodiscover/autodiscover.svc"
        )
        assert requests.post(url, data=b"<x/>", auth=ALICE, timeout=WAIT).status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(WAIT) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=WAIT)
    assert "Traceback" not in err


def test_cli_rejects_bad_fail_rate() -> None:
    from ews_emulator.__main__ import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["--fail-rate", "1.5"])
    args = build_parser().parse_args(["--fail-rate", "0.2", "--fail-mode", "drop", "--tls"])
    assert (args.fail_rate, args.fail_mode, args.tls, args.host) == (0.2, "drop", True, "127.0.0.1")
