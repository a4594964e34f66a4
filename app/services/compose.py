"""Writing mail: local autosave of drafts, saving them on the server, sending, replies and forwards.

The user's text is never lost. Every change is written (debounced) to a JSON file per draft in the platform's
user data folder (``drafts/``), before anything touches the network; the file goes away only once the message
was sent, discarded, or saved on the server as the user asked when closing. A draft whose window was open when
the app closed is offered again at the next start (:meth:`ComposeService.restorable`).

On the server a draft lives in the Drafts of the mailbox it is sent from (``app.ews.compose``). A failed send
(refused Send As, network lost, server busy) keeps the message: the server draft when it could be saved, the
local file in any case, and :attr:`ComposeService.send_failed` says what happened.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain.errors import (
    Cancelled,
    ConnectionFailed,
    MailroomError,
    OutcomeUnknown,
    SendDenied,
    ServerBusy,
    user_message,
)
from app.domain.folders import FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.message_ids import new_message_id
from app.domain.messages import AttachmentInfo, ComposeMode, Draft, LocalAttachment
from app.domain.rights import SendRight
from app.tasks import TaskHandle, TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

log = logging.getLogger(__name__)

APP_NAME = "Mailroom"
FORMAT_VERSION = 1
AUTOSAVE_MS = 400


def default_drafts_dir() -> Path:
    """``drafts/`` in the platform's per-user data folder."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / "drafts"


@dataclass(frozen=True)
class SenderChoice:
    """An address the user may pick in the From field, with what is known of the right to send from it."""

    mailbox: MailboxRef
    right: SendRight

    @property
    def label(self) -> str:
        """"Customer Support <support@example.com> — Send As"."""
        note = {
            SendRight.OWN: "",
            SendRight.SEND_AS: " — Send As",
            SendRight.SEND_ON_BEHALF: " — on behalf of",
            SendRight.NONE: " — no right to send",
            SendRight.UNKNOWN: " — send right unknown",
        }[self.right]
        return f"{self.mailbox}{note}"


# -- the local file format ------------------------------------------------------------------------------------
def draft_to_json(draft: Draft, account: str) -> dict[str, Any]:
    """A JSON-ready dict of a draft (attachment content base64)."""
    data: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "account": account,
        "from_mailbox": draft.from_mailbox,
        "to": list(draft.to),
        "cc": list(draft.cc),
        "bcc": list(draft.bcc),
        "subject": draft.subject,
        "body_html": draft.body_html,
        "mode": draft.mode.value,
        "reference_id": draft.reference_id,
        "draft_id": draft.draft_id,
        "change_key": draft.change_key,
        "local_id": draft.local_id,
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "attachment_id": a.attachment_id,
             "content": base64.b64encode(a.content).decode("ascii")}
            for a in draft.attachments
        ],
        "forwarded": [dataclasses.asdict(a) for a in draft.forwarded],
        "saved_attachment_ids": list(draft.saved_attachment_ids),
        "message_id": draft.message_id,
        "send_attempted": draft.send_attempted,
    }
    return data


def draft_from_json(data: dict[str, Any]) -> tuple[Draft, str]:
    """(draft, account) from :func:`draft_to_json`'s dict.

    Raises:
        ValueError: Not a draft file Mailroom wrote.
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        raise ValueError("not a Mailroom draft")
    draft = Draft(
        from_mailbox=str(data["from_mailbox"]),
        to=[str(x) for x in data.get("to", [])],
        cc=[str(x) for x in data.get("cc", [])],
        bcc=[str(x) for x in data.get("bcc", [])],
        subject=str(data.get("subject", "")),
        body_html=str(data.get("body_html", "")),
        attachments=[
            LocalAttachment(str(a["name"]), base64.b64decode(a.get("content", "")),
                            str(a.get("content_type", "application/octet-stream")), str(a.get("attachment_id", "")))
            for a in data.get("attachments", [])
        ],
        mode=ComposeMode(data.get("mode", "new")),
        reference_id=str(data.get("reference_id", "")),
        draft_id=str(data.get("draft_id", "")),
        change_key=str(data.get("change_key", "")),
        local_id=str(data.get("local_id", "")),
        forwarded=[AttachmentInfo(**a) for a in data.get("forwarded", [])],
        saved_attachment_ids=[str(x) for x in data.get("saved_attachment_ids", [])],
        message_id=str(data.get("message_id", "")),
        send_attempted=bool(data.get("send_attempted", False)),
    )
    return draft, str(data.get("account", ""))


def has_content(draft: Draft) -> bool:
    """True when the draft holds anything the user would miss (text, recipients, attachments)."""
    body = draft.body_html
    text = body.split("<body", 1)[-1] if body else ""
    return bool(draft.to or draft.cc or draft.bcc or draft.subject.strip() or draft.attachments
                or _visible_text(text))


def _visible_text(html: str) -> str:
    import re

    stripped = re.sub(r"<style.*?</style>|<[^>]+>|&nbsp;", " ", html, flags=re.S | re.I)
    return stripped.strip().strip(">").strip()


# -- the service ----------------------------------------------------------------------------------------------
class ComposeService(QObject):
    """Autosaves, saves, sends and restores drafts.

    Args:
        runner: The task runner; server work runs on the queue of the mailbox sent from.
        client_provider: Returns the signed-in user's ``EwsClient``.
        account_provider: Returns the signed-in user's address (local drafts are kept per account).
        drafts_dir: Where the local autosaves go (default: :func:`default_drafts_dir`).
        autosave_ms: Quiet time after the last change before the local file is written.
        parent: Qt parent.

    Signals:
        saved(Draft): a draft was saved on the server (its ``draft_id``/``change_key`` are set; by local_id).
        save_failed(str, str): local_id, user-facing reason (the local copy is kept).
        sent(Draft): a draft was sent (its local copy is gone).
        send_failed(str, str, Draft): local_id, what happened and where the message is kept, the draft as kept
            (with the server ids when the server kept it).
        status(str): a passing message for the status bar.
        send_right_learned(str, SendRight): a send taught what the user may do with an address (a refusal:
            NONE). Exchange tells delegates nothing in advance.
        idle(str): local_id: no save or send of that draft runs any more (emitted after the outcome signals,
            whatever the outcome, quiet saves and cancellations included).
    """

    saved = Signal(object)
    save_failed = Signal(str, str)
    sent = Signal(object)
    send_failed = Signal(str, str, object)
    status = Signal(str)
    send_right_learned = Signal(str, object)
    idle = Signal(str)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 account_provider: Callable[[], str], drafts_dir: Path | None = None,
                 autosave_ms: int = AUTOSAVE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._account = account_provider
        self.drafts_dir = drafts_dir if drafts_dir is not None else default_drafts_dir()
        self._pending: dict[str, Draft] = {}
        self._busy: dict[str, TaskHandle[Any]] = {}
        self._learned: dict[str, SendRight] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(autosave_ms)
        self._timer.timeout.connect(self.flush)
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)

    # -- local autosave --------------------------------------------------------------------------------------
    def new_draft(self, from_mailbox: str, **fields: Any) -> Draft:
        """A new draft with a fresh ``local_id`` and its own Internet Message-ID."""
        fields.setdefault("message_id", new_message_id(from_mailbox))
        return Draft(from_mailbox=from_mailbox, local_id=uuid.uuid4().hex, **fields)

    def changed(self, draft: Draft) -> None:
        """The user changed the draft: write it locally once they pause (debounced)."""
        if not draft.local_id:
            draft.local_id = uuid.uuid4().hex
        self._pending[draft.local_id] = _copy(draft)
        self._timer.start()

    def flush(self) -> None:
        """Write every pending change now (call before quitting)."""
        self._timer.stop()
        pending, self._pending = self._pending, {}
        for draft in pending.values():
            self.save_local(draft)

    def save_local(self, draft: Draft) -> Path | None:
        """Write the draft's local copy now (atomically); returns its path, None when the disk refused."""
        if not draft.local_id:
            draft.local_id = uuid.uuid4().hex
        self._pending.pop(draft.local_id, None)
        path = self._path(draft.local_id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps(draft_to_json(draft, self._account()), ensure_ascii=False)
            fd, tmp = tempfile.mkstemp(prefix=".draft-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.chmod(tmp, 0o600)  # it is the user's private mail
                os.replace(tmp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
        except OSError as error:
            self.status.emit(f"Could not keep a copy of your draft on this computer: {error}")
            log.warning("Local draft save failed", exc_info=error)
            return None
        return path

    def forget_local(self, draft: Draft) -> None:
        """Delete the draft's local copy (it was sent, discarded or saved on the server)."""
        self._pending.pop(draft.local_id, None)
        if draft.local_id:
            with contextlib.suppress(FileNotFoundError):
                self._path(draft.local_id).unlink()

    def has_local(self, draft: Draft) -> bool:
        """True when a local copy of the draft exists (written or pending)."""
        return draft.local_id in self._pending or self._path(draft.local_id).is_file()

    def restorable(self) -> list[Draft]:
        """The signed-in account's drafts left from an earlier session (oldest first)."""
        account = self._account().casefold()
        found: list[tuple[float, Draft]] = []
        if not self.drafts_dir.is_dir():
            return []
        for path in self.drafts_dir.glob("*.json"):
            try:
                draft, owner = draft_from_json(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError, TypeError) as error:
                log.warning("Skipping unreadable draft %s: %s", path, error)
                continue
            if owner.casefold() == account:
                found.append((path.stat().st_mtime, draft))
        return [d for _, d in sorted(found, key=lambda pair: pair[0])]

    # -- server ----------------------------------------------------------------------------------------------
    def save_to_server(self, draft: Draft, *, forget_local_after: bool = False,
                       quiet: bool = False) -> TaskHandle[Any]:
        """Save the draft in its From mailbox's Drafts; :attr:`saved` or :attr:`save_failed` follows.

        Args:
            draft: The draft (copied: the caller may go on editing).
            forget_local_after: Delete the local copy once the server has it (the window was closed with Save).
            quiet: Do not report a failure (a second try after a failed send, which was reported already).
        """
        snapshot = _copy(draft)
        self.save_local(snapshot)
        client = self._client()

        def work() -> Draft:
            from app.ews import compose

            # Not wrapped in another retry: the creating steps inside must not be repeated blindly.
            return compose.save_draft(client, snapshot, on_wait=self._status_from_worker)

        def on_result(saved: Draft) -> None:
            self._busy.pop(snapshot.local_id, None)
            saved.local_id = snapshot.local_id
            if forget_local_after:
                self.forget_local(saved)
            else:
                self.save_local(saved)
            self.saved.emit(saved)
            self.status.emit(f"Draft saved in the Drafts of {saved.from_mailbox}.")
            self._ended(snapshot.local_id)

        def on_error(error: BaseException) -> None:
            self._busy.pop(snapshot.local_id, None)
            if not (isinstance(error, Cancelled) or quiet):
                text = (f"The draft could not be saved in the Drafts of {snapshot.from_mailbox}: "
                        f"{user_message(error)} A copy is kept on this computer.")
                self.save_failed.emit(snapshot.local_id, text)
                self.status.emit(text)
            self._ended(snapshot.local_id)

        handle = self._runner.run(work, key=snapshot.from_mailbox, on_result=on_result, on_error=on_error,
                                  description=f"Saving a draft in {snapshot.from_mailbox}")
        self._busy[snapshot.local_id] = handle
        return handle

    def send(self, draft: Draft) -> TaskHandle[Any]:
        """Send the draft from its From mailbox; :attr:`sent` or :attr:`send_failed` follows.

        Before the first attempt the draft gets its Message-ID and is marked as attempted, on ``draft`` itself
        and in the local file, so that a later send (after a lost answer, or after the app restarted) first asks
        the server whether this message already went out.
        """
        check_first = draft.send_attempted
        if not draft.message_id:
            draft.message_id = new_message_id(draft.from_mailbox)
        draft.send_attempted = True
        snapshot = _copy(draft)
        self.save_local(snapshot)  # first of all: whatever happens next, the text (and its Message-ID) is on disk
        client = self._client()

        def work() -> None:
            from app.ews import compose

            # No retry around it: a send is not idempotent once the server took it (compose.send asks first).
            compose.send(client, snapshot, check_first=check_first, on_wait=self._status_from_worker)

        def on_result(_: object) -> None:
            self._busy.pop(snapshot.local_id, None)
            self.forget_local(snapshot)
            self.sent.emit(snapshot)
            self.status.emit(f"Message sent from {snapshot.from_mailbox}.")
            self._ended(snapshot.local_id)

        def on_error(error: BaseException) -> None:
            self._busy.pop(snapshot.local_id, None)
            try:
                self._after_failed_send(snapshot, error)
            finally:
                self._ended(snapshot.local_id)

        handle = self._runner.run(work, key=snapshot.from_mailbox, on_result=on_result, on_error=on_error,
                                  description=f"Sending a message from {snapshot.from_mailbox}")
        self._busy[snapshot.local_id] = handle
        return handle

    def discard(self, draft: Draft) -> None:
        """Throw the draft away: the local copy, and the server draft when there is one (to Deleted Items)."""
        self.forget_local(draft)
        if not draft.draft_id:
            return
        client = self._client()
        mailbox, ids = draft.from_mailbox, [draft.draft_id]

        def work() -> int:
            from app.ews import messages

            return int(messages.delete(client, mailbox, ids, False, lambda done, total: None, lambda: False))

        def on_error(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                self.status.emit(f"The discarded draft could not be removed from the Drafts of {mailbox}: "
                                 f"{user_message(error)}")

        self._runner.run(work, key=mailbox, on_result=lambda _: None, on_error=on_error,
                         description=f"Discarding a draft in {mailbox}")

    def prepare_response(self, folder: FolderRef, item_id: str, mode: ComposeMode, from_mailbox: str,
                         on_ready: Callable[[Draft], Any], on_error: Callable[[str], Any]) -> TaskHandle[Any]:
        """Make a reply, reply-all or forward of a message (quoted original), ready to edit."""
        client = self._client()

        def work() -> Draft:
            from app.ews import compose

            return client.retrying(
                lambda: compose.prepare_response(client, folder, item_id, mode, from_mailbox),
                mailbox=folder.mailbox, on_wait=self._status_from_worker)

        def on_result(draft: Draft) -> None:
            draft.local_id = uuid.uuid4().hex
            draft.message_id = draft.message_id or new_message_id(draft.from_mailbox)
            on_ready(draft)

        def failed(error: BaseException) -> None:
            if not isinstance(error, Cancelled):
                on_error(f"Could not prepare the {mode.value.replace('_', ' ')}: {user_message(error)}")

        return self._runner.run(work, key=folder.mailbox, on_result=on_result, on_error=failed,
                                description=f"Preparing a {mode.value} in {folder.mailbox}")

    def learned_send_right(self, address: str) -> SendRight | None:
        """What a send from ``address`` taught this session (NONE after a refusal), or None."""
        return self._learned.get(address.casefold())

    def is_busy(self, draft: Draft) -> bool:
        """True while a save or send of this draft runs."""
        return draft.local_id in self._busy

    def shutdown(self) -> None:
        """Write pending local changes; call before the task runner shuts down."""
        self.flush()

    # -- internals -------------------------------------------------------------------------------------------
    def _after_failed_send(self, draft: Draft, error: BaseException) -> None:
        """Keep the message (server draft when possible, local copy always) and say what happened."""
        if not isinstance(error, OutcomeUnknown | Cancelled):
            draft.send_attempted = False  # a definite "not sent": the next send need not ask first
        if isinstance(error, Cancelled):
            self.send_failed.emit(draft.local_id, "Sending was cancelled. Your message is kept as a draft.", draft)
            return
        if isinstance(error, SendDenied):
            self._learned[draft.from_mailbox.casefold()] = SendRight.NONE
            self.send_right_learned.emit(draft.from_mailbox, SendRight.NONE)
            kept = getattr(error, "draft", None)
            on_server = isinstance(kept, Draft)
            if isinstance(kept, Draft):
                kept.local_id = draft.local_id
                kept.send_attempted = False
                draft = kept
            self.save_local(draft)
            where = f"in the Drafts of {draft.from_mailbox} and on this computer" if on_server else "on this computer"
            text = f"Not sent: {user_message(error)} Your message is kept {where}."
            self.send_failed.emit(draft.local_id, text, draft)
            self.status.emit(text)
            return
        if isinstance(error, OutcomeUnknown):
            # Maybe sent: no server draft is made now (it could outlive a message that went out); the next Send
            # asks the server first and sends only if it had not gone out.
            text = ("Not sent — not confirmed: the connection broke and the server could not be asked whether "
                    "the message went out. Press Send again: Mailroom checks first and never sends it twice. "
                    "Your message is kept on this computer.")
            self.save_local(draft)
            self.send_failed.emit(draft.local_id, text, draft)
            self.status.emit(text)
            return
        reason = user_message(error)
        if not isinstance(error, MailroomError):
            log.error("Send failed", exc_info=error)
        if isinstance(error, ConnectionFailed | ServerBusy):
            lead = "Not sent: the server could not be reached or was busy."
        else:
            lead = "Not sent."
        # Try to keep it on the server too; the local copy is already written.
        text = f"{lead} {reason} Your message is kept as a draft on this computer; try again."
        self.save_local(draft)
        self.send_failed.emit(draft.local_id, text, draft)
        self.status.emit(text)
        self.save_to_server(draft, quiet=True)

    def _ended(self, local_id: str) -> None:
        """Say :attr:`idle` for a draft once its last task is over (a failed send may have started a save)."""
        if local_id not in self._busy:
            self.idle.emit(local_id)

    def _path(self, local_id: str) -> Path:
        safe = "".join(c for c in local_id if c.isalnum() or c in "-_") or "draft"
        return self.drafts_dir / f"{safe}.json"

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_status.emit(text)


def _copy(draft: Draft) -> Draft:
    return dataclasses.replace(
        draft, to=list(draft.to), cc=list(draft.cc), bcc=list(draft.bcc),
        attachments=[dataclasses.replace(a) for a in draft.attachments], forwarded=list(draft.forwarded),
        saved_attachment_ids=list(draft.saved_attachment_ids))
