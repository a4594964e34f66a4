"""vCard import and export (RFC 2426 vCard 3.0 and RFC 6350 vCard 4.0) with ``vobject``.

vobject 0.9.9 parses and serialises content lines (escaping, folding, parameters) for any vCard, but its
vCard *behaviour* is 3.0 only: it reads a ``VERSION:4.0`` card with the 3.0 rules (which parse 4.0's
properties alike) and writes whatever ``VERSION`` it is given without 4.0's conventions. So this module:

- reads both versions through vobject and then applies 4.0's differences itself: ``TEL;VALUE=uri:tel:...``,
  ``TYPE="work,voice"`` lists, ``PREF=1`` instead of ``TYPE=pref``, ``KIND`` (only individuals are contacts);
- writes 3.0 with vobject as is, and 4.0 by building vobject components with 4.0's conventions (``KIND``,
  ``TEL;VALUE=uri;TYPE=...:tel:...``, lower-case ``TYPE`` values, ``PREF=1``) and letting vobject serialise them.

:func:`read_vcard_file` checks a file's size before reading it; :func:`parse_vcards` validates the whole file
before it returns anything (size, a line-by-line check before vobject, number of cards, each card against the
lengths Exchange takes): a bad file raises :class:`VCardError` naming the card or line and the problem, and nothing
is imported.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import vobject
from vobject.base import ParseError

from app.domain.contacts import MAX_EMAILS, MAX_NOTES_CHARS, Contact, PostalAddress, too_long
from app.domain.errors import MailroomError

MAX_BYTES = 5 * 1024 * 1024
MAX_CARDS = 5000
MAX_LINE = MAX_NOTES_CHARS + 4096  # characters in one unfolded content line (notes and their parameters)
MAX_CARD_LINES = 1000  # content lines in one card (a real one has a few dozen; vobject slows down on many)
VERSIONS = ("3.0", "4.0")
_log = logging.getLogger(__name__)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}  # properties that may carry a whole base64 file
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# vCard TYPE values -> EWS PhoneNumberKey; the first rule that matches wins.
_PHONE_RULES: list[tuple[frozenset[str], str]] = [
    (frozenset({"fax", "home"}), "HomeFax"),
    (frozenset({"fax"}), "BusinessFax"),
    (frozenset({"cell"}), "MobilePhone"),
    (frozenset({"pager"}), "Pager"),
    (frozenset({"home"}), "HomePhone"),
    (frozenset({"work"}), "BusinessPhone"),
]
_PHONE_TYPES = {"BusinessPhone": ["work", "voice"], "MobilePhone": ["cell", "voice"], "HomePhone": ["home", "voice"],
                "BusinessFax": ["work", "fax"], "HomeFax": ["home", "fax"], "Pager": ["pager"],
                "OtherTelephone": ["voice"]}
_ADR_TYPES = {"Business": "work", "Home": "home", "Other": ""}


class VCardError(MailroomError):
    """The file is not a vCard file Mailroom can import; nothing was imported."""


# -- reading -------------------------------------------------------------------------------------------------------
def read_vcard_file(path: Path, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a ``.vcf`` file, its size checked before anything is read.

    At most ``max_bytes + 1`` bytes are ever read, so a file that grows, or a device that never ends, cannot fill
    the memory either.

    Raises:
        VCardError: The file is larger than ``max_bytes`` or cannot be read.
    """
    try:
        with path.open("rb") as file:
            size = os.fstat(file.fileno()).st_size
            if size > max_bytes:
                raise VCardError(_too_large(path.name, size, max_bytes))
            data = file.read(max_bytes + 1)
    except OSError as error:
        raise VCardError(f"{path.name} cannot be read: {error.strerror or error}.") from None
    if len(data) > max_bytes:
        raise VCardError(_too_large(path.name, None, max_bytes))
    return data


def _too_large(name: str, size: int | None, max_bytes: int) -> str:
    how = f" ({size / 1024 / 1024:,.1f} MB)" if size is not None else ""
    return (f"{name} is too large to import{how}: Mailroom imports vCard files of up to "
            f"{max_bytes / 1024 / 1024:g} MB. Split it and import the parts.")


def parse_vcards(data: bytes, *, max_bytes: int = MAX_BYTES, max_cards: int = MAX_CARDS) -> list[Contact]:
    """Every contact of a ``.vcf`` file, or :class:`VCardError` for the first problem found.

    The file is checked line by line before vobject sees it (size, text, nesting, line lengths, character sets,
    number of cards), so a hostile file costs no more than its size and never reaches vobject's recursion; then
    each card is read and checked against what Exchange takes (:func:`app.domain.contacts.too_long`).

    Args:
        data: The file's bytes (UTF-8; a BOM is allowed).
        max_bytes: Larger files are refused before parsing.
        max_cards: Files with more cards are refused.

    Raises:
        VCardError: Too large, not UTF-8, binary, not a vCard, nested or unfinished cards, an unknown character
            set, an unsupported VERSION, a card without a name, an invalid e-mail address, a value longer than
            Exchange takes, too many cards, or nothing to import. The message names the line where it knows it.
    """
    if len(data) > max_bytes:
        raise VCardError(f"The file is too large to import ({len(data) / 1024 / 1024:.1f} MB; at most "
                         f"{max_bytes / 1024 / 1024:g} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise VCardError(f"The file is not UTF-8 text (line {line}, byte {error.start}): it is not a vCard file."
                         ) from None
    if "BEGIN:VCARD" not in text.upper():
        raise VCardError("The file holds no vCard (no BEGIN:VCARD line).")
    starts = _prescan(text, max_cards)
    contacts: list[Contact] = []
    current = 1  # the card being read
    try:
        for number, component in enumerate(vobject.readComponents(text, validate=False, ignoreUnreadable=False), 1):
            current = number
            if number > max_cards:
                raise VCardError(f"The file holds more than {max_cards} cards; split it and import the parts.")
            if component.name.upper() != "VCARD":
                raise VCardError(f"Card {number}: expected BEGIN:VCARD, found BEGIN:{component.name}.")
            contact = _read_card(component, number, starts[number - 1] if number <= len(starts) else 0)
            if contact is not None:
                contacts.append(contact)
            current = number + 1
    except VCardError:
        raise
    except (ParseError, ValueError, TypeError, AttributeError, KeyError, IndexError, LookupError,
            RecursionError) as error:  # the prescan keeps these out; a last line of defence, with words
        _log.info("vCard file refused by vobject", exc_info=True)
        detail = str(error).strip()[:200] or type(error).__name__
        at = f"card {current}, line {starts[current - 1]}" if current <= len(starts) else f"card {current}"
        raise VCardError(f"The file is not a valid vCard file ({at}: {detail}).") from None
    if not contacts:
        raise VCardError("The file holds no contact to import.")
    return contacts


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(number of its first line, the line unfolded) for every content line; too long a line is refused as soon
    as it passes its limit (:data:`MAX_LINE`, or the file's size for a picture, logo, sound or key, which Mailroom
    does not import but other programs write), before it is joined."""
    first, length, limit = 0, 0, MAX_LINE
    parts: list[str] = []
    for number, raw in enumerate(io.StringIO(text), 1):  # one line at a time, split at "\n" only
        raw = raw.removesuffix("\n").removesuffix("\r")
        if raw[:1] in (" ", "\t") and parts:  # folded (RFC 6350 3.2)
            parts.append(raw[1:])
            length += len(raw) - 1
            if length > limit:
                raise VCardError(f"Line {first}: the line is longer than {limit:,} characters (folded over "
                                 "many lines).")
            continue
        if parts:
            yield first, "".join(parts)
        first, parts, length = number, [raw], len(raw)
        name = re.split(r"[;:]", raw, maxsplit=1)[0].rsplit(".", 1)[-1].strip().upper()
        limit = MAX_BYTES if name in _BINARY else MAX_LINE
        if length > limit:
            raise VCardError(f"Line {first}: the line is longer than {limit:,} characters.")
    if parts:
        yield first, "".join(parts)


def _prescan(text: str, max_cards: int) -> list[int]:
    """The line each card begins on, or :class:`VCardError` for a file vobject should not be given: binary
    data, a card inside a card (vobject would recurse once per level), a card never ended, text outside the
    cards, an unknown CHARSET, a card of more than :data:`MAX_CARD_LINES` lines, more than ``max_cards`` cards."""
    starts: list[int] = []
    inside = False
    lines = 0  # content lines of the card being read
    for number, line in _logical_lines(text):
        if not line.strip():
            continue
        bad = _CONTROL.search(line)
        if bad:
            raise VCardError(f"Line {number} holds binary data (character U+{ord(bad.group()):04X}); this is not a "
                             "vCard text file.")
        head, colon, value = line.partition(":")
        name, *params = head.split(";")
        name = name.rsplit(".", 1)[-1].strip().upper()  # "item1.EMAIL": a group prefix
        if not colon:
            raise VCardError(f"Line {number} is not a vCard line (no “:”): {line[:60]!r}.")
        if name == "BEGIN":
            if inside:
                raise VCardError(f"Line {number}: BEGIN:{value.strip()[:40]} inside the card begun on line "
                                 f"{starts[-1]}; cards inside cards are not supported.")
            if value.strip().upper() != "VCARD":
                raise VCardError(f"Line {number}: expected BEGIN:VCARD, found BEGIN:{value.strip()[:40]}.")
            inside = True
            lines = 0
            starts.append(number)
            if len(starts) > max_cards:
                raise VCardError(f"The file holds more than {max_cards} cards; split it and import the parts.")
            continue
        if name == "END":
            if not inside:
                raise VCardError(f"Line {number}: END:{value.strip()[:40]} without a BEGIN:VCARD before it.")
            inside = False
            continue
        if not inside:
            raise VCardError(f"Line {number} is outside any card (before BEGIN:VCARD or after END:VCARD).")
        lines += 1
        if lines > MAX_CARD_LINES:
            raise VCardError(f"Card {len(starts)} (line {starts[-1]}) has more than {MAX_CARD_LINES:,} lines; "
                             "it is not a contact card Mailroom can import.")
        for param in params:
            key, _eq, wanted = param.partition("=")
            if key.strip().upper() == "CHARSET":
                charset = wanted.strip().strip('"')
                try:
                    codecs.lookup(charset)
                except LookupError:
                    raise VCardError(f"Line {number}: the character set {charset[:40]!r} is not known."
                                     ) from None
    if inside:
        raise VCardError(f"The card begun on line {starts[-1]} never ends (END:VCARD is missing); the file may be "
                         "cut short.")
    return starts


def _read_card(card: vobject.base.Component, number: int, line: int = 0) -> Contact | None:
    where = f"Card {number}"
    version = _value(card, "version")
    if version not in VERSIONS:
        raise VCardError(f"{where}: vCard version {version or '(missing)'} is not supported (3.0 and 4.0 are).")
    kind = _value(card, "kind").lower()
    if kind and kind not in ("individual", "org"):
        return None  # groups and locations are not contacts
    display = _value(card, "fn")
    given = surname = ""
    n = card.contents.get("n")
    if n:
        name = n[0].value
        if isinstance(name, vobject.vcard.Name):
            given, surname = _joined(name.given), _joined(name.family)
        else:
            parts = str(name).split(";")
            surname, given = parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")
    emails: list[str] = []
    for entry in _preferred(card.contents.get("email", [])):
        address = str(entry.value).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        if not _EMAIL.match(address):
            raise VCardError(f"{where} ({display[:60] or 'no name'}): {address[:80]!r} is not an e-mail address.")
        if address.casefold() not in {e.casefold() for e in emails}:
            emails.append(address)
    if not (display or given or surname or emails):
        raise VCardError(f"{where}: the card has no name (FN or N) and no e-mail address.")
    company = department = ""
    org = card.contents.get("org")
    if org:  # ORG: organization name; organizational units (the first taken as the department)
        value = org[0].value
        units = value if isinstance(value, list) else [value]
        company = _joined(units[0]) if units else ""
        department = _joined(units[1]) if len(units) > 1 else ""
    contact = Contact(
        display_name=display or " ".join(p for p in (given, surname) if p) or emails[0],
        given_name=given, surname=surname, company=company, department=department, job_title=_value(card, "title"),
        emails=emails[:MAX_EMAILS], phones=_phones(card), addresses=_addresses(card),
        notes=_value(card, "note"), notes_loaded=True,
    )
    problem = too_long(contact)
    if problem is not None:
        what, length, limit = problem
        at = f" (line {line})" if line else ""
        raise VCardError(f"{where}{at}: the {what} is {length:,} characters long; Exchange takes at most "
                         f"{limit:,}.")
    return contact


def _value(card: vobject.base.Component, name: str) -> str:
    lines = card.contents.get(name)
    if not lines:
        return ""
    value = lines[0].value
    return _joined(value)


def _joined(value: object) -> str:
    if isinstance(value, list | tuple):
        return " ".join(str(v).strip() for v in value if str(v).strip())
    return str(value or "").strip()


def _types(line: vobject.base.ContentLine) -> set[str]:
    """TYPE values, lower-case, with 4.0's quoted comma lists split (``TYPE="work,voice"``)."""
    out: set[str] = set()
    for value in line.params.get("TYPE", []):
        out.update(v.strip().strip('"').lower() for v in str(value).split(",") if v.strip())
    return out


def _preferred(lines: Iterable[vobject.base.ContentLine]) -> list[vobject.base.ContentLine]:
    """Lines in preference order: 3.0's ``TYPE=pref`` and 4.0's ``PREF=1`` (lowest first) before the others."""

    def rank(line: vobject.base.ContentLine) -> int:
        pref = line.params.get("PREF")
        if pref:
            try:
                return max(1, min(100, int(str(pref[0]))))
            except ValueError:
                return 100
        return 1 if "pref" in _types(line) else 101

    return sorted(lines, key=rank)


def _phones(card: vobject.base.Component) -> dict[str, str]:
    phones: dict[str, str] = {}
    for line in _preferred(card.contents.get("tel", [])):
        number = str(line.value).strip()
        if number.lower().startswith("tel:"):
            # 4.0: TEL;VALUE=uri:tel:+44-20-7946-0000;ext=1 ("-" is a visual separator, shown as a space)
            number = number[4:].split(";", 1)[0].replace("-", " ")
        if not number:
            continue
        types = _types(line)
        kind = next((k for need, k in _PHONE_RULES if need <= types), "OtherTelephone")
        if kind in phones and "OtherTelephone" not in phones:
            kind = "OtherTelephone"
        phones.setdefault(kind, number)
    return phones


def _addresses(card: vobject.base.Component) -> list[PostalAddress]:
    out: dict[str, PostalAddress] = {}
    for line in _preferred(card.contents.get("adr", [])):
        adr = line.value
        types = _types(line)
        kind = "Business" if "work" in types else "Home" if "home" in types else "Other"
        if kind in out:
            continue
        if isinstance(adr, vobject.vcard.Address):
            address = PostalAddress(kind, _joined(adr.street), _joined(adr.city), _joined(adr.region),
                                    _joined(adr.code), _joined(adr.country))
        else:
            parts = [*str(adr).split(";"), "", "", "", "", "", "", ""]
            address = PostalAddress(kind, parts[2], parts[3], parts[4], parts[5], parts[6])
        if not address.is_empty():
            out[kind] = address
    return list(out.values())


# -- writing -------------------------------------------------------------------------------------------------------
def export_vcards(contacts: Iterable[Contact], version: str = "3.0") -> str:
    """The contacts as one ``.vcf`` text (CRLF line ends, lines folded at 75 octets), vCard ``version``."""
    if version not in VERSIONS:
        raise ValueError(f"vCard version {version!r} is not supported")
    return "".join(_card(c, version).serialize() for c in contacts)


def _card(contact: Contact, version: str) -> vobject.base.Component:
    v4 = version == "4.0"
    card = vobject.vCard()
    card.add("version").value = version
    if v4:
        card.add("kind").value = "individual"
    card.add("fn").value = contact.name or "(no name)"
    card.add("n").value = vobject.vcard.Name(family=contact.surname, given=contact.given_name)
    if contact.company or contact.department:
        card.add("org").value = [contact.company] + ([contact.department] if contact.department else [])
    if contact.job_title:
        card.add("title").value = contact.job_title
    for i, address in enumerate(contact.emails):
        line = card.add("email")
        line.value = address
        if v4:
            line.params["TYPE"] = ["work"]
            if i == 0:
                line.params["PREF"] = ["1"]
        else:
            line.params["TYPE"] = ["INTERNET", "PREF"] if i == 0 else ["INTERNET"]
    for kind, number in contact.phones.items():
        types = _PHONE_TYPES.get(kind, ["voice"])
        line = card.add("tel")
        if v4:
            line.value = "tel:" + re.sub(r"\s+", "-", number.strip())
            line.params["VALUE"] = ["uri"]
            line.params["TYPE"] = [",".join(types)] if len(types) > 1 else types
        else:
            line.value = number
            line.params["TYPE"] = [t.upper() for t in types]
    for address in contact.addresses:
        line = card.add("adr")
        line.value = vobject.vcard.Address(street=address.street, city=address.city, region=address.state,
                                           code=address.postal_code, country=address.country)
        kind = _ADR_TYPES.get(address.kind, "")
        if kind:
            line.params["TYPE"] = [kind if v4 else kind.upper()]
    if contact.notes:
        card.add("note").value = contact.notes
    return card
