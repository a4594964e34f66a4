"""SOAP Autodiscover (``/autodiscover/autodiscover.svc``): the ``GetUserSettings`` operation.

Follows [MS-OXWSADISC] and Microsoft's GetUserSettings (SOAP) reference: the response carries
``wsa:Action`` and an Autodiscover-namespace ``ServerVersionInfo`` (child elements, not attributes)
in the SOAP header; the body is ``GetUserSettingsResponseMessage/Response`` with a top-level
``ErrorCode``/``ErrorMessage`` and one ``UserResponse`` per requested user, each with ``ErrorCode``,
``ErrorMessage``, ``RedirectTarget``, ``UserSettingErrors`` and ``UserSettings`` in that order.

Like Exchange, Autodiscover answers for any mailbox of the organisation, whoever asks (it checks no
mailbox rights); an address with no mailbox gets ``InvalidUser``. ``AlternateMailboxes`` lists the
mailboxes the user holds Full Access to *with automapping on* (Exchange's ``msExchDelegateListLink``),
each as a ``Delegate`` entry.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lxml import etree

from ews_emulator.backend import HttpResult
from ews_emulator.soap import AD_NS, SERVER_VERSION, SOAP_NS, WSA_NS, XSI_NS, SoapFault, fault_envelope

if TYPE_CHECKING:
    from ews_emulator.exchange.backend import ExchangeBackend
    from ews_emulator.store import Recipient

_A = f"{{{AD_NS}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)
ACTION_BASE = "http://schemas.microsoft.com/exchange/2010/Autodiscover/Autodiscover/"
# What Exchange 2016/2019 put into the Autodiscover ServerVersionInfo/Version element.
AUTODISCOVER_VERSION = "Exchange2015"
REQUESTABLE_VERSIONS = frozenset({
    "Exchange2010", "Exchange2010_SP1", "Exchange2010_SP2", "Exchange2013", "Exchange2013_SP1", "Exchange2015",
    "Exchange2016",
})
EWS_SUPPORTED_SCHEMAS = ("Exchange2007, Exchange2007_SP1, Exchange2010, Exchange2010_SP1, Exchange2010_SP2, "
                         "Exchange2013, Exchange2013_SP1, Exchange2016")
MAX_USERS = 100

# Every setting name [MS-OXWSADISC] defines (UserSettingName); others get InvalidSetting.
_SETTING_NAMES = """
UserDisplayName UserDN UserDeploymentId InternalMailboxServer InternalRpcClientServer InternalMailboxServerDN
InternalEcpUrl InternalEcpVoicemailUrl InternalEcpEmailSubscriptionsUrl InternalEcpTextMessagingUrl
InternalEcpDeliveryReportUrl InternalEcpRetentionPolicyTagsUrl InternalEcpPublishingUrl InternalEcpPhotoUrl
InternalEcpConnectUrl InternalEcpTeamMailboxUrl InternalEcpTeamMailboxCreatingUrl InternalEcpTeamMailboxEditingUrl
InternalEcpTeamMailboxHidingUrl InternalEcpExtensionInstallationUrl InternalEwsUrl InternalEmwsUrl InternalOABUrl
InternalPhotosUrl InternalUMUrl InternalWebClientUrls MailboxDN PublicFolderServer ActiveDirectoryServer
ExternalMailboxServer ExternalMailboxServerRequiresSSL ExternalMailboxServerAuthenticationMethods
EcpVoicemailUrlFragment EcpEmailSubscriptionsUrlFragment EcpTextMessagingUrlFragment EcpDeliveryReportUrlFragment
EcpRetentionPolicyTagsUrlFragment EcpPublishingUrlFragment EcpPhotoUrlFragment EcpConnectUrlFragment
EcpTeamMailboxUrlFragment EcpTeamMailboxCreatingUrlFragment EcpTeamMailboxEditingUrlFragment
EcpExtensionInstallationUrlFragment ExternalEcpUrl ExternalEcpVoicemailUrl ExternalEcpEmailSubscriptionsUrl
ExternalEcpTextMessagingUrl ExternalEcpDeliveryReportUrl ExternalEcpRetentionPolicyTagsUrl ExternalEcpPublishingUrl
ExternalEcpPhotoUrl ExternalEcpConnectUrl ExternalEcpTeamMailboxUrl ExternalEcpTeamMailboxCreatingUrl
ExternalEcpTeamMailboxEditingUrl ExternalEcpTeamMailboxHidingUrl ExternalEcpExtensionInstallationUrl ExternalEwsUrl
ExternalEmwsUrl ExternalOABUrl ExternalPhotosUrl ExternalUMUrl ExternalWebClientUrls CrossOrganizationSharingEnabled
AlternateMailboxes CasVersion EwsSupportedSchemas InternalPop3Connections ExternalPop3Connections
InternalImap4Connections ExternalImap4Connections InternalSmtpConnections ExternalSmtpConnections
InternalServerExclusiveConnect ExternalEwsVersion MobileMailboxPolicy DocumentSharingLocations
UserMSOnline InternalMailboxServerAuthenticationMethods MailboxVersion SPMySiteHostURL SiteMailboxCreationURL
InternalRpcHttpServer InternalRpcHttpConnectivityRequiresSsl InternalRpcHttpAuthenticationMethod
ExternalServerExclusiveConnect ExchangeRpcUrl ShowGalAsDefaultView AutoDiscoverSMTPAddress InteropExternalEwsUrl
InteropExternalEwsVersion PublicFolderInformation RedirectUrl EwsPartnerUrl CertPrincipalName GroupingInformation
MapiHttpEnabled MapiHttpServerUrl MobileMailboxPolicyInterop
"""
KNOWN_SETTINGS = frozenset(_SETTING_NAMES.split())


def answer_autodiscover(backend: ExchangeBackend, principal: str, body: bytes,
                        headers: Mapping[str, str]) -> HttpResult:
    """Answer one SOAP Autodiscover request for the authenticated ``principal``."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        return HttpResult(500, fault_envelope(SoapFault("ErrorInvalidRequest", f"The request is not well-formed "
                                                                                f"XML: {exc}")))
    request = root.find(f"{{{SOAP_NS}}}Body/{_A}GetUserSettingsRequestMessage")
    if root.tag != f"{{{SOAP_NS}}}Envelope" or request is None:
        return HttpResult(500, fault_envelope(SoapFault(
            "ActionNotSupported", "The message with Action '' cannot be processed at the receiver: only "
                                  "GetUserSettings is supported.")))
    header = root.find(f"{{{SOAP_NS}}}Header")
    requested_version = header.findtext(f"{_A}RequestedServerVersion") if header is not None else None
    response = _response(backend, request, (requested_version or "").strip())
    return HttpResult(200, _envelope(response))


def _response(backend: ExchangeBackend, request: etree._Element, requested_version: str) -> etree._Element:
    message = etree.Element(f"{_A}GetUserSettingsResponseMessage", nsmap={None: AD_NS})
    resp = etree.SubElement(message, f"{_A}Response", nsmap={"i": XSI_NS})
    users = [(mb.text or "").strip() for mb in request.iterfind(f"{_A}Request/{_A}Users/{_A}User/{_A}Mailbox")]
    settings = [(s.text or "").strip() for s in request.iterfind(f"{_A}Request/{_A}RequestedSettings/{_A}Setting")]
    problem = None
    if requested_version not in REQUESTABLE_VERSIONS:
        problem = "The RequestedServerVersion header is missing or invalid."
    elif not users:
        problem = "The request must contain at least one user."
    elif len(users) > MAX_USERS:
        problem = f"The request may name at most {MAX_USERS} users."
    elif not settings:
        problem = "The request must contain at least one setting."
    if problem:
        etree.SubElement(resp, f"{_A}ErrorCode").text = "InvalidRequest"
        etree.SubElement(resp, f"{_A}ErrorMessage").text = problem
        etree.SubElement(resp, f"{_A}UserResponses")
        return message
    etree.SubElement(resp, f"{_A}ErrorCode").text = "NoError"
    etree.SubElement(resp, f"{_A}ErrorMessage")
    container = etree.SubElement(resp, f"{_A}UserResponses")
    for address in users:
        container.append(_user_response(backend, address, settings))
    return message


def _user_response(backend: ExchangeBackend, address: str, settings: list[str]) -> etree._Element:
    ur = etree.Element(f"{_A}UserResponse")
    rec = backend.store.directory.by_smtp(address)
    if rec is None or not rec.has_mailbox or rec.kind == "group":
        etree.SubElement(ur, f"{_A}ErrorCode").text = "InvalidUser"
        etree.SubElement(ur, f"{_A}ErrorMessage").text = f"Invalid user: '{address}'"
        etree.SubElement(ur, f"{_A}RedirectTarget").set(f"{{{XSI_NS}}}nil", "true")
        etree.SubElement(ur, f"{_A}UserSettingErrors")
        etree.SubElement(ur, f"{_A}UserSettings")
        return ur
    etree.SubElement(ur, f"{_A}ErrorCode").text = "NoError"
    etree.SubElement(ur, f"{_A}ErrorMessage").text = "No error."
    etree.SubElement(ur, f"{_A}RedirectTarget").set(f"{{{XSI_NS}}}nil", "true")
    errors = etree.SubElement(ur, f"{_A}UserSettingErrors")
    values = etree.SubElement(ur, f"{_A}UserSettings")
    seen: set[str] = set()
    for name in settings:
        if name in seen:
            continue
        seen.add(name)
        if name == "AlternateMailboxes":
            values.append(_alternate_mailboxes(backend, rec))
            continue
        value = _string_setting(backend, rec, name)
        if value is None:
            err = etree.SubElement(errors, f"{_A}UserSettingError")
            code = "InvalidSetting" if name not in KNOWN_SETTINGS else "SettingIsNotAvailable"
            etree.SubElement(err, f"{_A}ErrorCode").text = code
            etree.SubElement(err, f"{_A}ErrorMessage").text = (
                f"The requested setting '{name}' is not valid." if code == "InvalidSetting"
                else f"User setting '{name}' is not available.")
            etree.SubElement(err, f"{_A}SettingName").text = name
            continue
        setting = etree.SubElement(values, f"{_A}UserSetting")
        setting.set(f"{{{XSI_NS}}}type", "StringSetting")
        etree.SubElement(setting, f"{_A}Name").text = name
        etree.SubElement(setting, f"{_A}Value").text = value
    return ur


def deployment_id(rec: Recipient) -> str:
    """The organisation's deployment GUID (one per tenant domain)."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"deployment.{rec.smtp.split('@')[1]}"))


def legacy_dn(rec: Recipient) -> str:
    """An Exchange-style legacyExchangeDN for a recipient (stable: derived from its address)."""
    alias = rec.smtp.split("@")[0]
    tag = hashlib.sha1(rec.smtp.encode()).hexdigest()[:32]
    return f"/o=Example/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn={tag}-{alias}"


def mailbox_server(rec: Recipient) -> str:
    guid = uuid.uuid5(uuid.NAMESPACE_URL, f"mailbox:{rec.smtp}")
    return f"{guid}@{rec.smtp.split('@')[1]}"


def _cas_version() -> str:
    v = SERVER_VERSION
    return f"{int(v['MajorVersion']):02d}.{int(v['MinorVersion']):02d}.{int(v['MajorBuildNumber']):04d}." \
           f"{int(v['MinorBuildNumber']):03d}"


def _string_setting(backend: ExchangeBackend, rec: Recipient, name: str) -> str | None:
    """The value of a simple (``StringSetting``) user setting, or None when the server does not offer it."""
    ews_url = backend.base_url.rstrip("/") + "/EWS/Exchange.asmx"
    split = urlsplit(backend.base_url)
    values = {
        "UserDisplayName": rec.display_name,
        "UserDN": legacy_dn(rec),
        "MailboxDN": legacy_dn(rec) + "/cn=Mailbox",
        "UserDeploymentId": deployment_id(rec),
        "AutoDiscoverSMTPAddress": rec.smtp,
        "InternalEwsUrl": ews_url,
        "ExternalEwsUrl": ews_url,
        "EwsSupportedSchemas": EWS_SUPPORTED_SCHEMAS,
        "CasVersion": _cas_version(),
        "ExternalEwsVersion": _cas_version(),
        "InternalMailboxServer": mailbox_server(rec),
        "ExternalMailboxServer": split.hostname or "127.0.0.1",
        "ExternalMailboxServerRequiresSSL": "True" if split.scheme == "https" else "False",
        "ExternalMailboxServerAuthenticationMethods": "Basic, Ntlm",
        "GroupingInformation": "EMULATOR01",
        "CrossOrganizationSharingEnabled": "False",
        "ShowGalAsDefaultView": "True",
        "UserMSOnline": "False",
        "MapiHttpEnabled": "False",
    }
    return values.get(name)


def _alternate_mailboxes(backend: ExchangeBackend, rec: Recipient) -> etree._Element:
    """``AlternateMailboxCollectionSetting``: the automapped Full Access mailboxes of ``rec``."""
    setting = etree.Element(f"{_A}UserSetting")
    setting.set(f"{{{XSI_NS}}}type", "AlternateMailboxCollectionSetting")
    etree.SubElement(setting, f"{_A}Name").text = "AlternateMailboxes"
    box = etree.SubElement(setting, f"{_A}AlternateMailboxes")
    grants = [(mb, g) for mb, g in backend.store.directory.grants_for_user(rec.id) if g.full_access and g.automapping]
    for mailbox, _ in sorted(grants, key=lambda pair: pair[0].display_name.lower()):
        alt = etree.SubElement(box, f"{_A}AlternateMailbox")
        etree.SubElement(alt, f"{_A}Type").text = "Delegate"
        etree.SubElement(alt, f"{_A}DisplayName").text = mailbox.display_name
        etree.SubElement(alt, f"{_A}LegacyDN").text = legacy_dn(mailbox)
        etree.SubElement(alt, f"{_A}Server").text = mailbox_server(mailbox)
        etree.SubElement(alt, f"{_A}SmtpAddress").text = mailbox.smtp
        etree.SubElement(alt, f"{_A}OwnerSmtpAddress").text = mailbox.smtp
    return setting


def _envelope(body_child: etree._Element) -> bytes:
    env = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"s": SOAP_NS, "a": WSA_NS})
    header = etree.SubElement(env, f"{{{SOAP_NS}}}Header")
    action = etree.SubElement(header, f"{{{WSA_NS}}}Action")
    action.set(f"{{{SOAP_NS}}}mustUnderstand", "1")
    action.text = ACTION_BASE + "GetUserSettingsResponse"
    info = etree.SubElement(header, f"{_A}ServerVersionInfo", nsmap={"h": AD_NS, "i": XSI_NS})
    for key in ("MajorVersion", "MinorVersion", "MajorBuildNumber", "MinorBuildNumber"):
        etree.SubElement(info, f"{_A}{key}").text = SERVER_VERSION[key]
    etree.SubElement(info, f"{_A}Version").text = AUTODISCOVER_VERSION
    body = etree.SubElement(env, f"{{{SOAP_NS}}}Body")
    body.append(body_child)
    return etree.tostring(env, xml_declaration=True, encoding="utf-8")
