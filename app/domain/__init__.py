"""Plain data and errors of Mailroom's domain. Never imports Qt or exchangelib."""

from app.domain.errors import (
    AccessDenied,
    AuthenticationFailed,
    Cancelled,
    ConnectionFailed,
    MailboxNotFound,
    MailroomError,
    NoSecureStore,
    PasswordMissing,
    ServerBusy,
    ServerError,
    user_message,
)
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion

__all__ = [
    "AccessDenied",
    "AuthMethod",
    "AuthenticationFailed",
    "Cancelled",
    "ConnectionFailed",
    "MailboxNotFound",
    "MailboxRef",
    "MailroomError",
    "NoSecureStore",
    "PasswordMissing",
    "ServerBusy",
    "ServerError",
    "ServerVersion",
    "user_message",
]
