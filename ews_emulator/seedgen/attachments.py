"""Small, valid attachment files generated in code: PDF, PNG, CSV and plain-text logs."""

from __future__ import annotations

import random
import struct
import zlib
from datetime import UTC, datetime

CONTENT_TYPES = {"pdf": "application/pdf", "png": "image/png", "csv": "text/csv", "log": "text/plain"}


def pdf(lines: list[str]) -> bytes:
    """A one-page PDF 1.4 showing ``lines`` in Helvetica (a real, openable file)."""

    def esc(s: str) -> str:
        return (
            s.encode("latin-1", "replace")
            .decode("latin-1")
            .replace("\\", "\\\\")
            .replace("(", "\\(")
            .replace(")", "\\)")
        )

    text = "BT /F1 12 Tf 72 770 Td 16 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    stream = text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png(rng: random.Random, width: int = 240, height: int = 150) -> bytes:
    """A small RGB PNG that looks like a window screenshot: title bar, panes and a red error box."""
    bg = (245, 246, 248)
    bar = (rng.randint(20, 80), rng.randint(60, 120), rng.randint(140, 210))
    pane = (225, 229, 235)
    rows = []
    for y in range(height):
        row = bytearray(b"\x00")  # filter: none
        for x in range(width):
            if y < 14:
                c = bar
            elif x < 56:
                c = pane
            elif 90 <= x < 210 and 60 <= y < 95:
                c = (220, 53, 69) if y < 66 or x in (90, 209) or y == 94 else (255, 240, 240)
            elif y % 18 == 0:
                c = (210, 214, 220)
            else:
                c = bg
            row += bytes(c)
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


def csv(rng: random.Random, now: float, days: int = 30) -> bytes:
    """A usage export: one row per day."""
    lines = ["date,active_users,sessions,api_calls,storage_mb"]
    for d in range(days, 0, -1):
        day = datetime.fromtimestamp(now - d * 86400, UTC).strftime("%Y-%m-%d")
        users = rng.randint(20, 120)
        lines.append(
            f"{day},{users},{users * rng.randint(2, 6)},{rng.randint(1000, 90000)},{rng.randint(900, 5000)}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def log(rng: random.Random, now: float, error: str) -> bytes:
    """An application log ending in ``error``."""
    lines = []
    t = now - rng.randint(3600, 86400)
    for msg in (
        "Starting Example Cloud 5.2",
        "Signed in",
        "Loading workspace",
        "Sync started",
        "Fetched 1,204 records",
        "Saving changes",
    ):
        t += rng.randint(1, 40)
        lines.append(f"{datetime.fromtimestamp(t, UTC):%Y-%m-%d %H:%M:%S} INFO  {msg}")
    lines.append(f"{datetime.fromtimestamp(t + 2, UTC):%Y-%m-%d %H:%M:%S} ERROR {error}")
    return ("\n".join(lines) + "\n").encode("utf-8")
