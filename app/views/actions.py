"""The main window's actions: one QAction each, with its shortcut, icon and rights-aware enabling.

Enabling follows :mod:`app.domain.rights`: :meth:`MainActions.apply` takes the capabilities computed for the
current folder and selection, enables each action from its :class:`~app.domain.rights.Capability` and puts the
reason in the tooltip of a disabled one ("You have read-only access to Sales Team › Inbox").
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QObject, QSize, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QMainWindow, QMenu, QSizePolicy, QToolBar, QToolButton, QWidget

from app import paths
from app.domain.rights import Action, Capability

NOT_CONNECTED = "Sign in first."


def icon(name: str) -> QIcon:
    """An icon from ``resources/icons`` (``name`` without extension), or an empty icon."""
    path = paths.icon_path(f"{name}.svg")
    return QIcon(str(path)) if path.is_file() else QIcon()


def chip_icon(color: str) -> QIcon:
    """A small rounded square in a category's colour, for the Categorise menu."""
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(color))
    painter.drawRoundedRect(1, 1, 12, 12, 3, 3)
    painter.end()
    return QIcon(pixmap)


class MainActions(QObject):
    """Every action of the main window, grouped for menus, the toolbar and the shortcuts dialog.

    The actions only say what the user asked for (``triggered``); the main window connects them.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._caps: dict[QAction, tuple[Action, ...]] = {}
        self._labels: dict[QAction, str] = {}

        # File
        self.new_message = self._make("New message", "Ctrl+N", "mail-new", caps=(Action.NEW_MESSAGE,))
        self.sign_in = self._make("Sign in…", "", "")
        self.quit = self._make("Quit", "", "", role=QAction.MenuRole.QuitRole)
        self.quit.setShortcuts([QKeySequence("Ctrl+Shift+Q")])
        self._labels[self.quit] = "Quit"
        # Message
        self.reply = self._make("Reply", "Ctrl+R", "mail-reply", caps=(Action.REPLY,))
        self.reply_all = self._make("Reply all", "Ctrl+Shift+R", "mail-reply-all", caps=(Action.REPLY_ALL,))
        self.forward = self._make("Forward", "Ctrl+L", "mail-forward", caps=(Action.FORWARD,))
        self.delete = self._make("Delete", "Del", "edit-delete", caps=(Action.DELETE,))
        self.delete_permanently = self._make("Delete permanently…", "Shift+Del", "", caps=(Action.DELETE,))
        self.move_to = self._make("Move to…", "Ctrl+Shift+V", "folder-move", caps=(Action.MOVE,))
        self.copy_to = self._make("Copy to…", "Ctrl+Shift+Y", "", caps=(Action.FORWARD,))
        self.mark_read = self._make("Mark as read", "Ctrl+Q", "mail-read", caps=(Action.MARK_READ,))
        self.mark_unread = self._make("Mark as unread", "Ctrl+U", "mail-unread", caps=(Action.MARK_READ,))
        self.flag = self._make("Flag / unflag", "Insert", "flag", caps=(Action.FLAG,))
        self.categorize = self._make("Categorise", "", "tag", caps=(Action.CATEGORIZE,))
        self.categorize_menu = QMenu("Categorise")
        self.categorize.setMenu(self.categorize_menu)
        # View
        self.search = self._make("Search", "Ctrl+F", "edit-find")
        self.refresh = self._make("Refresh", "F5", "view-refresh")
        self.reading_pane_right = self._make("Reading pane on the right", "", "")
        self.reading_pane_right.setCheckable(True)
        # Mailbox
        self.open_shared = self._make("Open shared mailbox…", "Ctrl+Shift+O", "mailbox-add")
        self.remove_mailbox = self._make("Remove from the sidebar", "", "")
        self.my_access = self._make("My access…", "", "")
        # Folder (enabled by app.views.folder_commands from the folder's rights)
        self.new_folder = self._make("New folder…", "Ctrl+Shift+E", "folder-new")
        self.rename_folder = self._make("Rename folder…", "", "")
        self.delete_folder = self._make("Delete folder…", "", "edit-delete")
        self.empty_folder = self._make("Empty folder…", "", "folder-trash")
        self.folder_properties = self._make("Properties…", "", "")
        self.folder_permissions = self._make("Permissions…", "", "")
        # Help
        self.shortcuts = self._make("Keyboard shortcuts", "F1", "")
        self.about = self._make("About Mailroom", "", "", role=QAction.MenuRole.AboutRole)

        for action in (*self.mailbox_actions(), *self.folder_actions()):
            action.setEnabled(False)
            self._set_reason(action, NOT_CONNECTED)

    # -- construction ----------------------------------------------------------------------------------------

    def _make(
        self,
        text: str,
        shortcut: str,
        icon_name: str,
        *,
        caps: tuple[Action, ...] = (),
        role: QAction.MenuRole | None = None,
    ) -> QAction:
        action = QAction(text, self)
        name = text.rstrip("…").casefold().replace(" / ", "_").replace(" ", "_")
        action.setObjectName(f"action_{name}")
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if icon_name:
            action.setIcon(icon(icon_name))
        if role is not None:
            action.setMenuRole(role)
        self._labels[action] = text
        if caps:
            self._caps[action] = caps
        self._set_reason(action, "")
        return action

    def _set_reason(self, action: QAction, reason: str) -> None:
        if reason:
            action.setToolTip(reason)
            action.setStatusTip(reason)
            return
        label = self._labels.get(action, action.text()).rstrip("…")
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{label} ({keys})" if keys else label)
        action.setStatusTip("")

    # -- groups ----------------------------------------------------------------------------------------------

    def message_actions(self) -> list[QAction]:
        """Actions on the selected messages, in menu order."""
        return [
            self.reply,
            self.reply_all,
            self.forward,
            self.delete,
            self.delete_permanently,
            self.move_to,
            self.copy_to,
            self.mark_read,
            self.mark_unread,
            self.flag,
            self.categorize,
        ]

    def mailbox_actions(self) -> list[QAction]:
        """Actions that need a signed-in session."""
        return [
            *self.message_actions(),
            self.new_message,
            self.search,
            self.refresh,
            self.open_shared,
            self.my_access,
            self.remove_mailbox,
        ]

    def folder_actions(self) -> list[QAction]:
        """Actions on the sidebar's current folder, in menu order."""
        return [self.new_folder, self.rename_folder, self.delete_folder, self.empty_folder,
                self.folder_properties, self.folder_permissions]

    def with_shortcuts(self) -> list[QAction]:
        """Every action that has a keyboard shortcut, for the Help dialog."""
        seen = [a for a in self.findChildren(QAction) if not a.shortcut().isEmpty()]
        return sorted(seen, key=lambda a: list(self._labels).index(a) if a in self._labels else 999)

    def label(self, action: QAction) -> str:
        """The action's name without the ellipsis."""
        return self._labels.get(action, action.text()).rstrip("…")

    # -- enabling --------------------------------------------------------------------------------------------

    def apply(self, caps: Mapping[Action, Capability], *, connected: bool = True) -> None:
        """Enable or disable every rights-governed action from ``caps``; the reason goes in the tooltip.

        Args:
            caps: Capabilities of the current folder and selection (folder and item ones merged).
            connected: False while no session exists: everything is disabled with "Sign in first".
        """
        for action, needs in self._caps.items():
            if not connected:
                reason = NOT_CONNECTED
            else:
                missing = [caps[a] for a in needs if a in caps and not caps[a].allowed]
                unknown = [a for a in needs if a not in caps]
                reason = missing[0].reason if missing else ("Select a message first." if unknown else "")
            action.setEnabled(not reason)
            self._set_reason(action, reason)
        for action in (self.search, self.refresh, self.open_shared, self.my_access, self.remove_mailbox):
            action.setEnabled(connected)
            self._set_reason(action, "" if connected else NOT_CONNECTED)
        self.sign_in.setEnabled(not connected)

    def set_enabled_with_reason(self, action: QAction, reason: str) -> None:
        """Enable ``action`` when ``reason`` is empty, else disable it and show the reason as its tooltip."""
        action.setEnabled(not reason)
        self._set_reason(action, reason)

    def tooltip(self, action: QAction) -> str:
        """The current tooltip (the reason when disabled)."""
        return action.toolTip()


# -- menus and toolbar ------------------------------------------------------------------------------------------
def build_menus(window: QMainWindow, a: MainActions) -> QMenu:
    """File, Message, View, Mailbox and Help menus; returns Help ▸ Shortcuts at a glance."""
    bar = window.menuBar()
    file_menu = bar.addMenu("&File")
    file_menu.addAction(a.new_message)
    file_menu.addSeparator()
    file_menu.addAction(a.sign_in)
    file_menu.addAction(a.quit)
    message = bar.addMenu("&Message")
    for group in ((a.reply, a.reply_all, a.forward), (a.mark_read, a.mark_unread, a.flag, a.categorize),
                  (a.move_to, a.copy_to, a.delete, a.delete_permanently)):
        for action in group:
            message.addAction(action)
        message.addSeparator()
    view = bar.addMenu("&View")
    view.addActions([a.search, a.refresh])
    view.addSeparator()
    view.addAction(a.reading_pane_right)
    mailbox = bar.addMenu("M&ailbox")
    mailbox.addActions([a.open_shared, a.remove_mailbox])
    mailbox.addSeparator()
    mailbox.addAction(a.my_access)
    folder = bar.addMenu("Fo&lder")
    folder.setObjectName("folderMenu")
    fill_folder_menu(folder, a)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.shortcuts)
    glance = help_menu.addMenu("Shortcuts at a glance")
    glance.setObjectName("shortcutsMenu")
    for action in a.with_shortcuts():
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        entry = glance.addAction(f"{a.label(action)}\t{keys}")
        entry.triggered.connect(action.trigger)
    help_menu.addSeparator()
    help_menu.addAction(a.about)
    return glance


def fill_folder_menu(menu: QMenu, a: MainActions) -> None:
    """The folder actions (Folder menu, sidebar context menu)."""
    menu.addActions([a.new_folder, a.rename_folder, a.delete_folder, a.empty_folder])
    menu.addSeparator()
    menu.addActions([a.folder_properties, a.folder_permissions])


def build_toolbar(window: QMainWindow, a: MainActions) -> tuple[QToolBar, QLineEdit]:
    """The main toolbar (the big actions with text, the small ones as icons) and its search box."""
    bar = QToolBar("Main toolbar", window)
    bar.setObjectName("mainToolBar")
    bar.setMovable(False)
    bar.setIconSize(QSize(20, 20))
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    window.addToolBar(bar)
    for group in ((a.new_message,), (a.reply, a.reply_all, a.forward), (a.delete, a.move_to),
                  (a.mark_read, a.mark_unread, a.flag, a.categorize)):
        for action in group:
            bar.addAction(action)
        bar.addSeparator()
    button = bar.widgetForAction(a.categorize)
    if isinstance(button, QToolButton):
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    spacer = QWidget(bar)
    spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.addWidget(spacer)
    search = QLineEdit(bar)
    search.setObjectName("searchEdit")
    search.setAccessibleName("Search in this folder")
    search.setPlaceholderText("Search in this folder (Ctrl+F)")
    search.setClearButtonEnabled(True)
    search.setFixedWidth(260)
    search.addAction(icon("edit-find"), QLineEdit.ActionPosition.LeadingPosition)
    bar.addWidget(search)
    bar.addAction(a.refresh)
    for action in (a.mark_read, a.mark_unread, a.flag, a.categorize, a.move_to, a.refresh):
        widget = bar.widgetForAction(action)
        if isinstance(widget, QToolButton):
            widget.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
    return bar, search
