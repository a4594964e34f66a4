"""Mailboxes, the account a user signed in to, and how to reach the server."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class AuthMethod(enum.Enum):
    """How Mailroom authenticates to the EWS endpoint."""

    NTLM = "ntlm"
    BASIC = "basic"


@dataclass(frozen=True)
class MailboxRef:
    """A mailbox as the user sees it: its primary SMTP address and display name.

    Attributes:
        address: Primary SMTP address, e.g. ``support@example.com``.
        display_name: The name Exchange shows, e.g. ``Customer Support``; the address when unknown.
    """

    address: str
    display_name: str = ""

    def __post_init__(self) -> None:
        if not self.display_name:
            object.__setattr__(self, "display_name", self.address)

    @property
    def key(self) -> str:
        """The case-insensitive identity of the mailbox, used to key per-mailbox work queues."""
        return self.address.casefold()

    def __str__(self) -> str:
        return f"{self.display_name} <{self.address}>"


@dataclass(frozen=True, order=True)
class ServerVersion:
    """An Exchange build number, e.g. 15.2.2562.17 for Exchange 2019 CU15."""

    major: int
    minor: int
    major_build: int = 0
    minor_build: int = 0

    @property
    def short(self) -> str:
        """``Exchange 15.2``: the product line, as the status bar shows it."""
        return f"Exchange {self.major}.{self.minor}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.major_build}.{self.minor_build}"


@dataclass(frozen=True)
class ConnectionParams:
    """Everything needed to open one mailbox over EWS.

    Attributes:
        ews_url: The EWS endpoint, e.g. ``https://mail.example.com/EWS/Exchange.asmx``.
        username: The logon name (``alice@example.com`` or ``EXAMPLE\\alice``).
        password: The password; never shown in ``repr``.
        mailbox: Primary SMTP address of the mailbox to open; the user's own when empty.
        auth: NTLM (the on-premises default) or Basic.
        version: The server build when known; skips exchangelib's version probe (one round trip).
    """

    ews_url: str
    username: str
    password: str = field(repr=False)
    mailbox: str = ""
    auth: AuthMethod = AuthMethod.NTLM
    version: ServerVersion | None = None

    @property
    def mailbox_address(self) -> str:
        """The mailbox to open: ``mailbox``, else the username when it is an address."""
        return self.mailbox or self.username.rpartition("\\")[2]


@dataclass(frozen=True)
class AccountInfo:
    """What the server told us about the mailbox we connected to.

    Attributes:
        mailbox: The mailbox that was opened.
        user: The signed-in user (the same as ``mailbox`` for one's own mailbox).
        server_version: The build from the server's ``ServerVersionInfo`` header.
        ews_url: The endpoint used.
        inbox_total: Items in the Inbox.
        inbox_unread: Unread items in the Inbox.
    """

    mailbox: MailboxRef
    user: MailboxRef
    server_version: ServerVersion
    ews_url: str
    inbox_total: int
    inbox_unread: int
