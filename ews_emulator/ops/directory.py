"""Directory operations: ResolveNames, ExpandDL, GetRoomLists, GetRooms.

ResolveNames does ambiguous name resolution over the directory (the GAL: users, shared mailboxes,
rooms, groups) and over contact folders: the caller's own Contacts folder by default, or the
``ParentFolderIds`` given. Contact folders are only searched when the caller may read their items,
so nothing leaks; naming a folder the caller cannot read is ``ErrorAccessDenied``. One match is
``Success``, several are ``Warning``/``ErrorNameResolutionMultipleResults`` with every resolution
(at most 100), none is ``ErrorNameResolutionNoResults``.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import each_message, error, response_root, top_level_message
from ews_emulator.ops.common import item_id_el
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t, xs_bool
from ews_emulator.store import Folder, ItemRow, Recipient
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
MAX_RESOLUTIONS = 100
NO_RESULTS = "No results were found."
MULTIPLE = "Multiple results were found."


@dataclass
class Resolution:
    """One candidate: a directory entry or a contact-folder item."""

    recipient: Recipient | None = None
    item: ItemRow | None = None
    folder: Folder | None = None


# ResolveNames ------------------------------------------------------------------------------
@operation("ResolveNames")
def resolve_names(ctx: Ctx, req: etree._Element) -> etree._Element:
    full = xs_bool(req.get("ReturnFullContactData"), False)
    scope = req.get("SearchScope") or "ActiveDirectoryContacts"
    shape = req.get("ContactDataShape")
    entry = (req.findtext(f"{_M}UnresolvedEntry") or "").strip()
    root, container = response_root("ResolveNames")
    try:
        found = _resolve(ctx, req, entry, scope)
    except EwsError as exc:
        error(container, "ResolveNames", exc)
        return root
    if not found:
        error(container, "ResolveNames", EwsError("ErrorNameResolutionNoResults", NO_RESULTS))
        return root
    if len(found) == 1:
        msg = etree.SubElement(container, m("ResolveNamesResponseMessage"), ResponseClass="Success")
        etree.SubElement(msg, m("ResponseCode")).text = "NoError"
    else:
        msg = error(container, "ResolveNames", EwsError("ErrorNameResolutionMultipleResults", MULTIPLE),
                    response_class="Warning")
    shown = found[:MAX_RESOLUTIONS]
    rset = etree.SubElement(msg, m("ResolutionSet"), TotalItemsInView=str(len(shown)),
                            IncludesLastItemInRange=bool_text(len(found) <= MAX_RESOLUTIONS))
    for res in shown:
        rset.append(_resolution_el(ctx, res, full, shape))
    return root


def _resolve(ctx: Ctx, req: etree._Element, entry: str, scope: str) -> list[Resolution]:
    if not entry:
        return []
    directory = scope in ("ActiveDirectory", "ActiveDirectoryContacts", "ContactsActiveDirectory")
    contacts = scope in ("Contacts", "ActiveDirectoryContacts", "ContactsActiveDirectory")
    from_dir = _search_directory(ctx, entry) if directory else []
    from_contacts = _search_contacts(ctx, req, entry) if contacts else []
    return from_contacts + from_dir if scope == "ContactsActiveDirectory" else from_dir + from_contacts


def _search_directory(ctx: Ctx, entry: str) -> list[Resolution]:
    text = entry[5:] if entry.lower().startswith("smtp:") else entry
    if "@" in text:
        rec = ctx.store.directory.by_smtp(text)
        return [Resolution(recipient=rec)] if rec else []
    return [Resolution(recipient=r) for r in ctx.store.directory.search(text, limit=MAX_RESOLUTIONS + 1)]


def _contact_folders(ctx: Ctx, req: etree._Element) -> list[Folder]:
    parents = req.find(f"{_M}ParentFolderIds")
    if parents is None or len(parents) == 0:
        own = ctx.store.folders.by_well_known(ctx.caller.id, "contacts")
        return [own] if own else []
    folders = []
    for ref in parents:
        folder = ctx.folder(ref)
        if not ctx.access(folder).can_read_items:
            raise access_denied()
        folders.append(folder)
    return folders


def _search_contacts(ctx: Ctx, req: etree._Element, entry: str) -> list[Resolution]:
    needle = (entry[5:] if entry.lower().startswith("smtp:") else entry).strip().lower()
    out: list[Resolution] = []
    for folder in _contact_folders(ctx, req):
        if not ctx.access(folder).can_read_items:
            continue
        rows = ctx.store.items.select("folder_id = ? AND is_associated = 0 AND element IN ('Contact', "
                                      "'DistributionList')", (folder.id,), order="display_name COLLATE NOCASE, id")
        for row in rows:
            if _contact_matches(row, needle):
                out.append(Resolution(item=row, folder=folder))
    return out


def _contact_matches(row: ItemRow, needle: str) -> bool:
    el = row.element_tree()
    emails = [(e.text or "").strip().lower() for e in el.iterfind(f"{_T}EmailAddresses/{_T}Entry")]
    emails = [e[5:] if e.startswith("smtp:") else e for e in emails]
    if "@" in needle:
        return needle in emails
    words: list[str] = []
    for tag in ("DisplayName", "GivenName", "Surname", "FileAs", "Nickname"):
        words.extend((el.findtext(f"{_T}{tag}") or "").lower().split())
    name = (el.findtext(f"{_T}DisplayName") or "").lower()
    return name.startswith(needle) or any(w.startswith(needle) for w in words) or \
        any(e.startswith(needle) for e in emails)


# Output ------------------------------------------------------------------------------------------
def _resolution_el(ctx: Ctx, res: Resolution, full: bool, shape: str | None) -> etree._Element:
    out = etree.Element(t("Resolution"))
    if res.recipient is not None:
        out.append(address_el("Mailbox", res.recipient))
        if full or shape in ("Default", "AllProperties"):
            out.append(_directory_contact(res.recipient))
        return out
    assert res.item is not None
    row = res.item
    el = row.element_tree()
    mb = etree.SubElement(out, t("Mailbox"))
    etree.SubElement(mb, t("Name")).text = row.display_name or el.findtext(f"{_T}DisplayName") or ""
    if row.element == "DistributionList":
        etree.SubElement(mb, t("RoutingType")).text = "MAPIPDL"
        etree.SubElement(mb, t("MailboxType")).text = "PrivateDL"
    else:
        email = _first_email(el)
        if email:
            etree.SubElement(mb, t("EmailAddress")).text = email
            etree.SubElement(mb, t("RoutingType")).text = "SMTP"
        etree.SubElement(mb, t("MailboxType")).text = "Contact"
    mb.append(item_id_el(row))
    if row.element == "Contact" and (full or shape in ("Default", "AllProperties")):
        out.append(_store_contact(row, el))
    return out


def _first_email(el: etree._Element) -> str | None:
    for entry in el.iterfind(f"{_T}EmailAddresses/{_T}Entry"):
        text = (entry.text or "").strip()
        if text:
            return text[5:] if text.lower().startswith("smtp:") else text
    return None


def address_el(tag: str, rec: Recipient) -> etree._Element:
    """``t:EmailAddressType`` for a directory entry (``t:Mailbox``, ``t:Address``, ``t:Id``)."""
    el = etree.Element(t(tag))
    etree.SubElement(el, t("Name")).text = rec.display_name
    etree.SubElement(el, t("EmailAddress")).text = rec.smtp
    etree.SubElement(el, t("RoutingType")).text = "SMTP"
    etree.SubElement(el, t("MailboxType")).text = rec.mailbox_type
    return el


def _directory_contact(rec: Recipient) -> etree._Element:
    """The ``t:Contact`` Exchange returns with a GAL resolution (ContactSource ActiveDirectory)."""
    c = etree.Element(t("Contact"))
    etree.SubElement(c, t("DisplayName")).text = rec.display_name
    if rec.kind == "user":
        parts = rec.display_name.split(" ", 1)
        etree.SubElement(c, t("GivenName")).text = parts[0]
        if len(parts) > 1:
            etree.SubElement(c, t("Surname")).text = parts[1]
    if rec.company:
        etree.SubElement(c, t("CompanyName")).text = rec.company
    emails = etree.SubElement(c, t("EmailAddresses"))
    etree.SubElement(emails, t("Entry"), Key="EmailAddress1").text = f"SMTP:{rec.smtp}"
    if rec.phone:
        phones = etree.SubElement(c, t("PhoneNumbers"))
        etree.SubElement(phones, t("Entry"), Key="BusinessPhone").text = rec.phone
    etree.SubElement(c, t("ContactSource")).text = "ActiveDirectory"
    if rec.department:
        etree.SubElement(c, t("Department")).text = rec.department
    if rec.title:
        etree.SubElement(c, t("JobTitle")).text = rec.title
    if rec.office:
        etree.SubElement(c, t("OfficeLocation")).text = rec.office
    return order_children(c, "t:ContactItemType")


_CONTACT_FIELDS = ("Culture", "DisplayName", "GivenName", "Initials", "MiddleName", "Nickname", "CompanyName",
                   "EmailAddresses", "PhysicalAddresses", "PhoneNumbers", "AssistantName", "Department",
                   "Generation", "ImAddresses", "JobTitle", "Manager", "OfficeLocation", "Profession", "Surname")


def _store_contact(row: ItemRow, el: etree._Element) -> etree._Element:
    """A store contact's properties as ResolveNames returns them (ContactSource Store)."""
    c = etree.Element(t("Contact"))
    for name in _CONTACT_FIELDS:
        found = el.find(f"{_T}{name}")
        if found is not None:
            c.append(etree.fromstring(etree.tostring(found)))
    etree.SubElement(c, t("ContactSource")).text = "Store"
    return order_children(c, "t:ContactItemType")


# ExpandDL ----------------------------------------------------------------------------------------
@operation("ExpandDL")
def expand_dl(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        members = _expand(ctx, req.find(f"{_M}Mailbox"))
        exp = etree.SubElement(msg, m("DLExpansion"), TotalItemsInView=str(len(members)),
                               IncludesLastItemInRange="true")
        exp.extend(members)

    return each_message("ExpandDL", [None], fill)


def _expand(ctx: Ctx, mailbox: etree._Element | None) -> list[etree._Element]:
    no_results = EwsError("ErrorNameResolutionNoResults", NO_RESULTS)
    if mailbox is None:
        raise no_results
    item_ref = mailbox.find(f"{_T}ItemId")
    if item_ref is not None:
        return _expand_private(ctx, item_ref)
    rec = ctx.store.directory.by_smtp((mailbox.findtext(f"{_T}EmailAddress") or "").strip())
    if rec is None or rec.kind != "group":
        raise no_results
    members = ctx.store.directory.members(rec.id) or ctx.store.directory.rooms(rec.id)
    return [address_el("Mailbox", r) for r in members]


def _expand_private(ctx: Ctx, ref: etree._Element) -> list[etree._Element]:
    """A contact group (``t:DistributionList`` item) the caller may read: its members as stored."""
    row, _, _ = ctx.item(ref)
    if row.element != "DistributionList":
        raise EwsError("ErrorNameResolutionNoResults", NO_RESULTS)
    out = []
    for member_mb in row.element_tree().iterfind(f"{_T}Members/{_T}Member/{_T}Mailbox"):
        mb = etree.Element(t("Mailbox"))
        for name in ("Name", "EmailAddress", "RoutingType", "MailboxType"):
            value = member_mb.findtext(f"{_T}{name}")
            if value:
                etree.SubElement(mb, t(name)).text = value
        out.append(mb)
    return out


# Rooms -------------------------------------------------------------------------------------------
@operation("GetRoomLists")
def get_room_lists(ctx: Ctx, req: etree._Element) -> etree._Element:
    root = top_level_message("GetRoomListsResponse")
    lists = etree.SubElement(root, m("RoomLists"))
    for rec in ctx.store.directory.room_lists():
        lists.append(address_el("Address", rec))
    return root


@operation("GetRooms")
def get_rooms(ctx: Ctx, req: etree._Element) -> etree._Element:
    address = (req.findtext(f"{_M}RoomList/{_T}EmailAddress") or "").strip()
    rec = ctx.store.directory.by_smtp(address)
    rooms = ctx.store.directory.rooms(rec.id) if rec is not None and rec.kind == "group" else []
    is_list = rec is not None and any(r.id == rec.id for r in ctx.store.directory.room_lists())
    if not is_list:
        return top_level_message("GetRoomsResponse", EwsError("ErrorNameResolutionNoResults", NO_RESULTS))
    root = top_level_message("GetRoomsResponse")
    container = etree.SubElement(root, m("Rooms"))
    for room in rooms:
        el = etree.SubElement(container, t("Room"))
        el.append(address_el("Id", room))
    return root
