"""``--screenshot-dialog week|month|scheduling``: the Calendar mode of the demo user (alice) with her own and
support@'s calendars overlaid, and the scheduling assistant for a support@ meeting, for :mod:`app.screenshot`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from app.views.calendar.layout import ViewKind
from app.views.screenshot_wait import Ready, when

SUPPORT = "support@example.com"


def _calendar(window: Any, kind: ViewKind, ready: Ready) -> Any:
    pane = window.calendar.show()
    pane.set_view(kind)
    user = window.user.address if window.user is not None else ""

    def both_loaded() -> bool:
        wanted = [pane.calendar_named(user), pane.calendar_named(SUPPORT)]
        return all(c is not None for c in wanted) and pane.loaded >= pane.checked and bool(pane.checked)

    def shoot() -> None:
        support = pane.calendar_named(SUPPORT)
        pane.calendar_list.set_current(support)
        if kind is not ViewKind.MONTH:
            pane.grid.scroll_to_hour(7.5)
            today = datetime.now(pane.tz).date()
            pane.grid.select_day(today)
        ready(window)

    when(both_loaded, shoot, pane)
    return pane


def screenshot_week(window: Any, ready: Ready) -> Any:
    return _calendar(window, ViewKind.WEEK, ready)


def screenshot_month(window: Any, ready: Ready) -> Any:
    return _calendar(window, ViewKind.MONTH, ready)


def screenshot_scheduling(window: Any, ready: Ready) -> Any:
    """The assistant for a support@ meeting with alice, carol, bob and room-101, the next free slot found."""
    pane = window.calendar.show()

    def open_it() -> None:
        pane.calendar_list.set_current(pane.calendar_named(SUPPORT))
        now = datetime.now(pane.tz)
        day = now.date() + timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        pane.grid.selected_day = day
        dialog = window.calendar.commands.open_scheduling()
        dialog.set_start(datetime.combine(day, time(9, 30), pane.tz))
        dialog.duration = timedelta(minutes=60)
        for address in ("alice@example.com", "carol@example.com", "bob@example.com"):
            dialog.add_attendee(address)

        def add_room() -> None:
            rooms = [dialog.room_view.item(r) for r in range(dialog.room_view.count())]
            chosen = next((i for i in rooms if "101" in i.text()), rooms[0] if rooms else None)
            if chosen is not None:
                dialog.room_view.setCurrentItem(chosen)
                dialog._add_chosen_room()
            when(dialog.is_loaded, lambda: (dialog.suggest(), ready(dialog)), dialog)

        when(lambda: dialog.is_loaded() and dialog.room_view.count() > 0, add_room, dialog)

    when(lambda: pane.calendar_named(SUPPORT) is not None, open_it, pane)
    return pane
