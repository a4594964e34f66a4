"""Contact photos for the demo tenant: small deterministic PNG portraits, made without any image library.

Each portrait is a head-and-shoulders silhouette on a background whose colour comes from the person's name
(a hash, not the seed's random generator, so adding photos does not change any other generated data).
"""

from __future__ import annotations

import hashlib
import struct
import zlib

PHOTO_SIZE = 96
PHOTO_NAME = "ContactPicture.png"  # the name Outlook gives a contact's picture attachment
#: Edge length of the directory photos GetUserPhoto serves (scaled down to the size a client asks for).
DIRECTORY_PHOTO_SIZE = 240

_BACKGROUNDS = ((0x2B, 0x6C, 0xB0), (0x3A, 0x8F, 0x5C), (0xB0, 0x5A, 0x2B), (0x7A, 0x4F, 0xA8), (0x2A, 0x8A, 0x9A),
                (0xA8, 0x3C, 0x5A))
_FIGURE = (0xF2, 0xF2, 0xF2)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def background_of(name: str) -> tuple[int, int, int]:
    """The portrait's background colour for ``name`` (stable across runs)."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return _BACKGROUNDS[digest[0] % len(_BACKGROUNDS)]


def portrait_png(name: str, size: int = PHOTO_SIZE) -> bytes:
    """A ``size`` x ``size`` RGB PNG: a light silhouette on the name's colour."""
    bg = bytes(background_of(name))
    fg = bytes(_FIGURE)
    cx = size / 2
    head_cy, head_r = size * 0.38, size * 0.18
    body_cy, body_rx, body_ry = size * 0.98, size * 0.36, size * 0.30
    rows = []
    for y in range(size):
        line = bytearray(b"\x00")  # filter: none
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            in_head = (px - cx) ** 2 + (py - head_cy) ** 2 <= head_r ** 2
            in_body = ((px - cx) / body_rx) ** 2 + ((py - body_cy) / body_ry) ** 2 <= 1.0
            line += fg if in_head or in_body else bg
        rows.append(bytes(line))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + _chunk(b"IEND", b""))
