"""The in-process emulator: bind, build the Backend, serve on a background thread, stop cleanly.

Usage::

    with Emulator() as emu:          # free loopback port, fresh demo tenant
        Configuration(service_endpoint=emu.ews_url, ...)
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

from ews_emulator.backend import Backend
from ews_emulator.faults import FaultCounts, FaultInjector
from ews_emulator.quirks import Quirk, Quirks
from ews_emulator.server import AUTODISCOVER_PATH, EWS_PATH, TOKEN_PATH, EmulatorHttpServer, ServerOptions
from ews_emulator.tls import TlsMaterial, ensure_certificate
from ews_emulator.tokens import TokenStore

log = logging.getLogger(__name__)


class Emulator:
    """A local Exchange (EWS) emulator on loopback, usable as a context manager."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        data_dir: str | Path | None = None,
        scale: int = 0,
        latency_ms: int = 0,
        fail_rate: float = 0.0,
        fail_mode: str = "busy",
        fail_seed: int = 0,
        tls: bool = False,
        schema_dir: str | Path | None = None,
        backend: Backend | None = None,
        fail_back_off_ms: int = 250,
        quirks: Iterable[str] = (),
    ) -> None:
        """Configure (nothing is bound until :meth:`start`).

        Args:
            host: Address to bind; keep the loopback default.
            port: TCP port; 0 picks a free one.
            data_dir: Persistent state directory; None means a fresh temporary store.
            scale: Extra generated messages in support@'s Inbox (benchmarks).
            latency_ms: Delay before every authenticated EWS/Autodiscover response.
            fail_rate: Probability of an injected fault per authenticated EWS request.
            fail_mode: ``busy``, ``drop``, ``http500`` (the request is not executed), ``drop-after`` or
                ``http500-after`` (it is executed, then the answer is lost).
            fail_seed: Seed of the fault generator (same seed, same faults).
            tls: Serve HTTPS with a self-signed certificate.
            schema_dir: EWS schema folder; requests are then schema-validated by the Backend.
            backend: A ready Backend; None builds the real one (``ews_emulator.exchange``).
            fail_back_off_ms: ``BackOffMilliseconds`` of injected ``busy`` faults.
            quirks: Names of deliberate deviations from Exchange to switch on (:class:`~ews_emulator.quirks.Quirk`).
        """
        self.host = host
        self._port = port
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.scale = scale
        self.schema_dir = Path(schema_dir) if schema_dir is not None else None
        self.tls_enabled = tls
        self.tokens = TokenStore()
        self.quirks = Quirks(quirks)
        self._options = ServerOptions(latency_ms=latency_ms,
                                      soap_autodiscover=not self.quirks.on(Quirk.NO_SOAP_AUTODISCOVER),
                                      pox_autodiscover=not self.quirks.on(Quirk.NO_POX_AUTODISCOVER))
        self._injector = FaultInjector(fail_rate, fail_mode, fail_seed, fail_back_off_ms)
        self._given_backend = backend
        self._backend: Backend | None = None
        self._server: EmulatorHttpServer | None = None
        self._thread: threading.Thread | None = None
        self._temp_dir: str | None = None
        self.tls: TlsMaterial | None = None

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> Emulator:
        """Bind, build the Backend (it needs the base URL) and start serving in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("emulator already started")
        try:
            ssl_context = None
            if self.tls_enabled:
                self.tls = ensure_certificate(self._tls_dir())
                ssl_context = self.tls.server_context()
            self._server = EmulatorHttpServer(
                (self.host, self._port),
                options=self._options,
                faults=self._injector,
                tokens=self.tokens,
                ssl_context=ssl_context,
            )
            self._backend = self._given_backend if self._given_backend is not None else self._create_backend()
            self._server.attach(self._backend, realm=self.host)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"ews-emulator:{self.port}",
                daemon=True,
            )
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        log.info("EWS emulator listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the Backend we built; idempotent."""
        server, self._server = self._server, None
        if server is not None:
            if self._thread is not None:
                server.shutdown()
                self._thread.join(timeout=5)
                self._thread = None
            server.close_connections()
            if not server.wait_closed(timeout=5):
                log.warning("Some connection handlers did not finish within 5 s")
            server.server_close()
        backend, self._backend = self._backend, None
        if backend is not None and self._given_backend is None:
            close = getattr(backend, "close", None)
            if callable(close):
                close()
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------------------
    @property
    def server(self) -> EmulatorHttpServer:
        if self._server is None:
            raise RuntimeError("emulator not started")
        return self._server

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self.tls_enabled else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def ews_url(self) -> str:
        return self.base_url + EWS_PATH

    @property
    def autodiscover_url(self) -> str:
        return self.base_url + AUTODISCOVER_PATH

    @property
    def token_url(self) -> str:
        return self.base_url + TOKEN_PATH

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            raise RuntimeError("emulator not started")
        return self._backend

    @property
    def faults(self) -> FaultCounts:
        """Counters of injected faults so far."""
        return self._injector.counts()

    @property
    def connections_accepted(self) -> int:
        """TCP connections the server accepted so far."""
        return self.server.connections_accepted

    # -- helpers ---------------------------------------------------------------------------------------
    def _tls_dir(self) -> Path:
        if self.data_dir is not None:
            return self.data_dir / "tls"
        self._temp_dir = self._temp_dir or tempfile.mkdtemp(prefix="ews-emulator-tls-")
        return Path(self._temp_dir)

    def _create_backend(self) -> Backend:
        from ews_emulator.exchange import create_backend  # noqa: PLC0415 - written separately, imported late

        return create_backend(
            data_dir=self.data_dir, scale=self.scale, schema_dir=self.schema_dir, base_url=self.base_url,
            quirks=self.quirks,
        )
