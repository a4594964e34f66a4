"""The Contacts mode: a source (a mailbox's Contacts folder or the Directory), a searchable list, a detail pane.

New/Edit/Delete follow the folder's rights (:func:`app.domain.contacts.contact_capabilities`), a disabled button
saying why in its tooltip; the Directory is read-only and offers its groups' members (ExpandDL). "Send mail"
opens the window's compose command addressed to the contact or the group. vCard import/export use file dialogs;
errors appear in the view's message line, as they are. A contact's picture is read in a worker when the server
says it has one (``HasPicture``) and shown round in the detail pane (:mod:`app.views.contact_detail`; initials
otherwise); the contact dialog sets or removes it.

:func:`install_contacts` adds the mode to the main window (the mode switch of :mod:`app.views.calendar.modes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QImage
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.contacts import (
    Contact,
    ContactFolder,
    ContactGroup,
    ContactList,
    contact_capabilities,
)
from app.services.contacts import ContactsService
from app.views.contact_detail import ContactDetail
from app.views.contacts_dialogs import ContactDialog, GroupDialog

DIRECTORY = "Directory (global address list)"
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
_STYLE = """
QListWidget#contactList { border: none; border-right: 1px solid #e2e8f0; font-size: 13px; }
QListWidget#contactList::item { padding: 6px 8px; border-bottom: 1px solid #f1f5f9; }
QListWidget#contactList::item:selected { background: #dbeafe; color: #1e3a8a; }
QTextBrowser#contactDetail { border: none; background: white; }
QLabel#contactsMessage { color: #b91c1c; padding: 4px 8px; }
QLabel#contactsCount { color: #64748b; padding: 2px 8px; }
"""


class ContactsView(QWidget):
    """The contacts view. Signals: loaded(int) after a list arrived (rows shown); detail_shown(object);
    photo_shown(object) when a contact's picture arrived and is shown (the contact)."""

    loaded = Signal(int)
    detail_shown = Signal(object)
    photo_shown = Signal(object)

    def __init__(self, window: Any, service: ContactsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contactsView")
        self.setStyleSheet(_STYLE)
        self.w = window
        self.service = service
        self._folders: list[ContactFolder] = []
        self._data = ContactList(folder=None)  # type: ignore[arg-type]
        self._current: Contact | ContactGroup | None = None
        self._handle: Any = None
        self._detail_handle: Any = None
        self.loading = False
        self._build()
        service.changed.connect(lambda _f: self.reload())
        service.status.connect(lambda text: self.w.show_status(text))

    # -- building --------------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.source = QComboBox(self)
        self.source.setObjectName("contactSource")
        self.source.setMinimumWidth(260)
        self.source.currentIndexChanged.connect(lambda _i: self.reload())
        self.search = QLineEdit(self)
        self.search.setObjectName("contactSearch")
        self.search.setPlaceholderText("Search names (Enter searches the server)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_local)
        self.search.returnPressed.connect(self.reload)
        self.bar = QToolBar("Contacts", self)
        self.bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.act_new = self._action("New contact", self.new_contact)
        self.act_new_group = self._action("New group", self.new_group)
        self.act_edit = self._action("Edit", self.edit_current)
        self.act_delete = self._action("Delete", self.delete_current)
        self.bar.addSeparator()
        self.act_mail = self._action("Send mail", self.send_mail)
        self.bar.addSeparator()
        self.act_import = self._action("Import vCard…", self.import_vcard)
        self.act_export = self._action("Export vCard…", self.export_vcard)
        top = QHBoxLayout()
        top.setContentsMargins(8, 6, 8, 6)
        top.addWidget(QLabel("Show", self))
        top.addWidget(self.source)
        top.addWidget(self.search, 1)
        self.list = QListWidget(self)
        self.list.setObjectName("contactList")
        self.list.setAccessibleName("Contacts")
        self.list.currentItemChanged.connect(lambda cur, _prev: self._on_current(cur))
        self.count = QLabel("", self)
        self.count.setObjectName("contactsCount")
        left = QWidget(self)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.list, 1)
        column.addWidget(self.count)
        self.detail = ContactDetail(self.service, self, current=lambda: self._current)
        self.detail.photo_shown.connect(self.photo_shown)
        self.detail.failed.connect(self.show_message)
        self.detail.anchorClicked.connect(lambda url: self.send_mail(url.path() if url.scheme() == "mailto" else ""))
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setSizes([340, 700])
        self.splitter.setChildrenCollapsible(False)
        self.message = QLabel("", self)
        self.message.setObjectName("contactsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        self._show_detail()

    def _action(self, text: str, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setObjectName("action_contacts_" + text.lower().split("…")[0].replace(" ", "_"))
        action.triggered.connect(lambda _checked=False: slot())
        self.bar.addAction(action)
        return action

    # -- sources ---------------------------------------------------------------------------------------------
    def refresh_sources(self) -> None:
        """Re-read the Contacts folders of the open mailboxes (keeps the current choice)."""
        current = self.source.currentText()
        self._folders = self.service.folders()
        titles = [f.title for f in self._folders] + [DIRECTORY]
        if titles == [self.source.itemText(i) for i in range(self.source.count())]:
            return
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItems(titles)
        own = self.w.user.address.casefold() if self.w.user is not None else ""
        default = next((i for i, f in enumerate(self._folders) if f.ref.mailbox.casefold() == own), 0)
        self.source.setCurrentIndex(titles.index(current) if current in titles else default)
        self.source.blockSignals(False)
        self.reload()

    def on_mailbox_opened(self, _tree: object) -> None:
        """A mailbox (re)opened: its Contacts folders join the sources while the view is shown."""
        if self.isVisible():
            self.refresh_sources()

    def source_titles(self) -> list[str]:
        return [self.source.itemText(i) for i in range(self.source.count())]

    def select_source(self, title_or_mailbox: str) -> None:
        """Show a folder by its title, or the first Contacts folder of a mailbox address, or the directory."""
        wanted = title_or_mailbox.casefold()
        for i, f in enumerate(self._folders):
            if f.title.casefold() == wanted or f.ref.mailbox.casefold() == wanted:
                self.source.setCurrentIndex(i)
                return
        self.source.setCurrentIndex(len(self._folders))

    def folder(self) -> ContactFolder | None:
        """The Contacts folder shown, or None for the directory."""
        i = self.source.currentIndex()
        return self._folders[i] if 0 <= i < len(self._folders) else None

    # -- loading ---------------------------------------------------------------------------------------------
    def reload(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self.show_message("")
        self.update_actions()
        folder = self.folder()
        text = self.search.text().strip()
        self.loading = True
        if folder is None:
            if len(text) < 2:
                self.loading = False
                self._fill(ContactList(None), "Type a name and press Enter to search the directory.")  # type: ignore[arg-type]
                return
            self._handle = self.service.search_directory(
                text, lambda found: self._fill(ContactList(None, found[0], found[1])),  # type: ignore[arg-type]
                self._failed)
            return
        self._handle = self.service.load(folder.ref, text, self._fill, self._failed)

    def _fill(self, data: ContactList, empty: str = "") -> None:
        self.loading = False
        self._handle = None
        self._data = data
        keep = self._current_id()
        self.list.clear()
        for group in data.groups:
            item = QListWidgetItem(f"{group.name}\nContact group" if group.source == "store" else
                                   f"{group.name}\nDirectory group")
            font = item.font()
            font.setBold(True)
            item.setFont(font)
            item.setForeground(QColor("#1d4ed8"))
            item.setData(ITEM_ROLE, group)
            item.setToolTip(f"Contact group {group.name}")
            self.list.addItem(item)
        for contact in data.contacts:
            item = QListWidgetItem(contact.name + (f"\n{contact.company}" if contact.company else ""))
            item.setData(ITEM_ROLE, contact)
            item.setToolTip(contact.primary_email)
            self.list.addItem(item)
        n, g = len(data.contacts), len(data.groups)
        self.count.setText(empty or f"{n} contact{'s' * (n != 1)}" + (f", {g} group{'s' * (g != 1)}" if g else ""))
        self._filter_local(self.search.text() if self.folder() is not None else "")
        if keep:
            self.select(keep)
        if self.list.currentItem() is None:
            self._show_detail()
        self.loaded.emit(self.list.count())

    def _failed(self, text: str) -> None:
        self.loading = False
        self._handle = None
        self.list.clear()
        self.count.setText("")
        self.show_message(text)
        self.loaded.emit(0)

    def _filter_local(self, text: str) -> None:
        for row in range(self.list.count()):
            item = self.list.item(row)
            data = item.data(ITEM_ROLE)
            visible = data.matches(text) if isinstance(data, Contact) else text.casefold() in data.name.casefold()
            item.setHidden(self.folder() is not None and not visible)

    # -- selection and detail --------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [self.list.item(r).data(ITEM_ROLE).name for r in range(self.list.count())
                if not self.list.item(r).isHidden()]

    def select(self, name_or_id: str) -> bool:
        for row in range(self.list.count()):
            data = self.list.item(row).data(ITEM_ROLE)
            if name_or_id in (data.name, data.item_id):
                self.list.setCurrentRow(row)
                return True
        return False

    def current(self) -> Contact | ContactGroup | None:
        return self._current

    def _current_id(self) -> str:
        return self._current.item_id if self._current is not None else ""

    def _on_current(self, item: QListWidgetItem | None) -> None:
        if self._detail_handle is not None:
            self._detail_handle.cancel()
            self._detail_handle = None
        self.detail.cancel_photo()
        data = item.data(ITEM_ROLE) if item is not None else None
        self._current = data
        self._show_detail()
        self.update_actions()
        folder = self.folder()
        if isinstance(data, Contact) and not data.notes_loaded and folder is not None:
            self._detail_handle = self.service.detail(folder.ref, data, self._detail_arrived, self.show_message)
        elif isinstance(data, ContactGroup) and not data.members_loaded:
            self._detail_handle = self.service.group_members(folder.ref if folder else None, data,
                                                             self._detail_arrived, self.show_message)
        elif data is not None:
            self.detail_shown.emit(data)
            if isinstance(data, Contact):
                self._load_photo(data)

    def _detail_arrived(self, data: Contact | ContactGroup) -> None:
        self._detail_handle = None
        item = self.list.currentItem()
        if item is None or item.data(ITEM_ROLE).item_id != data.item_id:
            return
        item.setData(ITEM_ROLE, data)
        self._current = data
        self._show_detail()
        self.update_actions()
        self.detail_shown.emit(data)
        if isinstance(data, Contact):
            self._load_photo(data)

    def _load_photo(self, contact: Contact) -> None:
        folder = self.folder()
        if folder is not None or contact.source == "directory":
            self.detail.load_photo(folder.ref if folder is not None else None, contact)

    @property
    def avatar(self) -> QImage | None:
        """What the detail pane shows for the current contact (its round picture or initials)."""
        return self.detail.avatar

    @property
    def avatar_is_photo(self) -> bool:
        return self.detail.avatar_is_photo

    def photo_of(self, contact: Contact) -> QImage | None:
        """The contact's picture when it was read already."""
        return self.detail.photo_of(contact)

    def _show_detail(self) -> None:
        self.detail.show_item(self._current)

    # -- actions ---------------------------------------------------------------------------------------------
    def update_actions(self) -> None:
        folder = self.folder()
        caps = contact_capabilities(folder)
        selected = self._current is not None
        self._enable(self.act_new, caps["create"].reason if not caps["create"] else "")
        self._enable(self.act_new_group, caps["create"].reason if not caps["create"] else "")
        self._enable(self.act_import, caps["create"].reason if not caps["create"] else "")
        for action, cap in ((self.act_edit, caps["edit"]), (self.act_delete, caps["delete"])):
            self._enable(action, cap.reason if not cap else ("" if selected else "Select a contact first."))
        self._enable(self.act_mail, "" if self._recipients() else "Select a contact or group with an address.")
        self._enable(self.act_export, "" if self._data.contacts else "There are no contacts to export.")

    @staticmethod
    def _enable(action: QAction, reason: str) -> None:
        action.setEnabled(not reason)
        action.setToolTip(reason or action.text())

    def _recipients(self) -> list[str]:
        data = self._current
        if isinstance(data, Contact):
            return [data.primary_email] if data.primary_email else []
        if isinstance(data, ContactGroup):
            if data.source == "directory":
                return [data.item_id]
            return [p.address for p in data.members if p.address]
        return []

    def new_contact(self) -> None:
        self._edit_contact(None)

    def new_group(self) -> None:
        self._edit_group(None)

    def edit_current(self) -> None:
        if isinstance(self._current, ContactGroup):
            self._edit_group(self._current)
        elif isinstance(self._current, Contact):
            self._edit_contact(self._current)

    def _edit_contact(self, contact: Contact | None) -> ContactDialog | None:
        folder = self.folder()
        if folder is None:
            return None
        dialog = ContactDialog(contact, folder.title, self, photo=self.photo_of(contact) if contact else None,
                               check_photo=self.service.check_photo)
        dialog.accepted.connect(lambda: self.service.save_contact(
            folder.ref, dialog.contact(), lambda saved: self.w.show_status(f"Saved {saved.name}."),
            self.show_message, photo=dialog.photo_change()))
        dialog.open()
        return dialog

    def _edit_group(self, group: ContactGroup | None) -> GroupDialog | None:
        folder = self.folder()
        if folder is None:
            return None
        dialog = GroupDialog(group, folder.title, self)
        dialog.accepted.connect(lambda: self.service.save_group(
            folder.ref, dialog.group(), lambda saved: self.w.show_status(f"Saved {saved.name}."),
            self.show_message))
        dialog.open()
        return dialog

    def delete_current(self, confirm: bool = True) -> None:
        folder, data = self.folder(), self._current
        if folder is None or data is None:
            return
        if confirm and QMessageBox.question(self, "Delete", f"Delete {data.name} from {folder.title}?") \
                != QMessageBox.StandardButton.Yes:
            return
        self._current = None
        self.service.delete(folder.ref, [data.item_id], lambda _r: self.w.show_status(f"Deleted {data.name}."),
                            self.show_message)

    def send_mail(self, address: str = "") -> Any:
        """Open a compose window to ``address``, else to the selected contact or group."""
        to = [address] if address else self._recipients()
        if not to or self.w.user is None:
            return None
        draft = self.w.services.compose.new_draft(self.w.commands.default_from(), to=to)
        return self.w.commands.open_compose(draft)

    def import_vcard(self, path: str = "") -> None:
        folder = self.folder()
        if folder is None:
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, f"Import vCards into {folder.title}", "",
                                                  "vCard files (*.vcf *.vcard);;All files (*)")
        if path:
            self.service.import_vcards(folder.ref, Path(path), lambda created: self.w.show_status(
                f"Imported {len(created)} contact{'s' * (len(created) != 1)} into {folder.title}."),
                self.show_message)

    def export_vcard(self, path: str = "", version: str = "") -> None:
        contacts = self._data.contacts
        if isinstance(self._current, Contact):
            contacts = [self._current]
        if not path:
            path, chosen = QFileDialog.getSaveFileName(self, "Export vCards", "contacts.vcf",
                                                       "vCard 3.0 (*.vcf);;vCard 4.0 (*.vcf)")
            version = "4.0" if "4.0" in chosen else "3.0"
        if path:
            folder = self.folder()
            self.service.export_vcards(folder.ref if folder else None, contacts, Path(path), version or "3.0",
                                       lambda n: self.w.show_status(f"Exported {n} contact{'s' * (n != 1)}."),
                                       self.show_message)

    def show_message(self, text: str) -> None:
        """An error in the view's message line ("" hides it)."""
        self.message.setText(text)
        self.message.setVisible(bool(text))


def install_contacts(window: Any) -> ContactsView:
    """Add the Contacts mode to the main window (``window.contacts_view``); returns the view."""
    services = window.services
    runner = getattr(services, "runner", None) or services.mail._runner
    service = ContactsService(runner, lambda: services.session.client, services.mailboxes, window)
    view = ContactsView(window, service, window)
    window.contacts_view = view
    try:
        from app.views.calendar.modes import register_mode
    except ImportError:  # no mode switch: a window-wide Ctrl+Shift+C opens the view as a window of its own
        action = QAction("Contacts", window)
        action.setShortcut("Ctrl+Shift+C")

        def open_window() -> None:
            view.setWindowFlag(Qt.WindowType.Window, True)
            view.resize(1040, 640)
            view.show()
            view.refresh_sources()

        action.triggered.connect(lambda _checked=False: open_window())
        window.addAction(action)
        view.open_mode = action.trigger  # type: ignore[attr-defined]
        return view
    mode = register_mode(window, "Contacts", view, on_enter=view.refresh_sources)
    view.open_mode = mode.trigger  # type: ignore[attr-defined]
    services.mailboxes.mailbox_opened.connect(view.on_mailbox_opened)
    return view


def screenshot_contacts(window: Any, ready: Any) -> ContactsView:
    """``--screenshot-dialog contacts``: the Contacts mode on support@'s contacts, one contact selected."""
    view: ContactsView = window.contacts_view
    view.open_mode()  # type: ignore[attr-defined]
    view.refresh_sources()

    def loaded(_rows: int) -> None:
        if view.folder() is None or not view.folder().ref.mailbox.startswith("support@"):
            return
        view.loaded.disconnect(loaded)
        view.detail_shown.connect(lambda _data: QTimer.singleShot(300, lambda: ready(window)))
        names = view.names()
        view.select(names[min(3, len(names) - 1)])

    view.loaded.connect(loaded)
    view.select_source("support@example.com")
    return view
