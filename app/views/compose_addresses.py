"""Reading the address fields of a compose window: split the entries, find the ones that are not addresses."""

from __future__ import annotations

from collections.abc import Sequence
from email.utils import getaddresses


def split_addresses(text: str) -> list[str]:
    """``"Bob Baker <bob@example.com>; carol@example.com"`` -> the entries, ``Name <address>`` kept."""
    out = []
    for name, address in getaddresses([text.replace(";", ",")]):
        if not address:
            continue
        out.append(f"{name} <{address}>" if name else address)
    return out


def invalid_addresses(entries: Sequence[str]) -> list[str]:
    """Entries that are not e-mail addresses (a name the directory did not resolve)."""
    bad = []
    for entry in entries:
        address = getaddresses([entry])[0][1]
        local, _, domain = address.partition("@")
        if not local or "." not in domain:
            bad.append(entry)
    return bad
