"""The compose window: From, To/Cc/Bcc with directory autocomplete, Subject, an HTML editor, attachments.

Every change goes to :meth:`ComposeService.changed` (a debounced local autosave). Send and Save draft run in
the service; a failed send keeps the window open with the message, says what happened, and the draft stays
(local and, when possible, on the server). Closing with unsaved changes asks Save / Discard / Cancel; when the
application quits, the window closes without asking and its local autosave is offered at the next start.

The window's parts live next to this module: :mod:`~app.views.compose_fields` (From, To, Cc, Bcc, Subject),
:mod:`~app.views.compose_editor` (the body and its formatting tool bar) and :mod:`~app.views.compose_attachments`;
recipient fields are read by :mod:`app.domain.addresses`.
"""

from __future__ import annotations

import contextlib
import enum
import mimetypes
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QToolBar, QVBoxLayout, QWidget

from app.domain.addresses import invalid_recipients
from app.domain.messages import ComposeMode, Draft, LocalAttachment
from app.domain.rights import SendRight
from app.services.compose import ComposeService, SenderChoice, has_content
from app.views.actions import icon
from app.views.compose_attachments import AttachmentStrip
from app.views.compose_editor import FormatBar, make_body_edit
from app.views.compose_fields import CompleterFactory, ComposeFields

__all__ = ["SERVER_AUTOSAVE_MS", "ComposeWindow", "SendPhase"]

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


class SendPhase(enum.Enum):
    """Where the window's Send stands; at most one save or send of its draft runs at a time.

    IDLE: nothing the window asked for runs (a quiet save the service started after a failed send may:
    ``ComposeService.is_busy`` says). SAVING: a save the window asked for runs. WAITING: Send was pressed while a
    save ran; the send starts when the service reports the draft idle. SENDING: the send runs. SENT: done.
    Every task ends with the service's ``idle`` signal, so WAITING and SENDING always end.
    """

    IDLE = "idle"
    SAVING = "saving"
    WAITING = "waiting"
    SENDING = "sending"
    SENT = "sent"


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
        self._dirty = False  # changed since the last server save / since opening
        self._phase = SendPhase.IDLE
        self._closing_how = ""
        self._quitting = False
        self._loading = True
        self._edits = 0  # changes made so far; a save records the count it saved
        self._saved_at = 0
        self._resave = False  # save again (with the latest text) once the running task is over
        self._resave_forget = False

        self._build(senders, completer_factory)
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
        service.idle.connect(self._on_idle)

    # -- building --------------------------------------------------------------------------------------------
    def _build(self, senders: Sequence[SenderChoice], completer_factory: CompleterFactory | None) -> None:
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

        self.fields = ComposeFields(senders, completer_factory)
        self.fields.changed.connect(self._on_changed)
        self.fields.subject_edit.textChanged.connect(self._update_title)
        self.completers: list[Any] = self.fields.completers  # the same list: _finish cancels them
        self.from_combo = self.fields.from_combo
        self.send_right_label = self.fields.send_right_label
        self.to_edit = self.fields.to_edit
        self.cc_edit = self.fields.cc_edit
        self.bcc_edit = self.fields.bcc_edit
        self.subject_edit = self.fields.subject_edit

        self.body_edit = make_body_edit()
        self.body_edit.textChanged.connect(self._on_changed)
        self.format_bar = FormatBar(self.body_edit, self)
        self.bold_action = self.format_bar.bold_action
        self.italic_action = self.format_bar.italic_action
        self.underline_action = self.format_bar.underline_action
        self.bullets_action = self.format_bar.bullets_action
        self.numbers_action = self.format_bar.numbers_action
        self.link_action = self.format_bar.link_action

        self.attachments_frame = AttachmentStrip()
        self.attachments_frame.remove_requested.connect(self.remove_selected_attachments)
        self.attachment_list = self.attachments_frame.attachment_list
        self.remove_attachment_button = self.attachments_frame.remove_button
        self.attachments_label = self.attachments_frame.label

        self.banner = QLabel(objectName="composeBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setAccessibleName("Message status")
        self.banner.hide()

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 8, 12, 10)
        layout.addWidget(self.banner)
        layout.addWidget(self.fields)
        layout.addWidget(self.format_bar)
        layout.addWidget(self.body_edit, 1)
        layout.addWidget(self.attachments_frame)
        self.setCentralWidget(central)
        self.statusBar().setSizeGripEnabled(True)

    def set_senders(self, senders: Sequence[SenderChoice]) -> None:
        """Update the From choices (a mailbox finished opening, a send taught a right); keeps the choice."""
        current = self.fields.sender_address() or self._draft.from_mailbox
        loading, self._loading = self._loading, True
        self.fields.set_senders(senders, current)
        self._loading = loading

    def _action(self, text: str, keys: str, icon_name: str, slot: Callable[[], Any]) -> QAction:
        action = QAction(icon(icon_name), text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setToolTip(f"{text.replace('&', '').rstrip('…')} ({keys})")
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    # -- content ---------------------------------------------------------------------------------------------
    def _fill(self, draft: Draft) -> None:
        self.fields.show_draft(draft)
        if draft.body_html:
            self.body_edit.setHtml(draft.body_html)
        cursor = self.body_edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.body_edit.setTextCursor(cursor)
        self._refresh_attachments()
        self.fields.refresh_send_right()

    def draft(self) -> Draft:
        """The draft as the window shows it now (the window's own object, updated)."""
        d = self._draft
        self.fields.update_draft(d)
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
        rows = self.attachments_frame.selected_rows()
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
        return self.attachments_frame.texts()

    def _refresh_attachments(self) -> None:
        self.attachments_frame.show_attachments(self._draft.forwarded, self._draft.attachments)

    # -- commands --------------------------------------------------------------------------------------------
    @property
    def phase(self) -> SendPhase:
        """Where the window's Send stands."""
        return self._phase

    @property
    def _sending(self) -> bool:
        return self._phase in (SendPhase.WAITING, SendPhase.SENDING, SendPhase.SENT)

    def send(self) -> None:
        """Check the recipients, then send through the service (the window closes once sent).

        Pressed while a save of this draft runs, the send waits for it (one task at a time); pressed again while
        a send waits or runs, nothing happens.
        """
        if self._sending:
            return
        draft = self.draft()
        if not (draft.to or draft.cc or draft.bcc):
            self.show_banner("Add at least one recipient in To, Cc or Bcc.", error=True)
            self.to_edit.setFocus()
            return
        bad = invalid_recipients([*draft.to, *draft.cc, *draft.bcc])
        if bad:
            self.show_banner(
                f"Not an e-mail address: {', '.join(bad)}. Pick a name from the suggestions or "
                "type the full address.",
                error=True,
            )
            return
        choice = self.fields.current_choice()
        if choice is not None and choice.right is SendRight.NONE:
            self.show_banner(
                f"You have no right to send from {choice.mailbox.address}. Choose another From address.",
                error=True,
            )
            return
        self.show_banner(f"Sending from {draft.from_mailbox} …")
        self._enter(SendPhase.WAITING)
        if not self._service.is_busy(self._draft):
            self._start_send()
        # else: a save is on its way; the send starts at the service's idle signal, with the server ids

    def _start_send(self) -> None:
        self._enter(SendPhase.SENDING)
        self._service.send(self.draft())

    def save_draft(self, *, forget_local_after: bool = False) -> None:
        """Save the draft on the server (in the From mailbox's Drafts); one save at a time per draft."""
        if self._sending:
            return  # the send saves the latest text itself
        if self._service.is_busy(self._draft):
            self._resave = True  # saved again, with the latest text, once the running task is over
            self._resave_forget = self._resave_forget or forget_local_after
            return
        draft = self.draft()
        self._saved_at = self._edits
        self.statusBar().showMessage(f"Saving the draft in the Drafts of {draft.from_mailbox} …")
        self._enter(SendPhase.SAVING)
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
        self.format_bar.insert_link()

    def apply_link(self, url: str, text: str) -> None:
        """Insert (or wrap the selection in) a link to ``url``."""
        self.format_bar.apply_link(url, text)

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
        d.message_id = saved.message_id or d.message_id
        self._dirty = self._edits != self._saved_at
        self.statusBar().showMessage(f"Draft saved in the Drafts of {saved.from_mailbox}.", 8000)
        if self._closing_how == "saving" and not self._sending:
            if self._dirty:
                self._resave, self._resave_forget = True, True  # typed on while the first save ran
            else:
                self._service.forget_local(self._draft)  # the server has it all
                self._close_as("saved")

    def _on_save_failed(self, local_id: str, text: str) -> None:
        if not self._mine(local_id):
            return
        self.show_banner(text, error=True)
        self._resave = self._resave_forget = False
        if self._closing_how == "saving":
            self._closing_how = ""

    def _on_sent(self, draft: Draft) -> None:
        if not self._mine(draft.local_id):
            return
        self._enter(SendPhase.SENT)
        self._close_as("sent")

    def _on_send_failed(self, local_id: str, text: str, kept: Draft) -> None:
        if not self._mine(local_id):
            return
        if kept.draft_id:
            self._draft.draft_id, self._draft.change_key = kept.draft_id, kept.change_key
            self._draft.saved_attachment_ids = list(kept.saved_attachment_ids)
        self._draft.message_id = kept.message_id or self._draft.message_id
        self._draft.send_attempted = kept.send_attempted
        self._enter(SendPhase.IDLE)
        self._dirty = not kept.draft_id
        self.show_banner(text, error=True)

    def _on_idle(self, local_id: str) -> None:
        """No task of this draft runs any more: start a waiting send, or come to rest."""
        if not self._mine(local_id) or self._phase is SendPhase.SENT:
            return
        if self._phase is SendPhase.WAITING:
            self._start_send()
            return
        if self._phase is SendPhase.SENDING:  # ended without an outcome: never leave Send waiting
            self.show_banner("Not sent: sending stopped before the server answered. Your message is kept; "
                             "try again.", error=True)
        self._enter(SendPhase.IDLE)
        if self._resave:
            forget, self._resave, self._resave_forget = self._resave_forget, False, False
            self.save_draft(forget_local_after=forget)

    # -- state -----------------------------------------------------------------------------------------------
    def _on_changed(self, *_: object) -> None:
        if self._loading or self._sending:
            return
        self._edits += 1
        self._dirty = True
        self._service.changed(self.draft())

    def _enter(self, phase: SendPhase) -> None:
        """Switch to ``phase``; the form and the commands follow (Send only where pressing it can work)."""
        self._phase = phase
        sending = self._sending
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
        for action in (self.save_action, self.attach_action, self.discard_action):
            action.setEnabled(not sending)
        self.send_action.setEnabled(phase in (SendPhase.IDLE, SendPhase.SAVING))

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
            (self._service.idle, self._on_idle),
        ):
            with contextlib.suppress(RuntimeError, TypeError):
                signal.disconnect(slot)
        event.accept()
        self.finished.emit("kept" if self._quitting else self._closing_how or "closed")
