"""What the user may do in a calendar and with an event, with the sentence a disabled control shows."""

from __future__ import annotations

from app.domain.calendar import CalendarRef, Event
from app.domain.rights import ALLOWED, Capability

# An occurrence computed from its series' pattern has no id of its own on such a server: only its series can change.
_COMPUTED = "This server lists only the whole series: open the event to change or delete the series."


def place(calendar: CalendarRef) -> str:
    """"Sales Team › Calendar" (the owner, then the calendar)."""
    owner = calendar.owner.name or calendar.owner.address
    return f"{owner} › {calendar.name}"


def can_create(calendar: CalendarRef | None) -> Capability:
    """New events need CreateContents on the calendar."""
    if calendar is None:
        return Capability(False, "Choose a calendar first.")
    if calendar.free_busy_only:
        return Capability(False, f"You can only see when {place(calendar)} is busy.")
    if not calendar.rights.create_contents:
        return Capability(False, f"You have read-only access to {place(calendar)}.")
    return ALLOWED


def can_open(calendar: CalendarRef | None, event: Event | None) -> Capability:
    """Free/busy-only blocks cannot be opened."""
    if calendar is None or event is None:
        return Capability(False, "Select an event first.")
    if calendar.free_busy_only or not event.item_id:
        return Capability(False, f"You can only see when {place(calendar)} is busy.")
    return ALLOWED


def can_edit(calendar: CalendarRef | None, event: Event | None) -> Capability:
    """Changing (and moving, resizing) an event needs Modify on it (Owned vs All applied by the server)."""
    opened = can_open(calendar, event)
    if not opened:
        return opened
    assert calendar is not None and event is not None
    if event.computed:
        return Capability(False, _COMPUTED)
    if not event.rights.modify:
        if event.rights.delete:
            return Capability(False, f"You cannot change events in {place(calendar)}.")
        return Capability(False, f"You have read-only access to {place(calendar)}.")
    return ALLOWED


def can_delete(calendar: CalendarRef | None, event: Event | None) -> Capability:
    opened = can_open(calendar, event)
    if not opened:
        return opened
    assert calendar is not None and event is not None
    if event.computed:
        return Capability(False, _COMPUTED)
    if not event.rights.delete:
        if event.rights.modify:
            return Capability(False, f"You may change but not delete events in {place(calendar)}.")
        return Capability(False, f"You have read-only access to {place(calendar)}.")
    return ALLOWED
