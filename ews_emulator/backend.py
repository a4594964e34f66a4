"""The contract between the HTTP front end (``server.py``) and the Exchange logic behind it.

The HTTP layer authenticates the caller (Basic, NTLM, Bearer) and hands the raw SOAP
request to a :class:`Backend` together with the authenticated principal. It knows nothing
about mailboxes, folders or rights.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass
class HttpResult:
    """What the HTTP layer writes back.

    ``body`` is either the whole answer or, for streaming notifications, an iterator of
    chunks: the server then uses chunked transfer encoding and flushes every chunk.
    """

    status: int
    body: bytes | Iterator[bytes]
    content_type: str = "text/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class StreamDropped(Exception):
    """Raised by a streamed body to drop the connection mid-answer, as a network failure or a recycled front end
    does: the HTTP layer closes the socket without ending the chunked body."""


class Backend(Protocol):
    """What the HTTP server asks of the Exchange emulation."""

    def check_password(self, address: str, password: str) -> str | None:
        """Return the canonical primary SMTP address if the password is right for a user who may log on."""

    def logon_accounts(self) -> list[tuple[str, str]]:
        """(primary SMTP address, password) for every account that may log on (used to seed NTLM)."""

    def resolve_logon(self, name: str) -> str | None:
        """Map a logon name (``alice``, ``alice@example.com``, ``EXAMPLE\\alice``) to a primary SMTP address."""

    def handle_ews(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        """Answer one SOAP request at ``/EWS/Exchange.asmx`` for the authenticated ``principal``."""

    def handle_autodiscover(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        """Answer one SOAP Autodiscover request at ``/autodiscover/autodiscover.svc``."""

    def handle_pox_autodiscover(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        """Answer one POX (Outlook) Autodiscover request at ``/autodiscover/autodiscover.xml``."""
