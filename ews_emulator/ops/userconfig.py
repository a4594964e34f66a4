"""User configuration objects (folder-associated items): Get/Create/Update/DeleteUserConfiguration.

A configuration is named by ``UserConfigurationName`` (``Name`` plus the folder, e.g. the Calendar of
``support@`` for Outlook's ``CategoryList``). Rights are the folder's: reading needs the right to read
items there; creating, changing or deleting a folder-associated item needs ``CreateAssociated``, i.e.
folder owner (the mailbox owner and Full Access holders are owners of every folder).

Storage (table ``user_configs``): ``dictionary`` holds the serialized ``t:Dictionary`` element,
``xml_data`` and ``binary_data`` the raw (decoded) bytes. Update replaces only the parts the request
carries. Errors as Exchange: no such configuration -> ``ErrorItemNotFound``; Create of an existing
name -> ``ErrorItemSave``.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message
from ews_emulator.ops.common import folder_id_el
from ews_emulator.quirks import Quirk
from ews_emulator.soap import M_NS, T_NS, SoapFault, m, t
from ews_emulator.store import Folder
from ews_emulator.store.ids import change_key, encode_id

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
# Configuration ids live above every item row id, so GetItem on one finds nothing instead of a wrong item.
ID_BASE = 1 << 40
PARTS = ("Dictionary", "XmlData", "BinaryData")


def _folder_and_name(ctx: Ctx, name_el: etree._Element | None) -> tuple[Folder, str]:
    if name_el is None or len(name_el) == 0:
        raise EwsError("ErrorInvalidRequest", "UserConfigurationName must name a folder.")
    return ctx.folder(name_el[0]), name_el.get("Name") or ""


def _row(con: sqlite3.Connection, folder_id: int, name: str) -> sqlite3.Row | None:
    return con.execute("SELECT rowid, dictionary, xml_data, binary_data, change_num FROM user_configs"
                       " WHERE folder_id = ? AND name = ?", (folder_id, name)).fetchone()


def _check_write(ctx: Ctx, folder: Folder) -> None:
    if not ctx.access(folder).is_folder_owner:
        raise access_denied()


def _decode(el: etree._Element | None) -> bytes | None:
    if el is None:
        return None
    try:
        return base64.b64decode((el.text or "").encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise SoapFault("ErrorSchemaValidation", f"'{etree.QName(el).localname}' is not valid base64.") from exc


def _parts(conf: etree._Element) -> dict[str, bytes | None]:
    """The parts a request carries (a missing part is absent from the result)."""
    out: dict[str, bytes | None] = {}
    dictionary = conf.find(f"{_T}Dictionary")
    if dictionary is not None:
        out["dictionary"] = etree.tostring(dictionary)
    for tag, key in (("XmlData", "xml_data"), ("BinaryData", "binary_data")):
        found = conf.find(f"{_T}{tag}")
        if found is not None:
            out[key] = _decode(found)
    return out


# Get --------------------------------------------------------------------------------------------
@operation("GetUserConfiguration")
def get_user_configuration(ctx: Ctx, req: etree._Element) -> etree._Element:
    wanted = set((req.findtext(f"{_M}UserConfigurationProperties") or "All").split())
    if "All" in wanted:
        wanted = {"Id", *PARTS}

    def fill(msg: etree._Element, _: None) -> None:
        folder, name = _folder_and_name(ctx, req.find(f"{_M}UserConfigurationName"))
        if not ctx.access(folder).can_read_items:
            raise access_denied()
        if ctx.backend.quirks.on(Quirk.EMPTY_CONFIGURATION_ANSWER):
            return  # NoError, and nothing else
        row = _row(ctx.store.db.connection(), folder.id, name)
        if row is None:
            raise EwsError("ErrorItemNotFound")
        conf = etree.SubElement(msg, m("UserConfiguration"))
        name_el = etree.SubElement(conf, t("UserConfigurationName"), Name=name)
        name_el.append(folder_id_el(folder))
        if "Id" in wanted:
            etree.SubElement(conf, t("ItemId"), Id=encode_id("item", folder.mailbox_id, ID_BASE + row[0]),
                             ChangeKey=change_key("item", row[4]))
        if "Dictionary" in wanted and row[1] is not None:
            conf.append(etree.fromstring(bytes(row[1])))
        if "XmlData" in wanted and row[2] is not None:
            etree.SubElement(conf, t("XmlData")).text = base64.b64encode(bytes(row[2])).decode("ascii")
        if "BinaryData" in wanted and row[3] is not None:
            etree.SubElement(conf, t("BinaryData")).text = base64.b64encode(bytes(row[3])).decode("ascii")

    return each_message("GetUserConfiguration", [None], fill)


# Create / Update / Delete ------------------------------------------------------------------------
@operation("CreateUserConfiguration")
def create_user_configuration(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        conf = req.find(f"{_M}UserConfiguration")
        assert conf is not None  # schema
        folder, name = _folder_and_name(ctx, conf.find(f"{_T}UserConfigurationName"))
        _check_write(ctx, folder)
        parts = _parts(conf)
        with ctx.store.db.tx() as con:
            if _row(con, folder.id, name) is not None:
                raise EwsError("ErrorItemSave", "The user configuration object already exists.")
            con.execute("INSERT INTO user_configs(folder_id, name, dictionary, xml_data, binary_data, change_num)"
                        " VALUES (?,?,?,?,?,?)", (folder.id, name, parts.get("dictionary"), parts.get("xml_data"),
                                                  parts.get("binary_data"), ctx.store.db.next_change(con)))

    return each_message("CreateUserConfiguration", [None], fill)


@operation("UpdateUserConfiguration")
def update_user_configuration(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        conf = req.find(f"{_M}UserConfiguration")
        assert conf is not None  # schema
        folder, name = _folder_and_name(ctx, conf.find(f"{_T}UserConfigurationName"))
        if not ctx.access(folder).can_read_items:
            raise access_denied()
        parts = _parts(conf)
        with ctx.store.db.tx() as con:
            if _row(con, folder.id, name) is None:
                raise EwsError("ErrorItemNotFound")
            _check_write(ctx, folder)
            sets = ", ".join(f"{k} = ?" for k in parts)
            con.execute(f"UPDATE user_configs SET {sets + ', ' if sets else ''}change_num = ? "
                        "WHERE folder_id = ? AND name = ?",
                        (*parts.values(), ctx.store.db.next_change(con), folder.id, name))

    return each_message("UpdateUserConfiguration", [None], fill)


@operation("DeleteUserConfiguration")
def delete_user_configuration(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        folder, name = _folder_and_name(ctx, req.find(f"{_M}UserConfigurationName"))
        if not ctx.access(folder).can_read_items:
            raise access_denied()
        with ctx.store.db.tx() as con:
            if _row(con, folder.id, name) is None:
                raise EwsError("ErrorItemNotFound")
            _check_write(ctx, folder)
            con.execute("DELETE FROM user_configs WHERE folder_id = ? AND name = ?", (folder.id, name))

    return each_message("DeleteUserConfiguration", [None], fill)
