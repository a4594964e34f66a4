"""FindFolder helpers: which folders a caller sees, folder restrictions, and paging views.

Visibility: a folder is listed when the caller may see it (Full Access, ``IsFolderVisible`` or any read
right) and, for deep traversals, when every folder between it and the searched parent is visible too,
the way a client walking the tree would find it. Hidden (``PR_ATTR_HIDDEN``) folders are listed like any
other, as Exchange does; clients filter them with a restriction on ``0x10F4``.

Restrictions cover what a folder search needs: ``And``/``Or``/``Not``, ``Exists``, the six comparisons and
``Contains`` on ``folder:DisplayName``, ``folder:FolderClass``, the three counts, and the extended
properties :mod:`ews_emulator.ops.folderxml` knows. String comparisons ignore case, as Exchange's do.
"""

from __future__ import annotations

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.ops.folderxml import extended_value
from ews_emulator.soap import M_NS, T_NS
from ews_emulator.store import Folder

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
_COMPARE = {
    "IsEqualTo": lambda a, b: a == b,
    "IsNotEqualTo": lambda a, b: a != b,
    "IsGreaterThan": lambda a, b: a > b,
    "IsGreaterThanOrEqualTo": lambda a, b: a >= b,
    "IsLessThan": lambda a, b: a < b,
    "IsLessThanOrEqualTo": lambda a, b: a <= b,
}
_COUNT_FIELDS = {"folder:TotalCount": 0, "folder:UnreadCount": 1, "folder:ChildFolderCount": 2}


# Visibility ----------------------------------------------------------------------------------------
def visible_children(ctx: Ctx, folder: Folder) -> list[Folder]:
    return [c for c in ctx.store.folders.children(folder.id) if ctx.access(c).can_see_folder]


def visible_tree(ctx: Ctx, folder: Folder) -> list[Folder]:
    """Visible descendants, depth first with parents before children, below visible parents only."""
    out: list[Folder] = []
    stack = list(reversed(visible_children(ctx, folder)))
    while stack:
        f = stack.pop()
        out.append(f)
        stack.extend(reversed(visible_children(ctx, f)))
    return out


# Restrictions --------------------------------------------------------------------------------------
def _field_value(ctx: Ctx, folder: Folder, path: etree._Element) -> str | int | None:
    local = etree.QName(path).localname
    if local == "ExtendedFieldURI":
        value = extended_value(ctx, folder, path)
        if value is not None and path.get("PropertyType") in ("Integer", "Long"):
            return int(value)
        return value
    uri = path.get("FieldURI") if local == "FieldURI" else None
    if uri == "folder:DisplayName":
        return folder.display_name
    if uri == "folder:FolderClass":
        return folder.folder_class
    if uri in _COUNT_FIELDS:
        return ctx.store.folders.counts(folder.id)[_COUNT_FIELDS[uri]]
    raise EwsError(
        "ErrorUnsupportedPathForQuery", f"The property {uri or local} cannot be used in a folder restriction."
    )


def _path_of(expr: etree._Element) -> etree._Element:
    for child in expr:
        if etree.QName(child).localname in ("FieldURI", "ExtendedFieldURI", "IndexedFieldURI"):
            return child
    raise EwsError("ErrorInvalidRestriction", "The restriction names no property.")


def _constant(expr: etree._Element) -> str:
    const = expr.find(f"{_T}Constant")
    if const is None:
        const = expr.find(f"{_T}FieldURIOrConstant/{_T}Constant")
    if const is None:
        raise EwsError(
            "ErrorUnsupportedQueryFilter", "Only comparisons with a constant are supported for folders."
        )
    return const.get("Value", "")


def _normalise(left: str | int | None, right: str) -> tuple[object, object]:
    if isinstance(left, int):
        try:
            return left, int(right)
        except ValueError as exc:
            raise EwsError("ErrorInvalidRestriction", f"'{right}' is not a number.") from exc
    if left in ("true", "false"):
        return left, {"1": "true", "0": "false"}.get(right.lower(), right.lower())
    return (left or "").lower(), right.lower()


def _contains(value: str | int | None, expr: etree._Element) -> bool:
    text = "" if value is None else str(value)
    needle = _constant(expr)
    comparison = expr.get("ContainmentComparison", "Exact")
    if "IgnoreCase" in comparison or comparison == "Loose":
        text, needle = text.lower(), needle.lower()
    mode = expr.get("ContainmentMode", "Substring")
    if mode == "FullString":
        return text == needle
    if mode == "Prefix":
        return text.startswith(needle)
    if mode == "PrefixOnWords":
        return any(word.startswith(needle) for word in text.split())
    return needle in text  # Substring, ExactPhrase


def matches(ctx: Ctx, folder: Folder, expr: etree._Element) -> bool:
    """Evaluate one search expression (``t:And``, ``t:IsEqualTo``, ...) against a folder."""
    local = etree.QName(expr).localname
    if local == "And":
        return all(matches(ctx, folder, e) for e in expr)
    if local == "Or":
        return any(matches(ctx, folder, e) for e in expr)
    if local == "Not":
        return not matches(ctx, folder, expr[0])
    if local == "Exists":
        return _field_value(ctx, folder, _path_of(expr)) is not None
    if local == "Contains":
        return _contains(_field_value(ctx, folder, _path_of(expr)), expr)
    if local in _COMPARE:
        value = _field_value(ctx, folder, _path_of(expr))
        if value is None:
            return local == "IsNotEqualTo"
        left, right = _normalise(value, _constant(expr))
        return bool(_COMPARE[local](left, right))
    raise EwsError("ErrorUnsupportedQueryFilter", f"The restriction {local} is not supported for folders.")


# Paging --------------------------------------------------------------------------------------------
def page(found: list[Folder], req: etree._Element) -> tuple[list[Folder], dict[str, str]]:
    """Apply ``IndexedPageFolderView`` / ``FractionalPageFolderView``; return the page and RootFolder attributes."""
    total = len(found)
    indexed = req.find(f"{_M}IndexedPageFolderView")
    fractional = req.find(f"{_M}FractionalPageFolderView")
    view = indexed if indexed is not None else fractional
    if view is None:
        return found, {"TotalItemsInView": str(total), "IncludesLastItemInRange": "true"}
    max_entries = _int(view.get("MaxEntriesReturned"), total)
    if max_entries <= 0:
        raise EwsError("ErrorInvalidPagingMaxRows", "MaxEntriesReturned must be greater than zero.")
    if indexed is not None:
        offset = _int(indexed.get("Offset"), 0)
        if offset < 0:
            raise EwsError("ErrorInvalidIndexedPagingParameters", "The paging offset cannot be negative.")
        if indexed.get("BasePoint", "Beginning") == "End":
            end = max(0, total - offset)
            start = max(0, end - max_entries)
            chunk = found[start:end]
            last = start == 0
        else:
            start = min(offset, total)
            chunk = found[start : start + max_entries]
            last = start + len(chunk) >= total
        return chunk, {
            "IndexedPagingOffset": str(offset + len(chunk)),
            "TotalItemsInView": str(total),
            "IncludesLastItemInRange": "true" if last else "false",
        }
    numerator, denominator = _int(view.get("Numerator"), 0), _int(view.get("Denominator"), 1)
    if denominator <= 0 or numerator < 0 or numerator > denominator:
        raise EwsError(
            "ErrorInvalidFractionalPagingParameters", "The fractional paging parameters are invalid."
        )
    start = total * numerator // denominator
    chunk = found[start : start + max_entries]
    end = start + len(chunk)
    return chunk, {
        "NumeratorOffset": str(end),
        "AbsoluteDenominator": str(total),
        "TotalItemsInView": str(total),
        "IncludesLastItemInRange": "true" if end >= total else "false",
    }


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError as exc:
        raise EwsError("ErrorInvalidRequest", f"'{text}' is not a number.") from exc
