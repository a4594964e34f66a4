"""POX ("plain old XML") Autodiscover at ``/autodiscover/autodiscover.xml``: what Outlook asks first.

Follows Microsoft's POX Autodiscover reference and [MS-OXDSCLI]. The request is an ``Autodiscover`` element
(namespace ``…/autodiscover/outlook/requestschema/2006``) with ``Request/EMailAddress`` and
``Request/AcceptableResponseSchema``; no SOAP envelope. The answer is ``Autodiscover``
(``…/autodiscover/responseschema/2006``) holding one ``Response``:

- for the Outlook response schema (``…/outlook/responseschema/2006a``): ``User`` (DisplayName, LegacyDN,
  DeploymentId, AutoDiscoverSMTPAddress) and ``Account`` (AccountType ``email``, Action ``settings``, one
  ``Protocol`` of Type ``EXCH`` (inside the organisation) and one of Type ``EXPR`` (Outlook Anywhere, outside),
  each with its ``EwsUrl``; then one ``AlternativeMailbox`` per automapped Full Access mailbox);
- an address with no mailbox: ``Error`` with ``ErrorCode`` 500 ("The email address can't be found.");
- a malformed request: ``Error`` 600 (Invalid Request), in the root namespace, as Exchange answers when no
  provider can read it; another response schema: ``Error`` 601 (provider not available).

Errors travel with HTTP 200, as on Exchange. Like the SOAP endpoint it answers for any mailbox of the
organisation, whoever asks.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from ews_emulator.autodiscover import deployment_id, legacy_dn, mailbox_server
from ews_emulator.backend import HttpResult
from ews_emulator.soap import SERVER_VERSION

if TYPE_CHECKING:
    from ews_emulator.exchange.backend import ExchangeBackend
    from ews_emulator.store import Recipient

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
RESPONSE_NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
_Q = f"{{{REQUEST_NS}}}"
_O = f"{{{OUTLOOK_NS}}}"


def answer_pox_autodiscover(backend: ExchangeBackend, principal: str, body: bytes) -> HttpResult:
    """Answer one POX Autodiscover request for the authenticated ``principal``."""
    del principal  # Autodiscover answers for any mailbox of the organisation
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError:
        return _result(_error(RESPONSE_NS, "600", "Invalid Request"))
    address = (root.findtext(f"{_Q}Request/{_Q}EMailAddress") or "").strip()
    schema = (root.findtext(f"{_Q}Request/{_Q}AcceptableResponseSchema") or "").strip()
    if root.tag != f"{_Q}Autodiscover" or not address or not schema:
        return _result(_error(RESPONSE_NS, "600", "Invalid Request"))
    if schema != OUTLOOK_NS:
        return _result(_error(RESPONSE_NS, "601", "Provider is not available for the requested schema."))
    rec = backend.store.directory.by_smtp(address)
    if rec is None or not rec.has_mailbox or rec.kind == "group":
        return _result(_error(OUTLOOK_NS, "500", "The email address can't be found."))
    return _result(_settings(backend, rec))


def _result(response: etree._Element) -> HttpResult:
    root = etree.Element(f"{{{RESPONSE_NS}}}Autodiscover", nsmap={None: RESPONSE_NS})
    root.append(response)
    return HttpResult(200, etree.tostring(root, xml_declaration=True, encoding="utf-8"))


def _error(namespace: str, code: str, message: str) -> etree._Element:
    response = etree.Element(f"{{{namespace}}}Response", nsmap={None: namespace})
    error = etree.SubElement(response, f"{{{namespace}}}Error")
    error.set("Time", datetime.now(UTC).strftime("%H:%M:%S.%f")[:-3])
    error.set("Id", str(zlib.crc32(b"EMULATOR01")))  # a hash of the Client Access server's name
    etree.SubElement(error, f"{{{namespace}}}ErrorCode").text = code
    etree.SubElement(error, f"{{{namespace}}}Message").text = message
    etree.SubElement(error, f"{{{namespace}}}DebugData")
    return response


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{_O}{name}")
    if text is not None:
        el.text = text
    return el


def _settings(backend: ExchangeBackend, rec: Recipient) -> etree._Element:
    response = etree.Element(f"{_O}Response", nsmap={None: OUTLOOK_NS})
    user = _sub(response, "User")
    _sub(user, "DisplayName", rec.display_name)
    _sub(user, "LegacyDN", legacy_dn(rec))
    _sub(user, "DeploymentId", deployment_id(rec))
    _sub(user, "AutoDiscoverSMTPAddress", rec.smtp)
    account = _sub(response, "Account")
    _sub(account, "AccountType", "email")
    _sub(account, "Action", "settings")
    _sub(account, "MicrosoftOnline", "False")
    base = backend.base_url.rstrip("/")
    ews_url = f"{base}/EWS/Exchange.asmx"
    split = urlsplit(base)
    inside = _sub(account, "Protocol")
    _sub(inside, "Type", "EXCH")
    _sub(inside, "Server", mailbox_server(rec))
    _sub(inside, "ServerVersion", server_version_hex())
    _sub(inside, "AuthPackage", "Ntlm")
    _sub(inside, "ASUrl", ews_url)
    _sub(inside, "EwsUrl", ews_url)
    _sub(inside, "OOFUrl", ews_url)
    outside = _sub(account, "Protocol")
    _sub(outside, "Type", "EXPR")
    _sub(outside, "Server", split.hostname or "127.0.0.1")
    _sub(outside, "SSL", "On" if split.scheme == "https" else "Off")
    _sub(outside, "AuthPackage", "Ntlm")
    _sub(outside, "ASUrl", ews_url)
    _sub(outside, "EwsUrl", ews_url)
    _sub(outside, "OOFUrl", ews_url)
    grants = [(mb, g) for mb, g in backend.store.directory.grants_for_user(rec.id) if g.full_access and g.automapping]
    for mailbox, _ in sorted(grants, key=lambda pair: pair[0].display_name.lower()):
        alt = _sub(account, "AlternativeMailbox")
        _sub(alt, "Type", "Delegate")
        _sub(alt, "DisplayName", mailbox.display_name)
        _sub(alt, "SmtpAddress", mailbox.smtp)
        _sub(alt, "OwnerSmtpAddress", mailbox.smtp)
    return response


def server_version_hex() -> str:
    """The build as POX ``ServerVersion`` encodes it ([MS-OXDSCLI]): 8 hex digits.

    Bits from the top: 4 reserved (``0111``), 6 major version, 6 minor version, 1 flag (set), 15 build number.
    """
    v = SERVER_VERSION
    value = (0b0111 << 28) | (int(v["MajorVersion"]) << 22) | (int(v["MinorVersion"]) << 16) | (1 << 15) \
        | (int(v["MajorBuildNumber"]) & 0x7FFF)
    return f"{value:08X}"
