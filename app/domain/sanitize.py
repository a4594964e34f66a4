"""Make untrusted mail HTML safe to display, and turn plain-text mail into HTML.

Pure functions, no Qt. The reading pane renders the result in a JavaScript-free web view whose request
interceptor blocks the network, so this module is the first of two independent walls: it removes everything
active (scripts, event handlers, frames, objects, forms, meta refresh, ``javascript:`` URLs, ``<base>``) and,
unless the user asked for it, every reference to remote content (images, backgrounds, style sheets, fonts), which
it counts so that the pane can say "Remote content was blocked (N items)".

What it keeps, because real-world mail needs it: tables and legacy presentational attributes, inline styles (an
allow-list of properties), ``<style>`` blocks (re-tokenised, see :func:`sanitize_css`), ``class``/``id``, ``cid:``
references to inline images, ``data:`` raster images, and ``http(s)``/``mailto:``/``tel:`` links (the pane opens
them outside the app, after showing the real target).
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from enum import Enum
from urllib.parse import unquote

import nh3

# A 1×1 transparent GIF that replaces the source of a blocked remote image: the image keeps its width and height
# (so the layout holds) and the pane's style sheet shades it (it selects on exactly this value).
BLOCKED_IMAGE = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"

# ---------------------------------------------------------------------------------------------------------------
# The allow-lists

_TAGS = frozenset(
    {
        "a", "abbr", "acronym", "address", "area", "article", "aside", "b", "bdi", "bdo", "big", "blockquote",
        "br", "caption", "center", "cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "div", "dl",
        "dt", "em", "figcaption", "figure", "font", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hgroup", "hr", "i", "img", "ins", "kbd", "li", "link", "main", "map", "mark", "nav", "nobr", "ol", "p",
        "pre", "q", "rp", "rt", "ruby", "s", "samp", "section", "small", "span", "strike", "strong", "sub",
        "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "tt", "u", "ul", "var",
        "wbr",
    }
)  # fmt: skip

# Removed together with their content (everything else not allowed is unwrapped: its text stays).
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "title", "noscript", "template", "iframe", "frame", "frameset", "noframes", "object",
        "embed", "applet", "xml", "svg", "math", "select", "textarea", "audio", "video", "canvas", "head",
    }
)  # fmt: skip

_GENERIC_ATTRIBUTES = {
    "style", "class", "id", "dir", "lang", "title", "align", "valign", "width", "height", "bgcolor", "role",
}  # fmt: skip
_TAG_ATTRIBUTES: dict[str, set[str]] = {
    "*": _GENERIC_ATTRIBUTES,
    "a": {"href", "name"},
    "area": {"href", "shape", "coords", "alt"},
    "img": {"src", "alt", "border", "hspace", "vspace", "usemap"},
    "map": {"name"},
    "table": {"border", "cellpadding", "cellspacing", "background", "frame", "rules", "summary"},
    "td": {"colspan", "rowspan", "nowrap", "background", "abbr", "scope", "headers"},
    "th": {"colspan", "rowspan", "nowrap", "background", "abbr", "scope", "headers"},
    "tr": {"background"},
    "tbody": {"background"},
    "thead": {"background"},
    "tfoot": {"background"},
    "col": {"span"},
    "colgroup": {"span"},
    "font": {"face", "size", "color"},
    "hr": {"size", "noshade", "color"},
    "ol": {"start", "type", "reversed"},
    "ul": {"type"},
    "li": {"value", "type"},
    "blockquote": {"type"},
    "time": {"datetime"},
    "link": {"href", "type", "media"},
    "bdo": {"dir"},
}
# <link> is kept only as a style sheet (and only with remote content allowed, see _Policy.link_href).
_TAG_ATTRIBUTE_VALUES = {"link": {"rel": {"stylesheet"}}}

# Schemes nh3 lets through to the attribute filter, which then decides per tag and attribute.
_URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid", "data"})

# Inline style properties kept (nh3 drops the others): what mail layouts use, without positioning tricks.
_STYLE_PROPERTIES = frozenset(
    {
        "background", "background-color", "background-image", "background-position", "background-repeat",
        "background-size", "background-clip", "background-origin", "background-attachment",
        "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
        "border-width", "border-top-color", "border-right-color", "border-bottom-color", "border-left-color",
        "border-top-style", "border-right-style", "border-bottom-style", "border-left-style",
        "border-top-width", "border-right-width", "border-bottom-width", "border-left-width", "border-radius",
        "border-top-left-radius", "border-top-right-radius", "border-bottom-left-radius",
        "border-bottom-right-radius", "border-collapse", "border-spacing", "box-shadow", "box-sizing",
        "caption-side", "clear", "color", "column-count", "column-gap", "columns", "direction", "display",
        "empty-cells", "float", "font", "font-family", "font-feature-settings", "font-size", "font-stretch",
        "font-style", "font-variant", "font-weight", "height", "hyphens", "letter-spacing", "line-height",
        "list-style", "list-style-image", "list-style-position", "list-style-type", "margin", "margin-top",
        "margin-right", "margin-bottom", "margin-left", "max-height", "max-width", "min-height", "min-width",
        "object-fit", "opacity", "outline", "overflow", "overflow-wrap", "overflow-x", "overflow-y", "padding",
        "padding-top", "padding-right", "padding-bottom", "padding-left", "page-break-after",
        "page-break-before", "page-break-inside", "table-layout", "text-align", "text-decoration",
        "text-decoration-color", "text-decoration-line", "text-decoration-style", "text-indent",
        "text-overflow", "text-shadow", "text-transform", "unicode-bidi", "vertical-align", "visibility",
        "white-space", "width", "word-break", "word-spacing", "word-wrap", "writing-mode",
        "mso-line-height-rule", "mso-table-lspace", "mso-table-rspace", "-webkit-text-size-adjust",
        "-ms-text-size-adjust",
    }
)  # fmt: skip


# ---------------------------------------------------------------------------------------------------------------
# URLs


class UrlKind(Enum):
    """What a URL found in mail refers to, as far as loading it is concerned."""

    REMOTE = "remote"  # http:, https:, protocol-relative //host (would be fetched from the network)
    CID = "cid"  # an inline part of the message
    DATA_IMAGE = "data-image"  # a raster image carried in the URL itself
    DATA_FONT = "data-font"  # a font carried in the URL itself (CSS only)
    FRAGMENT = "fragment"  # #anchor in the message
    CONTACT = "contact"  # mailto:, tel:
    OTHER = "other"  # javascript:, file:, relative paths, unknown schemes: never kept


_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.\-]*):")
_STRIP_INSIDE = re.compile(r"[\t\n\r]")  # browsers drop these anywhere in a URL ("java\tscript:")
_DATA_IMAGE = re.compile(r"data:image/(?:png|gif|jpe?g|webp|bmp|x-icon|vnd\.microsoft\.icon)[;,]", re.I)
_DATA_FONT = re.compile(r"data:(?:font/[\w.+-]+|application/(?:x-)?font-[\w.+-]+|application/vnd\.ms-fontobject)[;,]", re.I)  # fmt: skip
# Schemes that make a CSS *string* a URL (image-set("…"), @import "…"); other strings are text (font names…).
_CSS_STRING_URL_SCHEMES = frozenset(
    {"http", "https", "ftp", "ftps", "ws", "wss", "file", "filesystem", "blob", "javascript", "vbscript",
     "data", "cid", "about", "chrome", "qrc", "mailroom"}
)  # fmt: skip


def _normalise_url(value: str) -> str:
    # What a browser does before parsing: strip leading/trailing C0 controls and spaces, drop tabs and newlines.
    return _STRIP_INSIDE.sub(
        "",
        value.strip(
            "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f"
            "\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "
        ),
    )


def classify_url(value: str) -> UrlKind:
    """Classify a URL as it appears in a mail's HTML or CSS (after entity decoding)."""
    url = _normalise_url(value)
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return UrlKind.REMOTE
    if url.startswith("#"):
        return UrlKind.FRAGMENT
    match = _SCHEME.match(url)
    if not match:
        return UrlKind.OTHER
    scheme = match.group(1).lower()
    if scheme in ("http", "https"):
        return UrlKind.REMOTE
    if scheme == "cid":
        return UrlKind.CID
    if scheme in ("mailto", "tel"):
        return UrlKind.CONTACT
    if scheme == "data":
        if _DATA_IMAGE.match(url):
            return UrlKind.DATA_IMAGE
        if _DATA_FONT.match(url):
            return UrlKind.DATA_FONT
    return UrlKind.OTHER


def normalize_cid(value: str) -> str:
    """The comparable form of a Content-ID, from a ``cid:`` URL or an attachment's ContentId header.

    ``cid:`` URLs are URL-encoded (RFC 2392) and headers wrap the id in angle brackets; Exchange and mail
    programs disagree on case, so the comparison is case-insensitive.
    """
    text = _normalise_url(value)
    if text[:4].lower() == "cid:":
        text = text[4:]
    return unquote(text).strip().strip("<>").strip().casefold()


def _remote_url(value: str) -> str:
    url = _normalise_url(value)
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return "https://" + url[2:].replace("\\", "/")
    return url


@dataclass
class _Policy:
    """Decides, per URL, what is kept; counts what it blocks and which inline parts are referenced."""

    allow_remote: bool
    blocked: int = 0
    cids: set[str] = field(default_factory=set)

    def resource(self, value: str, *, fonts: bool = False) -> str | None:
        """A URL that would be loaded (image, background, style sheet, font): the URL to keep, or None."""
        kind = classify_url(value)
        if kind is UrlKind.REMOTE:
            if self.allow_remote:
                return _remote_url(value)
            self.blocked += 1
            return None
        if kind is UrlKind.CID:
            cid = normalize_cid(value)
            if not cid:
                return None
            self.cids.add(cid)
            return _normalise_url(value)
        if kind is UrlKind.DATA_IMAGE or (fonts and kind is UrlKind.DATA_FONT):
            return _normalise_url(value)
        if kind is UrlKind.FRAGMENT and fonts:  # url(#filter) in CSS: refers into the document
            return _normalise_url(value)
        return None

    def link(self, value: str) -> str | None:
        """A link the user may click: http(s), mailto:, tel: and in-message anchors."""
        kind = classify_url(value)
        if kind is UrlKind.REMOTE:
            return _remote_url(value)
        if kind in (UrlKind.CONTACT, UrlKind.FRAGMENT):
            return _normalise_url(value)
        return None

    def attribute(self, tag: str, attr: str, value: str) -> str | None:
        """nh3's attribute filter: called for every allowed attribute (URL schemes already checked)."""
        if attr == "style":
            cleaned = sanitize_css(value, policy=self)
            return cleaned or None
        if attr == "src" and tag == "img":
            if classify_url(value) is UrlKind.REMOTE and not self.allow_remote:
                self.blocked += 1
                return BLOCKED_IMAGE
            return self.resource(value)
        if attr == "background":
            # Not a URL attribute for nh3: no scheme check happened before this point.
            return self.resource(value)
        if attr == "href":
            if tag == "link":
                return self.resource(value) if classify_url(value) is UrlKind.REMOTE else None
            return self.link(value)
        if attr == "usemap":
            return value if value.startswith("#") else None
        return value


# ---------------------------------------------------------------------------------------------------------------
# CSS

# A small tokeniser after CSS Syntax Level 3, enough to find every URL a style sheet or a style attribute could
# load, whatever escapes hide it (u\72l(…), "ht\74p://…"), and to write the CSS back so that the browser sees
# exactly the tokens that were checked: identifiers are re-escaped, strings re-quoted, comments dropped, and no
# "<" survives (so a style block can never close its element).
_CSS_TOKEN = re.compile(
    r"""
    (?P<comment>/\*.*?(?:\*/|\Z))
  | (?P<cdo><!--|-->)
  | (?P<string>"(?:[^"\\\n]|\\.|\\\n)*(?:"|(?=\n)|\Z)|'(?:[^'\\\n]|\\.|\\\n)*(?:'|(?=\n)|\Z))
  | (?P<ident>(?:--|-?(?:[A-Za-z_\u0080-\U0010ffff]|\\[^\n]))(?:[\w\-\u0080-\U0010ffff]|\\[^\n])*)
  | (?P<lt><)
  | (?P<other>[^"'/\\<A-Za-z_\u0080-\U0010ffff\-]+|.)
    """,
    re.S | re.X,
)
_NOWHERE = "about:invalid"  # what a blocked URL string becomes ("" would resolve to the document itself)
_CSS_ESCAPE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|(\r\n|[\n\r\f])|(.))", re.S)
_URL_ARGUMENT = re.compile(
    r"[ \t\r\n\f]*(?:(?P<q>[\"'])|(?P<bare>(?:[^\\)\s\"'(]|\\.)*)[ \t\r\n\f]*\))", re.S
)
_CLOSE_PAREN = re.compile(r"[ \t\r\n\f]*\)")
# Script in CSS (old Internet Explorer): meaningless to Chromium, removed anyway so that no reviewer has to ask.
_DEAD_FUNCTIONS = frozenset({"expression", "javascript", "vbscript"})
_PLAIN_IDENT = re.compile(r"-?[A-Za-z_][\w\-]*\Z", re.A)


def _unescape_css(text: str) -> str:
    def replace(match: re.Match[str]) -> str:
        hex_digits, newline, char = match.groups()
        if hex_digits is not None:
            code = int(hex_digits, 16)
            return "\ufffd" if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else chr(code)
        if newline is not None:
            return ""  # a line continuation inside a string
        return char

    return _CSS_ESCAPE.sub(replace, text).replace("\x00", "\ufffd")


def _quote_css(value: str) -> str:
    out = ['"']
    for char in value:
        if char in '"\\':
            out.append("\\" + char)
        elif char == "<" or ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _escape_ident(name: str) -> str:
    if _PLAIN_IDENT.match(name):
        return name
    out = []
    for index, char in enumerate(name):
        if char.isascii() and (char.isalnum() or char in "_-"):
            starts_number = char.isdigit() and (index == 0 or (index == 1 and name[0] == "-"))
            out.append(f"\\{ord(char):x} " if starts_number else char)
        elif not char.isascii() and char.isprintable():
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return "".join(out)


def sanitize_css(css: str, *, allow_remote: bool = False, policy: _Policy | None = None) -> str:
    """Rewrite a style sheet or a style attribute's declarations so that it loads nothing it should not.

    Every ``url(…)`` and every string that is a URL (``image-set("…")``, ``@import "…"``) goes through the
    same policy as HTML attributes: remote URLs are kept only with ``allow_remote`` (else replaced by ``none``
    or ``"about:invalid"`` and counted), ``cid:`` and ``data:`` images and fonts are kept, anything else is dropped.

    Args:
        css: The CSS text (a whole ``<style>`` block or a ``style`` attribute).
        allow_remote: Keep http(s) URLs (ignored when ``policy`` is given).
        policy: Shared state of one sanitising run (counts, referenced cids).

    Returns:
        CSS with the same meaning minus the blocked URLs; it contains no ``<`` character.
    """
    policy = policy if policy is not None else _Policy(allow_remote=allow_remote)
    out: list[str] = []
    pos, end = 0, len(css)
    while pos < end:
        match = _CSS_TOKEN.match(css, pos)
        if match is None:  # cannot happen ("." matches anything), but never loop forever
            break
        kind = match.lastgroup
        text = match.group()
        pos = match.end()
        if kind in ("comment", "cdo", "lt"):
            out.append(" ")
        elif kind == "string":
            out.append(_css_string(text, policy))
        elif kind == "ident":
            name = _unescape_css(text) if "\\" in text else text
            if pos < end and css[pos] == "(" and name.lower() == "url":
                replacement, pos = _css_url(css, pos + 1, policy)
                out.append(replacement)
            elif pos < end and css[pos] == "(" and name.lower() in _DEAD_FUNCTIONS:
                out.append("none")
                pos = _skip_arguments(css, pos + 1)
            else:
                out.append(_escape_ident(name))
        else:
            out.append(text)
    return "".join(out).strip()


def _skip_arguments(css: str, pos: int) -> int:
    """The position after the ')' closing the function whose arguments start at ``pos``."""
    depth, end = 1, len(css)
    while pos < end:
        match = _CSS_TOKEN.match(css, pos)
        if match is None:
            return end
        pos = match.end()
        if match.lastgroup == "other":
            depth += match.group().count("(") - match.group().count(")")
            if depth <= 0:
                return pos
    return end


def _css_string(token: str, policy: _Policy) -> str:
    quote = token[0]
    body = token[1:-1] if len(token) >= 2 and token[-1] == quote else token[1:]
    value = _unescape_css(body) if "\\" in body else body
    normalised = _normalise_url(value)
    scheme = _SCHEME.match(normalised)
    if normalised.startswith(("//", "\\\\", "/\\", "\\/")) or (
        scheme and scheme.group(1).lower() in _CSS_STRING_URL_SCHEMES
    ):
        kept = policy.resource(value, fonts=True)
        return _quote_css(kept or _NOWHERE)
    if "\\" not in body and "<" not in body and quote == '"' and len(token) >= 2 and token[-1] == quote:
        return token
    return _quote_css(value)


def _css_url(css: str, pos: int, policy: _Policy) -> tuple[str, int]:
    """Handle the argument of url( starting at ``pos``; returns the replacement and the position after ')'."""
    match = _URL_ARGUMENT.match(css, pos)
    value: str | None = None
    if match and match.group("q"):
        string = _CSS_TOKEN.match(css, match.start("q"))
        if string and string.lastgroup == "string":
            token = string.group()
            body = token[1:-1] if len(token) >= 2 and token[-1] == token[0] else token[1:]
            close = _CLOSE_PAREN.match(css, string.end())
            if close:
                value = _unescape_css(body)
                pos = close.end()
    elif match:
        value = _unescape_css(match.group("bare"))
        pos = match.end()
    if value is None:  # a "bad url": the browser ignores it up to the next ')'
        close_at = css.find(")", pos)
        return "none", (len(css) if close_at < 0 else close_at + 1)
    kept = policy.resource(value, fonts=True)
    return (f"url({_quote_css(kept)})" if kept else "none"), pos


# ---------------------------------------------------------------------------------------------------------------
# HTML

_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)(?:</style\s*>|\Z)", re.I | re.S)
_BODY_TAG = re.compile(r"<body\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.I)
_TAG_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")


@dataclass(frozen=True)
class SanitizedHtml:
    """The result of :func:`sanitize_html`.

    Attributes:
        html: An HTML fragment to put inside ``<body>``: the mail's (sanitised) style blocks, then its content
            in a ``<div class="mr-body">`` carrying the mail's own ``<body>`` colours.
        blocked_remote: How many remote references were blocked (0 with ``allow_remote``).
        inline_cids: The Content-IDs the HTML refers to (``cid:`` URLs), in :func:`normalize_cid` form.
    """

    html: str
    blocked_remote: int
    inline_cids: frozenset[str]


def _body_style(document: str) -> str:
    """The mail's <body> presentation (style, bgcolor, text, background) as one style declaration list."""
    match = _BODY_TAG.search(document)
    if not match:
        return ""
    attributes = {
        name.lower(): html_lib.unescape(raw.strip("\"'")) if raw else ""
        for name, raw in _TAG_ATTRIBUTE.findall(match.group(1))
    }
    parts = []
    if attributes.get("bgcolor"):
        parts.append(f"background-color:{attributes['bgcolor']}")
    if attributes.get("text"):
        parts.append(f"color:{attributes['text']}")
    if attributes.get("background"):
        parts.append(f"background-image:url({_quote_css(attributes['background'])})")
    if attributes.get("style"):
        parts.append(attributes["style"])
    return ";".join(parts)


def _clean(fragment: str, policy: _Policy) -> str:
    return nh3.clean(
        fragment,
        tags=set(_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in _TAG_ATTRIBUTES.items()},
        tag_attribute_values=_TAG_ATTRIBUTE_VALUES,
        attribute_filter=policy.attribute,
        strip_comments=True,
        link_rel=None,
        url_schemes=set(_URL_SCHEMES),
        filter_style_properties=set(_STYLE_PROPERTIES),
    )


def sanitize_html(html: str, *, allow_remote: bool) -> SanitizedHtml:
    """Sanitise a mail's HTML body for display.

    Args:
        html: The body as the server stored it (a whole document or a fragment).
        allow_remote: The user asked to see remote content for this message: keep http(s) images, backgrounds,
            style sheets and fonts. Everything active is removed either way.

    Returns:
        The fragment to display, the number of blocked remote references and the inline parts referenced.
    """
    policy = _Policy(allow_remote=allow_remote)
    styles = [sanitize_css(block, policy=policy) for block in _STYLE_BLOCK.findall(html)]
    styles = [css for css in styles if css]
    body = _clean(html, policy)
    wrapper = '<div class="mr-body">'
    body_style = _body_style(html)
    if body_style:
        opening = _clean(f'<div class="mr-body" style="{html_lib.escape(body_style)}"></div>', policy)
        if opening.endswith("</div>"):
            wrapper = opening[: -len("</div>")]
    parts = [f"<style>\n{chr(10).join(styles)}\n</style>"] if styles else []
    parts.append(f"{wrapper}{body}</div>")
    return SanitizedHtml("".join(parts), policy.blocked, frozenset(policy.cids))


# ---------------------------------------------------------------------------------------------------------------
# Plain text

_LINKABLE = re.compile(
    r"""(?P<url>\b(?:https?://|www\.)[^\s<>"'`]+)
      | (?P<mailto>\bmailto:[^\s<>"'`]+)
      | (?P<email>\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b)""",
    re.I | re.X,
)
_TRAILING_PUNCTUATION = ".,;:!?'\"*_"


def _trim_link(text: str) -> str:
    """Drop trailing punctuation that belongs to the sentence, keeping balanced parentheses."""
    closers = {")": "(", "]": "[", "}": "{", ">": "<"}
    while text:
        last = text[-1]
        unbalanced = last in closers and text.count(closers[last]) < text.count(last)
        if last not in _TRAILING_PUNCTUATION and not unbalanced:
            break
        text = text[:-1]
    return text


def _linkify_line(line: str) -> str:
    out: list[str] = []
    pos = 0
    for match in _LINKABLE.finditer(line):
        if match.start() < pos:
            continue
        text = _trim_link(match.group())
        if not text or (match.lastgroup == "url" and text.lower() in ("http://", "https://", "www.")):
            continue
        if match.lastgroup == "url":
            href = text if text.lower().startswith(("http://", "https://")) else "https://" + text
        elif match.lastgroup == "mailto":
            href = text
        else:
            href = "mailto:" + text
        out.append(html_lib.escape(line[pos : match.start()], quote=False))
        out.append(f'<a href="{html_lib.escape(href, quote=True)}">{html_lib.escape(text, quote=False)}</a>')
        pos = match.start() + len(text)
    out.append(html_lib.escape(line[pos:], quote=False))
    return "".join(out)


def text_to_html(text: str) -> str:
    """Render a plain-text body as an HTML fragment: escaped, links made clickable, line breaks kept.

    Lines quoted with ``>`` are marked (``class="mr-quote"``) so that the pane can dim them.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rendered = []
    for line in lines:
        html_line = _linkify_line(line)
        if line.lstrip().startswith(">"):
            html_line = f'<span class="mr-quote">{html_line}</span>'
        rendered.append(html_line)
    body = "\n".join(rendered)
    return (
        '<div class="mr-plain" style="white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word">'
        f"{body}</div>"
    )
