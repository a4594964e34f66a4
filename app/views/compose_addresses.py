"""Reading the address fields of a compose window: split the entries, find the ones that are not addresses.

The parsing is :mod:`app.domain.addresses` (independent of how strict the Python build's ``email.utils`` is);
these are the names the compose window uses.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.domain.addresses import invalid_recipients, recipient_entries


def split_addresses(text: str) -> list[str]:
    """``"Bob Baker <bob@example.com>; carol@example.com,"`` -> the entries, ``Name <address>`` kept; an entry that
    is not an address is kept as typed (never dropped) for :func:`invalid_addresses` to report."""
    return recipient_entries(text)


def invalid_addresses(entries: Sequence[str]) -> list[str]:
    """Entries that are not e-mail addresses (a name the directory did not resolve)."""
    return invalid_recipients(entries)
