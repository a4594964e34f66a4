"""Benchmark: sends from support@ while the emulator loses answers after acting; counts what arrived.

Usage::

    .venv/bin/python bench/bench_send_once.py [--count 50] [--rate 0.3] [--seed 11]

For each of ``drop-after`` and ``http500-after``: a fresh demo tenant, ``--count`` messages sent as alice from
support@ (Send As), half of them saved as a draft first, every request faulted at ``--rate``. Prints per mode the
messages sent, not sent, duplicates at the recipient, lost, drafts left behind, the faults injected, the outcome
of each send and the time taken. A benchmark, not a test (the same run is asserted by
tests/app/ews/test_send_once.py, marked slow).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ews_emulator import Emulator  # noqa: E402
from tests.support.send_once import run_sends  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    for mode in ("drop-after", "http500-after"):
        with Emulator(fail_rate=args.rate, fail_mode=mode, fail_seed=args.seed) as emu:
            start = time.perf_counter()
            run = run_sends(emu, mode, args.count)
            took = time.perf_counter() - start
        print(run.report())
        print(f"  {mode}: {took:.1f} s for {args.count} sends")
    return 0


if __name__ == "__main__":
    sys.exit(main())
