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

What the benches share (emulator process, environment, keyring, traffic recorder, heartbeat) is in
``bench/harness.py``; the stall attribution and memory measures are in ``bench/diagnostics.py``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import os
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from diagnostics import (
    ControlProbe,
    StackSampler,
    Stall,
    deep_size,
    descendants,
    mib,
    print_profile,
    rss_kib,
)
from harness import (
    HEARTBEAT_MS,
    PASSWORD,
    USER,
    EmulatorProcess,
    GcWatch,
    Heartbeat,
    Traffic,
    Wire,
    describe,
    install_memory_keyring,
    prepare_environment,
    start_qt,
    wait,
)

SHARED = "support@example.com"
STALL_TARGET_MS = 50
QUIET_S = 1.0


# -- client-side traffic --------------------------------------------------------------------------------------
def _waits(records: Iterable[Wire]) -> str:
    waited = [r for r in records if r.op == "FindItem" and r.pool_wait > 0.005]
    return "".join(f"; the FindItem waited {r.pool_wait * 1000:.0f} ms for the connection" for r in waited)



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
        from PySide6.QtCore import QEvent, QObject

        self.args = args
        self.ews_url = ews_url
        self.traffic = traffic
        self.tmp = tmp
        self.emulator_pid = emulator_pid
        self.run_no = 0
        self.phase = "startup"
        self.stalls: list[Stall] = []
        self.sampler: StackSampler | None = None
        self.gc_watch = GcWatch()
        self.control: ControlProbe | None = None
        self.profiler: cProfile.Profile | None = None
        self.lines: list[str] = []

        self.heartbeat = Heartbeat(on_gap=self._on_gap)

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
    @property
    def max_gap_by_phase(self) -> dict[str, float]:
        """The heartbeat's longest gap (ms) per phase."""
        return self.heartbeat.max_gap

    def _on_gap(self, gap: float, now: float) -> None:
        if gap > 2 * HEARTBEAT_MS + 2:
            self.stalls.append(Stall(gap, self.phase, now, self.run_no))

    def set_phase(self, phase: str) -> None:
        self.phase = phase
        self.heartbeat.phase = phase
        self.traffic.phase = phase

    @contextlib.contextmanager
    def bench_work(self) -> Any:
        """The bench's own work on the GUI thread (reading /proc, sizing objects): not the app's stall."""
        self.heartbeat.skip()
        try:
            yield
        finally:
            self.heartbeat.skip()

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
        wait(lambda: "filled" in marks or bool(failures), "the sidebar to fill")
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
            wait(quiet, "the app to settle")
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
        wait(lambda: self.paint_watch.painted_at is not None or bool(failures), "the first rows")
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
        wait(lambda: "rows" in reached and self.paint_watch.painted_at is not None,
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
            wait(lambda: not app.mail.is_syncing(), "support@'s first SyncFolderItems pass", 120.0)
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
    qt_app = start_qt()  # noqa: F841 - kept alive for the run
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
