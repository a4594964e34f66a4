"""Benchmark the client: sign-in, opening support@'s 100,000-message Inbox, scrolling, GUI-thread stalls.

Usage::

    .venv/bin/python bench/bench_client.py [--scale 100000] [--latency-ms 50] [--rows 10000] [--repeat 1]
                                           [--click-at-once] [--profile] [--tracemalloc] [--wire]

Starts the emulator as a separate process (``python -m ews_emulator --scale N --latency-ms L --port 0``, so
the server never competes for the GUI's GIL) and drives the real application headless (offscreen Qt, QtWebEngine
and the URL schemes set up before the QApplication as ``app/__main__.py`` does): a
:class:`~app.application.MailroomApp` signs alice in through the same path as
``python -m app --ews-url URL --user alice@example.com`` (Automatic authentication, password from an in-memory
keyring, throw-away settings and XDG folders), then the bench clicks support@'s Inbox in the sidebar and drags the
list to row ``--rows``.

Measured, per run (``--repeat N``: sign-in and opening are repeated in fresh app instances, medians printed;
scrolling, memory and the background sync are measured in the last run only):

1. sign-in until the sidebar is filled (own and automapped mailboxes listed with their folders); then the app is
   left alone until nothing ran for 1 s (``--click-at-once``: no wait);
2. the click on support@ › Inbox until the list viewport paints its first rows;
3. scrolling: the list is scrolled to its end whenever it grows (what a user holding the scrollbar at the bottom
   does; the view calls ``fetchMore``) until it has more than ``--rows`` rows; then the RSS of the GUI process,
   its peak (``ru_maxrss``), the QtWebEngine helpers' RSS, the deep size of the model's rows, the objects the
   cyclic GC tracks; then support@'s first SyncFolderItems pass (started by the click) to its end;
4. a 5 ms ``QTimer`` heartbeat on the GUI thread through all of it: the longest gap between ticks and the five
   longest stalls with their phase, the cyclic-GC pass that overlapped them (``gc.callbacks``: a pass holds the
   GIL on whatever thread runs it) and whether a bare control process ticking beside it was late too.

Round trips are counted on the client side by wrapping ``requests.adapters.HTTPAdapter.send`` (exchangelib,
Autodiscover and the NTLM handshake legs all go through it; ``Session.send`` would miss the handshake legs,
which requests_ntlm sends on the adapter directly), installed by an import hook when the app's worker imports
requests, and classified by SOAPAction / the first element of the SOAP body. "auth" counts 401 answers (the
unauthenticated first try on a new connection, the NTLM negotiate leg, the sign-in's authentication probe). Waits
for exchangelib's connection pool (``Protocol.get_session``) are timed too.

``--profile`` samples every thread's Python stack every 2 ms (who held the GIL during each stall) and runs cProfile
on the GUI thread; it slows the app down, so its timings are not the benchmark's. Prints figures; no assertions.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import cProfile
import gc
import importlib.abc
import importlib.machinery
import os
import pstats
import re
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

USER = "alice@example.com"
PASSWORD = "alice-pass"
SHARED = "support@example.com"
HEARTBEAT_MS = 5
STALL_TARGET_MS = 50
WAIT_S = 180.0
QUIET_S = 1.0


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


def _waits(records: Iterable[Wire]) -> str:
    waited = [r for r in records if r.op == "FindItem" and r.pool_wait > 0.005]
    return "".join(f"; the FindItem waited {r.pool_wait * 1000:.0f} ms for the connection" for r in waited)


def describe(records: Iterable[Wire]) -> str:
    """ "FindItem 1, SyncFolderItems 3 (+2 auth)": operations answered, plus 401 legs."""
    records = list(records)
    ops = Counter(r.op for r in records if not r.is_auth_leg)
    legs = sum(1 for r in records if r.is_auth_leg)
    text = ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=lambda kv: (-kv[1], kv[0]))) or "none"
    return text + (f" (+{legs} auth)" if legs else "")


# -- the GUI thread: heartbeat, stack sampler ------------------------------------------------------------------
@dataclass(order=True)
class Stall:
    gap_ms: float
    phase: str = field(compare=False)
    end: float = field(compare=False)
    run: int = field(compare=False)


class StackSampler(threading.Thread):
    """Samples every thread's Python stack every ``interval_s`` (a poor man's pyinstrument).

    A stall of the GUI thread is either its own work (a Python frame of the app on its stack) or Qt's C++ work
    or a wait for the GIL while a worker runs Python (its stack shows only the event loop): the workers that were
    running Python, not waiting on a socket or a lock, are kept too.
    """

    def __init__(self, gui_thread: int, interval_s: float = 0.002) -> None:
        super().__init__(daemon=True, name="gui-sampler")
        self.gui_thread = gui_thread
        self.interval_s = interval_s
        self.samples: list[tuple[float, tuple[str, ...], list[tuple[str, ...]]]] = []
        self.late: list[tuple[float, float, list[str]]] = []  # the sampler's own late wake-ups
        self._halt = threading.Event()

    def run(self) -> None:
        me = threading.get_ident()
        last = time.perf_counter()
        while not self._halt.wait(self.interval_s):
            now = time.perf_counter()
            gui: tuple[str, ...] = ()
            busy: list[tuple[str, ...]] = []
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                stack = _stack(frame)
                if ident == self.gui_thread:
                    gui = stack
                elif stack and not stack[0].startswith(_WAITING):
                    busy.append(stack)
            self.samples.append((now, gui, busy))
            if now - last > 0.015:
                # This thread only sleeps: a late wake-up means another thread kept the GIL (or the CPU). The
                # threads' stacks right now show where the holder got to when it let go.
                self.late.append((last, now, [_culprit(b) for b in busy]))
            last = now

    def stop(self) -> None:
        self._halt.set()
        self.join(2)

    def where(self, start: float, end: float) -> str:
        """What the GUI thread did between ``start`` and ``end``, most common first, and who held the GIL."""
        window = [(g, b) for t, g, b in self.samples if start <= t <= end]
        gui: Counter[str] = Counter()
        workers: Counter[str] = Counter()
        for stack, busy in window:
            app_frame = next((f for f in stack if f.startswith("app/")), None)
            if app_frame is None:
                gui["no app frame (Qt C++, or waiting for the GIL)"] += 1
                for other in busy:
                    workers[_culprit(other)] += 1
            else:
                gui[app_frame if app_frame == stack[0] else f"{app_frame} > {stack[0]}"] += 1
        parts = [f"{n * 100 // len(window)}% {what}" for what, n in gui.most_common(2)]
        late = [(a, b, who) for a, b, who in self.late if min(b, end) - max(a, start) > 0.5 * (end - start)]
        if late:
            a, b, who = max(late, key=lambda x: x[1] - x[0])
            parts.append(f"the sampler thread was held up {(b - a) * 1000:.0f} ms too (GIL held); busy threads "
                         f"when it got in: {'; '.join(who) or 'none in Python'}")
        elif workers:
            parts.append("workers in Python meanwhile: "
                         + "; ".join(f"{what} ({n})" for what, n in workers.most_common(2)))
        return " | ".join(parts) or "no sample"


_WAITING = ("socket.py", "ssl.py", "threading.py", "queue.py", "selectors.py", "http/client.py:")


def _stack(frame: Any) -> tuple[str, ...]:
    stack: list[str] = []
    while frame is not None and len(stack) < 60:
        code = frame.f_code
        stack.append(f"{_short(code.co_filename)}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return tuple(stack)


def _culprit(stack: tuple[str, ...]) -> str:
    """A worker's stack in a few words: the app frame it is in and its innermost frame."""
    if any(f.startswith("<frozen importlib") for f in stack):
        module = next((f for f in stack if f.endswith(" <module>")), stack[0])
        return f"import {module.split(':')[0]}"
    app_frame = next((f for f in stack if f.startswith("app/")), "?")
    return f"{app_frame} > {stack[0]}"


def _short(filename: str) -> str:
    for marker in ("/site-packages/", str(REPO) + "/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename.rsplit("/", 2)[-1] if "/" in filename else filename


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


_CONTROL = """
import select, sys, time
late, last = [], time.perf_counter()
while True:
    ready = select.select([sys.stdin], [], [], 0.005)[0]
    now = time.perf_counter()
    if now - last > 0.012:
        late.append((last, now))
    last = now
    if ready:
        break
print(repr(late))
"""


class ControlProbe:
    """A bare Python process ticking every 5 ms beside the app: its late ticks are the machine's (CPU) noise.

    ``time.perf_counter`` is CLOCK_MONOTONIC on Linux, so its times compare with the bench's.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", _CONTROL], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        self.late: list[tuple[float, float]] = []

    def stop(self) -> None:
        try:
            out, _ = self.proc.communicate("stop\n", timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.proc.kill()
            out, _ = self.proc.communicate()
        with contextlib.suppress(SyntaxError, ValueError):
            self.late = list(eval(out.strip() or "[]"))  # noqa: S307 - our own child's repr of floats

    def overlapping(self, start: float, end: float) -> float:
        """Longest late tick of the control process overlapping [start, end], in ms (0: none)."""
        spans = [(b - a) for a, b in self.late if b >= start and a <= end]
        return max(spans, default=0.0) * 1000

    def longest(self) -> float:
        return max(((b - a) for a, b in self.late), default=0.0) * 1000


# -- measuring memory -------------------------------------------------------------------------------------------
def rss_kib(pid: int | str = "self") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def descendants(root: int, exclude: int | None) -> list[int]:
    """Processes below ``root`` (QtWebEngine's zygote, renderers, GPU process), without ``exclude``'s subtree."""
    parent_of: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent_of[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found = []
    for pid in parent_of:
        chain, p = [], pid
        while p in parent_of and p not in (root, exclude, 0, 1):
            chain.append(p)
            p = parent_of[p]
        if p == root and pid != root and (exclude is None or exclude not in chain):
            found.append(pid)
    return found


def deep_size(objs: Iterable[Any]) -> int:
    """Bytes held by these objects and everything they reference (shared objects counted once)."""
    seen: set[int] = set()
    total = 0
    stack = list(objs)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (bool, type)):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, (tuple, list, set, frozenset)):
            stack.extend(obj)
        elif isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif hasattr(obj, "__dict__"):
            stack.append(obj.__dict__)
    return total


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


# -- the bench ------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    signin_ms: float = 0.0
    signed_in_ms: float = 0.0
    mailboxes: list[str] = field(default_factory=list)
    signin_wire: list[Wire] = field(default_factory=list)
    open_ms: float = 0.0
    open_model_ms: float = 0.0
    open_wire: list[Wire] = field(default_factory=list)
    open_click_ms: float = 0.0
    settle_ms: float = 0.0
    settle_wire: list[Wire] = field(default_factory=list)


class Bench:
    """Drives MailroomApp instances in one QApplication; the heartbeat runs for the whole process."""

    def __init__(self, args: argparse.Namespace, ews_url: str, traffic: Traffic, tmp: Path,
                 emulator_pid: int | None) -> None:
        from PySide6.QtCore import QEvent, QObject, Qt, QTimer

        self.args = args
        self.ews_url = ews_url
        self.traffic = traffic
        self.tmp = tmp
        self.emulator_pid = emulator_pid
        self.run_no = 0
        self.phase = "startup"
        self.stalls: list[Stall] = []
        self.max_gap_by_phase: dict[str, float] = {}
        self._last_tick: float | None = None
        self.sampler: StackSampler | None = None
        self.gc_watch = GcWatch()
        self.control: ControlProbe | None = None
        self.profiler: cProfile.Profile | None = None
        self.lines: list[str] = []

        self.heartbeat = QTimer()
        self.heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.heartbeat.setInterval(HEARTBEAT_MS)
        self.heartbeat.timeout.connect(self._tick)

        class PaintWatch(QObject):
            """Notes when the list's viewport paints while it has rows (the rows *show*)."""

            def __init__(self) -> None:
                super().__init__()
                self.armed: Callable[[], bool] | None = None
                self.painted_at: float | None = None

            def eventFilter(self, obj: Any, event: Any) -> bool:  # noqa: N802 - Qt's name
                if event.type() == QEvent.Type.Paint and self.armed is not None and self.armed():
                    self.painted_at = time.perf_counter()
                    self.armed = None
                return False

        self.paint_watch = PaintWatch()

    # -- heartbeat -----------------------------------------------------------------------------------------
    def _tick(self) -> None:
        now = time.perf_counter()
        if self._last_tick is not None:
            gap = (now - self._last_tick) * 1000
            key = self.phase
            if gap > self.max_gap_by_phase.get(key, 0.0):
                self.max_gap_by_phase[key] = gap
            if gap > 2 * HEARTBEAT_MS + 2:
                self.stalls.append(Stall(gap, self.phase, now, self.run_no))
        self._last_tick = now

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.traffic.phase = phase

    @contextlib.contextmanager
    def bench_work(self) -> Any:
        """The bench's own work on the GUI thread (reading /proc, sizing objects): not the app's stall."""
        self._last_tick = None
        try:
            yield
        finally:
            self._last_tick = None

    # -- waiting -------------------------------------------------------------------------------------------
    def wait(self, cond: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
        """Run the event loop until ``cond()`` (checked every 2 ms) or fail after ``timeout_s``."""
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

    # -- one run -------------------------------------------------------------------------------------------
    def run_once(self, run_no: int, last: bool) -> RunResult:
        from app import secrets
        from app.application import MailroomApp, Options

        self.run_no = run_no
        result = RunResult()
        work = self.tmp / f"run{run_no}"
        work.mkdir()
        secrets.set_password(USER, PASSWORD)
        self.set_phase("build window")
        with self.bench_work():  # before the window shows (timed on its own, not a stall of a visible window)
            t_build = time.perf_counter()
            app = MailroomApp(Options(ews_url=self.ews_url, user=USER, settings_path=work / "settings.json",
                                      drafts_dir=work / "drafts"))
            build_ms = (time.perf_counter() - t_build) * 1000
        view = app.window.list_view
        model = app.list_model
        view.viewport().installEventFilter(self.paint_watch)
        failures: list[str] = []
        app.failed.connect(failures.append)
        app.session.failed.connect(lambda error: failures.append(f"sign-in failed: {error}"))
        app.mailboxes.mailbox_failed.connect(lambda address, why: failures.append(f"{address}: {why}"))

        # 1. sign-in until the sidebar lists every mailbox with its folders
        marks: dict[str, float] = {}

        def sidebar_filled() -> bool:
            res = app.session.result
            if res is None or app.mailboxes.is_loading():
                return False
            wanted = [res.user.address, *(m.address for m in res.automapped)]
            return all(app.sidebar_model.tree(a) is not None for a in wanted)

        def on_opened(_tree: Any) -> None:
            if "filled" not in marks and sidebar_filled():
                marks["filled"] = time.perf_counter()

        app.session.signed_in.connect(lambda _r: marks.setdefault("signed_in", time.perf_counter()))
        app.mailboxes.mailbox_opened.connect(on_opened)  # after the models' slots: the sidebar has it already
        self.set_phase("sign-in")
        t0 = time.perf_counter()
        app.start()
        self.wait(lambda: "filled" in marks or bool(failures), "the sidebar to fill")
        if failures:
            raise SystemExit(f"run {run_no}: {failures[0]}")
        result.signin_ms = (marks["filled"] - t0) * 1000
        result.signed_in_ms = (marks["signed_in"] - t0) * 1000
        result.signin_wire = self.traffic.between(t0, marks["filled"])
        result.mailboxes = [m.address for m in app.sidebar_model.mailboxes()]

        # what sign-in set going after that (the user's own Inbox, its first sync, categories): until nothing ran
        # for QUIET_S (debounced work starts late), unless --click-at-once
        self.set_phase("settle")
        t_settle = time.perf_counter()
        busy_at = [t_settle]

        def quiet() -> bool:
            now = time.perf_counter()
            if app.runner.pending_count() or model.is_loading():
                busy_at[0] = now
            return now - busy_at[0] >= QUIET_S

        if not self.args.click_at_once:
            self.wait(quiet, "the app to settle")
        t_quiet = busy_at[0] if not self.args.click_at_once else t_settle
        result.settle_ms = (t_quiet - t_settle) * 1000
        result.settle_wire = [r for r in self.traffic.between(marks["filled"], time.perf_counter())
                              if r.start > marks["filled"]]
        first_request = min((r.start for r in result.signin_wire), default=t0)

        # 2. click support@ › Inbox; stop when the viewport paints rows of it
        tree = app.sidebar_model.tree(SHARED)
        if tree is None:
            raise SystemExit(f"{SHARED} is not in alice's sidebar: {result.mailboxes}")
        ref = next(n.ref for n in tree.folders if n.well_known == "inbox")
        if last and self.args.tracemalloc:
            tracemalloc.start()
        self.set_phase("open")
        rows_at: dict[str, float] = {}
        model.rowsInserted.connect(lambda *_: rows_at.setdefault("rows", time.perf_counter()))
        self.paint_watch.painted_at = None
        self.paint_watch.armed = lambda: model.rowCount() > 0 and model.folder is not None \
            and model.folder.key == ref.key
        t_click = time.perf_counter()
        if not app.window.sidebar.select_folder(ref):
            raise SystemExit("support@'s Inbox is not in the sidebar tree")
        result.open_click_ms = (time.perf_counter() - t_click) * 1000
        self.wait(lambda: self.paint_watch.painted_at is not None or bool(failures), "the first rows")
        if failures:
            raise SystemExit(f"run {run_no}: {failures[0]}")
        t_rows = self.paint_watch.painted_at
        assert t_rows is not None
        result.open_ms = (t_rows - t_click) * 1000
        result.open_model_ms = (rows_at["rows"] - t_click) * 1000
        result.open_wire = self.traffic.between(t_click, t_rows)

        self.lines.append(
            f"run {run_no}: window built {build_ms:.0f} ms; first request after {(first_request - t0) * 1000:.0f} ms; "
            f"signed in {result.signed_in_ms:.0f} ms; sidebar filled {result.signin_ms:.0f} ms "
            f"({', '.join(result.mailboxes)}); busy {result.settle_ms:.0f} ms more ({describe(result.settle_wire)}); "
            f"support@ Inbox: click handled in {result.open_click_ms:.1f} ms, rows in model "
            f"{result.open_model_ms:.0f} ms, painted {result.open_ms:.0f} ms ({describe(result.open_wire)}"
            f"{_waits(result.open_wire)})")
        if last:
            self.scroll(app, ref, t_click)
            if self.profiler is not None:
                self.profiler.disable()
        self.set_phase("teardown")
        view.viewport().removeEventFilter(self.paint_watch)
        self.paint_watch.armed = None
        self.stop_app(app)
        return result

    def scroll(self, app: Any, ref: Any, t_click: float) -> None:
        """3. Hold the scrollbar at the bottom until the list has more than --rows rows; then memory."""
        from PySide6.QtCore import QTimer

        view, model = app.window.list_view, app.list_model
        target = self.args.rows
        with self.bench_work():
            rss_before = rss_kib()
            objects_before = len(gc.get_objects())
        self.set_phase("scroll")
        reached: dict[str, float] = {}

        def follow(*_: Any) -> None:
            if model.rowCount() > target:
                reached.setdefault("rows", time.perf_counter())
            else:
                QTimer.singleShot(0, view.scrollToBottom)

        model.rowsInserted.connect(follow)
        nudge = QTimer()
        nudge.setInterval(10)  # the hand on the scrollbar: back to the end if the list grew meanwhile
        nudge.timeout.connect(lambda: None if model.rowCount() > target else view.scrollToBottom())
        self.paint_watch.painted_at = None
        self.paint_watch.armed = lambda: model.rowCount() > target
        t0 = time.perf_counter()
        nudge.start()
        view.scrollToBottom()
        self.wait(lambda: "rows" in reached and self.paint_watch.painted_at is not None,
                  f"{target:,} rows in the list")
        nudge.stop()
        t_end = self.paint_watch.painted_at or reached["rows"]
        scroll_ms = (t_end - t0) * 1000
        wire = self.traffic.between(t0, t_end)
        page_tag = f"+{model.page_size} "
        finds = [r for r in wire if r.op == "FindItem" and not r.is_auth_leg and page_tag in r.detail + " "]
        rows = model.rowCount()

        with self.bench_work():
            rss_after = rss_kib()
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            helpers = descendants(os.getpid(), self.emulator_pid)
            helper_rss = sum(rss_kib(p) for p in helpers)
            rows_bytes = deep_size(model.summaries())
            objects_after = len(gc.get_objects())
            t_gc = time.perf_counter()
            gc.collect()
            full_gc_ms = (time.perf_counter() - t_gc) * 1000
            gc.freeze()  # what a full pass would cost if the app froze the heap it has now
            t_gc = time.perf_counter()
            gc.collect()
            frozen_gc_ms = (time.perf_counter() - t_gc) * 1000
            gc.unfreeze()
            traced = tracemalloc.get_traced_memory() if tracemalloc.is_tracing() else None
            if traced is not None:
                tracemalloc.stop()

        # where the time goes between two pages
        gaps = [b.start - a.end for a, b in zip(finds, finds[1:], strict=False)]
        wire_ms = statistics.median((r.end - r.start) * 1000 for r in finds) if finds else 0.0
        pool_waits = [r.pool_wait * 1000 for r in finds]
        longest = max(range(len(gaps)), key=lambda i: gaps[i], default=None)
        between: list[Wire] = []
        if longest is not None:
            between = [r for r in wire if finds[longest].end <= r.start < finds[longest + 1].start]
        self.scroll_result = {
            "ms": scroll_ms, "rows": rows, "wire": wire, "pages": len(finds),
            "find_wire_ms": wire_ms, "gap_ms": statistics.median(gaps) * 1000 if gaps else 0.0,
            "pool_wait_ms": statistics.median(pool_waits) if pool_waits else 0.0,
            "pool_wait_total_ms": sum(pool_waits),
            "rate": (rows - model.page_size) / (scroll_ms / 1000) if scroll_ms else 0.0,
            "longest_gap_ms": gaps[longest] * 1000 if longest is not None else 0.0,
            "longest_gap_trips": len(between),
            "longest_gap_what": f"after rows {finds[longest].detail.split()[1] if longest is not None else '?'}: "
                                + describe(between),
        }
        self.memory = {
            "rss_before": rss_before, "rss_after": rss_after, "peak": peak, "helpers": helper_rss,
            "helper_count": len(helpers), "rows_bytes": rows_bytes, "traced": traced,
            "objects_before": objects_before, "objects_after": objects_after, "full_gc_ms": full_gc_ms,
            "frozen_gc_ms": frozen_gc_ms,
        }

        # the first sync of a 100,000-item folder keeps running: measure it to its end (cancelled at teardown
        # otherwise), with the heartbeat still on
        self.set_phase("background sync")
        t_sync = time.perf_counter()
        with contextlib.suppress(SystemExit):
            self.wait(lambda: not app.mail.is_syncing(), "support@'s first SyncFolderItems pass", 120.0)
        sync_wire = [r for r in self.traffic.records if r.op == "SyncFolderItems" and r.start >= t_click
                     and not r.is_auth_leg]
        sync_done = not app.mail.is_syncing()
        self.sync_result = {
            "count": len(sync_wire),
            "span_ms": (max(r.end for r in sync_wire) - min(r.start for r in sync_wire)) * 1000 if sync_wire else 0,
            "done": sync_done, "waited_ms": (time.perf_counter() - t_sync) * 1000,
        }

    def stop_app(self, app: Any) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent
        from PySide6.QtWidgets import QApplication

        app.window.close()
        if not app.shutdown(20_000):
            print("warning: a worker did not stop within 20 s", file=sys.stderr)
        for widget in QApplication.topLevelWidgets():
            widget.close()
            widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


# -- printing -------------------------------------------------------------------------------------------------
def med(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def spread(values: list[float]) -> str:
    if len(values) < 2:
        return ""
    return f" [{', '.join(f'{v:.0f}' for v in values)}]"


def report(bench: Bench, results: list[RunResult], args: argparse.Namespace, emulator_s: float,
           startup_ms: float) -> None:
    n = len(results)
    latency = args.latency_ms
    last = results[-1]
    print(f"Mailroom client bench: emulator in a separate process (--scale {args.scale:,} --latency-ms {latency}; "
          f"up in {emulator_s:.1f} s), QApplication + QtWebEngine up in {startup_ms:.0f} ms; {n} run(s)"
          + (", medians [each run; run 1 is cold: the sign-in worker imports exchangelib]" if n > 1 else ""))
    print("round trips = HTTP requests on the wire, 401 handshake legs included; wire detail of the last run")
    print()
    w = 44
    print(f"{'phase':<{w}} {'ms':>8}  {'round trips':>11}  what went over the wire")
    print(f"{'1 sign-in -> sidebar filled':<{w}} {med([r.signin_ms for r in results]):>8.0f}  "
          f"{med([len(r.signin_wire) for r in results]):>11.0f}  {describe(last.signin_wire)}"
          f"{spread([r.signin_ms for r in results])}")
    print(f"{'    of which: signed in (GetFolder answered)':<{w}} {med([r.signed_in_ms for r in results]):>8.0f}")
    settle = "then busy until idle (own Inbox, ...)" if not args.click_at_once else "(--click-at-once: no wait)"
    print(f"{'    ' + settle:<{w}} {med([r.settle_ms for r in results]):>8.0f}  "
          f"{med([len(r.settle_wire) for r in results]):>11.0f}  {describe(last.settle_wire)}")
    target = latency + 100
    open_ms = med([r.open_ms for r in results])
    print(f"{'2 open support@ Inbox -> first rows painted':<{w}} {open_ms:>8.0f}  "
          f"{med([len(r.open_wire) for r in results]):>11.0f}  {describe(last.open_wire)}"
          f"{spread([r.open_ms for r in results])}")
    met = sum(1 for r in results if r.open_ms <= target and len(r.open_wire) == 1
              and r.open_wire[0].op == "FindItem")
    print(f"{'    target: 1 FindItem, <= latency + 100 ms':<{w}} {target:>8}  {1:>11}  met in {met} of {n} run(s); "
          f"rows in the model after {med([r.open_model_ms for r in results]):.0f} ms")
    s = bench.scroll_result
    label = f"3 scroll to row {args.rows:,} ({s['rows']:,} rows)"
    print(f"{label:<{w}} {s['ms']:>8.0f}  {len(s['wire']):>11}  {describe(s['wire'])}")
    print(f"{'    per list page (FindItem of 100)':<{w}} {s['ms'] / max(1, s['pages']):>8.0f}  "
          f"{'':>11}  on the wire {s['find_wire_ms']:.0f} ms (median), between pages {s['gap_ms']:.0f} ms "
          f"(median; waiting for the connection {s['pool_wait_ms']:.0f} ms median, "
          f"{s['pool_wait_total_ms']:.0f} ms in all); {s['rate']:,.0f} rows/s")
    if s["longest_gap_ms"] > 1000:
        print(f"{'    longest wait for the next page':<{w}} {s['longest_gap_ms']:>8.0f}  "
              f"{s['longest_gap_trips']:>11}  {s['longest_gap_what']}")
    y = bench.sync_result
    state = "finished" if y["done"] else f"still running after {y['waited_ms'] / 1000:.0f} s more"
    print(f"{'    support@ first SyncFolderItems pass':<{w}} {y['span_ms']:>8.0f}  {y['count']:>11}  "
          f"background, from the click ({state})")
    m = bench.memory
    print()
    print(f"memory with support@ Inbox open ({s['rows']:,} rows): GUI process RSS {mib(m['rss_after'])} "
          f"(+{mib(m['rss_after'] - m['rss_before'])} while scrolling), peak RSS (ru_maxrss) {mib(m['peak'])}; "
          f"model rows {m['rows_bytes'] / 2**20:.1f} MiB ({m['rows_bytes'] / max(1, s['rows']):.0f} B/row, "
          f"deep sizeof); QtWebEngine helpers: {m['helper_count']} processes, RSS {mib(m['helpers'])}; "
          f"objects the cyclic GC tracks: {m['objects_before']:,} before scrolling, {m['objects_after']:,} after; "
          f"a full gc.collect() then took {m['full_gc_ms']:.0f} ms ({m['frozen_gc_ms']:.0f} ms after gc.freeze())")
    if m["traced"] is not None:
        current, peak = m["traced"]
        print(f"tracemalloc (from the click to row {args.rows:,}): current {current / 2**20:.1f} MiB, "
              f"peak {peak / 2**20:.1f} MiB")

    stalls = sorted((st for st in bench.stalls if st.phase != "teardown"), reverse=True)
    worst = stalls[0].gap_ms if stalls else HEARTBEAT_MS
    print()
    print(f"GUI thread ({HEARTBEAT_MS} ms heartbeat): longest gap {worst:.0f} ms (target < {STALL_TARGET_MS} ms: "
          f"{'met' if worst < STALL_TARGET_MS else 'NOT met'}); longest gap per phase: "
          + ", ".join(f"{p} {g:.0f}" for p, g in bench.max_gap_by_phase.items() if p != "teardown"))
    if bench.control is not None:
        print(f"  machine noise: a bare Python process ticking every 5 ms beside it was late by up to "
              f"{bench.control.longest():.0f} ms ({len(bench.control.late)} ticks over 12 ms)")
    for st in stalls[:5]:
        start = st.end - st.gap_ms / 1000
        notes = [bench.gc_watch.summary(start, st.end)]
        if bench.control is not None and bench.control.overlapping(start, st.end) > 0.5 * st.gap_ms:
            notes.append(f"control process late {bench.control.overlapping(start, st.end):.0f} ms too: CPU starved")
        if bench.sampler is not None:
            notes.append(bench.sampler.where(start, st.end))
        at = " — " + " | ".join(n for n in notes if n) if any(notes) else ""
        print(f"  {st.gap_ms:6.0f} ms  run {st.run}, {st.phase}{at}")
    passes = [p for p in bench.gc_watch.passes if p[2] == 2]
    if passes:
        longest = max((b - a) * 1000 for a, b, _g, _t in passes)
        print(f"  cyclic GC: {len(passes)} full (gen2) passes, longest {longest:.0f} ms, "
              f"{sum((b - a) * 1000 for a, b, _g, _t in passes):.0f} ms in all; gen0/1 passes: "
              f"{sum(1 for p in bench.gc_watch.passes if p[2] < 2)}, longest "
              f"{max([(b - a) * 1000 for a, b, g, _t in bench.gc_watch.passes if g < 2] or [0]):.0f} ms")
    print()
    for line in bench.lines:
        print(line)


def print_profile(profiler: cProfile.Profile, limit: int = 18) -> None:
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append((tottime, cumtime, calls, f"{_short(filename)}:{line} {func}"))
    print()
    print("cProfile of the GUI thread (sign-in to the end of the background sync), by own time:")
    print(f"{'own ms':>8} {'cum ms':>8} {'calls':>8}  function")
    for tottime, cumtime, calls, name in sorted(rows, reverse=True)[:limit]:
        print(f"{tottime * 1000:>8.0f} {cumtime * 1000:>8.0f} {calls:>8}  {name}")


def print_wire(traffic: Traffic) -> None:
    print()
    print("every HTTP request (start s from the first, phase, operation, status, ms on the wire, ms waiting for the"
          " connection):")
    base = traffic.records[0].start if traffic.records else 0.0
    for r in traffic.records:
        leg = {1: " NTLM negotiate", 3: " NTLM authenticate"}.get(r.ntlm, "")
        print(f"  {r.start - base:8.3f} {r.phase:<16} {r.op:<22} {r.status!s:>4} {(r.end - r.start) * 1000:6.1f}"
              f" {r.pool_wait * 1000:6.1f} {r.detail}{leg}")


# -- main -----------------------------------------------------------------------------------------------------
def prepare_environment(tmp: Path) -> None:
    """Headless Qt, QtWebEngine without sandbox, private XDG folders (settings, certificates, web profile)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--disable-gpu --disable-background-networking")
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        path = tmp / name.lower()
        path.mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(path)


def install_memory_keyring() -> None:
    """Passwords in memory: the bench never touches the machine's keyring."""
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.passwords: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.passwords.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.passwords[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.passwords.pop((service, username), None)

    keyring.set_keyring(MemoryKeyring())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=int, default=100_000, help="generated messages in support@'s Inbox")
    p.add_argument("--latency-ms", type=int, default=50, help="the emulator's delay per authenticated response")
    p.add_argument("--rows", type=int, default=10_000, help="scroll until the list has more rows than this")
    p.add_argument("--repeat", type=int, default=1, help="runs of sign-in and opening (medians printed)")
    p.add_argument("--profile", action="store_true",
                   help="sample the GUI thread's stack (stall attribution) and cProfile it; distorts timings")
    p.add_argument("--tracemalloc", action="store_true",
                   help="trace Python allocations from the click to the last row (slows the app down)")
    p.add_argument("--click-at-once", action="store_true",
                   help="click support@'s Inbox as soon as the sidebar is filled (default: once the app is idle)")
    p.add_argument("--wire", action="store_true", help="list every HTTP request (phase, operation, status, ms)")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.rows < 1:
        p.error("--repeat and --rows must be positive")

    tmp = Path(tempfile.mkdtemp(prefix="bench-client-"))
    emulator = EmulatorProcess(args.scale, args.latency_ms, tmp / "emulator.log")
    try:
        ews_url = emulator.start()
        prepare_environment(tmp)
        return run(args, ews_url, emulator, tmp)
    finally:
        emulator.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, ews_url: str, emulator: EmulatorProcess, tmp: Path) -> int:
    t_start = time.perf_counter()
    from PySide6.QtCore import QCoreApplication, QLocale, Qt

    # As app/__main__.py: shared GL contexts, QtWebEngine and the reading pane's URL schemes before the QApplication.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_ShareOpenGLContexts)
    import PySide6.QtWebEngineWidgets  # noqa: F401
    from PySide6.QtWidgets import QApplication

    from app.views.webview import register_schemes

    register_schemes()
    if QLocale.system().name() == "C":
        QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom))
    qt_app = QApplication([sys.argv[0]])
    qt_app.setApplicationName("Mailroom")
    startup_ms = (time.perf_counter() - t_start) * 1000
    install_memory_keyring()

    traffic = Traffic()
    traffic.install()
    bench = Bench(args, ews_url, traffic, tmp, emulator.proc.pid if emulator.proc else None)
    if args.profile:
        bench.sampler = StackSampler(threading.get_ident())
        bench.sampler.start()
        bench.profiler = cProfile.Profile()
    gc.callbacks.append(bench.gc_watch)
    bench.control = ControlProbe()
    bench.heartbeat.start()
    results = []
    try:
        if bench.profiler is not None:
            bench.profiler.enable()
        for run_no in range(1, args.repeat + 1):
            results.append(bench.run_once(run_no, last=run_no == args.repeat))
    finally:
        if bench.profiler is not None:
            bench.profiler.disable()
        bench.heartbeat.stop()
        bench.control.stop()
        if bench.sampler is not None:
            bench.sampler.stop()
    report(bench, results, args, emulator.started_s, startup_ms)
    if bench.profiler is not None:
        print_profile(bench.profiler)
    if args.wire:
        print_wire(traffic)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
