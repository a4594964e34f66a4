"""Diagnostics of the client bench (``bench/bench_client.py``): who stalled the GUI thread (a stack sampler of
every thread, a bare control process beside the app for the machine's noise), what the process holds in memory,
and the GUI thread's cProfile printed by own time.
"""

from __future__ import annotations

import contextlib
import cProfile
import pstats
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import REPO


# -- the GUI thread: stalls, stack sampler, control process -------------------------------------------------------
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


# -- profile ----------------------------------------------------------------------------------------------------
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
