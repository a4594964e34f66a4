"""The one retry policy for EWS work: transient failures of reads are tried again, writes are never resent blindly.

A piece of work (a callable doing one or more EWS requests) is tried again after a failure when

* the failure is transient (:attr:`~app.domain.errors.MailroomError.transient`: a dropped or reset connection, a
  timeout, an HTTP 5xx, Exchange busy), and
* everything the failed attempt sent was an idempotent read (:mod:`app.ews.exchanges` records the operations),
  or the server refused the request outright (``ErrorServerBusy``: it did nothing, so even a write may go again).

A write whose answer was lost (CreateItem, SendItem, MoveItem ...) is never sent again here: whether it happened is
unknown, and resending could duplicate it (sending exactly once is :mod:`app.ews.compose`'s business).

Waits grow exponentially with jitter ("equal jitter": half fixed, half random), never shorter than the server's
``BackOffMilliseconds``; the attempts and the total wait are bounded, and a wait ends early when the work is
cancelled. Work nested in other work is tried once: the outermost call owns the retries.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from app.domain.errors import (
    Cancelled,
    CertificateUntrusted,
    ConnectionFailed,
    ConnectionLost,
    MailroomError,
    ServerBusy,
)
from app.ews import exchanges
from app.ews.errors import log_failure, logging_deferred, translated

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again.

    Attributes:
        max_retries: Tries after the first one.
        base_delay: The first wait (seconds) when the server named none; it doubles with each retry.
        max_delay: The longest single wait we choose ourselves.
        max_total_wait: Give up rather than wait longer than this in total (a server back-off included).
    """

    max_retries: int = 5
    base_delay: float = 0.25
    max_delay: float = 4.0
    max_total_wait: float = 60.0

    def delay(self, retry: int, error: MailroomError, rng: random.Random) -> float:
        """The wait before retry number ``retry`` (1-based) after ``error``."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (retry - 1))
        ours = ceiling / 2 + rng.uniform(0, ceiling / 2)
        asked = error.back_off_seconds if isinstance(error, ServerBusy) else None
        if asked:
            return asked * (1 + rng.uniform(0, 0.1))  # the server's back-off, spread a little
        return ours


DEFAULT_POLICY = RetryPolicy()


def may_retry(error: MailroomError, record: exchanges.ExchangeRecord) -> bool:
    """True when ``error`` is transient and resending what ``record`` sent cannot do anything twice."""
    if not error.transient:
        return False
    refused = isinstance(error, ServerBusy)  # Exchange did nothing: safe for writes too
    return refused or record.only_reads


class Connectivity:
    """Whether the server answered lately: listeners hear when it answers again after a connection failure.

    Listeners are called on the worker thread that saw the answer; hop to your own thread.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down = False
        self._listeners: list[Callable[[], None]] = []

    @property
    def down(self) -> bool:
        """True after a connection failure until the next answer."""
        with self._lock:
            return self._down

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener()`` each time the server answers again after being unreachable."""
        with self._lock:
            self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def failed(self) -> None:
        """A request got no usable answer (connection lost, HTTP 5xx, busy)."""
        with self._lock:
            self._down = True

    def answered(self) -> None:
        """The server answered (with a result or a definite EWS error)."""
        with self._lock:
            was_down, self._down = self._down, False
            listeners = list(self._listeners) if was_down else []
        for listener in listeners:
            listener()


_nested = threading.local()


def call(fn: Callable[[], T], *, mailbox: str = "", server: str = "", feature: str = "",
         on_wait: Callable[[str], None] | None = None, cancelled: Callable[[], bool] | None = None,
         connectivity: Connectivity | None = None, policy: RetryPolicy = DEFAULT_POLICY,
         rng: random.Random | None = None) -> T:
    """Run ``fn`` with errors translated, trying again after transient failures where that is safe.

    Args:
        fn: The blocking EWS work (it must finish its round trips before it returns).
        mailbox: The mailbox it is about, for messages.
        server: The endpoint, for messages.
        feature: What the work is about in the user's words ("labels"), for an unusable answer.
        on_wait: Told "… trying again in 2 s …" before each wait.
        cancelled: Polled while waiting; True ends the work with :class:`Cancelled`.
        connectivity: Told about answers and connection failures.
        policy: Attempts and waits.
        rng: The jitter's random source (tests pass a seeded one).

    Raises:
        MailroomError: The translated failure once no retry is allowed or left.
    """
    if getattr(_nested, "depth", 0):
        with translated(mailbox=mailbox, server=server, feature=feature):
            return fn()
    rng = rng or random.Random()
    waited = 0.0
    retry = 0
    while True:
        _nested.depth = 1
        try:
            with exchanges.recording() as record, logging_deferred(), \
                    translated(mailbox=mailbox, server=server, feature=feature):
                result = fn()
        except MailroomError as error:
            _note(connectivity, error, record)
            retry += 1
            delay = policy.delay(retry, error, rng)
            if retry > policy.max_retries or not may_retry(error, record) or waited + delay > policy.max_total_wait:
                log_failure(error, mailbox, record)  # once, with the detail of the last attempt
                raise
            log.info("Retry %d for %s in %.2f s after %s (%s)", retry, mailbox or "the server", delay,
                     type(error.__cause__ or error).__name__, record.summary())
            if on_wait is not None:
                on_wait(_wait_text(error, delay))
            sleep(delay, cancelled)
            waited += delay
            continue
        finally:
            _nested.depth = 0
        if connectivity is not None and record.answered:
            connectivity.answered()
        return result


def _note(connectivity: Connectivity | None, error: MailroomError, record: exchanges.ExchangeRecord) -> None:
    if connectivity is None or isinstance(error, Cancelled):
        return
    if error.transient or (isinstance(error, ConnectionFailed) and not isinstance(error, CertificateUntrusted)):
        connectivity.failed()
    elif record.answered:
        connectivity.answered()  # a definite answer (denied, not found ...) is an answer


def _wait_text(error: MailroomError, delay: float) -> str:
    if isinstance(error, ServerBusy):
        return f"Exchange is busy; trying again in {delay:.1f} s …"
    if isinstance(error, ConnectionLost):
        return f"The connection to the server was interrupted; trying again in {delay:.1f} s …"
    return f"The server had a temporary problem; trying again in {delay:.1f} s …"


def sleep(seconds: float, cancelled: Callable[[], bool] | None) -> None:
    """Wait ``seconds``, polling ``cancelled`` every 0.1 s.

    Raises:
        Cancelled: ``cancelled()`` became true.
    """
    end = time.monotonic() + seconds
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        if cancelled is not None and cancelled():
            raise Cancelled("Cancelled while waiting to try again.")
        time.sleep(min(left, 0.1))
