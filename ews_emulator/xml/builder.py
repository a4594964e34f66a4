"""Element factories and schema-order sorting for EWS responses.

Handlers build response elements with :func:`T`, :func:`M` and :func:`sub` in whatever order is
convenient, then call :func:`order_tree` (or :func:`order_children`) once, which puts every child
where ``messages.xsd``/``types.xsd`` demand. Sorting uses rank tables precomputed from the
generated :mod:`ews_emulator.xml.schema_order`: ordering a whole 100-message GetItem response
takes about 2-4 ms.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from lxml import etree

from ews_emulator.soap import M_NS, T_NS
from ews_emulator.xml.schema_order import ELEMENT_TYPE, ELEMENTS, INTERLEAVED, ORDER

NSMAP = {"m": M_NS, "t": T_NS}
_NS_BY_PREFIX = {"m": M_NS, "t": T_NS}
_PREFIX_BY_NS = {M_NS: "m", T_NS: "t"}
_WILDCARD = "*"

# type name -> {child local name -> rank}; filled lazily, one dict per type.
_RANKS: dict[str, dict[str, int]] = {}


def fmt_bool(value: bool) -> str:
    """The canonical ``xs:boolean`` form Exchange writes (``true``/``false``)."""
    return "true" if value else "false"


def fmt_datetime(value: datetime) -> str:
    """``xs:dateTime`` in UTC without fractions, e.g. ``2026-11-26T17:56:32Z``.

    Naive datetimes are taken to be UTC already.
    """
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return fmt_bool(value)
    if isinstance(value, datetime):
        return fmt_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _make(parent: etree._Element | None, clark: str, text: object, attrs: dict) -> etree._Element:
    attrib = {key: _text(value) for key, value in attrs.items() if value is not None} if attrs else None
    if parent is None:
        el = etree.Element(clark, attrib, nsmap=NSMAP)
    else:
        # lxml drops the declarations again when the parent already has them in scope.
        el = etree.SubElement(parent, clark, attrib, nsmap=NSMAP)
    if text is not None:
        el.text = _text(text)
    return el


def T(tag: str, text: object = None, **attrs: object) -> etree._Element:  # noqa: N802 - reads like t:Tag
    """A new element in the types (``t:``) namespace.

    Args:
        tag: Local name, e.g. ``"ItemId"``.
        text: Element text; bools, ints and datetimes are written in their ``xs:`` form.
        **attrs: Attributes; ``None`` values are left out.
    """
    return _make(None, f"{{{T_NS}}}{tag}", text, attrs)


def M(tag: str, text: object = None, **attrs: object) -> etree._Element:  # noqa: N802 - reads like m:Tag
    """A new element in the messages (``m:``) namespace; see :func:`T`."""
    return _make(None, f"{{{M_NS}}}{tag}", text, attrs)


def sub(parent: etree._Element, ns: str, tag: str, text: object = None, **attrs: object) -> etree._Element:
    """Append a child element to ``parent``.

    Args:
        parent: The element to append to.
        ns: ``"t"``, ``"m"`` or a namespace URI.
        tag: Local name.
        text: Element text (converted as in :func:`T`).
        **attrs: Attributes; ``None`` values are left out.
    """
    uri = _NS_BY_PREFIX.get(ns, ns)
    return _make(parent, f"{{{uri}}}{tag}", text, attrs)


def _ranks(type_name: str) -> dict[str, int]:
    ranks = _RANKS.get(type_name)
    if ranks is not None:
        return ranks
    try:
        names = ORDER[type_name]
    except KeyError:
        raise ValueError(f"unknown schema type {type_name!r}") from None
    shared = {name: group for group in INTERLEAVED.get(type_name, ()) for name in group}
    ranks = {}
    rank = 0
    for name in names:
        if name in ranks:
            continue
        for member in shared.get(name, (name,)):
            ranks[member] = rank
        rank += 1
    _RANKS[type_name] = ranks
    return ranks


def order_children(el: etree._Element, type_name: str) -> etree._Element:
    """Stable-sort ``el``'s children into the order of schema type ``type_name``.

    Children of a repeating choice (``t:Items`` holding Message, CalendarItem, ...) share one rank,
    so their emitted order is kept. Comments stay behind the element they followed.

    Args:
        el: The element whose children to sort (in place).
        type_name: Prefixed schema type, e.g. ``"t:MessageType"``.

    Returns:
        ``el`` itself.

    Raises:
        ValueError: ``type_name`` is unknown, or a child is not allowed in that type.
    """
    ranks = _ranks(type_name)
    wildcard = ranks.get(_WILDCARD)
    keys: list[int] = []
    previous = -1
    in_order = True
    for child in el:
        tag = child.tag
        if isinstance(tag, str):
            local = tag[tag.find("}") + 1 :]
            key = ranks.get(local, wildcard)
            if key is None:
                parent = etree.QName(el).localname
                raise ValueError(f"<{local}> is not a child of {type_name} (in <{parent}>)")
        else:  # comment or processing instruction
            key = previous
        if key < previous:
            in_order = False
        keys.append(key)
        previous = key
    if not in_order:
        children = list(el)
        el[:] = [children[i] for i in sorted(range(len(children)), key=keys.__getitem__)]
    return el


def order_tree(el: etree._Element, type_name: str) -> etree._Element:
    """:func:`order_children` on ``el`` and, through ``ELEMENT_TYPE``, on every complex descendant.

    Children matched only by an ``xs:any`` wildcard are left as they are.
    """
    order_children(el, type_name)
    child_types = ELEMENT_TYPE.get(type_name)
    if not child_types:
        return el
    for child in el:
        if len(child) == 0 or not isinstance(child.tag, str):
            continue
        tag = child.tag
        child_type = child_types.get(tag[tag.find("}") + 1 :])
        if child_type is not None and child_type in ORDER:
            order_tree(child, child_type)
    return el


def element_type(el: etree._Element) -> str:
    """The schema type of a global element such as ``m:GetItemResponse`` or ``t:ServerVersionInfo``.

    Raises:
        ValueError: ``el`` is not a global element of the EWS schema.
    """
    qname = etree.QName(el)
    key = f"{_PREFIX_BY_NS.get(qname.namespace, '?')}:{qname.localname}"
    try:
        return ELEMENTS[key]
    except KeyError:
        raise ValueError(f"{key} is not a global EWS schema element") from None


def order_document(el: etree._Element) -> etree._Element:
    """:func:`order_tree` for a global element (e.g. a whole ``m:FindItemResponse``)."""
    return order_tree(el, element_type(el))
