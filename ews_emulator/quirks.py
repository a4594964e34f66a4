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

    # grommunio Gromox: EffectiveRights (of folders and items) without the optional ViewPrivateItems element.
    NO_VIEW_PRIVATE_ITEMS = "no-view-private-items"
    # grommunio Gromox (and Exchange stores without content indexing for a path) refuse a restriction that
    # filters on the message body: the whole FindItem fails with ErrorUnsupportedPathForQuery.
    NO_BODY_SEARCH = "no-body-search"
    # grommunio Gromox (and Exchange 2007, or a proxy publishing only the Outlook endpoint) serve no SOAP
    # Autodiscover: /autodiscover/autodiscover.svc answers 404, before any authentication.
    NO_SOAP_AUTODISCOVER = "no-soap-autodiscover"
    # Servers without the POX (Outlook) Autodiscover endpoint either (EWS-only hosts, some reverse proxies):
    # /autodiscover/autodiscover.xml answers 404, before any authentication.
    NO_POX_AUTODISCOVER = "no-pox-autodiscover"
    # grommunio Gromox answers a FindItem CalendarView with a recurring series as its master item
    # (CalendarItemType RecurringMaster, the master's own Start/End), its occurrences not expanded.
    CALENDAR_VIEW_MASTERS = "calendar-view-masters"
    # GetUserConfiguration answers NoError but leaves out the UserConfiguration element (messages.xsd makes it
    # optional; Exchange always sends it, or ErrorItemNotFound): how EWS servers other than Exchange answer for a
    # configuration such as Outlook's CategoryList that they do not keep. exchangelib raises ValueError on it.
    EMPTY_CONFIGURATION_ANSWER = "empty-configuration-answer"
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
