"""Fault injection for reliability tests: server-busy SOAP faults, dropped connections, bare HTTP 500s.

The decision is made per authenticated EWS request, before the Backend sees it, by a
seeded :class:`random.Random`, so a given seed and request order always inject the same
faults. ``busy``, ``drop`` and ``http500`` fail the request before the server acts on it.
``drop-after`` and ``http500-after`` carry the request out (a send is sent, a folder created)
and only then lose the answer: the connection is closed without a response, or a bare HTTP 500
replaces it. That is the failure a client cannot tell from the first kind by looking at the
error, and the one that turns a blind retry into a duplicate.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from enum import StrEnum

from ews_emulator.soap import SoapFault, fault_envelope

BUSY_MESSAGE = "The server cannot service this request right now. Try again later."
HTTP500_BODY = (
    b"500 - Internal server error.\r\nThere is a problem with the resource you are looking for.\r\n"
)


class FaultMode(StrEnum):
    """What an injected fault looks like to the client."""

    BUSY = "busy"  # HTTP 500 + SOAP fault ErrorServerBusy with BackOffMilliseconds
    DROP = "drop"  # the connection is closed without any response
    HTTP500 = "http500"  # HTTP 500 with a plain-text, non-SOAP body
    DROP_AFTER = "drop-after"  # the request is executed, then the connection is closed without a response
    HTTP500_AFTER = "http500-after"  # the request is executed, then HTTP 500 (plain text) replaces the answer

    @property
    def executes(self) -> bool:
        """True when the server carries the request out before the fault (the answer alone is lost)."""
        return self in (FaultMode.DROP_AFTER, FaultMode.HTTP500_AFTER)


@dataclass(frozen=True)
class FaultCounts:
    """How many faults of each kind were injected so far."""

    busy: int = 0
    drop: int = 0
    http500: int = 0
    drop_after: int = 0
    http500_after: int = 0

    @property
    def total(self) -> int:
        return self.busy + self.drop + self.http500 + self.drop_after + self.http500_after


class FaultInjector:
    """Decides, deterministically for a seed, which requests fail and how; counts what it injected."""

    def __init__(self, rate: float = 0.0, mode: str = "busy", seed: int = 0, back_off_ms: int = 250) -> None:
        """Create an injector.

        Args:
            rate: Probability in [0, 1] that one request is faulted.
            mode: ``busy``, ``drop``, ``http500``, ``drop-after`` or ``http500-after``.
            seed: Seed of the private random generator.
            back_off_ms: ``BackOffMilliseconds`` sent with ``busy`` faults.

        Raises:
            ValueError: For a rate outside [0, 1], an unknown mode or a negative back-off.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fail rate must be between 0 and 1, not {rate!r}")
        if back_off_ms < 0:
            raise ValueError("back_off_ms must not be negative")
        self.rate = rate
        self.mode = FaultMode(mode)
        self.back_off_ms = back_off_ms
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._counts = {m: 0 for m in FaultMode}

    def decide(self) -> FaultMode | None:
        """Return the fault to inject for the next request, or None; counts the injected fault."""
        if self.rate <= 0.0:
            return None
        with self._lock:
            if self._rng.random() >= self.rate:
                return None
            self._counts[self.mode] += 1
            return self.mode

    def counts(self) -> FaultCounts:
        """A snapshot of the counters."""
        with self._lock:
            return FaultCounts(
                busy=self._counts[FaultMode.BUSY],
                drop=self._counts[FaultMode.DROP],
                http500=self._counts[FaultMode.HTTP500],
                drop_after=self._counts[FaultMode.DROP_AFTER],
                http500_after=self._counts[FaultMode.HTTP500_AFTER],
            )

    def busy_body(self) -> bytes:
        """The SOAP fault of a ``busy`` fault (exchangelib makes it ``ErrorServerBusy.back_off``)."""
        return fault_envelope(SoapFault("ErrorServerBusy", BUSY_MESSAGE, back_off_ms=self.back_off_ms))
