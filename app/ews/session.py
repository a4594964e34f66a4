"""Open a mailbox over EWS: credentials, configuration, the first round trips, and who we are talking to.

Blocking: run :func:`connect` through :mod:`app.tasks`, never on the GUI thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

from exchangelib import BASIC, DELEGATE, NTLM, Account, Build, Configuration, Credentials, FailFast, Version
from exchangelib.properties import Mailbox
from exchangelib.protocol import Protocol

from app.domain.errors import Cancelled
from app.domain.mailbox import AccountInfo, AuthMethod, ConnectionParams, MailboxRef, ServerVersion
from app.ews.errors import translated

_AUTH_TYPES = {AuthMethod.NTLM: NTLM, AuthMethod.BASIC: BASIC}


class MailboxSession:
    """An open mailbox: the exchangelib ``Account`` plus what we learned while opening it.

    The GUI thread may hold a session and read :attr:`info`; everything else on it blocks and belongs in a
    task queued under ``info.mailbox.key``, so that calls to one mailbox never overlap.
    """

    def __init__(self, account: Account, info: AccountInfo) -> None:
        self._account = account
        self._info = info

    @property
    def info(self) -> AccountInfo:
        """Who and what we connected to."""
        return self._info

    @property
    def account(self) -> Account:
        """The exchangelib account, for the other modules of :mod:`app.ews` only."""
        return self._account

    def close(self) -> None:
        """Close the HTTP connections of this session (the pool reopens them if the session is used again)."""
        self._account.protocol.close()


def connect(params: ConnectionParams, *, cancelled: Callable[[], bool] | None = None) -> MailboxSession:
    """Sign in and open a mailbox: fetch its Inbox, the display names and the server version.

    Args:
        params: Endpoint, credentials and the mailbox to open.
        cancelled: Polled between round trips; when it returns True, :class:`Cancelled` is raised.

    Returns:
        The open session.

    Raises:
        AuthenticationFailed: Wrong user name or password.
        ConnectionFailed: The server cannot be reached or does not speak EWS.
        AccessDenied: The user may not open this mailbox.
        MailboxNotFound: The mailbox does not exist.
        Cancelled: ``cancelled()`` said so.
    """
    address = params.mailbox_address

    def check() -> None:
        if cancelled is not None and cancelled():
            raise Cancelled(f"Connecting to {address} was cancelled.")

    with translated(mailbox=address, server=params.ews_url):
        config = Configuration(
            service_endpoint=params.ews_url,
            credentials=Credentials(params.username, params.password),
            auth_type=_AUTH_TYPES[params.auth],
            version=_to_version(params.version),
            retry_policy=FailFast(),
        )
        account = Account(address, config=config, autodiscover=False, access_type=DELEGATE)
        try:
            check()
            # GetFolder root, then GetFolder inbox (after a ConvertId probe when the version is unknown).
            inbox = account.inbox
            check()
            user_address = params.username.rpartition("\\")[2]
            names = _resolve_display_names(account, [address, user_address])
            build = account.version.build  # updated from every response's ServerVersionInfo header
            info = AccountInfo(
                mailbox=MailboxRef(address, names.get(address.casefold(), "")),
                user=MailboxRef(user_address, names.get(user_address.casefold(), "")),
                server_version=ServerVersion(
                    build.major_version, build.minor_version, build.major_build, build.minor_build
                ),
                ews_url=params.ews_url,
                inbox_total=int(inbox.total_count or 0),
                inbox_unread=int(inbox.unread_count or 0),
            )
        except BaseException:
            _discard_protocol(config)
            raise
    return MailboxSession(account, info)


def _discard_protocol(config: Configuration) -> None:
    """Close the connections of a failed sign-in and drop its cached protocol.

    exchangelib caches one ``Protocol`` per (endpoint, credentials) for the life of the process (protocol.py,
    CachingProtocol); the entry of a failed sign-in (often a wrong password) would otherwise stay there, with
    its password and its open connections.
    """
    with contextlib.suppress(KeyError):
        protocol, _created = Protocol[config]
        if not isinstance(protocol, Exception):
            protocol.close()
        del Protocol[config]


def _to_version(version: ServerVersion | None) -> Version | None:
    if version is None:
        return None
    return Version(build=Build(version.major, version.minor, version.major_build, version.minor_build))


def _resolve_display_names(account: Account, addresses: Iterable[str]) -> dict[str, str]:
    """Display names by casefolded address, looked up in the directory (one ResolveNames call per address).

    exchangelib's ``resolve_names`` accepts a list and sends one ``UnresolvedEntry`` per name, but the EWS schema
    allows exactly one per request and Exchange answers more with ErrorSchemaValidation: never pass it several.
    """
    names: dict[str, str] = {}
    for address in sorted({a.casefold() for a in addresses if "@" in a}):
        for result in account.protocol.resolve_names([address], search_scope="ActiveDirectory"):
            # Unresolvable entries come back as exception instances (ErrorNameResolutionNoResults), not raised.
            if (
                isinstance(result, Mailbox)
                and result.name
                and (result.email_address or "").casefold() == address
            ):
                names[address] = result.name
                break
    return names
