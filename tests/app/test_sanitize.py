"""The HTML sanitiser and the plain-text renderer, fed hostile input."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from app.domain.sanitize import (
    BLOCKED_IMAGE,
    UrlKind,
    classify_url,
    normalize_cid,
    sanitize_css,
    sanitize_html,
    text_to_html,
)

_FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "form", "input", "button", "meta",
    "base", "svg", "math", "textarea", "select", "video", "audio", "source", "template", "noscript", "title",
}  # fmt: skip
_URL_ATTRIBUTES = {
    "href",
    "src",
    "background",
    "action",
    "formaction",
    "poster",
    "data",
    "srcset",
    "xlink:href",
}


class _Audit(HTMLParser):
    """Collects everything in sanitiser output that could run code or reach the network."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.urls: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"tag <{tag}>")
        self._in_style = tag == "style"
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in _URL_ATTRIBUTES:
                self.urls.append((tag, name, value))
                if classify_url(value) is UrlKind.OTHER:
                    self.problems.append(f"{name}={value!r} on <{tag}>")
            if name == "style":
                self.styles.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def audit(html: str, *, remote_allowed: bool = False) -> _Audit:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    if not remote_allowed:
        for tag, name, value in parser.urls:
            if classify_url(value) is UrlKind.REMOTE and not (tag == "a" and name == "href"):
                parser.problems.append(f"remote {name}={value!r} on <{tag}>")
        for css in parser.styles:
            lowered = css.lower()
            if "http:" in lowered or "https:" in lowered or "//" in lowered.replace("://", ""):
                parser.problems.append(f"remote reference in CSS {css!r}")
    return parser


# Vectors collected from the OWASP XSS filter evasion cheat sheet, html5sec.org and mail-client advisories.
HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<img src=x onerror=alert(1)//",
    '<body onload="alert(1)">text</body>',
    "<svg/onload=alert(1)><script>alert(2)</script></svg>",
    '<svg><image href="http://tracker.example/p.png"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="file:///etc/passwd">x</a>',
    '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">',
    '<iframe src="http://evil.example"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="http://evil.example/x.swf"></object>',
    '<embed src="http://evil.example/x.swf">',
    '<form action="http://evil.example"><input name=p type=password><button formaction=x>Go</button></form>',
    '<meta http-equiv="refresh" content="0;url=http://evil.example">',
    '<base href="http://evil.example/">',
    '<link rel="import" href="http://evil.example/x.html">',
    '<video poster="http://tracker.example/p.png"><source src="http://evil.example/v.mp4"></video>',
    '<img srcset="http://tracker.example/p.png 1x">',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width: expression(alert(1))">x</div>',
    '<div style="behavior: url(x.htc); -moz-binding: url(http://evil.example/x.xml#x)">x</div>',
    "<style>@import 'http://evil.example/x.css';</style>",
    '<style>a{content:"</style><img src=x onerror=alert(1)>"}</style>',
    '<style>a{content:"\\3c /style\\3e \\3c script\\3e alert(1)\\3c /script\\3e"}</style>',
    "<style>.x{background:u\\72l(http://tracker.example/a.png)}</style>",
    '<style>.x{background-image:image-set("ht\\74p://tracker.example/a.png" 1x)}</style>',
    "<p style=\"background:URL( '//tracker.example/a.png' )\">x</p>",
    "<!--[if gte mso 9]><script>alert(1)</script><![endif]-->text",
    '<table background="javascript:alert(1)"><tr><td background="http://tracker.example/bg.png">x</td></tr></table>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
    '<xmp><p title="</xmp><img src=x onerror=alert(1)>"></xmp>',
    '<a href="#" onclick="alert(1)" target="_blank" ping="http://tracker.example/">x</a>',
]


@pytest.mark.parametrize("vector", HOSTILE)
def test_hostile_html_comes_out_inert(vector: str) -> None:
    result = sanitize_html(vector, allow_remote=False)
    report = audit(result.html)
    assert report.problems == []
    lowered = result.html.lower()
    assert "<script" not in lowered
    assert "javascript:" not in lowered
    assert "vbscript:" not in lowered
    assert "expression(" not in lowered


@pytest.mark.parametrize("vector", HOSTILE)
def test_hostile_html_stays_inert_with_remote_content_allowed(vector: str) -> None:
    result = sanitize_html(vector, allow_remote=True)
    assert audit(result.html, remote_allowed=True).problems == []
    assert result.blocked_remote == 0


def test_scripts_and_handlers_are_removed_with_their_content() -> None:
    result = sanitize_html('<p onclick="x()">Hello</p><script>var secret = 1;</script>', allow_remote=False)
    assert "Hello" in result.html
    assert "secret" not in result.html
    assert "onclick" not in result.html


def test_a_style_block_cannot_close_its_element() -> None:
    result = sanitize_html('<style>p{color:red;content:"\\3c/style\\3e"}</style><p>x</p>', allow_remote=False)
    style = result.html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "<" not in style
    assert "color:red" in style


def test_remote_images_are_replaced_and_counted() -> None:
    html = (
        '<img src="http://tracker.example/open.gif" width="1" height="1">'
        '<img src="https://cdn.example/logo.png" alt="Logo" width="120" height="40">'
        '<img src="//cdn.example/proto.png">'
    )
    result = sanitize_html(html, allow_remote=False)
    assert result.blocked_remote == 3
    assert "example" not in result.html
    assert result.html.count(BLOCKED_IMAGE) == 3
    assert 'width="120"' in result.html and 'alt="Logo"' in result.html

    allowed = sanitize_html(html, allow_remote=True)
    assert allowed.blocked_remote == 0
    assert 'src="https://cdn.example/logo.png"' in allowed.html
    assert 'src="https://cdn.example/proto.png"' in allowed.html  # protocol-relative made explicit


def test_remote_backgrounds_css_and_style_sheets_are_blocked_and_counted() -> None:
    html = (
        "<html><head>"
        '<link rel="stylesheet" href="https://fonts.example/css?family=Inter">'
        "<style>@import url(https://cdn.example/a.css); @font-face{font-family:X;src:url(https://f.example/x.woff2)}"
        ".hero{background:#fff u\\72l('https://cdn.example/hero.jpg') no-repeat}</style></head>"
        '<body background="https://cdn.example/body.png">'
        '<table background="http://cdn.example/t.png"><tr>'
        '<td style="background-image: url(&quot;https://cdn.example/td.png&quot;); color: #333">Hi</td>'
        "</tr></table></body></html>"
    )
    result = sanitize_html(html, allow_remote=False)
    assert result.blocked_remote == 7
    assert audit(result.html).problems == []
    assert "color:#333" in result.html.replace(" ", "")
    assert "Inter" not in result.html

    allowed = sanitize_html(html, allow_remote=True)
    assert allowed.blocked_remote == 0
    for url in ("fonts.example/css", "cdn.example/a.css", "f.example/x.woff2", "cdn.example/hero.jpg",
                "cdn.example/body.png", "cdn.example/t.png", "cdn.example/td.png"):  # fmt: skip
        assert url in allowed.html, url


def test_inline_images_and_data_images_are_kept() -> None:
    html = (
        '<img src="cid:image001.png@01DA1234.ABCD">'
        '<img src="CID:Logo%40Company">'
        '<div style="background:url(cid:bg@x)">x</div>'
        '<img src="data:image/png;base64,iVBORw0KGgo=">'
    )
    result = sanitize_html(html, allow_remote=False)
    assert result.blocked_remote == 0
    assert result.inline_cids == {"image001.png@01da1234.abcd", "logo@company", "bg@x"}
    assert 'src="cid:image001.png@01DA1234.ABCD"' in result.html
    assert "data:image/png;base64,iVBORw0KGgo=" in result.html


def test_links_keep_web_mail_and_phone_targets_only() -> None:
    html = (
        '<a href="https://example.com/a?b=1&amp;c=2">web</a>'
        '<a href="mailto:bob@example.com?subject=Hi">mail</a>'
        '<a href="tel:+441234567">phone</a>'
        '<a href="#section">anchor</a>'
        '<a href="relative/path.html">relative</a>'
        '<a href="ftp://example.com/file">ftp</a>'
        '<a href="cid:part1">cid</a>'
    )
    result = sanitize_html(html, allow_remote=False)
    assert 'href="https://example.com/a?b=1&amp;c=2"' in result.html
    assert 'href="mailto:bob@example.com?subject=Hi"' in result.html
    assert 'href="tel:+441234567"' in result.html
    assert 'href="#section"' in result.html
    for dropped in ("relative/path.html", "ftp://", "cid:part1"):
        assert dropped not in result.html
    assert result.blocked_remote == 0  # links are not remote content: nothing loads until clicked


def test_layout_markup_of_real_mail_survives() -> None:
    html = (
        '<table width="600" cellpadding="0" cellspacing="0" border="0" align="center" bgcolor="#ffffff">'
        '<tr><td valign="top" style="padding: 12px 24px; font-family: Arial, sans-serif; font-size: 14px; '
        'color: #333333; position: fixed; top: 0">'
        '<font face="Calibri" color="#1f497d" size="3">Hello <b>team</b></font>'
        '<p class="MsoNormal" style="margin:0cm">Line<o:p>&nbsp;</o:p></p></td></tr></table>'
    )
    result = sanitize_html(html, allow_remote=False)
    for kept in ('width="600"', 'cellpadding="0"', 'bgcolor="#ffffff"', 'face="Calibri"', 'class="MsoNormal"',
                 "padding:12px 24px", "font-size:14px"):  # fmt: skip
        assert kept in result.html, kept
    assert "position" not in result.html
    assert "o:p" not in result.html


def test_body_presentation_moves_to_the_wrapper() -> None:
    result = sanitize_html(
        '<html><body bgcolor="#f0f0f0" text="#222" style="margin:0"><p>x</p></body></html>',
        allow_remote=False,
    )
    assert result.html.startswith('<div class="mr-body" style="')
    wrapper = result.html.split(">", 1)[0]
    assert "background-color:#f0f0f0" in wrapper and "color:#222" in wrapper


def test_body_background_image_is_a_remote_reference() -> None:
    result = sanitize_html(
        '<body background="http://t.example/b.png" onload="x()">x</body>', allow_remote=False
    )
    assert result.blocked_remote == 1
    assert "t.example" not in result.html and "onload" not in result.html


def test_word_conditional_comments_and_office_xml_leave_no_text() -> None:
    html = (
        "<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:AllowPNG/></o:OfficeDocumentSettings></xml>"
        "<![endif]--><xml><w:WordDocument>Clean</w:WordDocument></xml><p>Body</p>"
    )
    result = sanitize_html(html, allow_remote=False)
    assert "Body" in result.html
    assert "Clean" not in result.html and "AllowPNG" not in result.html


def test_css_tokens_are_rewritten_not_reinterpreted() -> None:
    css = (
        '/* comment url(http://x.example) */ .a::before{content:"\\22;background:url(http://e.example)"} '
        "<!-- .b{color:red} --> .c{background:url(  'data:image/png;base64,AA==' )}"
    )
    out = sanitize_css(css, allow_remote=False)
    assert "x.example" not in out  # comments go
    assert ".b{color:red}" in out  # CDO/CDC dropped, the rule stays
    assert 'url("data:image/png;base64,AA==")' in out
    # The escaped quote stays inside the string: the browser sees the same single string token.
    assert 'content:"\\"' in out and "e.example" in out


def test_css_string_urls_are_blocked_but_text_strings_stay() -> None:
    out = sanitize_css(
        'a{font-family:"Segoe UI";content:"Note: read"} @import "https://e.example/a.css";',
        allow_remote=False,
    )
    assert '"Segoe UI"' in out and '"Note: read"' in out
    assert "e.example" not in out


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("http://example.com", UrlKind.REMOTE),
        ("  HTTPS://example.com", UrlKind.REMOTE),
        ("//example.com/x", UrlKind.REMOTE),
        ("\\\\example.com\\x", UrlKind.REMOTE),
        ("cid:a@b", UrlKind.CID),
        ("mailto:a@b.c", UrlKind.CONTACT),
        ("#top", UrlKind.FRAGMENT),
        ("data:image/png;base64,AA", UrlKind.DATA_IMAGE),
        ("data:image/svg+xml,<svg/>", UrlKind.OTHER),
        ("data:text/html,<script>", UrlKind.OTHER),
        ("java\tscript:alert(1)", UrlKind.OTHER),
        ("\x01javascript:alert(1)", UrlKind.OTHER),
        ("relative.png", UrlKind.OTHER),
        ("file:///etc/passwd", UrlKind.OTHER),
    ],
)
def test_classify_url(value: str, kind: UrlKind) -> None:
    assert classify_url(value) is kind


def test_normalize_cid_matches_headers_and_urls() -> None:
    assert (
        normalize_cid("<Image001.PNG@01DA>")
        == normalize_cid("cid:image001.png%4001DA")
        == "image001.png@01da"
    )


# ---------------------------------------------------------------------------------------------------------------
# Plain text


def test_plain_text_is_escaped_and_keeps_line_breaks() -> None:
    html = text_to_html("Hello <b>Bob</b> & <script>alert(1)</script>\r\nSecond line\n\n  indented")
    assert "&lt;b&gt;Bob&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "<script" not in html and "<b>" not in html
    assert "Second line\n\n  indented" in html
    assert "white-space:pre-wrap" in html


def test_plain_text_links_are_made_clickable() -> None:
    html = text_to_html(
        "See https://example.com/a?b=1&c=2. Or (www.example.org/x_(y)), write to bob@example.com!"
        " javascript:alert(1) http://"
    )
    assert '<a href="https://example.com/a?b=1&amp;c=2">https://example.com/a?b=1&amp;c=2</a>.' in html
    assert '<a href="https://www.example.org/x_(y)">www.example.org/x_(y)</a>)' in html
    assert '<a href="mailto:bob@example.com">bob@example.com</a>!' in html
    assert 'href="javascript' not in html
    assert html.count("<a ") == 3


def test_plain_text_link_cannot_break_out_of_its_attribute() -> None:
    html = text_to_html('https://example.com/"onmouseover="alert(1) https://e.example/<img>')
    assert audit(html).problems == []  # no event handler attribute, no odd URL
    assert '<a href="https://example.com/">' in html


def test_quoted_lines_are_marked() -> None:
    html = text_to_html("Reply\n> original\n>> older")
    assert html.count('class="mr-quote"') == 2
