"""Response shapes and property paths: ``t:ItemShape`` / ``t:AttachmentShape`` and the three path forms.

A path names one item property the way EWS requests use it in ``AdditionalProperties``, restrictions
and sort orders:

- ``t:FieldURI FieldURI="item:Subject"``: a plain property; the element it names is the part after the
  colon (``Subject``), with the few exceptions in :data:`URI_ELEMENT_EXCEPTIONS`.
- ``t:IndexedFieldURI FieldURI="contacts:EmailAddress" FieldIndex="EmailAddress1"``: one entry of a
  dictionary property (``EmailAddresses/Entry[@Key]``); see :data:`INDEXED`.
- ``t:ExtendedFieldURI PropertyTag="0x1090" PropertyType="Integer"``: a MAPI property, matched on its tag
  (compared numerically) or on property set + name/id (set GUIDs compared case-insensitively).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.soap import T_NS, t, xs_bool

_T = f"{{{T_NS}}}"

BASE_SHAPES = ("IdOnly", "Default", "AllProperties")
BODY_TYPES = ("Best", "HTML", "Text")

# FieldURI values whose element is not simply the part after the colon (None: never returned).
URI_ELEMENT_EXCEPTIONS: dict[str, str | None] = {
    "item:MimeContentUTF8": "MimeContent",
    "item:FirstBody": None,
}

# DictionaryURIType -> (dictionary element, entry element, key attribute, sub-element or None).
INDEXED: dict[str, tuple[str, str, str, str | None]] = {
    "contacts:EmailAddress": ("EmailAddresses", "Entry", "Key", None),
    "contacts:PhoneNumber": ("PhoneNumbers", "Entry", "Key", None),
    "contacts:ImAddress": ("ImAddresses", "Entry", "Key", None),
    "contacts:PhysicalAddress:Street": ("PhysicalAddresses", "Entry", "Key", "Street"),
    "contacts:PhysicalAddress:City": ("PhysicalAddresses", "Entry", "Key", "City"),
    "contacts:PhysicalAddress:State": ("PhysicalAddresses", "Entry", "Key", "State"),
    "contacts:PhysicalAddress:CountryOrRegion": ("PhysicalAddresses", "Entry", "Key", "CountryOrRegion"),
    "contacts:PhysicalAddress:PostalCode": ("PhysicalAddresses", "Entry", "Key", "PostalCode"),
    "item:InternetMessageHeader": ("InternetMessageHeaders", "InternetMessageHeader", "HeaderName", None),
    "distributionlist:Members:Member": ("Members", "Member", "Key", None),
}

# DistinguishedPropertySetId -> property set GUID (MS-OXPROPS), so either spelling matches the other.
PROPERTY_SETS: dict[str, str] = {
    "Meeting": "6ed8da90-450b-101b-98da-00aa003f1305",
    "Appointment": "00062002-0000-0000-c000-000000000046",
    "Common": "00062008-0000-0000-c000-000000000046",
    "PublicStrings": "00020329-0000-0000-c000-000000000046",
    "Address": "00062004-0000-0000-c000-000000000046",
    "InternetHeaders": "00020386-0000-0000-c000-000000000046",
    "CalendarAssistant": "11000e07-b51b-40d6-af21-caa85edab1d0",
    "UnifiedMessaging": "4442858e-a9e3-4e80-b900-317a210cc15b",
    "Task": "00062003-0000-0000-c000-000000000046",
    "Sharing": "00062040-0000-0000-c000-000000000046",
}


def _int_or_none(text: str | None) -> int | None:
    """``0x1090`` / ``4240`` -> 4240 (tags are compared numerically, hex case-insensitively)."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    try:
        return int(value, 16) if value.startswith("0x") else int(value)
    except ValueError:
        raise EwsError("ErrorInvalidExtendedProperty", f"'{text}' is not a valid property tag or id.") from None


@dataclass(frozen=True)
class ExtendedPath:
    """A ``t:ExtendedFieldURI``, normalised for matching."""

    property_type: str
    tag: int | None = None
    set_id: str | None = None  # lower-case GUID (distinguished sets translated)
    name: str | None = None
    prop_id: int | None = None
    attrib: tuple[tuple[str, str], ...] = ()  # the attributes as requested, echoed back in responses

    @classmethod
    def from_element(cls, el: etree._Element) -> ExtendedPath:
        distinguished = el.get("DistinguishedPropertySetId")
        set_id = (el.get("PropertySetId") or "").strip().strip("{}").lower() or None
        if distinguished:
            set_id = PROPERTY_SETS.get(distinguished, distinguished.lower())
        return cls(
            property_type=el.get("PropertyType") or "String",
            tag=_int_or_none(el.get("PropertyTag")),
            set_id=set_id,
            name=el.get("PropertyName"),
            prop_id=_int_or_none(el.get("PropertyId")),
            attrib=tuple(sorted(el.attrib.items())),
        )

    def matches(self, other: ExtendedPath) -> bool:
        """Same MAPI property: equal tags, or equal property set and name (or id)."""
        if self.tag is not None or other.tag is not None:
            return self.tag == other.tag
        if self.set_id != other.set_id:
            return False
        if self.name is not None or other.name is not None:
            return self.name == other.name
        return self.prop_id == other.prop_id

    def to_element(self) -> etree._Element:
        """``t:ExtendedFieldURI`` with the request's attributes (a tag in Exchange's ``0x1090`` form)."""
        el = etree.Element(t("ExtendedFieldURI"))
        for key, value in self.attrib:
            el.set(key, hex(self.tag) if key == "PropertyTag" and self.tag is not None else value)
        return el


@dataclass(frozen=True)
class FieldPath:
    """One property path: ``kind`` is ``field``, ``indexed`` or ``extended``."""

    kind: str
    uri: str = ""
    index: str | None = None
    extended: ExtendedPath | None = None

    @property
    def element(self) -> str | None:
        """The item child element this path reads (for indexed paths: the dictionary element)."""
        if self.kind == "field":
            return field_element_name(self.uri)
        if self.kind == "indexed":
            return INDEXED[self.uri][0] if self.uri in INDEXED else None
        return "ExtendedProperty"


def field_element_name(uri: str) -> str | None:
    """``item:Subject`` -> ``Subject``; None for a URI that names no item element."""
    if uri in URI_ELEMENT_EXCEPTIONS:
        return URI_ELEMENT_EXCEPTIONS[uri]
    _, _, name = uri.partition(":")
    return name or None


def parse_path(el: etree._Element) -> FieldPath:
    """A ``t:FieldURI`` / ``t:IndexedFieldURI`` / ``t:ExtendedFieldURI`` element -> :class:`FieldPath`."""
    local = etree.QName(el).localname
    if local == "FieldURI":
        return FieldPath("field", el.get("FieldURI") or "")
    if local == "IndexedFieldURI":
        return FieldPath("indexed", el.get("FieldURI") or "", index=el.get("FieldIndex"))
    if local == "ExtendedFieldURI":
        return FieldPath("extended", extended=ExtendedPath.from_element(el))
    raise EwsError("ErrorInvalidPropertyRequest", f"{local} is not a property path.")


def first_path(container: etree._Element) -> FieldPath | None:
    """The path child of a restriction leaf or ``t:FieldOrder`` (the first path element in it)."""
    for child in container:
        if isinstance(child.tag, str) and etree.QName(child).localname in (
                "FieldURI", "IndexedFieldURI", "ExtendedFieldURI"):
            return parse_path(child)
    return None


@dataclass(frozen=True)
class ItemShape:
    """What to return for each item: a base shape plus additional paths.

    Attributes:
        base: ``IdOnly``, ``Default`` or ``AllProperties``.
        include_mime: add ``t:MimeContent`` (RFC 5322, base64).
        body_type: ``Best`` (as stored), ``HTML`` or ``Text`` (HTML converted to plain text).
        additional: the ``AdditionalProperties`` paths, in request order.
        filter_html: ``FilterHtmlContent`` (scripts and active content removed from HTML bodies).
    """

    base: str = "IdOnly"
    include_mime: bool = False
    body_type: str = "Best"
    additional: tuple[FieldPath, ...] = field(default_factory=tuple)
    filter_html: bool = False

    def field_names(self) -> set[str]:
        """Element names of the plain (``FieldURI``) additional paths."""
        return {name for p in self.additional if p.kind == "field" and (name := p.element)}

    def indexed(self) -> list[FieldPath]:
        return [p for p in self.additional if p.kind == "indexed"]

    def extended(self) -> list[ExtendedPath]:
        return [p.extended for p in self.additional if p.kind == "extended" and p.extended is not None]


ID_ONLY = ItemShape()
DEFAULT = ItemShape(base="Default")
ALL_PROPERTIES = ItemShape(base="AllProperties")


def _additional(el: etree._Element) -> tuple[FieldPath, ...]:
    container = el.find(f"{_T}AdditionalProperties")
    if container is None:
        return ()
    return tuple(parse_path(child) for child in container if isinstance(child.tag, str))


def parse_item_shape(el: etree._Element | None) -> ItemShape:
    """Parse ``m:ItemShape`` (absent: IdOnly, which no schema-valid request leaves out anyway)."""
    if el is None:
        return ID_ONLY
    base = (el.findtext(f"{_T}BaseShape") or "IdOnly").strip()
    if base not in BASE_SHAPES:
        raise EwsError("ErrorInvalidRequest", f"Unknown BaseShape {base}.")
    body_type = (el.findtext(f"{_T}BodyType") or "Best").strip()
    return ItemShape(
        base=base,
        include_mime=xs_bool(el.findtext(f"{_T}IncludeMimeContent")),
        body_type=body_type if body_type in BODY_TYPES else "Best",
        additional=_additional(el),
        filter_html=xs_bool(el.findtext(f"{_T}FilterHtmlContent")),
    )


def parse_attachment_shape(el: etree._Element | None) -> ItemShape:
    """Parse ``m:AttachmentShape``; an attached item is returned with all its properties."""
    if el is None:
        return ALL_PROPERTIES
    body_type = (el.findtext(f"{_T}BodyType") or "Best").strip()
    return ItemShape(
        base="AllProperties",
        include_mime=xs_bool(el.findtext(f"{_T}IncludeMimeContent")),
        body_type=body_type if body_type in BODY_TYPES else "Best",
        additional=_additional(el),
        filter_html=xs_bool(el.findtext(f"{_T}FilterHtmlContent")),
    )
