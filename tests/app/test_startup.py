"""``--quit-after-first-window`` (the start-up benchmark's probe) and the process-age clock behind it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.startup import process_age_ms

ROOT = Path(__file__).resolve().parents[2]


def test_process_age_counts_from_the_process_start() -> None:
    before = process_age_ms()
    started = time.perf_counter()
    while time.perf_counter() - started < 0.05:  # busy for 50 ms: the clock must move with it
        pass
    after = process_age_ms()
    assert before > 0
    assert 30 <= after - before <= 1000


@pytest.mark.slow
def test_quit_after_first_window_prints_the_time_and_exits_0(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "app", "--demo", "--quit-after-first-window"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    wall_ms = (time.monotonic() - started) * 1000
    assert done.returncode == 0, done.stderr
    found = re.fullmatch(r"first window after (\d+) ms", done.stdout.strip())
    assert found, done.stdout
    assert 50 < int(found.group(1)) < wall_ms  # from the process start, and before the process ended
