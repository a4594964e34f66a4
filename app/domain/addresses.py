"""Recipient fields as people type them: ``Bob Baker <bob@example.com>; "Baker, Ann" <ann@example.com>,``.

Mailroom splits and reads these itself instead of with :func:`email.utils.getaddresses`, whose answer depends on
the Python build: builds carrying the CVE-2023-27043 fix (3.12+, Debian's 3.11.2, later 3.11 releases) parse
strictly and return ``[("", "")]`` for the whole field when it has a trailing separator or anything they cannot
read, so a recipient would be lost without a word. Here an entry is never dropped: one that is not an address is
kept as typed, and :func:`invalid_recipients` names it so the user can correct it.

Entries are separated by ``,`` or ``;`` outside double quotes, angle brackets and parenthesised comments; empty
entries (``a@example.com;;b@example.com,``) are not recipients and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# One address: something@domain.tld, no spaces or characters RFC 5322 does not allow unquoted.
_ADDRESS = re.compile(r"^[^\s@<>()\[\]\\,;:\"]+@[^\s@<>()\[\]\\,;:\"]+$")
_SPECIALS = set('()<>[]:;@\\,."')


def split_recipients(text: str) -> list[str]:
    """The entries of a recipient field, each stripped, empty ones left out; nothing else is left out.

    Example: ``'"Baker, Bob" <bob@example.com>; carol@example.com,'`` -> two entries.
    """
    entries: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    angle = comment = 0
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and (quoted or comment):
            escaped = True
        elif quoted:
            quoted = char != '"'
        elif char == '"' and not comment:
            quoted = True
        elif char == "(":
            comment += 1
        elif char == ")" and comment:
            comment -= 1
        elif char == "<" and not comment:
            angle += 1
        elif char == ">" and angle and not comment:
            angle -= 1
        elif char in ",;" and not (angle or comment):
            entries.append("".join(current))
            current = []
            continue
        current.append(char)
    entries.append("".join(current))
    return [e.strip() for e in entries if e.strip()]


def parse_recipient(entry: str) -> tuple[str, str] | None:
    """``(display name, address)`` of one entry, or None when it is not an e-mail address.

    Takes ``address``, ``<address>``, ``Name <address>``, ``"Last, First" <address>`` and ``address (Name)``.
    """
    entry = entry.strip()
    name, address = "", entry
    if entry.endswith(">"):
        start = _last_unquoted(entry, "<")
        if start < 0:
            return None
        name, address = _unquote(entry[:start].strip()), entry[start + 1:-1].strip()
    elif entry.endswith(")"):
        start = _last_unquoted(entry, "(")
        if start < 0:
            return None
        name, address = entry[start + 1:-1].strip(), entry[:start].strip()
    if not _ADDRESS.match(address):
        return None
    local, _at, domain = address.partition("@")
    if not local or "." not in domain or "" in domain.split("."):
        return None
    return name, address


def format_recipient(name: str, address: str) -> str:
    """``Name <address>`` (the name quoted when it holds a comma or another special character), or the address."""
    if not name:
        return address
    if any(c in _SPECIALS for c in name):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address}>"


def recipient_entries(text: str) -> list[str]:
    """The entries of a recipient field, each written the same way (:func:`format_recipient`); an entry that is
    not an address is kept as typed, for :func:`invalid_recipients` to report."""
    out: list[str] = []
    for entry in split_recipients(text):
        parsed = parse_recipient(entry)
        out.append(format_recipient(*parsed) if parsed is not None else entry)
    return out


def invalid_recipients(entries: Iterable[str]) -> list[str]:
    """The entries that are not e-mail addresses (a name the directory did not resolve, a typo)."""
    return [e for e in entries if parse_recipient(e) is None]


def _last_unquoted(text: str, char: str) -> int:
    """The index of the last ``char`` outside double quotes, or -1."""
    found, quoted, escaped = -1, False, False
    for i, c in enumerate(text):
        if escaped:
            escaped = False
        elif c == "\\" and quoted:
            escaped = True
        elif c == '"':
            quoted = not quoted
        elif c == char and not quoted:
            found = i
    return found


def _unquote(name: str) -> str:
    """A display name without its quotes: ``"Baker, Bob"`` -> ``Baker, Bob`` (``\\"`` and ``\\\\`` unescaped)."""
    if len(name) >= 2 and name[0] == name[-1] == '"':
        return re.sub(r"\\(.)", r"\1", name[1:-1]).strip()
    return name
