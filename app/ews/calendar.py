"""Calendars of the open mailboxes: listing, the events of a date range, creating, changing and answering events.

Blocking; call through :mod:`app.tasks` on the calendar's mailbox queue (``calendar.folder.mailbox``). Every
folder is addressed by ``FolderId`` or by ``DistinguishedFolderId`` + ``Mailbox`` under the user's **own**
``Account`` (see :mod:`app.ews.addressing`): ``Account(colleague).calendar`` reads the colleague's root first
and fails when only the calendar is shared.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar

from exchangelib import errors as ex
from exchangelib.ewsdatetime import EWSDateTime
from exchangelib.fields import FieldPath
from exchangelib.folders import Folder
from exchangelib.folders.roots import Root
from exchangelib.items import (
    ALL_OCCURRENCES,
    AUTO_RESOLVE,
    ID_ONLY,
    MOVE_TO_DELETED_ITEMS,
    SAVE_ONLY,
    SEND_TO_ALL_AND_SAVE_COPY,
    SEND_TO_NONE,
    CalendarItem,
)
from exchangelib.properties import Attendee as EwsAttendee
from exchangelib.properties import (
    CalendarView,
    DistinguishedFolderId,
    ItemId,
    Mailbox,
    RecurringMasterItemId,
)
from exchangelib.services import CreateItem, DeleteItem, GetFolder, UpdateItem

from app.domain.calendar import (
    Attendee,
    BusyStatus,
    CalendarRef,
    Event,
    EventDraft,
    ResponseType,
)
from app.domain.errors import AccessDenied, MailroomError, ServerError
from app.domain.folders import FolderRef
from app.domain.ical import SeriesExceptions
from app.domain.mailbox import MailboxRef
from app.domain.messages import Person
from app.domain.rights import FolderRights, ItemRights
from app.domain.series import occurrences_in
from app.ews.addressing import (
    WholeGetItem,
    folder_id,
    folder_object,
    raise_first_error,
    run,
)
from app.ews.calendar_rows import CalendarViewItems, ViewPage, event_from_xml, series_uids, whole_range
from app.ews.calendar_series import series_rules
from app.ews.client import EwsClient
from app.ews.convert import item_rights, person
from app.ews.directory import display_name
from app.ews.errors import translate, translated
from app.ews.folders import (
    WellKnownFolder,
    find_subfolders,
    folder_field_paths,
    register_folder_fields,
)
from app.ews.folders import folder_rights as _folder_rights
from app.ews.recurrence import from_ews_recurrence, to_ews_recurrence

T = TypeVar("T")
_log = logging.getLogger(__name__)

Scope = Literal["occurrence", "series"]


def list_calendars(client: EwsClient, mailboxes: Sequence[str | MailboxRef]) -> list[CalendarRef]:
    """The calendar folders of each mailbox (the default Calendar first, then its subcalendars), with rights.

    One GetFolder for every mailbox's ``calendar`` at once, then one FindFolder for the subcalendars of those
    that have any. A mailbox whose calendar is not visible is left out; a calendar visible only through a
    free/busy permission comes back with ``free_busy_only=True``.
    """
    refs = [m if isinstance(m, MailboxRef) else MailboxRef(m.strip()) for m in mailboxes]
    if not refs:
        return []
    answers = _get_calendars(client, refs)
    out: list[CalendarRef] = []
    parents: list[tuple[Folder, MailboxRef]] = []
    for ref, answer in zip(refs, answers, strict=True):
        if isinstance(answer, Exception):
            if isinstance(answer, ex.ErrorAccessDenied | ex.ErrorFolderNotFound | ex.ErrorNonExistentMailbox):
                continue
            raise translate(answer, mailbox=ref.address) or answer
        owner = Person(ref.address, ref.display_name if ref.display_name != ref.address else "")
        out.append(_calendar_ref(answer, ref.address, owner, "calendar"))
        if answer.child_folder_count and not out[-1].free_busy_only:
            parents.append((answer, ref))
    for parent, ref in parents:  # subcalendars: one FindFolder per mailbox that has any
        owner = next(c.owner for c in out if c.folder.mailbox == ref.address)
        for sub in find_subfolders(client, ref.address, [parent]):
            if (sub.folder_class or "").startswith("IPF.Appointment") and not getattr(sub, "is_hidden", False):
                out.append(_calendar_ref(sub, ref.address, owner))
    return out


def open_shared_calendar(client: EwsClient, address: str) -> CalendarRef:
    """A colleague's default calendar shared with the user at folder level ("Open shared calendar…").

    GetFolder ``DistinguishedFolderId(calendar, Mailbox(address))`` under the user's own account. A calendar the
    user sees only through FreeBusyTimeOnly / FreeBusyTimeAndSubjectAndLocation gives ``free_busy_only=True``
    (``subject_visible`` for the latter).

    Raises:
        MailboxNotFound: No such mailbox.
        AccessDenied: The calendar is not shared with the user, not even free/busy.
    """
    address = address.strip()
    [answer] = _get_calendars(client, [MailboxRef(address)])
    if isinstance(answer, ex.ErrorAccessDenied | ex.ErrorFolderNotFound):
        raise AccessDenied(f"{address} has not shared their calendar with you, not even free/busy. "
                           "Ask them to share it.")
    if isinstance(answer, Exception):
        raise translate(answer, mailbox=address) or answer
    return _calendar_ref(answer, address, Person(address, _mailbox_name(client, address)), "calendar")


def events(client: EwsClient, calendar: CalendarRef, start: datetime, end: datetime) -> list[Event]:
    """The events and occurrences overlapping ``[start, end)``, sorted by start (aware datetimes, UTC).

    One FindItem ``CalendarView`` with only the fields a view needs (no body, no attendees); more when the server
    cuts the answer at its ``EWSFindCountLimit`` (see :func:`app.ews.calendar_rows.whole_range`). A free/busy-only
    calendar is read with GetUserAvailability instead: events with empty ids built from the busy blocks (subject
    and location only when the permission shows them), ``rights`` read-only.
    """
    if calendar.free_busy_only:
        return _free_busy_events(client, calendar, start, end)
    account = client.account(calendar.folder.mailbox)
    fid = folder_id(calendar.folder)
    fields = _paths(_VIEW_FIELDS)
    denied = f"You cannot read {calendar.owner.name or calendar.folder.mailbox} › {calendar.name}."

    def ask(since: datetime) -> ViewPage:
        view = CalendarView(start=_ews(since), end=_ews(end))
        return run(client, calendar.folder.mailbox,
                   lambda: CalendarViewItems(account=account).view_page(folder_object(account, fid), fields, view),
                   denied=denied)

    elements = whole_range(ask, start)
    masters = _masters(client, calendar.folder.mailbox, series_uids(elements))
    out = [e for e in (event_from_xml(el, calendar.folder, masters) for el in elements) if e is not None]
    if any(e.kind == "RecurringMaster" for e in out):
        out = _expand_series(client, calendar, out, start, end, denied)
    return sorted(out, key=lambda e: (e.start, e.end, e.subject))


def _expand_series(client: EwsClient, calendar: CalendarRef, found: list[Event], start: datetime, end: datetime,
                   denied: str) -> list[Event]:
    """Occurrences in place of the series masters a server listed unexpanded (grommunio Gromox does).

    Exchange expands every series in a CalendarView; a master there means the server did not. Its pattern, time
    zone and changed and removed occurrences are read (:func:`app.ews.calendar_series.series_rules`) and its
    occurrences in the range computed (:func:`app.domain.series.occurrences_in`). A master whose pattern cannot be
    read stays as it came, once: the calendar pane says the series is not shown in full.
    """
    masters = [e for e in found if e.kind == "RecurringMaster"]
    account = client.account(calendar.folder.mailbox)
    try:
        with_rules, exceptions = run(client, calendar.folder.mailbox, lambda: series_rules(account, masters),
                                     denied=denied)
    except MailroomError as error:
        _log.warning("Could not read the series listed unexpanded in %s: %s", calendar.name, error)
        return found
    out = [e for e in found if e.kind != "RecurringMaster"]
    for master in masters:
        full = with_rules.get(master.item_id, master)
        if full.recurrence is None:
            out.append(master)
            continue
        out.extend(occurrences_in(full, exceptions.get(master.item_id, SeriesExceptions()), start, end))
    return out


def _masters(client: EwsClient, mailbox: str, one_each: dict[str, str]) -> dict[str, str]:
    """UID -> ItemId of the series master, given one occurrence id per series (UID -> occurrence id).

    A CalendarView names occurrences, not their series; one GetItem of ``RecurringMasterItemId`` for all of
    them finds the masters, so "this occurrence or the whole series?" knows both. Nothing is asked when the
    range holds no occurrence.
    """
    if not one_each:
        return {}
    try:
        found = _get_items(client, mailbox, [RecurringMasterItemId(id=i) for i in one_each.values()], ("uid",))
    except (ex.EWSError, MailroomError):
        return {}  # the series stays unknown: the views then treat the occurrence on its own
    return {uid: master.id for uid, master in zip(one_each, found, strict=True) if master.id}


def get_event(client: EwsClient, calendar: CalendarRef, item_id: str) -> Event:
    """One event with everything the event dialog shows (body, attendees, recurrence of the series): one GetItem."""
    mailbox = calendar.folder.mailbox
    [item] = _get_items(client, mailbox, [ItemId(id=item_id)], _DETAIL_FIELDS)
    master = ""
    if item.type in ("Occurrence", "Exception"):
        [series] = _get_items(client, mailbox, [RecurringMasterItemId(id=item_id)], ("recurrence", "uid"))
        master = series.id
        event = _event(item, calendar.folder, master)
        return replace(event, recurrence=from_ews_recurrence(series.recurrence) if series.recurrence else None)
    return _event(item, calendar.folder, master)


def create_event(client: EwsClient, draft: EventDraft, send_invitations: bool = False) -> Event:
    """Create ``draft`` in ``draft.calendar`` (a series when ``draft.recurrence`` is set).

    Args:
        send_invitations: Send meeting requests to the attendees, as the calendar's mailbox
            (SendToAllAndSaveCopy); otherwise SendToNone.

    Raises:
        AccessDenied: "You have read-only access to Sales Team › Calendar." and the like.
    """
    folder = draft.calendar
    account = client.account(folder.mailbox)
    target = folder_object(account, folder_id(folder))
    item = _item(account, draft, with_recurrence=True)
    send = SEND_TO_ALL_AND_SAVE_COPY if send_invitations and draft.attendees else SEND_TO_NONE

    def work() -> CalendarItem:
        [created] = raise_first_error(CreateItem(account=account).call(
            items=[item], folder=target, message_disposition=SAVE_ONLY, send_meeting_invitations=send))
        return created

    created = _run(client, folder, work, "add")
    return _saved(client, folder, created.id)


def update_event(client: EwsClient, event_id: str, draft: EventDraft, scope: Scope = "series",
                 send_updates: bool = False) -> Event:
    """Save ``draft`` over an event.

    Args:
        event_id: The single event, the occurrence, or (scope "series") any occurrence or the master.
        scope: "occurrence" changes this instance only (it becomes an exception); "series" changes the master
            (its recurrence too, from ``draft.recurrence``).
        send_updates: Send updates to the attendees of a meeting.
    """
    folder = draft.calendar
    account = client.account(folder.mailbox)
    if scope == "series":
        target, change_key = _run(client, folder, lambda: _master_id(client, folder.mailbox, event_id), "change")
        names = [*_UPDATE_FIELDS, *(["recurrence"] if draft.recurrence is not None else [])]
    else:
        target, change_key, names = event_id, draft.change_key, list(_UPDATE_FIELDS)
    item = _item(account, draft, with_recurrence=scope == "series")
    if scope == "series" and draft.recurrence is not None:  # the series starts at the pattern's first day
        item.start, item.end = _ews(draft.start), _ews(draft.end)
    new_id = _update(client, folder, target, change_key, item, names, send_updates, "change")
    return _saved(client, folder, new_id or target)


def move_event(client: EwsClient, event: Event, new_start: datetime, new_end: datetime,
               scope: Scope = "occurrence") -> Event:
    """Move or resize an event (drag in the views); for "series", the master shifts by the same offset."""
    folder = event.calendar
    account = client.account(folder.mailbox)
    target, change_key = event.item_id, ""
    start, end = new_start, new_end
    if scope == "series" and event.kind in ("Occurrence", "Exception", "RecurringMaster"):
        target, change_key = _run(client, folder, lambda: _master_id(client, folder.mailbox, event.item_id), "move")
        [master] = _get_items(client, folder.mailbox, [ItemId(id=target)], ("start", "end"))
        shift = new_start - event.start
        start, end = _utc(master.start) + shift, _utc(master.start) + shift + (new_end - new_start)
    item = CalendarItem(account=account, start=_ews(start), end=_ews(end))
    new_id = _update(client, folder, target, change_key, item, ("start", "end"), False, "move")
    return _saved(client, folder, new_id or target)


def delete_event(client: EwsClient, event: Event, scope: Scope = "occurrence",
                 send_cancellations: bool = False) -> None:
    """Delete an event, one occurrence of a series, or the whole series (to Deleted Items)."""
    folder = event.calendar
    account = client.account(folder.mailbox)
    target: Any = ItemId(id=event.item_id)
    if scope == "series" and event.kind in ("Occurrence", "Exception"):
        target = RecurringMasterItemId(id=event.item_id)
    send = SEND_TO_ALL_AND_SAVE_COPY if send_cancellations and event.is_meeting else SEND_TO_NONE

    def work() -> None:
        results = list(DeleteItem(account=account).call(
            items=[target], delete_type=MOVE_TO_DELETED_ITEMS, send_meeting_cancellations=send,
            affected_task_occurrences=ALL_OCCURRENCES, suppress_read_receipts=True))
        for r in results:
            if isinstance(r, Exception) and not isinstance(r, ex.ErrorItemNotFound):
                raise r

    _run(client, folder, work, "delete")


def import_drafts(client: EwsClient, drafts: Sequence[EventDraft]) -> list[Event]:
    """Create every draft (no invitations), or none: when one fails, the ones created are deleted again."""
    created: list[Event] = []
    try:
        for draft in drafts:
            created.append(create_event(client, draft, send_invitations=False))
    except BaseException:
        for event in reversed(created):
            with contextlib.suppress(Exception):
                delete_event(client, event, "series")
        raise
    return created


# -- implementation ------------------------------------------------------------------------------------------
_VIEW_FIELDS = ("subject", "start", "end", "is_all_day", "location", "legacy_free_busy_status", "organizer",
                "is_meeting", "my_response_type", "type", "effective_rights", "uid",
                "reminder_is_set", "reminder_minutes_before_start")
_DETAIL_FIELDS = (*_VIEW_FIELDS, "body", "required_attendees", "optional_attendees", "resources")
_MASTER_FIELDS = ("recurrence",)
_CAL_FIELDS = ("name", "folder_class", "effective_rights", "child_folder_count", "parent_folder_id")
_FREE_BUSY_ONLY = {"TimeOnly": False, "TimeAndSubjectAndLocation": True}  # -> subject visible

def _paths(names: Sequence[str]) -> set[FieldPath]:
    return {FieldPath(field=CalendarItem.get_field_by_fieldname(n)) for n in names}


def _ews(value: datetime) -> EWSDateTime:
    if value.tzinfo is None:
        raise ValueError("calendar times must be aware datetimes")
    return EWSDateTime.from_datetime(value)


def _mailbox_name(client: EwsClient, address: str) -> str:
    try:
        return display_name(client, address) or address
    except MailroomError:
        return address


def _place(client: EwsClient, folder: FolderRef, name: str = "Calendar") -> str:
    """"Sales Team › Calendar" (one ResolveNames; only called when something was refused)."""
    return f"{_mailbox_name(client, folder.mailbox)} › {name}"


def _refused(client: EwsClient, folder: FolderRef, verb: str) -> AccessDenied:
    where = _place(client, folder)
    return AccessDenied(f"You have read-only access to {where}: you cannot {verb} events there.")


def _run(client: EwsClient, folder: FolderRef, fn: Callable[[], T], verb: str) -> T:
    """Busy-retried, translated; a refusal becomes "You have read-only access to Sales Team › Calendar…"."""
    try:
        with translated(mailbox=folder.mailbox, server=client.ews_url):
            return client.retrying(fn, mailbox=folder.mailbox)
    except AccessDenied as error:
        raise _refused(client, folder, verb) from error


def _calendar_ref(f: Folder, address: str, owner: Person, well_known_name: str = "") -> CalendarRef:
    rights = _folder_rights(f.effective_rights)
    sharing = getattr(f, "sharing_effective_rights", None)
    free_busy_only = sharing in _FREE_BUSY_ONLY or not rights.read
    return CalendarRef(
        folder=FolderRef(address, f.id or "", well_known_name),
        name=f.name or "Calendar",
        owner=owner,
        rights=FolderRights(read=False) if free_busy_only else rights,
        free_busy_only=free_busy_only,
        subject_visible=_FREE_BUSY_ONLY.get(sharing, True) if free_busy_only else True,
    )


def _get_calendars(client: EwsClient, refs: list[MailboxRef]) -> list[Folder | Exception]:
    register_folder_fields()
    account = client.own
    asked = []
    for ref in refs:
        target = Mailbox(email_address=ref.address)
        root = Root(account=account, _distinguished_id=DistinguishedFolderId(id="root", mailbox=target))
        asked.append(WellKnownFolder(root=root, _distinguished_id=DistinguishedFolderId(id="calendar",
                                                                                       mailbox=target)))
    fields = folder_field_paths(WellKnownFolder, (*_CAL_FIELDS, "sharing_effective_rights"))
    return client.retrying(lambda: list(GetFolder(account=account).call(
        folders=asked, additional_fields=fields, shape="IdOnly")), mailbox=refs[0].address if refs else "")


def _event(item: CalendarItem, calendar: FolderRef, master: str = "") -> Event:
    kind = item.type or "Single"
    recurrence = getattr(item, "recurrence", None)
    reminder = item.reminder_minutes_before_start if item.reminder_is_set else None
    attendees = tuple(
        Attendee(Person(a.mailbox.email_address or "", a.mailbox.name or ""), kind,
                 _response(a.response_type))
        for kind, group in (("Required", item.required_attendees), ("Optional", item.optional_attendees),
                            ("Resource", item.resources))
        for a in group or () if a.mailbox is not None)
    body = item.body if "body" in item.__dict__ or hasattr(item, "body") else None
    return Event(
        item_id=item.id or "",
        change_key=item.changekey or "",
        calendar=calendar,
        subject=item.subject or "",
        start=_utc(item.start),
        end=_utc(item.end),
        all_day=bool(item.is_all_day),
        location=item.location or "",
        busy=_busy(item.legacy_free_busy_status),
        organizer=person(item.organizer),
        attendees=attendees,
        is_meeting=bool(item.is_meeting),
        my_response=_response(item.my_response_type),
        series_id=master if kind in ("Occurrence", "Exception") else "",
        kind=kind,
        recurrence=from_ews_recurrence(recurrence) if recurrence else None,
        body_text=str(body or ""),
        reminder_minutes=reminder,
        rights=item_rights(item.effective_rights),
        uid=item.uid or "",
    )


def _utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return datetime.fromtimestamp(value.timestamp(), tz=UTC)
    if isinstance(value, date):  # an all-day event given as dates
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ServerError("Exchange sent an event without start or end.")


def _busy(value: str | None) -> BusyStatus:
    try:
        return BusyStatus(value or "Busy")
    except ValueError:
        return BusyStatus.BUSY


def _response(value: str | None) -> ResponseType:
    try:
        return ResponseType(value or "Unknown")
    except ValueError:
        return ResponseType.UNKNOWN


def _free_busy_events(client: EwsClient, calendar: CalendarRef, start: datetime, end: datetime) -> list[Event]:
    from app.ews.availability import free_busy

    address = calendar.folder.mailbox
    blocks = free_busy(client, [address], start, end).get(address, [])
    return [Event(item_id="", change_key="", calendar=calendar.folder,
                  subject=(b.subject if calendar.subject_visible else "") or b.busy.value, start=b.start, end=b.end,
                  location=b.location if calendar.subject_visible else "", busy=b.busy,
                  rights=ItemRights(read=False, modify=False, delete=False))
            for b in blocks if b.busy not in (BusyStatus.FREE, BusyStatus.NO_DATA)]


def _get_items(client: EwsClient, mailbox: str, ids: Sequence[Any], names: Sequence[str]) -> list[CalendarItem]:
    account = client.account(mailbox)
    fields = _paths(names)

    def get() -> list[CalendarItem]:
        found = list(WholeGetItem(account=account).call(items=list(ids), additional_fields=fields, shape=ID_ONLY))
        for f in found:
            if isinstance(f, Exception):
                raise f
        return found

    return client.retrying(get, mailbox=mailbox)


def _master_id(client: EwsClient, mailbox: str, item_id: str) -> tuple[str, str]:
    """(id, change key) of the series master of an occurrence (or of ``item_id`` itself for a master)."""
    [item] = _get_items(client, mailbox, [ItemId(id=item_id)], ("type",))
    if item.type in ("Occurrence", "Exception"):
        [item] = _get_items(client, mailbox, [RecurringMasterItemId(id=item_id)], ("type",))
    return item.id, item.changekey or ""


# -- changes ---------------------------------------------------------------------------------------------------
def _item(account: Any, draft: EventDraft, *, with_recurrence: bool) -> CalendarItem:
    required = [EwsAttendee(mailbox=Mailbox(email_address=a.person.address, name=a.person.name or None))
                for a in draft.attendees if a.kind == "Required"]
    optional = [EwsAttendee(mailbox=Mailbox(email_address=a.person.address, name=a.person.name or None))
                for a in draft.attendees if a.kind == "Optional"]
    resources = [EwsAttendee(mailbox=Mailbox(email_address=a.person.address, name=a.person.name or None))
                 for a in draft.attendees if a.kind == "Resource"]
    item = CalendarItem(
        account=account,
        subject=draft.subject,
        start=_ews(draft.start),
        end=_ews(draft.end),
        is_all_day=draft.all_day,
        location=draft.location or None,
        body=draft.body_text or None,
        legacy_free_busy_status=draft.busy.value if draft.busy is not BusyStatus.NO_DATA else "Busy",
        required_attendees=required or None,
        optional_attendees=optional or None,
        resources=resources or None,
        reminder_is_set=draft.reminder_minutes is not None,
        reminder_minutes_before_start=draft.reminder_minutes or 0,
    )
    if with_recurrence and draft.recurrence is not None:
        item.recurrence = to_ews_recurrence(draft.recurrence, draft.start.date())
    return item


def _saved(client: EwsClient, folder: FolderRef, item_id: str) -> Event:
    [item] = _get_items(client, folder.mailbox, [ItemId(id=item_id)], _VIEW_FIELDS)
    return _event(item, folder)


_UPDATE_FIELDS = ("subject", "start", "end", "is_all_day", "location", "body", "legacy_free_busy_status",
                  "required_attendees", "optional_attendees", "resources", "reminder_is_set",
                  "reminder_minutes_before_start")


def _update(client: EwsClient, folder: FolderRef, item_id: str, change_key: str, item: CalendarItem,
            names: Sequence[str], send_updates: bool, verb: str) -> str:
    account = client.account(folder.mailbox)
    item.id, item.changekey = item_id, change_key or None
    send = SEND_TO_ALL_AND_SAVE_COPY if send_updates else SEND_TO_NONE

    def work() -> str:
        [answer] = list(UpdateItem(account=account).call(
            items=[(item, list(names))], conflict_resolution=AUTO_RESOLVE, message_disposition=SAVE_ONLY,
            send_meeting_invitations_or_cancellations=send, suppress_read_receipts=True))
        if isinstance(answer, Exception):
            raise answer
        return answer.id if hasattr(answer, "id") else item_id

    return _run(client, folder, work, verb)


