"""The window's mode switch (Mail | Calendar | Contacts): a small registry that swaps the central area.

The first :func:`register_mode` call wraps the window's current central widget (the mail panes) as "Mail" in a
stack and adds a bar of exclusive buttons, left of the main toolbar, plus View-menu entries (Ctrl+1, Ctrl+2, …).
Anyone may add a mode::

    register_mode(window, "Contacts", contacts_widget)

Leaving Mail hides the mail toolbar (its actions act on the message list); coming back shows it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStackedWidget, QToolBar, QWidget

MAIL = "Mail"
#: Modes listed (and numbered Ctrl+1, Ctrl+2, …) in this order, whoever registers first; others follow.
ORDER = ("Mail", "Calendar", "Contacts")


class ModeSwitch(QObject):
    """Signals: mode_changed(str) after the central area shows another mode."""

    mode_changed = Signal(str)

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.stack = QStackedWidget(window)
        self.stack.setObjectName("modeStack")
        mail = window.takeCentralWidget()
        self.stack.addWidget(mail)
        window.setCentralWidget(self.stack)
        self.bar = QToolBar("Modes", window)
        self.bar.setObjectName("modeToolBar")
        self.bar.setMovable(False)
        self.bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.bar.setStyleSheet(
            "QToolBar#modeToolBar { spacing: 2px; padding: 2px 6px; }"
            "QToolBar#modeToolBar QToolButton { padding: 3px 10px; border: 1px solid #cbd5e0; border-radius: 4px; }"
            "QToolBar#modeToolBar QToolButton:checked { background: #2b6cb0; color: white; border-color: #2b6cb0; }")
        toolbar = getattr(window, "toolbar", None)
        if isinstance(toolbar, QToolBar):
            window.insertToolBar(toolbar, self.bar)
        else:
            window.addToolBar(self.bar)
        self.group = QActionGroup(self)
        self.group.setExclusive(True)
        self.menu: QMenu | None = _view_menu(window)
        if self.menu is not None:
            self.menu.addSeparator()
        self.actions: dict[str, QAction] = {}
        self.widgets: dict[str, QWidget] = {}
        self.on_enter: dict[str, Callable[[], Any]] = {}
        self._add(MAIL, mail)
        self.actions[MAIL].setChecked(True)

    def _add(self, name: str, widget: QWidget) -> QAction:
        action = QAction(name, self.window)
        action.setObjectName(f"action_mode_{name.lower()}")
        action.setCheckable(True)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.group.addAction(action)
        self.window.addAction(action)
        action.triggered.connect(lambda _checked=False, n=name: self.show(n))
        self.actions[name] = action
        self.widgets[name] = widget
        self._arrange()
        return action

    def names(self) -> list[str]:
        """The modes in the order the switch lists them."""
        return sorted(self.actions, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))

    def _arrange(self) -> None:
        for n, name in enumerate(self.names()):
            action = self.actions[name]
            self.bar.removeAction(action)
            self.bar.addAction(action)
            if self.menu is not None:
                self.menu.removeAction(action)
                self.menu.addAction(action)
            action.setShortcut(QKeySequence(f"Ctrl+{n + 1}"))
            action.setToolTip(f"Show {name} ({action.shortcut().toString()})")

    def register(self, name: str, widget: QWidget, on_enter: Callable[[], Any] | None = None) -> QAction:
        """Add a mode (once per name); ``on_enter`` runs each time it is shown."""
        if name in self.actions:
            return self.actions[name]
        if self.stack.indexOf(widget) < 0:
            self.stack.addWidget(widget)
        if on_enter is not None:
            self.on_enter[name] = on_enter
        return self._add(name, widget)

    def current(self) -> str:
        widget = self.stack.currentWidget()
        return next((n for n, w in self.widgets.items() if w is widget), MAIL)

    def show(self, name: str) -> None:
        """Show mode ``name`` in the central area."""
        widget = self.widgets[name]
        self.actions[name].setChecked(True)
        toolbar = getattr(self.window, "toolbar", None)
        if isinstance(toolbar, QToolBar):
            toolbar.setVisible(name == MAIL)
        if self.stack.currentWidget() is not widget:
            self.stack.setCurrentWidget(widget)
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        callback = self.on_enter.get(name)
        if callback is not None:
            callback()
        self.mode_changed.emit(name)


def _view_menu(window: QMainWindow) -> QMenu | None:
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and menu.title().replace("&", "") == "View":
            return menu
    return None


def mode_switch(window: QMainWindow) -> ModeSwitch:
    """The window's mode switch (made on first use)."""
    switch = getattr(window, "_mode_switch", None)
    if switch is None:
        switch = ModeSwitch(window)
        window._mode_switch = switch  # type: ignore[attr-defined]
    return switch


def register_mode(window: QMainWindow, name: str, widget: QWidget,
                  on_enter: Callable[[], Any] | None = None) -> QAction:
    """Add mode ``name`` showing ``widget`` to the window's switch; returns its (checkable) action."""
    return mode_switch(window).register(name, widget, on_enter)


def show_mode(window: QMainWindow, name: str) -> None:
    mode_switch(window).show(name)
