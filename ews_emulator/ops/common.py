"""Small pieces every handler family shares: id elements, rights elements, request parsing helpers."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from lxml import etree

from ews_emulator.quirks import Quirk
from ews_emulator.soap import M_NS, T_NS, bool_text, t
from ews_emulator.store import Folder, ItemRow
from ews_emulator.store.ids import change_key, encode_id

if TYPE_CHECKING:
    from ews_emulator.exchange.context import Ctx

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"


def item_id_el(row: ItemRow, tag: str = "ItemId") -> etree._Element:
    return etree.Element(t(tag), Id=encode_id("item", row.mailbox_id, row.id), ChangeKey=change_key("item", row.change_num))


def folder_id_el(folder: Folder, tag: str = "FolderId") -> etree._Element:
    return etree.Element(t(tag), Id=encode_id("folder", folder.mailbox_id, folder.id),
                         ChangeKey=change_key("folder", folder.change_num))


_RIGHTS_ELEMENTS: dict[tuple[tuple[str, bool], ...], etree._Element] = {}


def effective_rights_el(ctx: Ctx, rights: dict[str, bool]) -> etree._Element:
    """``t:EffectiveRights`` as this server renders it: Exchange's, or without the optional ``ViewPrivateItems``
    under :attr:`~ews_emulator.quirks.Quirk.NO_VIEW_PRIVATE_ITEMS` (as Gromox answers).

    Args:
        ctx: The request's context (its backend's quirks are asked).
        rights: The rights in schema order (see :mod:`ews_emulator.rights`).
    """
    if ctx.backend.quirks.on(Quirk.NO_VIEW_PRIVATE_ITEMS):
        rights = {name: value for name, value in rights.items() if name != "ViewPrivateItems"}
    return rights_el(rights)


def rights_el(rights: dict[str, bool]) -> etree._Element:
    """``t:EffectiveRights`` from an ordered dict (see :mod:`ews_emulator.rights`).

    There are only a few distinct rights sets: each is built once and copied (a CalendarView of 5,000 items
    asks for the same one 5,000 times).
    """
    key = tuple(rights.items())
    made = _RIGHTS_ELEMENTS.get(key)
    if made is None:
        made = etree.Element(t("EffectiveRights"))
        for name, value in key:
            etree.SubElement(made, t(name)).text = bool_text(value)
        if len(_RIGHTS_ELEMENTS) < 256:
            _RIGHTS_ELEMENTS[key] = made
        else:
            return made
    return copy.deepcopy(made)


def mailbox_el(tag: str, name: str | None, address: str, routing: str = "SMTP",
               mailbox_type: str | None = "Mailbox") -> etree._Element:
    """``t:Mailbox`` (Name, EmailAddress, RoutingType, MailboxType), optionally wrapped in ``tag``."""
    mb = etree.Element(t("Mailbox"))
    if name:
        etree.SubElement(mb, t("Name")).text = name
    etree.SubElement(mb, t("EmailAddress")).text = address
    etree.SubElement(mb, t("RoutingType")).text = routing
    if mailbox_type:
        etree.SubElement(mb, t("MailboxType")).text = mailbox_type
    if tag == "Mailbox":
        return mb
    outer = etree.Element(t(tag))
    outer.append(mb)
    return outer


def fmt_ts(ts: int | float | None) -> str | None:
    """Unix seconds -> xs:dateTime in UTC, the form Exchange writes (``2026-11-26T17:56:32Z``)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_t(el: etree._Element, path: str) -> etree._Element | None:
    """``el.find`` with ``t:``/``m:`` prefixes in ``path`` (``"t:Mailbox/t:EmailAddress"``)."""
    return el.find(path.replace("t:", _T).replace("m:", _M))


def text_t(el: etree._Element, path: str, default: str | None = None) -> str | None:
    found = find_t(el, path)
    return found.text if found is not None and found.text is not None else default
