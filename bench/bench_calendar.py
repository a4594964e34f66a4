"""Benchmark the calendar: opening a month view of a calendar with 5,000 events.

Usage::

    .venv/bin/python bench/bench_calendar.py [--events 5000] [--spread month|year] [--latency-ms 50] [--repeat 3]
                                             [--wire]

Seeds the demo tenant into a data folder and adds ``--events`` single events to support@'s Calendar straight into
the emulator's store: with ``--spread month`` (the default, the worst case) all of them in the current month
(working hours, 08:00-18:00 UTC, ~230 a working day); with ``--spread year`` spread over the twelve months around
today, with a tenth of them put in the current month on top. Then starts ``python -m ews_emulator --data DIR
--latency-ms L`` as a separate process (the server never competes for the GUI's GIL) and drives the real
application headless, as ``bench/bench_client.py`` does: alice signs in (support@ is automapped), the app is left
alone until idle, then, per run, in a fresh app instance:

1. **open**: the Calendar mode is shown with the Month view chosen (the calendars of the open mailboxes are listed,
   then each ticked calendar's six weeks are loaded) until the month grid has painted with support@'s events;
2. **week**: the Week button (that week's events loaded and laid out in the time grid) until it has painted;
3. **month**: the Month button again (calendars known: only the month's events are loaded again) until the month
   grid has painted them.

Printed per phase (medians over ``--repeat`` runs): EWS round trips (HTTP requests on the wire by operation, the
401 legs of NTLM apart), wall milliseconds to the paint, and the longest stall of the GUI thread (a 5 ms
``QTimer`` heartbeat). Prints figures; no assertions.
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import harness  # noqa: E402 - the benches' emulator process, traffic recorder, heartbeat, environment
from harness import PASSWORD, USER, wait  # noqa: E402

SUPPORT = "support@example.com"


# -- seeding -------------------------------------------------------------------------------------------------
def seed(data_dir: Path, count: int, spread: str) -> tuple[int, float]:
    """The demo tenant plus ``count`` events in support@'s Calendar; returns (events in this month, seconds)."""
    from ews_emulator.exchange import create_backend
    from ews_emulator.seedgen.xmlitems import calendar_item

    t0 = time.perf_counter()
    backend = create_backend(data_dir=data_dir)
    store = backend.store
    box = store.directory.by_smtp(SUPPORT)
    alice = store.directory.by_smtp(USER)
    folder = store.folders.by_well_known(box.id, "calendar")
    rng = random.Random(5000)
    today = datetime.now(UTC).date()
    month_start = today.replace(day=1)
    month_end = (month_start + timedelta(days=32)).replace(day=1)
    in_month = 0
    subjects = ("Customer call", "Ticket review", "Escalation", "Rota swap", "Knowledge base", "Training",
                "Partner sync", "On-call handover")
    with store.db.tx() as con:
        for n in range(count):
            if spread == "month" or n % 10 == 0:
                day = _working_day(rng, month_start, month_end)
            else:
                day = _working_day(rng, month_start - timedelta(days=182), month_start + timedelta(days=183))
            in_month += month_start <= day < month_end
            start = datetime(day.year, day.month, day.day, rng.randrange(8, 18), rng.choice((0, 15, 30, 45)),
                             tzinfo=UTC).timestamp()
            minutes = rng.choice((15, 30, 30, 45, 60, 90))
            el = calendar_item(subject=f"{rng.choice(subjects)} #{n}", body="", start=start,
                               end=start + minutes * 60, uid=f"bench-{n:05d}@example.com",
                               organizer=(box.display_name, box.smtp), location=rng.choice(("", "Room 101")),
                               my_response="Organizer")
            store.items.insert(con, box.id, folder.id, el, created_by=alice.id, modifier_name=alice.display_name,
                               received=int(start) - 86400, created=int(start) - 86400)
    store.close()
    return in_month, time.perf_counter() - t0


def _working_day(rng: random.Random, first: date, end: date) -> date:
    while True:
        day = first + timedelta(days=rng.randrange((end - first).days))
        if day.weekday() < 5:
            return day


# -- the GUI ---------------------------------------------------------------------------------------------------
class Probe:
    """The heartbeat (longest gap per phase) and the month grid's paints."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject, QTimer

        self.heartbeat = harness.Heartbeat()
        probe = self

        class PaintWatch(QObject):
            def eventFilter(self, _obj: Any, event: Any) -> bool:  # noqa: N802 - Qt
                if event.type() == QEvent.Type.Paint and probe.armed is not None and probe.armed():
                    probe.armed = None
                    QTimer.singleShot(0, probe._painted)  # runs once this paint has finished
                return False

        self.armed: Any = None
        self.painted_at: float | None = None
        self.gc = harness.GcWatch()  # cyclic-GC passes (they hold the GIL, whichever thread runs them)
        self.watch = PaintWatch()

    def _painted(self) -> None:
        self.painted_at = time.perf_counter()

    @property
    def phase(self) -> str:
        return self.heartbeat.phase

    @property
    def max_gap(self) -> dict[str, float]:
        return self.heartbeat.max_gap

    def set_phase(self, phase: str, traffic: Any) -> None:
        self.heartbeat.phase = phase
        traffic.phase = phase
        self.heartbeat.skip()


def run_once(run_no: int, ews_url: str, tmp: Path, probe: Probe, traffic: Any) -> dict[str, tuple[Any, ...]]:
    """One app instance: sign in, idle, open the month view, then week -> month. Per phase (ms, stall, wire, n)."""
    from app import secrets
    from app.application import MailroomApp, Options
    from app.views.calendar.layout import ViewKind

    work = tmp / f"run{run_no}"
    work.mkdir()
    secrets.set_password(USER, PASSWORD)
    probe.set_phase(f"sign-in {run_no}", traffic)
    app = MailroomApp(Options(ews_url=ews_url, user=USER, settings_path=work / "settings.json",
                              drafts_dir=work / "drafts"))
    app.start()
    wait(lambda: app.window.user is not None and SUPPORT in {m.address for m in app.sidebar_model.mailboxes()}
         and not app.mailboxes.is_loading(), "sign-in")
    quiet_since = [time.perf_counter()]

    def idle() -> bool:
        if app.runner.pending_count() > 0:
            quiet_since[0] = time.perf_counter()
        return time.perf_counter() - quiet_since[0] > 1.0

    wait(idle, "the app to go idle")
    ui = app.window.calendar
    pane = ui.pane
    out = {}

    def month_shown() -> bool:
        support = pane.calendar_named(SUPPORT)
        return (support is not None and pane.kind is ViewKind.MONTH and pane.loaded >= pane.checked
                and bool(pane.events.get(support.folder.key)))

    def week_shown() -> bool:
        support = pane.calendar_named(SUPPORT)
        return (support is not None and pane.kind is ViewKind.WEEK and pane.loaded >= pane.checked
                and bool(pane.events.get(support.folder.key)))

    for phase, kind, shown_when, watched in (("open", ViewKind.MONTH, month_shown, pane.month),
                                              ("week", ViewKind.WEEK, week_shown, pane.grid),
                                              ("month", ViewKind.MONTH, month_shown, pane.month)):
        watched.installEventFilter(probe.watch)
        probe.set_phase(f"{phase} {run_no}", traffic)
        probe.painted_at = None
        probe.armed = shown_when
        t0 = time.perf_counter()
        if phase == "open":
            pane.set_view(ViewKind.MONTH)  # the Month button, then the mode switch
            ui.show()
        else:
            pane.view_actions[kind].trigger()
        wait(lambda: probe.painted_at is not None, f"the {phase} view")
        if kind is ViewKind.MONTH:
            shown = sum(len(pane.month.by_day[i]) for i in range(42))
        else:
            shown = len(pane.grid.layout_model.timed)
        out[phase] = (((probe.painted_at or t0) - t0) * 1000, probe.max_gap.get(probe.phase, 0.0),
                      traffic.between(t0, probe.painted_at), shown, probe.gc.summary(t0, probe.painted_at or t0))
        watched.removeEventFilter(probe.watch)
    probe.set_phase(f"stop {run_no}", traffic)
    app.window.close()
    app.shutdown(20_000)
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    for widget in QApplication.topLevelWidgets():  # now, not at exit: QtWebEngine wants its pages gone first
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--events", type=int, default=5000, help="events added to support@'s Calendar")
    p.add_argument("--spread", choices=("month", "year"), default="month",
                   help="all in the current month, or over a year with a tenth more in this month")
    p.add_argument("--latency-ms", type=int, default=50, help="the emulator's delay per authenticated response")
    p.add_argument("--repeat", type=int, default=3, help="fresh app instances (medians printed)")
    p.add_argument("--wire", action="store_true", help="list every request of the last run's phases")
    args = p.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="bench-calendar-"))
    emulator = harness.EmulatorProcess(0, args.latency_ms, tmp / "emulator.log")
    try:
        in_month, seed_s = seed(tmp / "data", args.events, args.spread)
        emulator.args += ["--data", str(tmp / "data")]
        ews_url = emulator.start()
        harness.prepare_environment(tmp)
        return run(args, ews_url, tmp, in_month, seed_s)
    finally:
        emulator.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, ews_url: str, tmp: Path, in_month: int, seed_s: float) -> int:
    qt_app = harness.start_qt()  # noqa: F841 - kept alive for the run
    harness.install_memory_keyring()
    traffic = harness.Traffic()
    traffic.install()
    probe = Probe()
    gc.callbacks.append(probe.gc)
    probe.heartbeat.start()
    runs = [run_once(n, ews_url, tmp, probe, traffic) for n in range(1, args.repeat + 1)]
    probe.heartbeat.stop()
    print(f"calendar bench: {args.events} events in support@'s Calendar ({args.spread}: {in_month} in this "
          f"month; seeded in {seed_s:.1f} s), emulator latency {args.latency_ms} ms, {args.repeat} runs "
          "(medians)")
    for phase, label in (("open", "open Calendar in Month view"), ("week", "then Week (a week of it)"),
                         ("month", "then Month again")):
        ms = statistics.median(r[phase][0] for r in runs)
        stall = statistics.median(r[phase][1] for r in runs)
        wires = [r[phase][2] for r in runs]
        trips = statistics.median(sum(1 for w in ws if not w.is_auth_leg) for ws in wires)
        ops = Counter(w.op for w in wires[-1] if not w.is_auth_leg)
        legs = sum(1 for w in wires[-1] if w.is_auth_leg)
        shown = runs[-1][phase][3]
        print(f"  {label:<30} {ms:7.0f} ms to painted   longest GUI stall {stall:5.0f} ms   "
              f"round trips {trips:.0f} ({', '.join(f'{op} {n}' for op, n in sorted(ops.items()))}"
              f"{f'; +{legs} auth' if legs else ''})   events laid out {shown}")
        print(f"  {'':<30} runs: " + ", ".join(f"{r[phase][0]:.0f} ms / stall {r[phase][1]:.0f} ms"
                                                + (f" ({r[phase][4]})" if r[phase][4] else "") for r in runs))
    if args.wire:
        for phase in ("open", "week", "month"):
            base = runs[-1][phase][2][0].start if runs[-1][phase][2] else 0.0
            for w in runs[-1][phase][2]:
                print(f"    {phase:<7} {w.start - base:7.3f} {w.op:<20} {w.status!s:>4} "
                      f"{(w.end - w.start) * 1000:7.1f} ms {w.detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
