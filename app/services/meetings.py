"""Meeting requests and cancellations in any open mailbox: reading what the meeting bar shows and answering.

Each call runs on the mailbox's task queue (in order with the user's other actions on it). Results and failures
go to the callbacks given (the meeting bar shows a refusal inline), and a failure without a callback goes to
:attr:`MeetingService.error`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from app.domain.calendar import ResponseType
from app.domain.errors import Cancelled, user_message
from app.domain.folders import FolderRef
from app.domain.meetings import MeetingInfo, MeetingKind
from app.ews import meeting_requests
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

OnError = Callable[[str], Any] | None


class MeetingService(QObject):
    """Answers meeting requests for the mailbox that received them.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient`` (called on the GUI thread).
        parent: Qt parent.

    Signals:
        answered(str, str, ResponseType): (mailbox, request item id, response) a request was answered.
        calendar_changed(FolderRef): the mailbox's calendar changed (answered or a cancelled meeting removed).
        error(str): a failure nobody else took; user-facing text.
    """

    answered = Signal(str, str, object)
    calendar_changed = Signal(object)
    error = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider

    def _run(self, fn: Callable[[EwsClient], Any], mailbox: str, description: str,
             on_result: Callable[[Any], Any], on_error: OnError) -> TaskHandle[Any]:
        client = self._client()

        def failed(error: BaseException) -> None:
            if isinstance(error, Cancelled):
                return
            text = user_message(error)
            (on_error or self.error.emit)(text)

        return self._runner.run(lambda: fn(client), key=mailbox, description=description, on_result=on_result,
                                on_error=failed)

    def load(self, mailbox: str, item_id: str, kind: MeetingKind, on_result: Callable[[MeetingInfo], Any],
             on_error: OnError = None) -> TaskHandle[Any]:
        """The meeting a request or cancellation is about, and whether the user may answer it."""
        return self._run(lambda c: meeting_requests.meeting_info(c, mailbox, item_id, kind), mailbox,
                         "Read meeting request", on_result, on_error)

    def respond(self, mailbox: str, item_id: str, response: ResponseType, message: str = "", *, send: bool = True,
                on_result: Callable[[Any], Any] | None = None, on_error: OnError = None) -> TaskHandle[Any]:
        """Accept / tentatively accept / decline as ``mailbox`` (``send=False``: "Don't send a response")."""
        def done(_result: Any) -> None:
            self.answered.emit(mailbox, item_id, response)
            self.calendar_changed.emit(FolderRef(mailbox, well_known="calendar"))
            if on_result is not None:
                on_result(response)

        return self._run(lambda c: meeting_requests.respond(c, item_id, response, message, mailbox=mailbox,
                                                            send=send),
                         mailbox, "Respond to meeting", done, on_error)

    def remove_from_calendar(self, mailbox: str, calendar_item_id: str,
                             on_result: Callable[[Any], Any] | None = None,
                             on_error: OnError = None) -> TaskHandle[Any]:
        """Take a cancelled meeting out of the mailbox's calendar."""
        def done(_result: Any) -> None:
            self.calendar_changed.emit(FolderRef(mailbox, well_known="calendar"))
            if on_result is not None:
                on_result(None)

        return self._run(lambda c: meeting_requests.remove_from_calendar(c, mailbox, calendar_item_id), mailbox,
                         "Remove cancelled meeting", done, on_error)
