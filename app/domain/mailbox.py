"""Mailboxes, the account a user signed in to, and how to reach the server."""

from __future__ import annotations

import enum
from dataclasses import dataclass


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
