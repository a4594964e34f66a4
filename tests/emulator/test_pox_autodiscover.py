"""POX (Outlook) Autodiscover at /autodiscover/autodiscover.xml, over HTTP, and the quirks that switch
Autodiscover endpoints off (servers that have none of them answer 404 before asking anyone to sign in)."""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from ews_emulator.pox_autodiscover import OUTLOOK_NS, REQUEST_NS, RESPONSE_NS, server_version_hex

WAIT = 10
ALICE = ("alice@example.com", "alice-pass")


def pox_url(emu) -> str:
    return emu.base_url + "/autodiscover/autodiscover.xml"


def ask(emu, address: str, schema: str = OUTLOOK_NS, auth=ALICE) -> requests.Response:
    body = (f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{REQUEST_NS}"><Request>'
            f"<EMailAddress>{address}</EMailAddress><AcceptableResponseSchema>{schema}</AcceptableResponseSchema>"
            "</Request></Autodiscover>")
    return requests.post(pox_url(emu), data=body.encode(), auth=auth, timeout=WAIT,
                         headers={"Content-Type": "text/xml; charset=utf-8"})


def _o(path: str) -> str:
    return "/".join(f"{{{OUTLOOK_NS}}}{part}" for part in path.split("/"))


def test_outlook_settings_with_ews_urls_and_automapped_mailboxes(emulator) -> None:
    answer = ask(emulator, "alice@example.com")
    assert answer.status_code == 200
    root = etree.fromstring(answer.content)
    assert root.tag == f"{{{RESPONSE_NS}}}Autodiscover"
    response = root.find(_o("Response"))
    assert response is not None
    assert [etree.QName(c).localname for c in response] == ["User", "Account"]
    assert response.findtext(_o("User/DisplayName")) == "Alice Archer"
    assert response.findtext(_o("User/AutoDiscoverSMTPAddress")) == "alice@example.com"
    account = response.find(_o("Account"))
    assert account.findtext(_o("AccountType")) == "email" and account.findtext(_o("Action")) == "settings"
    protocols = {p.findtext(_o("Type")): p for p in account.iterfind(_o("Protocol"))}
    assert set(protocols) == {"EXCH", "EXPR"}
    for protocol in protocols.values():
        assert protocol.findtext(_o("EwsUrl")) == emulator.ews_url
    assert protocols["EXPR"].findtext(_o("SSL")) == "Off"  # the emulator under test speaks plain HTTP
    delegates = [(a.findtext(_o("Type")), a.findtext(_o("SmtpAddress")))
                 for a in account.iterfind(_o("AlternativeMailbox"))]
    assert delegates == [("Delegate", "support@example.com")]  # billing@: Full Access without automapping


def test_server_version_encodes_the_build() -> None:
    value = int(server_version_hex(), 16)
    assert (value >> 28, (value >> 22) & 0x3F, (value >> 16) & 0x3F, value & 0x7FFF) == (0b0111, 15, 2, 2562)


def test_unknown_address_is_error_500_with_http_200(emulator) -> None:
    answer = ask(emulator, "nobody@example.com")
    assert answer.status_code == 200
    root = etree.fromstring(answer.content)
    assert root.findtext(_o("Response/Error/ErrorCode")) == "500"
    assert root.find(_o("Response/Error")).get("Time")


@pytest.mark.parametrize(("schema", "code"), [("http://example.com/other", "601"), ("", "600")])
def test_other_schema_or_bad_request(emulator, schema: str, code: str) -> None:
    root = etree.fromstring(ask(emulator, "alice@example.com", schema=schema).content)
    assert root.findtext(f"{{{RESPONSE_NS}}}Response/{{{RESPONSE_NS}}}Error/{{{RESPONSE_NS}}}ErrorCode") == code


def test_it_asks_to_sign_in_first(emulator) -> None:
    assert ask(emulator, "alice@example.com", auth=None).status_code == 401


def test_quirks_switch_the_autodiscover_endpoints_off(start_fresh_emulator) -> None:
    soap_less = start_fresh_emulator(quirks=["no-soap-autodiscover"])
    assert requests.post(soap_less.autodiscover_url, data=b"", timeout=WAIT).status_code == 404  # before any 401
    assert ask(soap_less, "alice@example.com").status_code == 200
    bare = start_fresh_emulator(quirks=["no-soap-autodiscover", "no-pox-autodiscover"])
    assert ask(bare, "alice@example.com", auth=None).status_code == 404
    assert requests.post(bare.ews_url, data=b"", timeout=WAIT).status_code == 401  # EWS itself still there


def test_by_default_both_endpoints_ask_to_sign_in(emulator) -> None:
    assert requests.post(emulator.autodiscover_url, data=b"", timeout=WAIT).status_code == 401
    assert ask(emulator, "alice@example.com", auth=None).status_code == 401
