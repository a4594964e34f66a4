"""``mailto:`` links (RFC 6068) -> the fields of a new message, safely.

A link comes from anywhere (a web page, another program, a second launch of Mailroom), so it is read
defensively: only ``to``, ``cc``, ``bcc``, ``subject`` and ``body`` are taken (any other header, such as
``from``, ``attach`` or ``x-anything``, is ignored: a link must not choose the sender or attach local files);
line breaks are removed from the subject (no header injection); addresses must look like addresses; and the
whole link, the number of recipients and the subject are bounded.

Example::

    parse_mailto("mailto:a@example.com,b@example.com?cc=c@example.com&subject=Hello%20there")
    # MailtoLink(to=['a@example.com', 'b@example.com'], cc=['c@example.com'], bcc=[], subject='Hello there', body='')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from app.domain.errors import MailroomError

MAX_LINK_CHARS = 32_768
"""Longer links are refused (browsers stop near 32 KiB; a body longer than that belongs in an attachment)."""
MAX_RECIPIENTS = 100
MAX_SUBJECT_CHARS = 998
"""RFC 5322's line limit; a longer subject is cut."""

_SCHEME = "mailto:"
_ADDRESS_FIELDS = ("to", "cc", "bcc")
# addr-spec, loosely: something@domain.tld without spaces, angle brackets, quotes or control characters.
_ADDR_SPEC = re.compile(r"[^\s@<>\"(),;:\\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")
_NAME_ADDR = re.compile(r"^[^<>]*<([^<>]+)>$")  # "Name <a@b>" (not RFC 6068, but links in the wild have it)
_LINE_BREAKS = re.compile(r"[\r\n\t\v\f\x00-\x08\x0e-\x1f\x7f\u2028\u2029]+")


class MailtoError(MailroomError):
    """The text is not a usable ``mailto:`` link; the message says why, in words for the user."""


@dataclass
class MailtoLink:
    """The fields a ``mailto:`` link fills in (addresses in the order given, duplicates dropped).

    Attributes:
        to: Recipients (from the path and any ``to=`` fields).
        cc: Copy recipients.
        bcc: Blind-copy recipients.
        subject: One line, without line breaks.
        body: Plain text with ``\\n`` line breaks.
    """

    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body: str = ""


def is_mailto(text: str) -> bool:
    """Whether ``text`` is meant as a ``mailto:`` link (scheme compared without case)."""
    return text.strip()[: len(_SCHEME)].lower() == _SCHEME


def parse_mailto(url: str) -> MailtoLink:
    """Read a ``mailto:`` link.

    Args:
        url: The link, e.g. ``mailto:someone@example.com?subject=Hi``.

    Returns:
        The recipients, subject and body it asks for.

    Raises:
        MailtoError: It is not a ``mailto:`` link, is too long, has too many recipients, an address that is
            not one, or broken percent-encoding.
    """
    text = url.strip()
    if not is_mailto(text):
        raise MailtoError(f"Not a mailto: link: {_preview(text)}")
    if len(text) > MAX_LINK_CHARS:
        raise MailtoError(f"The mailto: link is too long ({len(text)} characters; at most {MAX_LINK_CHARS}).")
    rest = text[len(_SCHEME):].split("#", 1)[0]  # a fragment means nothing here
    path, _, query = rest.partition("?")
    link = MailtoLink()
    seen: set[str] = set()
    _add_addresses(link.to, _decode(path, "the address"), seen)
    for pair in query.split("&") if query else []:
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = _decode(name, "a field name").strip().lower()
        if name in _ADDRESS_FIELDS:
            _add_addresses(getattr(link, name), _decode(value, name), seen)
        elif name == "subject" and not link.subject:
            subject = _LINE_BREAKS.sub(" ", _decode(value, "the subject")).strip()
            link.subject = subject[:MAX_SUBJECT_CHARS]
        elif name == "body" and not link.body:
            body = _decode(value, "the body").replace("\r\n", "\n").replace("\r", "\n")
            link.body = body.replace("\x00", "")
        # Anything else (from, attach, in-reply-to, x-…) is ignored on purpose.
    if len(link.to) + len(link.cc) + len(link.bcc) > MAX_RECIPIENTS:
        raise MailtoError(f"The mailto: link names more than {MAX_RECIPIENTS} recipients.")
    return link


def _decode(text: str, what: str) -> str:
    """Percent-decode as UTF-8 (``+`` stays a plus sign, as RFC 6068 says)."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise MailtoError(f"The mailto: link has a broken %-escape in {what}.")
    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise MailtoError(f"The mailto: link has an escape in {what} that is not UTF-8 text.") from None


def _add_addresses(into: list[str], text: str, seen: set[str]) -> None:
    for piece in re.split(r"[,;]", text):
        candidate = piece.strip()
        if not candidate:
            continue
        named = _NAME_ADDR.match(candidate)
        if named:
            candidate = named.group(1).strip()
        if not _ADDR_SPEC.fullmatch(candidate):
            raise MailtoError(f"The mailto: link has something that is not an e-mail address: {_preview(piece)}")
        key = candidate.casefold()
        if key not in seen:
            seen.add(key)
            into.append(candidate)
        if len(seen) > MAX_RECIPIENTS:
            raise MailtoError(f"The mailto: link names more than {MAX_RECIPIENTS} recipients.")


def _preview(text: str, limit: int = 60) -> str:
    """Quote the start of user-supplied text for an error message, control characters removed."""
    clean = _LINE_BREAKS.sub(" ", text.strip())
    return repr(clean if len(clean) <= limit else clean[:limit] + "…")
