"""What the main window's mail actions do: compose, reply, delete, move, flag, categorise, mailboxes.

Each command reads the window's state (folder, selection, capabilities), calls a service and leaves the
outcome to the services' signals (failures reach the message bar through ``MailService.error``). Dialogs are
opened non-modally so that the window (and tests) keep running; the open ones are reachable for tests.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from app.domain.categories import Origin, offered_categories, unreadable_notice
from app.domain.filenames import safe_filename
from app.domain.folders import FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.messages import AttachmentInfo, ComposeMode, Draft, ListQuery, MessageDetail, MessageSummary
from app.domain.rights import Action, SendRight, may_default_sender
from app.services.compose import SenderChoice
from app.services.mailboxes import MailboxOrigin
from app.views.access_dialog import AccessDialog
from app.views.actions import chip_icon
from app.views.completer import DirectoryCompleter
from app.views.compose_window import ComposeWindow
from app.views.folder_picker import FolderPickerDialog
from app.views.open_mailbox_dialog import OpenMailboxDialog

if TYPE_CHECKING:
    from app.views.main_window import MainWindow

_MODE_WORDS = {
    ComposeMode.REPLY: "reply",
    ComposeMode.REPLY_ALL: "reply to all",
    ComposeMode.FORWARD: "forward",
}


class MailCommands(QObject):
    """The main window's commands.

    Args:
        window: The main window (state, services, panes).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.compose_windows: list[ComposeWindow] = []
        self.open_dialog: OpenMailboxDialog | None = None
        self.picker: FolderPickerDialog | None = None

    # -- helpers ---------------------------------------------------------------------------------------------
    def _allowed(self, action: Action) -> bool:
        cap = self.w.capabilities().get(action)
        if cap is not None and not cap.allowed:
            self.w.show_status(cap.reason)
            return False
        return cap is not None

    def _selection(self) -> tuple[FolderRef | None, list[MessageSummary]]:
        return self.w.folder, self.w.list_view.selected_summaries()

    def _after_removal(self, first_row: int) -> None:
        """Select the message that took the place of the removed ones (keyboard users keep going)."""
        rows = self.w.list_model.rowCount()
        if rows:
            self.w.list_view.select_row(min(first_row, rows - 1))

    # -- compose ---------------------------------------------------------------------------------------------
    def senders(self) -> list[SenderChoice]:
        """The From choices: the user's own address first, then every open shared mailbox."""
        user = self.w.user
        out: list[SenderChoice] = []
        if user is not None:
            out.append(SenderChoice(user, SendRight.OWN))
        for mailbox in self.w.services.mailboxes.mailboxes():
            if user is not None and mailbox.key == user.key:
                continue
            out.append(SenderChoice(mailbox, self.w.send_right(mailbox.address)))
        return out

    def default_from(self) -> str:
        """The open folder's mailbox when the user works it (may create items in its Drafts and Sent Items, may
        try to send from it), else their own."""
        user = self.w.user
        mailbox = self.w.mailbox
        own = user.address if user is not None else ""
        if mailbox is None or user is None or mailbox.key == user.key:
            return own
        tree = self.w.sidebar_model.tree(mailbox.address)
        if tree is None:
            return own
        drafts, sent = tree.folder("drafts"), tree.folder("sentitems")
        if may_default_sender(drafts.rights if drafts is not None else None, sent.rights if sent is not None else None,
                              self.w.send_right(mailbox.address)):
            return mailbox.address
        return own

    def open_compose(self, draft: Draft) -> ComposeWindow:
        """Open a compose window on ``draft``."""
        session = self.w.services.session

        def completer(edit: Any) -> DirectoryCompleter:
            return DirectoryCompleter(edit, session.resolve_names, multiple=True)

        window = ComposeWindow(self.w.services.compose, draft, self.senders(), completer)
        window.setWindowIcon(self.w.windowIcon())
        self.compose_windows.append(window)
        window.finished.connect(lambda how, cw=window: self._compose_finished(cw, how))
        window.show()
        return window

    def _compose_finished(self, window: ComposeWindow, how: str) -> None:
        if window in self.compose_windows:
            self.compose_windows.remove(window)
        if how == "sent":
            self.w.show_status(f"Message sent from {window.draft().from_mailbox}.")
        elif how == "saved":
            self.w.show_status(f"Draft saved in the Drafts of {window.draft().from_mailbox}.")

    def new_message(self) -> ComposeWindow | None:
        """Ctrl+N: a new message from the default address."""
        if self.w.user is None:
            return None
        return self.open_compose(self.w.services.compose.new_draft(self.default_from()))

    def reply(self) -> None:
        self.respond(ComposeMode.REPLY)

    def reply_all(self) -> None:
        self.respond(ComposeMode.REPLY_ALL)

    def forward(self) -> None:
        self.respond(ComposeMode.FORWARD)

    def respond(self, mode: ComposeMode, on_open: Callable[[ComposeWindow], Any] | None = None) -> None:
        """Reply, reply all or forward the selected message (a compose window opens once it is prepared)."""
        action = {
            ComposeMode.REPLY: Action.REPLY,
            ComposeMode.REPLY_ALL: Action.REPLY_ALL,
            ComposeMode.FORWARD: Action.FORWARD,
        }[mode]
        folder, selected = self._selection()
        if folder is None or len(selected) != 1 or not self._allowed(action):
            return
        source = selected[0]
        from_mailbox = self.default_from()
        self.w.show_status(f"Preparing the {_MODE_WORDS[mode]} …")

        def ready(draft: Draft) -> None:
            window = self.open_compose(draft)
            if on_open is not None:
                on_open(window)

        self.w.services.compose.prepare_response(
            folder, source.item_id, mode, from_mailbox, ready, self.w.show_error
        )

    def restore_drafts(self) -> list[ComposeWindow]:
        """Reopen the drafts left open when the app last closed."""
        drafts = self.w.services.compose.restorable()
        opened = [self.open_compose(d) for d in drafts]
        if opened:
            self.w.show_error(
                f"{len(opened)} unsent message{'s were' if len(opened) > 1 else ' was'} restored "
                "from your last session.",
                kind="info",
            )
        return opened

    def close_compose_windows(self) -> None:
        """The app quits: close compose windows without asking, keeping their local autosave."""
        for window in list(self.compose_windows):
            window.quit_keep_local()

    # -- message actions -------------------------------------------------------------------------------------
    def delete(self, permanent: bool = False) -> Any:
        """Del: to the mailbox's own Deleted Items; Shift+Del: permanently, after asking."""
        folder, selected = self._selection()
        if folder is None or not selected or not self._allowed(Action.DELETE):
            return None
        if permanent and not self.confirm_permanent_delete(len(selected)):
            return None
        first = self.w.list_model.row_of(selected[0].item_id)
        job = self.w.services.mail.delete(folder, [m.item_id for m in selected], permanent=permanent)
        self._after_removal(first)
        return job

    def confirm_permanent_delete(self, count: int) -> bool:
        """Ask before deleting permanently (tests replace it)."""
        what = "this message" if count == 1 else f"these {count} messages"
        answer = QMessageBox.warning(
            self.w,
            "Delete permanently?",
            f"Delete {what} permanently? They will not go to Deleted Items and cannot be recovered here.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def move_to(self, copy: bool = False) -> FolderPickerDialog | None:
        """Move to… / Copy to…: pick a folder in any mailbox, then move (or copy) the selection there."""
        folder, selected = self._selection()
        if folder is None or not selected:
            return None
        if not copy and not self._allowed(Action.MOVE):
            return None
        ids = [m.item_id for m in selected]
        dialog = FolderPickerDialog(self.w.sidebar_model, folder, copy, len(ids), self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.picker = dialog

        def done(result: int) -> None:
            self.picker = None
            target = dialog.target()
            if result and target is not None:
                self.move(folder, ids, target, copy)

        dialog.finished.connect(done)
        dialog.open()
        return dialog

    def move(self, source: FolderRef, ids: list[str], target: FolderRef, copy: bool) -> Any:
        """Move or copy messages (also across mailboxes); bulk ones show progress."""
        first = self.w.list_model.row_of(ids[0]) if ids else -1
        job = self.w.services.mail.move(source, ids, target, copy=copy)
        node = self.w.sidebar_model.folder_node(target)
        name = node.name if node is not None else "the folder"
        verb = "Copying" if copy else "Moving"
        self.w.show_status(f"{verb} {len(ids)} message{'s' if len(ids) != 1 else ''} to {name} …")
        job.finished.connect(
            lambda n: self.w.show_status(
                f"{'Copied' if copy else 'Moved'} {n} message{'s' if n != 1 else ''} to {name}."
            )
        )
        if not copy and self.w.folder is not None and source.key == self.w.folder.key and first >= 0:
            self._after_removal(first)
        return job

    def drop(self, source: FolderRef, ids: list[str], target: FolderRef, copy: bool) -> Any:
        """Messages dropped on a sidebar folder."""
        if not copy and self.w.folder is not None and source.key == self.w.folder.key:
            cap = self.w.capabilities().get(Action.MOVE)
            if cap is not None and not cap.allowed:
                self.w.show_error(cap.reason)
                return None
        return self.move(source, ids, target, copy)

    def mark_read(self, read: bool) -> Any:
        """Ctrl+Q / Ctrl+U."""
        folder, selected = self._selection()
        if folder is None or not selected or not self._allowed(Action.MARK_READ):
            return None
        return self.w.services.mail.mark_read(folder, [m.item_id for m in selected], read)

    def toggle_flag(self) -> Any:
        """Insert: flag the selection, or unflag it when every message is flagged."""
        folder, selected = self._selection()
        if folder is None or not selected or not self._allowed(Action.FLAG):
            return None
        flagged = not all(m.flagged for m in selected)
        return self.w.services.mail.set_flag(folder, [m.item_id for m in selected], flagged)

    def fill_categories_menu(self) -> None:
        """Build the Categorise menu from the mailbox's master list, checked as the selection has them.

        When the list cannot be read, the menu says so and offers the categories on the folder's messages and
        the user's own (marked as such) instead: they can still be applied.
        """
        menu = self.w.actions.categorize_menu
        menu.clear()
        mailbox = self.w.mailbox
        _folder, selected = self._selection()
        master = self.w.services.lookups.master_list(mailbox.address) if mailbox is not None else None
        if mailbox is None or master is None:
            menu.addAction("Loading the categories …").setEnabled(False)
            return
        offered = offered_categories(master, self._categories_in_view(mailbox.address))
        if not master.readable:
            note = menu.addAction(f"Could not read the category list of {mailbox.display_name}")
            note.setObjectName("categoriesUnreadable")
            note.setEnabled(False)
            note.setToolTip(unreadable_notice(mailbox.display_name, master))
            menu.setToolTipsVisible(True)
            menu.addSeparator()
        if not offered:
            menu.addAction("This mailbox has no categories" if master.readable
                           else "No category to offer").setEnabled(False)
            return
        for entry in offered:
            text = f"{entry.name} ({entry.note})" if entry.origin is Origin.OWN else entry.name
            action = menu.addAction(chip_icon(entry.hex_color), text)
            action.setData(entry.name)
            action.setCheckable(True)
            action.setChecked(
                bool(selected)
                and all(entry.name.casefold() in {c.casefold() for c in m.categories} for m in selected)
            )
            action.toggled.connect(lambda on, name=entry.name: self.set_category(name, on))
        menu.addSeparator()
        clear = menu.addAction("Clear all categories")
        clear.setEnabled(any(m.categories for m in selected))
        clear.triggered.connect(self.clear_categories)

    def _categories_in_view(self, mailbox: str) -> list[str]:
        """The categories on the loaded messages of the open list, when it shows ``mailbox``."""
        model = self.w.list_model
        if model.folder is None or model.folder.mailbox.casefold() != mailbox.casefold():
            return []
        return [c for m in model.summaries() for c in m.categories]

    def set_category(self, name: str, on: bool) -> list[Any]:
        """Add (or remove) a category on every selected message, keeping their other categories."""
        folder, selected = self._selection()
        if folder is None or not selected or not self._allowed(Action.CATEGORIZE):
            return []
        groups: dict[tuple[str, ...], list[str]] = {}
        for m in selected:
            others = [c for c in m.categories if c.casefold() != name.casefold()]
            wanted = tuple([*others, name] if on else others)
            if wanted != tuple(m.categories):
                groups.setdefault(wanted, []).append(m.item_id)
        return [self.w.services.mail.set_categories(folder, ids, list(cats)) for cats, ids in groups.items()]

    def clear_categories(self) -> Any:
        folder, selected = self._selection()
        if folder is None or not selected or not self._allowed(Action.CATEGORIZE):
            return None
        return self.w.services.mail.set_categories(folder, [m.item_id for m in selected], [])

    # -- search and refresh ------------------------------------------------------------------------------------
    def focus_search(self) -> None:
        """Ctrl+F: put the cursor in the search box."""
        self.w.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.w.search_edit.selectAll()

    def search(self, text: str) -> None:
        """Search the open folder on the server (subject, from, body); the results replace the list."""
        self.w.search_edit.setText(text)
        self.apply_search()

    def apply_search(self) -> None:
        """Run the search typed in the search box (an empty one shows the whole folder again)."""
        folder = self.w.folder
        if folder is None:
            return
        text = self.w.search_edit.text().strip()
        current = self.w.list_model.query
        if text == current.search:
            return
        # The reset reports an empty selection: the window forgets the shown message and updates the actions.
        self.w.list_model.set_folder(folder, ListQuery(sort=current.sort, descending=current.descending,
                                                       search=text))
        self.w.list_view.set_placeholder("Searching …" if text else "Loading …")
        self.w.update_folder_label()

    def clear_search(self) -> None:
        """Leave the search: the whole folder again."""
        if self.w.search_edit.text():
            self.w.search_edit.clear()
        if self.w.list_model.query.search and self.w.folder is not None:
            self.apply_search()

    def refresh(self) -> None:
        """F5: reload the list, check for new mail, refresh the folder counts and the categories."""
        s, mailbox = self.w.services, self.w.mailbox
        if self.w.folder is None or mailbox is None:
            return
        self.w.list_model.reload()  # its reset empties the selection: the reading pane shows the prompt
        s.mail.poll_now()
        s.mailboxes.refresh_counts(mailbox.address)
        s.lookups.forget_categories(mailbox.address)
        s.lookups.load_categories(mailbox.address)
        self.w.show_status(f"Refreshing {self.w.place()} …")

    # -- attachments -----------------------------------------------------------------------------------------
    def save_attachment(self, info: AttachmentInfo, path: str | None = None) -> None:
        """Save as…: ask where (a sanitised name proposed; the dialog asks before overwriting), then fetch."""
        detail = self.w.reading_pane.current()
        mailbox = self.w.mailbox
        if detail is None or mailbox is None:
            return
        if path is None:
            proposed = str(Path.home() / safe_filename(info.name))
            path, _ = QFileDialog.getSaveFileName(self.w, "Save attachment", proposed)
            if not path:
                return
        target = Path(path)

        def write(content: bytes) -> None:
            try:
                target.write_bytes(content)
            except OSError as error:
                self.w.show_error(f"Could not save {target.name}: {error.strerror or error}")
                return
            self.w.show_status(f"Saved {target.name} ({len(content)} bytes).")

        self.w.show_status(f"Fetching {info.name} …")
        self.w.services.lookups.attachment_content(
            mailbox.address, detail.summary.item_id, info.attachment_id, write, self.w.show_error
        )

    def fetch_inline_images(self, folder: FolderRef, detail: MessageDetail) -> None:
        """Fetch the inline images of a message, then show it again with them."""
        inline = [
            a
            for a in detail.attachments
            if a.content_id and (a.is_inline or a.content_type.startswith("image/"))
        ]
        if not inline:
            return
        images: dict[str, bytes] = {}
        pending = {a.attachment_id for a in inline}

        def got(att: AttachmentInfo, content: bytes) -> None:
            images[att.content_id] = content
            arrived(att)

        def arrived(att: AttachmentInfo) -> None:
            pending.discard(att.attachment_id)
            current = self.w.reading_pane.current()
            if pending or current is None or current.summary.item_id != detail.summary.item_id:
                return
            if images:
                self.w.reading_pane.show_message(current, images)

        for att in inline:
            self.w.services.lookups.attachment_content(
                folder.mailbox,
                detail.summary.item_id,
                att.attachment_id,
                lambda content, a=att: got(a, content),
                lambda _text, a=att: arrived(a),
            )

    # -- mailboxes -------------------------------------------------------------------------------------------
    def open_shared_mailbox(self) -> OpenMailboxDialog:
        """Mailbox ▸ Open shared mailbox…"""
        dialog = OpenMailboxDialog(self.w.services.session, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.mailbox_added.connect(self._mailbox_added)
        dialog.finished.connect(lambda _r: setattr(self, "open_dialog", None))
        self.open_dialog = dialog
        dialog.open()
        return dialog

    def _mailbox_added(self, tree: Any) -> None:
        ref: MailboxRef = tree.mailbox
        self.w.services.mailboxes.open_mailbox(
            ref.address, MailboxOrigin.ADDED, display_name=ref.display_name
        )
        self.w.show_status(f"{ref.display_name} was added to the sidebar.")

    def remove_mailbox(self) -> None:
        """Mailbox ▸ Remove from the sidebar (not the user's own)."""
        mailbox = self.w.sidebar.current_mailbox() or self.w.mailbox
        user = self.w.user
        if mailbox is None or user is None or mailbox.key == user.key:
            return
        self.w.services.session.remove_mailbox(mailbox.address)
        self.w.services.mailboxes.remove_mailbox(mailbox.address)
        self.w.show_status(f"{mailbox.display_name} was removed from the sidebar.")

    def show_access(self) -> AccessDialog | None:
        """Mailbox ▸ My access…"""
        mailbox = self.w.sidebar.current_mailbox() or self.w.mailbox
        tree = self.w.sidebar_model.tree(mailbox.address) if mailbox is not None else None
        if tree is None:
            return None
        learned = self.w.services.compose.learned_send_right(mailbox.address)
        if learned is not None and hasattr(tree, "send_right"):
            from dataclasses import replace

            tree = replace(tree, send_right=learned)
        dialog = AccessDialog(tree, self.w)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog
