"""GetUserPhoto (Exchange 2013+, SOAP form): a directory user's photo at the size asked for.

What Exchange does, and so this handler:

- The answer is one ``m:GetUserPhotoResponse`` (a response message itself, no ``ResponseMessages`` list):
  ``HasChanged`` then ``PictureData`` (base64), with the picture's entity tag in the HTTP ``ETag`` header.
- ``SizeRequested`` (``HR48x48`` ... ``HR648x648``, ``HR1024xN``, ``HR1920xN``) is an upper bound: a stored
  picture larger than that is scaled down, a smaller one comes back at the size it has (the largest there is).
- ``If-None-Match`` naming the current entity tag: ``HasChanged`` false and no ``PictureData`` (HTTP 200).
- No photo, no such recipient, or a photo type the directory does not hold (``ProfileHeaderPhoto``): HTTP 404
  with ``ErrorItemNotFound`` (the EWS Managed API treats a 404 from GetUserPhoto as "photo or user not found").

Any signed-in user may read any recipient's photo, as with the address book. Pictures the emulator stored itself
(8-bit RGB/RGBA PNGs, see :mod:`ews_emulator.seedgen.photos`) are scaled; any other picture is returned as stored.
"""

from __future__ import annotations

import base64
import re
import struct
import zlib

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import HttpAnswer, operation
from ews_emulator.exchange.responses import top_level_message
from ews_emulator.soap import M_NS, bool_text, m

_M = f"{{{M_NS}}}"
_SIZE = re.compile(r"^HR(\d+)x(\d+|N)$")
NOT_FOUND = "The photo could not be found."  # Exchange's ErrorItemNotFound text, in its words for a photo
_PNG = b"\x89PNG\r\n\x1a\n"


@operation("GetUserPhoto")
def get_user_photo(ctx: Ctx, req: etree._Element) -> HttpAnswer:
    email = (req.findtext(f"{_M}Email") or "").strip()
    size = _size_of(req.findtext(f"{_M}SizeRequested") or "")
    kind = (req.findtext(f"{_M}TypeRequested") or "UserPhoto").strip()
    recipient = ctx.store.directory.by_smtp(email)
    photo = ctx.store.user_photos.get(recipient.id) if recipient is not None and kind == "UserPhoto" else None
    if photo is None:
        root = top_level_message("GetUserPhotoResponse", EwsError("ErrorItemNotFound", NOT_FOUND))
        etree.SubElement(root, m("HasChanged")).text = bool_text(False)
        return HttpAnswer(root, 404)
    headers = {"ETag": f'"{photo.etag}"'}
    root = top_level_message("GetUserPhotoResponse")
    if photo.etag in _entity_tags(ctx.headers.get("If-None-Match", "")):
        etree.SubElement(root, m("HasChanged")).text = bool_text(False)
        return HttpAnswer(root, 200, headers)
    etree.SubElement(root, m("HasChanged")).text = bool_text(True)
    data = scaled_png(photo.data, size) if photo.content_type == "image/png" else photo.data
    etree.SubElement(root, m("PictureData")).text = base64.b64encode(data).decode("ascii")
    return HttpAnswer(root, 200, headers)


def _size_of(text: str) -> int:
    """The edge length asked for: ``HR96x96`` -> 96, ``HR1024xN`` -> 1024 (the schema allows nothing else)."""
    match = _SIZE.match(text.strip())
    return int(match.group(1)) if match else 48


def _entity_tags(header: str) -> set[str]:
    """The tags of an ``If-None-Match`` header, without quotes or the weak marker."""
    return {part.strip().removeprefix("W/").strip('"') for part in header.split(",") if part.strip()}


# PNG scaling (no image library in the emulator) -------------------------------------------------------------
def scaled_png(data: bytes, size: int) -> bytes:
    """``data`` scaled down (nearest pixel) to fit ``size`` x ``size``; unchanged when it fits already or is not
    an 8-bit, non-interlaced RGB or RGBA PNG."""
    decoded = _decode_png(data)
    if decoded is None:
        return data
    width, height, channels, rows = decoded
    if width <= size and height <= size:
        return data
    scale = max(width, height) / size
    new_w, new_h = max(1, round(width / scale)), max(1, round(height / scale))
    out = []
    for y in range(new_h):
        src = rows[min(height - 1, int((y + 0.5) * scale))]
        line = bytearray(b"\x00")
        for x in range(new_w):
            sx = min(width - 1, int((x + 0.5) * scale)) * channels
            line += src[sx:sx + channels]
        out.append(bytes(line))
    header = struct.pack(">IIBBBBB", new_w, new_h, 8, 2 if channels == 3 else 6, 0, 0, 0)
    return _PNG + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"".join(out), 6)) + _chunk(b"IEND", b"")


def _chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def _decode_png(data: bytes) -> tuple[int, int, int, list[bytes]] | None:
    """(width, height, channels, unfiltered rows) of an 8-bit RGB/RGBA non-interlaced PNG, else None."""
    if not data.startswith(_PNG):
        return None
    pos, idat, header = len(_PNG), bytearray(), None
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        payload = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", payload)
        elif kind == b"IDAT":
            idat += payload
        pos += 12 + length
    if header is None or header[2] != 8 or header[3] not in (2, 6) or header[6] != 0:
        return None
    width, height, channels = header[0], header[1], 3 if header[3] == 2 else 4
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error:
        return None
    stride = width * channels
    if len(raw) < height * (stride + 1):
        return None
    rows: list[bytes] = []
    previous = bytes(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride if kind else 0):  # filter type 0 (none): the row as it is
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            line[i] = (line[i] + _predict(kind, left, up, corner)) & 0xFF
        previous = bytes(line)
        rows.append(previous)
    return width, height, channels, rows


def _predict(kind: int, left: int, up: int, corner: int) -> int:
    if kind == 1:
        return left
    if kind == 2:
        return up
    if kind == 3:
        return (left + up) // 2
    if kind == 4:
        p = left + up - corner
        pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
        return left if pa <= pb and pa <= pc else up if pb <= pc else corner
    return 0
