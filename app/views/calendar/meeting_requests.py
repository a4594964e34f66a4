"""What the reading pane's meeting bar does: load the meeting a request or cancellation is about, answer it as the
mailbox that received it (per the user's rights on that mailbox's calendar), remove a cancelled meeting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from PySide6.QtCore import QObject

from app.domain.calendar import ResponseType
from app.domain.meetings import MeetingInfo, MeetingKind, SendMode, response_capability
from app.domain.messages import MessageDetail
from app.domain.rights import ALLOWED, Capability
from app.views.meeting_bar import MeetingBar


class MeetingRequests(QObject):
    """Connects a :class:`MeetingBar` to the :class:`~app.services.meetings.MeetingService`.

    Args:
        reading_pane: The reading pane (its ``meeting_shown`` signal and ``meeting_bar``).
        service: The meeting service.
        mailbox: The address of the mailbox whose folder is shown (the one the message is in).
        tz: The time zone times are shown in.
        status: Where passing messages go (the status bar).
    """

    def __init__(self, reading_pane: Any, service: Any, mailbox: Callable[[], str | None], tz: tzinfo,
                 status: Callable[[str], Any] = lambda _t: None) -> None:
        super().__init__(reading_pane)
        self.bar: MeetingBar = reading_pane.meeting_bar
        self.service = service
        self._mailbox = mailbox
        self.tz = tz
        self._status = status
        self.current: tuple[str, str] | None = None  # (mailbox, item id) of the message the bar is about
        reading_pane.meeting_shown.connect(self.load)
        self.bar.answer_requested.connect(self.answer)
        self.bar.remove_requested.connect(self.remove)

    def load(self, detail: MessageDetail, kind: MeetingKind) -> None:
        mailbox = self._mailbox()
        if not mailbox:
            self.bar.clear()
            return
        key = (mailbox, detail.summary.item_id)
        self.current = key
        self.service.load(mailbox, detail.summary.item_id, kind,
                          on_result=lambda info: self._loaded(key, info),
                          on_error=lambda text: self._failed(key, text, retry=False))

    def _loaded(self, key: tuple[str, str], info: MeetingInfo) -> None:
        if self.current != key:
            return  # another message is shown by now
        self.bar.show_info(info, self.capability(info), self.tz)

    @staticmethod
    def capability(info: MeetingInfo) -> Capability:
        """Answer a request (the server wants Modify on the calendar item) or remove a cancellation (DeleteItem:
        the server wants Delete on it)."""
        if info.kind is MeetingKind.CANCELLATION:
            return ALLOWED if info.can_delete_calendar_item else Capability(False, info.delete_reason)
        return response_capability(info)

    def _failed(self, key: tuple[str, str], text: str, retry: bool = True) -> None:
        if self.current == key:
            self.bar.show_failure(text, retry=retry)

    def answer(self, response: ResponseType, mode: SendMode, message: str) -> None:
        info = self.bar.info
        if info is None or self.current is None or not self.capability(info):
            return
        key = self.current
        send = mode is not SendMode.DONT_SEND
        self.bar.show_busy(response)

        def done(_r: Any) -> None:
            self._status(f"Answered “{info.subject}” for {info.mailbox}.")
            if self.current == key:
                self.bar.show_answered(response, send)

        def failed(text: str) -> None:
            if send and "send as" in text.lower():
                text += " “Don't send a response” still answers in the calendar."
            self._failed(key, text)

        self.service.respond(info.mailbox, info.item_id, response, message if mode is SendMode.EDIT else "",
                             send=send, on_result=done, on_error=failed)

    def remove(self) -> None:
        info = self.bar.info
        if info is None or self.current is None or not info.calendar_item_id or not self.capability(info):
            return
        key = self.current

        def done(_r: Any) -> None:
            if self.current == key:
                self.bar.show_removed()

        self.service.remove_from_calendar(info.mailbox, info.calendar_item_id, on_result=done,
                                          on_error=lambda text: self._failed(key, text))
