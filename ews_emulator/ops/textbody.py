"""Body conversions and MIME: HTML -> plain text (``BodyType=Text``), text -> HTML, and RFC 5322 messages.

Exchange converts bodies on the fly when a shape asks for the other format; the plain text keeps
paragraphs and line breaks and drops markup, scripts and styles, which is what this converter does.
``IncludeMimeContent`` returns the item as an Internet message built with :mod:`email`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from html.parser import HTMLParser

from lxml import etree

from ews_emulator.soap import T_NS

_T = f"{{{T_NS}}}"
_BLOCK = frozenset({"p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "blockquote",
                    "pre", "section", "article", "header", "footer", "title"})
_SKIP = frozenset({"script", "style", "head"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "pre":
                self.pre += 1
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")
            if tag == "pre":
                self.pre = max(0, self.pre - 1)

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag == "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.parts.append(data if self.pre else re.sub(r"\s+", " ", data))


def html_to_text(markup: str) -> str:
    """Plain text of an HTML body: block elements and ``<br>`` become line breaks, markup is dropped."""
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    lines = [line.strip(" ") for line in "".join(parser.parts).replace("\xa0", " ").split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip("\n").replace("\n", "\r\n")


def text_to_html(text: str) -> str:
    """An HTML body for a plain-text one (escaped, line breaks kept), in the form Exchange writes."""
    body = html.escape(text).replace("\r\n", "\n").replace("\n", "<br>\r\n")
    return ("<html>\r\n<head>\r\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\r\n"
            f"</head>\r\n<body>\r\n<div>{body}</div>\r\n</body>\r\n</html>\r\n")


_ACTIVE = re.compile(r"<(script|object|embed|iframe)\b.*?</\1\s*>|\son\w+\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)",
                     re.IGNORECASE | re.DOTALL)


def filter_html(markup: str) -> str:
    """``FilterHtmlContent``: drop scripts, embedded objects and event-handler attributes."""
    return _ACTIVE.sub("", markup)


def _mailboxes(el: etree._Element, path: str) -> list[str]:
    out = []
    for mb in el.iterfind(path.replace("t:", _T)):
        address = mb.findtext(f"{_T}EmailAddress") or ""
        out.append(formataddr((mb.findtext(f"{_T}Name") or "", address)) if address else "")
    return [a for a in out if a]


def mime_message(item: etree._Element, attachments: Iterable[tuple[str, str, bytes | etree._Element]],
                 date: str | None) -> bytes:
    """The item as an RFC 5322 message (UTF-8), with its file attachments as MIME parts.

    Args:
        item: the stored item element.
        attachments: (name, content type, bytes) of each file attachment; (name, type, element) of each
            item attachment, which becomes a ``message/rfc822`` part.
        date: ``xs:dateTime`` for the ``Date`` header (the sent time).
    """
    msg = EmailMessage(policy=SMTP)
    for header, path in (("From", "t:From/t:Mailbox"), ("Sender", "t:Sender/t:Mailbox"),
                         ("To", "t:ToRecipients/t:Mailbox"), ("Cc", "t:CcRecipients/t:Mailbox"),
                         ("Reply-To", "t:ReplyTo/t:Mailbox")):
        found = _mailboxes(item, path)
        if found and not (header == "Sender" and found == _mailboxes(item, "t:From/t:Mailbox")):
            msg[header] = ", ".join(found)
    msg["Subject"] = item.findtext(f"{_T}Subject") or ""
    if date:
        msg["Date"] = format_datetime(datetime.fromisoformat(date.replace("Z", "+00:00")))
    for header, name in (("Message-ID", "InternetMessageId"), ("In-Reply-To", "InReplyTo"),
                         ("References", "References")):
        value = item.findtext(f"{_T}{name}")
        if value:
            msg[header] = value
    importance = item.findtext(f"{_T}Importance")
    if importance and importance != "Normal":
        msg["Importance"] = importance.lower()
    body = item.find(f"{_T}Body")
    text = body.text or "" if body is not None else ""
    if body is not None and body.get("BodyType") == "HTML":
        msg.set_content(html_to_text(text).replace("\r\n", "\n"), charset="utf-8")
        msg.add_alternative(text, subtype="html", charset="utf-8")
    else:
        msg.set_content(text.replace("\r\n", "\n"), charset="utf-8")
    for name, content_type, data in attachments:
        if isinstance(data, etree._Element):
            nested = message_from_bytes(mime_message(data, [], None), _class=EmailMessage, policy=SMTP)
            msg.add_attachment(nested, filename=name)
            continue
        maintype, _, subtype = (content_type or "application/octet-stream").partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=name)
    return msg.as_bytes()


