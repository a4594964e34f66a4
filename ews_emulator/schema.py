"""Validate SOAP requests and responses against Microsoft's EWS schema (messages.xsd + types.xsd).

The schema files are not part of the emulator; they live in a folder found by
:func:`find_schema_dir` (``MAILROOM_EWS_SCHEMA`` or ``../shared/ews-schema`` next to the
repository). Compiling takes a few hundred milliseconds, so compiled schemas are cached per
resolved folder. An ``lxml`` ``XMLSchema`` keeps its error log on the object and is not safe to use
from several threads at once, so every validation holds that schema's lock.

:func:`schema_validation_fault` builds the HTTP 500 fault Exchange sends for a request that fails
validation; exchangelib turns it into ``ErrorSchemaValidation``.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from ews_emulator.soap import E_NS, M_NS, SOAP_NS, T_NS

SCHEMA_FILES = ("messages.xsd", "types.xsd")
ENV_VAR = "MAILROOM_EWS_SCHEMA"

# types.xsd imports the xml: namespace without a schemaLocation (it needs xml:lang) and libxml2
# has no built-in copy, so a minimal one is supplied from memory (see shared/ews-schema/README.md).
_XML_NS_XSD = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"
    targetNamespace="http://www.w3.org/XML/1998/namespace">
  <xs:attribute name="lang"><xs:simpleType><xs:union memberTypes="xs:language"><xs:simpleType>
    <xs:restriction base="xs:string"><xs:enumeration value=""/></xs:restriction>
  </xs:simpleType></xs:union></xs:simpleType></xs:attribute>
  <xs:attribute name="space"><xs:simpleType><xs:restriction base="xs:NCName">
    <xs:enumeration value="default"/><xs:enumeration value="preserve"/>
  </xs:restriction></xs:simpleType></xs:attribute>
  <xs:attribute name="base" type="xs:anyURI"/>
  <xs:attribute name="id" type="xs:ID"/>
</xs:schema>"""

_DRIVER = f"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="mailroom-xml-ns.xsd"/>
  <xs:import namespace="{M_NS}" schemaLocation="messages.xsd"/>
</xs:schema>""".encode()

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class SchemaNotFoundError(FileNotFoundError):
    """The schema folder does not hold messages.xsd and types.xsd."""


@dataclass(frozen=True)
class Violation:
    """One schema violation, positioned in the document that was validated."""

    line: int
    position: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, position {self.position}: {self.message}"


class _XmlNsResolver(etree.Resolver):
    def resolve(self, url, pubid, context):  # lxml callback signature
        if url.endswith("mailroom-xml-ns.xsd"):
            return self.resolve_string(_XML_NS_XSD, context)
        return None


@dataclass
class _Compiled:
    schema: etree.XMLSchema
    lock: threading.Lock


_CACHE: dict[Path, _Compiled] = {}
_CACHE_LOCK = threading.Lock()


def _has_schema(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SCHEMA_FILES)


def find_schema_dir(start: Path | None = None) -> Path | None:
    """Locate the EWS schema folder.

    ``MAILROOM_EWS_SCHEMA`` wins when set; otherwise ``shared/ews-schema`` is looked for beside
    ``start`` and each of its parents, which finds ``../shared/ews-schema`` next to the
    repository root (and next to a worktree's parent).

    Args:
        start: Where to start looking; defaults to this file's folder.

    Returns:
        The folder, or ``None`` if there is none.

    Raises:
        SchemaNotFoundError: ``MAILROOM_EWS_SCHEMA`` is set but names no schema folder.
    """
    configured = os.environ.get(ENV_VAR)
    if configured:
        folder = Path(configured).expanduser().resolve()
        if not _has_schema(folder):
            raise SchemaNotFoundError(f"{ENV_VAR}={configured} does not hold {' and '.join(SCHEMA_FILES)}")
        return folder
    here = Path(start if start is not None else Path(__file__).parent).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "shared" / "ews-schema"
        if _has_schema(candidate):
            return candidate
    return None


def _compile(folder: Path) -> _Compiled:
    with _CACHE_LOCK:
        compiled = _CACHE.get(folder)
        if compiled is None:
            missing = [name for name in SCHEMA_FILES if not (folder / name).is_file()]
            if missing:
                raise SchemaNotFoundError(f"EWS schema folder {folder} lacks {', '.join(missing)}")
            parser = etree.XMLParser(no_network=True)
            parser.resolvers.add(_XmlNsResolver())
            driver = etree.fromstring(_DRIVER, parser, base_url=(folder / "driver.xsd").as_uri())
            compiled = _Compiled(etree.XMLSchema(driver.getroottree()), threading.Lock())
            _CACHE[folder] = compiled
        return compiled


class SchemaValidator:
    """Validates the contents of SOAP envelopes against messages.xsd + types.xsd.

    Instances are cheap: the compiled schema is shared per resolved folder and thread-safe.
    """

    def __init__(self, schema_dir: Path | str) -> None:
        """Load (or reuse) the compiled schema in ``schema_dir``.

        Raises:
            SchemaNotFoundError: The folder lacks messages.xsd or types.xsd.
            etree.XMLSchemaParseError: The files are not a valid schema.
        """
        self.schema_dir = Path(schema_dir).resolve()
        self._compiled = _compile(self.schema_dir)

    def validate_element(self, el: etree._Element) -> list[Violation]:
        """Validate one element (a SOAP header entry or body child) and its subtree."""
        compiled = self._compiled
        with compiled.lock:
            if compiled.schema.validate(etree.ElementTree(el)):
                return []
            return [Violation(e.line, e.column, e.message) for e in compiled.schema.error_log]

    def validate_request(self, envelope: bytes | etree._Element) -> list[Violation]:
        """Validate every child of ``soap:Header`` and ``soap:Body``.

        Args:
            envelope: The raw request or its parsed ``soap:Envelope`` element.

        Returns:
            The violations; empty when the request is valid. Malformed XML or a missing envelope
            is reported as a violation too.
        """
        if isinstance(envelope, bytes | bytearray):
            try:
                root = etree.fromstring(bytes(envelope), _PARSER)
            except etree.XMLSyntaxError as exc:
                line, column = exc.position
                return [Violation(line, column, exc.msg)]
        else:
            root = envelope
        if root.tag != f"{{{SOAP_NS}}}Envelope":
            return [Violation(root.sourceline or 0, 0, "The root element is not a SOAP 1.1 Envelope.")]
        violations: list[Violation] = []
        for part in ("Header", "Body"):
            for el in root.iterfind(f"{{{SOAP_NS}}}{part}/*"):
                violations.extend(self.validate_element(el))
        return violations

    def validate_response(self, data: bytes) -> list[str]:
        """Validate a response envelope; returns ``"line N: message"`` strings, empty when valid.

        A ``soap:Fault`` body is not covered by the EWS schema and is skipped.
        """
        root = etree.fromstring(data, _PARSER)
        if root.tag != f"{{{SOAP_NS}}}Envelope":
            return ["line 1: the root element is not a SOAP 1.1 Envelope"]
        errors: list[str] = []
        for part in ("Header", "Body"):
            for el in root.iterfind(f"{{{SOAP_NS}}}{part}/*"):
                if el.tag == f"{{{SOAP_NS}}}Fault":
                    continue
                errors.extend(f"line {v.line}: {v.message}" for v in self.validate_element(el))
        return errors

    @staticmethod
    def schema_validation_fault(violations: list[Violation]) -> bytes:
        """Same as the module-level :func:`schema_validation_fault` (for callers holding a validator)."""
        return schema_validation_fault(violations)


def schema_validation_fault(violations: list[Violation]) -> bytes:
    """The SOAP fault Exchange returns (with HTTP 500) for a request that fails schema validation.

    Only the first violation is reported, as Exchange does. exchangelib raises
    ``ErrorSchemaValidation("The request failed schema validation. <violation> (line: L position: P)")``.

    Args:
        violations: At least one violation, e.g. from :meth:`SchemaValidator.validate_request`.
    """
    if not violations:
        raise ValueError("schema_validation_fault() needs at least one violation")
    first = violations[0]
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"s": SOAP_NS})
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    fault = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode", nsmap={"a": T_NS}).text = "a:ErrorSchemaValidation"
    faultstring = etree.SubElement(fault, "faultstring")
    faultstring.set("{http://www.w3.org/XML/1998/namespace}lang", "en-US")
    faultstring.text = f"The request failed schema validation: {first.message}"
    detail = etree.SubElement(fault, "detail")
    code = etree.SubElement(detail, f"{{{E_NS}}}ResponseCode", nsmap={"e": E_NS})
    code.text = "ErrorSchemaValidation"
    message = etree.SubElement(detail, f"{{{E_NS}}}Message", nsmap={"e": E_NS})
    message.text = "The request failed schema validation."
    xml = etree.SubElement(detail, f"{{{T_NS}}}MessageXml", nsmap={"t": T_NS})
    etree.SubElement(xml, f"{{{T_NS}}}LineNumber").text = str(first.line)
    etree.SubElement(xml, f"{{{T_NS}}}LinePosition").text = str(first.position)
    etree.SubElement(xml, f"{{{T_NS}}}Violation").text = first.message
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
