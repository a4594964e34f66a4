"""The self-test (``mailroom --selftest``) run from source, as a user's process: the code the bundle runs."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.packaging.conftest import ROOT

STEPS = (
    "main window shown",
    "emulator running",
    "signed in as alice@example.com",
    "support@example.com opened",
    "support@example.com Inbox listed",
    "message body loaded in the web view",
    "web view rendered",
    "selftest: passed in",
)


@pytest.mark.slow
def test_selftest_passes_from_source(child_env) -> None:
    done = subprocess.run([sys.executable, "-m", "app", "--selftest"], cwd=ROOT, env=child_env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for step in STEPS:
        assert any(step in line for line in lines), f"step {step!r} missing from:\n{done.stdout}"
    assert "Qt platform offscreen" in lines[0]
    assert "FAILED" not in done.stderr


@pytest.mark.slow
def test_selftest_fails_with_one_clear_line_on_timeout(child_env) -> None:
    code = "import sys; from app.selftest import main; sys.exit(main(timeout_s=0.001))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=child_env, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 1
    failures = [line for line in done.stderr.splitlines() if line.startswith("mailroom selftest: FAILED")]
    assert failures == ["mailroom selftest: FAILED: timed out after 0.001 s (waiting for the emulator to start)"]
    assert "selftest: passed" not in done.stdout
