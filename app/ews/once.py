"""Writes that must happen once: sends, creates and moves whose answer can be lost on the way back.

A request can reach Exchange, be carried out, and its answer never arrive: the connection drops, a proxy answers
HTTP 500, the wait times out. The error then says nothing about whether the work was done, and a blind retry
sends a customer the same message twice or makes two folders. So a write goes out through :func:`once`: a refusal
Exchange made *before* acting (``ErrorServerBusy`` in a SOAP fault) is waited out and tried again, but an
ambiguous failure (:func:`ambiguous`) raises :class:`~app.domain.errors.OutcomeUnknown` and the caller asks the
server what happened (a message by its Internet Message-ID, a folder by name, an item by its id) before it tries
again. Those questions are reads, safe to repeat: :func:`ask` retries them a few times.

exchangelib's own retry policy (``FaultTolerance``) retries connection errors and "closed connection" answers
after the request was sent, which is exactly the blind retry to avoid; the client runs with ``FailFast``
(:mod:`app.ews.client`), and exchangelib 5.6.0 then still re-labels a lost connection as ``ErrorServerBusy``
(services/common.py ``_get_elements``), which :func:`ambiguous` sees through.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

import requests
from exchangelib import errors as ex
from exchangelib.account import Account
from exchangelib.fields import FieldPath
from exchangelib.folders import Folder
from exchangelib.items import ID_ONLY
from exchangelib.properties import DistinguishedFolderId, FolderId, ItemId
from exchangelib.restriction import Q, Restriction
from exchangelib.services import FindFolder, FindItem

from app.domain.errors import Cancelled, MailroomError, OutcomeUnknown, ServerBusy
from app.ews.addressing import WholeBodyParsing, WholeGetItem, denied_as, folder_object, well_known
from app.ews.client import EwsClient
from app.ews.convert import field_paths
from app.ews.errors import relabelled_busy, tls_failure, translate

log = logging.getLogger(__name__)
T = TypeVar("T")
OnWait = Callable[[str], None] | None

MAX_BUSY_RETRIES = 5
ASK_ATTEMPTS = 6
"""How often a question about the outcome (a read) is tried before giving up on knowing."""
ASK_PAUSE_S = 0.2

_NETWORK = (requests.exceptions.ConnectionError, requests.exceptions.Timeout, ConnectionError, TimeoutError)
# Failures after the request may have been carried out: a 5xx, a malformed answer, a lost or timed-out connection.
_AMBIGUOUS = (ex.ErrorTimeoutExpired, ex.ErrorInternalServerError, ex.ErrorInternalServerTransientError,
              ex.MalformedResponseError)


def _chain(error: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in out):
        out.append(current)
        current = current.__cause__ or current.__context__
    return out


def ambiguous(error: BaseException) -> bool:
    """True when ``error`` leaves open whether the server carried the request out.

    Ambiguous: a dropped or reset connection, a timeout, an HTTP 5xx that is not a SOAP answer, Exchange's
    ``ErrorInternalServerError``. Not ambiguous: an EWS answer (an error code is a decision the server made), a
    SOAP ``ErrorServerBusy`` (throttling refuses before acting), an untrusted certificate (nothing was sent).
    """
    if isinstance(error, MailroomError) or tls_failure(error) is not None:
        return False
    for current in _chain(error):
        if isinstance(current, (*_NETWORK, *_AMBIGUOUS)):
            return True
    return relabelled_busy(error)  # exchangelib's made-up "busy" after a lost answer


def once(client: EwsClient, mailbox: str, fn: Callable[[], T], *, denied: str, what: str,
         on_wait: OnWait = None) -> T:
    """Run a non-idempotent write once: never repeated after the server may have acted.

    Args:
        client: The user's connection.
        mailbox: For error messages.
        fn: The write (its round trip must be over when it returns).
        denied: The sentence for ``ErrorAccessDenied``.
        what: What the write does, for :class:`OutcomeUnknown` ("The message", "The folder Projects").
        on_wait: Told about waits for a busy server.

    Raises:
        OutcomeUnknown: The answer was lost; the write may or may not have been carried out.
        MailroomError: Any other failure, translated (nothing was done).
    """
    for attempt in range(MAX_BUSY_RETRIES + 1):
        try:
            with denied_as(denied):
                return fn()
        except MailroomError:
            raise
        except Exception as error:
            if ambiguous(error):
                log.info("%s: answer lost (%r); the outcome is unknown", what, error)
                raise OutcomeUnknown(f"The connection broke before the server answered about {what}: it may or "
                                     "may not have been done.") from error
            if isinstance(error, ex.ErrorServerBusy) and attempt < MAX_BUSY_RETRIES:
                delay = max(0.05, error.back_off or 2.0 * (attempt + 1))
                if on_wait is not None:
                    on_wait(f"Exchange is busy; retrying in {delay:.1f} s …")
                time.sleep(delay)
                continue
            domain = translate(error, mailbox=mailbox, server=client.ews_url)
            if domain is None:
                raise
            raise domain from error
    raise AssertionError("unreachable")


def ask(client: EwsClient, mailbox: str, question: Callable[[], T], *, what: str) -> T:
    """Ask the server a read-only question about an outcome, trying again a few times when it cannot answer.

    Raises:
        OutcomeUnknown: The server could not be asked (the outcome stays unknown).
        MailroomError: A definite refusal (no right to read the folder), translated.
    """
    last: BaseException | None = None
    for attempt in range(ASK_ATTEMPTS):
        try:
            return question()
        except Cancelled:
            raise
        except Exception as error:
            domain = translate(error, mailbox=mailbox, server=client.ews_url)
            if domain is not None and not (ambiguous(error) or isinstance(domain, ServerBusy)):
                raise domain from error
            if domain is None and not ambiguous(error):
                raise
            last = error
            back_off = getattr(error, "back_off", None)
            time.sleep(back_off if isinstance(error, ex.ErrorServerBusy) and back_off and not ambiguous(error)
                       else ASK_PAUSE_S * (attempt + 1))
    raise OutcomeUnknown(f"The server could not be asked whether {what} was done.") from last


class _FindIds(WholeBodyParsing, FindItem):
    """FindItem, the body parsed in one piece."""


def find_by_message_id(account: Account, mailbox: str, folder: str, message_id: str) -> list[str]:
    """The ids of the items in a well-known folder of ``mailbox`` whose InternetMessageId is ``message_id``.

    One FindItem with ``IsEqualTo message:InternetMessageId`` (Exchange matches it case-insensitively).
    """
    target = folder_object(account, well_known(mailbox, folder))
    restriction = Restriction(Q(message_id=message_id), folders=[target], applies_to=Restriction.ITEMS)
    found = _FindIds(account=account, page_size=10).call(
        folders=[target], additional_fields=set(), restriction=restriction, order_fields=None, shape=ID_ONLY,
        query_string=None, depth="Shallow", calendar_view=None, max_items=10, offset=0)
    out = []
    for item in found:
        if isinstance(item, Exception):
            raise item
        out.append(item.id)
    return out


def draft_exists(account: Account, draft_id: str) -> bool:
    """True while the draft ``draft_id`` is still an unsent draft (a sent draft leaves Drafts)."""
    try:
        item = WholeGetItem(account=account).get(items=[ItemId(id=draft_id)],
                                                 additional_fields=field_paths(("is_draft",)), shape=ID_ONLY)
    except (ex.ErrorItemNotFound, ex.ErrorInvalidIdMalformed):
        return False
    return bool(getattr(item, "is_draft", True))


def find_child_folder(account: Account, parent: FolderId | DistinguishedFolderId, name: str) -> str | None:
    """The id of the folder named ``name`` (case-insensitively, as Exchange compares) directly under ``parent``."""
    target = folder_object(account, parent)
    fields = {FieldPath(field=Folder.get_field_by_fieldname("name"))}
    for found in FindFolder(account=account, page_size=500).call(
            folders=[target], additional_fields=fields, restriction=None, shape=ID_ONLY, depth="Shallow",
            max_items=None, offset=0):
        if isinstance(found, Exception):
            raise found
        if (found.name or "").casefold() == name.casefold():
            return str(found.id)
    return None
