"""The list of calendars beside the views: one check box per calendar (overlay on/off) in the calendar's colour,
grouped by mailbox, and "Open shared calendar…" below."""

from __future__ import annotations

from collections.abc import Callable, Hashable

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QMenu, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.domain.calendar import CalendarRef
from app.views.calendar import style
from app.views.calendar.access import place
from app.views.calendar.check_delegate import COLOUR_ROLE, ColourCheckDelegate

REF_ROLE = Qt.ItemDataRole.UserRole + 1


class CalendarList(QWidget):
    """Signals: toggled(CalendarRef, bool); current_changed(CalendarRef or None); open_shared_requested();
    from the context menu: reminders_toggled(CalendarRef, bool), export_requested(CalendarRef),
    import_requested(CalendarRef)."""

    toggled = Signal(object, bool)
    current_changed = Signal(object)
    open_shared_requested = Signal()
    reminders_toggled = Signal(object, bool)
    export_requested = Signal(object)
    import_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("calendarList")
        column = QVBoxLayout(self)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)
        heading = QLabel("Calendars", self)
        font = QFont(heading.font())
        font.setBold(True)
        heading.setFont(font)
        column.addWidget(heading)
        self.tree = QTreeWidget(self)
        self.tree.setObjectName("calendarTree")
        self.tree.setAccessibleName("Calendars")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(8)
        self.tree.setStyleSheet("QTreeWidget#calendarTree { border: none; background: transparent; }"
                                "QTreeWidget#calendarTree::item { padding: 3px 0; }")
        self.tree.setItemDelegate(ColourCheckDelegate(self.tree))
        column.addWidget(self.tree, 1)
        self.open_shared = QPushButton("Open shared calendar…", self)
        self.open_shared.setObjectName("openSharedCalendar")
        self.open_shared.setToolTip("Open a colleague's calendar that is shared with you")
        self.open_shared.clicked.connect(self.open_shared_requested)
        column.addWidget(self.open_shared)
        self._items: dict[Hashable, QTreeWidgetItem] = {}
        self._groups: dict[str, QTreeWidgetItem] = {}
        self.tree.itemChanged.connect(self._on_changed)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        #: Whether a calendar reminds (set by install_calendar; the menu's tick shows it).
        self.reminds: Callable[[CalendarRef], bool] = lambda _c: False
        self.tree.currentItemChanged.connect(self._on_current)

    def set_calendars(self, calendars: list[tuple[CalendarRef, QColor, bool]]) -> None:
        """Show these calendars (with colour and checked state), grouped by owner, in order."""
        current = self.current()
        self.tree.blockSignals(True)
        self.tree.clear()
        self._items.clear()
        self._groups.clear()
        bold = QFont(self.tree.font())
        bold.setBold(True)
        for cal, colour, checked in calendars:
            owner = cal.owner.name or cal.owner.address
            group = self._groups.get(cal.owner.address.casefold())
            if group is None:
                group = QTreeWidgetItem(self.tree, [owner])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setFont(0, bold)
                group.setForeground(0, style.MUTED)
                group.setToolTip(0, cal.owner.address)
                self._groups[cal.owner.address.casefold()] = group
            item = QTreeWidgetItem(group, [cal.name])
            item.setData(0, COLOUR_ROLE, QColor(colour))  # the check box is drawn in it (no separate swatch)
            item.setData(0, REF_ROLE, cal)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(0, Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            access = ("free/busy only" if cal.free_busy_only else
                      "read and write" if cal.rights.create_contents else "read-only")
            item.setToolTip(0, f"{place(cal)} — {access}")
            self._items[cal.folder.key] = item
        self.tree.expandAll()
        self.tree.blockSignals(False)
        if current is not None and current.folder.key in self._items:
            self.tree.setCurrentItem(self._items[current.folder.key])

    def calendars(self) -> list[CalendarRef]:
        return [item.data(0, REF_ROLE) for item in self._items.values()]

    def is_checked(self, cal: CalendarRef) -> bool:
        item = self._items.get(cal.folder.key)
        return item is not None and item.checkState(0) == Qt.CheckState.Checked

    def set_checked(self, cal: CalendarRef, on: bool) -> None:
        """Tick or untick a calendar as the user would (emits :attr:`toggled`)."""
        item = self._items[cal.folder.key]
        item.setCheckState(0, Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)

    def current(self) -> CalendarRef | None:
        item = self.tree.currentItem()
        return item.data(0, REF_ROLE) if item is not None else None

    def set_current(self, cal: CalendarRef) -> None:
        self.tree.setCurrentItem(self._items[cal.folder.key])

    def _on_changed(self, item: QTreeWidgetItem, _column: int) -> None:
        cal = item.data(0, REF_ROLE)
        if cal is not None:
            self.toggled.emit(cal, item.checkState(0) == Qt.CheckState.Checked)

    def _on_current(self, item: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        self.current_changed.emit(item.data(0, REF_ROLE) if item is not None else None)

    # -- context menu --------------------------------------------------------------------------------------------
    def menu_for(self, cal: CalendarRef) -> QMenu:
        """The context menu of a calendar: reminders on/off, export, import (only where the user may write)."""
        menu = QMenu(self)
        remind = menu.addAction("Remind me of events in this calendar")
        remind.setObjectName("action_calendar_remind")
        remind.setCheckable(True)
        remind.setChecked(self.reminds(cal))
        remind.setEnabled(not cal.free_busy_only)
        remind.toggled.connect(lambda on: self.reminders_toggled.emit(cal, on))
        menu.addSeparator()
        export = menu.addAction("Export to .ics…")
        export.setObjectName("action_calendar_export")
        export.setEnabled(not cal.free_busy_only)
        export.triggered.connect(lambda: self.export_requested.emit(cal))
        imp = menu.addAction("Import .ics…")
        imp.setObjectName("action_calendar_import")
        writable = cal.rights.create_contents and not cal.free_busy_only
        imp.setEnabled(writable)
        imp.setToolTip("" if writable else f"You have read-only access to {place(cal)}.")
        imp.triggered.connect(lambda: self.import_requested.emit(cal))
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        cal = item.data(0, REF_ROLE) if item is not None else None
        if cal is None:
            return
        menu = self.menu_for(cal)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))
