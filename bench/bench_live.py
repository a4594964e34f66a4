"""Benchmark new mail live: bob delivers to support@ while alice has its Inbox open; the time until the row appears.

Usage::

    .venv/bin/python bench/bench_live.py [--messages 20] [--latency-ms 50] [--scale 2000] [--idle-s 20]
                                         [--connection-timeout-min 30]

Three processes: the emulator (``python -m ews_emulator --latency-ms L --port 0``), this one, which drives the real
application headless signed in as alice with support@'s Inbox open (polling left at its 30 s setting: streaming
must do the work), and a helper (this script with ``--helper``) that sends as bob with plain exchangelib and, side
by side, runs exchangelib's own streaming loop as alice (``Folder.subscribe_to_streaming()`` +
``get_streaming_events()``) on support@'s Inbox, so that its time to event is measured against the same
deliveries.

For each of ``--messages`` deliveries (one at a time) it records, from the end of bob's CreateItem (the message is
in support@'s Inbox):

* app, notification: until the app's streaming worker reported the change (``LiveMail.news``);
* app, row: until the row is in alice's open list (the model's ``rowsInserted``; the view paints it in the next
  frame) — notification, then SyncFolderItems on the mailbox's queue;
* exchangelib loop: until exchangelib's ``get_streaming_events`` generator yielded the NewMailEvent.

Then an idle period (``--idle-s``, nothing delivered): every HTTP request alice's app sends is counted (client
side, ``requests.adapters.HTTPAdapter.send``); the target is none beyond GetStreamingEvents re-issued when its
ConnectionTimeout ends (``--connection-timeout-min 1`` with ``--idle-s 70`` shows one re-issue). Prints figures;
no assertions.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import (
    PASSWORD,
    REPO,
    USER,
    EmulatorProcess,
    Traffic,
    describe,
    install_memory_keyring,
    prepare_environment,
    start_qt,
    wait,
)

SUPPORT = "support@example.com"


# -- the helper process: bob's deliveries and exchangelib's own streaming loop -----------------------------------
def helper(ews_url: str) -> int:
    """Reads ``send SUBJECT`` lines; prints ``sent SUBJECT T`` and, from the listener, ``event T`` lines."""
    from exchangelib import DELEGATE, NTLM, Account, Configuration, Credentials, Mailbox, Message

    def account(user: str, mailbox: str) -> Account:
        config = Configuration(service_endpoint=ews_url, credentials=Credentials(f"{user}@example.com",
                                                                                  f"{user}-pass"),
                               auth_type=NTLM, max_connections=2)
        return Account(mailbox, config=config, autodiscover=False, access_type=DELEGATE)

    out = threading.Lock()

    def say(line: str) -> None:
        with out:
            print(line, flush=True)

    bob = account("bob", "bob@example.com")
    watcher = account("alice", SUPPORT)
    inbox = watcher.inbox
    sid = inbox.subscribe_to_streaming()

    def listen() -> None:
        while True:
            for notification in inbox.get_streaming_events(sid, connection_timeout=30):
                for event in notification.events:
                    if type(event).__name__ == "NewMailEvent":
                        say(f"event {time.time():.6f}")

    threading.Thread(target=listen, daemon=True).start()
    time.sleep(1.0)  # the listener's connection is open
    say("ready")
    for line in sys.stdin:
        command, _, subject = line.strip().partition(" ")
        if command != "send":
            break
        Message(account=bob, subject=subject, body="Bench", to_recipients=[Mailbox(email_address=SUPPORT)]).send()
        say(f"sent {subject} {time.time():.6f}")
    return 0


class Helper:
    """The helper process and what it printed."""

    def __init__(self, ews_url: str, log_path: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, __file__, "--helper", ews_url], cwd=REPO, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_path.open("w"),
                                     bufsize=1)
        self.sent: dict[str, float] = {}
        self.events: list[float] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            kind, _, rest = line.strip().partition(" ")
            if kind == "ready":
                self.ready.set()
            elif kind == "sent":
                subject, _, at = rest.rpartition(" ")
                self.sent[subject] = float(at)
            elif kind == "event":
                self.events.append(float(rest))

    def send(self, subject: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"send {subject}\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


# -- the bench ----------------------------------------------------------------------------------------------------
def run(args: argparse.Namespace, ews_url: str, tmp: Path) -> int:
    qt_app = start_qt()  # noqa: F841 - kept alive for the run
    install_memory_keyring()
    traffic = Traffic()
    traffic.install()

    from app import secrets
    from app.application import MailroomApp, Options

    secrets.set_password(USER, PASSWORD)
    app = MailroomApp(Options(ews_url=ews_url, user=USER, settings_path=tmp / "settings.json",
                              drafts_dir=tmp / "drafts"))
    app.live.set_connection_timeout(args.connection_timeout_min)
    app.start()
    wait(lambda: app.mailboxes.tree(SUPPORT) is not None, "support@ in the sidebar")
    inbox = app.mailboxes.tree(SUPPORT).folder("inbox").ref
    app.window.sidebar.select_folder(inbox)
    wait(lambda: app.list_model.rowCount() > 0, "support@'s Inbox to list")
    wait(lambda: app.live.state(SUPPORT) == "live" and not app.mail.is_syncing()
         and app.runner.pending_count() == 0, "the stream to be live")

    seen_row: dict[str, float] = {}
    news_at: list[float] = []

    def on_rows(_parent: Any, first: int, last: int) -> None:
        now = time.time()
        for row in range(first, last + 1):
            summary = app.list_model.summary(row)
            if summary is not None:
                seen_row.setdefault(summary.subject, now)

    app.list_model.rowsInserted.connect(on_rows)
    app.live.news.connect(lambda _mailbox, _ids: news_at.append(time.time()))

    helper_proc = Helper(ews_url, tmp / "helper.log")
    try:
        wait(helper_proc.ready.is_set, "the helper (bob, exchangelib's listener)", timeout_s=120)
        rows, notes, loop = [], [], []
        traffic.phase = "deliveries"
        for n in range(args.messages):
            subject = f"Bench delivery {n:03d}"
            events_before, news_before = len(helper_proc.events), len(news_at)
            helper_proc.send(subject)
            wait(lambda s=subject, e=events_before: s in helper_proc.sent and s in seen_row
                 and len(helper_proc.events) > e, f"delivery {n}", timeout_s=60)
            sent = helper_proc.sent[subject]
            rows.append(seen_row[subject] - sent)
            loop.append(helper_proc.events[events_before] - sent)
            if len(news_at) > news_before:
                notes.append(news_at[news_before] - sent)
            time.sleep(0.2)  # let the counts refresh finish: deliveries one at a time

        settle_until = time.perf_counter() + 2.0
        wait(lambda: time.perf_counter() > settle_until and app.runner.pending_count() == 0, "the app to settle")
        traffic.phase = "idle"
        idle_start = time.perf_counter()
        idle_end = idle_start + args.idle_s
        wait(lambda: time.perf_counter() >= idle_end, "the idle period", timeout_s=args.idle_s + 60)
        idle = traffic.between(idle_start, idle_end)
        delivery_wire = traffic.in_phase("deliveries")
    finally:
        helper_proc.stop()
        app.window.close()
        t_stop = time.perf_counter()
        app.shutdown(10_000)
        stop_ms = (time.perf_counter() - t_stop) * 1000

    def line(name: str, values: list[float]) -> str:
        if not values:
            return f"  {name:<34} no samples"
        ms = sorted(v * 1000 for v in values)
        p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
        return (f"  {name:<34} median {statistics.median(ms):7.0f} ms   p90 {p90:7.0f} ms   "
                f"max {ms[-1]:7.0f} ms   (n={len(ms)})")

    print(f"New mail live: {args.messages} deliveries by bob to support@, alice's Inbox open "
          f"(emulator --latency-ms {args.latency_ms})")
    print("Delivery (bob's CreateItem answered) until:")
    print(line("app: streaming notification", notes))
    print(line("app: row in alice's open list", rows))
    print(line("exchangelib loop: NewMailEvent", loop))
    print(f"App requests during the deliveries: {describe(delivery_wire)}")
    print(f"App requests while idle for {args.idle_s:.0f} s (ConnectionTimeout {args.connection_timeout_min} min): "
          f"{len([r for r in idle if not r.is_auth_leg])} ({describe(idle)})")
    print(f"Shutdown (closes the stream, joins its thread): {stop_ms:.0f} ms")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=20, help="deliveries to time")
    p.add_argument("--latency-ms", type=int, default=50, help="the emulator's delay per authenticated response")
    p.add_argument("--scale", type=int, default=2000, help="generated messages in support@'s Inbox")
    p.add_argument("--idle-s", type=float, default=20.0, help="seconds of idle time to count requests in")
    p.add_argument("--connection-timeout-min", type=int, default=30, help="GetStreamingEvents' ConnectionTimeout")
    p.add_argument("--helper", metavar="EWS_URL", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.helper:
        return helper(args.helper)
    if args.messages < 1 or args.idle_s < 0:
        p.error("--messages must be positive and --idle-s not negative")
    tmp = Path(tempfile.mkdtemp(prefix="bench-live-"))
    emulator = EmulatorProcess(args.scale, args.latency_ms, tmp / "emulator.log")
    try:
        ews_url = emulator.start()
        prepare_environment(tmp)
        return run(args, ews_url, tmp)
    finally:
        emulator.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
