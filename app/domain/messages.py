"""Messages: what the list shows, what the reading pane shows, and drafts."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from app.domain.rights import ItemRights


@dataclass(frozen=True, slots=True)
class Person:
    """A name and address as a header shows them."""

    address: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.address}>" if self.name and self.name != self.address else self.address


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """One row of the message list: only what FindItem returns, no body.

    Slotted, as :class:`Person` and :class:`~app.domain.rights.ItemRights` (the other objects of a row): a list
    holds tens of thousands of rows, and slots save ~130 bytes per row (no instance dict). The number of objects
    the cyclic GC tracks stays three per row.

    Attributes:
        item_id: EWS ItemId (opaque).
        change_key: EWS ChangeKey.
        subject: Subject.
        sender: From (the mailbox the message is from).
        received: DateTimeReceived (aware, UTC).
        size: Bytes.
        is_read: Read state.
        has_attachments: Non-inline attachments present.
        categories: Category names.
        flagged: Follow-up flag set (PR_FLAG_STATUS 0x1090 == 2).
        importance: "Low" | "Normal" | "High".
        rights: The user's rights on this item (EffectiveRights).
    """

    item_id: str
    change_key: str
    subject: str
    sender: Person | None
    received: datetime | None
    size: int
    is_read: bool
    has_attachments: bool
    categories: tuple[str, ...] = ()
    flagged: bool = False
    importance: str = "Normal"
    rights: ItemRights = field(default_factory=ItemRights)


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment's metadata (the content is fetched when the user saves or opens it)."""

    attachment_id: str
    name: str
    size: int
    content_type: str
    is_inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class MessageDetail:
    """Everything the reading pane shows.

    ``sender`` differs from ``author`` for Send on Behalf: "Bob Baker on behalf of Sales Team".
    Exactly one of ``body_html`` / ``body_text`` is set (as the server stored the body).
    """

    summary: MessageSummary
    author: Person | None  # t:From
    sender: Person | None  # t:Sender
    to: tuple[Person, ...]
    cc: tuple[Person, ...]
    sent: datetime | None
    body_html: str | None
    body_text: str | None
    attachments: tuple[AttachmentInfo, ...]
    last_modified_name: str = ""
    last_modified: datetime | None = None
    internet_message_id: str = ""
    item_class: str = ""  # "IPM.Note", "IPM.Schedule.Meeting.Request", ... ("" when the server gave none)

    @property
    def on_behalf(self) -> bool:
        return bool(self.author and self.sender and self.author.address.casefold() != self.sender.address.casefold())


class SortField(enum.Enum):
    """Columns the list can sort by on the server."""

    RECEIVED = "datetime_received"
    SUBJECT = "subject"
    SENDER = "sender"
    SIZE = "size"
    IMPORTANCE = "importance"


@dataclass(frozen=True)
class ListQuery:
    """What the message list asks for: sort order and an optional server-side search."""

    sort: SortField = SortField.RECEIVED
    descending: bool = True
    search: str = ""  # matched against subject, sender and body
    unread_only: bool = False
    category: str = ""


@dataclass(frozen=True)
class Page:
    """One FindItem page."""

    offset: int
    items: tuple[MessageSummary, ...]
    total: int  # TotalItemsInView
    note: str = ""  # what the server could not do for this query, in words for the screen ("" when nothing)


class ComposeMode(enum.Enum):
    NEW = "new"
    REPLY = "reply"
    REPLY_ALL = "reply_all"
    FORWARD = "forward"


@dataclass
class LocalAttachment:
    """A file the user attached to a draft (content read from disk when added)."""

    name: str
    content: bytes = field(repr=False)
    content_type: str = "application/octet-stream"
    attachment_id: str = ""  # set once the attachment is on the server draft


@dataclass
class Draft:
    """A message being written. Saved locally on every change and on the server as a draft.

    Attributes:
        from_mailbox: The address it is sent from (the user's own or a shared mailbox).
        draft_id / change_key: The server draft once saved ("" before).
        reference_id: The message replied to or forwarded (ComposeMode != NEW).
        local_id: Stable id of the local autosave file.
        forwarded: Attachments a forward carries over from the original. Before the first save they name the
            original's attachments; afterwards the copies on the server draft. Remove one to drop it at the
            next save.
        saved_attachment_ids: Bookkeeping of ``app.ews.compose``: the attachment ids on the server draft as of
            the last save (so that attachments removed since are deleted there too).
        message_id: The message's own Internet Message-ID (RFC 5322 ``<left@right>``), given before it is first
            saved or sent; a send whose answer was lost is recognised by it in Sent Items.
        send_attempted: A send of this draft was started before (its outcome may not be known): the next send
            first asks the server whether it went out.
    """

    from_mailbox: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    subject: str = ""
    body_html: str = ""
    attachments: list[LocalAttachment] = field(default_factory=list)
    mode: ComposeMode = ComposeMode.NEW
    reference_id: str = ""
    draft_id: str = ""
    change_key: str = ""
    local_id: str = ""
    forwarded: list[AttachmentInfo] = field(default_factory=list)
    saved_attachment_ids: list[str] = field(default_factory=list)
    message_id: str = ""
    send_attempted: bool = False


class ChangeKind(enum.Enum):
    """What happened to an item since the last sync (EWS SyncFolderItems change types)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    READ_FLAG = "read_flag"  # only the read state changed


@dataclass(frozen=True)
class Change:
    """One change of a folder's items.

    Attributes:
        kind: What happened.
        item_id: The item's EWS ItemId.
        summary: The item's list row (CREATE and UPDATE), else None.
        is_read: The new read state (READ_FLAG), else None.
    """

    kind: ChangeKind
    item_id: str
    summary: MessageSummary | None = None
    is_read: bool | None = None
