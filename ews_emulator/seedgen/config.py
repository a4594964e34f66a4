"""Mailbox configuration of the demo tenant: master category lists and inbox rules.

The master category list is Outlook's ``CategoryList`` configuration (MS-OXOCFG 2.2.5.2.2): an FAI
message in the Calendar folder whose XML names each category with its colour index (``preset0`` red,
``preset1`` orange, ``preset3`` yellow, ``preset7`` blue, ...; -1 = no colour) and GUID. Inbox rules are
stored as the ``t:Rule`` element GetInboxRules returns, children in ``t:RuleType`` order.
"""

from __future__ import annotations

import base64
import random
import sqlite3
import struct
import uuid
from datetime import UTC, datetime
from xml.sax.saxutils import quoteattr

from lxml import etree

from ews_emulator.seedgen.xmlitems import element, sub
from ews_emulator.store import Folder, Store
from ews_emulator.store.ids import encode_id
from ews_emulator.xml.builder import order_tree

_NEVER = "1601-01-01T00:00:00.000"
_TIME_ATTRS = (
    "lastTimeUsedNotes",
    "lastTimeUsedJournal",
    "lastTimeUsedContacts",
    "lastTimeUsedTasks",
    "lastTimeUsedCalendar",
    "lastTimeUsedMail",
    "lastTimeUsed",
)


def _outlook_time(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%S.000")


def category_list_xml(categories: list[dict], now: float, rng: random.Random) -> bytes:
    """The ``CategoryList`` XmlData Outlook writes, for ``[{"name": ..., "color": 0..24 or -1}, ...]``."""
    saved = _outlook_time(now - 30 * 86400)
    default = quoteattr(categories[0]["name"] if categories else "")
    parts = [
        f'<?xml version="1.0"?><categories default={default} lastSavedSession="1" lastSavedTime="{saved}"'
        ' xmlns="CategoryList.xsd">'
    ]
    for cat in categories:
        guid = "{" + str(uuid.UUID(int=rng.getrandbits(128), version=4)).upper() + "}"
        used = _outlook_time(now - rng.randint(1, 20) * 86400)
        times = " ".join(
            f'{a}="{used if a in ("lastTimeUsedMail", "lastTimeUsed") else _NEVER}"' for a in _TIME_ATTRS
        )
        parts.append(
            f'<category name={quoteattr(cat["name"])} color="{int(cat["color"])}" keyboardShortcut="0"'
            f' usageCount="{rng.randint(3, 60)}" {times} lastSessionUsed="0" guid="{guid}"'
            f' renameOnFirstUse="0"/>'
        )
    parts.append("</categories>")
    return "".join(parts).encode("utf-8")


def store_category_list(store: Store, con: sqlite3.Connection, calendar: Folder, xml: bytes) -> None:
    """Save the list as the ``CategoryList`` user configuration of the mailbox's Calendar folder."""
    con.execute(
        "INSERT OR REPLACE INTO user_configs(folder_id, name, dictionary, xml_data, binary_data, change_num)"
        " VALUES (?, 'CategoryList', NULL, ?, NULL, ?)",
        (calendar.id, xml, store.db.next_change(con)),
    )


def rule_id(mailbox_id: int, n: int) -> str:
    """An opaque rule id in the style Exchange issues (base64 of 8 bytes)."""
    return base64.b64encode(struct.pack(">II", mailbox_id, n)).decode("ascii")


def rule_element(rid: str, spec: dict, priority: int, folders: dict[str, Folder]) -> etree._Element:
    """A ``t:Rule`` from a ``tenant.json`` rule spec; folder names resolve against ``folders``."""
    rule = element("Rule")
    sub(rule, "RuleId", rid)
    sub(rule, "DisplayName", spec["name"])
    sub(rule, "Priority", str(priority))
    sub(rule, "IsEnabled", bool(spec.get("enabled", True)))
    for section in ("conditions", "exceptions", "actions"):
        values = spec.get(section)
        if not values:
            continue
        holder = sub(rule, section.capitalize())
        for key, value in values.items():
            child = sub(holder, key)
            if key in ("MoveToFolder", "CopyToFolder"):
                target = folders[value]
                sub(child, "FolderId", Id=encode_id("folder", target.mailbox_id, target.id))
            elif isinstance(value, list):
                for v in value:
                    sub(child, "String", v)
            else:
                child.text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return order_tree(rule, "t:RuleType")


def store_rules(
    store: Store, con: sqlite3.Connection, mailbox_id: int, specs: list[dict], folders: dict[str, Folder]
) -> None:
    """Insert a mailbox's inbox rules (priority = position, from 1)."""
    for n, spec in enumerate(specs, start=1):
        rid = rule_id(mailbox_id, n)
        el = rule_element(rid, spec, n, folders)
        con.execute(
            "INSERT INTO rules(mailbox_id, rule_id, priority, enabled, xml) VALUES (?,?,?,?,?)",
            (mailbox_id, rid, n, int(spec.get("enabled", True)), etree.tostring(el)),
        )
