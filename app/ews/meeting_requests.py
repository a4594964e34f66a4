"""Meeting requests and cancellations in a mailbox: what the meeting bar shows, answering without sending, and
removing a cancelled meeting from the calendar.

Blocking; call on the mailbox's task queue. :func:`respond` answers (sent as the mailbox, or Outlook's "Don't send a
response": saved, then the draft deleted); the reads here are what the bar needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from exchangelib import errors as ex
from exchangelib.fields import FieldPath
from exchangelib.items import (
    ALL_OCCURRENCES,
    HARD_DELETE,
    ID_ONLY,
    MOVE_TO_DELETED_ITEMS,
    SAVE_ONLY,
    SEND_AND_SAVE_COPY,
    SEND_TO_NONE,
    AcceptItem,
    CalendarItem,
    DeclineItem,
    Item,
    MeetingCancellation,
    MeetingRequest,
    TentativelyAcceptItem,
)
from exchangelib.properties import ItemId, ReferenceItemId
from exchangelib.services import CreateItem, DeleteItem

from app.domain.calendar import ResponseType
from app.domain.errors import ServerError
from app.domain.meetings import MeetingInfo, MeetingKind
from app.ews.addressing import WholeGetItem, folder_object, raise_first_error, run, well_known
from app.ews.client import EwsClient
from app.ews.convert import person

_REQUEST_FIELDS = ("item_class", "subject", "start", "end", "is_all_day", "location", "organizer",
                   "my_response_type", "associated_calendar_item_id", "is_recurring")
_CANCELLATION_FIELDS = ("item_class", "subject", "associated_calendar_item_id", "author")
_RESPONSES = {ResponseType.ACCEPT: AcceptItem, ResponseType.TENTATIVE: TentativelyAcceptItem,
              ResponseType.DECLINE: DeclineItem}


def _paths(cls: type[Item], names: Sequence[str]) -> set[FieldPath]:
    return {FieldPath(field=cls.get_field_by_fieldname(n)) for n in names}


def _utc(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return datetime.fromtimestamp(value.timestamp(), tz=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def _response(value: str | None) -> ResponseType:
    try:
        return ResponseType(value) if value else ResponseType.UNKNOWN
    except ValueError:
        return ResponseType.UNKNOWN


def meeting_info(client: EwsClient, mailbox: str, item_id: str, kind: MeetingKind) -> MeetingInfo:
    """The meeting a request or cancellation in ``mailbox`` is about, and whether the user may answer for it.

    One GetItem for the message, one more for the ``EffectiveRights`` of the meeting in the mailbox's calendar
    (``AssociatedCalendarItemId``): the server lets a delegate answer only when it may modify that item.

    Raises:
        AccessDenied: The user may not read the message.
        ItemGone: The message is gone.
    """
    account = client.account(mailbox)
    cls = MeetingRequest if kind is MeetingKind.REQUEST else MeetingCancellation
    names = _REQUEST_FIELDS if kind is MeetingKind.REQUEST else _CANCELLATION_FIELDS

    def work() -> MeetingInfo:
        [item] = raise_first_error(WholeGetItem(account=account).call(
            items=[ItemId(id=item_id)], additional_fields=_paths(cls, names), shape=ID_ONLY))
        if isinstance(item, Exception):
            raise item
        if not isinstance(item, Item):
            raise ServerError("That meeting message cannot be shown.")
        associated = getattr(item, "associated_calendar_item_id", None)
        calendar_id = associated.id if associated is not None else ""
        rights = _calendar_item_rights(account, mailbox, calendar_id)
        start = getattr(item, "start", None)
        return MeetingInfo(
            item_id=item_id, mailbox=mailbox, kind=kind, subject=item.subject or "",
            start=_utc(start), end=_utc(getattr(item, "end", None)),
            all_day=bool(getattr(item, "is_all_day", False)), location=getattr(item, "location", None) or "",
            organizer=person(getattr(item, "organizer", None) or getattr(item, "author", None)),
            my_response=_response(getattr(item, "my_response_type", None)), calendar_item_id=calendar_id,
            can_modify_calendar_item=rights.modify, calendar_reason=rights.modify_reason,
            can_delete_calendar_item=rights.delete, delete_reason=rights.delete_reason,
            recurring=bool(getattr(item, "is_recurring", False)))

    return run(client, mailbox, work, denied=f"You have no right to read messages in {mailbox}.")


class _ItemRights(NamedTuple):
    """What the user may do with the meeting in the calendar, and why not (for each of the two)."""

    modify: bool
    modify_reason: str
    delete: bool
    delete_reason: str


def _calendar_item_rights(account: Any, mailbox: str, calendar_id: str) -> _ItemRights:
    """The ``EffectiveRights`` of the meeting in ``mailbox``'s calendar: answering a request needs Modify on it,
    removing a cancelled one (DeleteItem) needs Delete."""
    if not calendar_id:
        gone = f"The meeting is not in {mailbox}'s calendar (any more)."
        return _ItemRights(False, gone, False, gone)
    try:
        found = list(WholeGetItem(account=account).call(
            items=[ItemId(id=calendar_id)], additional_fields=_paths(CalendarItem, ("effective_rights",)),
            shape=ID_ONLY))
    except ex.ErrorAccessDenied:  # exchangelib raises this one instead of returning it
        found = [ex.ErrorAccessDenied("")]
    item = found[0] if found else None
    if isinstance(item, ex.ErrorAccessDenied):
        return _ItemRights(False, f"You have no access to {mailbox}'s calendar: you cannot answer for {mailbox}.",
                           False, f"You have no access to {mailbox}'s calendar: you cannot remove the meeting.")
    if isinstance(item, ex.ErrorItemNotFound):
        gone = f"The meeting is not in {mailbox}'s calendar (any more)."
        return _ItemRights(False, gone, False, gone)
    if isinstance(item, Exception):
        raise item
    rights = getattr(item, "effective_rights", None)
    modify = rights is not None and bool(rights.modify)
    delete = rights is not None and bool(rights.delete)
    read_only = f"You have read-only access to {mailbox}'s calendar"
    return _ItemRights(
        modify, "" if modify else f"{read_only}: you cannot answer for {mailbox}.",
        delete, "" if delete else (f"You may change but not delete items in {mailbox}'s calendar: you cannot remove "
                                   "the meeting." if modify else f"{read_only}: you cannot remove the meeting."))


def respond(client: EwsClient, item_id: str, response: ResponseType, message: str = "", *, mailbox: str,
            send: bool = True) -> None:
    """Accept, tentatively accept or decline a meeting request in ``mailbox``, as that mailbox.

    With ``send`` the response (with ``message`` as its text, if any) goes to the organizer and a copy to the
    mailbox's Sent Items. Without, it is Outlook's "Don't send a response": EWS has no such disposition, so the
    response is created with ``SaveOnly`` (the server updates the calendar and saves the response as a draft in
    the mailbox's Drafts) and that draft is then deleted for good.

    Raises:
        AccessDenied: The user may not change the mailbox's calendar.
        SendDenied: The user may not send as the mailbox.
        ServerError: The server refused otherwise (the meeting was cancelled, ...).
    """
    cls = _RESPONSES.get(response)
    if cls is None:
        raise ValueError(f"cannot respond with {response}")
    account = client.account(mailbox)
    reply = cls(account=account, reference_item_id=ReferenceItemId(id=item_id), body=(message or None) if send
                else None)
    # WORKAROUND for exchangelib 5.6.0: CreateItem wants a folder object for SaveOnly / SendAndSaveCopy and
    # would otherwise read ``account.sent`` (a GetFolder through the mailbox root); SendMeetingInvitations must
    # be set although Exchange ignores it for response objects.
    disposition = SEND_AND_SAVE_COPY if send else SAVE_ONLY
    target = folder_object(account, well_known(mailbox, "sentitems" if send else "drafts"))

    def work() -> None:
        saved = raise_first_error(CreateItem(account=account).call(
            items=[reply], folder=target, message_disposition=disposition, send_meeting_invitations=SEND_TO_NONE))
        if send:
            return
        drafts = [ItemId(id=s.id) for s in saved if getattr(s, "id", None)]
        if drafts:
            raise_first_error(DeleteItem(account=account).call(
                items=drafts, delete_type=HARD_DELETE, send_meeting_cancellations=SEND_TO_NONE,
                affected_task_occurrences=ALL_OCCURRENCES, suppress_read_receipts=True))

    run(client, mailbox, work, denied=f"You may not answer meeting requests for {mailbox}.")


def remove_from_calendar(client: EwsClient, mailbox: str, calendar_item_id: str) -> None:
    """Remove a cancelled meeting from the mailbox's calendar (to its Deleted Items; nobody is told)."""
    account = client.account(mailbox)

    def work() -> None:
        raise_first_error(DeleteItem(account=account).call(
            items=[ItemId(id=calendar_item_id)], delete_type=MOVE_TO_DELETED_ITEMS,
            send_meeting_cancellations=SEND_TO_NONE, affected_task_occurrences=ALL_OCCURRENCES,
            suppress_read_receipts=True))

    run(client, mailbox, work, denied=f"You may not delete items in {mailbox}'s calendar.")
