"""The main window: a shell around three panes (sidebar, message list, reading pane).

The shell owns the menus, the toolbar, the status bar (bulk-job progress with Cancel, busy/back-off messages)
and the :class:`~app.views.status_area.MessageBar` through which every failure reaches the user. What the user
may do is decided by :mod:`app.domain.rights` for the open folder and the selection
(:meth:`MainWindow.capabilities`); the actions follow it, a disabled one saying why in its tooltip. The work is
done by the services; the mail commands live in :mod:`app.views.mail_commands`, the selection -> reading pane ->
mark-read flow in :mod:`app.views.reading_flow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QUrl, Signal
from PySide6.QtGui import QCloseEvent, QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.domain.folders import FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.messages import MessageSummary
from app.domain.rights import (
    Action,
    Capability,
    SendRight,
    common_item_rights,
    folder_capabilities,
    item_capabilities,
)
from app.models.roles import Roles
from app.services.compose import ComposeService
from app.services.folders import FolderService
from app.services.lookups import LookupService
from app.services.mail import MailService
from app.services.mailboxes import MailboxOrigin, MailboxService
from app.services.session import SessionService
from app.views.actions import MainActions, build_menus, build_toolbar
from app.views.admin_menu import install_admin_actions
from app.views.calendar import install_calendar
from app.views.contacts_view import install_contacts
from app.views.folder_commands import FolderCommands
from app.views.help import ShortcutsDialog
from app.views.mail_commands import MailCommands
from app.views.message_list_view import MessageListView
from app.views.reading_flow import SELECT_PROMPT as SELECT_PROMPT  # re-exported (tests import it from here)
from app.views.reading_flow import ReadingFlow
from app.views.reading_pane import ReadingPane
from app.views.sidebar_view import SidebarView
from app.views.status_area import JobProgress, MessageBar


@dataclass
class WindowServices:
    """The services the window calls (built by the composition root)."""

    session: SessionService
    mailboxes: MailboxService
    mail: MailService
    compose: ComposeService
    lookups: LookupService
    folders: FolderService


class MainWindow(QMainWindow):
    """Mailroom's main window.

    Args:
        services: The services.
        sidebar_model: The folder tree (fed by MailboxService).
        list_model: The message list (fed by MailService pages).
        parent: Parent widget.

    Signals:
        folder_opened(FolderRef): the list now shows this folder.
        message_shown(MessageDetail): the reading pane finished rendering this message.
        closed(): the window closed (the application quits).
    """

    folder_opened = Signal(object)
    message_shown = Signal(object)
    closed = Signal()

    def __init__(
        self, services: WindowServices, sidebar_model: Any, list_model: Any, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle("Mailroom")
        self.resize(1280, 800)
        self.services = services
        self.sidebar_model = sidebar_model
        self.list_model = list_model
        self.actions = MainActions(self)
        self._folder: FolderRef | None = None
        self._mailbox: MailboxRef | None = None
        self._user: MailboxRef | None = None
        self._caps: dict[Action, Capability] = {}
        self._pending: tuple[str, str] | None = None  # (mailbox, folder id or well-known name) to open
        self._select_first = False
        self._dialogs: list[QWidget] = []

        self._build_panes()
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self.commands = MailCommands(self)
        self.reading = ReadingFlow(self)  # selection -> reading pane -> marked read
        self.folder_commands = FolderCommands(self, services.folders)
        self._connect()
        self.actions.apply({}, connected=False)
        self.reading_pane.clear("Signing in …")
        self.list_view.set_placeholder("")
        self.admin = install_admin_actions(self)  # labels and rules: menus, picker, sidebar sections, filter
        install_contacts(self)  # the Contacts mode (sets self.contacts_view)
        self.calendar = install_calendar(self)  # the Calendar mode (views, event dialog, scheduling)

    # -- building --------------------------------------------------------------------------------------------
    def _build_panes(self) -> None:
        self.sidebar = SidebarView(self)
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setMinimumWidth(180)
        self.list_view = MessageListView(self)
        self.list_view.setModel(self.list_model)
        self.reading_pane = ReadingPane(self)
        self.message_bar = MessageBar(self)

        self.content_splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.content_splitter.setObjectName("contentSplitter")
        self.content_splitter.addWidget(self.list_view)
        self.content_splitter.addWidget(self.reading_pane)
        self.content_splitter.setChildrenCollapsible(False)
        self.content_splitter.setStretchFactor(0, 2)
        self.content_splitter.setStretchFactor(1, 3)
        self.content_splitter.setSizes([290, 420])

        right = QWidget(self)
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.message_bar)
        column.addWidget(self.content_splitter, 1)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.addWidget(self.sidebar)
        self.main_splitter.addWidget(right)
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 1)
        self.main_splitter.setSizes([250, 1030])
        self.setCentralWidget(self.main_splitter)
        self.setTabOrder(self.sidebar, self.list_view)
        self.setTabOrder(self.list_view, self.reading_pane)

    def _build_menus(self) -> None:
        self.shortcuts_menu = build_menus(self, self.actions)
        a = self.actions
        self.list_view.addActions([a.reply, a.reply_all, a.forward, a.mark_read, a.mark_unread, a.flag,
                                   a.categorize, a.move_to, a.copy_to, a.delete, a.delete_permanently])
        self.sidebar.addActions([a.refresh, a.my_access, a.remove_mailbox])

    def _build_toolbar(self) -> None:
        self.toolbar, self.search_edit = build_toolbar(self, self.actions)
        escape = QShortcut(QKeySequence("Escape"), self.search_edit)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)
        escape.activated.connect(lambda: self.commands.clear_search())

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.job_progress = JobProgress(status)
        self.folder_label = QLabel("", status)
        self.folder_label.setObjectName("folderStatus")
        status.addPermanentWidget(self.job_progress)
        status.addPermanentWidget(self.folder_label)
        status.showMessage("Not signed in.")

    def _connect(self) -> None:
        s = self.services
        a = self.actions
        self.sidebar.folder_selected.connect(self._on_folder_selected)
        self.sidebar.mailbox_selected.connect(self._on_mailbox_selected)
        self.sidebar.messages_dropped.connect(self.commands.drop)
        self.sidebar.drop_refused.connect(lambda text: self.statusBar().showMessage(text, 4000))
        self.list_view.selection_changed.connect(self.reading.on_selection)
        self.list_view.activated_message.connect(lambda _m: self.reading_pane.setFocus())
        self.list_model.loading_changed.connect(self._on_loading)
        self.list_model.page_loaded.connect(self._on_page_loaded)
        self.list_model.total_changed.connect(lambda _total: self.update_folder_label())
        # The unread count in the status bar follows the sidebar's (new mail, changes made by others).
        self.sidebar_model.dataChanged.connect(lambda *_args: self.update_folder_label())
        self.list_model.load_failed.connect(lambda text: self.list_view.set_placeholder(text))
        self.reading_pane.body_loaded.connect(self.reading.on_body_loaded)
        self.reading_pane.open_link_requested.connect(self._open_link)
        self.reading_pane.save_attachment_requested.connect(self.commands.save_attachment)
        self.search_edit.returnPressed.connect(self.commands.apply_search)
        self.search_edit.textChanged.connect(lambda text: None if text else self.commands.clear_search())

        s.mailboxes.mailbox_opened.connect(self._on_mailbox_opened)
        s.mailboxes.mailbox_failed.connect(self._on_mailbox_failed)
        s.mailboxes.mailbox_unavailable.connect(lambda _mailbox, _reason: self._pending_fallback())
        self.sidebar.retry_requested.connect(s.mailboxes.retry)
        s.mailboxes.mailbox_removed.connect(self._on_mailbox_removed)
        s.mailboxes.status.connect(self.show_status)
        s.mail.status.connect(self.show_status)
        s.mail.error.connect(self.show_error)
        s.mail.bulk_started.connect(self.job_progress.track)
        s.mail.folder_changed.connect(self._on_folder_changed)
        s.compose.status.connect(self.show_status)
        s.compose.send_right_learned.connect(lambda *_: self._senders_changed())
        s.lookups.status.connect(self.show_status)
        s.lookups.categories_loaded.connect(self._on_categories)
        s.session.notice.connect(lambda text: self.show_error(text, kind="info"))

        a.new_message.triggered.connect(self.commands.new_message)
        a.reply.triggered.connect(self.commands.reply)
        a.reply_all.triggered.connect(self.commands.reply_all)
        a.forward.triggered.connect(self.commands.forward)
        a.delete.triggered.connect(lambda: self.commands.delete(permanent=False))
        a.delete_permanently.triggered.connect(lambda: self.commands.delete(permanent=True))
        a.move_to.triggered.connect(lambda: self.commands.move_to(copy=False))
        a.copy_to.triggered.connect(lambda: self.commands.move_to(copy=True))
        a.mark_read.triggered.connect(lambda: self.commands.mark_read(True))
        a.mark_unread.triggered.connect(lambda: self.commands.mark_read(False))
        a.flag.triggered.connect(self.commands.toggle_flag)
        a.categorize_menu.aboutToShow.connect(self.commands.fill_categories_menu)
        a.search.triggered.connect(self.commands.focus_search)
        a.refresh.triggered.connect(self.commands.refresh)
        a.reading_pane_right.toggled.connect(self.set_reading_pane_right)
        a.open_shared.triggered.connect(self.commands.open_shared_mailbox)
        a.remove_mailbox.triggered.connect(self.commands.remove_mailbox)
        a.my_access.triggered.connect(self.commands.show_access)
        a.shortcuts.triggered.connect(self.show_shortcuts)
        a.about.triggered.connect(self.show_about)
        a.quit.triggered.connect(self.close)

    # -- session ---------------------------------------------------------------------------------------------
    def on_signed_in(self, result: Any) -> None:
        """The user signed in: open their mailboxes and go back to where they were."""
        s = self.services
        self._user = result.user
        self.setWindowTitle(f"Mailroom — {result.user.display_name}")
        self.statusBar().showMessage(f"Signed in as {result.user} — {result.version.short}", 8000)
        if self._pending is None:
            last = s.session.last_location()
            self._pending = last if last is not None else (result.user.address, "inbox")
        s.mailboxes.open_all(result.automapped, s.session.added_mailboxes(), s.session.removed_automapped())
        self.reading_pane.clear("Opening your mailboxes …")
        self.update_actions()
        self.commands.restore_drafts()

    def open_location(self, mailbox: str, folder: str = "inbox", *, select_first: bool = False) -> None:
        """Open a folder (by id or well-known name) as soon as its mailbox is in the sidebar.

        Args:
            mailbox: The mailbox's address.
            folder: EWS folder id or well-known name.
            select_first: Also select (and read) the first message once the list shows it.
        """
        self._pending = (mailbox, folder)
        self._select_first = select_first
        self._try_pending()

    @property
    def user(self) -> MailboxRef | None:
        """The signed-in user, or None."""
        return self._user

    @property
    def folder(self) -> FolderRef | None:
        """The folder the list shows, or None."""
        return self._folder

    @property
    def mailbox(self) -> MailboxRef | None:
        """The mailbox of the folder the list shows, or None."""
        return self._mailbox

    # -- panes -----------------------------------------------------------------------------------------------
    def _on_mailbox_opened(self, tree: Any) -> None:
        self._try_pending(tree.mailbox.address)
        self._pending_fallback()
        self._senders_changed()

    def _pending_fallback(self) -> None:
        """All mailboxes are open and the place to reopen is in none of them: the user's own Inbox."""
        if self._pending is None or self._user is None or self.services.mailboxes.is_loading():
            return
        if self._pending[0].casefold() in {a.casefold() for a in self.services.mailboxes.addresses()}:
            self._try_pending()
            if self._pending is None:
                return
        if self._folder is None:
            self._say_unavailable()
        if self._pending[0].casefold() == self._user.key and self._pending[1] == "inbox":
            return  # nothing better to fall back to
        self._pending = (self._user.address, "inbox")
        self._try_pending()

    def _say_unavailable(self) -> None:
        """No folder is shown and opening has ended: say which mailboxes could not be opened, not "Opening …"."""
        unavailable = self.services.mailboxes.unavailable()
        if not unavailable:
            return
        names = {m.address: m.display_name for m in self.sidebar_model.mailboxes()}
        lines = [f"{names.get(address, address)} could not be opened: {reason}"
                 for address, reason in unavailable.items()]
        self.reading_pane.clear("\n".join(lines) + "\nMailroom tries again by itself when the server answers; "
                                "or click Retry.")

    def _senders_changed(self) -> None:
        self.update_actions()
        senders = self.commands.senders()
        for window in self.commands.compose_windows:
            window.set_senders(senders)

    def _on_mailbox_selected(self, mailbox: MailboxRef) -> None:
        reason = self.services.mailboxes.unavailable().get(mailbox.address, "")
        if reason:  # the pane says why there are no folders, and what happens next
            self.reading_pane.clear(f"{mailbox.display_name} could not be opened: {reason}\n"
                                    "Mailroom tries again by itself when the server answers; or click Retry.")
        self.update_actions()

    def _on_mailbox_failed(self, address: str, reason: str) -> None:
        self.show_error(f"{address}: {reason}")
        if self._pending is not None and self._pending[0].casefold() == address.casefold() and self._user:
            self._pending = (self._user.address, "inbox")
            self._try_pending()
        self._pending_fallback()

    def _on_mailbox_removed(self, address: str) -> None:
        if self._folder is not None and self._folder.mailbox.casefold() == address.casefold():
            self._folder = None
            self._mailbox = None
            self.list_model.clear()
            self.services.mail.watch_folder(None)
            self.reading_pane.clear("Choose a folder on the left.")
        self.update_actions()

    def _try_pending(self, arrived: str | None = None) -> None:
        if self._pending is None:
            return
        mailbox, folder = self._pending
        if arrived is not None and arrived.casefold() != mailbox.casefold():
            return
        tree = self.sidebar_model.tree(mailbox)
        if tree is None:
            return
        node = next((f for f in tree.folders if folder in (f.ref.folder_id, f.well_known)), None)
        if node is None:
            node = tree.folder("inbox") if hasattr(tree, "folder") else None
        if node is None and tree.folders:
            node = tree.folders[0]
        if node is None:
            return
        self._pending = None
        if self._folder is not None and self._folder.key == node.ref.key:
            self._on_page_loaded(0, self.list_model.rowCount())
            return
        self.sidebar.select_folder(node.ref)

    def _on_folder_selected(self, ref: FolderRef, mailbox: MailboxRef) -> None:
        s = self.services
        if self._folder is not None and self._folder.key == ref.key:
            return
        self._folder, self._mailbox = ref, mailbox
        self.forget_shown()
        self.search_edit.blockSignals(True)
        self.search_edit.clear()
        self.search_edit.blockSignals(False)
        self.list_view.set_folder(ref)
        self.list_view.set_placeholder("Loading …")
        # The reset empties the selection. Its signal is held back: the shown message is forgotten above and the
        # actions are updated below, once each (the admin menu follows folder_opened).
        with QSignalBlocker(self.list_view):
            self.list_model.set_folder(ref)
        # The label colours, once the list and the reading pane are empty (no repaint of the old folder's rows).
        # A cached list is all there is to know: asking again would only send it round once more (this window
        # and the label panel would set it a second time).
        master = s.lookups.categories(mailbox.address)
        self.list_model.set_master_categories(master or [])
        self.reading_pane.set_master_categories(master or [])
        s.mail.watch_folder(ref)
        s.session.set_last_location(mailbox.address, ref.folder_id or ref.well_known)
        if master is None:
            s.lookups.load_categories(mailbox.address)  # categories_loaded follows: _on_categories
        node = self.sidebar_model.folder_node(ref)
        name = node.name if node is not None else ref.well_known
        self.setWindowTitle(f"{name} — {mailbox.display_name} — Mailroom")
        self.search_edit.setPlaceholderText(f"Search in {name} (Ctrl+F)")
        self.update_folder_label()
        self.update_actions()
        self.folder_opened.emit(ref)

    def _on_categories(self, mailbox: str, categories: list[Any]) -> None:
        if self._mailbox is not None and self._mailbox.address.casefold() == mailbox.casefold():
            self.list_model.set_master_categories(categories)
            self.reading_pane.set_master_categories(categories)

    def _on_loading(self, loading: bool) -> None:
        if loading and self.list_model.rowCount() == 0:
            self.list_view.set_placeholder("Loading …")

    def _on_page_loaded(self, offset: int, _added: int) -> None:
        if self.list_model.rowCount() == 0:
            search = self.list_model.query.search
            note = f" {self.list_model.note}" if self.list_model.note else ""
            self.list_view.set_placeholder(
                f"No messages match “{search}”.{note}" if search else "There are no messages in this folder."
            )
        self.update_folder_label()
        if offset == 0 and self.list_model.note:
            self.show_error(self.list_model.note, kind="info")
        if offset == 0 and self._select_first and self.list_model.rowCount():
            self._select_first = False
            self.list_view.select_row(0)
            self.list_view.setFocus()

    def _on_folder_changed(self, folder: FolderRef, changes: list[Any]) -> None:
        new = sum(1 for c in changes if str(getattr(getattr(c, "kind", ""), "value", "")) == "create")
        if new:
            self.show_status(f"{new} new message{'s' if new != 1 else ''} in {self._place()}")

    # -- rights ----------------------------------------------------------------------------------------------
    def send_right(self, address: str) -> SendRight:
        """What is known of the user's right to send from ``address``."""
        if self._user is not None and address.casefold() == self._user.address.casefold():
            return SendRight.OWN
        learned = self.services.compose.learned_send_right(address)
        if learned is not None:
            return learned
        tree = self.sidebar_model.tree(address)
        return getattr(tree, "send_right", SendRight.UNKNOWN) if tree is not None else SendRight.UNKNOWN

    def place(self) -> str:
        """ "Sales Team › Inbox": where the list is, for messages and reasons."""
        return self._place()

    def _place(self) -> str:
        if self._folder is None or self._mailbox is None:
            return ""
        node = self.sidebar_model.folder_node(self._folder)
        return f"{self._mailbox.display_name} › {node.name if node is not None else self._folder.well_known}"

    @property
    def current_capabilities(self) -> dict[Action, Capability]:
        """The capabilities as of the last :meth:`update_actions` (empty when signed out)."""
        return self._caps

    def capabilities(self) -> dict[Action, Capability]:
        """What the user may do now: the open folder's and the selection's capabilities together."""
        if self._folder is None or self._mailbox is None:
            return {Action.NEW_MESSAGE: Capability(True)}
        node = self.sidebar_model.folder_node(self._folder)
        if node is None:
            return {Action.NEW_MESSAGE: Capability(True)}
        place = self._place()
        send = self.send_right(self._mailbox.address)
        selected = self.list_view.selected_summaries()
        item = common_item_rights([m.rights for m in selected])
        caps = dict(folder_capabilities(place, node.rights, send))
        caps.update(item_capabilities(place, node.rights, item, send))
        if len(selected) > 1:
            one = Capability(False, "Select a single message to answer or forward it.")
            for action in (Action.REPLY, Action.REPLY_ALL, Action.FORWARD):
                caps[action] = one
        return caps

    def update_actions(self) -> None:
        """Enable and disable the actions for the folder and selection (reasons in the tooltips)."""
        connected = self._user is not None
        self._caps = self.capabilities() if connected else {}
        self.actions.apply(self._caps, connected=connected)
        mailbox = self.sidebar.current_mailbox() or self._mailbox
        own = mailbox is not None and self._user is not None and mailbox.key == self._user.key
        enable = self.actions.set_enabled_with_reason
        if connected and mailbox is not None:
            origin = self._origin(mailbox.address)
            enable(self.actions.remove_mailbox, "Your own mailbox stays in the sidebar." if own
                   else ("" if origin is not None else "Select a mailbox first."))
            enable(self.actions.my_access, "" if self.sidebar_model.tree(mailbox.address) is not None
                   else f"{mailbox.display_name} is still opening.")
        enable(self.actions.search, "" if self._folder is not None and connected else "Open a folder first.")
        self.folder_commands.update_actions()

    def _origin(self, address: str) -> MailboxOrigin | None:
        entry = next((e for e in self.services.mailboxes.entries() if e.key == address.casefold()), None)
        return entry.origin if entry is not None else None

    # -- layout --------------------------------------------------------------------------------------------
    def forget_shown(self) -> None:
        """The list is about to change under the reading pane: show the prompt.

        Not needed before ``list_model.set_folder``/``reload`` alone: the list view reports their reset as an empty
        selection, and the reading flow does the same (and updates the actions).
        """
        self.reading.forget_shown()

    def set_reading_pane_right(self, right: bool) -> None:
        """Show the reading pane right of the list (True) or below it."""
        self.content_splitter.setOrientation(Qt.Orientation.Horizontal if right else Qt.Orientation.Vertical)
        total = sum(self.content_splitter.sizes()) or 1000
        self.content_splitter.setSizes([int(total * 0.45), total - int(total * 0.45)])

    def update_folder_label(self) -> None:
        """The status bar's "Customer Support › Inbox: 220 messages, 48 unread"."""
        if self._folder is None:
            self.folder_label.setText("")
            return
        total = self.list_model.total
        search = self.list_model.query.search
        what = f"{total} found" if search else f"{total} message{'s' if total != 1 else ''}"
        node = self.sidebar_model.folder_node(self._folder)
        unread = f", {node.unread} unread" if node is not None and node.unread and not search else ""
        note = f" {self.list_model.note}" if self.list_model.note else ""
        self.folder_label.setText(f"{self._place()}: {what}{unread}.{note}" if note
                                  else f"{self._place()}: {what}{unread}")

    # -- messages to the user ------------------------------------------------------------------------------
    def show_error(self, text: str, kind: str = "error") -> None:
        """The one bridge for failures: the message bar (non-modal) and the status bar."""
        self.message_bar.show_message(text, kind)
        self.statusBar().showMessage(text, 15000)

    def show_status(self, text: str) -> None:
        """A passing message in the status bar (busy server, "Moved 30 messages")."""
        self.statusBar().showMessage(text, 10000)

    def show_shortcuts(self) -> ShortcutsDialog:
        """Help ▸ Keyboard shortcuts (non-modal)."""
        dialog = ShortcutsDialog(self.actions.with_shortcuts(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        """Help ▸ About."""
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "About Mailroom",
            f"Mailroom {__version__}\nA desktop client for Exchange shared mailboxes.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _open_link(self, url: QUrl) -> None:
        if not QDesktopServices.openUrl(url):
            self.show_error(f"Could not open {url.toDisplayString()}: no program handles such links.")

    # -- closing ---------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.commands.close_compose_windows()
        self.services.compose.flush()
        self.reading.stop()
        event.accept()
        self.closed.emit()

    def summary_for(self, item_id: str) -> MessageSummary | None:
        """A loaded row's summary by id (for commands)."""
        index = self.list_model.index_of(item_id)
        return index.data(Roles.SummaryRole) if index.isValid() else None
