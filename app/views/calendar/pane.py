"""The Calendar mode: a toolbar (Today, ◀ ▶, Day / Work week / Week / Month / Agenda, New event), the list of
calendars (overlaid, toggled) and the current view. Data comes from :class:`~app.services.calendar.CalendarService`;
what the user may do comes from :mod:`app.views.calendar.access` (disabled actions say why in their tooltips).
The commands that open dialogs (create, edit, delete, scheduling) are in :mod:`app.views.calendar.commands`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QFont, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QSplitter, QStackedWidget, QToolBar, QVBoxLayout, QWidget

from app.domain.calendar import BusyStatus, CalendarRef, Event
from app.domain.rights import Capability
from app.views.calendar import access, style
from app.views.calendar.agenda import AgendaList
from app.views.calendar.calendar_list import CalendarList
from app.views.calendar.layout import ViewKind, bounds, local_tz, period, shift, title
from app.views.calendar.month import MonthGrid
from app.views.calendar.timegrid import TimeGrid

BUSY_WORDS = {BusyStatus.TENTATIVE: "Tentative", BusyStatus.OOF: "Away", BusyStatus.FREE: "Free",
              BusyStatus.WORKING_ELSEWHERE: "Working elsewhere"}


class CalendarPane(QWidget):
    """Signals: status(str) for the status bar; error(str) for the message bar; anything_loaded() each time a
    calendar's range arrived (tests wait on it)."""

    status = Signal(str)
    error = Signal(str)
    anything_loaded = Signal()

    def __init__(self, service: Any, *, user: Callable[[], Any] = lambda: None,
                 mailboxes: Callable[[], list[str]] = list, display_name: Callable[[str], str] = str, tz: tzinfo | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarPane")
        self.service = service
        self._user = user
        self._mailboxes = mailboxes
        self._display_name = display_name
        self.tz = tz or local_tz()
        self.kind = ViewKind.WEEK
        self.anchor = datetime.now(self.tz).date()
        self.calendars: dict[Hashable, CalendarRef] = {}
        self.order: list[Hashable] = []
        self.checked: set[Hashable] = set()
        self.colours: dict[Hashable, QColor] = {}
        self.events: dict[Hashable, list[Event]] = {}
        self.loaded: set[Hashable] = set()  # calendars whose current range has arrived
        self._asked_for: tuple[str, ...] = ()
        self.by_hand: set[Hashable] = set()  # calendars opened with "Open shared calendar…"
        self.commands: Any = None  # set by install_calendar (app.views.calendar.commands)

        self._build()
        service.calendars_loaded.connect(self._on_calendars)
        service.calendar_opened.connect(self._on_calendar_opened)
        service.events_loaded.connect(self._on_events)
        service.calendar_changed.connect(self._on_calendar_changed)
        service.error.connect(self.error)
        service.status.connect(self.status)

    # -- building --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.toolbar = QToolBar("Calendar", self)
        self.toolbar.setObjectName("calendarToolBar")
        self.toolbar.setIconSize(QSize(18, 18))
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.new_event = self._action("New event…", "action_new_event", "Ctrl+Shift+N")
        self.open_event = self._action("Open", "action_open_event")
        self.delete_event = self._action("Delete", "action_delete_event")
        self.scheduling = self._action("Scheduling assistant…", "action_scheduling")
        self.today_action = self._action("Today", "action_calendar_today")
        self.prev_action = self._action("◀", "action_calendar_prev")
        self.prev_action.setToolTip("Previous period (Page Up)")
        self.next_action = self._action("▶", "action_calendar_next")
        self.next_action.setToolTip("Next period (Page Down)")
        self.toolbar.addActions([self.new_event, self.open_event, self.delete_event])
        self.toolbar.addSeparator()
        self.toolbar.addActions([self.today_action, self.prev_action, self.next_action])
        self.title_label = QLabel("", self)
        self.title_label.setObjectName("calendarTitle")
        font = QFont(self.title_label.font())
        font.setPointSizeF(font.pointSizeF() + 2)
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setContentsMargins(10, 0, 10, 0)
        self.toolbar.addWidget(self.title_label)
        spacer = QWidget(self.toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.toolbar.addWidget(spacer)
        self.view_group = QActionGroup(self)
        self.view_actions: dict[ViewKind, QAction] = {}
        for n, kind in enumerate(ViewKind):
            action = self._action(kind.value, f"action_view_{kind.name.lower()}", f"Ctrl+Alt+{n + 1}")
            action.setCheckable(True)
            self.view_group.addAction(action)
            self.toolbar.addAction(action)
            action.triggered.connect(lambda _c=False, k=kind: self.set_view(k))
            self.view_actions[kind] = action
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.scheduling)
        self.today_action.triggered.connect(lambda: self.go("today"))
        self.prev_action.triggered.connect(lambda: self.go("prev"))
        self.next_action.triggered.connect(lambda: self.go("next"))

        self.calendar_list = CalendarList(self)
        self.calendar_list.setMinimumWidth(200)
        self.calendar_list.toggled.connect(self._on_toggled)
        self.calendar_list.current_changed.connect(lambda _c: self.update_actions())
        self.grid = TimeGrid(self)
        self.month = MonthGrid(self)
        self.agenda = AgendaList(self)
        for view in (self.grid, self.month, self.agenda):
            view.navigate.connect(self.go)
            view.colours = self.colours
            view.labeler = self.label
        self.grid.can_change = self._can_change
        self.grid.selection_changed.connect(lambda *_: self.update_actions())
        self.grid.day_selected.connect(self._on_day_selected)
        self.grid.refused.connect(self.status)
        self.month.day_selected.connect(lambda d: setattr(self, "anchor", d))
        self.month.day_activated.connect(self._open_day)
        self.stack = QStackedWidget(self)
        for view in (self.grid, self.month, self.agenda):
            self.stack.addWidget(view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("calendarSplitter")
        self.splitter.addWidget(self.calendar_list)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 1040])
        self.splitter.setChildrenCollapsible(False)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.toolbar)
        column.addWidget(self.splitter, 1)
        self.view_actions[self.kind].setChecked(True)
        self.grid.scroll_to_hour(7.5)
        self._show_period()
        self.update_actions()

    def _action(self, text: str, name: str, keys: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    # -- calendars -------------------------------------------------------------------------------------------
    def refresh_calendars(self) -> None:
        """Ask for the calendars of every open mailbox (when that set changed)."""
        boxes = tuple(self._mailboxes())
        if boxes and boxes != self._asked_for:
            self._asked_for = boxes
            self.service.load_calendars(list(boxes))
            self.status.emit("Loading calendars …")

    def _on_calendars(self, found: list[CalendarRef]) -> None:
        found = [self._named(c) for c in found]
        self.status.emit("")
        wanted = {b.casefold() for b in self._asked_for}
        # keep calendars opened by hand (shared at folder level), drop those of mailboxes no longer open
        kept = [k for k in self.order if k in self.by_hand and self.calendars[k].folder.mailbox.casefold()
                not in wanted]
        self.order = [c.folder.key for c in found] + kept
        first_time = not self.calendars
        for cal in found:
            if cal.folder.key not in self.calendars and (first_time or cal.folder.key not in self.checked):
                self.checked.add(cal.folder.key)
            self.calendars[cal.folder.key] = cal
        self._after_calendars_changed()

    def _on_calendar_opened(self, cal: CalendarRef) -> None:
        cal = self._named(cal)
        key = cal.folder.key
        self.by_hand.add(key)
        if key not in self.order:
            self.order.append(key)
        self.calendars[key] = cal
        self.checked.add(key)
        self._after_calendars_changed()
        self.calendar_list.set_current(cal)
        self.status.emit(f"Opened {access.place(cal)}.")

    def _named(self, cal: CalendarRef) -> CalendarRef:
        """The calendar with its owner's display name (the mailbox's, when the server gave none)."""
        if cal.owner.name:
            return cal
        name = self._display_name(cal.owner.address or cal.folder.mailbox)
        return replace(cal, owner=replace(cal.owner, name=name)) if name else cal

    def add_calendar(self, cal: CalendarRef, checked: bool = True) -> None:
        """Show a calendar (e.g. opened by hand)."""
        if cal.folder.key not in self.order:
            self.order.append(cal.folder.key)
        self.calendars[cal.folder.key] = cal
        if checked:
            self.checked.add(cal.folder.key)
        self._after_calendars_changed()

    def _after_calendars_changed(self) -> None:
        for key in list(self.calendars):
            if key not in self.order:
                del self.calendars[key]
                self.checked.discard(key)
        for n, key in enumerate(self.order):
            self.colours.setdefault(key, style.colour(n))
        self.calendar_list.set_calendars([(self.calendars[k], self.colours[k], k in self.checked)
                                          for k in self.order])
        if self.calendar_list.current() is None:
            own = self._own_calendar()
            if own is not None:
                self.calendar_list.set_current(own)
        self.reload()

    def _own_calendar(self) -> CalendarRef | None:
        user = self._user()
        address = getattr(user, "address", "").casefold()
        cals = [self.calendars[k] for k in self.order]
        return next((c for c in cals if c.folder.mailbox.casefold() == address), cals[0] if cals else None)

    def set_checked(self, cal: CalendarRef, on: bool) -> None:
        self.calendar_list.set_checked(cal, on)

    def _on_toggled(self, cal: CalendarRef, on: bool) -> None:
        key = cal.folder.key
        if on:
            self.checked.add(key)
            if key not in self.loaded:
                self._load(cal)
        else:
            self.checked.discard(key)
        self._show_events()

    def calendar_named(self, mailbox: str, name: str = "Calendar") -> CalendarRef | None:
        return next((c for c in self.calendars.values()
                     if c.folder.mailbox.casefold() == mailbox.casefold() and c.name == name), None)

    # -- period and loading ----------------------------------------------------------------------------------
    def range(self) -> tuple[date, int]:
        return period(self.kind, self.anchor)

    def bounds(self) -> tuple[datetime, datetime]:
        first, days = self.range()
        return bounds(first, days, self.tz)

    def set_view(self, kind: ViewKind) -> None:
        before = self.bounds()
        self.kind = kind
        self.view_actions[kind].setChecked(True)
        self.stack.setCurrentWidget({ViewKind.MONTH: self.month, ViewKind.AGENDA: self.agenda}.get(kind, self.grid))
        self.stack.currentWidget().setFocus(Qt.FocusReason.OtherFocusReason)
        self._period_changed(before)

    def set_anchor(self, day: date) -> None:
        before = self.bounds()
        self.anchor = day
        self._period_changed(before)

    def go(self, where: str) -> None:
        """"today", "prev" or "next" period."""
        if where == "today":
            self.set_anchor(datetime.now(self.tz).date())
            self.grid.select_day(self.anchor) if self.kind is not ViewKind.MONTH else None
        else:
            self.set_anchor(shift(self.kind, self.anchor, -1 if where == "prev" else 1))

    def _on_day_selected(self, day: date) -> None:
        first, days = self.range()
        if 0 <= (day - first).days < days:
            self.anchor = day
        else:
            self.set_anchor(day)
            self.grid.selected_day = day

    def _open_day(self, day: date) -> None:
        self.anchor = day
        self.set_view(ViewKind.DAY)

    def _period_changed(self, before: tuple[datetime, datetime]) -> None:
        self._show_period()
        if self.bounds() != before:
            self.reload()
        else:
            self._show_events()

    def _show_period(self) -> None:
        first, days = self.range()
        self.title_label.setText(title(self.kind, first, days))

    def reload(self) -> None:
        """Load the visible range of every ticked calendar (the others when ticked)."""
        self.loaded.clear()
        self.events.clear()
        for key in self.order:
            if key in self.checked:
                self._load(self.calendars[key])
        self._show_events()

    def _load(self, cal: CalendarRef) -> None:
        start, end = self.bounds()
        self.service.load_events(cal, start, end)

    def _on_events(self, cal: CalendarRef, start: datetime, end: datetime, events: list[Event]) -> None:
        key = cal.folder.key
        if key not in self.calendars or (start, end) != self.bounds():
            return
        self.events[key] = list(events)
        self.loaded.add(key)
        self._show_events()
        self.anything_loaded.emit()
        # A series the server listed unexpanded and Mailroom could not compute (its pattern is unreadable).
        whole = next((e for e in events if e.kind == "RecurringMaster" and not e.computed), None)
        if whole is not None:
            self.status.emit(f"“{whole.subject}” in {access.place(cal)} repeats, but the server sent only the "
                             "series, not its occurrences: it is shown once, at its first occurrence.")

    def _on_calendar_changed(self, folder: Any) -> None:
        key = folder.key
        cal = self.calendars.get(key) or next((c for c in self.calendars.values()
                                               if c.folder.mailbox.casefold() == folder.mailbox.casefold()
                                               and folder.well_known and c.folder.well_known == folder.well_known),
                                              None)
        if cal is not None and cal.folder.key in self.checked:
            self.loaded.discard(cal.folder.key)
            self._load(cal)

    def visible_events(self) -> list[tuple[Hashable, Event]]:
        """(calendar key, event) of every ticked calendar, in list order."""
        return [(k, e) for k in self.order if k in self.checked for e in self.events.get(k, [])]

    def _show_events(self) -> None:
        first, days = self.range()
        events = self.visible_events()
        today = datetime.now(self.tz).date()
        for view in (self.grid, self.month):
            view.today = today
        if self.kind is ViewKind.MONTH:
            middle = first.toordinal() + 15
            self.month.set_events(first, date.fromordinal(middle).month, events, self.tz)
        elif self.kind is ViewKind.AGENDA:
            self.agenda.set_events(first, days, events, self.tz)
        else:
            if not 0 <= (self.grid.selected_day - first).days < days:
                self.grid.selected_day = self.anchor if 0 <= (self.anchor - first).days < days else first
            self.grid.set_events(first, days, events, self.tz)
        self.update_actions()

    # -- what is shown ---------------------------------------------------------------------------------------
    def label(self, key: Hashable, event: Event) -> tuple[str, str, bool]:
        """(title, detail, details hidden) of an event: free/busy-only calendars show "Busy" without subject."""
        cal = self.calendars.get(key)
        if cal is not None and cal.free_busy_only:
            word = BUSY_WORDS.get(event.busy, "Busy")
            if cal.subject_visible and event.subject:
                return event.subject, event.location, True
            return word, "", True
        return event.subject or "(no subject)", event.location, False

    def selected(self) -> tuple[CalendarRef, Event] | None:
        if self.kind is ViewKind.AGENDA:
            item = self.agenda.currentItem()
            data = item.data(Qt.ItemDataRole.UserRole + 1) if item is not None else None
        else:
            data = self.grid.selected_event() if self.kind is not ViewKind.MONTH else None
        if not data:
            return None
        key, event = data
        cal = self.calendars.get(key)
        return (cal, event) if cal is not None else None

    def target_calendar(self) -> CalendarRef | None:
        """Where new events go: the calendar chosen in the list (else the user's own)."""
        return self.calendar_list.current() or self._own_calendar()

    def _can_change(self, key: Hashable, event: Event) -> Capability:
        return access.can_edit(self.calendars.get(key), event)

    def update_actions(self) -> None:
        """Enable the event actions from the rights; a disabled one says why in its tooltip."""
        target = self.target_calendar()
        create = access.can_create(target)
        _enable(self.new_event, create, f"New event in {access.place(target)}" if target else "New event")
        chosen = self.selected()
        cal, event = chosen if chosen is not None else (None, None)
        _enable(self.open_event, access.can_open(cal, event), "Open the selected event")
        _enable(self.delete_event, access.can_delete(cal, event), "Delete the selected event")
        _enable(self.scheduling, create, "Find a time for a meeting: free/busy of attendees and rooms")


def _enable(action: QAction, cap: Capability, tip: str) -> None:
    action.setEnabled(cap.allowed)
    action.setToolTip(tip if cap.allowed else cap.reason)
    action.setStatusTip("" if cap.allowed else cap.reason)
