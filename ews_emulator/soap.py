"""SOAP 1.1 envelope helpers shared by every EWS handler.

Namespaces, envelope building and parsing, SOAP faults (including the throttling
fault exchangelib turns into ``ErrorServerBusy.back_off``), and ``xs:boolean`` parsing.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
M_NS = "http://schemas.microsoft.com/exchange/services/2006/messages"
T_NS = "http://schemas.microsoft.com/exchange/services/2006/types"
E_NS = "http://schemas.microsoft.com/exchange/services/2006/errors"
AD_NS = "http://schemas.microsoft.com/exchange/2010/Autodiscover"
WSA_NS = "http://www.w3.org/2005/08/addressing"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

NSMAP = {"s": SOAP_NS, "m": M_NS, "t": T_NS}

# Exchange Server 2019 CU15, the build the schema files in ../shared/ews-schema come from.
SERVER_VERSION = {
    "MajorVersion": "15",
    "MinorVersion": "2",
    "MajorBuildNumber": "2562",
    "MinorBuildNumber": "17",
    "Version": "V2017_07_11",
}

# A parser that never resolves entities or fetches anything from the network.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


def m(tag: str) -> str:
    """Clark name in the messages namespace."""
    return f"{{{M_NS}}}{tag}"


def t(tag: str) -> str:
    """Clark name in the types namespace."""
    return f"{{{T_NS}}}{tag}"


class SoapFault(Exception):
    """A request that gets a whole-request SOAP fault (HTTP 500) instead of response messages."""

    def __init__(self, code: str, message: str, *, back_off_ms: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.back_off_ms = back_off_ms


@dataclass
class Envelope:
    """A parsed request: its header element (may be None) and the single body child."""

    header: etree._Element | None
    body: etree._Element

    @property
    def operation(self) -> str:
        return etree.QName(self.body).localname


def parse_envelope(data: bytes) -> Envelope:
    """Parse a SOAP request; raise :class:`SoapFault` (``ErrorSchemaValidation``-like) on garbage."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("ErrorSchemaValidation", f"The request failed schema validation: {exc}") from exc
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise SoapFault("ErrorInvalidRequest", "The request is not a SOAP 1.1 envelope.")
    header = root.find(f"{{{SOAP_NS}}}Header")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) == 0:
        raise SoapFault("ErrorInvalidRequest", "The SOAP body is empty.")
    return Envelope(header=header, body=body[0])


def server_version_info() -> etree._Element:
    el = etree.Element(t("ServerVersionInfo"), nsmap={"t": T_NS})
    for key, value in SERVER_VERSION.items():
        el.set(key, value)
    return el


def envelope(body_child: etree._Element, *, with_version: bool = True) -> bytes:
    """Wrap a response element in a SOAP envelope with ``t:ServerVersionInfo``."""
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"s": SOAP_NS})
    if with_version:
        header = etree.SubElement(env, f"{{{SOAP_NS}}}Header")
        header.append(server_version_info())
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    body.append(body_child)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def fault_envelope(fault: SoapFault) -> bytes:
    """A SOAP fault as Exchange sends it, with ``e:ResponseCode`` and, for throttling, ``BackOffMilliseconds``."""
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"s": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    f = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    code = etree.SubElement(f, "faultcode", nsmap={"a": E_NS})
    code.text = f"a:{fault.code}"
    etree.SubElement(f, "faultstring").text = fault.message
    detail = etree.SubElement(f, "detail")
    etree.SubElement(detail, f"{{{E_NS}}}ResponseCode", nsmap={"e": E_NS}).text = fault.code
    etree.SubElement(detail, f"{{{E_NS}}}Message", nsmap={"e": E_NS}).text = fault.message
    if fault.back_off_ms is not None:
        xml = etree.SubElement(detail, t("MessageXml"), nsmap={"t": T_NS})
        value = etree.SubElement(xml, t("Value"), Name="BackOffMilliseconds")
        value.text = str(fault.back_off_ms)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")


def xs_bool(text: str | None, default: bool = False) -> bool:
    """Parse every lexical form of ``xs:boolean`` (``true``/``false``/``1``/``0``)."""
    if text is None:
        return default
    value = text.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise SoapFault("ErrorSchemaValidation", f"'{value}' is not a valid xs:boolean value.")


def bool_text(value: bool) -> str:
    """The canonical ``xs:boolean`` form Exchange writes."""
    return "true" if value else "false"
