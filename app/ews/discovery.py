"""SOAP Autodiscover: where the user's EWS endpoint is, who they are, and which mailboxes Exchange automaps.

Built from exchangelib's autodiscover building blocks (``AutodiscoverProtocol`` + the ``GetUserSettings``
service), one endpoint at a time: :mod:`app.ews.signin` decides which endpoints to try and how to authenticate.
Blocking: call from a worker.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from exchangelib import BASIC, NTLM, Configuration, Credentials, FailFast
from exchangelib.autodiscover import AutodiscoverProtocol
from exchangelib.properties import UserResponse
from exchangelib.services import GetUserSettings
from exchangelib.util import ANS
from lxml import etree

from app.domain.errors import ConnectionFailed, InvalidAddress, MailboxNotFound
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.ews.errors import translated

AUTODISCOVER_PATH = "/autodiscover/autodiscover.svc"
POX_PATH = "/autodiscover/autodiscover.xml"  # Outlook's POX Autodiscover, on the same hosts
EWS_PATH = "/EWS/Exchange.asmx"
AUTH_TYPES = {AuthMethod.NTLM: NTLM, AuthMethod.BASIC: BASIC}  # exchangelib's names
_A = f"{{{ANS}}}"
# exchangelib's names (UserResponse.SETTINGS_MAP) of the settings we ask for.
_SETTINGS = (
    "user_display_name",
    "external_ews_url",
    "internal_ews_url",
    "ews_supported_schemas",
    "external_ews_version",
    "cas_version",
    "alternate_mailboxes",
)


@dataclass
class UserSettings:
    """What Autodiscover says about one user.

    Attributes:
        display_name: ``UserDisplayName`` ("" if the server did not say).
        ews_url: ``ExternalEwsUrl``, else ``InternalEwsUrl`` ("" if neither).
        alternate_mailboxes: The automapped mailboxes (``AlternateMailbox`` entries of type ``Delegate``).
        supported_schemas: ``EwsSupportedSchemas``, e.g. ``["Exchange2007", …, "Exchange2016"]``.
        server_version: The build from ``ExternalEwsVersion`` / ``CasVersion``, when given.
        endpoint: The Autodiscover URL that answered.
    """

    display_name: str
    ews_url: str
    alternate_mailboxes: list[MailboxRef] = field(default_factory=list)
    supported_schemas: list[str] = field(default_factory=list)
    server_version: ServerVersion | None = None
    endpoint: str = ""


@dataclass(frozen=True)
class Endpoints:
    """Where to look for a user's Exchange.

    Attributes:
        autodiscover: SOAP Autodiscover URLs to try, in order.
        ews_url: The EWS URL when the user typed it in full (Autodiscover is then only asked for the automapped
            mailboxes and the display name), else "".
    """

    autodiscover: tuple[str, ...]
    ews_url: str = ""

    @property
    def pox(self) -> tuple[str, ...]:
        """The POX Autodiscover URLs on the same hosts, in the same order (asked when SOAP Autodiscover fails)."""
        return tuple(url[: -len(AUTODISCOVER_PATH)] + POX_PATH for url in self.autodiscover
                     if url.lower().endswith(AUTODISCOVER_PATH))


def domain_of(address: str) -> str:
    """The domain of an e-mail address (lower case).

    Raises:
        InvalidAddress: ``address`` is not ``local@domain``.
    """
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or "." not in domain or any(c.isspace() or c in "/\\:" for c in domain):
        raise InvalidAddress(f"“{address}” is not an e-mail address (name@example.com).")
    return domain.lower()


def endpoints_for(address: str, server: str = "") -> Endpoints:
    """The Autodiscover (and maybe EWS) endpoints for a sign-in.

    Args:
        address: The user's e-mail address.
        server: What the user typed as the server: "" (use the address's domain), a host name (``mail.example.com``
            or ``host:port``), a base URL (``http://127.0.0.1:8080``), an Autodiscover URL or the full EWS URL
            (``https://host/EWS/Exchange.asmx``).

    Returns:
        Without a server, exchangelib's order: ``https://<domain>/autodiscover/autodiscover.svc`` then
        ``https://autodiscover.<domain>/autodiscover/autodiscover.svc``. With a full EWS URL, that URL plus the
        Autodiscover path on the same scheme, host and port.

    Raises:
        InvalidAddress: The address or the server cannot be used.
    """
    domain = domain_of(address)
    server = server.strip()
    if not server:
        return Endpoints((f"https://{domain}{AUTODISCOVER_PATH}", f"https://autodiscover.{domain}{AUTODISCOVER_PATH}"))
    parts = urlsplit(server if "://" in server else f"https://{server}")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidAddress(f"“{server}” is not a server name or an EWS address (https://host/EWS/Exchange.asmx).")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        raise InvalidAddress(f"“{server}” has an invalid port number.") from error
    base = (parts.scheme.lower(), parts.netloc)
    path = parts.path.rstrip("/")
    autodiscover = urlunsplit((*base, AUTODISCOVER_PATH, "", ""))
    if path.lower() == EWS_PATH.lower():
        return Endpoints((autodiscover,), ews_url=urlunsplit((*base, parts.path, "", "")))
    if path.lower() == AUTODISCOVER_PATH.lower():
        return Endpoints((urlunsplit((*base, parts.path, "", "")),))
    if path:
        raise InvalidAddress(f"“{server}” is neither a server name nor an EWS address (…{EWS_PATH}).")
    return Endpoints((autodiscover,))


def get_user_settings(url: str, address: str, username: str, password: str, auth: AuthMethod) -> UserSettings:
    """Ask one Autodiscover endpoint for ``address``'s settings (one ``GetUserSettings`` request).

    Args:
        url: The Autodiscover endpoint (``…/autodiscover/autodiscover.svc``).
        address: The mailbox to ask about.
        username: Logon name.
        password: Password (never logged).
        auth: NTLM or Basic.

    Raises:
        MailboxNotFound: Autodiscover does not know ``address`` (``InvalidUser``).
        AuthenticationFailed, ConnectionFailed, ServerBusy: As :func:`app.ews.errors.translate` maps them.
    """
    config = Configuration(service_endpoint=url, credentials=Credentials(username, password),
                           auth_type=AUTH_TYPES[auth], retry_policy=FailFast())
    protocol = AutodiscoverProtocol(config=config)
    try:
        with translated(mailbox=address, server=url):
            service = GetUserSettings(protocol=protocol)
            payload = service.get_payload(users=[address], settings=_SETTINGS)
            # WORKAROUND for exchangelib 5.6.0: UserResponse.from_xml keeps only each setting's <Value>, so
            # AlternateMailboxes (an AlternateMailboxCollectionSetting) is lost; read the raw UserResponse elements.
            elements = list(service._get_elements(payload=payload))
            for element in elements:
                if isinstance(element, Exception):
                    raise element
            if len(elements) != 1:
                raise ConnectionFailed(f"Autodiscover at {url} answered for {len(elements)} users instead of one.")
            return _parse(elements[0], address, url)
    finally:
        protocol.close()


def _parse(element: etree._Element, address: str, url: str) -> UserSettings:
    response = UserResponse.from_xml(elem=element, account=None)
    if response.error_code == "InvalidUser":
        raise MailboxNotFound(f"There is no user {address} on this server.")
    if response.error_code not in (None, "NoError"):
        raise ConnectionFailed(f"Autodiscover at {url} could not answer for {address}: "
                               f"{response.error_code} {response.error_message or ''}".rstrip())
    if response.redirect_address or response.redirect_url:
        target = response.redirect_address or response.redirect_url
        raise ConnectionFailed(f"Autodiscover at {url} sends {address} elsewhere ({target}). "
                               "Enter the EWS address (…/EWS/Exchange.asmx) as the server.")
    values = response.user_settings or {}
    schemas = [s.strip() for s in (values.get("ews_supported_schemas") or "").split(",") if s.strip()]
    return UserSettings(
        display_name=values.get("user_display_name") or "",
        ews_url=values.get("external_ews_url") or values.get("internal_ews_url") or "",
        alternate_mailboxes=_alternate_mailboxes(element),
        supported_schemas=schemas,
        server_version=_version(values.get("external_ews_version") or values.get("cas_version") or ""),
        endpoint=url,
    )


def _alternate_mailboxes(element: etree._Element) -> list[MailboxRef]:
    """The ``Delegate`` entries of ``AlternateMailboxes`` (automapped Full Access mailboxes), once each."""
    found: dict[str, MailboxRef] = {}
    for entry in element.iterfind(f"{_A}UserSettings/{_A}UserSetting/{_A}AlternateMailboxes/{_A}AlternateMailbox"):
        if (entry.findtext(f"{_A}Type") or "").strip() != "Delegate":
            continue
        smtp = (entry.findtext(f"{_A}SmtpAddress") or "").strip()
        if smtp and smtp.casefold() not in found:
            found[smtp.casefold()] = MailboxRef(smtp, (entry.findtext(f"{_A}DisplayName") or "").strip())
    return list(found.values())


def _version(text: str) -> ServerVersion | None:
    """``15.02.2562.017`` -> ServerVersion(15, 2, 2562, 17); None if it is not four numbers."""
    parts = text.strip().split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        return None
    major, minor, build, revision = (int(p) for p in parts)
    return ServerVersion(major, minor, build, revision)
