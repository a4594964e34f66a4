"""Writing a stored item out for a response: ``render_item``.

The store keeps each item as the element a client sent (``t:Message``, ``t:CalendarItem``, ``t:Contact``,
...) minus the properties the server owns. This module puts those back (ids, sizes, times, rights,
attachment metadata, read flag, display strings, calendar bookkeeping), picks the properties the
response shape asks for, converts the body, and sorts the children into schema order.

Which properties each base shape returns (Microsoft documents the idea, not complete lists; these follow
what Exchange 2016/2019 answer):

- ``IdOnly``: ``ItemId``.
- ``Default``: for FindItem the summary properties (:data:`FIND_DEFAULT`); for GetItem and the others
  also the body, recipients, attachments and the type's main properties (:data:`GET_DEFAULT`; contacts
  and groups: everything stored).
- ``AllProperties``: every stored and computed property except those Exchange only returns on request
  (``TextBody``, ``UniqueBody``, ``NormalizedBody``, ``Preview``, ``MimeContent``, extended properties).
  FindItem never returns the properties in :data:`FIND_FORBIDDEN`; asking for one there is
  ``ErrorInvalidPropertyForOperation`` (see :func:`check_find_shape`).
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.ops.common import effective_rights_el, fmt_ts, folder_id_el
from ews_emulator.ops.shapes import INDEXED, ExtendedPath, ItemShape
from ews_emulator.ops.textbody import filter_html, html_to_text, mime_message, text_to_html
from ews_emulator.rights import READ_TSL, Access
from ews_emulator.soap import T_NS, bool_text, t
from ews_emulator.store import ItemRow
from ews_emulator.store.ids import change_key, encode_id
from ews_emulator.xml.builder import order_children
from ews_emulator.xml.schema_order import ELEMENT_TYPE, ORDER

if TYPE_CHECKING:
    from ews_emulator.exchange.context import Ctx
    from ews_emulator.ops.calendarview import Occurrence

_T = f"{{{T_NS}}}"
ITEM_TYPES: dict[str, str] = ELEMENT_TYPE["t:ArrayOfRealItemsType"]
_ALLOWED: dict[str, frozenset[str]] = {}

MESSAGE_LIKE = frozenset({"Message", "MeetingRequest", "MeetingResponse", "MeetingCancellation", "MeetingMessage",
                          "SharingMessage"})

_COMMON_FIND = frozenset({
    "ItemId", "ParentFolderId", "ItemClass", "Subject", "Sensitivity", "DateTimeReceived", "Size", "Categories",
    "Importance", "IsSubmitted", "IsDraft", "IsFromMe", "IsResend", "IsUnmodified", "DateTimeSent",
    "DateTimeCreated", "ReminderIsSet", "ReminderMinutesBeforeStart", "DisplayCc", "DisplayTo", "HasAttachments",
    "Culture", "EffectiveRights", "LastModifiedName", "LastModifiedTime", "IsAssociated", "Flag",
})
_MESSAGE_FIND = frozenset({"From", "Sender", "IsRead", "ConversationTopic", "InternetMessageId",
                           "IsReadReceiptRequested", "IsDeliveryReceiptRequested", "IsResponseRequested"})
_CALENDAR_FIND = frozenset({
    "UID", "Start", "End", "IsAllDayEvent", "LegacyFreeBusyStatus", "Location", "IsMeeting", "IsCancelled",
    "IsRecurring", "MeetingRequestWasSent", "IsResponseRequested", "CalendarItemType", "MyResponseType",
    "Organizer", "Duration", "AppointmentState", "AppointmentSequenceNumber", "TimeZone", "StartTimeZoneId",
    "EndTimeZoneId", "IsOnlineMeeting", "RecurrenceId", "OriginalStart",
})
_CONTACT_FIND = frozenset({"FileAs", "DisplayName", "GivenName", "Surname", "CompanyName", "JobTitle", "Department",
                           "CompleteName", "Initials", "MiddleName", "Nickname"})
FIND_DEFAULT: dict[str, frozenset[str]] = {
    "Message": _COMMON_FIND | _MESSAGE_FIND,
    "CalendarItem": _COMMON_FIND | _CALENDAR_FIND,
    "Contact": _COMMON_FIND | _CONTACT_FIND,
    "DistributionList": _COMMON_FIND | {"DisplayName", "FileAs"},
}
_GET_EXTRA = frozenset({
    "Body", "Attachments", "ToRecipients", "CcRecipients", "BccRecipients", "ReplyTo", "RequiredAttendees",
    "OptionalAttendees", "Resources", "Recurrence", "FirstOccurrence", "LastOccurrence", "ModifiedOccurrences",
    "DeletedOccurrences", "InReplyTo", "References", "StartTimeZone", "EndTimeZone", "When",
})
FIND_DEFAULT["MeetingRequest"] = FIND_DEFAULT["Message"] | _CALENDAR_FIND | {
    "AssociatedCalendarItemId", "MeetingRequestType", "IntendedFreeBusyStatus", "ResponseType"}
FIND_DEFAULT["MeetingResponse"] = FIND_DEFAULT["Message"] | {"AssociatedCalendarItemId", "ResponseType", "UID",
                                                             "Start", "End", "Location"}
GET_DEFAULT: dict[str, frozenset[str]] = {k: v | _GET_EXTRA for k, v in FIND_DEFAULT.items()}

# Never in a FindItem response (Exchange: ErrorInvalidPropertyForOperation when asked for explicitly).
FIND_FORBIDDEN = frozenset({
    "Body", "TextBody", "UniqueBody", "NormalizedBody", "Attachments", "MimeContent", "ToRecipients",
    "CcRecipients", "BccRecipients", "ReplyTo", "RequiredAttendees", "OptionalAttendees", "Resources", "Members",
    "ResponseObjects", "InternetMessageHeaders", "ConflictingMeetings", "AdjacentMeetings",
})
# Only returned when asked for by name.
EXPLICIT_ONLY = frozenset({"TextBody", "UniqueBody", "NormalizedBody", "Preview", "MimeContent", "ExtendedProperty",
                           "ConversationId", "InstanceKey", "ResponseObjects", "IconIndex"})
# What a free/busy-only reader sees of a calendar item (TimeAndSubjectAndLocation adds subject and location).
FREE_BUSY_FIELDS = frozenset({"ItemId", "ParentFolderId", "ItemClass", "Start", "End", "IsAllDayEvent",
                              "LegacyFreeBusyStatus", "CalendarItemType", "IsRecurring", "IsMeeting", "Duration"})
FREE_BUSY_TSL_FIELDS = FREE_BUSY_FIELDS | {"Subject", "Location"}


def item_type_name(element: str) -> str:
    """``Message`` -> ``t:MessageType`` (unknown elements are written as their closest kind, a message)."""
    return ITEM_TYPES.get(element, "t:MessageType")


def allowed_children(element: str) -> frozenset[str]:
    """The child names the schema allows in an item element."""
    hit = _ALLOWED.get(element)
    if hit is None:
        hit = _ALLOWED[element] = frozenset(ORDER[item_type_name(element)])
    return hit


def check_find_shape(shape: ItemShape) -> None:
    """Raise ``ErrorInvalidPropertyForOperation`` for a property FindItem cannot return."""
    for path in shape.additional:
        name = path.element
        if path.kind != "extended" and name in FIND_FORBIDDEN:
            raise EwsError("ErrorInvalidPropertyForOperation",
                           f"The property {path.uri} can't be used in FindItem requests.")


def item_id_for(row: ItemRow, occurrence: Occurrence | None = None, tag: str = "ItemId") -> etree._Element:
    """``t:ItemId`` of a stored item, or of one occurrence of a recurring master (kind ``occurrence``)."""
    if occurrence is None:
        item_id = encode_id("item", row.mailbox_id, row.id)
    else:
        item_id = encode_id("occurrence", row.mailbox_id, row.id, occurrence.index)
    return etree.Element(t(tag), Id=item_id, ChangeKey=change_key("item", row.change_num))


def attachment_id(row: ItemRow, attachment_row_id: int) -> str:
    """The opaque ``AttachmentId`` of an attachment of ``row``."""
    return encode_id("attachment", row.mailbox_id, attachment_row_id)


def render_item(ctx: Ctx, row: ItemRow, folder_access: Access, shape: ItemShape, *,
                occurrence: Occurrence | None = None, find: bool = False) -> etree._Element:
    """The item element (``t:Message``, ``t:CalendarItem``, ``t:Contact``, ...) for a response.

    Args:
        ctx: the request (caller, store).
        row: the stored item.
        folder_access: the caller's rights on the item's folder. Without ReadItems FullDetails only a
            calendar item's free/busy view is written (times; subject and location for
            TimeAndSubjectAndLocation), as CalendarView shows it to free/busy readers.
        shape: the response shape (see :mod:`ews_emulator.ops.shapes`).
        occurrence: write this occurrence of a recurring master instead of the master itself.
        find: FindItem rules (summary Default set, no body/recipients/attachments).

    Returns:
        A new element in schema order; the caller appends it to ``t:Items`` (or a sync change).
    """
    src = row.element_tree()
    if occurrence is not None:
        _apply_occurrence(src, occurrence)
    props = _ItemProps(ctx, row, folder_access, src, occurrence)
    return _render(src, shape, props, find=find, free_busy=not folder_access.can_read_items,
                   tsl=folder_access.perm.read_items == READ_TSL)


def render_element(ctx: Ctx, src: etree._Element, shape: ItemShape) -> etree._Element:
    """An item that is not a stored row (an item attachment), with only the properties it carries."""
    props = _Props(ctx, src)
    return _render(src, shape, props, find=False, free_busy=False, tsl=False)


# Property sources ---------------------------------------------------------------------------------
class _Props:
    """Stored properties of an item element, plus the computed ones available for any element."""

    def __init__(self, ctx: Ctx, src: etree._Element) -> None:
        self.ctx = ctx
        self.src = src
        self.element = etree.QName(src).localname
        self.stored: dict[str, list[etree._Element]] = {}
        skip = len(_T)
        for child in src:
            tag = child.tag
            if isinstance(tag, str):
                self.stored.setdefault(tag[skip:], []).append(child)

    computed: dict[str, Callable[[_Props], list[etree._Element] | None]] = {}


def _simple(name: str, value: object) -> list[etree._Element]:
    el = etree.Element(t(name))
    el.text = bool_text(value) if isinstance(value, bool) else str(value)
    return [el]


def _names_of(props: _Props, container: str) -> str:
    out = []
    for mb in props.src.iterfind(f"{_T}{container}/{_T}Mailbox"):
        out.append(mb.findtext(f"{_T}Name") or mb.findtext(f"{_T}EmailAddress") or "")
    for att in props.src.iterfind(f"{_T}{container}/{_T}Attendee/{_T}Mailbox"):
        out.append(att.findtext(f"{_T}Name") or att.findtext(f"{_T}EmailAddress") or "")
    return "; ".join(n for n in out if n)


def _display(props: _Props, which: str) -> list[etree._Element]:
    if props.element == "CalendarItem":
        container = "RequiredAttendees" if which == "DisplayTo" else "OptionalAttendees"
    else:
        container = "ToRecipients" if which == "DisplayTo" else "CcRecipients"
    return _simple(which, _names_of(props, container))


def _text_body(props: _Props) -> list[etree._Element] | None:
    body = props.stored.get("Body")
    if not body:
        return None
    text = body[0].text or ""
    if body[0].get("BodyType") == "HTML":
        text = html_to_text(text)
    el = etree.Element(t("TextBody"), BodyType="Text")
    el.text = text
    return [el]


def _preview(props: _Props) -> list[etree._Element] | None:
    body = _text_body(props)
    if body is None:
        return None
    return _simple("Preview", " ".join((body[0].text or "").split())[:255])


def _plain_mime(props: _Props) -> list[etree._Element]:
    return [_mime_el(mime_message(props.src, [], props.src.findtext(f"{_T}DateTimeSent")))]


def _mime_el(data: bytes) -> etree._Element:
    el = etree.Element(t("MimeContent"), CharacterSet="UTF-8")
    el.text = base64.b64encode(data).decode("ascii")
    return el


_Props.computed = {
    "MimeContent": _plain_mime,
    "DisplayTo": lambda p: _display(p, "DisplayTo"),
    "DisplayCc": lambda p: _display(p, "DisplayCc"),
    "TextBody": _text_body,
    "Preview": _preview,
    "Culture": lambda p: p.stored.get("Culture") or _simple("Culture", "en-US"),
    "Importance": lambda p: p.stored.get("Importance") or _simple("Importance", "Normal"),
    "Sensitivity": lambda p: p.stored.get("Sensitivity") or _simple("Sensitivity", "Normal"),
}


class _ItemProps(_Props):
    """A stored row: adds the server-computed properties."""

    def __init__(self, ctx: Ctx, row: ItemRow, acc: Access, src: etree._Element,
                 occurrence: Occurrence | None) -> None:
        super().__init__(ctx, src)
        self.row = row
        self.acc = acc
        self.occurrence = occurrence

    computed: dict[str, Callable[[_Props], list[etree._Element] | None]] = {}


def _row(p: _Props) -> ItemRow:
    return p.row  # type: ignore[attr-defined]


def _parent_folder(p: _Props) -> list[etree._Element] | None:
    folder = p.ctx.store.folders.get(_row(p).folder_id)
    return [folder_id_el(folder, "ParentFolderId")] if folder is not None else None


def _attachments(p: _Props) -> list[etree._Element] | None:
    row = _row(p)
    rows = p.ctx.store.items.attachments(row.id)
    if not rows:
        return None
    holder = etree.Element(t("Attachments"))
    for a in rows:
        holder.append(attachment_meta(row, a))
    return [holder]


def attachment_meta(row: ItemRow, a) -> etree._Element:  # a: sqlite3.Row from ItemStore.attachments()
    """``t:FileAttachment`` / ``t:ItemAttachment`` metadata (no content), in schema order."""
    el = etree.Element(t("ItemAttachment" if a["is_item"] else "FileAttachment"))
    etree.SubElement(el, t("AttachmentId"), Id=attachment_id(row, a["id"]))
    etree.SubElement(el, t("Name")).text = a["name"]
    etree.SubElement(el, t("ContentType")).text = a["content_type"]
    if a["content_id"]:
        etree.SubElement(el, t("ContentId")).text = a["content_id"]
    etree.SubElement(el, t("Size")).text = str(a["size"])
    etree.SubElement(el, t("LastModifiedTime")).text = fmt_ts(a["modified"])
    etree.SubElement(el, t("IsInline")).text = bool_text(bool(a["is_inline"]))
    if not a["is_item"]:
        etree.SubElement(el, t("IsContactPhoto")).text = bool_text(bool(a["is_contact_photo"]))
    return el


def _last_modified_name(p: _Props) -> list[etree._Element]:
    row = _row(p)
    name = row.last_modified_name
    if not name:
        owner = p.ctx.store.directory.by_id(row.mailbox_id)
        name = owner.display_name if owner else ""
    return _simple("LastModifiedName", name)


def _is_from_me(p: _Props) -> list[etree._Element]:
    owner = p.ctx.store.directory.by_id(_row(p).mailbox_id)
    return _simple("IsFromMe", bool(owner and _row(p).from_addr == owner.smtp.lower()))


def _date_sent(p: _Props) -> list[etree._Element]:
    row = _row(p)
    return p.stored.get("DateTimeSent") or _simple("DateTimeSent", fmt_ts(row.sent or row.received))


def _mime(p: _Props) -> list[etree._Element]:
    atts = [(a, p.ctx.store.items.attachment(a["id"])) for a in p.ctx.store.items.attachments(_row(p).id)]
    files: list[tuple[str, str, bytes | etree._Element]] = []
    for a, full in atts:
        if full is not None:
            part = etree.fromstring(full["item_xml"]) if full["item_xml"] else (full["content"] or b"")
            files.append((a["name"], a["content_type"], part))
    return [_mime_el(mime_message(p.src, files, fmt_ts(_row(p).sent or _row(p).received)))]


def _calendar_type(p: _Props) -> list[etree._Element] | None:
    if p.element != "CalendarItem":
        return None
    occ = p.occurrence  # type: ignore[attr-defined]
    if occ is not None:
        return _simple("CalendarItemType", "Exception" if occ.is_exception else "Occurrence")
    return _simple("CalendarItemType", "RecurringMaster" if _row(p).recurring else "Single")


def _duration(p: _Props) -> list[etree._Element] | None:
    row, occ = _row(p), p.occurrence  # type: ignore[attr-defined]
    start, end = (occ.start, occ.end) if occ is not None else (row.start_ts, row.end_ts)
    if start is None or end is None:
        return None
    minutes, seconds = divmod(max(0, end - start), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    text = "P" + (f"{days}D" if days else "") + "T" + (f"{hours}H" if hours else "")
    text += f"{minutes}M" if minutes or not (hours or days) else ""
    text += f"{seconds}S" if seconds else ""
    return _simple("Duration", text.removesuffix("T") if text.endswith("T") else text)


def _uid(p: _Props) -> list[etree._Element] | None:
    if p.element not in ("CalendarItem", "MeetingRequest", "MeetingResponse", "MeetingCancellation"):
        return None
    row = _row(p)
    return p.stored.get("UID") or _simple("UID", f"040000008200E00074C5B7101A82E008{row.mailbox_id:08X}{row.id:016X}")


def _occurrence_info(p: _Props, which: str) -> list[etree._Element] | None:
    row = _row(p)
    if p.element != "CalendarItem" or not row.recurring or p.occurrence is not None:  # type: ignore[attr-defined]
        return None
    from ews_emulator.ops.calendarview import first_and_last

    found = first_and_last(row, p.src)
    occ = found[0] if which == "FirstOccurrence" else found[1]
    if occ is None:
        return None
    el = etree.Element(t(which))
    el.append(item_id_for(row, occ))
    etree.SubElement(el, t("Start")).text = fmt_ts(occ.start)
    etree.SubElement(el, t("End")).text = fmt_ts(occ.end)
    etree.SubElement(el, t("OriginalStart")).text = fmt_ts(occ.original_start)
    return [el]


def _is_meeting(p: _Props) -> list[etree._Element] | None:
    if p.element != "CalendarItem":
        return None
    stored = p.stored.get("IsMeeting")
    if stored:
        return stored
    return _simple("IsMeeting", "RequiredAttendees" in p.stored or "OptionalAttendees" in p.stored)


def _if_calendar(name: str, value: object) -> Callable[[_Props], list[etree._Element] | None]:
    return lambda p: (p.stored.get(name) or _simple(name, value)) if p.element == "CalendarItem" else None


_ItemProps.computed = {
    **_Props.computed,
    "ItemId": lambda p: [item_id_for(_row(p), p.occurrence)],  # type: ignore[attr-defined]
    "ParentFolderId": _parent_folder,
    "DateTimeReceived": lambda p: _simple("DateTimeReceived", fmt_ts(_row(p).received)),
    "Size": lambda p: _simple("Size", _row(p).size),
    "DateTimeCreated": lambda p: _simple("DateTimeCreated", fmt_ts(_row(p).created)),
    "DateTimeSent": _date_sent,
    "HasAttachments": lambda p: _simple("HasAttachments", _row(p).has_attachments),
    "Attachments": _attachments,
    "EffectiveRights": lambda p: [effective_rights_el(p.ctx, p.acc.item_effective_rights(  # type: ignore[attr-defined]
        _row(p).created_by, p.ctx.caller.id))],
    "LastModifiedName": _last_modified_name,
    "LastModifiedTime": lambda p: _simple("LastModifiedTime", fmt_ts(_row(p).modified)),
    "ItemClass": lambda p: p.stored.get("ItemClass") or _simple("ItemClass", _row(p).item_class),
    "IsRead": lambda p: _simple("IsRead", _row(p).is_read) if p.element in MESSAGE_LIKE else None,
    "IsDraft": lambda p: _simple("IsDraft", _row(p).is_draft),
    "IsSubmitted": lambda p: _simple("IsSubmitted", False),
    "IsUnmodified": lambda p: _simple("IsUnmodified", not _row(p).is_draft),
    "IsResend": lambda p: _simple("IsResend", False),
    "IsFromMe": _is_from_me,
    "IsAssociated": lambda p: _simple("IsAssociated", _row(p).is_associated),
    "MimeContent": _mime,
    "CalendarItemType": _calendar_type,
    "Duration": lambda p: _duration(p) if p.element == "CalendarItem" else None,
    "UID": _uid,
    "IsRecurring": lambda p: _simple("IsRecurring", _row(p).recurring or p.occurrence is not None)  # type: ignore[attr-defined]
    if p.element == "CalendarItem" else None,
    "IsMeeting": _is_meeting,
    "IsCancelled": _if_calendar("IsCancelled", False),
    "MyResponseType": _if_calendar("MyResponseType", "Organizer"),
    "AppointmentState": _if_calendar("AppointmentState", 0),
    "LegacyFreeBusyStatus": _if_calendar("LegacyFreeBusyStatus", "Busy"),
    "IsAllDayEvent": _if_calendar("IsAllDayEvent", False),
    "FirstOccurrence": lambda p: _occurrence_info(p, "FirstOccurrence"),
    "LastOccurrence": lambda p: _occurrence_info(p, "LastOccurrence"),
    "HasPicture": lambda p: _simple("HasPicture", any(a["is_contact_photo"] for a in p.ctx.store.items.attachments(
        _row(p).id))) if p.element == "Contact" else None,
}


# Occurrences --------------------------------------------------------------------------------------
_MASTER_ONLY = ("Recurrence", "FirstOccurrence", "LastOccurrence", "ModifiedOccurrences", "DeletedOccurrences",
                "CalendarItemType", "IsRecurring", "OriginalStart", "RecurrenceId")


def _apply_occurrence(src: etree._Element, occ: Occurrence) -> None:
    """Turn a copy of a recurring master into one of its occurrences."""
    for child in list(src):
        if isinstance(child.tag, str) and etree.QName(child).localname in _MASTER_ONLY:
            src.remove(child)
    for name, value in (("Start", occ.start), ("End", occ.end)):
        el = src.find(f"{_T}{name}")
        if el is None:
            el = etree.SubElement(src, t(name))
        el.text = fmt_ts(value)
    etree.SubElement(src, t("OriginalStart")).text = fmt_ts(occ.original_start)
    etree.SubElement(src, t("RecurrenceId")).text = fmt_ts(occ.original_start)
    from ews_emulator.occurrences import apply_overrides  # exception data kept on the master

    apply_overrides(src, occ.original_start)


# Rendering ----------------------------------------------------------------------------------------
@lru_cache(maxsize=1024)
def _plan(shape: ItemShape, element: str, find: bool, free_busy: bool, tsl: bool) -> tuple[str, ...]:
    """The child names to write for this shape and item type, in schema order."""
    allowed = allowed_children(element)
    if shape.base == "IdOnly":
        names = {"ItemId"}
    elif shape.base == "Default":
        table = FIND_DEFAULT if find else GET_DEFAULT
        names = set(table.get(element, table["Message"]))
        if not find and element in ("Contact", "DistributionList"):
            names |= allowed - EXPLICIT_ONLY
    else:
        names = set(allowed - EXPLICIT_ONLY)
    if find:
        names -= FIND_FORBIDDEN
    names |= shape.field_names()
    if shape.include_mime and not find:
        names.add("MimeContent")
    names &= allowed
    names.discard("ExtendedProperty")
    if free_busy:
        names &= FREE_BUSY_TSL_FIELDS if tsl else FREE_BUSY_FIELDS
    return tuple(dict.fromkeys(n for n in ORDER[item_type_name(element)] if n in names))


def _render(src: etree._Element, shape: ItemShape, props: _Props, *, find: bool, free_busy: bool,
            tsl: bool) -> etree._Element:
    element = props.element
    plan = _plan(shape, element, find, free_busy, tsl)
    made: dict[str, list[etree._Element]] = {}
    computed = props.computed
    for name in plan:  # computed first: they may read stored children, which the next loop moves
        fn = computed.get(name)
        if fn is not None:
            found = fn(props)
            if found is not None:
                made[name] = found
    out = etree.Element(t(element), nsmap=src.nsmap)
    stored = props.stored
    for name in plan:
        if name in made:
            out.extend(made[name])
        elif name == "Body":
            out.extend(_body(b, shape) for b in stored.get("Body", ()))
        elif name in stored:
            out.extend(stored[name])
    if (shape.indexed() or shape.extended()) and not free_busy:
        _add_indexed(out, props, shape, set(plan))
        _add_extended(out, props, shape)
        order_children(out, item_type_name(element))
    return out


def _body(stored: etree._Element, shape: ItemShape) -> etree._Element:
    kind = stored.get("BodyType") or "Text"
    text = stored.text or ""
    if shape.body_type == "Text" and kind == "HTML":
        text, kind = html_to_text(text), "Text"
    elif shape.body_type == "HTML" and kind == "Text":
        text, kind = text_to_html(text), "HTML"
    if shape.filter_html and kind == "HTML":
        text = filter_html(text)
    el = etree.Element(t("Body"), BodyType=kind)
    el.text = text
    return el


def _add_indexed(out: etree._Element, props: _Props, shape: ItemShape, already: set[str]) -> None:
    built: dict[str, etree._Element] = {}
    for path in shape.indexed():
        spec = INDEXED.get(path.uri)
        if spec is None or path.index is None:
            continue
        dict_name, entry_name, key_attr, sub_name = spec
        if dict_name in already or dict_name not in allowed_children(props.element):
            continue
        for entry in props.src.iterfind(f"{_T}{dict_name}/{_T}{entry_name}"):
            if entry.get(key_attr) != path.index:
                continue
            holder = built.get(dict_name)
            if holder is None:
                holder = built[dict_name] = etree.SubElement(out, t(dict_name))
            if sub_name is None:
                holder.append(_copy(entry))
                continue
            value = entry.find(f"{_T}{sub_name}")
            if value is None:
                continue
            target = holder.find(f"{_T}{entry_name}[@{key_attr}='{path.index}']")
            if target is None:
                target = etree.SubElement(holder, t(entry_name), {key_attr: path.index})
            target.append(_copy(value))
    for dict_name, holder in built.items():
        if dict_name == "PhysicalAddresses":
            for entry in holder:
                order_children(entry, "t:PhysicalAddressDictionaryEntryType")


def _add_extended(out: etree._Element, props: _Props, shape: ItemShape) -> None:
    wanted = shape.extended()
    if not wanted:
        return
    stored = [(ExtendedPath.from_element(uri), prop) for prop in props.stored.get("ExtendedProperty", [])
              if (uri := prop.find(f"{_T}ExtendedFieldURI")) is not None]
    for path in wanted:
        for key, prop in stored:
            if path.matches(key):
                el = etree.SubElement(out, t("ExtendedProperty"))
                el.append(path.to_element())
                for value in prop:
                    if etree.QName(value).localname in ("Value", "Values"):
                        el.append(_copy(value))
                break


def _copy(el: etree._Element) -> etree._Element:
    return copy.deepcopy(el)
