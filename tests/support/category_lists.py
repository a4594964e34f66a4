"""A mailbox's master category list (its Calendar's ``CategoryList``) read and written with plain exchangelib,
independently of the app, and the data another client keeps in that list, which the app must carry through."""

from __future__ import annotations

from typing import Any

from tests.support.emulator import account

# What another client (say, a CRM add-in) keeps in the list: an unknown attribute and an unknown element.
FOREIGN_ATTR = b'crm:sync="42" xmlns:crm="urn:example:crm"'
FOREIGN_ELEMENT = b'<crm:mapping xmlns:crm="urn:example:crm" id="7">keep me</crm:mapping>'


def stored_category_list(emu: Any, mailbox: str, user: str = "alice") -> bytes:
    """The mailbox's CategoryList XML as the server stores it (read as ``user``)."""
    acc = account(emu, user, mailbox)
    return acc.calendar.get_user_configuration(name="CategoryList", properties="XmlData").xml_data


def add_foreign_data(emu: Any, mailbox: str, user: str = "alice") -> bytes:
    """Put another client's data into the mailbox's list (``FOREIGN_ATTR`` on its first category, and
    ``FOREIGN_ELEMENT``), written as ``user``; returns the XML stored."""
    xml = stored_category_list(emu, mailbox, user).replace(b"<category ", b"<category " + FOREIGN_ATTR + b" ", 1)
    xml = xml.replace(b"</categories>", FOREIGN_ELEMENT + b"</categories>")
    account(emu, user, mailbox).calendar.update_user_configuration(name="CategoryList", xml_data=xml)
    return xml
