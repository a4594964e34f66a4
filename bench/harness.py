"""What the benches share: the emulator in its own process, the headless environment and Qt start-up, an
in-memory keyring, the client-side HTTP traffic recorder, the GUI thread's heartbeat (stall timer), GC-pass
timing and waiting on the event loop.

Used by ``bench/bench_client.py`` and ``bench/bench_calendar.py`` (run from the repository root; the script's
folder, ``bench/``, is on ``sys.path``, so they ``import harness``).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.abc
import importlib.machinery
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

USER = "alice@example.com"
PASSWORD = "alice-pass"
HEARTBEAT_MS = 5
WAIT_S = 180.0


# -- the emulator, in its own process -------------------------------------------------------------------------
class EmulatorProcess:
    """``python -m ews_emulator`` in a child process; :meth:`start` returns the EWS URL it prints."""

    def __init__(self, scale: int, latency_ms: int, log_path: Path) -> None:
        self.args = [sys.executable, "-m", "ews_emulator", "--scale", str(scale), "--latency-ms", str(latency_ms),
                     "--port", "0"]
        self.log_path = log_path
        self.proc: subprocess.Popen[str] | None = None
        self.started_s = 0.0

    def start(self, timeout_s: float = 600.0) -> str:
        start = time.perf_counter()
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(self.args, cwd=REPO, stdout=subprocess.PIPE, stderr=log, text=True,
                                     bufsize=1)
        assert self.proc.stdout is not None
        deadline = start + timeout_s
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                self.stop()
                raise SystemExit(f"the emulator printed no endpoint within {timeout_s:.0f} s")
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if not ready:
                continue
            line = self.proc.stdout.readline()
            if not line:
                code = self.proc.wait()
                raise SystemExit(f"the emulator exited ({code}):\n{self.log_path.read_text()[-2000:]}")
            if line.startswith("EWS endpoint:"):
                self.started_s = time.perf_counter() - start
                # Keep draining what it prints later so that it never blocks on a full pipe.
                threading.Thread(target=self.proc.stdout.read, daemon=True).start()
                return line.split(":", 1)[1].strip()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


# -- client-side traffic --------------------------------------------------------------------------------------
_BODY_OP = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?(\w+)")
_PAGE = re.compile(rb"<(?:[\w.-]+:)?IndexedPageItemView\b[^>]*")
_ATTR = re.compile(rb'(MaxEntriesReturned|Offset)="(\d+)"')
_MAILBOX = re.compile(rb"<(?:[\w.-]+:)?EmailAddress>([^<]+)<")


@dataclass
class Wire:
    """One HTTP request/response on the wire."""

    phase: str
    op: str
    status: int | None
    start: float
    end: float
    pool_wait: float  # seconds this thread waited for exchangelib's session pool before sending
    ntlm: int  # NTLM message type in the Authorization header (1 negotiate, 3 authenticate), else 0
    detail: str = ""  # FindItem: offset+count; the first mailbox named in the request

    @property
    def is_auth_leg(self) -> bool:
        return self.status == 401


def classify(request: Any) -> tuple[str, int, str]:
    """(operation, NTLM message type, detail) of a prepared request."""
    body = request.body
    if isinstance(body, str):
        body = body.encode("utf-8", "replace")
    action = (request.headers.get("SOAPAction") or "").strip().strip('"')
    if action:
        op = action.rsplit("/", 1)[-1]
    elif isinstance(body, bytes) and body:
        match = _BODY_OP.search(body[:8192])
        op = match.group(1).decode().removesuffix("RequestMessage") if match else "?"
    else:
        op = "probe"
    detail = ""
    if isinstance(body, bytes) and body:
        page = _PAGE.search(body)
        if page:
            attrs = {k.decode(): v.decode() for k, v in _ATTR.findall(page.group(0))}
            detail = f"rows {attrs.get('Offset', '?')}+{attrs.get('MaxEntriesReturned', '?')} "
        mailbox = _MAILBOX.search(body)
        if mailbox:
            detail += mailbox.group(1).decode(errors="replace")
    ntlm = 0
    auth = request.headers.get("Authorization") or ""
    if auth.startswith(("NTLM ", "Negotiate ")):
        with contextlib.suppress(ValueError):
            raw = base64.b64decode(auth.split(" ", 1)[1])
            ntlm = int.from_bytes(raw[8:12], "little")
    return op, ntlm, detail


class PatchOnImport(importlib.abc.MetaPathFinder):
    """Runs ``patches[name](module)`` right after module ``name`` is first executed."""

    def __init__(self, patches: dict[str, Callable[[Any], None]]) -> None:
        self.patches = dict(patches)
        for name in list(self.patches):
            if name in sys.modules:  # already loaded: patch now
                self.patches.pop(name)(sys.modules[name])

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        patch = self.patches.pop(fullname, None)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_patch(module: Any) -> None:
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


class Traffic:
    """Records every HTTP request the process sends, tagged with the bench's phase at sending time."""

    def __init__(self) -> None:
        self.phase = "startup"
        self.records: list[Wire] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    def install(self) -> None:
        """Wrap the senders as soon as their modules load, on whichever thread loads them.

        The app imports requests and exchangelib lazily, in the sign-in worker: importing them here would hide
        that cost from the first sign-in.
        """
        sys.meta_path.insert(0, PatchOnImport({
            "requests.adapters": lambda module: self._wrap_send(module.HTTPAdapter),
            "exchangelib.protocol": lambda module: self._wrap_get_session(module.BaseProtocol),
        }))

    def _wrap_send(self, adapter_cls: Any) -> None:
        traffic, send = self, adapter_cls.send

        def timed_send(adapter: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            phase, (op, ntlm, detail) = traffic.phase, classify(request)
            wait = getattr(traffic._local, "pool_wait", 0.0)
            traffic._local.pool_wait = 0.0
            start = time.perf_counter()
            status = None
            try:
                response = send(adapter, request, *args, **kwargs)
                status = response.status_code
                return response
            finally:
                with traffic._lock:
                    traffic.records.append(Wire(phase, op, status, start, time.perf_counter(), wait, ntlm,
                                                detail))

        adapter_cls.send = timed_send

    def _wrap_get_session(self, protocol_cls: Any) -> None:
        traffic, get_session = self, protocol_cls.get_session

        def timed_get_session(protocol: Any) -> Any:
            start = time.perf_counter()
            try:
                return get_session(protocol)
            finally:
                traffic._local.pool_wait = time.perf_counter() - start

        protocol_cls.get_session = timed_get_session

    def between(self, start: float, end: float | None = None) -> list[Wire]:
        with self._lock:
            return [r for r in self.records if r.start >= start and (end is None or r.start <= end)]

    def in_phase(self, phase: str) -> list[Wire]:
        with self._lock:
            return [r for r in self.records if r.phase == phase]


def describe(records: Iterable[Wire]) -> str:
    """ "FindItem 1, SyncFolderItems 3 (+2 auth)": operations answered, plus 401 legs."""
    records = list(records)
    ops = Counter(r.op for r in records if not r.is_auth_leg)
    legs = sum(1 for r in records if r.is_auth_leg)
    text = ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"
    return text + (f" (+{legs} auth)" if legs else "")



# -- the GUI thread ---------------------------------------------------------------------------------------------
class Heartbeat:
    """A ``HEARTBEAT_MS`` ``QTimer`` on the GUI thread: the longest gap between two ticks per phase.

    Args:
        on_gap: Called with (gap in ms, time of the tick) for every gap, e.g. to keep the stalls.
    """

    def __init__(self, on_gap: Callable[[float, float], None] | None = None) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.phase = "startup"
        self.max_gap: dict[str, float] = {}
        self.on_gap = on_gap
        self._last: float | None = None
        self.timer = QTimer()
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(HEARTBEAT_MS)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def skip(self) -> None:
        """Measure no gap up to the next tick (the bench's own work, or a new phase)."""
        self._last = None

    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last is not None:
            gap = (now - self._last) * 1000
            if gap > self.max_gap.get(self.phase, 0.0):
                self.max_gap[self.phase] = gap
            if self.on_gap is not None:
                self.on_gap(gap, now)
        self._last = now


class GcWatch:
    """Times the cyclic garbage collector's passes (it holds the GIL throughout, whatever thread runs it)."""

    def __init__(self) -> None:
        self.passes: list[tuple[float, float, int, str]] = []  # start, end, generation, thread name
        self._start: dict[int, float] = {}

    def __call__(self, what: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        ident = threading.get_ident()
        if what == "start":
            self._start[ident] = now
        elif ident in self._start:
            self.passes.append((self._start.pop(ident), now, info.get("generation", -1),
                                threading.current_thread().name))

    def during(self, start: float, end: float) -> list[tuple[float, float, int, str]]:
        return [p for p in self.passes if p[1] >= start and p[0] <= end]

    def summary(self, start: float, end: float) -> str:
        passes = [p for p in self.during(start, end) if p[1] - p[0] >= 0.005]
        if not passes:
            return ""
        worst = max(passes, key=lambda p: p[1] - p[0])
        return (f"GC gen{worst[2]} pass of {(worst[1] - worst[0]) * 1000:.0f} ms on thread "
                f"{'GUI' if worst[3] == 'MainThread' else worst[3]}")


def wait(cond: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Run the event loop until ``cond()`` (checked every 2 ms) or exit the bench after ``timeout_s``."""
    from PySide6.QtCore import QEventLoop, QTimer

    if cond():
        return
    loop = QEventLoop()
    check = QTimer()
    check.setInterval(2)
    deadline = time.perf_counter() + timeout_s
    timed_out = False

    def poll() -> None:
        nonlocal timed_out
        if cond():
            loop.quit()
        elif time.perf_counter() > deadline:
            timed_out = True
            loop.quit()

    check.timeout.connect(poll)
    check.start()
    loop.exec()
    check.stop()
    if timed_out:
        raise SystemExit(f"timed out after {timeout_s:.0f} s waiting for {what}")


# -- the process ------------------------------------------------------------------------------------------------
def prepare_environment(tmp: Path) -> None:
    """Headless Qt, QtWebEngine without sandbox, private XDG folders (settings, certificates, web profile)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        path = tmp / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)



def start_qt() -> Any:
    """The QApplication, set up as ``app/__main__.py`` does (shared GL contexts, QtWebEngine and the reading
    pane's URL schemes before it; an English locale for "C"); returns it (keep it referenced)."""
    from PySide6.QtCore import QCoreApplication, QLocale, Qt

    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    import PySide6.QtWebEngineWidgets  # noqa: F401
    from PySide6.QtWidgets import QApplication

    from app.views.webview import register_schemes

    register_schemes()
    if QLocale.system().name() == "C":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    qt_app = QApplication([sys.argv[0]])
    qt_app.setApplicationName("Mailroom")
    return qt_app


def install_memory_keyring() -> None:
    """Passwords in memory (the tests' backend): the bench never touches the machine's keyring."""
    import keyring

    from tests.support.memory_keyring import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
