"""A mailbox's master label list: Outlook's ``CategoryList`` XML, edited without losing what others keep there.

The list lives in the ``CategoryList`` user configuration of the mailbox's Calendar ([MS-OXOCFG] 2.2.5.2.2)::

    <categories default="Urgent" lastSavedSession="1" lastSavedTime="…" xmlns="CategoryList.xsd">
      <category name="Urgent" color="0" keyboardShortcut="0" usageCount="12" guid="{…}" renameOnFirstUse="0" …/>
    </categories>

Outlook and other clients keep more there than Mailroom understands (usage counters, keyboard shortcuts, last-use
times, entries of other kinds, attributes of newer versions). :class:`LabelList` keeps the parsed document as it
came and changes only what the user changed: a rename sets ``name`` (and ``default`` when it named the label), a
recolour sets ``color``, a delete removes that one element, an add appends one. Every other element and
attribute is written back unchanged (lxml may only move the namespace declaration first among the attributes).

Edits are *operations* (:class:`LabelEdit`) so that the EWS layer can apply them to the list as it is on the
server right before writing (someone else may have changed it meanwhile).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from app.domain.categories import PRESET_COLORS, Category
from app.domain.rights import Capability, FolderRights

NS = "CategoryList.xsd"
_CATEGORY = f"{{{NS}}}category"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                          remove_blank_text=False)
MAX_NAME = 255
NO_COLOR = -1
_FORBIDDEN = (",", ";")  # Outlook separates categories with these; a name may not contain them


class LabelError(ValueError):
    """An edit that cannot be made; ``str(error)`` says why in plain words."""


def color_name(color: int) -> str:
    """ "Red", "Dark blue" … or "No colour"."""
    return PRESET_COLORS[color][0] if 0 <= color < len(PRESET_COLORS) else "No colour"


def check_name(name: str, existing: list[str], *, allow: str = "") -> str:
    """The name cleaned of outer spaces, or :class:`LabelError` saying what is wrong with it.

    Args:
        name: What the user typed.
        existing: Names already in the list.
        allow: A name that may stay (the label being renamed).
    """
    clean = " ".join(name.split())
    if not clean:
        raise LabelError("A label needs a name.")
    if len(clean) > MAX_NAME:
        raise LabelError(f"A label name can have at most {MAX_NAME} characters.")
    bad = [c for c in _FORBIDDEN if c in clean]
    if bad:
        raise LabelError(f"A label name cannot contain “{bad[0]}” (Outlook uses it to separate labels).")
    taken = {e.casefold() for e in existing if e.casefold() != allow.casefold()}
    if clean.casefold() in taken:
        raise LabelError(f"There is already a label called “{clean}”.")
    return clean


class LabelList:
    """A parsed ``CategoryList``; changes keep every element and attribute Mailroom does not know.

    Args:
        xml: The configuration's XmlData, or None / b"" for a mailbox without a list (a new one is made).
    """

    def __init__(self, xml: bytes | None = None) -> None:
        self.existed = bool(xml)
        root = None
        if xml:
            try:
                root = etree.fromstring(xml, _PARSER)
            except etree.XMLSyntaxError as error:
                raise LabelError(f"The mailbox's label list is not valid XML ({error}); it was left as it is.") \
                    from error
            if etree.QName(root).localname != "categories":
                raise LabelError("The mailbox's label list is not an Outlook category list; it was left as it is.")
        self._root = root if root is not None else etree.Element(f"{{{NS}}}categories", nsmap={None: NS})
        self._declaration = xml.lstrip().startswith(b"<?xml") if xml else True

    # -- reading -------------------------------------------------------------------------------------------
    def _elements(self) -> list[etree._Element]:
        # Outlook writes the namespace; tolerate lists written without it.
        return [e for e in self._root if isinstance(e.tag, str) and e.tag in (_CATEGORY, "category")
                and (e.get("name") or "").strip()]

    def _find(self, name: str) -> etree._Element | None:
        key = name.strip().casefold()
        return next((e for e in self._elements() if (e.get("name") or "").strip().casefold() == key), None)

    def categories(self) -> list[Category]:
        """The labels in their saved order (a duplicate name counts once, as Outlook shows it)."""
        seen: dict[str, Category] = {}
        for element in self._elements():
            name = (element.get("name") or "").strip()
            if name.casefold() not in seen:
                seen[name.casefold()] = Category(name, _color(element.get("color")))
        return list(seen.values())

    def names(self) -> list[str]:
        return [c.name for c in self.categories()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    # -- changing ------------------------------------------------------------------------------------------
    def add(self, name: str, color: int = NO_COLOR) -> Category:
        """Append a label (a new GUID, Outlook's usual attributes); :class:`LabelError` for a bad or taken name."""
        clean = check_name(name, self.names())
        element = etree.SubElement(self._root, _CATEGORY if self._namespaced() else "category")
        element.set("name", clean)
        element.set("color", str(_valid_color(color)))
        element.set("keyboardShortcut", "0")
        element.set("usageCount", "0")
        element.set("renameOnFirstUse", "0")
        element.set("guid", "{" + str(uuid.uuid4()).upper() + "}")
        return Category(clean, _valid_color(color))

    def rename(self, old: str, new: str) -> Category:
        """Rename a label in place (its GUID, colour and other attributes stay)."""
        element = self._require(old)
        clean = check_name(new, self.names(), allow=old)
        previous = element.get("name") or ""
        element.set("name", clean)
        if (self._root.get("default") or "").casefold() == previous.casefold():
            self._root.set("default", clean)
        return Category(clean, _color(element.get("color")))

    def recolor(self, name: str, color: int) -> Category:
        """Give a label one of the 25 preset colours (0–24) or none (-1)."""
        element = self._require(name)
        element.set("color", str(_valid_color(color)))
        return Category(element.get("name") or name, _valid_color(color))

    def delete(self, name: str) -> None:
        """Remove a label's entry (every entry of that name, should the list hold duplicates)."""
        self._require(name)
        key = name.strip().casefold()
        for element in self._elements():
            if (element.get("name") or "").strip().casefold() == key:
                self._root.remove(element)

    def to_xml(self) -> bytes:
        """The document to write back (UTF-8, with the XML declaration when the original had one)."""
        body = etree.tostring(self._root, encoding="utf-8", xml_declaration=False)
        return (b'<?xml version="1.0"?>' + body) if self._declaration else body

    # -- internals -----------------------------------------------------------------------------------------
    def _require(self, name: str) -> etree._Element:
        element = self._find(name)
        if element is None:
            raise LabelError(f"There is no label called “{name}” any more (someone may have removed it).")
        return element

    def _namespaced(self) -> bool:
        return etree.QName(self._root).namespace == NS


def _color(text: str | None) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        return NO_COLOR
    return value if 0 <= value < len(PRESET_COLORS) else NO_COLOR


def _valid_color(color: int) -> int:
    if color != NO_COLOR and not 0 <= color < len(PRESET_COLORS):
        raise LabelError(f"Colour {color} is not one of Outlook's {len(PRESET_COLORS)} colours.")
    return color


@dataclass(frozen=True)
class LabelEdit:
    """One change the user asked for, replayable on the list as the server has it.

    Attributes:
        kind: "add", "rename", "recolor" or "delete".
        name: The label concerned (for "add": the new name).
        new_name: For "rename".
        color: For "add" and "recolor".
    """

    kind: str
    name: str
    new_name: str = ""
    color: int = NO_COLOR

    def apply(self, labels: LabelList) -> None:
        """Make the change on ``labels``; :class:`LabelError` when it cannot be made."""
        actions: dict[str, Callable[[], object]] = {
            "add": lambda: labels.add(self.name, self.color),
            "rename": lambda: labels.rename(self.name, self.new_name),
            "recolor": lambda: labels.recolor(self.name, self.color),
            "delete": lambda: labels.delete(self.name),
        }
        if self.kind not in actions:
            raise LabelError(f"Unknown label change {self.kind!r}.")
        actions[self.kind]()

    def describe(self) -> str:
        """ "Renamed “Bug” to “Defect”" — for the status bar."""
        return {
            "add": f"Added the label “{self.name}”",
            "rename": f"Renamed “{self.name}” to “{self.new_name}”",
            "recolor": f"“{self.name}” is now {color_name(self.color).lower()}",
            "delete": f"Deleted the label “{self.name}”",
        }.get(self.kind, self.kind)


def relabelled(categories: tuple[str, ...] | list[str], old: str, new: str | None) -> list[str]:
    """An item's categories after renaming ``old`` to ``new`` (None: removing it); order kept, no duplicates."""
    out: list[str] = []
    for name in categories:
        value = new if name.casefold() == old.casefold() else name
        if value is not None and value.casefold() not in {o.casefold() for o in out}:
            out.append(value)
    return out


def edit_capability(display_name: str, *, own: bool, calendar: FolderRights | None,
                    access: str = "") -> Capability:
    """Whether the user may change a mailbox's master label list, and why not.

    Writing the ``CategoryList`` needs owner rights on the mailbox's Calendar (it is a folder-associated item
    there): the mailbox's owner and Full Access holders have them; folder-level grants such as Reviewer do not.

    Args:
        display_name: "Sales Team".
        own: The user's own mailbox.
        calendar: The user's rights on the mailbox's Calendar (None: not visible).
        access: What the user has instead, for the reason ("read-only access to Inbox and Calendar").
    """
    if own or (calendar is not None and calendar.owns_folder):
        return Capability(True)
    having = f" You have {access}." if access else ""
    return Capability(False, f"Changing the labels of {display_name} needs Full Access to the mailbox.{having}")
