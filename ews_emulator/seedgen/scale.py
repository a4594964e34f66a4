"""Bulk messages for benchmarks (``--scale N``): N more messages in one folder, inserted in a few statements.

A few hundred realistic messages are generated once (same templates as the demo tenant); each row
reuses one of them with its own receive time, read state and Message-ID, spliced into the stored XML
so the derived columns and the XML agree. 100,000 rows take a few seconds.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Iterator

from lxml import etree

from ews_emulator.seedgen.mail import DAY, MailGenerator
from ews_emulator.seedgen.xmlitems import ts_text
from ews_emulator.store import Store
from ews_emulator.store.items import derive_columns

SAMPLES = 400
CHUNK = 20_000
SPAN = 2 * 365 * DAY
_COLS = (
    "mailbox_id, folder_id, item_class, element, subject, received, sent, created, modified, size, is_read,"
    " is_draft, has_attachments, importance, categories, from_addr, from_name, sender_addr, display_to,"
    " body_text, start_ts, end_ts, recurring, display_name, created_by, last_modified_name, change_num,"
    " is_associated, xml"
)
_MARK_SENT, _MARK_ID, _MARK_READ = "@@SENT@@", "@@MID@@", "@@READ@@"


class _Sample:
    """One template message: derived columns plus its XML split around the per-row values."""

    def __init__(self, el: etree._Element) -> None:
        t = el.nsmap["t"]
        cols = derive_columns(el)
        self.cols = cols
        el.find(f"{{{t}}}DateTimeSent").text = _MARK_SENT  # type: ignore[union-attr]
        el.find(f"{{{t}}}InternetMessageId").text = _MARK_ID  # type: ignore[union-attr]
        el.find(f"{{{t}}}IsRead").text = _MARK_READ  # type: ignore[union-attr]
        xml = etree.tostring(el, encoding="unicode")
        a, rest = xml.split(_MARK_SENT)
        b, rest = rest.split(_MARK_ID)
        c, d = rest.split(_MARK_READ)
        self.parts = (a, b, c, d)
        self.domain = str(cols["from_addr"] or "example.net").split("@")[-1]


def _samples(gen: MailGenerator, templates: list[dict]) -> list[_Sample]:
    pool = [t for t in templates if t.get("weight", 0) > 0 and "Inbox" in t["folders"]]
    weights = [t["weight"] for t in pool]
    return [_Sample(gen.delivered(t, "Inbox").element) for t in gen.rng.choices(pool, weights, k=SAMPLES)]


def _rows(
    samples: list[_Sample],
    count: int,
    mailbox_id: int,
    folder_id: int,
    owner_name: str,
    now: float,
    first_change: int,
    rng: random.Random,
) -> Iterator[tuple]:
    end = int(now) - 90 * DAY  # older than the demo mail, so the demo's first pages stay as they are
    for i in range(count):
        s = samples[i % len(samples)]
        received = end - int(SPAN * rng.random())
        sent = received - 30
        is_read = rng.random() > 0.05
        mid = f"&lt;{rng.getrandbits(64):016x}.bench{i}@{s.domain}&gt;"  # escaped: spliced into XML text
        a, b, c, d = s.parts
        xml = f"{a}{ts_text(sent)}{b}{mid}{c}{'true' if is_read else 'false'}{d}".encode()
        k = s.cols
        yield (
            mailbox_id,
            folder_id,
            k["item_class"],
            k["element"],
            k["subject"],
            received,
            sent,
            received,
            received,
            len(xml),
            int(is_read),
            0,
            0,
            k["importance"],
            k["categories"],
            k["from_addr"],
            k["from_name"],
            k["sender_addr"],
            k["display_to"],
            k["body_text"],
            None,
            None,
            0,
            k["display_name"],
            mailbox_id,
            owner_name,
            first_change + i,
            0,
            xml,
        )


def add_bulk_messages(
    store: Store,
    con: sqlite3.Connection,
    gen: MailGenerator,
    folder_id: int,
    count: int,
    now: float | None = None,
) -> None:
    """Insert ``count`` generated messages into ``folder_id`` of ``gen.owner``'s mailbox (inside ``con``'s tx).

    No notification events or tombstones are written: this is seeding, not mail flow.
    """
    now = time.time() if now is None else now
    samples = _samples(gen, gen.spec["templates"])
    row = con.execute(
        "UPDATE meta SET value = CAST(value AS INTEGER) + ? WHERE key = 'change_num' RETURNING value",
        (count,),
    ).fetchone()
    first_change = int(row[0]) - count + 1
    rows = _rows(
        samples,
        count,
        gen.owner.id,
        folder_id,
        gen.owner.display_name,
        now,
        first_change,
        random.Random(f"{gen.owner.smtp}-bulk"),
    )
    sql = f"INSERT INTO items({_COLS}) VALUES ({','.join('?' * 29)})"
    while True:
        chunk = [r for _, r in zip(range(CHUNK), rows, strict=False)]
        if not chunk:
            break
        con.executemany(sql, chunk)
