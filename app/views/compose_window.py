"""The compose window: From, To/Cc/Bcc with directory autocomplete, Subject, an HTML editor, attachments.

Every change goes to :meth:`ComposeService.changed` (a debounced local autosave). Send and Save draft run in
the service; a failed send keeps the window open with the message, says what happened, and the draft stays
(local and, when possible, on the server). Closing with unsaved changes asks Save / Discard / Cancel; when the
application quits, the window closes without asking and its local autosave is offered at the next start.
"""

from __future__ import annotations

import contextlib
import mimetypes
from collections.abc import Callable, Sequence
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QFont, QKeySequence, QTextCharFormat, QTextListFormat
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QTextEdit,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import ComposeMode, Draft, LocalAttachment
from app.domain.rights import SendRight
from app.services.compose import ComposeService, SenderChoice, has_content
from app.views.actions import icon

#: Attaches directory autocomplete to an address field (``DirectoryCompleter(edit, lookup, multiple=True)``).
CompleterFactory = Callable[[QLineEdit], Any]

_BANNER_STYLE = {
    "error": "QLabel#composeBanner { background: #fdecea; color: #7a1c14; border: 1px solid #f3b8b1;"
    " border-radius: 4px; padding: 6px 8px; }",
    "info": "QLabel#composeBanner { background: #eef4fb; color: #1d3b5c; border: 1px solid #c5d8ee;"
    " border-radius: 4px; padding: 6px 8px; }",
}
SERVER_AUTOSAVE_MS = 60_000
"""While the text changes, the draft is also saved on the server this often (locally: at every pause)."""
_TITLES = {
    ComposeMode.NEW: "New message",
    ComposeMode.REPLY: "Reply",
    ComposeMode.REPLY_ALL: "Reply all",
    ComposeMode.FORWARD: "Forward",
}


def split_addresses(text: str) -> list[str]:
    """``"Bob Baker <bob@example.com>; carol@example.com"`` -> the entries, ``Name <address>`` kept."""
    out = []
    for name, address in getaddresses([text.replace(";", ",")]):
        if not address:
            continue
        out.append(f"{name} <{address}>" if name else address)
    return out


def invalid_addresses(entries: Sequence[str]) -> list[str]:
    """Entries that are not e-mail addresses (a name the directory did not resolve)."""
    bad = []
    for entry in entries:
        address = getaddresses([entry])[0][1]
        local, _, domain = address.partition("@")
        if not local or "." not in domain:
            bad.append(entry)
    return bad


def format_size(size: int) -> str:
    """ "812 B", "14 KB", "2.3 MB"."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


class ComposeWindow(QMainWindow):
    """One message being written.

    Args:
        service: The compose service.
        draft: The draft to edit (new, restored, or a prepared reply/forward).
        senders: The addresses the user may pick in From (own first).
        completer_factory: Adds directory autocomplete to an address field, or None.
        parent: Parent widget (the main window; the compose window is still a separate top-level window).

    Signals:
        finished(str): the window closed; how ("sent", "saved", "discarded", "kept").
    """

    finished = Signal(str)

    def __init__(
        self,
        service: ComposeService,
        draft: Draft,
        senders: Sequence[SenderChoice],
        completer_factory: CompleterFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("composeWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._service = service
        self._draft = draft
        self._senders = list(senders)
        self._dirty = False  # changed since the last server save / since opening
        self._sending = False
        self._closing_how = ""
        self._quitting = False
        self._loading = True
        self._edits = 0  # changes made so far; a save records the count it saved
        self._saved_at = 0
        self._send_queued = False
        self._resave = False
        self.completers: list[Any] = []

        self._build(completer_factory)
        self._fill(draft)
        self._loading = False
        # A restored local draft or a prepared reply is not on the server yet: closing it must ask.
        self._dirty = not draft.draft_id and has_content(draft)
        self._update_title()
        self.resize(820, 640)

        self._server_autosave = QTimer(self)
        self._server_autosave.setInterval(SERVER_AUTOSAVE_MS)
        self._server_autosave.timeout.connect(self._autosave_to_server)
        self._server_autosave.start()

        service.saved.connect(self._on_saved)
        service.save_failed.connect(self._on_save_failed)
        service.sent.connect(self._on_sent)
        service.send_failed.connect(self._on_send_failed)

    # -- building --------------------------------------------------------------------------------------------
    def _build(self, completer_factory: CompleterFactory | None) -> None:
        bar = QToolBar("Message", self)
        bar.setObjectName("composeToolBar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(18, 18))
        self.addToolBar(bar)
        self.send_action = self._action("&Send", "Ctrl+Return", "mail-send", self.send)
        self.save_action = self._action("Save &draft", "Ctrl+S", "document-save", self.save_draft)
        self.attach_action = self._action("&Attach…", "Ctrl+Shift+A", "attachment", self.choose_attachments)
        self.discard_action = self._action("Discard", "", "edit-delete", self.discard)
        for action in (self.send_action, self.save_action, self.attach_action, self.discard_action):
            bar.addAction(action)

        self.from_combo = QComboBox(objectName="fromCombo")
        self.from_combo.setAccessibleName("From")
        self._fill_senders()
        self.from_combo.currentIndexChanged.connect(self._on_from_changed)
        self.send_right_label = QLabel(objectName="sendRightLabel")
        self.send_right_label.setStyleSheet("color: palette(placeholder-text);")

        self.to_edit = self._address_edit("toEdit", "To", completer_factory)
        self.cc_edit = self._address_edit("ccEdit", "Cc", completer_factory)
        self.bcc_edit = self._address_edit("bccEdit", "Bcc", completer_factory)
        self.subject_edit = QLineEdit(objectName="subjectEdit")
        self.subject_edit.setAccessibleName("Subject")
        self.subject_edit.textChanged.connect(self._on_changed)
        self.subject_edit.textChanged.connect(self._update_title)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        from_row = QHBoxLayout()
        from_row.addWidget(self.from_combo, 1)
        form.addRow(self._buddy("&From:", self.from_combo), from_row)
        form.addRow("", self.send_right_label)
        form.addRow(self._buddy("&To:", self.to_edit), self.to_edit)
        form.addRow(self._buddy("&Cc:", self.cc_edit), self.cc_edit)
        form.addRow(self._buddy("&Bcc:", self.bcc_edit), self.bcc_edit)
        form.addRow(self._buddy("S&ubject:", self.subject_edit), self.subject_edit)

        self.format_bar = QToolBar("Formatting", self)
        self.format_bar.setObjectName("formatToolBar")
        self.format_bar.setIconSize(QSize(16, 16))
        self.bold_action = self._format_action("B", "Bold", QKeySequence.StandardKey.Bold, self._toggle_bold)
        self.italic_action = self._format_action(
            "I", "Italic", QKeySequence.StandardKey.Italic, self._toggle_italic
        )
        self.underline_action = self._format_action(
            "U", "Underline", QKeySequence.StandardKey.Underline, self._toggle_underline
        )
        self.bullets_action = self._format_action(
            "• List",
            "Bulleted list",
            "Ctrl+Shift+L",
            lambda: self._toggle_list(QTextListFormat.Style.ListDisc),
        )
        self.numbers_action = self._format_action(
            "1. List",
            "Numbered list",
            "Ctrl+Shift+N",
            lambda: self._toggle_list(QTextListFormat.Style.ListDecimal),
        )
        self.link_action = self._format_action("Link…", "Insert link", "Ctrl+K", self.insert_link)
        for action, flag in (
            (self.bold_action, "bold"),
            (self.italic_action, "italic"),
            (self.underline_action, "underline"),
        ):
            action.setCheckable(True)
            font = QFont()
            setattr_name = {"bold": "setBold", "italic": "setItalic", "underline": "setUnderline"}[flag]
            getattr(font, setattr_name)(True)
            action.setFont(font)

        self.body_edit = QTextEdit(objectName="bodyEdit")
        self.body_edit.setAccessibleName("Message body")
        self.body_edit.setAcceptRichText(True)
        self.body_edit.setTabChangesFocus(True)
        self.body_edit.textChanged.connect(self._on_changed)
        self.body_edit.currentCharFormatChanged.connect(self._on_char_format)
        self.body_edit.document().setDocumentMargin(10)

        self.attachment_list = QListWidget(objectName="attachmentList")
        self.attachment_list.setAccessibleName("Attachments")
        self.attachment_list.setFlow(QListWidget.Flow.LeftToRight)
        self.attachment_list.setWrapping(True)
        self.attachment_list.setFixedHeight(56)
        self.attachment_list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.remove_attachment_button = QPushButton("&Remove", objectName="removeAttachmentButton")
        self.remove_attachment_button.setAccessibleName("Remove the selected attachments")
        self.remove_attachment_button.clicked.connect(self.remove_selected_attachments)
        self.attachments_label = QLabel("Attachments:")
        att_row = QHBoxLayout()
        att_row.addWidget(self.attachments_label)
        att_row.addWidget(self.attachment_list, 1)
        att_row.addWidget(self.remove_attachment_button)
        self.attachments_frame = QFrame()
        self.attachments_frame.setLayout(att_row)

        self.banner = QLabel(objectName="composeBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setAccessibleName("Message status")
        self.banner.hide()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addWidget(self.banner)
        layout.addLayout(form)
        layout.addWidget(self.format_bar)
        layout.addWidget(self.body_edit, 1)
        layout.addWidget(self.attachments_frame)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(True)

    def _fill_senders(self) -> None:
        self.from_combo.clear()
        for choice in self._senders:
            self.from_combo.addItem(choice.label, choice.mailbox.address)
            index = self.from_combo.count() - 1
            self.from_combo.setItemData(index, choice.right.describe(), Qt.ItemDataRole.ToolTipRole)

    def set_senders(self, senders: Sequence[SenderChoice]) -> None:
        """Update the From choices (a mailbox finished opening, a send taught a right); keeps the choice."""
        current = str(self.from_combo.currentData() or self._draft.from_mailbox)
        self._senders = list(senders)
        loading, self._loading = self._loading, True
        self.from_combo.blockSignals(True)
        self._fill_senders()
        index = self.from_combo.findData(current, flags=Qt.MatchFlag.MatchFixedString)
        if index < 0:
            self.from_combo.addItem(current, current)
            index = self.from_combo.count() - 1
        self.from_combo.setCurrentIndex(index)
        self.from_combo.blockSignals(False)
        self._on_from_changed()
        self._loading = loading

    def _action(self, text: str, keys: str, icon_name: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(icon(icon_name), text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} ({keys})")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _format_action(self, text: str, tip: str, keys: Any, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        sequence = QKeySequence(keys)
        action.setShortcut(sequence)
        shown = sequence.toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip} ({shown})" if shown else tip)
        action.setObjectName(f"format_{tip.casefold().replace(' ', '_')}")
        action.triggered.connect(lambda _checked=False: slot())
        self.format_bar.addAction(action)
        return action

    def _address_edit(self, name: str, label: str, factory: CompleterFactory | None) -> QLineEdit:
        edit = QLineEdit(objectName=name)
        edit.setAccessibleName(label)
        edit.setPlaceholderText("Names or addresses, separated by ;")
        edit.textChanged.connect(self._on_changed)
        if factory is not None:
            self.completers.append(factory(edit))
        return edit

    @staticmethod
    def _buddy(text: str, widget: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(widget)
        return label

    # -- content ---------------------------------------------------------------------------------------------
    def _fill(self, draft: Draft) -> None:
        index = self.from_combo.findData(draft.from_mailbox, flags=Qt.MatchFlag.MatchFixedString)
        if index < 0:
            self.from_combo.addItem(draft.from_mailbox, draft.from_mailbox)
            index = self.from_combo.count() - 1
        self.from_combo.setCurrentIndex(index)
        self.to_edit.setText("; ".join(draft.to))
        self.cc_edit.setText("; ".join(draft.cc))
        self.bcc_edit.setText("; ".join(draft.bcc))
        self.subject_edit.setText(draft.subject)
        if draft.body_html:
            self.body_edit.setHtml(draft.body_html)
        cursor = self.body_edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.body_edit.setTextCursor(cursor)
        self._refresh_attachments()
        self._on_from_changed()

    def draft(self) -> Draft:
        """The draft as the window shows it now (the window's own object, updated)."""
        d = self._draft
        d.from_mailbox = str(self.from_combo.currentData() or d.from_mailbox)
        d.to = split_addresses(self.to_edit.text())
        d.cc = split_addresses(self.cc_edit.text())
        d.bcc = split_addresses(self.bcc_edit.text())
        d.subject = self.subject_edit.text()
        d.body_html = self.body_edit.toHtml() if self.body_edit.toPlainText().strip() or d.body_html else ""
        return d

    def is_dirty(self) -> bool:
        """True when there are changes not saved on the server."""
        return self._dirty

    def add_attachment_files(self, files: Sequence[str | Path]) -> None:
        """Attach files (read now: what is attached does not change if the file changes later)."""
        problems = []
        for name in files:
            path = Path(name)
            try:
                content = path.read_bytes()
            except OSError as error:
                problems.append(f"{path.name}: {error.strerror or error}")
                continue
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self._draft.attachments.append(LocalAttachment(path.name, content, kind))
        self._refresh_attachments()
        self._on_changed()
        if problems:
            self.show_banner("Could not attach: " + "; ".join(problems), error=True)

    def remove_selected_attachments(self) -> None:
        """Remove the attachments selected in the list."""
        rows = sorted(
            {self.attachment_list.row(i) for i in self.attachment_list.selectedItems()}, reverse=True
        )
        forwarded_count = len(self._draft.forwarded)
        for row in rows:
            if row < forwarded_count:
                del self._draft.forwarded[row]
            else:
                del self._draft.attachments[row - forwarded_count]
        if rows:
            self._refresh_attachments()
            self._on_changed()

    def attachment_texts(self) -> list[str]:
        """The attachment list as shown ("report.pdf (14 KB)")."""
        return [self.attachment_list.item(r).text() for r in range(self.attachment_list.count())]

    def _refresh_attachments(self) -> None:
        self.attachment_list.clear()
        for info in self._draft.forwarded:
            item = QListWidgetItem(icon("attachment"), f"{info.name} ({format_size(info.size)})")
            item.setToolTip(f"{info.name} — from the original message")
            self.attachment_list.addItem(item)
        for att in self._draft.attachments:
            item = QListWidgetItem(icon("attachment"), f"{att.name} ({format_size(len(att.content))})")
            item.setToolTip(f"{att.name}, {att.content_type}")
            self.attachment_list.addItem(item)
        has_any = self.attachment_list.count() > 0
        self.attachments_frame.setVisible(has_any)
        self.remove_attachment_button.setEnabled(has_any)

    # -- commands --------------------------------------------------------------------------------------------
    def send(self) -> None:
        """Check the recipients, then send through the service (the window closes once sent)."""
        if self._sending:
            return
        draft = self.draft()
        if not (draft.to or draft.cc or draft.bcc):
            self.show_banner("Add at least one recipient in To, Cc or Bcc.", error=True)
            self.to_edit.setFocus()
            return
        bad = invalid_addresses([*draft.to, *draft.cc, *draft.bcc])
        if bad:
            self.show_banner(
                f"Not an e-mail address: {', '.join(bad)}. Pick a name from the suggestions or "
                "type the full address.",
                error=True,
            )
            return
        choice = self._current_choice()
        if choice is not None and choice.right is SendRight.NONE:
            self.show_banner(
                f"You have no right to send from {choice.mailbox.address}. Choose another From address.",
                error=True,
            )
            return
        self._set_sending(True)
        self.show_banner(f"Sending from {draft.from_mailbox} …")
        if self._service.is_busy(self._draft):
            self._send_queued = True  # a save is on its way: send once it has the server ids
            return
        self._service.send(draft)

    def save_draft(self, *, forget_local_after: bool = False) -> None:
        """Save the draft on the server (in the From mailbox's Drafts); one save at a time per draft."""
        if self._service.is_busy(self._draft):
            self._resave = True  # saved again, with the latest text, once the running save is done
            return
        draft = self.draft()
        self._saved_at = self._edits
        self.statusBar().showMessage(f"Saving the draft in the Drafts of {draft.from_mailbox} …")
        self._service.save_to_server(draft, forget_local_after=forget_local_after)

    def _autosave_to_server(self) -> None:
        if self._dirty and not self._sending and not self._closing_how and has_content(self.draft()):
            self.save_draft()

    def discard(self) -> None:
        """Throw the message away (asks first when there is anything in it)."""
        draft = self.draft()
        if has_content(draft) and not self.confirm_discard():
            return
        self._service.discard(draft)
        self._close_as("discarded")

    def choose_attachments(self) -> None:
        """Ask for files to attach."""
        files, _ = QFileDialog.getOpenFileNames(self, "Attach files")
        if files:
            self.add_attachment_files(files)

    def insert_link(self) -> None:
        """Make the selected text a link (asks for the address)."""
        cursor = self.body_edit.textCursor()
        url, ok = QInputDialog.getText(self, "Insert link", "Address (https://…):", text="https://")
        if not ok or not url.strip() or url.strip() == "https://":
            return
        self.apply_link(url.strip(), cursor.selectedText() or url.strip())

    def apply_link(self, url: str, text: str) -> None:
        """Insert (or wrap the selection in) a link to ``url``."""
        qurl = QUrl.fromUserInput(url)
        cursor = self.body_edit.textCursor()
        fmt = QTextCharFormat()
        fmt.setAnchor(True)
        fmt.setAnchorHref(qurl.toString())
        fmt.setForeground(self.palette().link())
        fmt.setFontUnderline(True)
        cursor.insertText(text, fmt)
        cursor.setCharFormat(QTextCharFormat())
        self.body_edit.setTextCursor(cursor)

    def quit_keep_local(self) -> None:
        """The application quits: close without asking; the local autosave is kept for the next start."""
        self._quitting = True
        draft = self.draft()
        if not self._sending:  # a send in flight keeps its own local copy until it succeeds
            if has_content(draft):
                self._service.save_local(draft)
            else:
                self._service.forget_local(draft)
        self.close()

    def show_banner(self, text: str, *, error: bool = False) -> None:
        """Show a sentence above the form (red for problems)."""
        self.banner.setStyleSheet(_BANNER_STYLE["error" if error else "info"])
        self.banner.setText(text)
        self.banner.show()

    def banner_text(self) -> str:
        """The banner's text, or ""."""
        return self.banner.text() if not self.banner.isHidden() else ""

    # -- formatting ------------------------------------------------------------------------------------------
    def _merge(self, fmt: QTextCharFormat) -> None:
        cursor = self.body_edit.textCursor()
        if not cursor.hasSelection():
            cursor.select(cursor.SelectionType.WordUnderCursor)
        cursor.mergeCharFormat(fmt)
        self.body_edit.mergeCurrentCharFormat(fmt)

    def _toggle_bold(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if self.bold_action.isChecked() else QFont.Weight.Normal)
        self._merge(fmt)

    def _toggle_italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.italic_action.isChecked())
        self._merge(fmt)

    def _toggle_underline(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontUnderline(self.underline_action.isChecked())
        self._merge(fmt)

    def _toggle_list(self, style: QTextListFormat.Style) -> None:
        cursor = self.body_edit.textCursor()
        current = cursor.currentList()
        if current is not None and current.format().style() == style:
            block_fmt = cursor.blockFormat()
            current.remove(cursor.block())
            block_fmt.setIndent(0)
            cursor.setBlockFormat(block_fmt)
            return
        fmt = QTextListFormat()
        fmt.setStyle(style)
        cursor.createList(fmt)

    def _on_char_format(self, fmt: QTextCharFormat) -> None:
        self.bold_action.setChecked(fmt.fontWeight() >= QFont.Weight.Bold)
        self.italic_action.setChecked(fmt.fontItalic())
        self.underline_action.setChecked(fmt.fontUnderline())

    # -- service outcomes ------------------------------------------------------------------------------------
    def _mine(self, local_id: str) -> bool:
        return bool(local_id) and local_id == self._draft.local_id

    def _on_saved(self, saved: Draft) -> None:
        if not self._mine(saved.local_id):
            return
        d = self._draft
        d.draft_id, d.change_key = saved.draft_id, saved.change_key
        d.saved_attachment_ids = list(saved.saved_attachment_ids)
        d.forwarded = list(saved.forwarded)
        by_name = {(a.name, len(a.content)): a.attachment_id for a in saved.attachments if a.attachment_id}
        for att in d.attachments:
            att.attachment_id = att.attachment_id or by_name.get((att.name, len(att.content)), "")
        self._dirty = self._edits != self._saved_at
        self.statusBar().showMessage(f"Draft saved in the Drafts of {saved.from_mailbox}.", 8000)
        if self._send_queued:
            self._send_queued = False
            self._service.send(self.draft())
        elif self._closing_how == "saving":
            if self._dirty:
                self.save_draft(forget_local_after=True)  # typed on while the first save ran
            else:
                self._service.forget_local(self._draft)  # the server has it all
                self._close_as("saved")
        elif self._resave:
            self._resave = False
            self.save_draft()

    def _on_save_failed(self, local_id: str, text: str) -> None:
        if not self._mine(local_id):
            return
        self.show_banner(text, error=True)
        self._resave = False
        if self._closing_how == "saving":
            self._closing_how = ""
        if self._send_queued:
            self._send_queued = False
            self._service.send(self.draft())  # the send keeps the message if it fails too

    def _on_sent(self, draft: Draft) -> None:
        if not self._mine(draft.local_id):
            return
        self._sending = False
        self._close_as("sent")

    def _on_send_failed(self, local_id: str, text: str, kept: Draft) -> None:
        if not self._mine(local_id):
            return
        if kept.draft_id:
            self._draft.draft_id, self._draft.change_key = kept.draft_id, kept.change_key
            self._draft.saved_attachment_ids = list(kept.saved_attachment_ids)
        self._set_sending(False)
        self._dirty = not kept.draft_id
        self.show_banner(text, error=True)

    # -- state -----------------------------------------------------------------------------------------------
    def _on_changed(self, *_: object) -> None:
        if self._loading or self._sending:
            return
        self._edits += 1
        self._dirty = True
        self._service.changed(self.draft())

    def _on_from_changed(self, *_: object) -> None:
        choice = self._current_choice()
        self.send_right_label.setText(
            choice.right.describe()[:1].upper() + choice.right.describe()[1:] if choice is not None else ""
        )
        self._on_changed()

    def _current_choice(self) -> SenderChoice | None:
        address = str(self.from_combo.currentData() or "").casefold()
        return next((c for c in self._senders if c.mailbox.address.casefold() == address), None)

    def _set_sending(self, sending: bool) -> None:
        self._sending = sending
        for widget in (
            self.from_combo,
            self.to_edit,
            self.cc_edit,
            self.bcc_edit,
            self.subject_edit,
            self.body_edit,
            self.attachment_list,
            self.remove_attachment_button,
        ):
            widget.setEnabled(not sending)
        for action in (self.send_action, self.save_action, self.attach_action, self.discard_action):
            action.setEnabled(not sending)

    def _update_title(self, *_: object) -> None:
        subject = self.subject_edit.text().strip() if hasattr(self, "subject_edit") else ""
        self.setWindowTitle(f"{subject or _TITLES[self._draft.mode]} — Mailroom")

    def _close_as(self, how: str) -> None:
        self._closing_how = how
        self.close()

    # -- closing ---------------------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self._closing_how in ("sent", "discarded", "saved") or self._quitting:
            self._finish(event)
            return
        if self._sending:
            self.show_banner("Wait until sending has finished (or failed) before closing.", error=True)
            event.ignore()
            return
        if self._closing_how == "saving":
            event.ignore()
            return
        draft = self.draft()
        if not self._dirty or not has_content(draft):
            if has_content(draft) or not draft.draft_id:
                self._service.forget_local(draft)  # saved on the server already, or nothing in it
            else:
                self._service.discard(draft)  # an empty draft left on the server
            self._closing_how = "kept" if has_content(draft) else "discarded"
            self._finish(event)
            return
        answer = self.ask_unsaved()
        if answer == QMessageBox.StandardButton.Cancel:
            event.ignore()
            return
        if answer == QMessageBox.StandardButton.Discard:
            self._service.discard(draft)
            self._closing_how = "discarded"
            self._finish(event)
            return
        # Save: close once the server has the draft (a failure keeps the window open and says why).
        self._closing_how = "saving"
        self.save_draft(forget_local_after=True)
        event.ignore()

    def ask_unsaved(self) -> QMessageBox.StandardButton:
        """Save / Discard / Cancel for a window closed with unsaved changes (tests replace it)."""
        return QMessageBox.question(
            self,
            "Save this message?",
            "This message has changes that are not saved. Save it in Drafts?",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def confirm_discard(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Discard this message?",
            "Discard this message? It cannot be undone.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _finish(self, event: QCloseEvent) -> None:
        self._server_autosave.stop()
        for completer in self.completers:
            cancel = getattr(completer, "cancel", None)
            if callable(cancel):
                cancel()
        for signal, slot in (
            (self._service.saved, self._on_saved),
            (self._service.save_failed, self._on_save_failed),
            (self._service.sent, self._on_sent),
            (self._service.send_failed, self._on_send_failed),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        event.accept()
        self.finished.emit("kept" if self._quitting else self._closing_how or "closed")
