"""The reading flow of the main window: the list's selection shown in the reading pane, then marked read.

One selected message is loaded (``MailService.load_detail``) and shown; once shown, it is marked read after the
``MARK_READ_DELAY_MS`` setting if the user may (a negative delay: never). Several or no selected messages clear
the pane with a prompt. A newer selection, or :meth:`ReadingFlow.forget_shown`, drops the load in flight and the
pending mark-read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from app.domain.messages import MessageDetail, MessageSummary
from app.domain.rights import Action
from app.settings import MARK_READ_DELAY_MS

if TYPE_CHECKING:
    from app.views.main_window import MainWindow

SELECT_PROMPT = "Select a message to read it."


class ReadingFlow(QObject):
    """Loads the selected message into the reading pane and marks it read (owned by the main window).

    Args:
        window: The main window (services, list model, reading pane, folder, capabilities).
    """

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window
        self._detail_handle: Any = None
        self._shown_id = ""
        self._mark_timer = QTimer(self)
        self._mark_timer.setSingleShot(True)
        self._mark_timer.timeout.connect(self._mark_shown_read)

    @property
    def shown_id(self) -> str:
        """The item id of the message shown (or loading) in the reading pane; "" when none."""
        return self._shown_id

    def on_selection(self, summaries: list[MessageSummary]) -> None:
        """The list's selection changed: update the actions and show the one selected message (or a prompt)."""
        w = self._w
        w.update_actions()
        if len(summaries) == 1:
            if summaries[0].item_id != self._shown_id:
                self._load_detail(summaries[0])
            return
        self._drop()
        if summaries:
            w.reading_pane.clear(f"{len(summaries)} messages selected.")
        elif w.folder is not None:
            w.reading_pane.clear(SELECT_PROMPT)

    def on_body_loaded(self, ok: bool) -> None:
        """The reading pane finished rendering: announce the message on the window's ``message_shown``."""
        detail = self._w.reading_pane.current()
        if ok and detail is not None:
            self._w.message_shown.emit(detail)

    def forget_shown(self) -> None:
        """The list is about to change under the reading pane: show the prompt."""
        self._drop()
        self._w.reading_pane.clear(SELECT_PROMPT)

    def stop(self) -> None:
        """The window closes: no message is marked read any more."""
        self._mark_timer.stop()

    def _drop(self) -> None:
        if self._detail_handle is not None:
            self._detail_handle.cancel()
        self._detail_handle = None
        self._mark_timer.stop()
        self._shown_id = ""

    def _load_detail(self, summary: MessageSummary) -> None:
        w = self._w
        folder = w.folder
        if folder is None:
            return
        self._drop()
        self._shown_id = summary.item_id

        def shown(detail: MessageDetail) -> None:
            if self._shown_id != summary.item_id:
                return
            self._detail_handle = None
            w.reading_pane.show_message(detail)
            w.commands.fetch_inline_images(folder, detail)
            self._start_mark_read(summary)

        def failed(text: str) -> None:
            if self._shown_id == summary.item_id:
                self._detail_handle = None
                w.reading_pane.clear(text)

        self._detail_handle = w.services.mail.load_detail(folder, summary.item_id, shown, failed)

    def _start_mark_read(self, summary: MessageSummary) -> None:
        delay = int(self._w.services.session.settings[MARK_READ_DELAY_MS])
        cap = self._w.current_capabilities.get(Action.MARK_READ)
        if summary.is_read or delay < 0 or cap is None or not cap.allowed:
            return
        self._mark_timer.start(delay)

    def _mark_shown_read(self) -> None:
        folder = self._w.folder
        if folder is None or not self._shown_id:
            return
        model = self._w.list_model
        row = model.row_of(self._shown_id)
        if row < 0 or model.summary(row).is_read:
            return
        self._w.services.mail.mark_read(folder, [self._shown_id], True)
