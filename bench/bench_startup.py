"""Start-up time of the bundled binary to its first window: median, min and max of N runs.

    .venv/bin/python bench/bench_startup.py [--binary dist/mailroom/mailroom] [--runs 5]

Each run starts ``<binary> --demo --quit-after-first-window`` offscreen (a new process every time, as a user's
double-click does) and takes the wall time from ``Popen`` to the process's exit; the binary's own figure
(``first window after N ms``, from its entry point to the window being shown) is reported too when it prints one.
If the binary does not know ``--quit-after-first-window`` (``--help`` does not list it), the run falls back to
``--selftest`` (start, emulator, sign-in, a message in the web view: an upper bound) and says so.

"Cold" here means a new process, not an empty disk cache: dropping the page cache needs root and would disturb
everything else on a shared machine. Run 1 is printed on its own since it is the nearest to a cold cache.
Prints figures and asserts nothing; without a bundle it says how to build one and exits 0 (``make bench``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BINARY = ROOT / "dist" / "mailroom" / ("mailroom.exe" if sys.platform == "win32" else "mailroom")
FIRST_WINDOW = re.compile(r"first window after (\d+(?:\.\d+)?) ms")
TIMEOUT_S = 120


def bench_env(scratch: Path) -> dict[str, str]:
    """Offscreen Qt, private cache/config folders (nothing of the user's is read or written)."""
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    for name in ("XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        env[name] = str(scratch / name.lower())
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        env.setdefault("QTWEBENGINE_DISABLE_SANDBOX", "1")  # Chromium refuses to run as root otherwise
    return env


def mode_arguments(binary: Path, env: dict[str, str]) -> tuple[list[str], str]:
    """The arguments of one run, and a description of what they measure."""
    usage = subprocess.run([str(binary), "--help"], capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    if "--quit-after-first-window" in usage.stdout:
        return ["--demo", "--quit-after-first-window"], "--demo --quit-after-first-window (to the first window)"
    if "--selftest" in usage.stdout:
        return ["--selftest"], "--selftest (FALLBACK: no --quit-after-first-window; start to a message shown)"
    raise SystemExit(f"{binary} knows neither --quit-after-first-window nor --selftest")


def run_once(binary: Path, args: list[str], env: dict[str, str]) -> tuple[float, float | None]:
    """(wall seconds, the binary's own first-window figure in ms or None) of one run.

    Raises:
        RuntimeError: The run failed.
    """
    started = time.perf_counter()
    done = subprocess.run([str(binary), *args], capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise RuntimeError(f"exit code {done.returncode}: {tail}")
    found = FIRST_WINDOW.search(done.stdout + done.stderr)
    return wall, float(found.group(1)) if found else None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", type=Path, default=DEFAULT_BINARY, help="the bundled executable")
    parser.add_argument("--runs", type=int, default=5, help="number of runs (default 5)")
    args = parser.parse_args(argv)
    if not args.binary.is_file():
        print(f"bench_startup: no bundle at {args.binary}; build it with `make bundle` (skipped)")
        return 0
    with tempfile.TemporaryDirectory(prefix="mailroom-bench-") as scratch:
        env = bench_env(Path(scratch))
        run_args, what = mode_arguments(args.binary, env)
        print(f"binary: {args.binary}\nmeasures: {what}\nruns: {args.runs}")
        walls: list[float] = []
        own: list[float] = []
        for index in range(1, args.runs + 1):
            wall, first_window_ms = run_once(args.binary, run_args, env)
            walls.append(wall)
            if first_window_ms is not None:
                own.append(first_window_ms)
            extra = f", first window after {first_window_ms:.0f} ms (binary's own figure)" if first_window_ms else ""
            print(f"  run {index}: {wall * 1000:.0f} ms wall{extra}")
    print(f"wall time, process start to exit: median {statistics.median(walls) * 1000:.0f} ms, "
          f"min {min(walls) * 1000:.0f} ms, max {max(walls) * 1000:.0f} ms (run 1: {walls[0] * 1000:.0f} ms)")
    if own:
        print(f"first window (binary's own figure): median {statistics.median(own):.0f} ms, "
              f"min {min(own):.0f} ms, max {max(own):.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
