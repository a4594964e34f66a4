"""app.ews.session against the emulator over real HTTP: sign-in, display names, version, error mapping."""

from __future__ import annotations

import socket

import pytest

from app.domain.errors import AccessDenied, AuthenticationFailed, Cancelled, ConnectionFailed, MailboxNotFound
from app.domain.mailbox import AuthMethod, ConnectionParams, ServerVersion
from app.ews.session import connect

EXCHANGE_2019_CU15 = ServerVersion(15, 2, 2562, 17)


@pytest.mark.parametrize("auth", [AuthMethod.NTLM, AuthMethod.BASIC])
def test_connect_to_own_mailbox(emulator, auth: AuthMethod) -> None:
    session = connect(ConnectionParams(emulator.ews_url, "alice@example.com", "alice-pass", auth=auth))
    try:
        info = session.info
        assert info.mailbox.address == "alice@example.com"
        assert info.mailbox.display_name == "Alice Archer"
        assert info.user == info.mailbox
        assert info.server_version == EXCHANGE_2019_CU15
        assert info.server_version.short == "Exchange 15.2"
        assert info.ews_url == emulator.ews_url
        assert info.inbox_total > 0, "the demo tenant gives every personal mailbox a few messages"
        assert 0 <= info.inbox_unread <= info.inbox_total
    finally:
        session.close()


def test_connect_with_known_version_skips_the_probe(emulator) -> None:
    params = ConnectionParams(emulator.ews_url, "bob@example.com", "bob-pass", version=EXCHANGE_2019_CU15)
    session = connect(params)
    try:
        assert session.info.mailbox.display_name == "Bob Baker"
        assert session.info.server_version == EXCHANGE_2019_CU15
    finally:
        session.close()


def test_connect_to_shared_mailbox_with_full_access(emulator) -> None:
    params = ConnectionParams(
        emulator.ews_url, "alice@example.com", "alice-pass", mailbox="support@example.com"
    )
    session = connect(params)
    try:
        assert session.info.mailbox.display_name == "Customer Support"
        assert session.info.user.display_name == "Alice Archer"
        assert session.info.inbox_total >= 200
    finally:
        session.close()


def test_wrong_password_is_an_authentication_error(emulator) -> None:
    with pytest.raises(AuthenticationFailed, match="refused the user name or password"):
        connect(ConnectionParams(emulator.ews_url, "alice@example.com", "wrong"))


@pytest.mark.parametrize(
    ("user", "password", "mailbox"),
    [
        ("dave@example.com", "dave-pass", "support@example.com"),  # no grant at all
        ("alice@example.com", "alice-pass", "sales@example.com"),  # Reviewer on Inbox only, not on the root
    ],
)
def test_mailbox_without_rights_is_access_denied(emulator, user: str, password: str, mailbox: str) -> None:
    with pytest.raises(AccessDenied, match=mailbox):
        connect(ConnectionParams(emulator.ews_url, user, password, mailbox=mailbox))


def test_unknown_mailbox_is_not_found(emulator) -> None:
    params = ConnectionParams(
        emulator.ews_url, "alice@example.com", "alice-pass", mailbox="nobody@example.com"
    )
    with pytest.raises(MailboxNotFound, match="nobody@example.com"):
        connect(params)


def test_unreachable_server_is_a_connection_error() -> None:
    with socket.socket() as sock:  # a loopback port that nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/EWS/Exchange.asmx"
    with pytest.raises(ConnectionFailed, match="Could not reach the server"):
        connect(ConnectionParams(url, "alice@example.com", "alice-pass", auth=AuthMethod.BASIC))


def test_cancelled_before_the_first_request(emulator) -> None:
    with pytest.raises(Cancelled):
        connect(ConnectionParams(emulator.ews_url, "alice@example.com", "alice-pass"), cancelled=lambda: True)
