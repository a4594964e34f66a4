"""app.domain.vcard: vCard 3.0 and 4.0 round trips, 4.0 input conventions, bad files refused whole."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.domain.contacts import Contact, PostalAddress
from app.domain.vcard import VCardError, export_vcards, parse_vcards

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
    (b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n", "not a valid vCard"),
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
