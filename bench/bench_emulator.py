"""Benchmark the emulator at scale: seeding time and FindItem page times on a big Inbox.

Usage::

    .venv/bin/python bench/bench_emulator.py [--scale 100000] [--calls 30] [--offsets 0,5000,50000,99900]

Seeds the demo tenant plus ``--scale`` generated messages in support@'s Inbox, starts the emulator on
that store (loopback, free port) and times 100-item FindItem pages (IndexedPageItemView at each offset,
DateTimeReceived descending, the properties a message list asks for) as alice, who has Full Access:

* server side: ``backend.handle_ews(...)`` (parse, rights, SQL, rendering, serialising; no HTTP);
* round trip: the same request over HTTP with Basic authentication and a keep-alive connection.

Prints the figures; this is a benchmark, not a test (no assertions).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ews_emulator import Emulator  # noqa: E402
from ews_emulator.seed import seed_tenant  # noqa: E402
from ews_emulator.store import Store  # noqa: E402

CALLER = ("alice@example.com", "alice-pass")
MAILBOX = "support@example.com"
PROPERTIES = (
    "item:Subject",
    "message:From",
    "item:DateTimeReceived",
    "message:IsRead",
    "item:HasAttachments",
    "item:Importance",
    "item:Categories",
    "item:Size",
)
FLAG = '<t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"/>'


def find_item_request(offset: int, page: int = 100) -> bytes:
    """A FindItem a message list sends: one page of support@'s Inbox, newest first."""
    props = "".join(f'<t:FieldURI FieldURI="{p}"/>' for p in PROPERTIES) + FLAG
    return f"""<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"
            xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages"
            xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header>
  <s:Body>
    <m:FindItem Traversal="Shallow">
      <m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties>{props}</t:AdditionalProperties>
      </m:ItemShape>
      <m:IndexedPageItemView MaxEntriesReturned="{page}" Offset="{offset}" BasePoint="Beginning"/>
      <m:SortOrder><t:FieldOrder Order="Descending"><t:FieldURI FieldURI="item:DateTimeReceived"/></t:FieldOrder>
      </m:SortOrder>
      <m:ParentFolderIds>
        <t:DistinguishedFolderId Id="inbox"><t:Mailbox><t:EmailAddress>{MAILBOX}</t:EmailAddress></t:Mailbox>
        </t:DistinguishedFolderId>
      </m:ParentFolderIds>
    </m:FindItem>
  </s:Body>
</s:Envelope>""".encode()


def _check(body: bytes, offset: int) -> int:
    """Items in the answer (fails loudly on an error response, so we never time errors)."""
    if b'ResponseClass="Success"' not in body:
        raise SystemExit(f"FindItem at offset {offset} failed:\n{body[:2000].decode(errors='replace')}")
    return body.count(b"<t:Message>") + body.count(b"<t:Message ")


def time_server_side(emu: Emulator, offset: int, calls: int) -> tuple[list[float], int]:
    body = find_item_request(offset)
    times, items = [], 0
    for _ in range(calls):
        start = time.perf_counter()
        result = emu.backend.handle_ews(CALLER[0], body, {})
        times.append(time.perf_counter() - start)
        items = _check(result.body, offset)  # type: ignore[arg-type]
    return times, items


def time_http(emu: Emulator, offset: int, calls: int) -> list[float]:
    url = urlsplit(emu.ews_url)
    con = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    auth = base64.b64encode(f"{CALLER[0]}:{CALLER[1]}".encode()).decode()
    headers = {"Content-Type": "text/xml; charset=utf-8", "Authorization": f"Basic {auth}"}
    body = find_item_request(offset)
    times = []
    try:
        for _ in range(calls):
            start = time.perf_counter()
            con.request("POST", url.path, body, headers)
            resp = con.getresponse()
            data = resp.read()
            times.append(time.perf_counter() - start)
            if resp.status != 200:
                raise SystemExit(f"HTTP {resp.status} at offset {offset}: {data[:500]!r}")
            _check(data, offset)
    finally:
        con.close()
    return times


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=int, default=100_000, help="generated messages in support@'s Inbox")
    p.add_argument("--calls", type=int, default=30, help="timed calls per offset")
    p.add_argument("--offsets", default="0,5000,50000,99900", help="comma-separated page offsets")
    p.add_argument("--no-http", action="store_true", help="skip the HTTP round-trip timings")
    args = p.parse_args(argv)
    offsets = [int(o) for o in args.offsets.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-ews-") as tmp:
        store = Store(Path(tmp) / "mailboxes.sqlite")
        start = time.perf_counter()
        seed_tenant(store)
        demo = time.perf_counter() - start
        store.close()
        (Path(tmp) / "mailboxes.sqlite").unlink()
        for suffix in ("-wal", "-shm"):
            Path(tmp, "mailboxes.sqlite" + suffix).unlink(missing_ok=True)
        store = Store(Path(tmp) / "mailboxes.sqlite")
        start = time.perf_counter()
        seed_tenant(store, scale=args.scale)
        seeded = time.perf_counter() - start
        total = store.items.count(
            "folder_id = (SELECT id FROM folders WHERE well_known = 'inbox' AND mailbox_id ="
            " (SELECT id FROM recipients WHERE smtp = ?))",
            (MAILBOX,),
        )
        store.close()
        print(
            f"seeding: demo tenant {demo:.2f} s; demo tenant + {args.scale:,} messages {seeded:.2f} s"
            f" (support@ Inbox: {total:,} items)"
        )

        with Emulator(data_dir=tmp) as emu:
            time_server_side(emu, 0, 2)  # warm caches
            print(f"FindItem, 100-item page, DateTimeReceived desc, {args.calls} calls per offset (ms):")
            print(f"{'offset':>8} {'items':>6} {'server median':>14} {'server p90':>11} {'http median':>12}")
            for offset in offsets:
                server, items = time_server_side(emu, offset, args.calls)
                http_med = "-"
                if not args.no_http:
                    http_med = f"{statistics.median(time_http(emu, offset, args.calls)) * 1000:.1f}"
                p90 = sorted(server)[int(0.9 * (len(server) - 1))]
                print(
                    f"{offset:>8} {items:>6} {statistics.median(server) * 1000:>14.1f} {p90 * 1000:>11.1f}"
                    f" {http_med:>12}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
