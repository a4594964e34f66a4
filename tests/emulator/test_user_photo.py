"""GetUserPhoto over real HTTP: directory photos at the sizes asked for, ETag/If-None-Match, 404 without a photo."""

from __future__ import annotations

import base64
import sqlite3
import struct
import zlib

import requests
from lxml import etree

from ews_emulator.seedgen.photos import DIRECTORY_PHOTO_SIZE, background_of, portrait_png
from ews_emulator.soap import M_NS
from ews_emulator.store import Store
from ews_emulator.store.db import Database

_M = f"{{{M_NS}}}"
_SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def _photo_request(emu, email: str, size: str = "HR96x96", *, user: str = "alice", kind: str = "",
                   etag: str = "") -> tuple[requests.Response, etree._Element]:
    """POST GetUserPhoto as ``user``; the HTTP response and its ``m:GetUserPhotoResponse``."""
    kind_el = f"<m:TypeRequested>{kind}</m:TypeRequested>" if kind else ""
    envelope = (f'<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="{_SOAP}" xmlns:m="{M_NS}"'
                ' xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header>'
                '<t:RequestServerVersion Version="Exchange2013"/></s:Header><s:Body><m:GetUserPhoto>'
                f"<m:Email>{email}</m:Email><m:SizeRequested>{size}</m:SizeRequested>{kind_el}"
                "</m:GetUserPhoto></s:Body></s:Envelope>")
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if etag:
        headers["If-None-Match"] = etag
    resp = requests.post(emu.ews_url, data=envelope.encode(), auth=(f"{user}@example.com", f"{user}-pass"),
                         headers=headers, timeout=30)
    body = etree.fromstring(resp.content).find(f"{{{_SOAP}}}Body")
    [answer] = list(body)
    assert answer.tag == f"{_M}GetUserPhotoResponse"
    return resp, answer


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def _first_pixel(data: bytes) -> tuple[int, int, int]:
    """The top-left pixel of a filter-0 RGB PNG (what the emulator writes)."""
    idat = b"".join(data[p + 8:p + 8 + struct.unpack(">I", data[p:p + 4])[0]]
                    for p in _chunk_offsets(data) if data[p + 4:p + 8] == b"IDAT")
    raw = zlib.decompress(idat)
    assert raw[0] == 0
    return raw[1], raw[2], raw[3]


def _chunk_offsets(data: bytes) -> list[int]:
    offsets, pos = [], 8
    while pos < len(data):
        offsets.append(pos)
        pos += 12 + struct.unpack(">I", data[pos:pos + 4])[0]
    return offsets


def _picture(answer: etree._Element) -> bytes:
    return base64.b64decode(answer.findtext(f"{_M}PictureData"))


def test_a_user_photo_comes_at_the_size_asked_for(emulator):
    resp, answer = _photo_request(emulator, "alice@example.com", "HR96x96", user="bob")
    assert resp.status_code == 200
    assert answer.get("ResponseClass") == "Success" and answer.findtext(f"{_M}ResponseCode") == "NoError"
    assert answer.findtext(f"{_M}HasChanged") == "true"
    picture = _picture(answer)
    assert _png_size(picture) == (96, 96)
    assert _first_pixel(picture) == background_of("Alice Archer")  # alice's own portrait, scaled down
    etag = resp.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) > 2
    # Smaller and larger sizes: scaled down to the size asked for, never up (the stored picture is the largest).
    _, small = _photo_request(emulator, "alice@example.com", "HR48x48")
    assert _png_size(_picture(small)) == (48, 48)
    _, large = _photo_request(emulator, "alice@example.com", "HR648x648")
    assert _picture(large) == portrait_png("Alice Archer", DIRECTORY_PHOTO_SIZE)
    _, wide = _photo_request(emulator, "ALICE@example.com", "HR1024xN")
    assert _png_size(_picture(wide)) == (DIRECTORY_PHOTO_SIZE, DIRECTORY_PHOTO_SIZE)


def test_seeded_photos_belong_to_alice_bob_carol_and_support(emulator):
    for address, name in (("bob@example.com", "Bob Baker"), ("carol@example.com", "Carol Chen"),
                          ("support@example.com", None)):
        resp, answer = _photo_request(emulator, address, "HR64x64", user="dave")
        assert resp.status_code == 200, address
        picture = _picture(answer)
        assert _png_size(picture) == (64, 64)
        if name:
            assert _first_pixel(picture) == background_of(name)
    # Each picture has its own entity tag.
    tags = {_photo_request(emulator, a)[0].headers["ETag"] for a in ("alice@example.com", "bob@example.com")}
    assert len(tags) == 2


def test_if_none_match_with_the_current_tag_answers_unchanged(emulator):
    first, _ = _photo_request(emulator, "carol@example.com", "HR96x96")
    etag = first.headers["ETag"]
    resp, answer = _photo_request(emulator, "carol@example.com", "HR96x96", etag=etag)
    assert resp.status_code == 200 and resp.headers["ETag"] == etag
    assert answer.findtext(f"{_M}ResponseCode") == "NoError"
    assert answer.findtext(f"{_M}HasChanged") == "false" and answer.find(f"{_M}PictureData") is None
    # An old tag (or another user's) gets the picture again.
    resp, answer = _photo_request(emulator, "carol@example.com", "HR96x96", etag='"0123456789abcdef"')
    assert answer.findtext(f"{_M}HasChanged") == "true" and _png_size(_picture(answer)) == (96, 96)


def test_no_photo_is_a_404_with_item_not_found(emulator):
    cases = [("dave@example.com", ""), ("nobody@example.com", ""), ("room-101@example.com", ""),
             ("alice@example.com", "ProfileHeaderPhoto")]
    for address, kind in cases:
        resp, answer = _photo_request(emulator, address, "HR96x96", kind=kind)
        assert resp.status_code == 404, address
        assert answer.get("ResponseClass") == "Error", address
        assert answer.findtext(f"{_M}ResponseCode") == "ErrorItemNotFound"
        assert answer.findtext(f"{_M}HasChanged") == "false" and answer.find(f"{_M}PictureData") is None
        assert "ETag" not in resp.headers


def test_a_store_made_before_user_photos_gains_the_table(tmp_path):
    path = tmp_path / "old"
    path.mkdir()
    Database(path / "store.sqlite").close()  # the tables a store file had before GetUserPhoto
    con = sqlite3.connect(path / "store.sqlite")
    assert not con.execute("SELECT name FROM sqlite_master WHERE name = 'user_photos'").fetchall()
    con.close()
    store = Store(path / "store.sqlite")
    try:
        assert store.user_photos.get(1) is None
        with store.db.tx() as tx:
            tx.execute("INSERT INTO recipients(smtp, display_name, kind, has_mailbox) VALUES ('x@example.com', 'X',"
                       " 'user', 1)")
            rid = tx.execute("SELECT id FROM recipients").fetchone()[0]
            store.user_photos.set(tx, rid, b"\x89PNG-not-really")
        photo = store.user_photos.get(rid)
        assert photo is not None and photo.data == b"\x89PNG-not-really" and len(photo.etag) == 32
    finally:
        store.close()


def _filtered_png(pixels: list[list[tuple[int, int, int]]]) -> bytes:
    """An RGB PNG whose rows use filter types 1-4 in turn (Sub, Up, Average, Paeth; PNG spec section 9)."""
    def paeth(a: int, b: int, c: int) -> int:
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else b if pb <= pc else c

    raw, previous = bytearray(), bytes(len(pixels[0]) * 3)
    for y, row in enumerate(pixels):
        line = bytes(v for px in row for v in px)
        kind = 1 + y % 4
        out = bytearray([kind])
        for i, value in enumerate(line):
            a, b, c = (line[i - 3] if i >= 3 else 0), previous[i], (previous[i - 3] if i >= 3 else 0)
            predictor = {1: a, 2: b, 3: (a + b) // 2, 4: paeth(a, b, c)}[kind]
            out.append((value - predictor) & 0xFF)
        raw += out
        previous = line
    width, height = len(pixels[0]), len(pixels)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(raw))) + chunk(b"IEND", b""))


def test_scaling_reads_every_png_row_filter() -> None:
    from ews_emulator.ops.userphoto import scaled_png

    pixels = [[((x * 37 + y * 11) % 256, (x * 5 + y * 90) % 256, (x * y * 13) % 256) for x in range(8)]
              for y in range(8)]
    small = scaled_png(_filtered_png(pixels), 4)
    assert _png_size(small) == (4, 4)
    raw = zlib.decompress(b"".join(small[p + 8:p + 8 + struct.unpack(">I", small[p:p + 4])[0]]
                                   for p in _chunk_offsets(small) if small[p + 4:p + 8] == b"IDAT"))
    rows = [raw[y * 13 + 1:(y + 1) * 13] for y in range(4)]
    # Nearest pixel: output (x, y) is input (2x + 1, 2y + 1).
    assert all(tuple(rows[y][x * 3:x * 3 + 3]) == pixels[2 * y + 1][2 * x + 1] for y in range(4) for x in range(4))
    assert scaled_png(b"not a png", 4) == b"not a png"
    fits = _filtered_png(pixels)
    assert scaled_png(fits, 8) == fits  # already small enough: as stored
