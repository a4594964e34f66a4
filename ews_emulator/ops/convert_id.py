"""ConvertId: translate item and folder ids between EWS id formats.

exchangelib's version probe sends ``AlternateId Id="DUMMY" Format="EwsId" Mailbox="DUMMY"``; like
Exchange (see the ConvertId operation reference's error example) that gets a per-id
``ErrorInvalidIdMalformed`` message, and the response header carries ``ServerVersionInfo``, which is all
the probe needs.

Formats: our ids are opaque base64 over raw bytes that, like a MAPI entry id, start with four zero
flag bytes. ``EwsId``, ``EwsLegacyId``, ``EntryId`` and ``StoreId`` are that base64 form, ``HexEntryId``
is the raw bytes in upper-case hex (as free/busy uses it) and ``OwaId`` the base64 form URL-escaped.
Conversions are therefore lossless round trips. Public folder ids are not supported (no public
folders). ConvertId checks that the ``Mailbox`` attribute looks like an SMTP address but, as documented,
not that the mailbox exists or that the caller may open it.
"""

from __future__ import annotations

import base64
import binascii
import urllib.parse

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.soap import M_NS, XSI_NS
from ews_emulator.store.ids import MalformedId, decode_id

_M = f"{{{M_NS}}}"
_BASE64_FORMATS = ("EwsId", "EwsLegacyId", "EntryId", "StoreId")


def to_raw(value: str, fmt: str) -> bytes:
    """The id's bytes from its textual form in ``fmt``; ErrorInvalidIdMalformed when it is not one of ours."""
    try:
        if fmt == "HexEntryId":
            raw = bytes.fromhex(value)
        elif fmt == "OwaId":
            raw = base64.b64decode(urllib.parse.unquote(value).encode("ascii"), validate=True)
        else:
            raw = base64.b64decode(value.encode("ascii"), validate=True)
        decode_id(base64.b64encode(raw).decode("ascii"), ("item", "folder", "occurrence"))
    except (ValueError, UnicodeEncodeError, binascii.Error, MalformedId) as exc:
        raise EwsError("ErrorInvalidIdMalformed") from exc
    return raw


def from_raw(raw: bytes, fmt: str) -> str:
    encoded = base64.b64encode(raw).decode("ascii")
    if fmt == "HexEntryId":
        return raw.hex().upper()
    if fmt == "OwaId":
        return urllib.parse.quote(encoded, safe="")
    return encoded


@operation("ConvertId")
def convert_id(ctx: Ctx, req: etree._Element) -> etree._Element:
    destination = req.get("DestinationFormat", "EwsId")
    sources = req.find(f"{_M}SourceIds")

    def fill(msg: etree._Element, src: etree._Element) -> None:
        if etree.QName(src).localname != "AlternateId":
            raise EwsError(
                "ErrorInvalidIdMalformed",
                "Public folder ids cannot be converted: there are no public folders.",
            )
        raw = to_raw(src.get("Id", ""), src.get("Format", "EwsId"))
        mailbox = src.get("Mailbox", "")
        if "@" not in mailbox.strip("@"):
            raise EwsError("ErrorInvalidSmtpAddress", "The SMTP address format is invalid.")
        owner = ctx.store.directory.by_id(decode_id(base64.b64encode(raw).decode("ascii")).mailbox_id)
        out = etree.SubElement(msg, f"{_M}AlternateId")
        out.set(f"{{{XSI_NS}}}type", "t:AlternateIdType")
        out.set("Format", destination)
        out.set("Id", from_raw(raw, destination))
        out.set("Mailbox", owner.smtp if owner is not None else mailbox)
        if src.get("IsArchive") is not None:
            out.set("IsArchive", src.get("IsArchive", "false"))

    items = [c for c in sources if isinstance(c.tag, str)] if sources is not None else []
    return each_message("ConvertId", items, fill)
