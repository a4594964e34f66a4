"""The meeting bar above a meeting request or cancellation in the reading pane.

For a request: "Meeting: <when>, <where>, organizer <who>" and Accept / Tentative / Decline, each with Outlook's
three choices (send the response now, edit it before sending, don't send one). For a cancellation: "This meeting
was cancelled" and "Remove from calendar". The bar only shows and asks; the
:class:`~app.views.calendar.meeting_requests.MeetingRequests` controller loads the meeting and answers.
"""

from __future__ import annotations

from datetime import tzinfo

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.calendar import ResponseType
from app.domain.meetings import ANSWERED, MeetingInfo, MeetingKind, SendMode, bar_text
from app.domain.rights import Capability

BAR_STYLE = """
#meetingBar { background: #eef4fb; border: 1px solid #c5d7ec; border-radius: 6px; }
#meetingBar[state="cancelled"] { background: #fdf0ef; border-color: #efc4bf; }
#meetingBar[state="failed"] { background: #fdf0ef; border-color: #efc4bf; }
#meetingBar QLabel#meetingStatus { color: #3b4a59; font-weight: 600; }
"""
VERBS = {ResponseType.ACCEPT: "Accept", ResponseType.TENTATIVE: "Tentative", ResponseType.DECLINE: "Decline"}
MODE_TEXT = {SendMode.SEND_NOW: "Send the response now", SendMode.EDIT: "Edit the response before sending…",
             SendMode.DONT_SEND: "Don't send a response"}


class ResponseMessageDialog(QDialog):
    """"Edit the response before sending": an optional message to the organizer.

    Signals:
        send_requested(str): The user clicked Send with this message.
    """

    send_requested = Signal(str)

    def __init__(self, verb: str, subject: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("meetingResponseDialog")
        self.setWindowTitle(f"{verb}: {subject}")
        column = QVBoxLayout(self)
        column.addWidget(QLabel(f"Message to the organizer with your answer ({verb.lower()}):", self))
        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("meetingResponseText")
        column.addWidget(self.editor)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.send_button = buttons.addButton("Send", QDialogButtonBox.ButtonRole.AcceptRole)
        self.send_button.setObjectName("meetingResponseSend")
        buttons.accepted.connect(self._send)
        buttons.rejected.connect(self.reject)
        column.addWidget(buttons)
        self.resize(420, 240)

    def _send(self) -> None:
        self.send_requested.emit(self.editor.toPlainText().strip())
        self.accept()


class MeetingBar(QWidget):
    """Hidden unless the message shown is a meeting request or cancellation.

    Signals:
        answer_requested(ResponseType, SendMode, str): Answer the request (the message for SendMode.EDIT).
        remove_requested(): Remove the cancelled meeting from the calendar.
    """

    answer_requested = Signal(object, object, str)
    remove_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("meetingBarHolder")
        self.info: MeetingInfo | None = None
        self.message_dialog: ResponseMessageDialog | None = None
        holder = QVBoxLayout(self)
        holder.setContentsMargins(20, 0, 20, 10)
        self.frame = QFrame(self)
        self.frame.setObjectName("meetingBar")
        self.frame.setAccessibleName("Meeting")
        self.frame.setStyleSheet(BAR_STYLE)
        holder.addWidget(self.frame)
        row = QHBoxLayout(self.frame)
        row.setContentsMargins(10, 6, 8, 6)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.label = QLabel(self.frame)
        self.label.setObjectName("meetingText")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.status = QLabel(self.frame)
        self.status.setObjectName("meetingStatus")
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        text.addWidget(self.label)
        text.addWidget(self.status)
        row.addLayout(text, 1)
        self.buttons: dict[ResponseType, QToolButton] = {}
        self.menu_actions: dict[tuple[ResponseType, SendMode], QAction] = {}
        for response, verb in VERBS.items():
            button = QToolButton(self.frame)
            button.setObjectName(f"meeting{verb}")
            button.setText(verb)
            button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
            menu = QMenu(button)
            for mode, words in MODE_TEXT.items():
                action = menu.addAction(words)
                action.triggered.connect(lambda _c=False, r=response, m=mode: self.choose(r, m))
                self.menu_actions[(response, mode)] = action
            button.setMenu(menu)
            row.addWidget(button)
            self.buttons[response] = button
        self.remove_button = QPushButton("Remove from calendar", self.frame)
        self.remove_button.setObjectName("meetingRemove")
        self.remove_button.clicked.connect(self.remove_requested)
        row.addWidget(self.remove_button)
        self.hide()

    # -- states ------------------------------------------------------------------------------------------------
    def show_loading(self, kind: MeetingKind) -> None:
        """A meeting message was shown; its details are on their way."""
        self.info = None
        self._close_dialog()
        self._state("cancelled" if kind is MeetingKind.CANCELLATION else "")
        self.label.setText("This meeting was cancelled." if kind is MeetingKind.CANCELLATION else "Meeting request")
        self._set_status("Loading the meeting …")
        self._show_buttons(request=False, cancellation=False)
        self.show()

    def show_info(self, info: MeetingInfo, allowed: Capability, tz: tzinfo) -> None:
        """Show the meeting; the buttons are enabled per ``allowed`` (its reason as their tooltip)."""
        self.info = info
        if info.kind is MeetingKind.CANCELLATION:
            self._state("cancelled")
            self.label.setText("This meeting was cancelled.")
            self._set_status("")
            self._show_buttons(request=False, cancellation=bool(info.calendar_item_id))
            self.remove_button.setEnabled(bool(allowed))
            self.remove_button.setToolTip(allowed.reason or "Take the meeting out of the calendar")
            self.show()
            return
        self._state("")
        self.label.setText(bar_text(info, tz))
        self._set_status(ANSWERED.get(info.my_response, ""))
        self._show_buttons(request=True, cancellation=False)
        for response, button in self.buttons.items():
            button.setEnabled(bool(allowed))
            button.setToolTip(allowed.reason if not allowed else f"{VERBS[response]} for {info.mailbox}")
        self.show()

    def show_busy(self, response: ResponseType) -> None:
        """The answer is on its way."""
        for button in self.buttons.values():
            button.setEnabled(False)
        self._set_status(f"Sending: {VERBS[response].lower()} …")

    def show_answered(self, response: ResponseType, sent: bool) -> None:
        """The server took the answer."""
        self._state("")
        self._set_status(ANSWERED[response] + ("." if sent else " (no response was sent)."))
        self._show_buttons(request=False, cancellation=False)

    def show_removed(self) -> None:
        self._set_status("Removed from the calendar.")
        self.remove_button.hide()

    def show_failure(self, text: str, retry: bool = True) -> None:
        """The server refused; say why (and let the user try again when ``retry``)."""
        self._state("failed")
        self._set_status(text)
        for button in self.buttons.values():
            button.setEnabled(retry and not button.isHidden())
        self.remove_button.setEnabled(retry)

    def clear(self) -> None:
        """No meeting message shown."""
        self.info = None
        self._close_dialog()
        self.hide()

    # -- asking ------------------------------------------------------------------------------------------------
    def choose(self, response: ResponseType, mode: SendMode) -> ResponseMessageDialog | None:
        """What a menu entry does; for SendMode.EDIT it opens the message dialog (returned)."""
        if self.info is None:
            return None
        if mode is not SendMode.EDIT:
            self.answer_requested.emit(response, mode, "")
            return None
        self._close_dialog()
        dialog = ResponseMessageDialog(VERBS[response], self.info.subject, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.send_requested.connect(lambda text: self.answer_requested.emit(response, SendMode.EDIT, text))
        dialog.destroyed.connect(lambda *_: setattr(self, "message_dialog", None))
        self.message_dialog = dialog
        dialog.open()
        return dialog

    # -- helpers -----------------------------------------------------------------------------------------------
    def _show_buttons(self, *, request: bool, cancellation: bool) -> None:
        for button in self.buttons.values():
            button.setVisible(request)
        self.remove_button.setVisible(cancellation)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))

    def _state(self, state: str) -> None:
        self.frame.setProperty("state", state)
        self.frame.style().unpolish(self.frame)
        self.frame.style().polish(self.frame)

    def _close_dialog(self) -> None:
        if self.message_dialog is not None:
            self.message_dialog.close()
            self.message_dialog = None
