"""What one piece of EWS work sent and got back: the operations it asked for, each classified read or write.

Every HTTP request exchangelib makes goes through :class:`RecordingHTTPAdapter` (its ``HTTP_ADAPTER_CLS``). While
a piece of work runs under :func:`recording`, the adapter notes each request's EWS operation (the first element of
the SOAP body) and each answer's HTTP status, size and type. That record is what the retry policy
(:mod:`app.ews.retry`) asks "may this be sent again?" and what the log gets as a summary of a failed exchange:
operation names and statuses only, never a body.

An operation is an idempotent read when it is in :data:`READ_OPERATIONS`; anything else (CreateItem, SendItem,
MoveItem, UpdateFolder, an operation we cannot name ...) counts as a write.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests.adapters
from exchangelib.protocol import BaseProtocol

READ_OPERATIONS = frozenset({
    # Folders and items
    "GetFolder", "FindFolder", "SyncFolderHierarchy", "FindItem", "GetItem", "SyncFolderItems", "GetAttachment",
    "FindConversation", "GetConversationItems", "GetReminders",
    # Configuration, rules, settings
    "GetUserConfiguration", "GetInboxRules", "GetUserOofSettings", "GetDelegate", "GetUserSettings",
    "GetServerTimeZones", "GetUserRetentionPolicyTags", "GetMailTips", "GetPasswordExpirationDate",
    # People, availability, rooms
    "ResolveNames", "ExpandDL", "FindPeople", "GetPersona", "GetUserAvailability", "GetRoomLists", "GetRooms",
    "GetUserPhoto", "ConvertId", "GetSearchableMailboxes",
    # Notifications (reading events of an existing subscription)
    "GetEvents", "GetStreamingEvents",
})
"""EWS operations that change nothing on the server: sending one again after a lost answer is harmless."""

_OPERATION = re.compile(rb"<(?:[\w.-]+:)?Body\b[^>]*>\s*<(?:[\w.-]+:)?([A-Za-z]+)")
_local = threading.local()


def operation_of(body: bytes | str | None) -> str:
    """The EWS operation a SOAP request asks for (``"GetFolder"``), or "" when the body names none."""
    if body is None:
        return ""
    data = body.encode("utf-8", "replace") if isinstance(body, str) else bytes(body)
    found = _OPERATION.search(data)
    return found.group(1).decode("ascii") if found else ""


def is_read(operation: str) -> bool:
    """True for an idempotent read (:data:`READ_OPERATIONS`); an unnamed operation is a write."""
    return operation in READ_OPERATIONS


@dataclass
class Answer:
    """One HTTP answer: the operation it answered, its status, content type and size."""

    operation: str
    status: int
    content_type: str
    size: int

    def __str__(self) -> str:
        kind = self.content_type.split(";")[0] or "no content type"
        return f"{self.operation or 'request'} -> HTTP {self.status} ({kind}, {self.size} bytes)"


@dataclass
class ExchangeRecord:
    """What one attempt of a piece of work sent (``sent``: operation names, in order) and got back."""

    sent: list[str] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    @property
    def only_reads(self) -> bool:
        """True when everything sent so far was an idempotent read (also when nothing was sent)."""
        return all(is_read(op) for op in self.sent)

    @property
    def answered(self) -> bool:
        """True once the server answered at least one request of this attempt."""
        return bool(self.answers)

    @property
    def last_operation(self) -> str:
        """The operation of the last request sent, or ""."""
        return self.sent[-1] if self.sent else ""

    def summary(self) -> str:
        """One line for the log: the operations sent and the answers' statuses (no bodies, no headers)."""
        sent = ", ".join(self.sent) or "nothing"
        answers = "; ".join(str(a) for a in self.answers) or "no answer"
        return f"sent {sent}; got {answers}"


def current() -> ExchangeRecord | None:
    """The record of the work running on this thread under :func:`recording`, or None."""
    return getattr(_local, "record", None)


@contextmanager
def recording() -> Iterator[ExchangeRecord]:
    """Record the requests made on this thread inside the block (nested blocks share the outer record)."""
    outer = current()
    if outer is not None:
        yield outer
        return
    record = ExchangeRecord()
    _local.record = record
    try:
        yield record
    finally:
        _local.record = None


class RecordingHTTPAdapter(requests.adapters.HTTPAdapter):
    """exchangelib's HTTP adapter, noting each request's EWS operation and each answer in :func:`current`.

    The operation is noted before the request goes out, so a write whose connection dropped still counts as sent.
    """

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        record = current()
        operation = operation_of(request.body) if record is not None else ""
        if record is not None:
            record.sent.append(operation)
        response = super().send(request, *args, **kwargs)
        if record is not None:
            record.answers.append(Answer(operation, int(response.status_code),
                                         response.headers.get("Content-Type", ""),
                                         int(response.headers.get("Content-Length", "0") or 0)))
        return response


def install_recording() -> None:
    """Make exchangelib's sessions use :class:`RecordingHTTPAdapter` (idempotent; a subclass already set stays)."""
    if not issubclass(BaseProtocol.HTTP_ADAPTER_CLS, RecordingHTTPAdapter):
        BaseProtocol.HTTP_ADAPTER_CLS = RecordingHTTPAdapter
