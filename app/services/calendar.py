"""Calendars for the views: listing, loading date ranges, changing events, free/busy, rooms and .ics files.

Every call runs on the task queue of the calendar's mailbox (key = the mailbox address), in order with the
user's other actions on that mailbox; free/busy and room lookups run on :data:`LOOKUP_QUEUE`. Results come back
as signals (and, when given, to an ``on_result`` callback); failures reach the user through :attr:`error` only.

A newer load of the same calendar supersedes the one in flight (its result is dropped), so paging quickly
through weeks shows the last week asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.domain.calendar import CalendarRef, Event, EventDraft
from app.domain.errors import Cancelled, user_message
from app.domain.folders import FolderRef
from app.domain.ical import MAX_BYTES as MAX_ICS_BYTES
from app.domain.ical import IcsError, SeriesExceptions, export_ics, parse_ics
from app.domain.mailbox import MailboxRef
from app.ews import availability, calendar, calendar_files
from app.ews.calendar import Scope
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

LOOKUP_QUEUE = "#calendar-lookups"  # free/busy, rooms: not a mailbox's queue
Callback = Callable[[Any], Any] | None


class CalendarService(QObject):
    """Loads and changes calendars.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient`` (called on the GUI thread).
        parent: Qt parent.

    Signals:
        calendars_loaded(list[CalendarRef]): the calendars of the mailboxes asked for (load_calendars).
        calendar_opened(CalendarRef): a colleague's calendar opened with open_shared_calendar.
        events_loaded(CalendarRef, datetime, datetime, list[Event]): a range of a calendar.
        event_loaded(Event): one event in full (get_event).
        changed(): an event was created, changed, moved, deleted or answered, or a file imported.
        calendar_changed(FolderRef): the same, naming the calendar (reload its visible range).
        free_busy_loaded(dict[str, list[FreeBusyBlock]], datetime, datetime): scheduling assistant data.
        room_lists_loaded(list[Person]), rooms_loaded(str, list[Person]): the room finder.
        imported(FolderRef, int): an .ics file was imported whole (how many events).
        status(str): a passing message.
        error(str): something failed; user-facing text.
    """

    calendars_loaded = Signal(object)
    calendar_opened = Signal(object)
    events_loaded = Signal(object, object, object, object)
    event_loaded = Signal(object)
    changed = Signal()
    calendar_changed = Signal(object)
    free_busy_loaded = Signal(object, object, object)
    room_lists_loaded = Signal(object)
    rooms_loaded = Signal(str, object)
    imported = Signal(object, int)
    status = Signal(str)
    error = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._loads: dict[tuple[str, str], TaskHandle[Any]] = {}

    # -- plumbing ------------------------------------------------------------------------------------------
    def _run(self, fn: Callable[[EwsClient], Any], key: str, description: str,
             done: Callable[[Any], None], on_result: Callback = None,
             on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        client = self._client()

        def delivered(result: Any) -> None:
            done(result)
            if on_result is not None:
                on_result(result)

        def failed(error: BaseException) -> None:
            if on_error is None:
                self._failed(error)
            elif not isinstance(error, Cancelled):
                on_error(user_message(error))

        return self._runner.run(lambda: fn(client), key=key, description=description, on_result=delivered,
                                on_error=failed)

    def _failed(self, error: BaseException) -> None:
        if not isinstance(error, Cancelled):
            self.error.emit(user_message(error))

    def _changed(self, folder: FolderRef) -> Callable[[Any], None]:
        def done(_result: Any) -> None:
            self.calendar_changed.emit(folder)
            self.changed.emit()
        return done

    # -- calendars -----------------------------------------------------------------------------------------
    def load_calendars(self, mailboxes: Sequence[str | MailboxRef], on_result: Callback = None) -> TaskHandle[Any]:
        """List the calendars of ``mailboxes`` -> :attr:`calendars_loaded`."""
        boxes = list(mailboxes)
        return self._run(lambda c: calendar.list_calendars(c, boxes), LOOKUP_QUEUE, "List calendars",
                         self.calendars_loaded.emit, on_result)

    def open_shared_calendar(self, address: str, on_result: Callback = None) -> TaskHandle[Any]:
        """Open a colleague's calendar shared at folder level -> :attr:`calendar_opened`."""
        address = address.strip()
        return self._run(lambda c: calendar.open_shared_calendar(c, address), address,
                         f"Open {address}'s calendar", self.calendar_opened.emit, on_result)

    def load_events(self, cal: CalendarRef, start: datetime, end: datetime,
                    on_result: Callback = None) -> TaskHandle[Any]:
        """Load ``[start, end)`` of a calendar -> :attr:`events_loaded`; supersedes this calendar's older load."""
        key = cal.folder.key
        previous = self._loads.pop(key, None)
        if previous is not None:
            previous.cancel()

        def done(found: list[Event]) -> None:
            if self._loads.get(key) is handle:
                del self._loads[key]
            self.events_loaded.emit(cal, start, end, found)

        handle = self._run(lambda c: calendar.events(c, cal, start, end), cal.folder.mailbox,
                           f"Load {cal.name}", done, on_result)
        self._loads[key] = handle
        return handle

    def get_event(self, cal: CalendarRef, item_id: str, on_result: Callback = None) -> TaskHandle[Any]:
        """One event in full (body, attendees, recurrence) -> :attr:`event_loaded`."""
        return self._run(lambda c: calendar.get_event(c, cal, item_id), cal.folder.mailbox, "Open event",
                         self.event_loaded.emit, on_result)

    # -- changes -------------------------------------------------------------------------------------------
    def create_event(self, draft: EventDraft, send_invitations: bool = False,
                     on_result: Callback = None, on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Create an event or series -> :attr:`changed`; ``on_result`` gets the new Event. A failure goes to
        ``on_error`` when given (instead of :attr:`error`)."""
        return self._run(lambda c: calendar.create_event(c, draft, send_invitations), draft.calendar.mailbox,
                         f"Create {draft.subject!r}", self._changed(draft.calendar), on_result, on_error)

    def update_event(self, event_id: str, draft: EventDraft, scope: Scope = "series", send_updates: bool = False,
                     on_result: Callback = None, on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Save an edited event, occurrence or series -> :attr:`changed`; a failure goes to ``on_error`` when
        given (instead of :attr:`error`)."""
        return self._run(lambda c: calendar.update_event(c, event_id, draft, scope, send_updates),
                         draft.calendar.mailbox, f"Save {draft.subject!r}", self._changed(draft.calendar), on_result,
                         on_error)

    def move_event(self, event: Event, new_start: datetime, new_end: datetime, scope: Scope = "occurrence",
                   on_result: Callback = None) -> TaskHandle[Any]:
        """Move or resize an event (drag) -> :attr:`changed`."""
        return self._run(lambda c: calendar.move_event(c, event, new_start, new_end, scope), event.calendar.mailbox,
                         f"Move {event.subject!r}", self._changed(event.calendar), on_result)

    def delete_event(self, event: Event, scope: Scope = "occurrence", send_cancellations: bool = False,
                     on_result: Callback = None) -> TaskHandle[Any]:
        """Delete an event, an occurrence or a series -> :attr:`changed`."""
        return self._run(lambda c: calendar.delete_event(c, event, scope, send_cancellations),
                         event.calendar.mailbox, f"Delete {event.subject!r}", self._changed(event.calendar), on_result)

    # -- scheduling ----------------------------------------------------------------------------------------
    def load_free_busy(self, addresses: Sequence[str], start: datetime, end: datetime, interval_minutes: int = 30,
                       on_result: Callback = None) -> TaskHandle[Any]:
        """Free/busy of people and rooms -> :attr:`free_busy_loaded`."""
        people = list(addresses)
        return self._run(lambda c: availability.free_busy(c, people, start, end, interval_minutes), LOOKUP_QUEUE,
                         "Free/busy", lambda r: self.free_busy_loaded.emit(r, start, end), on_result)

    def load_room_lists(self, on_result: Callback = None) -> TaskHandle[Any]:
        """The room lists -> :attr:`room_lists_loaded`."""
        return self._run(availability.room_lists, LOOKUP_QUEUE, "Room lists", self.room_lists_loaded.emit, on_result)

    def load_rooms(self, room_list: str, on_result: Callback = None) -> TaskHandle[Any]:
        """The rooms of a room list -> :attr:`rooms_loaded`."""
        return self._run(lambda c: availability.rooms(c, room_list), LOOKUP_QUEUE, "Rooms",
                         lambda r: self.rooms_loaded.emit(room_list, r), on_result)

    # -- iCalendar -----------------------------------------------------------------------------------------
    def preview_ics(self, data: bytes, target: FolderRef, on_result: Callback = None,
                    on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Parse and validate a file without importing (the "what will be created" list); errors on :attr:`error`
        (or to ``on_error``).

        ``on_result`` gets the list of EventDraft.
        """
        return self._run(lambda _c: parse_ics(data, calendar=target), LOOKUP_QUEUE, "Read .ics file",
                         lambda _r: None, on_result, on_error)

    def read_ics_file(self, path: str | Path, target: FolderRef, on_result: Callback = None,
                      on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Read a file from disk and validate it, in a worker: ``on_result`` gets ``(bytes, list[EventDraft])``."""
        def work(_c: EwsClient) -> tuple[bytes, list[EventDraft]]:
            file = Path(path)
            try:
                if file.stat().st_size > MAX_ICS_BYTES:
                    raise IcsError(f"{file.name} is larger than {MAX_ICS_BYTES // 1_000_000} MB; it was not read.")
                data = file.read_bytes()
            except OSError as error:
                raise IcsError(f"{file.name} cannot be read: {error.strerror or error}") from error
            return data, parse_ics(data, calendar=target)

        return self._run(work, LOOKUP_QUEUE, "Read .ics file", lambda _r: None, on_result, on_error)

    def export_ics_file(self, cal: CalendarRef, path: str | Path, start: datetime | None = None,
                        end: datetime | None = None, on_result: Callback = None,
                        on_error: Callable[[str], Any] | None = None, tz: tzinfo | None = None) -> TaskHandle[Any]:
        """Write ``[start, end)`` of a calendar (occurrences expanded), or the whole calendar when no range is
        given (single events and series as their rules, with their changed occurrences as RECURRENCE-ID events and
        removed ones as EXDATE), to ``path``; ``on_result`` gets the number of events written. ``tz`` (the user's
        zone) is the zone of a series whose own zone the server did not name."""
        def work(c: EwsClient) -> int:
            exceptions: dict[str, SeriesExceptions] = {}
            if start is None or end is None:
                found, exceptions = calendar_files.whole_calendar(c, cal)
            else:
                found = calendar.events(c, cal, start, end)
            data = export_ics(found, cal.name, exceptions, tz=tz)
            file = Path(path)
            try:
                partial = file.with_name(file.name + ".part")
                partial.write_bytes(data)
                partial.replace(file)
            except OSError as error:
                raise IcsError(f"Could not write {file.name}: {error.strerror or error}") from error
            return len(found) + sum(len(x.modified) for x in exceptions.values())

        return self._run(work, cal.folder.mailbox, f"Export {cal.name}", lambda _r: None, on_result, on_error)

    def import_ics(self, data: bytes, target: FolderRef, on_result: Callback = None,
                   on_error: Callable[[str], Any] | None = None) -> TaskHandle[Any]:
        """Import a whole file into ``target``, or nothing (a failure half-way deletes what was created); a series
        with changed or removed occurrences is created, then those are applied.

        -> :attr:`imported` and :attr:`changed`; ``on_result`` gets the created Events.
        """
        def work(c: EwsClient) -> list[Event]:
            return calendar_files.import_calendar(c, parse_ics(data, calendar=target))

        def done(created: list[Event]) -> None:
            self.imported.emit(target, len(created))
            self._changed(target)(created)

        return self._run(work, target.mailbox, "Import .ics file", done, on_result, on_error)

    def export_ics(self, cal: CalendarRef, start: datetime, end: datetime,
                   on_result: Callback = None) -> TaskHandle[Any]:
        """The events of ``[start, end)`` as .ics bytes (to ``on_result``)."""
        return self._run(lambda c: export_ics(calendar.events(c, cal, start, end), cal.name), cal.folder.mailbox,
                         f"Export {cal.name}", lambda _r: None, on_result)
