"""Replies and forwards: subject prefixes, reply recipients and the quoted original as HTML (pure functions)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime

from lxml import etree
from lxml import html as lxml_html

from app.domain.messages import ComposeMode, Person

PREFIXES = {ComposeMode.REPLY: "RE: ", ComposeMode.REPLY_ALL: "RE: ", ComposeMode.FORWARD: "FW: "}
# Prefixes mail clients put in front of a subject (English, German, Nordic, Dutch, French, Spanish...).
_KNOWN_PREFIX = re.compile(r"^\s*(re|fw|fwd|aw|wg|sv|vs|tr|rv|antw|doorst)\s*(\[\d+\])?\s*:\s*", re.IGNORECASE)
QUOTE_STYLE = "margin:0 0 0 0.8ex;border-left:2px solid #c8c8c8;padding-left:1ex"
_DROP = ("script", "noscript", "iframe", "object", "embed", "form", "base", "meta", "title", "link")


def response_subject(subject: str, mode: ComposeMode) -> str:
    """``RE: Quote`` / ``FW: Quote``: one prefix, replacing any reply or forward prefixes already there."""
    rest = subject or ""
    while True:
        found = _KNOWN_PREFIX.match(rest)
        if not found:
            break
        rest = rest[found.end():]
    return PREFIXES[mode] + rest.strip()


def reply_recipients(mode: ComposeMode, author: Person | None, reply_to: Iterable[Person], to: Iterable[Person],
                     cc: Iterable[Person], exclude: Iterable[str]) -> tuple[list[str], list[str]]:
    """(To, Cc) addresses of a reply: Reply-To (else From); reply all adds the original To and Cc.

    Args:
        mode: REPLY or REPLY_ALL (FORWARD gives no recipients).
        author: The original's From.
        reply_to: The original's Reply-To.
        to: The original's To.
        cc: The original's Cc.
        exclude: Addresses never to reply to (the mailbox replying); compared case-insensitively.
    """
    if mode not in (ComposeMode.REPLY, ComposeMode.REPLY_ALL):
        return [], []
    skip = {a.casefold() for a in exclude if a}
    seen: set[str] = set()

    def take(people: Iterable[Person], keep_excluded: bool = False) -> list[str]:
        out = []
        for p in people:
            key = p.address.casefold()
            if not key or key in seen or (key in skip and not keep_excluded):
                continue
            seen.add(key)
            out.append(p.address)
        return out

    first = list(reply_to) or ([author] if author else [])
    # Replying to a message the mailbox sent itself goes back to that mailbox's address, as Outlook does.
    to_list = take(first, keep_excluded=True)
    if mode is ComposeMode.REPLY:
        return to_list, []
    to_list += take(to)
    return to_list, take(cc)


def header_lines(author: Person | None, sent: datetime | None, to: Iterable[Person], cc: Iterable[Person],
                 subject: str) -> list[tuple[str, str]]:
    """The From/Sent/To/(Cc)/Subject block above a quoted message (dates in local time)."""
    lines = [("From", str(author) if author else ""),
             ("Sent", sent.astimezone().strftime("%A, %d %B %Y %H:%M") if sent else ""),
             ("To", "; ".join(str(p) for p in to))]
    cc = list(cc)
    if cc:
        lines.append(("Cc", "; ".join(str(p) for p in cc)))
    lines.append(("Subject", subject))
    return lines


def body_inner_html(document: str) -> str:
    """The content of an HTML message's ``<body>`` without scripts, event handlers, frames, forms or metadata.

    Not a sanitiser: whatever shows or sends the result still sanitises it (``javascript:`` links, styles).
    """
    if not document.strip():
        return ""
    try:
        root = lxml_html.document_fromstring(document)
    except (etree.ParserError, ValueError):
        return html.escape(document)
    for el in list(root.iter(*_DROP)):
        el.drop_tree()
    for el in root.iter():
        for name in [a for a in el.attrib if a.lower().startswith("on")]:  # event handlers
            del el.attrib[name]
    body = root.find("body")
    if body is None:
        body = root
    parts = [html.escape(body.text)] if body.text else []
    parts += [lxml_html.tostring(child, encoding="unicode") for child in body]
    return "".join(parts)


def text_to_html(text: str) -> str:
    """Plain text as HTML that keeps its line breaks."""
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\n")


def quoted_document(headers: list[tuple[str, str]], original_html: str | None, original_text: str | None) -> str:
    """A new message body: an empty line to write in, then the header block and the original in a blockquote."""
    block = "<br>\n".join(f"<b>{html.escape(k)}:</b> {html.escape(v)}" for k, v in headers)
    original = body_inner_html(original_html) if original_html is not None else text_to_html(original_text or "")
    return ("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\"></head><body>\n"
            "<p><br></p>\n"
            "<div id=\"mailroom-original\">\n<hr>\n"
            f"<p>{block}</p>\n"
            f"<blockquote type=\"cite\" style=\"{QUOTE_STYLE}\">{original}</blockquote>\n"
            "</div>\n</body></html>")
