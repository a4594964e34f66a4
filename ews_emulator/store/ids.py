"""Opaque EWS identifiers.

Exchange ids are long base64 strings a client must treat as opaque. Ours encode a kind
byte, the mailbox id and the row id behind a fixed prefix, so they look and behave like
real ones (a client that parses or shortens them breaks here too) and a malformed id can
be told apart from an id that names nothing (``ErrorInvalidIdMalformed`` vs ``...NotFound``).
"""

from __future__ import annotations

import base64
import struct
from dataclasses import dataclass

_MAGIC = b"\x00\x00\x00\x00\x1bEMU\x01"
_KINDS = {b"I": "item", b"F": "folder", b"A": "attachment", b"O": "occurrence", b"S": "subscription"}
_LAYOUT = struct.Struct(">cQQI")  # kind, mailbox id, row id, extra (occurrence index / checksum room)


class MalformedId(ValueError):
    """The string is not an id this server could have issued."""


@dataclass(frozen=True)
class DecodedId:
    kind: str
    mailbox_id: int
    row_id: int
    extra: int = 0


def encode_id(kind: str, mailbox_id: int, row_id: int, extra: int = 0) -> str:
    code = next(k for k, v in _KINDS.items() if v == kind)
    raw = _MAGIC + _LAYOUT.pack(code, mailbox_id, row_id, extra)
    return base64.b64encode(raw + _checksum(raw)).decode("ascii")


def decode_id(value: str | None, expect: str | tuple[str, ...] | None = None) -> DecodedId:
    """Decode an id; raise :class:`MalformedId` for anything we did not issue (or of another kind)."""
    if not value:
        raise MalformedId("Id is empty.")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise MalformedId("Id is not base64.") from exc
    body, check = raw[:-2], raw[-2:]
    if len(body) != len(_MAGIC) + _LAYOUT.size or not body.startswith(_MAGIC) or _checksum(body) != check:
        raise MalformedId("Id is malformed.")
    code, mailbox_id, row_id, extra = _LAYOUT.unpack(body[len(_MAGIC):])
    kind = _KINDS.get(code)
    if kind is None:
        raise MalformedId("Id is of an unknown kind.")
    if expect is not None and kind not in ((expect,) if isinstance(expect, str) else expect):
        raise MalformedId(f"Id names a {kind}, not a {expect}.")
    return DecodedId(kind, mailbox_id, row_id, extra)


def change_key(kind: str, change_num: int) -> str:
    """A ChangeKey: changes whenever the object changes."""
    prefix = {"item": b"CQAAABYAAAA", "folder": b"AQAAABYAAAA"}.get(kind, b"AAAAABYAAAA")
    return base64.b64encode(prefix + struct.pack(">Q", change_num)).decode("ascii")


def change_num_of(key: str | None) -> int | None:
    """The change number inside a ChangeKey we issued, or None for an absent or foreign key."""
    if not key:
        return None
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        return None
    if len(raw) != 19:
        return None
    return struct.unpack(">Q", raw[11:])[0]


def _checksum(raw: bytes) -> bytes:
    total = 0
    for i, b in enumerate(raw):
        total = (total * 31 + b + i) & 0xFFFF
    return struct.pack(">H", total)
