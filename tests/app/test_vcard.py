"""app.domain.vcard: vCard 3.0 and 4.0 round trips, 4.0 input conventions, bad files refused whole."""

from __future__ import annotations

import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from app.domain.contacts import Contact, PostalAddress
from app.domain.vcard import (
    MAX_BYTES,
    MAX_CARD_LINES,
    VCardError,
    export_vcards,
    parse_vcards,
    read_vcard_file,
)

ZOE = Contact(display_name="Zoë O'Brien, Jr.", given_name="Zoë", surname="O'Brien", company="Fabrikam; Inc", department="Finance",
              job_title="CFO", emails=["zoe@fabrikam.com", "z@example.org"],
              phones={"BusinessPhone": "+44 20 7946 0000", "MobilePhone": "+44 7700 900123"},
              addresses=[PostalAddress("Business", "1 Main St, Floor 2", "London", "", "EC1A 1BB", "UK")],
              notes="Line one\nline, two; three " + "x" * 120, notes_loaded=True)
BOB = Contact(display_name="Bob", given_name="Bob", emails=["bob@example.com"], notes_loaded=True)


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_round_trip(version: str) -> None:
    text = export_vcards([ZOE, BOB], version)
    assert f"VERSION:{version}" in text and "\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert parse_vcards(text.encode()) == [ZOE, BOB]


def test_version_4_conventions_are_written() -> None:
    text = export_vcards([ZOE], "4.0")
    assert "KIND:individual" in text
    assert "TEL;TYPE=\"cell,voice\";VALUE=uri:tel:+44-7700-900123" in text
    assert "EMAIL;PREF=1;TYPE=work:zoe@fabrikam.com" in text


def test_reads_version_4_from_elsewhere() -> None:
    data = (b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n"
            b"EMAIL;TYPE=home:jane@home.example\r\nEMAIL;PREF=1;TYPE=work:jane@work.example\r\n"
            b"TEL;VALUE=uri;TYPE=\"voice,cell\":tel:+1-555-555-5555;ext=1\r\n"
            b"ADR;TYPE=home:;;2 Side Rd;Town;;123;US\r\nORG:Acme;R&D\r\nEND:VCARD\r\n"
            b"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Team\r\nEND:VCARD\r\n")
    [jane] = parse_vcards(data)
    assert jane.emails == ["jane@work.example", "jane@home.example"]
    assert jane.phones == {"MobilePhone": "+1 555 555 5555"}
    assert jane.addresses == [PostalAddress("Home", "2 Side Rd", "Town", "", "123", "US")]
    assert (jane.company, jane.department) == ("Acme", "R&D") and (jane.given_name, jane.surname) == ("Jane", "Doe")


@pytest.mark.parametrize(("data", "message"), [
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    (b"hello", "no vCard"),
    (b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Old\r\nEND:VCARD\r\n", "version 2.1 is not supported"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ok\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad\r\n"
     b"EMAIL:not-an-address\r\nEND:VCARD\r\n", "Card 2 (Bad): 'not-an-address' is not an e-mail address"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n", "begun on line 1 never ends"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nTITLE:x\r\nEND:VCARD\r\n", "no name"),
])
def test_bad_files_are_refused_whole(data: bytes, message: str) -> None:
    with pytest.raises(VCardError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_vcards(data)


def test_limits() -> None:
    one = export_vcards([BOB]).encode()
    with pytest.raises(VCardError, match="too large"):
        parse_vcards(one * 10, max_bytes=len(one) * 5)
    with pytest.raises(VCardError, match="more than 3 cards"):
        parse_vcards(one * 4, max_cards=3)
    assert len(parse_vcards(one * 3, max_cards=3)) == 3


def test_keeps_three_addresses_at_most() -> None:
    many = replace(BOB, emails=[f"b{i}@example.com" for i in range(5)])
    [back] = parse_vcards(export_vcards([many]).encode())
    assert back.emails == ["b0@example.com", "b1@example.com", "b2@example.com"]


# -- hostile files: each refused with words (and its line), before anything is created ---------------------------
GOOD = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Good %d\r\nEMAIL:good%d@example.com\r\nEND:VCARD\r\n"


def _good(n: int) -> bytes:
    return b"".join(GOOD % (i, i) for i in range(n))


def test_a_huge_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """A sparse 2 GB file: refused on its size, and memory stays flat (nothing of it is read)."""
    big = tmp_path / "huge.vcf"
    with big.open("wb") as file:
        file.truncate(2 * 1024 ** 3)
    tracemalloc.start()
    try:
        with pytest.raises(VCardError, match=r"huge.vcf is too large to import \(2,048.0 MB\).*up to 5 MB"):
            read_vcard_file(big)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024, f"{peak:,} bytes allocated to refuse the file"


def test_a_file_without_a_size_is_read_no_further_than_the_limit(tmp_path: Path) -> None:
    """A file that says nothing of its size (a device): at most the limit and one byte are read."""
    with pytest.raises(VCardError, match="zero is too large to import: Mailroom imports vCard files of up to"):
        read_vcard_file(Path("/dev/zero"), max_bytes=1024)
    small = tmp_path / "ok.vcf"
    small.write_bytes(_good(2))
    assert read_vcard_file(small) == _good(2)
    with pytest.raises(VCardError, match="missing.vcf cannot be read: No such file"):
        read_vcard_file(tmp_path / "missing.vcf")


def test_deep_nesting_is_refused_without_recursion() -> None:
    depth = 10_000
    data = (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Outer\r\n" + b"BEGIN:VCARD\r\n" * depth
            + b"END:VCARD\r\n" * (depth + 1))
    with pytest.raises(VCardError, match="Line 4: BEGIN:VCARD inside the card begun on line 1"):
        parse_vcards(data)


@pytest.mark.parametrize("line", [
    b"FN;CHARSET=bogus-xx;ENCODING=QUOTED-PRINTABLE:J=C3=B6rg",
    b"FN;CHARSET=bogus-xx:Jorg",
])
def test_an_unknown_charset_is_named(line: bytes) -> None:
    data = _good(2) + b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + line + b"\r\nEND:VCARD\r\n"
    with pytest.raises(VCardError, match="Line 13: the character set 'bogus-xx' is not known"):
        parse_vcards(data)


@pytest.mark.parametrize(("line", "what"), [
    (b"FN:" + b"a" * 32_000, "display name is 32,000 characters long"),
    (b"FN:Ok\r\nN:" + b"b" * 256 + b";Given;;;", "last name is 256 characters long"),
    (b"FN:Ok\r\nN:Family;" + b"c" * 300 + b";;;", "first name is 300 characters long"),
    (b"FN:Ok\r\nORG:" + b"d" * 1000, "company is 1,000 characters long"),
    (b"FN:Ok\r\nNOTE:" + b"e" * (33 * 1024), "notes is 33,792 characters long; Exchange takes at most 32,768"),
])
def test_values_longer_than_exchange_takes_are_refused(line: bytes, what: str) -> None:
    """Exchange's limits (app.domain.contacts.MAX_FIELD_CHARS): 255 for one-line fields, folded lines included."""
    card = b"BEGIN:VCARD\r\nVERSION:3.0\r\n" + line + b"\r\nEND:VCARD\r\n"
    folded = export_vcards(parse_vcards(_good(1))).encode()  # a card as the exporter writes it, for the line number
    second = folded.count(b"\n") + 1
    with pytest.raises(VCardError, match=f"Card 2 \\(line {second}\\): the {what}"):
        parse_vcards(folded + card)
    long_name = replace(BOB, display_name="x" * 256)
    with pytest.raises(VCardError, match="Card 1 \\(line 1\\): the display name is 256 characters"):
        parse_vcards(export_vcards([long_name]).encode())  # folded over several lines
    assert parse_vcards(export_vcards([replace(BOB, display_name="x" * 255)]).encode())[0].display_name == "x" * 255


@pytest.mark.parametrize(("data", "message"), [
    (bytes(range(256)) * 64, r"not UTF-8 text \(line 2, byte 128\)"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\x00B\r\nEND:VCARD\r\n", r"Line 3 holds binary data \(character U\+0000\)"),
    (_good(1) + b"\x1b[31mhello\r\n", "Line 6 holds binary data"),
    (_good(1) + b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nnonsense without colon\r\nEND:VCARD\r\n",
     "Line 9 is not a vCard line"),
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:" + b"x" * 40_000 + b"\r\nEND:VCARD\r\n", "Line 3: the line is longer than"),
    (_good(1) + b"END:VCARD\r\n", "Line 6: END:VCARD without a BEGIN:VCARD"),
    (_good(1) + b"FN:stray\r\n", "Line 6 is outside any card"),
    (b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\nBEGIN:VCARD\r\n", "Line 1: expected BEGIN:VCARD, found BEGIN:VCALENDAR"),
])
def test_garbage_is_refused_with_the_line(data: bytes, message: str) -> None:
    with pytest.raises(VCardError, match=message):
        parse_vcards(data)


def test_one_bad_card_among_good_ones_refuses_the_whole_file() -> None:
    bad = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Bad\r\nN:" + b"z" * 400 + b";;;;\r\nEND:VCARD\r\n"
    with pytest.raises(VCardError, match=r"Card 3 \(line 11\): the last name is 400 characters long"):
        parse_vcards(_good(2) + bad + _good(3))
    assert len(parse_vcards(_good(5))) == 5


def test_a_card_of_endless_lines_is_refused_before_vobject_reads_it() -> None:
    """5 MB of TEL lines in one card took vobject 200 s and 320 MB; the prescan refuses it at line 1,001."""
    lines = (MAX_BYTES - 100) // len(b"TEL:1\r\n")
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n" + b"TEL:1\r\n" * lines + b"END:VCARD\r\n"
    started = time.perf_counter()
    with pytest.raises(VCardError, match="Card 1 \\(line 1\\) has more than 1,000 lines"):
        parse_vcards(data)
    assert time.perf_counter() - started < 5
    fine = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n" + b"TEL:1\r\n" * (MAX_CARD_LINES - 2) + b"END:VCARD\r\n"
    assert parse_vcards(_good(1) + fine)[1].phones == {"OtherTelephone": "1"}


def test_a_large_photo_from_another_program_does_not_refuse_the_card() -> None:
    """A 200 KB base64 PHOTO (as phones export them) is longer than any text line may be, and is not refused."""
    photo = b"PHOTO;ENCODING=b;TYPE=JPEG:" + b"\r\n ".join([b"QUJD" * 18] * 2800)
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:With photo\r\n" + photo + b"\r\nEND:VCARD\r\n"
    assert len(data) > 200_000
    [contact] = parse_vcards(data)
    assert contact.display_name == "With photo"
