"""Directory photos with GetUserPhoto (Exchange 2013+): the picture Exchange keeps for a user or a mailbox.

exchangelib 5.6.0 has no GetUserPhoto service; :class:`GetUserPhoto` is a small one. Exchange answers a user
without a photo (or an address it does not know) with HTTP 404 and ``ErrorItemNotFound`` in the SOAP body, which
:func:`user_photo` turns into ``None``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from exchangelib.errors import ErrorItemNotFound
from exchangelib.services.common import EWSService
from exchangelib.util import MNS, add_xml_child, create_element, is_xml, post_ratelimited
from exchangelib.version import EXCHANGE_2013

from app.ews.client import EwsClient

#: ``t:UserPhotoSizeType`` values; the detail pane asks for 96 x 96.
SIZES = ("HR48x48", "HR64x64", "HR96x96", "HR120x120", "HR240x240", "HR360x360", "HR432x432", "HR504x504",
         "HR648x648")
DEFAULT_SIZE = "HR96x96"


class _NotFoundIsAnAnswer:
    """A retry policy that lets GetUserPhoto's HTTP 404 through to the SOAP parser (its body is the answer).

    WORKAROUND for exchangelib 5.6.0: ``RetryPolicy.raise_response_errors`` (protocol.py) raises
    ``MalformedResponseError`` for every status but 200 and 500, and post_ratelimited then retires the pooled
    connection; for GetUserPhoto a 404 is the normal "no photo" answer.
    """

    def __init__(self, policy: Any) -> None:
        self._policy = policy

    def raise_response_errors(self, response: Any) -> None:
        if response.status_code == 404 and response.content and is_xml(response.content):
            return
        self._policy.raise_response_errors(response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._policy, name)


class _ProtocolWithPhotoPolicy:
    """The protocol as post_ratelimited sees it, with :class:`_NotFoundIsAnAnswer` as its retry policy."""

    def __init__(self, protocol: Any) -> None:
        self._protocol = protocol
        self.retry_policy = _NotFoundIsAnAnswer(protocol.retry_policy)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._protocol, name)


class GetUserPhoto(EWSService):
    """GetUserPhoto, SOAP form: ``call(email, size)`` yields the response element (or an EWS error instance).

    The answer is one ``m:GetUserPhotoResponse`` without a ``ResponseMessages`` list; exchangelib's parser then
    hands the response itself to :meth:`_get_element_container`.
    """

    SERVICE_NAME = "GetUserPhoto"
    supported_from = EXCHANGE_2013
    ERRORS_TO_CATCH_IN_RESPONSE = (*EWSService.ERRORS_TO_CATCH_IN_RESPONSE, ErrorItemNotFound)  # "no photo"

    def call(self, email: str, size: str = DEFAULT_SIZE) -> Any:
        return self._get_elements(payload=self.get_payload(email=email, size=size))

    def get_payload(self, email: str, size: str) -> Any:
        payload = create_element(f"m:{self.SERVICE_NAME}")
        add_xml_child(payload, "m:Email", email)
        add_xml_child(payload, "m:SizeRequested", size)
        return payload

    @classmethod
    def _get_elements_in_container(cls, container: Any) -> list[Any]:
        return [container]  # the response element itself carries HasChanged and PictureData

    def _get_response(self, payload: Any, api_version: Any) -> Any:
        # exchangelib's EWSService._get_response with the protocol wrapped (see _NotFoundIsAnAnswer); GetUserPhoto
        # is never streamed.
        session = self.protocol.get_session()
        response, session = post_ratelimited(
            protocol=_ProtocolWithPhotoPolicy(self.protocol), session=session, url=self.protocol.service_endpoint,
            headers=self._extra_headers(), data=self.wrap(content=payload, api_version=api_version),
            stream=False, timeout=self.timeout or self.protocol.TIMEOUT)
        self._handle_response_cookies(session)
        self.protocol.release_session(session)
        return response


def user_photo(client: EwsClient, address: str, size: str = DEFAULT_SIZE) -> bytes | None:
    """The directory photo of ``address`` (one GetUserPhoto request), or None when there is none.

    Args:
        client: The signed-in user (any user may read any directory photo).
        address: The person's or mailbox's SMTP address.
        size: A :data:`SIZES` value; Exchange answers at most that size (the largest it has when smaller).

    Returns:
        The picture's bytes as the server sent them (a PNG or JPEG), or None: no photo, no such address, or a
        server older than Exchange 2013.

    Raises:
        ValueError: ``size`` is not one of :data:`SIZES`.
        MailroomError: As :meth:`EwsClient.retrying` translates network and server errors.
    """
    if size not in SIZES:
        raise ValueError(f"{size!r} is not a GetUserPhoto size")
    address = address.strip()
    if not address:
        return None
    protocol = client.own.protocol
    build = getattr(protocol.version, "build", None)
    if build is not None and build < EXCHANGE_2013:
        return None  # Exchange 2010 has no GetUserPhoto: nobody has a directory photo there

    def call() -> bytes | None:
        for element in GetUserPhoto(protocol=protocol).call(email=address, size=size):
            if isinstance(element, ErrorItemNotFound):
                return None
            if isinstance(element, Exception):
                raise element
            text = element.findtext(f"{{{MNS}}}PictureData")
            if not text:
                return None
            try:
                return base64.b64decode(text, validate=False)
            except (binascii.Error, ValueError):
                return None
        return None

    return client.retrying(call, mailbox=address)
