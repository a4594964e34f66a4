"""app.ews.discovery: which Autodiscover URLs to try, and GetUserSettings against the emulator over HTTP."""

from __future__ import annotations

import socket

import pytest

from app.domain.errors import AuthenticationFailed, ConnectionFailed, InvalidAddress, MailboxNotFound
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews.discovery import Endpoints, endpoints_for, get_user_settings

pytestmark = pytest.mark.usefixtures("schema_valid_answers")
AD = "/autodiscover/autodiscover.svc"


def test_without_a_server_the_domain_is_tried_as_exchangelib_does() -> None:
    assert endpoints_for("Alice@Example.COM") == Endpoints(
        (f"https://example.com{AD}", f"https://autodiscover.example.com{AD}"))


@pytest.mark.parametrize(("server", "expected"), [
    ("mail.example.com", Endpoints((f"https://mail.example.com{AD}",))),
    (" mail.example.com:8443 ", Endpoints((f"https://mail.example.com:8443{AD}",))),
    ("http://127.0.0.1:8080", Endpoints((f"http://127.0.0.1:8080{AD}",))),
    ("http://127.0.0.1:8080/", Endpoints((f"http://127.0.0.1:8080{AD}",))),
    (f"https://ad.example.com{AD}", Endpoints((f"https://ad.example.com{AD}",))),
    # A full EWS URL is used as is; its host's Autodiscover is still asked for the automapped mailboxes.
    ("http://127.0.0.1:8080/EWS/Exchange.asmx",
     Endpoints((f"http://127.0.0.1:8080{AD}",), ews_url="http://127.0.0.1:8080/EWS/Exchange.asmx")),
    ("mail.example.com/ews/exchange.asmx",
     Endpoints((f"https://mail.example.com{AD}",), ews_url="https://mail.example.com/ews/exchange.asmx")),
])
def test_a_given_server_is_asked_directly(server: str, expected: Endpoints) -> None:
    assert endpoints_for("alice@example.com", server) == expected


@pytest.mark.parametrize(("address", "server"), [
    ("alice", ""),
    ("alice@localhost", ""),
    ("@example.com", ""),
    ("alice@example.com", "ftp://mail.example.com"),
    ("alice@example.com", "https://mail.example.com/owa"),
    ("alice@example.com", "https://mail.example.com:99999"),
    ("alice@example.com", "https://mail.example.com/EWS/Exchange.asmx?x=1"),
])
def test_unusable_input_is_said_plainly(address: str, server: str) -> None:
    with pytest.raises(InvalidAddress):
        endpoints_for(address, server)


@pytest.mark.parametrize("auth", [AuthMethod.NTLM, AuthMethod.BASIC])
def test_user_settings_of_alice(emulator, auth: AuthMethod) -> None:
    settings = get_user_settings(emulator.autodiscover_url, "alice@example.com", "alice@example.com", "alice-pass",
                                 auth)
    assert settings.display_name == "Alice Archer"
    assert settings.ews_url == emulator.ews_url
    # support@ is Full Access with automapping; billing@ is Full Access without it, so it is not listed.
    assert settings.alternate_mailboxes == [MailboxRef("support@example.com", "Customer Support")]
    assert settings.supported_schemas[0] == "Exchange2007" and settings.supported_schemas[-1] == "Exchange2016"
    assert settings.server_version == ServerVersion(15, 2, 2562, 17)
    assert settings.endpoint == emulator.autodiscover_url


@pytest.mark.parametrize(("user", "expected"), [
    ("carol", {"hr@example.com": "Human Resources", "support@example.com": "Customer Support"}),
    ("bob", {"sales@example.com": "Sales Team"}),
    ("dave", {}),
])
def test_alternate_mailboxes_are_the_automapped_ones(emulator, user: str, expected: dict[str, str]) -> None:
    address = f"{user}@example.com"
    settings = get_user_settings(emulator.autodiscover_url, address, address, f"{user}-pass", AuthMethod.NTLM)
    assert {m.address: m.display_name for m in settings.alternate_mailboxes} == expected


def test_an_unknown_user_is_not_found(emulator) -> None:
    # alice asks about an address the organisation does not have (Autodiscover answers for anyone's mailbox).
    with pytest.raises(MailboxNotFound, match="There is no user nobody@example.com on this server"):
        get_user_settings(emulator.autodiscover_url, "nobody@example.com", "alice@example.com", "alice-pass",
                          AuthMethod.NTLM)


def test_a_wrong_password_is_refused(emulator) -> None:
    with pytest.raises(AuthenticationFailed):
        get_user_settings(emulator.autodiscover_url, "alice@example.com", "alice@example.com", "nope",
                          AuthMethod.BASIC)


def test_an_unreachable_endpoint_is_a_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionFailed):
        get_user_settings(f"http://127.0.0.1:{port}{AD}", "alice@example.com", "alice@example.com", "alice-pass",
                          AuthMethod.NTLM)


def test_pox_autodiscover_is_asked_on_the_same_hosts_after_soap() -> None:
    assert endpoints_for("alice@example.com").pox == (
        "https://example.com/autodiscover/autodiscover.xml", "https://autodiscover.example.com/autodiscover/autodiscover.xml")
    assert endpoints_for("alice@example.com", "mail.example.com:8443").pox == (
        "https://mail.example.com:8443/autodiscover/autodiscover.xml",)
