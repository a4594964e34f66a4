"""exchangelib items -> :mod:`app.domain.messages` values, and the property sets each view asks for.

The message list reads its rows from the XML instead (:mod:`app.ews.rows`); :func:`summary` here gives the
same row for an item fetched as an exchangelib object (the reading pane's GetItem).
"""

from __future__ import annotations

from datetime import UTC, datetime

from exchangelib import HTMLBody
from exchangelib.attachments import FileAttachment, ItemAttachment
from exchangelib.fields import FieldPath
from exchangelib.items import Item, Message
from exchangelib.properties import EffectiveRights, Mailbox

from app.domain.messages import AttachmentInfo, MessageDetail, MessageSummary, Person
from app.domain.rights import ItemRights

FLAGGED = 2  # PR_FLAG_STATUS: 0 none, 1 complete, 2 flagged

# What the message list shows: all of it comes back in FindItem and SyncFolderItems (no GetItem per row).
LIST_FIELDS = ("subject", "author", "datetime_received", "size", "is_read", "has_attachments", "categories",
               "importance", "flag_status", "effective_rights")
# What the reading pane shows (one GetItem).
DETAIL_FIELDS = LIST_FIELDS + ("sender", "to_recipients", "cc_recipients", "datetime_sent", "body", "attachments",
                               "last_modified_name", "last_modified_time", "message_id")


def field_paths(names: tuple[str, ...]) -> set[FieldPath]:
    """``FieldPath``s of ``Message`` fields (``flag_status`` is registered by :class:`app.ews.client.EwsClient`)."""
    return {FieldPath(field=Message.get_field_by_fieldname(n)) for n in names}


def utc(value: datetime | None) -> datetime | None:
    """A plain aware UTC ``datetime`` (exchangelib hands out ``EWSDateTime``)."""
    if value is None:
        return None
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def person(mailbox: Mailbox | None) -> Person | None:
    if mailbox is None or not (mailbox.email_address or mailbox.name):
        return None
    return Person(address=mailbox.email_address or "", name=mailbox.name or "")


def people(mailboxes: list[Mailbox] | None) -> tuple[Person, ...]:
    return tuple(p for p in (person(m) for m in mailboxes or ()) if p is not None)


def item_rights(rights: EffectiveRights | None) -> ItemRights:
    """The user's rights on an item; without ``EffectiveRights`` assume read-only (the safe side)."""
    if rights is None:
        return ItemRights(read=True, modify=False, delete=False)
    return ItemRights(read=bool(rights.read), modify=bool(rights.modify), delete=bool(rights.delete))


def summary(item: Item) -> MessageSummary:
    """The list row of an item fetched with :data:`LIST_FIELDS` (a message, or a meeting request and the like)."""
    return MessageSummary(
        item_id=item.id,
        change_key=item.changekey or "",
        subject=item.subject or "",
        sender=person(getattr(item, "author", None)) or person(getattr(item, "sender", None)),
        received=utc(item.datetime_received),
        size=int(item.size or 0),
        is_read=bool(getattr(item, "is_read", True)),
        has_attachments=bool(item.has_attachments),
        categories=tuple(item.categories or ()),
        flagged=getattr(item, "flag_status", None) == FLAGGED,
        importance=item.importance or "Normal",
        rights=item_rights(item.effective_rights),
    )


def attachment_info(att: FileAttachment | ItemAttachment) -> AttachmentInfo:
    is_file = isinstance(att, FileAttachment)
    return AttachmentInfo(
        attachment_id=att.attachment_id.id if att.attachment_id else "",
        name=att.name or ("attached message" if not is_file else "attachment"),
        size=int(att.size or 0),
        content_type=att.content_type or ("message/rfc822" if not is_file else "application/octet-stream"),
        is_inline=bool(att.is_inline),
        content_id=(att.content_id or "") if is_file else "",
    )


def detail(item: Item) -> MessageDetail:
    """The reading pane's view of an item fetched with :data:`DETAIL_FIELDS`."""
    body = item.body
    is_html = isinstance(body, HTMLBody)
    return MessageDetail(
        summary=summary(item),
        author=person(getattr(item, "author", None)),
        sender=person(getattr(item, "sender", None)),
        to=people(getattr(item, "to_recipients", None)),
        cc=people(getattr(item, "cc_recipients", None)),
        sent=utc(item.datetime_sent),
        body_html=str(body) if is_html else None,
        body_text=None if is_html else str(body or ""),
        attachments=tuple(attachment_info(a) for a in item.attachments or ()),
        last_modified_name=item.last_modified_name or "",
        last_modified=utc(item.last_modified_time),
        internet_message_id=getattr(item, "message_id", None) or "",
    )
