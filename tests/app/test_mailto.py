"""``mailto:`` links (RFC 6068): what they fill in, and what they must not."""

from __future__ import annotations

import pytest

from app.domain.mailto import MAX_LINK_CHARS, MAX_RECIPIENTS, MailtoError, MailtoLink, is_mailto, parse_mailto


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mailto:someone@example.com", MailtoLink(to=["someone@example.com"])),
        ("MAILTO:Someone@Example.COM", MailtoLink(to=["Someone@Example.COM"])),
        ("  mailto:a@example.com  ", MailtoLink(to=["a@example.com"])),
        ("mailto:a@example.com,b@example.com", MailtoLink(to=["a@example.com", "b@example.com"])),
        ("mailto:a@example.com;%20b@example.com", MailtoLink(to=["a@example.com", "b@example.com"])),
        ("mailto:someone@example.com?subject=Hi", MailtoLink(to=["someone@example.com"], subject="Hi")),
        # RFC 6068 section 6.1 examples
        ("mailto:infobot@example.com?subject=current-issue",
         MailtoLink(to=["infobot@example.com"], subject="current-issue")),
        ("mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
         MailtoLink(to=["infobot@example.com"], body="send current-issue\nsend index")),
        ("mailto:?to=joe@example.com&cc=bob@example.com&body=hello",
         MailtoLink(to=["joe@example.com"], cc=["bob@example.com"], body="hello")),
        ("mailto:joe@example.com?cc=bob@example.com&body=hello",
         MailtoLink(to=["joe@example.com"], cc=["bob@example.com"], body="hello")),
        ("mailto:gorby%25kremvax@example.com", MailtoLink(to=["gorby%kremvax@example.com"])),
        ("mailto:Mike%26family@example.org", MailtoLink(to=["Mike&family@example.org"])),
        # header names without case; to= adds to the path's recipients; bcc
        ("mailto:a@example.com?TO=b@example.com&Cc=c@example.com&BCC=d@example.com&SUBJECT=x",
         MailtoLink(to=["a@example.com", "b@example.com"], cc=["c@example.com"], bcc=["d@example.com"],
                    subject="x")),
        # UTF-8 percent-encoding; '+' is a plus sign, not a space
        ("mailto:a@example.com?subject=Gr%C3%BC%C3%9Fe+aus+K%C3%B6ln",
         MailtoLink(to=["a@example.com"], subject="Grüße+aus+Köln")),
        ("mailto:a+tag@example.com", MailtoLink(to=["a+tag@example.com"])),
        # "Name <addr>" as links in the wild have it
        ("mailto:Joe%20Bloggs%20%3Cjoe@example.com%3E", MailtoLink(to=["joe@example.com"])),
        # the same address twice (any case) counts once
        ("mailto:a@example.com?cc=A@EXAMPLE.COM", MailtoLink(to=["a@example.com"])),
        # nothing at all is a valid, empty message
        ("mailto:", MailtoLink()),
        ("mailto:?subject=Only%20a%20subject", MailtoLink(subject="Only a subject")),
        # a fragment and empty pairs mean nothing
        ("mailto:a@example.com?&subject=s&&#frag", MailtoLink(to=["a@example.com"], subject="s")),
        # the first subject and body win
        ("mailto:?subject=one&subject=two&body=b1&body=b2", MailtoLink(subject="one", body="b1")),
    ],
)
def test_parses(url: str, expected: MailtoLink) -> None:
    assert parse_mailto(url) == expected


@pytest.mark.parametrize("header", ["from", "FROM", "sender", "reply-to", "attach", "attachment", "x-mailer",
                                    "in-reply-to", "bcc%0D%0Ax-injected"])
def test_other_headers_are_ignored(header: str) -> None:
    link = parse_mailto(f"mailto:a@example.com?{header}=evil@example.com&subject=ok")
    assert link == MailtoLink(to=["a@example.com"], subject="ok")


def test_subject_has_no_line_breaks() -> None:
    link = parse_mailto("mailto:a@example.com?subject=Hello%0D%0ABcc:%20spy@example.com%0Aend%09x%E2%80%A8y")
    assert "\r" not in link.subject and "\n" not in link.subject and "\u2028" not in link.subject
    assert link.subject == "Hello Bcc: spy@example.com end x y"
    assert link.bcc == []


def test_body_keeps_line_breaks_but_no_nul() -> None:
    assert parse_mailto("mailto:?body=a%0Db%0D%0Ac%0Ad%00e").body == "a\nb\nc\nde"


def test_long_subject_is_cut() -> None:
    assert len(parse_mailto("mailto:?subject=" + "x" * 5000).subject) == 998


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://example.com", "Not a mailto: link"),
        ("", "Not a mailto: link"),
        ("mailtox:a@example.com", "Not a mailto: link"),
        ("mailto:not-an-address", "not an e-mail address"),
        ("mailto:a@example.com?cc=<script>", "not an e-mail address"),
        ("mailto:a@@example.com", "not an e-mail address"),
        ("mailto:a b@example.com", "not an e-mail address"),
        ("mailto:a%0D%0Ab@example.com", "not an e-mail address"),
        ("mailto:a@example.com?subject=%ZZ", "broken %-escape in the subject"),
        ("mailto:a@example.com?body=50%", "broken %-escape in the body"),
        ("mailto:a@example.com?subject=%C3%28", "not UTF-8"),
        ("mailto:?body=" + "x" * MAX_LINK_CHARS, "too long"),
        ("mailto:" + ",".join(f"u{i}@example.com" for i in range(MAX_RECIPIENTS + 1)), "more than 100"),
        ("mailto:?cc=" + ",".join(f"u{i}@example.com" for i in range(60)) + "&bcc="
         + ",".join(f"v{i}@example.com" for i in range(60)), "more than 100"),
    ],
)
def test_junk_is_refused_with_a_reason(url: str, words: str) -> None:
    with pytest.raises(MailtoError, match=words):
        parse_mailto(url)


def test_error_text_is_one_short_line() -> None:
    with pytest.raises(MailtoError) as caught:
        parse_mailto("mailto:" + "junk\r\n" * 100)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 160


def test_exactly_the_limits_pass() -> None:
    many = ",".join(f"u{i}@example.com" for i in range(MAX_RECIPIENTS))
    assert len(parse_mailto("mailto:" + many).to) == MAX_RECIPIENTS
    url = "mailto:?body="
    assert len(parse_mailto(url + "y" * (MAX_LINK_CHARS - len(url))).body) == MAX_LINK_CHARS - len(url)


@pytest.mark.parametrize(("text", "answer"), [("mailto:x@y.z", True), ("MailTo:", True), (" mailto:a", True),
                                              ("--demo", False), ("mail:x", False), ("", False)])
def test_is_mailto(text: str, answer: bool) -> None:
    assert is_mailto(text) is answer
