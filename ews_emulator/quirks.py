"""Deliberate deviations from Exchange, switched on one by one to test clients against other servers.

Exchange is the reference the emulator follows. Real EWS servers that are not Exchange (and some Exchange builds
behind odd proxies) answer in other shapes; a client must survive those too. Each quirk names one such shape.
None is on by default, so normal behaviour never changes: a test (or ``--quirk NAME`` on the command line) turns
on exactly the deviations it wants to see.

Handlers ask ``ctx.backend.quirks.on(Quirk.X)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Quirk(StrEnum):
    """One named deviation from Exchange's documented behaviour."""

    # Exchange 2007 and 2010 RTM have no streaming notifications (they came with 2010 SP1): Subscribe with a
    # StreamingSubscriptionRequest is refused (ErrorInvalidSubscriptionRequest) and GetStreamingEvents is unknown.
    NO_STREAMING = "no-streaming"


class Quirks:
    """The set of quirks switched on for one emulator (empty: behave as Exchange)."""

    def __init__(self, names: Iterable[str | Quirk] = ()) -> None:
        """Switch on ``names``.

        Raises:
            ValueError: For a name that is not a :class:`Quirk`.
        """
        self._on = frozenset(Quirk(name) for name in names)

    def on(self, quirk: Quirk) -> bool:
        """True when ``quirk`` is switched on."""
        return quirk in self._on

    def __bool__(self) -> bool:
        return bool(self._on)

    def __repr__(self) -> str:
        return f"Quirks({sorted(self._on)!r})"
