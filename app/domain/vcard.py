"""vCard import and export (RFC 2426 vCard 3.0 and RFC 6350 vCard 4.0) with ``vobject``.

vobject 0.9.9 parses and serialises content lines (escaping, folding, parameters) for any vCard, but its
vCard *behaviour* is 3.0 only: it reads a ``VERSION:4.0`` card with the 3.0 rules (which parse 4.0's
properties alike) and writes whatever ``VERSION`` it is given without 4.0's conventions. So this module:

- reads both versions through vobject and then applies 4.0's differences itself: ``TEL;VALUE=uri:tel:...``,
  ``TYPE="work,voice"`` lists, ``PREF=1`` instead of ``TYPE=pref``, ``KIND`` (only individuals are contacts);
- writes 3.0 with vobject as is, and 4.0 by building vobject components with 4.0's conventions (``KIND``,
  ``TEL;VALUE=uri;TYPE=...:tel:...``, lower-case ``TYPE`` values, ``PREF=1``) and letting vobject serialise them.

:func:`parse_vcards` validates the whole file before it returns anything (size, number of cards, each card):
a bad file raises :class:`VCardError` naming the card and the problem, and nothing is imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import vobject
from vobject.base import ParseError

from app.domain.contacts import MAX_EMAILS, Contact, PostalAddress
from app.domain.errors import MailroomError

MAX_BYTES = 5 * 1024 * 1024
MAX_CARDS = 5000
MAX_FIELD = 32 * 1024  # characters in one property value (notes included)
VERSIONS = ("3.0", "4.0")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
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
def parse_vcards(data: bytes, *, max_bytes: int = MAX_BYTES, max_cards: int = MAX_CARDS) -> list[Contact]:
    """Every contact of a ``.vcf`` file, or :class:`VCardError` for the first problem found.

    Args:
        data: The file's bytes (UTF-8; a BOM is allowed).
        max_bytes: Larger files are refused before parsing.
        max_cards: Files with more cards are refused.

    Raises:
        VCardError: Too large, not UTF-8, not a vCard, an unsupported VERSION, a card without a name, an invalid
            e-mail address, a value too long, too many cards, or nothing to import.
    """
    if len(data) > max_bytes:
        raise VCardError(f"The file is too large to import ({len(data) / 1024 / 1024:.1f} MB; at most "
                         f"{max_bytes / 1024 / 1024:.0f} MB).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise VCardError(f"The file is not UTF-8 text (byte {error.start}): it is not a vCard file.") from None
    if "BEGIN:VCARD" not in text.upper():
        raise VCardError("The file holds no vCard (no BEGIN:VCARD line).")
    contacts: list[Contact] = []
    try:
        for number, component in enumerate(vobject.readComponents(text, validate=False, ignoreUnreadable=False), 1):
            if number > max_cards:
                raise VCardError(f"The file holds more than {max_cards} cards; split it and import the parts.")
            if component.name.upper() != "VCARD":
                raise VCardError(f"Card {number}: expected BEGIN:VCARD, found BEGIN:{component.name}.")
            contact = _read_card(component, number)
            if contact is not None:
                contacts.append(contact)
    except VCardError:
        raise
    except (ParseError, ValueError, TypeError, AttributeError, KeyError, IndexError) as error:
        where = f"card {len(contacts) + 1}"
        detail = str(error).strip() or type(error).__name__
        raise VCardError(f"The file is not a valid vCard file ({where}: {detail}).") from None
    if not contacts:
        raise VCardError("The file holds no contact to import.")
    return contacts


def _read_card(card: vobject.base.Component, number: int) -> Contact | None:
    where = f"Card {number}"
    version = _value(card, "version")
    if version not in VERSIONS:
        raise VCardError(f"{where}: vCard version {version or '(missing)'} is not supported (3.0 and 4.0 are).")
    kind = _value(card, "kind").lower()
    if kind and kind not in ("individual", "org"):
        return None  # groups and locations are not contacts
    for line in card.getChildren():
        value = line.value
        if isinstance(value, str) and len(value) > MAX_FIELD:
            raise VCardError(f"{where}: the {line.name} value is too long ({len(value)} characters).")
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
    for line in _preferred(card.contents.get("email", [])):
        address = str(line.value).strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        if not _EMAIL.match(address):
            raise VCardError(f"{where} ({display or 'no name'}): {address!r} is not an e-mail address.")
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
    return Contact(
        display_name=display or " ".join(p for p in (given, surname) if p) or emails[0],
        given_name=given, surname=surname, company=company, department=department, job_title=_value(card, "title"),
        emails=emails[:MAX_EMAILS], phones=_phones(card), addresses=_addresses(card),
        notes=_value(card, "note"), notes_loaded=True,
    )


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
