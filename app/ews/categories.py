"""A mailbox's master category list: Outlook's ``CategoryList`` configuration on the mailbox's Calendar.

The XML ([MS-OXOCFG] 2.2.5.2.2) looks like
``<categories default="…" xmlns="CategoryList.xsd"><category name="Urgent" color="0" guid="{…}" …/>…</categories>``;
``color`` is -1 (none) or 0–24 (Outlook's preset colours).
"""

from __future__ import annotations

from exchangelib import errors as ex
from exchangelib.folders import Calendar, Root
from exchangelib.properties import DistinguishedFolderId, Mailbox, UserConfigurationNameMNS
from exchangelib.services import GetUserConfiguration
from lxml import etree

from app.domain.categories import PRESET_COLORS, Category
from app.ews.client import EwsClient

CONFIGURATION_NAME = "CategoryList"
_NS = "CategoryList.xsd"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
# A list that is missing, or in a Calendar the user may not open, means "no categories", not an error.
_NO_LIST = (ex.ErrorItemNotFound, ex.ErrorFolderNotFound, ex.ErrorAccessDenied)


def master_categories(client: EwsClient, mailbox: str) -> list[Category]:
    """The mailbox's master categories in their saved order (one GetUserConfiguration).

    Args:
        client: The signed-in user.
        mailbox: The mailbox whose list to read (the user's own or a shared one).

    Returns:
        The categories; [] when the mailbox has no list or the user may not read its Calendar.
    """
    account = client.own
    target = Mailbox(email_address=mailbox)
    root = Root(account=account, _distinguished_id=DistinguishedFolderId(id="root", mailbox=target))
    calendar = Calendar(root=root, _distinguished_id=DistinguishedFolderId(id="calendar", mailbox=target))

    def fetch() -> bytes | None:
        try:
            config = GetUserConfiguration(account=account).get(
                user_configuration_name=UserConfigurationNameMNS(name=CONFIGURATION_NAME, folder=calendar),
                properties="XmlData",
            )
        except _NO_LIST:
            return None
        return config.xml_data

    return parse_category_list(client.retrying(fetch, mailbox=mailbox))


def parse_category_list(xml: bytes | None) -> list[Category]:
    """Categories from ``CategoryList`` XmlData; [] for nothing or for XML that is not a category list."""
    if not xml:
        return []
    try:
        root = etree.fromstring(xml, _PARSER)
    except etree.XMLSyntaxError:
        return []
    categories: dict[str, Category] = {}
    for element in root.iter(f"{{{_NS}}}category", "category"):
        name = (element.get("name") or "").strip()
        if name and name.casefold() not in categories:
            categories[name.casefold()] = Category(name, _color(element.get("color")))
    return list(categories.values())


def _color(text: str | None) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        return -1
    return value if 0 <= value < len(PRESET_COLORS) else -1
