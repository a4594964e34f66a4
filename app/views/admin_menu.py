"""Labels and rules in the main window: menu entries, the label picker, the sidebar's "Labels" sections and the
message list's label filter. :func:`install_admin_actions` wires all of it into an existing window.

- Message ▸ Label… (Ctrl+Shift+L): the label picker on the selection, enabled as "Categorise" is (Modify on the
  items); Mailbox ▸ Labels… and Mailbox ▸ Rules… open the managers of the current mailbox (read-only with the
  reason when the user lacks Full Access); View ▸ Filter by label.
- Under the folder tree, a "Labels" panel (:class:`~app.views.label_panel.LabelPanel`) lists each mailbox's labels
  with message counts (a tooltip says which folders they cover). Counting runs in the background on a queue of its
  own, never the mailbox's (the message list's); opening a mailbox counts only when its counts are older than a
  minute, applying or relabelling counts again. Clicking one shows the open folder of that mailbox (else its Inbox) filtered by the label on
  the server (``ListQuery.category``); clicking the folder in the tree again shows all of it. (A panel of its own,
  not rows inside the folder tree's model, so that every index of the sidebar stays the sidebar model's.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QSplitter, QToolButton, QWidget

from app.domain.categories import MasterList, offered_categories, unreadable_notice
from app.domain.folders import FolderKind, FolderRef
from app.domain.labels import LabelEdit, edit_capability
from app.domain.mailbox import MailboxRef
from app.domain.rights import Action, Capability, FolderRights
from app.domain.rules import manage_capability
from app.models.roles import Roles
from app.services.labels import LabelService
from app.services.rules import RulesService
from app.tasks import TaskRunner
from app.views.admin_widgets import swatch
from app.views.label_manager import LabelManagerDialog
from app.views.label_panel import LabelPanel, label_rows
from app.views.label_picker import LabelPicker
from app.views.rules_manager import RulesManagerDialog

PICKER_SHORTCUT = "Ctrl+Shift+L"


@dataclass
class AdminActions:
    """What :func:`install_admin_actions` added to a window (for tests and the screenshot commands)."""

    labels: LabelService
    rules: RulesService
    panel: LabelPanel
    label: QAction
    manage_labels: QAction
    manage_rules: QAction
    clear_filter: QAction
    filter_menu: QMenu
    filter_chip: QToolButton
    controller: AdminController
    dialogs: list[QWidget] = field(default_factory=list)


def _runner(services: Any) -> TaskRunner:
    runner = getattr(services, "runner", None)
    if runner is None:  # the composition root did not pass it: the runner every service shares
        runner = services.mail._runner
    return runner


def install_admin_actions(window: Any, runner: TaskRunner | None = None) -> AdminActions:
    """Add labels and rules to ``window`` (a :class:`~app.views.main_window.MainWindow`); returns what was added.

    Args:
        window: The main window, fully built.
        runner: The application's task runner (default: the one the window's services run on).
    """
    services = window.services
    runner = runner or _runner(services)
    client = lambda: services.session.client  # noqa: E731 - the signed-in user's client, when asked
    labels = getattr(services, "labels", None) or LabelService(runner, client, services.lookups, window)
    rules = getattr(services, "rules", None) or RulesService(runner, client, window)
    controller = AdminController(window, labels, rules, LabelPanel(window))
    return controller.install()


class AdminController(QObject):
    """Keeps the label/rule actions, the sidebar's label sections and the label filter up to date."""

    def __init__(self, window: Any, labels: LabelService, rules: RulesService, panel: LabelPanel) -> None:
        super().__init__(window)
        self.w = window
        self.labels = labels
        self.rules = rules
        self.panel = panel
        self.admin: AdminActions | None = None
        self.picker: LabelPicker | None = None
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(400)
        self._recount.timeout.connect(self._recount_now)
        self._stale: dict[str, bool] = {}  # mailbox -> count even if fresh
        labels.folder_nodes = self._folder_nodes  # which folders count: the Inbox's subfolders are in the tree

    # -- installing ----------------------------------------------------------------------------------------
    def install(self) -> AdminActions:
        w = self.w
        label = QAction("Label…", w.actions)  # among the window's actions: listed in Help ▸ Keyboard shortcuts
        label.setObjectName("action_label")
        label.setShortcut(QKeySequence(PICKER_SHORTCUT))
        label.setIcon(w.actions.categorize.icon())
        manage_labels = QAction("Labels…", w)
        manage_labels.setObjectName("action_manage_labels")
        manage_rules = QAction("Rules…", w)
        manage_rules.setObjectName("action_manage_rules")
        clear = QAction("Show all messages (no label filter)", w)
        clear.setObjectName("action_clear_label_filter")
        filter_menu = QMenu("Filter by label", w)
        filter_menu.setObjectName("labelFilterMenu")
        chip = QToolButton(w.statusBar())
        chip.setObjectName("labelFilterChip")
        chip.setAutoRaise(True)
        chip.setToolTip("Show all messages of the folder again")
        chip.hide()
        w.statusBar().addPermanentWidget(chip)
        self.admin = AdminActions(self.labels, self.rules, self.panel, label, manage_labels, manage_rules, clear,
                                  filter_menu, chip, self)
        bar = w.menuBar()
        menus = {m.title().replace("&", ""): m for m in (a.menu() for a in bar.actions()) if m is not None}
        if "Message" in menus:
            menus["Message"].insertAction(w.actions.categorize, label)
        if "Mailbox" in menus:
            menus["Mailbox"].addSeparator()
            menus["Mailbox"].addActions([manage_labels, manage_rules])
        if "View" in menus:
            menus["View"].addSeparator()
            menus["View"].addMenu(filter_menu)
            menus["View"].addAction(clear)
        w.list_view.addAction(label)
        label.triggered.connect(lambda: self.open_picker())
        manage_labels.triggered.connect(lambda: self.open_label_manager())
        manage_rules.triggered.connect(lambda: self.open_rules_manager())
        clear.triggered.connect(self.clear_filter)
        chip.clicked.connect(self.clear_filter)
        filter_menu.aboutToShow.connect(self._fill_filter_menu)

        self._place_panel()
        self.panel.label_activated.connect(lambda mailbox, name: self.apply_filter(mailbox.address, name))
        w.sidebar.clicked.connect(self._on_sidebar_clicked)
        w.sidebar_model.rowsInserted.connect(self._order_panel)
        w.sidebar_model.rowsRemoved.connect(self._order_panel)
        w.sidebar_model.layoutChanged.connect(self._order_panel)
        services = w.services
        services.mailboxes.mailbox_opened.connect(self._on_mailbox_opened)
        self.labels.labels_loaded.connect(lambda mailbox, _l: self._show_labels(mailbox))
        self.labels.counts_loaded.connect(lambda mailbox, _c: self._show_labels(mailbox))
        self.labels.job_started.connect(w.job_progress.track)
        self.labels.job_started.connect(self._after_relabel)
        self.labels.status.connect(w.show_status)
        self.labels.edit_failed.connect(lambda _mb, text: w.show_status(text))
        self.rules.job_started.connect(w.job_progress.track)
        self.rules.status.connect(w.show_status)
        services.lookups.categories_loaded.connect(self._on_categories)
        w.list_view.selection_changed.connect(lambda _s: self.update())
        w.folder_opened.connect(lambda _ref: self.update())
        w.sidebar.mailbox_selected.connect(lambda _mb: self.update())
        w.list_model.modelReset.connect(self._update_chip)
        w.list_model.page_loaded.connect(self._on_page_loaded)
        w.actions.refresh.triggered.connect(lambda: self.recount(self.current_mailbox()))
        self.update()
        return self.admin

    # -- state ---------------------------------------------------------------------------------------------
    def current_mailbox(self) -> MailboxRef | None:
        return self.w.sidebar.current_mailbox() or self.w.mailbox

    def _own(self, mailbox: MailboxRef) -> bool:
        user = self.w.user
        return user is not None and user.key == mailbox.key

    def label_capability(self, mailbox: MailboxRef) -> Capability:
        """From the user's rights on the mailbox's Calendar, where its label list is kept."""
        return edit_capability(mailbox.display_name, own=self._own(mailbox),
                               calendar=self._rights(mailbox, "calendar"), access=self._access(mailbox))

    def rules_capability(self, mailbox: MailboxRef) -> Capability:
        """From the user's rights on the mailbox's Inbox, where its rules are kept."""
        return manage_capability(mailbox.display_name, own=self._own(mailbox), inbox=self._rights(mailbox, "inbox"),
                                 access=self._access(mailbox))

    def _rights(self, mailbox: MailboxRef, well_known: str) -> FolderRights | None:
        tree = self.w.sidebar_model.tree(mailbox.address)
        node = tree.folder(well_known) if tree is not None and hasattr(tree, "folder") else None
        return node.rights if node is not None else None

    def _access(self, mailbox: MailboxRef) -> str:
        index = self.w.sidebar_model.mailbox_index(mailbox.address)
        return index.data(Roles.AccessRole) if index.isValid() else ""

    def master_list(self, mailbox: str) -> MasterList:
        """What is known of a mailbox's master list (read by the lookups or the label service; empty if neither)."""
        found = self.w.services.lookups.master_list(mailbox) or self.labels.master_list(mailbox)
        return found if found is not None else MasterList()

    def mail_folders(self, mailbox: str) -> list[FolderRef]:
        tree = self.w.sidebar_model.tree(mailbox)
        nodes = getattr(tree, "folders", []) if tree is not None else []
        return [n.ref for n in nodes if n.kind == FolderKind.MAIL and n.rights.read]

    def update(self) -> None:
        """Enable the actions for the current mailbox and selection (reasons in the tooltips)."""
        if self.admin is None:
            return
        a = self.admin
        connected = self.w.user is not None
        cap = self.w.capabilities().get(Action.CATEGORIZE) if connected else None
        reason = "Sign in first." if not connected else (
            "Select a message first." if cap is None else cap.reason)
        _enable(a.label, "" if cap is not None and cap.allowed else reason or "Select a message first.",
                "Label the selected messages")
        mailbox = self.current_mailbox()
        opened = mailbox is not None and self.w.sidebar_model.tree(mailbox.address) is not None
        why = "Sign in first." if not connected else ("" if opened else "Select a mailbox first.")
        _enable(a.manage_labels, why, f"The labels of {mailbox.display_name}" if mailbox else "")
        _enable(a.manage_rules, why, f"The inbox rules of {mailbox.display_name}" if mailbox else "")
        _enable(a.clear_filter, "" if self.w.list_model.query.category else "No label filter is on.", "")
        a.filter_menu.setEnabled(self.w.folder is not None)

    # -- commands ------------------------------------------------------------------------------------------
    def open_picker(self) -> LabelPicker | None:
        """The label picker for the selected messages (under the list's current row)."""
        mailbox, selected = self.w.mailbox, self.w.list_view.selected_summaries()
        cap = self.w.capabilities().get(Action.CATEGORIZE)
        if mailbox is None or not selected:
            return None
        if cap is None or not cap.allowed:
            self.w.show_status(cap.reason if cap is not None else "Select a message first.")
            return None
        master = self.master_list(mailbox.address)
        offered = offered_categories(master, self._labels_seen(mailbox.address))
        create = self.label_capability(mailbox)
        notice = unreadable_notice(mailbox.display_name, master)
        if not master.readable:  # a label added to a list nobody can read would be lost: apply what is in use
            create = Capability(False, notice)
        picker = LabelPicker(offered, selected, can_create=create.allowed, create_reason=create.reason,
                             notice=notice, parent=self.w)
        picker.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        picker.toggled.connect(lambda name, on: self._apply(mailbox.address, name, on))
        picker.create_requested.connect(lambda name: self._create_and_apply(mailbox.address, name))
        picker.manage_requested.connect(lambda: self.open_label_manager(mailbox))
        picker.destroyed.connect(lambda *_: setattr(self, "picker", None))
        view = self.w.list_view
        rect = view.visualRect(view.currentIndex()) if view.currentIndex().isValid() else view.rect()
        picker.move(view.viewport().mapToGlobal(rect.bottomLeft()))
        picker.resize(280, 340)
        self.picker = picker
        picker.show()
        return picker

    def open_label_manager(self, mailbox: MailboxRef | None = None) -> LabelManagerDialog | None:
        mailbox = mailbox or self.current_mailbox()
        if mailbox is None or self.admin is None:
            return None
        dialog = LabelManagerDialog(self.labels, mailbox, self.label_capability(mailbox),
                                    self.mail_folders(mailbox.address), self.w)
        return self._show(dialog)

    def open_rules_manager(self, mailbox: MailboxRef | None = None) -> RulesManagerDialog | None:
        mailbox = mailbox or self.current_mailbox()
        if mailbox is None or self.admin is None:
            return None
        tree = self.w.sidebar_model.tree(mailbox.address)
        master = self.w.services.lookups.categories(mailbox.address) or self.labels.labels(mailbox.address) or []
        dialog = RulesManagerDialog(self.rules, mailbox, self.rules_capability(mailbox),
                                    list(getattr(tree, "folders", [])), master, self.w)
        return self._show(dialog)

    def apply_filter(self, mailbox: str, name: str) -> FolderRef | None:
        """Show the open folder of ``mailbox`` (else its Inbox) with only the messages labelled ``name``."""
        folder = self.w.folder
        if folder is None or folder.mailbox.casefold() != mailbox.casefold():
            tree = self.w.sidebar_model.tree(mailbox)
            node = tree.folder("inbox") if tree is not None and hasattr(tree, "folder") else None
            if node is None:
                nodes = [n for n in getattr(tree, "folders", []) if n.kind == FolderKind.MAIL]
                node = nodes[0] if nodes else None
            if node is None:
                return None
            self.w.sidebar.select_folder(node.ref)
            folder = node.ref
        query = self.w.list_model.query
        self.w.list_model.set_folder(folder, replace(query, search="", category=name))
        self.w.list_view.set_placeholder("Loading …")
        self.w.show_status(f"Showing the messages labelled “{name}”.")
        self.update()
        return folder

    def clear_filter(self) -> None:
        folder = self.w.folder
        if folder is None or not self.w.list_model.query.category:
            return
        self.w.list_model.set_folder(folder, replace(self.w.list_model.query, category=""))
        self.update()

    def recount(self, mailbox: MailboxRef | str | None, *, force: bool = True) -> None:
        """Count the labelled messages of a mailbox again (soon; several requests in a row count once).

        ``force`` False: only when the counts are not fresh (see :class:`~app.services.labels.LabelService`).
        """
        if mailbox is None:
            return
        address = mailbox.address if isinstance(mailbox, MailboxRef) else mailbox
        self._stale[address] = self._stale.get(address, False) or force
        self._recount.start()

    # -- internals -----------------------------------------------------------------------------------------
    def _show(self, dialog: Any) -> Any:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        assert self.admin is not None
        self.admin.dialogs.append(dialog)
        dialog.destroyed.connect(lambda *_: self.admin.dialogs.remove(dialog) if self.admin and dialog in
                                 self.admin.dialogs else None)
        dialog.show()
        return dialog

    def _apply(self, mailbox: str, name: str, on: bool) -> None:
        jobs = self.w.commands.set_category(name, on)
        for job in jobs:
            job.finished.connect(lambda *_: self.recount(mailbox))

    def _create_and_apply(self, mailbox: str, name: str) -> None:
        def created(_found: Any) -> None:
            self._apply(mailbox, name, True)

        self.labels.edit(mailbox, LabelEdit("add", name, color=7), on_done=created, on_error=self.w.show_error)

    def _on_mailbox_opened(self, tree: Any) -> None:
        # Nothing here waits on the mailbox's queue (the message list's): the master list is one small read on no
        # queue, counting runs on the counting queue. Fresh counts (say, the mailbox opened again) are kept.
        address = tree.mailbox.address
        self.labels.load(address, background=True)
        self.recount(address, force=False)
        self.update()

    def _recount_now(self) -> None:
        stale, self._stale = self._stale, {}
        for mailbox, force in stale.items():
            folders = self.mail_folders(mailbox)
            if folders:
                self.labels.count(mailbox, folders, force=force, names=self._labels_seen(mailbox))

    def _folder_nodes(self, mailbox: str) -> list[Any]:
        tree = self.w.sidebar_model.tree(mailbox)
        return list(getattr(tree, "folders", []) or []) if tree is not None else []

    def _labels_seen(self, mailbox: str) -> list[str]:
        """Labels on the loaded rows of the open list, if it shows that mailbox (found without asking), and
        those the last count found on the mailbox's messages."""
        model = self.w.list_model
        folder = model.folder
        seen: dict[str, str] = {}
        if folder is not None and folder.mailbox.casefold() == mailbox.casefold():
            for row in range(model.rowCount()):
                for name in model.summary(row).categories:
                    seen.setdefault(name.casefold(), name)
        counts = self.labels.counts(mailbox)
        for name in counts.names() if counts is not None else []:
            seen.setdefault(name.casefold(), name)
        return list(seen.values())

    def _on_categories(self, mailbox: str, categories: list[Any]) -> None:
        self._show_labels(mailbox, categories)

    def _show_labels(self, mailbox: str, master: list[Any] | None = None) -> None:
        known = master if master is not None else self.labels.labels(mailbox)
        if known is None:
            known = self.w.services.lookups.categories(mailbox)
        ref = self.w.sidebar_model.mailbox_index(mailbox).data(Roles.MailboxRole) or MailboxRef(mailbox)
        counts = self.labels.counts(mailbox)
        master_list = self.master_list(mailbox)
        unreadable = "" if master_list.readable else \
            f"The label list of {ref.display_name} could not be read: {master_list.reason}."
        self.panel.set_labels(ref, label_rows(known or [], counts, master_list),
                              scope=getattr(counts, "scope", "") or "", unreadable=unreadable)

    def _place_panel(self) -> None:
        """Put the panel under the folder tree, in a vertical splitter of the window's left column."""
        main = self.w.main_splitter
        sizes = main.sizes()
        column = QSplitter(Qt.Orientation.Vertical, main)
        column.setObjectName("sidebarColumn")
        column.setChildrenCollapsible(False)
        main.insertWidget(0, column)
        column.addWidget(self.w.sidebar)
        column.addWidget(self.panel)
        column.setStretchFactor(0, 3)
        column.setStretchFactor(1, 1)
        column.setSizes([540, 200])
        main.setStretchFactor(0, 0)
        main.setSizes(sizes if sizes and sizes[0] >= 200 else [250, max(sum(sizes) - 250, 600)])
        self.panel.hide()

    def _after_relabel(self, job: Any) -> None:
        """Once messages were relabelled, let the open list pick up the change now (SyncFolderItems)."""
        job.finished.connect(lambda *_: self.w.services.mail.poll_now())
        job.cancelled.connect(lambda *_: self.w.services.mail.poll_now())

    def _order_panel(self, *_: Any) -> None:
        self.panel.set_order(self.w.sidebar_model.mailboxes())

    def _on_sidebar_clicked(self, index: QModelIndex) -> None:
        """Clicking the open folder again while a label filter is on shows all of the folder."""
        ref = index.data(Roles.FolderRefRole) if index.isValid() else None
        if ref is not None and self.w.folder is not None and ref.key == self.w.folder.key \
                and self.w.list_model.query.category:
            self.clear_filter()

    def _fill_filter_menu(self) -> None:
        assert self.admin is not None
        menu = self.admin.filter_menu
        menu.clear()
        mailbox = self.w.mailbox
        master = self.master_list(mailbox.address) if mailbox is not None else None
        offered = offered_categories(master, self._labels_seen(mailbox.address)) if master is not None else []
        if mailbox is None or master is None or not offered:
            menu.addAction("This mailbox has no labels").setEnabled(False)
            return
        current = self.w.list_model.query.category
        for category in offered:
            action = menu.addAction(swatch(category.hex_color), category.name)
            action.setCheckable(True)
            action.setChecked(category.name.casefold() == current.casefold())
            action.triggered.connect(lambda _=False, n=category.name, m=mailbox.address: self.apply_filter(m, n))

    def _update_chip(self) -> None:
        if self.admin is None:
            return
        name = self.w.list_model.query.category
        chip = self.admin.filter_chip
        chip.setText(f"Label: {name}  ✕" if name else "")
        chip.setVisible(bool(name))
        self.update()

    def _on_page_loaded(self, offset: int, _added: int) -> None:
        name = self.w.list_model.query.category
        if name and offset == 0 and self.w.list_model.rowCount() == 0:
            self.w.list_view.set_placeholder(f"No message in this folder carries the label “{name}”.")


def _enable(action: QAction, reason: str, tip: str) -> None:
    action.setEnabled(not reason)
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    text = reason or tip or action.text().rstrip("…")
    action.setToolTip(f"{text} ({keys})" if keys and not reason else text)
    action.setStatusTip(reason)

