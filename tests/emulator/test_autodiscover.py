"""SOAP Autodiscover (GetUserSettings) over real HTTP, driven by exchangelib's autodiscover building blocks.

exchangelib's ``discover()`` only tries https URLs derived from the domain, so these tests point an
``AutodiscoverProtocol`` straight at the emulator's endpoint, as ``../shared/reference/exchangelib-5.6.md``
section 1 shows. AlternateMailboxes is read from the raw elements (exchangelib 5.6.0 does not parse it).
"""

from __future__ import annotations

import pytest
import requests
from lxml import etree

from ews_emulator.soap import AD_NS, SOAP_NS, WSA_NS

A = f"{{{AD_NS}}}"
WAIT = 10


def protocol(emu, user: str):
    from exchangelib import NTLM, Configuration, Credentials
    from exchangelib.autodiscover import AutodiscoverProtocol

    creds = Credentials(f"{user}@example.com", f"{user}-pass")
    return AutodiscoverProtocol(config=Configuration(service_endpoint=emu.autodiscover_url, credentials=creds,
                                                     auth_type=NTLM))


def alternate_mailboxes(emu, user: str, target: str | None = None) -> list[dict[str, str]]:
    """AlternateMailboxes of ``target`` (default: the user) as seen by ``user``, from the raw response."""
    from exchangelib.services import GetUserSettings

    svc = GetUserSettings(protocol=protocol(emu, user))
    out = []
    payload = svc.get_payload(users=[target or f"{user}@example.com"], settings=["alternate_mailboxes"])
    for ur in svc._get_elements(payload=payload):
        for mb in ur.iterfind(f".//{A}AlternateMailbox"):
            out.append({etree.QName(c).localname: c.text for c in mb})
    return out


@pytest.mark.parametrize(("user", "expected"), [
    ("alice", ["support@example.com"]),  # billing is Full Access too, but with automapping off
    ("bob", ["sales@example.com"]),
    ("carol", ["hr@example.com", "support@example.com"]),
    ("dave", []),
])
def test_alternate_mailboxes_list_only_automapped_full_access(emulator, user, expected) -> None:
    boxes = alternate_mailboxes(emulator, user)
    assert sorted(b["SmtpAddress"] for b in boxes) == expected
    names = {"support@example.com": "Customer Support", "sales@example.com": "Sales Team",
             "hr@example.com": "Human Resources"}
    for box in boxes:
        assert list(box) == ["Type", "DisplayName", "LegacyDN", "Server", "SmtpAddress", "OwnerSmtpAddress"]
        assert box["Type"] == "Delegate"
        assert box["DisplayName"] == names[box["SmtpAddress"]]
        assert box["OwnerSmtpAddress"] == box["SmtpAddress"]
        assert box["LegacyDN"].startswith("/o=") and box["Server"].endswith("@example.com")


def test_user_settings_point_at_the_emulator(emulator) -> None:
    response = protocol(emulator, "alice").get_user_settings("alice@example.com")
    response.raise_errors()  # only harmless SettingIsNotAvailable errors
    settings = response.user_settings
    assert settings["user_display_name"] == "Alice Archer"
    assert response.ews_url == emulator.ews_url
    assert settings["internal_ews_url"] == emulator.ews_url
    assert response.version.api_version == "Exchange2016"
    assert settings["ews_supported_schemas"].split(", ")[-1] == "Exchange2016"
    assert settings["cas_version"] == "15.02.2562.017"
    assert settings["user_dn"].endswith("-alice")
    assert settings["alternate_mailboxes"] is None  # exchangelib keeps only <Value>: the documented 5.6.0 gap
    assert all(code == "SettingIsNotAvailable" for code, _ in response.user_settings_errors.values())


def test_any_mailbox_of_the_organisation_is_answered(emulator) -> None:
    """Autodiscover checks no mailbox rights: dave learns support@'s settings, as from Exchange."""
    response = protocol(emulator, "dave").get_user_settings("support@example.com")
    response.raise_errors()
    assert response.user_settings["user_display_name"] == "Customer Support"
    assert response.ews_url == emulator.ews_url
    assert sorted(b["SmtpAddress"] for b in alternate_mailboxes(emulator, "dave", "carol@example.com")) == \
        ["hr@example.com", "support@example.com"]


@pytest.mark.parametrize("address", ["nobody@example.com", "team@example.com", "alice@contoso.com"])
def test_unknown_user_is_invalid_user(emulator, address) -> None:
    from exchangelib.errors import ErrorNonExistentMailbox

    response = protocol(emulator, "alice").get_user_settings(address)
    assert response.error_code == "InvalidUser"
    with pytest.raises(ErrorNonExistentMailbox):
        response.raise_errors()


def _raw(emu, body: str, auth=("alice@example.com", "alice-pass")) -> requests.Response:
    return requests.post(emu.autodiscover_url, data=body.encode(), auth=auth, timeout=WAIT,
                         headers={"Content-Type": "text/xml; charset=utf-8"})


def _request(settings: list[str], users: list[str], version: str | None = "Exchange2016") -> str:
    header = f"<a:RequestedServerVersion>{version}</a:RequestedServerVersion>" if version else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:a="{AD_NS}"'
            f' xmlns:wsa="{WSA_NS}"><soap:Header>{header}'
            "<wsa:Action>http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/GetUserSettings"
            "</wsa:Action></soap:Header><soap:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users>"
            + "".join(f"<a:User><a:Mailbox>{u}</a:Mailbox></a:User>" for u in users)
            + "</a:Users><a:RequestedSettings>"
            + "".join(f"<a:Setting>{s}</a:Setting>" for s in settings)
            + "</a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></soap:Body></soap:Envelope>")


def test_response_envelope_has_the_autodiscover_header_and_element_order(emulator) -> None:
    r = _raw(emulator, _request(["UserDisplayName", "NoSuchSetting", "InternalOABUrl"],
                                ["bob@example.com", "ghost@example.com"]))
    assert r.status_code == 200
    root = etree.fromstring(r.content)
    header = root.find(f"{{{SOAP_NS}}}Header")
    assert header.findtext(f"{{{WSA_NS}}}Action").endswith("/Autodiscover/GetUserSettingsResponse")
    info = header.find(f"{A}ServerVersionInfo")
    assert [etree.QName(c).localname for c in info] == ["MajorVersion", "MinorVersion", "MajorBuildNumber",
                                                         "MinorBuildNumber", "Version"]
    assert [c.text for c in info][:4] == ["15", "2", "2562", "17"]
    response = root.find(f"{{{SOAP_NS}}}Body/{A}GetUserSettingsResponseMessage/{A}Response")
    assert response.findtext(f"{A}ErrorCode") == "NoError"
    bob, ghost = response.findall(f"{A}UserResponses/{A}UserResponse")
    assert [etree.QName(c).localname for c in bob] == ["ErrorCode", "ErrorMessage", "RedirectTarget",
                                                        "UserSettingErrors", "UserSettings"]
    errors = {e.findtext(f"{A}SettingName"): e.findtext(f"{A}ErrorCode")
              for e in bob.iterfind(f"{A}UserSettingErrors/{A}UserSettingError")}
    assert errors == {"NoSuchSetting": "InvalidSetting", "InternalOABUrl": "SettingIsNotAvailable"}
    setting = bob.find(f"{A}UserSettings/{A}UserSetting")
    assert setting.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "StringSetting"
    assert (setting.findtext(f"{A}Name"), setting.findtext(f"{A}Value")) == ("UserDisplayName", "Bob Baker")
    assert ghost.findtext(f"{A}ErrorCode") == "InvalidUser"


def test_missing_requested_server_version_is_an_invalid_request(emulator) -> None:
    root = etree.fromstring(_raw(emulator, _request(["UserDisplayName"], ["bob@example.com"], None)).content)
    response = root.find(f".//{A}Response")
    assert response.findtext(f"{A}ErrorCode") == "InvalidRequest"
    assert len(response.find(f"{A}UserResponses")) == 0


def test_malformed_request_is_a_fault_and_unauthenticated_is_401(emulator) -> None:
    assert _raw(emulator, "<not xml").status_code == 500
    assert _raw(emulator, _request(["UserDisplayName"], ["bob@example.com"]), auth=None).status_code == 401
    assert _raw(emulator, _request(["UserDisplayName"], ["bob@example.com"]),
                auth=("alice@example.com", "wrong")).status_code == 401
