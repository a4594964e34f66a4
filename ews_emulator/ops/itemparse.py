"""Items as clients send them to CreateItem/UpdateItem: cleaning and the checks Exchange makes.

The schema check happened before a handler runs (``ErrorSchemaValidation``); what is left is what
Exchange validates itself:

* read-only properties in a create (``ErrorInvalidPropertySet``),
* calendar items that end before they start (``ErrorCalendarEndDateIsEarlierThanStartDate``),
* extended property values that do not parse as their ``PropertyType`` (``ErrorInvalidExtendedPropertyValue``),
* which item kinds a folder accepts (calendar items only in calendar folders, contacts and groups only in
  contact folders, tasks only in task folders).

Inline attachments (``t:Attachments``) are split off into :class:`~ews_emulator.delivery.AttachmentSpec`.
"""

from __future__ import annotations

import base64
import binascii
import copy
import uuid
from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.delivery import AttachmentSpec, mailbox_element, set_child
from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.ops.shapes import ExtendedPath
from ews_emulator.rights import Access
from ews_emulator.soap import T_NS
from ews_emulator.store import Folder, ItemRow, Recipient
from ews_emulator.store.ids import MalformedId, decode_id
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_children, order_tree

_T = f"{{{T_NS}}}"

# Item elements CreateItem stores, with their schema type.
ITEM_TYPES: dict[str, str] = {
    "Item": "t:ItemType",
    "Message": "t:MessageType",
    "CalendarItem": "t:CalendarItemType",
    "Contact": "t:ContactItemType",
    "DistributionList": "t:DistributionListType",
    "Task": "t:TaskType",
    "PostItem": "t:PostItemType",
    "MeetingMessage": "t:MeetingMessageType",
    "MeetingRequest": "t:MeetingRequestMessageType",
    "MeetingResponse": "t:MeetingResponseMessageType",
    "MeetingCancellation": "t:MeetingCancellationMessageType",
    "SharingMessage": "t:SharingMessageType",
}
MESSAGE_KINDS = frozenset({"Message", "MeetingMessage", "MeetingRequest", "MeetingResponse", "MeetingCancellation",
                           "SharingMessage"})

# Properties the server owns: a client may not set them (ErrorInvalidPropertySet).
READ_ONLY = frozenset({
    "ItemId", "ParentFolderId", "DateTimeReceived", "Size", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend",
    "IsUnmodified", "DateTimeSent", "DateTimeCreated", "ResponseObjects", "DisplayCc", "DisplayTo", "DisplayBcc",
    "HasAttachments", "EffectiveRights", "LastModifiedName", "LastModifiedTime", "IsAssociated",
    "WebClientReadFormQueryString", "WebClientEditFormQueryString", "ConversationId", "UniqueBody", "InstanceKey",
    "NormalizedBody", "TextBody", "Preview", "ConversationIndex", "ConversationTopic", "ReceivedBy",
    "ReceivedRepresenting", "IsMeeting", "IsCancelled", "IsRecurring", "MeetingRequestWasSent", "CalendarItemType",
    "MyResponseType", "ConflictingMeetingCount", "AdjacentMeetingCount", "ConflictingMeetings", "AdjacentMeetings",
    "Duration", "AppointmentReplyTime", "AppointmentSequenceNumber", "AppointmentState", "FirstOccurrence",
    "LastOccurrence", "ModifiedOccurrences", "DeletedOccurrences", "CompleteName", "DirectReports", "ManagerMailbox",
})

_INT_TYPES = frozenset({"Integer", "Short", "Long", "Error", "Currency"})
_FLOAT_TYPES = frozenset({"Double", "Float", "ApplicationTime"})


@dataclass
class ParsedItem:
    """A cleaned item element ready for the store, and its inline attachments."""

    element: etree._Element
    kind: str
    attachments: list[AttachmentSpec] = field(default_factory=list)

    @property
    def type_name(self) -> str:
        return ITEM_TYPES[self.kind]

    @property
    def is_message(self) -> bool:
        return self.kind in MESSAGE_KINDS


def local(el: etree._Element) -> str:
    return etree.QName(el).localname


def kids(el: etree._Element | None) -> list[etree._Element]:
    """The element children of ``el`` (none for a missing element)."""
    return [c for c in el if isinstance(c.tag, str)] if el is not None else []


def item_type(el: etree._Element) -> str:
    """The schema type of a stored or sent item element (``t:MessageType`` ...)."""
    try:
        return ITEM_TYPES[local(el)]
    except KeyError:
        raise EwsError("ErrorInvalidItemForOperationCreateItem",
                       f"The item type {local(el)} is not supported by this operation.") from None


def parse_item(el: etree._Element) -> ParsedItem:
    """Clean a ``t:Message``/``t:CalendarItem``/... from a CreateItem request and check it.

    Raises:
        EwsError: ``ErrorInvalidPropertySet``, ``ErrorCalendarEndDateIsEarlierThanStartDate``,
            ``ErrorInvalidExtendedPropertyValue``, ``ErrorInvalidItemForOperationCreateItem``.
    """
    kind = local(el)
    type_name = item_type(el)
    el = copy.deepcopy(el)
    for child in el:
        if local(child) in READ_ONLY:
            raise EwsError("ErrorInvalidPropertySet", f"Set action is invalid for property {local(child)}.")
    attachments: list[AttachmentSpec] = []
    holder = el.find(f"{_T}Attachments")
    if holder is not None:
        attachments = [parse_attachment(a) for a in holder]
        el.remove(holder)
    check_item(el)
    if kind == "Contact":
        _contact_names(el)
    order_tree(el, type_name)
    return ParsedItem(el, kind, attachments)


def check_item(el: etree._Element) -> None:
    """The value checks Exchange applies on create and update."""
    start = parse_datetime(el.findtext(f"{_T}Start"))
    end = parse_datetime(el.findtext(f"{_T}End"))
    if start is not None and end is not None and end < start:
        raise EwsError("ErrorCalendarEndDateIsEarlierThanStartDate",
                       "The end date occurs before the start date.")
    for prop in el.iterfind(f"{_T}ExtendedProperty"):
        check_extended_property(prop)


def check_folder_kind(kind: str, folder: Folder) -> None:
    """Calendar items, contacts/groups and tasks only go into folders of their kind, as Exchange insists."""
    if kind == "CalendarItem" and folder.kind != "CalendarFolder":
        raise EwsError("ErrorCannotCreateCalendarItemInNonCalendarFolder",
                       "Calendar items can only be created in a calendar folder.")
    if kind in ("Contact", "DistributionList") and folder.kind != "ContactsFolder":
        raise EwsError("ErrorCannotCreateContactInNonContactFolder",
                       "Contacts can only be created in a contacts folder.")
    if kind == "Task" and folder.kind != "TasksFolder":
        raise EwsError("ErrorCannotCreateTaskInNonTaskFolder", "Tasks can only be created in a tasks folder.")


def prepare_for_folder(parsed: ParsedItem, owner: Recipient, *, draft: bool) -> None:
    """Server-set properties of a new item: draft state of messages, UID and organizer of calendar items."""
    el = parsed.element
    if parsed.is_message:
        set_child(el, "IsDraft", "true" if draft else "false")
        if el.find(f"{_T}IsRead") is None:
            set_child(el, "IsRead", "true")
    if parsed.kind == "CalendarItem":
        if not (el.findtext(f"{_T}UID") or "").strip():
            set_child(el, "UID", "040000008200E00074C5B7101A82E008" + uuid.uuid4().hex.upper())
        if el.find(f"{_T}Organizer") is None:
            el.append(mailbox_element("Organizer", owner.display_name, owner.smtp, owner.mailbox_type))
    order_children(el, parsed.type_name)


# Attachments --------------------------------------------------------------------------------------
def parse_attachment(el: etree._Element) -> AttachmentSpec:
    """``t:FileAttachment`` / ``t:ItemAttachment`` from a request -> what the store keeps."""
    kind = local(el)
    name = (el.findtext(f"{_T}Name") or "").strip()
    content_id = el.findtext(f"{_T}ContentId")
    is_inline = (el.findtext(f"{_T}IsInline") or "").strip() in ("true", "1")
    if kind == "FileAttachment":
        raw = el.findtext(f"{_T}Content") or ""
        try:
            content = base64.b64decode(raw.encode("ascii"), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise EwsError("ErrorInvalidValueForProperty", "The attachment content is not valid base64.") from exc
        photo = (el.findtext(f"{_T}IsContactPhoto") or "").strip() in ("true", "1")
        return AttachmentSpec(name, (el.findtext(f"{_T}ContentType") or "application/octet-stream").strip(),
                              content=content, content_id=content_id, is_inline=is_inline, is_contact_photo=photo)
    if kind == "ItemAttachment":
        inner = next((c for c in el if local(c) in ITEM_TYPES), None)
        if inner is None:
            raise EwsError("ErrorMissingItemForCreateItemAttachment",
                           "The item attachment does not contain an item.")
        inner = copy.deepcopy(inner)
        for child in list(inner):
            if local(child) in ("ItemId", "ParentFolderId", "Attachments"):
                inner.remove(child)
        return AttachmentSpec(name or (inner.findtext(f"{_T}Subject") or ""),
                              (el.findtext(f"{_T}ContentType") or "message/rfc822").strip(),
                              item_xml=etree.tostring(inner), content_id=content_id, is_inline=is_inline)
    raise EwsError("ErrorInvalidRequest", f"{kind} attachments are not supported.")


# Extended properties ------------------------------------------------------------------------------
def check_extended_property(prop: etree._Element) -> None:
    """Values must parse as the declared ``PropertyType``; tags are written in hex form (``0x1090``)."""
    uri = prop.find(f"{_T}ExtendedFieldURI")
    if uri is None:
        return
    try:
        path = ExtendedPath.from_element(uri)
    except ValueError:
        raise EwsError("ErrorInvalidExtendedProperty", "The extended property path is not valid.") from None
    if path.tag is not None:
        uri.set("PropertyTag", hex(path.tag))
    ptype = uri.get("PropertyType") or ""
    base = ptype[:-5] if ptype.endswith("Array") else ptype
    values = [prop.findtext(f"{_T}Value")] if prop.find(f"{_T}Value") is not None else [
        v.text for v in prop.iterfind(f"{_T}Values/{_T}Value")]
    for value in values:
        text = (value or "").strip()
        try:
            if base in _INT_TYPES:
                int(text)
            elif base in _FLOAT_TYPES:
                float(text)
            elif (base == "Boolean" and text not in ("true", "false", "1", "0")) or (
                    base == "SystemTime" and parse_datetime(text) is None):
                raise ValueError(text)
        except ValueError:
            raise EwsError("ErrorInvalidExtendedPropertyValue",
                           f"The extended property value '{text}' is not valid for type {ptype}.") from None


# Contacts ----------------------------------------------------------------------------------------
def _contact_names(el: etree._Element) -> None:
    """DisplayName and FileAs as Exchange fills them in when the client leaves them out."""
    given = (el.findtext(f"{_T}GivenName") or "").strip()
    surname = (el.findtext(f"{_T}Surname") or "").strip()
    company = (el.findtext(f"{_T}CompanyName") or "").strip()
    full = " ".join(p for p in (given, surname) if p)
    if not (el.findtext(f"{_T}DisplayName") or "").strip() and (full or company):
        set_child(el, "DisplayName", full or company)
    if el.find(f"{_T}FileAs") is None and (full or company):
        set_child(el, "FileAs", ", ".join(p for p in (surname, given) if p) or company)


# Item references ---------------------------------------------------------------------------------
def resolve_ref(ctx: Ctx, ref: etree._Element) -> tuple[ItemRow, Folder, Access]:
    """An ``ItemIds`` child -> the stored item the caller may read.

    ``t:ItemId`` and ``t:RecurringMasterItemId`` name stored items; single occurrences of a series
    (``t:OccurrenceItemId`` or an occurrence id) are the calendar operations' business.

    Raises:
        EwsError: ``ErrorInvalidIdMalformed``, ``ErrorItemNotFound``, ``ErrorAccessDenied``,
            ``ErrorInvalidOperation`` (occurrences).
    """
    kind = local(ref)
    if kind == "RecurringMasterItemId":
        proxy = etree.Element(ref.tag, Id=ref.get("OccurrenceId") or "")
        return ctx.item(proxy)
    if kind == "OccurrenceItemId":
        raise EwsError("ErrorInvalidOperation", "Single occurrences cannot be changed with this operation.")
    if kind not in ("ItemId", "ReferenceItemId", "ParentItemId"):
        raise EwsError("ErrorInvalidIdMalformed", f"{kind} does not name an item.")
    try:
        decoded = decode_id(ref.get("Id"), ("item", "occurrence"))
    except MalformedId as exc:
        raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
    if decoded.kind == "occurrence":
        raise EwsError("ErrorInvalidOperation", "Single occurrences cannot be changed with this operation.")
    return ctx.item(ref)

