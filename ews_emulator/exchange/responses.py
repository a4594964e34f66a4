"""Building ``m:<Op>Response`` documents: response messages, success and error forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.soap import M_NS, T_NS, m

NSMAP = {"m": M_NS, "t": T_NS}
X = TypeVar("X")


def response_root(op: str) -> tuple[etree._Element, etree._Element]:
    """``m:<op>Response`` and its ``m:ResponseMessages`` container."""
    root = etree.Element(m(f"{op}Response"), nsmap=NSMAP)
    messages = etree.SubElement(root, m("ResponseMessages"))
    return root, messages


def success(container: etree._Element, op: str, message_tag: str | None = None) -> etree._Element:
    """Append ``m:<op>ResponseMessage ResponseClass="Success"`` with ``NoError``; return it for the payload."""
    msg = etree.SubElement(container, m(message_tag or f"{op}ResponseMessage"), ResponseClass="Success")
    etree.SubElement(msg, m("ResponseCode")).text = "NoError"
    return msg


# Response messages whose schema type requires a payload element even in an error answer (Exchange sends it
# empty: ``<m:Items/>``): ItemInfoResponseMessageType and AttachmentInfoResponseMessageType.
REQUIRED_EMPTY_PAYLOAD = {
    **{f"{op}ResponseMessage": "Items" for op in ("CreateItem", "GetItem", "UpdateItem", "MoveItem", "CopyItem",
                                                  "ArchiveItem", "PostModernGroupItem")},
    "CreateAttachmentResponseMessage": "Attachments",
    "GetAttachmentResponseMessage": "Attachments",
}


def error(container: etree._Element, op: str, exc: EwsError, message_tag: str | None = None,
          response_class: str = "Error") -> etree._Element:
    """Append an error response message: MessageText, ResponseCode, DescriptiveLinkKey (schema order).

    Message types that require a payload get it empty (:data:`REQUIRED_EMPTY_PAYLOAD`), as Exchange does.
    """
    tag = message_tag or f"{op}ResponseMessage"
    msg = etree.SubElement(container, m(tag), ResponseClass=response_class)
    etree.SubElement(msg, m("MessageText")).text = exc.message
    etree.SubElement(msg, m("ResponseCode")).text = exc.code
    etree.SubElement(msg, m("DescriptiveLinkKey")).text = "0"
    if tag in REQUIRED_EMPTY_PAYLOAD:
        etree.SubElement(msg, m(REQUIRED_EMPTY_PAYLOAD[tag]))
    return msg


def each_message(op: str, requests: Iterable[X], fill: Callable[[etree._Element, X], None],
                 message_tag: str | None = None) -> etree._Element:
    """One response message per request part: ``fill(msg, part)`` adds the payload; EwsError -> error message."""
    root, container = response_root(op)
    for part in requests:
        try:
            holder = etree.Element("holder")
            fill(holder, part)
        except EwsError as exc:
            error(container, op, exc, message_tag)
            continue
        msg = success(container, op, message_tag)
        msg.extend(list(holder))
    return root


def single_message(op: str, fill: Callable[[etree._Element], None], message_tag: str | None = None) -> etree._Element:
    """An operation answered by exactly one response message."""
    return each_message(op, [None], lambda msg, _: fill(msg), message_tag)


def top_level_message(tag: str, exc: EwsError | None = None) -> etree._Element:
    """A response that *is* one response message (``m:GetRoomListsResponse``, ``m:GetInboxRulesResponse``, ...).

    Success: ``ResponseClass="Success"`` + ``NoError``; with ``exc``: the error form (MessageText, ResponseCode,
    DescriptiveLinkKey). The caller appends the payload elements.
    """
    if exc is None:
        root = etree.Element(m(tag), nsmap=NSMAP, ResponseClass="Success")
        etree.SubElement(root, m("ResponseCode")).text = "NoError"
        return root
    root = etree.Element(m(tag), nsmap=NSMAP, ResponseClass="Error")
    etree.SubElement(root, m("MessageText")).text = exc.message
    etree.SubElement(root, m("ResponseCode")).text = exc.code
    etree.SubElement(root, m("DescriptiveLinkKey")).text = "0"
    return root
