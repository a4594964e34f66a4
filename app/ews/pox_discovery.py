"""POX Autodiscover (``/autodiscover/autodiscover.xml``), as Outlook asks it: for servers without SOAP Autodiscover.

Exchange has offered this "plain old XML" endpoint since 2007; some servers that are not Exchange (grommunio
Gromox) offer only it. The request names the address and asks for the Outlook response schema; the answer's
``Account`` lists ``Protocol`` entries, of which ``EXPR`` (outside the organisation) and ``EXCH`` (inside) carry
the ``EwsUrl``, and ``AlternativeMailbox`` entries of type ``Delegate`` are the automapped mailboxes.

exchangelib 5.6.0 only speaks SOAP Autodiscover; this uses its authenticated session (NTLM or Basic, the
certificate checks of :mod:`app.ews.signin`) for one POST. Blocking: call from a worker.
"""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from exchangelib import Configuration, Credentials, FailFast
from exchangelib.autodiscover import AutodiscoverProtocol
from lxml import etree

from app.domain.errors import AuthenticationFailed, ConnectionFailed, MailboxNotFound
from app.domain.mailbox import AuthMethod, MailboxRef
from app.ews.discovery import AUTH_TYPES, UserSettings
from app.ews.errors import translated

REQUEST_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
OUTLOOK_NS = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
_O = f"{{{OUTLOOK_NS}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_log = logging.getLogger(__name__)


def get_pox_settings(url: str, address: str, username: str, password: str, auth: AuthMethod) -> UserSettings:
    """Ask one POX Autodiscover endpoint for ``address``'s settings (one POST).

    Args:
        url: The endpoint (``…/autodiscover/autodiscover.xml``).
        address: The mailbox to ask about.
        username: Logon name.
        password: Password (never logged).
        auth: NTLM or Basic.

    Raises:
        MailboxNotFound: The server knows no such address (error 500).
        AuthenticationFailed: The server refused the user name or password.
        ConnectionFailed: Unreachable, or the answer is not an Outlook Autodiscover response.
    """
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password),
                           auth_type=AUTH_TYPES[auth], retry_policy=FailFast())
    protocol = AutodiscoverProtocol(config=config)
    try:
        with translated(mailbox=address, server=url):
            session = protocol.get_session()
            try:
                response = session.post(url, data=_request(address), allow_redirects=False,
                                        headers={"Content-Type": "text/xml; charset=utf-8"},
                                        timeout=protocol.TIMEOUT)
            finally:
                protocol.release_session(session)
        with response:
            if response.status_code == 401:
                raise AuthenticationFailed(f"The server refused the user name or password for {address}.")
            if response.status_code != 200:
                raise ConnectionFailed(f"Autodiscover at {url} answered HTTP {response.status_code}.")
            return parse_pox(response.content, address, url)
    finally:
        protocol.close()


def _request(address: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{REQUEST_NS}"><Request>'
            f"<EMailAddress>{escape(address)}</EMailAddress>"
            f"<AcceptableResponseSchema>{OUTLOOK_NS}</AcceptableResponseSchema>"
            "</Request></Autodiscover>").encode()


def parse_pox(content: bytes, address: str, url: str) -> UserSettings:
    """The settings in a POX Autodiscover answer.

    Raises:
        MailboxNotFound: Error 500 (the address cannot be found).
        ConnectionFailed: Not an Outlook Autodiscover answer, another error, a redirect, or no EWS URL.
    """
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ConnectionFailed(f"Autodiscover at {url} did not answer in XML.") from error
    error = next((e for e in root.iter() if isinstance(e.tag, str) and etree.QName(e).localname == "Error"), None)
    if error is not None:
        code = _local_text(error, "ErrorCode")
        _log.info("POX Autodiscover at %s: error %s %s", url, code, _local_text(error, "Message"))
        if code == "500":
            raise MailboxNotFound(f"There is no user {address} on this server.")
        raise ConnectionFailed(f"Autodiscover at {url} could not answer for {address} (error {code}).")
    account = root.find(f"{_O}Response/{_O}Account")
    if account is None:
        raise ConnectionFailed(f"Autodiscover at {url} answered with something that is not Outlook settings.")
    action = (account.findtext(f"{_O}Action") or "").strip()
    if action in ("redirectAddr", "redirectUrl"):
        target = account.findtext(f"{_O}RedirectAddr") or account.findtext(f"{_O}RedirectUrl") or "?"
        raise ConnectionFailed(f"Autodiscover at {url} sends {address} elsewhere ({target.strip()}). "
                               "Enter the EWS address (…/EWS/Exchange.asmx) as the server.")
    urls = {(p.findtext(f"{_O}Type") or "").strip(): (p.findtext(f"{_O}EwsUrl") or "").strip()
            for p in account.iterfind(f"{_O}Protocol")}
    return UserSettings(
        display_name=(root.findtext(f"{_O}Response/{_O}User/{_O}DisplayName") or "").strip(),
        ews_url=urls.get("EXPR") or urls.get("EXCH") or "",  # outside first, as ExternalEwsUrl in SOAP
        alternate_mailboxes=_delegates(account),
        endpoint=url,
    )


def _delegates(account: etree._Element) -> list[MailboxRef]:
    found: dict[str, MailboxRef] = {}
    for entry in account.iterfind(f"{_O}AlternativeMailbox"):
        if (entry.findtext(f"{_O}Type") or "").strip() != "Delegate":
            continue
        smtp = (entry.findtext(f"{_O}SmtpAddress") or entry.findtext(f"{_O}OwnerSmtpAddress") or "").strip()
        if smtp and smtp.casefold() not in found:
            found[smtp.casefold()] = MailboxRef(smtp, (entry.findtext(f"{_O}DisplayName") or "").strip())
    return list(found.values())


def _local_text(parent: etree._Element, name: str) -> str:
    for child in parent:
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip()
    return ""
