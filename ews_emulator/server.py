"""The emulator's HTTP/1.1 front end: routing, keep-alive, chunked streaming, latency and fault injection.

Routes (paths are case-insensitive, as on IIS):

- ``POST /EWS/Exchange.asmx`` -> ``Backend.handle_ews``; ``GET`` answers a short text (after auth).
- ``POST /autodiscover/autodiscover.svc`` -> ``Backend.handle_autodiscover``; ``GET`` as above.
- ``POST /autodiscover/autodiscover.xml`` -> ``Backend.handle_pox_autodiscover`` (Outlook's POX Autodiscover).
- ``POST /token`` -> the local OAuth2 token endpoint (:mod:`ews_emulator.tokens`), no auth.
- anything else -> 404 (so are the Autodiscover paths that ``ServerOptions`` switches off).

``latency_ms`` delays every *authenticated* EWS and Autodiscover response (401 challenges
and the token endpoint are not delayed, so an NTLM handshake costs no extra latency).
Fault injection applies to authenticated ``POST``s to the EWS URL only: before the
Backend runs, or (``drop-after``, ``http500-after``) after it ran, in place of its answer. A Backend exception becomes HTTP 500 with an ``ErrorInternalServerError``
SOAP fault; no exception stops the server.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import TCPServer
from urllib.parse import urlsplit

from ews_emulator.auth import Authenticator, ConnectionAuth
from ews_emulator.backend import Backend, HttpResult, StreamDropped
from ews_emulator.faults import HTTP500_BODY, FaultInjector, FaultMode
from ews_emulator.soap import SoapFault, fault_envelope
from ews_emulator.tokens import TokenStore, handle_token_request

log = logging.getLogger(__name__)

EWS_PATH = "/EWS/Exchange.asmx"
AUTODISCOVER_PATH = "/autodiscover/autodiscover.svc"
POX_AUTODISCOVER_PATH = "/autodiscover/autodiscover.xml"
TOKEN_PATH = "/token"

_TEXT = "text/plain; charset=utf-8"
_INTERNAL_ERROR = SoapFault(
    "ErrorInternalServerError", "An internal server error occurred. The operation failed."
)
_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, ssl.SSLError)

ServiceCall = Callable[[str, bytes, Mapping[str, str]], HttpResult]


@dataclass
class ServerOptions:
    """Tunables of the HTTP front end."""

    latency_ms: int = 0
    max_body_bytes: int = 64 * 1024 * 1024
    idle_timeout_s: float = 300.0
    soap_autodiscover: bool = True  # serve /autodiscover/autodiscover.svc (else 404, as servers without it)
    pox_autodiscover: bool = True  # serve /autodiscover/autodiscover.xml (else 404)


class Headers(Mapping[str, str]):
    """Case-insensitive, read-only request headers (first value wins)."""

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items: dict[str, tuple[str, str]] = {}
        for key, value in items:
            self._items.setdefault(key.lower(), (key, value))

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._items


class _ClientGone(Exception):
    """The client closed the connection while we were reading or writing."""


class _BodyRejected(Exception):
    """The request body was refused; the response has already been sent."""


class EmulatorRequestHandler(BaseHTTPRequestHandler):
    """One TCP connection; handles its requests one after another (keep-alive)."""

    protocol_version = "HTTP/1.1"
    server_version = "ews-emulator"
    sys_version = ""
    server: EmulatorHttpServer

    def setup(self) -> None:
        self.timeout = self.server.options.idle_timeout_s
        self._tls = self.server.ssl_context is not None
        # Headers and body go out in separate writes: without TCP_NODELAY every answer waits out the
        # client's 40 ms delayed ACK (Nagle), which would swamp the --latency-ms figures.
        with contextlib.suppress(OSError):
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.ssl_context is not None:
            self.request.settimeout(self.timeout)  # a silent client must not hold the handshake forever
            self.request = self.server.ssl_context.wrap_socket(self.request, server_side=True)
        super().setup()
        self.auth_state = ConnectionAuth()
        self._headers_sent = False
        self.server.track(self.request, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.request, add=False)
            if self._tls:  # socketserver only closes the plain socket the TLS one was made from
                self.server.shutdown_request(self.request)

    def version_string(self) -> str:
        return self.server_version

    # -- logging: never the headers (credentials), never the query string ---------------------------
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, urlsplit(getattr(self, "path", "")).path, code)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base-class signature
        log.debug("%s: %s", self.address_string(), format % args)

    # -- dispatch --------------------------------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch()

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self._dispatch()

    def _dispatch(self) -> None:
        self._headers_sent = False
        self.request_headers = Headers(list(self.headers.items()))
        try:
            self._route()
        except (_ClientGone, _BodyRejected, *_CLIENT_GONE):
            self.close_connection = True
        except Exception:
            log.exception("Unhandled error serving %s %s", self.command, urlsplit(self.path).path)
            if self._headers_sent:
                self.close_connection = True
            else:
                self._send(500, fault_envelope(_INTERNAL_ERROR))

    def _route(self) -> None:
        path = urlsplit(self.path).path.lower()
        body = self._read_body()
        backend = self.server.backend
        if path == EWS_PATH.lower():
            self._service(backend.handle_ews, body, ews=True)
        elif path == AUTODISCOVER_PATH.lower() and self.server.options.soap_autodiscover:
            self._service(backend.handle_autodiscover, body, ews=False)
        elif path == POX_AUTODISCOVER_PATH and self.server.options.pox_autodiscover:
            self._service(backend.handle_pox_autodiscover, body, ews=False)
        elif path == TOKEN_PATH and self.command == "POST":
            auth = self.server.authenticator
            result = handle_token_request(
                self.server.tokens, auth.check_password, body, self.request_headers.get("Content-Type", "")
            )
            self._send_result(result)
        elif path == TOKEN_PATH:
            self._send(405, b"Use POST.\r\n", _TEXT, {"Allow": "POST"})
        else:
            self._send(404, b"404 - File or directory not found.\r\n", _TEXT)

    def _service(self, call: ServiceCall, body: bytes, *, ews: bool) -> None:
        outcome = self.server.authenticator.authenticate(self.request_headers, self.auth_state)
        if outcome.principal is None:
            denied = b"401 - Unauthorized: Access is denied.\r\n"
            self._send(401, denied, _TEXT, challenges=outcome.challenges)
            return
        if self.server.options.latency_ms > 0:
            time.sleep(self.server.options.latency_ms / 1000)
        if self.command == "GET":
            self._send(200, b"Exchange Web Services emulator. Send SOAP requests with POST.\r\n", _TEXT)
            return
        fault = self.server.faults.decide() if ews else None
        if fault is not None and not fault.executes:
            self._inject(fault)
            return
        # The Backend never sees credentials.
        headers = Headers([(k, v) for k, v in self.headers.items() if k.lower() != "authorization"])
        try:
            result = call(outcome.principal, body, headers)
        except Exception:
            log.exception("Backend failed on %s", urlsplit(self.path).path)
            result = HttpResult(500, fault_envelope(_INTERNAL_ERROR))
        if fault is not None:  # the work is done; only the answer is lost
            close = getattr(result.body, "close", None)
            if callable(close):
                close()
            self._inject(fault)
            return
        self._send_result(result)

    def _inject(self, fault: FaultMode) -> None:
        """Answer with an injected fault instead of the Backend's response."""
        if fault in (FaultMode.DROP, FaultMode.DROP_AFTER):
            log.info("Injected fault %s: dropping the connection", fault.value)
            self.close_connection = True
        elif fault is FaultMode.BUSY:
            self._send(500, self.server.faults.busy_body())
        else:
            self._send(500, HTTP500_BODY, "text/html; charset=utf-8")

    # -- request body ----------------------------------------------------------------------------------
    def _read_body(self) -> bytes:
        limit = self.server.options.max_body_bytes
        if "chunked" in self.request_headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked(limit)
        raw = self.request_headers.get("Content-Length", "0").strip() or "0"
        if not raw.isdigit():
            self._send(400, b"400 - Bad Request: invalid Content-Length.\r\n", _TEXT, close=True)
            raise _BodyRejected
        length = int(raw)
        if length > limit:
            self._send(413, b"413 - Request entity too large.\r\n", _TEXT, close=True)
            raise _BodyRejected
        data = self.rfile.read(length) if length else b""
        if len(data) < length:
            raise _ClientGone
        return data

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            if not line:
                raise _ClientGone
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self._send(400, b"400 - Bad Request: invalid chunk.\r\n", _TEXT, close=True)
                raise _BodyRejected from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > limit:
                self._send(413, b"413 - Request entity too large.\r\n", _TEXT, close=True)
                raise _BodyRejected
            chunk = self.rfile.read(size)
            if len(chunk) < size:
                raise _ClientGone
            parts.append(chunk)
            self.rfile.readline(1024)

    # -- responses -------------------------------------------------------------------------------------
    def _start(
        self, status: int, content_type: str, headers: Mapping[str, str], challenges: list[str]
    ) -> None:
        self.send_response(status)
        for value in challenges:
            self.send_header("WWW-Authenticate", value)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)

    def _end_headers(self) -> None:
        if self.close_connection:  # the client asked for it, or we decided to close
            self.send_header("Connection", "close")
        self.end_headers()

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/xml; charset=utf-8",
        headers: Mapping[str, str] | None = None,
        *,
        challenges: list[str] | None = None,
        close: bool = False,
    ) -> None:
        self._start(status, content_type, headers or {}, challenges or [])
        self.send_header("Content-Length", str(len(body)))
        if close:
            self.close_connection = True
        self._headers_sent = True
        try:
            self._end_headers()
            self.wfile.write(body)
        except _CLIENT_GONE as exc:
            raise _ClientGone from exc

    def _send_result(self, result: HttpResult) -> None:
        if isinstance(result.body, (bytes, bytearray)):
            self._send(result.status, bytes(result.body), result.content_type, result.headers)
        else:
            self._stream(result)

    def _stream(self, result: HttpResult) -> None:
        """Send an iterator body chunk by chunk, flushing each; stop when the client goes away."""
        body = result.body
        assert not isinstance(body, (bytes, bytearray))
        chunked = self.request_version != "HTTP/1.0"
        try:
            self._start(result.status, result.content_type, result.headers, [])
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            else:
                self.close_connection = True  # HTTP/1.0: the end of the body is the end of the connection
            self._headers_sent = True
            self._end_headers()
            for chunk in _guarded(body):
                if chunk:
                    self.wfile.write(b"%X\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    self.wfile.flush()
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except _StreamFailed as exc:
            if isinstance(exc.__cause__, StreamDropped):
                log.info("Dropping a streamed response on purpose: %s", exc.__cause__)
            else:
                log.exception("Backend stream failed; aborting the response")
            self.close_connection = True
        except _CLIENT_GONE:
            log.debug("Client went away during a streamed response")
            self.close_connection = True
        finally:
            close = getattr(body, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:
                    log.exception("Closing the backend stream failed")


class _StreamFailed(Exception):
    """The Backend's iterator raised; the exception is chained."""


def _guarded(body: Iterator[bytes]) -> Iterator[bytes]:
    iterator = iter(body)
    while True:
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise _StreamFailed from exc
        yield chunk


class EmulatorHttpServer(ThreadingHTTPServer):
    """A threaded HTTP server (one daemon thread per connection) in front of a Backend."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        *,
        options: ServerOptions | None = None,
        faults: FaultInjector | None = None,
        tokens: TokenStore | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """Bind (but do not serve yet); :meth:`attach` a Backend, then call ``serve_forever``.

        Args:
            address: ``(host, port)``; port 0 picks a free port.
            options: Latency, body limit, idle timeout.
            faults: The fault injector (default: none).
            tokens: The Bearer token store (default: a new one).
            ssl_context: A TLS server context to serve HTTPS.
        """
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.options = options or ServerOptions()
        self.faults = faults or FaultInjector()
        self.tokens = tokens or TokenStore()
        self.ssl_context = ssl_context
        self._backend: Backend | None = None
        self._authenticator: Authenticator | None = None
        self._lock = threading.Condition()
        self._open: set[socket.socket] = set()
        self.connections_accepted = 0
        super().__init__(address, EmulatorRequestHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls socket.getfqdn(), a DNS lookup; not needed on loopback.
        TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[0], self.server_address[1]

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("no backend attached")
        return self._backend

    @property
    def authenticator(self) -> Authenticator:
        if self._authenticator is None:
            raise RuntimeError("no backend attached")
        return self._authenticator

    def attach(self, backend: Backend, realm: str) -> None:
        """Serve ``backend``; publishes its logon accounts for NTLM."""
        authenticator = Authenticator(backend, self.tokens, realm)
        authenticator.start()
        self._backend, self._authenticator = backend, authenticator

    def track(self, conn: socket.socket, *, add: bool) -> None:
        """Record an open connection (so :meth:`close_connections` can end idle keep-alives)."""
        with self._lock:
            if add:
                self._open.add(conn)
                self.connections_accepted += 1
            else:
                self._open.discard(conn)
                self._lock.notify_all()

    def close_connections(self) -> None:
        """Shut down every open client connection (unblocks handler threads waiting on keep-alive)."""
        with self._lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def wait_closed(self, timeout: float) -> bool:
        """Wait until every connection handler has finished; False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: not self._open, timeout)

    def handle_error(self, request: object, client_address: object) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):  # resets, TLS handshake failures, timeouts: the client's business
            log.debug("Connection from %s ended with %r", client_address, exc)
        else:
            log.error("Error on the connection from %s", client_address, exc_info=True)

    def server_close(self) -> None:
        super().server_close()
        if self._authenticator is not None:
            self._authenticator.close()
