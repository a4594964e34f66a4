"""Folder elements for responses: response shapes, properties, extended properties.

``t:Folder`` / ``t:CalendarFolder`` / ``t:ContactsFolder`` / ``t:TasksFolder`` / ``t:SearchFolder`` as
GetFolder, FindFolder and SyncFolderHierarchy return them, built from a ``FolderShape``
(``IdOnly``/``Default``/``AllProperties`` plus ``AdditionalProperties``) and written in schema order.

Exchange 2013 and later leave ``PermissionSet`` out of ``AllProperties``; it must be asked for
explicitly (``folder:PermissionSet``). ``DistinguishedFolderId`` is returned only when asked for too.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.exchange.context import Ctx
from ews_emulator.ops.common import effective_rights_el, folder_id_el
from ews_emulator.ops.folderperm import permission_set_el
from ews_emulator.rights import READ_FULL, READ_NONE, Access
from ews_emulator.soap import T_NS, t
from ews_emulator.store import Folder
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"

ID_ONLY = frozenset({"folder:FolderId"})
DEFAULT = ID_ONLY | {
    "folder:DisplayName",
    "folder:TotalCount",
    "folder:ChildFolderCount",
    "folder:UnreadCount",
}
ALL_PROPERTIES = DEFAULT | {"folder:ParentFolderId", "folder:FolderClass", "folder:EffectiveRights"}
_BASE = {"IdOnly": ID_ONLY, "Default": DEFAULT, "AllProperties": ALL_PROPERTIES}

# Folder kinds (``t:<kind>``) whose schema type has UnreadCount / SharingEffectiveRights.
_HAS_UNREAD = frozenset({"Folder", "TasksFolder", "SearchFolder"})
_HAS_SHARING_RIGHTS = frozenset({"CalendarFolder", "ContactsFolder"})

# MAPI property tags a folder can answer as extended properties: tag -> (allowed types, getter name).
PR_MESSAGE_SIZE = 0x0E08
PR_ATTR_HIDDEN = 0x10F4
PR_DISPLAY_NAME = 0x3001
PR_CONTENT_COUNT = 0x3602
PR_CONTENT_UNREAD = 0x3603
PR_SUBFOLDERS = 0x360A
PR_CONTAINER_CLASS = 0x3613
PR_FOLDER_CHILD_COUNT = 0x6638
_TAG_TYPES = {
    PR_MESSAGE_SIZE: ("Long", "Integer"),
    PR_ATTR_HIDDEN: ("Boolean",),
    PR_DISPLAY_NAME: ("String",),
    PR_CONTENT_COUNT: ("Integer",),
    PR_CONTENT_UNREAD: ("Integer",),
    PR_SUBFOLDERS: ("Boolean",),
    PR_CONTAINER_CLASS: ("String",),
    PR_FOLDER_CHILD_COUNT: ("Integer",),
}


@dataclass
class FolderShape:
    """What a request asked for: the base shape's fields plus additional properties."""

    fields: set[str] = field(default_factory=lambda: set(ID_ONLY))
    extended: list[etree._Element] = field(default_factory=list)


def parse_shape(shape_el: etree._Element | None) -> FolderShape:
    """Read ``m:FolderShape`` (``t:BaseShape`` + ``t:AdditionalProperties``)."""
    shape = FolderShape()
    if shape_el is None:
        return shape
    base = (shape_el.findtext(f"{_T}BaseShape") or "IdOnly").strip()
    shape.fields = set(_BASE.get(base, ID_ONLY))
    extra = shape_el.find(f"{_T}AdditionalProperties")
    if extra is not None:
        for path in extra:
            local = etree.QName(path).localname
            if local == "FieldURI" and path.get("FieldURI"):
                shape.fields.add(path.get("FieldURI", ""))
            elif local == "ExtendedFieldURI":
                shape.extended.append(path)
    return shape


def property_tag(path: etree._Element) -> int | None:
    """The numeric ``PropertyTag`` of an ``ExtendedFieldURI`` (hex ``0x0E08`` or decimal), None if absent/bad."""
    tag = path.get("PropertyTag")
    if not tag:
        return None
    try:
        return int(tag, 16) if tag.lower().startswith("0x") else int(tag)
    except ValueError:
        return None


def extended_value(ctx: Ctx, folder: Folder, path: etree._Element) -> str | None:
    """The text of a supported folder MAPI property, or None when the folder has no such property."""
    tag = property_tag(path)
    if tag not in _TAG_TYPES or path.get("PropertyType") not in _TAG_TYPES[tag]:
        return None
    if tag == PR_MESSAGE_SIZE:
        return str(ctx.store.folders.size(folder.id))
    if tag == PR_ATTR_HIDDEN:
        return "true" if folder.is_hidden else "false"
    if tag == PR_DISPLAY_NAME:
        return folder.display_name
    if tag == PR_CONTAINER_CLASS:
        return folder.folder_class
    total, unread, children = ctx.store.folders.counts(folder.id)
    return {
        PR_CONTENT_COUNT: str(total),
        PR_CONTENT_UNREAD: str(unread),
        PR_FOLDER_CHILD_COUNT: str(children),
        PR_SUBFOLDERS: "true" if children else "false",
    }[tag]


def _extended_el(path: etree._Element, value: str) -> etree._Element:
    prop = etree.Element(t("ExtendedProperty"))
    uri = etree.SubElement(prop, t("ExtendedFieldURI"))
    for name in ("DistinguishedPropertySetId", "PropertySetId", "PropertyName", "PropertyId"):
        if path.get(name) is not None:
            uri.set(name, path.get(name, ""))
    tag = property_tag(path)
    if tag is not None:
        uri.set("PropertyTag", hex(tag))  # Exchange echoes tags normalised, e.g. 0xe08
    uri.set("PropertyType", path.get("PropertyType", ""))
    etree.SubElement(prop, t("Value")).text = value
    return prop


def sharing_rights(acc: Access, folder: Folder) -> str:
    """``SharingEffectiveRights``: the read access the caller has (calendar levels on calendars)."""
    if acc.everything:
        return READ_FULL
    read = acc.perm.read_items
    if folder.kind == "ContactsFolder" and read not in (READ_NONE, READ_FULL):
        return READ_NONE
    return read


def folder_element(ctx: Ctx, folder: Folder, shape: FolderShape, acc: Access | None = None) -> etree._Element:
    """``t:<kind>`` for ``folder`` with the properties ``shape`` asks for, in schema order."""
    acc = acc or ctx.access(folder)
    want = shape.fields
    el = etree.Element(t(folder.kind))
    el.append(folder_id_el(folder))
    if "folder:ParentFolderId" in want and folder.parent_id is not None:
        parent = ctx.store.folders.get(folder.parent_id)
        if parent is not None:
            el.append(folder_id_el(parent, "ParentFolderId"))
    if "folder:FolderClass" in want and folder.folder_class:
        etree.SubElement(el, t("FolderClass")).text = folder.folder_class
    if "folder:DisplayName" in want:
        etree.SubElement(el, t("DisplayName")).text = folder.display_name
    counts = None
    if want & {"folder:TotalCount", "folder:ChildFolderCount", "folder:UnreadCount"}:
        counts = ctx.store.folders.counts(folder.id)
    if counts and "folder:TotalCount" in want:
        etree.SubElement(el, t("TotalCount")).text = str(counts[0])
    if counts and "folder:ChildFolderCount" in want:
        etree.SubElement(el, t("ChildFolderCount")).text = str(counts[2])
    for path in shape.extended:
        value = extended_value(ctx, folder, path)
        if value is not None:
            el.append(_extended_el(path, value))
    if "folder:EffectiveRights" in want:
        el.append(effective_rights_el(ctx, acc.folder_effective_rights()))
    if "folder:DistinguishedFolderId" in want and folder.well_known:
        etree.SubElement(el, t("DistinguishedFolderId")).text = folder.well_known
    if "folder:SharingEffectiveRights" in want and folder.kind in _HAS_SHARING_RIGHTS:
        etree.SubElement(el, t("SharingEffectiveRights")).text = sharing_rights(acc, folder)
    if "folder:PermissionSet" in want:
        el.append(permission_set_el(ctx, folder))
    if counts and "folder:UnreadCount" in want and folder.kind in _HAS_UNREAD:
        etree.SubElement(el, t("UnreadCount")).text = str(counts[1])
    return order_children(el, f"t:{folder.kind}Type")


def folder_id_only(folder: Folder) -> etree._Element:
    """``t:<kind>`` holding just the FolderId (CreateFolder/UpdateFolder/MoveFolder answers)."""
    el = etree.Element(t(folder.kind))
    el.append(folder_id_el(folder))
    return el


def folders_container(folders: list[etree._Element], tag: str = "Folders", ns: str = "m") -> etree._Element:
    """``m:Folders`` (or ``t:Folders``) around folder elements."""
    from ews_emulator.soap import m

    el = etree.Element(m(tag) if ns == "m" else t(tag))
    el.extend(folders)
    return el
