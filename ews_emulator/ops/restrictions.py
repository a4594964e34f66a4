"""``t:Restriction`` and ``t:SortOrder`` -> SQL over the item columns (never loading rows to filter them).

Supported: ``IsEqualTo`` / ``IsNotEqualTo`` / ``IsGreaterThan`` / ``IsGreaterThanOrEqualTo`` / ``IsLessThan`` /
``IsLessThanOrEqualTo`` (against a constant or another field), ``Contains`` (every ContainmentMode;
case-insensitive for the IgnoreCase/Loose comparisons), ``Exists``, ``And`` / ``Or`` / ``Not``, on the
paths in :data:`COLUMNS`, plus extended properties (slow path: a SQL function reads the stored XML).
String equality is case-insensitive, as in the Exchange store. Anything else is answered the way
Exchange answers it: ``ErrorUnsupportedPathForQuery`` for a path it cannot filter on,
``ErrorUnsupportedQueryFilter`` for a filter form, ``ErrorContainsFilterWrongType`` for ``Contains``
on a non-text property, ``ErrorUnsupportedPathForSortGroup`` for a sort it cannot do.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.ops.shapes import ExtendedPath, FieldPath, first_path
from ews_emulator.soap import T_NS
from ews_emulator.store.items import parse_datetime

_T = f"{{{T_NS}}}"

_IMPORTANCE_RANK = "(CASE importance WHEN 'Low' THEN 0 WHEN 'High' THEN 2 ELSE 1 END)"


@dataclass(frozen=True)
class Column:
    """A searchable property: its SQL expression and value kind (text, time, int, bool, importance, ...)."""

    sql: str
    kind: str
    sort: str | None = None  # expression to sort by, when it differs


COLUMNS: dict[str, Column] = {
    "item:Subject": Column("subject", "text"),
    "item:DateTimeReceived": Column("received", "time"),
    "item:DateTimeSent": Column("coalesce(sent, received)", "time"),
    "item:DateTimeCreated": Column("created", "time"),
    "item:LastModifiedTime": Column("modified", "time"),
    "item:Size": Column("size", "int"),
    "item:HasAttachments": Column("has_attachments", "bool"),
    "item:IsDraft": Column("is_draft", "bool"),
    "item:IsAssociated": Column("is_associated", "bool"),
    "message:IsRead": Column("is_read", "bool"),
    "item:Importance": Column(_IMPORTANCE_RANK, "importance"),
    "item:ItemClass": Column("item_class", "text"),
    "item:Categories": Column("categories", "categories"),
    "item:Body": Column("body_text", "body"),
    "item:DisplayTo": Column("display_to", "text"),
    "message:From": Column("from_addr", "address", sort="coalesce(from_name, from_addr, '') COLLATE NOCASE"),
    "message:Sender": Column("sender_addr", "address"),
    "calendar:Start": Column("start_ts", "time"),
    "calendar:End": Column("end_ts", "time"),
    "calendar:IsRecurring": Column("recurring", "bool"),
    "contacts:DisplayName": Column("display_name", "text"),
    "contacts:FileAs": Column("display_name", "text"),
    "distributionlist:DisplayName": Column("display_name", "text"),
    "message:InternetMessageId": Column("ews_message_id(xml)", "text"),
}
PR_INTERNET_MESSAGE_ID = 0x1035
"""The MAPI tag behind ``message:InternetMessageId``: Exchange answers either path from the same property."""

_COMPARE = {"IsEqualTo": "=", "IsNotEqualTo": "<>", "IsGreaterThan": ">", "IsGreaterThanOrEqualTo": ">=",
            "IsLessThan": "<", "IsLessThanOrEqualTo": "<="}
_UNSUPPORTED_FILTERS = ("Excludes", "SearchExpression", "Near")
_NUMERIC_TYPES = frozenset({"Integer", "Short", "Long", "Double", "Float", "Currency"})


@dataclass
class SqlWhere:
    """A WHERE fragment with its ``?`` parameters (in order)."""

    sql: str
    params: list[object]


def register_functions(con: sqlite3.Connection) -> None:
    """SQL helpers the translated restrictions use (cheap to repeat; call per request)."""
    con.create_function("ews_words_prefix", 3, _words_prefix, deterministic=True)
    con.create_function("ews_ext", 2, _extended_value, deterministic=True)
    con.create_function("ews_message_id", 1, _message_id, deterministic=True)


def restriction_sql(el: etree._Element | None) -> SqlWhere:
    """Translate ``m:Restriction`` (or None) into SQL; raises EwsError as Exchange would."""
    if el is None:
        return SqlWhere("1", [])
    children = [c for c in el if isinstance(c.tag, str)]
    if len(children) != 1:
        raise EwsError("ErrorInvalidRestriction", "A restriction must contain exactly one search expression.")
    params: list[object] = []
    return SqlWhere(_expr(children[0], params), params)


def _expr(el: etree._Element, params: list[object]) -> str:
    op = etree.QName(el).localname
    if op in ("And", "Or"):
        parts = [_expr(c, params) for c in el if isinstance(c.tag, str)]
        if not parts:
            raise EwsError("ErrorInvalidRestriction", f"{op} needs at least one expression.")
        return "(" + f" {op.upper()} ".join(parts) + ")"
    if op == "Not":
        inner = [c for c in el if isinstance(c.tag, str)]
        if len(inner) != 1:
            raise EwsError("ErrorInvalidRestriction", "Not needs exactly one expression.")
        return f"(NOT {_expr(inner[0], params)})"
    if op in _COMPARE:
        return _compare(el, _COMPARE[op], params)
    if op == "Contains":
        return _contains(el, params)
    if op == "Exists":
        return _exists(el, params)
    if op in _UNSUPPORTED_FILTERS:
        raise EwsError("ErrorUnsupportedQueryFilter", f"The {op} filter is not supported.")
    raise EwsError("ErrorInvalidRestriction", f"{op} is not a search expression.")


def _column(path: FieldPath | None) -> Column:
    if path is None:
        raise EwsError("ErrorInvalidRestriction", "The search expression names no property.")
    if path.kind == "field" and path.uri in COLUMNS:
        return COLUMNS[path.uri]
    name = path.uri or "extended property"
    raise EwsError("ErrorUnsupportedPathForQuery", f"The property {name} can't be used in a restriction.")


def _constant(el: etree._Element) -> tuple[str | None, FieldPath | None]:
    """The right-hand side of a comparison: (constant value, None) or (None, other field path)."""
    holder = el.find(f"{_T}FieldURIOrConstant")
    if holder is None:
        raise EwsError("ErrorInvalidRestriction", "The comparison has no FieldURIOrConstant.")
    const = holder.find(f"{_T}Constant")
    if const is not None:
        return const.get("Value") or "", None
    return None, first_path(holder)


def _value(column: Column, raw: str) -> object:
    kind = column.kind
    if kind == "time":
        value = parse_datetime(raw)
        if value is None:
            raise EwsError("ErrorInvalidValueForProperty", f"'{raw}' is not a valid date and time.")
        return value
    if kind == "bool":
        if raw.strip().lower() not in ("true", "false", "1", "0"):
            raise EwsError("ErrorInvalidValueForProperty", f"'{raw}' is not a valid boolean.")
        return int(raw.strip().lower() in ("true", "1"))
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise EwsError("ErrorInvalidValueForProperty", f"'{raw}' is not a valid integer.") from None
    if kind == "importance":
        ranks = {"low": 0, "normal": 1, "high": 2}
        if raw.strip().lower() not in ranks:
            raise EwsError("ErrorInvalidValueForProperty", f"'{raw}' is not a valid importance.")
        return ranks[raw.strip().lower()]
    return raw


def _mapped(path: FieldPath | None) -> FieldPath | None:
    """``ExtendedFieldURI PropertyTag="0x1035"`` as the field it is stored as (message:InternetMessageId)."""
    ext = path.extended if path is not None and path.kind == "extended" else None
    if ext is not None and ext.tag == PR_INTERNET_MESSAGE_ID and ext.set_id is None and ext.name is None:
        return FieldPath("field", "message:InternetMessageId")
    return path


def _compare(el: etree._Element, sql_op: str, params: list[object]) -> str:
    path = _mapped(first_path(el))
    raw, other = _constant(el)
    if path is not None and path.kind == "extended" and path.extended is not None and other is None:
        assert raw is not None
        if path.extended.property_type in _NUMERIC_TYPES:
            try:
                params.extend([_ext_key(path.extended), float(raw)])
            except ValueError:
                raise EwsError("ErrorInvalidValueForProperty", f"'{raw}' is not a number.") from None
            return f"(CAST(ews_ext(xml, ?) AS REAL) {sql_op} ?)"
        params.extend([_ext_key(path.extended), raw])
        return f"(ews_ext(xml, ?) {sql_op} ?)"
    column = _column(path)
    if other is not None:
        right = _column(other)
        return f"({column.sql} {sql_op} {right.sql})"
    assert raw is not None
    kind = column.kind
    if kind == "categories":
        if sql_op not in ("=", "<>"):
            raise EwsError("ErrorUnsupportedPathForQuery", "Categories can only be compared for equality.")
        params.append(raw)
        hit = "EXISTS (SELECT 1 FROM json_each(items.categories) j WHERE j.value = ? COLLATE NOCASE)"
        return f"({hit})" if sql_op == "=" else f"(NOT {hit})"
    if kind == "address":
        params.extend([raw.lower(), raw])
        name_col = "from_name" if column.sql == "from_addr" else "NULL"
        hit = f"(coalesce({column.sql}, '') = ? OR coalesce({name_col}, '') = ? COLLATE NOCASE)"
        if sql_op == "=":
            return hit
        if sql_op == "<>":
            return f"(NOT {hit})"
        params[-2:] = [raw.lower()]
        return f"({column.sql} {sql_op} ?)"
    if kind == "body":
        raise EwsError("ErrorUnsupportedPathForQuery", "The body can only be searched with Contains.")
    params.append(_value(column, raw))
    collate = " COLLATE NOCASE" if kind == "text" else ""
    return f"({column.sql} {sql_op} ?{collate})"


def _contains(el: etree._Element, params: list[object]) -> str:
    path = _mapped(first_path(el))
    column = _column(path)
    if column.kind not in ("text", "body", "address", "categories"):
        raise EwsError("ErrorContainsFilterWrongType", "Contains applies to text properties only.")
    const = el.find(f"{_T}Constant")
    needle = const.get("Value") if const is not None else None
    if needle is None:
        raise EwsError("ErrorInvalidRestriction", "Contains has no Constant.")
    mode = el.get("ContainmentMode") or "Substring"
    comparison = el.get("ContainmentComparison") or "Exact"
    ignore_case = "IgnoreCase" in comparison or "Loose" in comparison
    if column.kind == "categories":
        inner = _text_match("j.value", mode, ignore_case, needle, params)
        return f"(EXISTS (SELECT 1 FROM json_each(items.categories) j WHERE {inner}))"
    if column.kind == "address":
        name_col = "from_name" if column.sql == "from_addr" else None
        parts = [_text_match(f"coalesce({column.sql}, '')", mode, ignore_case, needle, params)]
        if name_col:
            parts.append(_text_match(f"coalesce({name_col}, '')", mode, ignore_case, needle, params))
        return "(" + " OR ".join(parts) + ")"
    return _text_match(column.sql, mode, ignore_case, needle, params)


def _text_match(col: str, mode: str, ignore_case: bool, needle: str, params: list[object]) -> str:
    left = f"lower({col})" if ignore_case else col
    value = needle.lower() if ignore_case else needle
    if mode == "FullString":
        params.append(value)
        return f"({left} = ?)"
    if mode == "Prefixed":
        return _prefix(left, value, params)
    if mode == "PrefixOnWords":
        params.extend([value, int(ignore_case)])
        return f"(ews_words_prefix({col}, ?, ?) = 1)"
    if mode in ("Substring", "ExactPhrase"):
        params.append(value)
        return f"(instr({left}, ?) > 0)"
    raise EwsError("ErrorInvalidRestriction", f"Unknown ContainmentMode {mode}.")


def _prefix(left: str, value: str, params: list[object]) -> str:
    params.append(value)
    return f"(substr({left}, 1, {len(value)}) = ?)"


def _exists(el: etree._Element, params: list[object]) -> str:
    path = _mapped(first_path(el))
    if path is not None and path.kind == "extended" and path.extended is not None:
        params.append(_ext_key(path.extended))
        return "(ews_ext(xml, ?) IS NOT NULL)"
    column = _column(path)
    if column.kind == "categories":
        return "(categories <> '[]')"
    if column.kind in ("text", "body"):
        return f"(coalesce({column.sql}, '') <> '')"
    return f"({column.sql} IS NOT NULL)"


def sort_sql(el: etree._Element | None, default: str = "received DESC, id DESC") -> str:
    """``m:SortOrder`` -> ORDER BY terms, with the item id as the final tie-breaker (stable paging)."""
    if el is None:
        return default
    terms: list[str] = []
    direction = "DESC"
    for order in el.iterfind(f"{_T}FieldOrder"):
        path = first_path(order)
        if path is None or path.kind != "field" or path.uri not in COLUMNS or path.uri in ("item:Body",
                                                                                           "item:Categories"):
            name = path.uri if path is not None and path.uri else "extended property"
            raise EwsError("ErrorUnsupportedPathForSortGroup", f"The property {name} can't be used for sorting.")
        column = COLUMNS[path.uri]
        way = "DESC" if order.get("Order") == "Descending" else "ASC"
        if not terms:
            direction = way
        expr = column.sort or (f"{column.sql} COLLATE NOCASE" if column.kind == "text" else column.sql)
        terms.append(f"{expr} {way}")
    if not terms:
        return default
    return ", ".join(terms) + f", id {direction}"


# SQL functions ------------------------------------------------------------------------------------
def _words_prefix(text: str | None, prefix: str, ignore_case: int) -> int:
    if not text:
        return 0
    words = (text.lower() if ignore_case else text).replace(",", " ").replace(".", " ").split()
    return int(any(w.startswith(prefix) for w in words))


def _ext_key(path: ExtendedPath) -> str:
    return repr((path.tag, path.set_id, path.name, path.prop_id))


def _message_id(xml: bytes | None) -> str | None:
    if not xml or b"InternetMessageId" not in xml:
        return None
    return etree.fromstring(xml).findtext(f"{_T}InternetMessageId")


def _extended_value(xml: bytes | None, key: str) -> str | None:
    if not xml or b"ExtendedProperty" not in xml:
        return None
    root = etree.fromstring(xml)
    for prop in root.iterfind(f"{_T}ExtendedProperty"):
        uri = prop.find(f"{_T}ExtendedFieldURI")
        if uri is None:
            continue
        stored = ExtendedPath.from_element(uri)
        if _ext_key(stored) == key:
            return prop.findtext(f"{_T}Value")
    return None
