"""GetUserOofSettings / SetUserOofSettings: automatic replies, kept in ``mailbox_settings`` (key ``oof``).

The mailbox owner and Full Access holders may read and change them; anyone else gets
``ErrorAccessDenied``. A mailbox that never had settings answers Exchange's defaults (Disabled,
external audience All, empty replies). ``Scheduled`` needs a ``Duration`` whose end is after its start,
else ``ErrorInvalidScheduledOofDuration``. ``AllowExternalOof`` is the organisation's setting: All.
"""

from __future__ import annotations

import time

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.ops.common import fmt_ts
from ews_emulator.soap import M_NS, T_NS, m, t
from ews_emulator.store import Recipient
from ews_emulator.store.items import parse_datetime
from ews_emulator.xml.builder import order_children

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
NSMAP = {"m": M_NS, "t": T_NS}
KEY = "oof"


def _mailbox(ctx: Ctx, req: etree._Element) -> Recipient:
    address = (req.findtext(f"{_T}Mailbox/{_T}Address") or "").strip()
    rec = ctx.store.directory.by_smtp(address) if address else ctx.caller
    if rec is None or not rec.has_mailbox or rec.kind == "group":
        raise EwsError("ErrorNonExistentMailbox", "No mailbox with such guid.")
    if not ctx.has_full_access(rec.id):
        raise access_denied()
    return rec


def default_settings() -> etree._Element:
    el = etree.Element(t("OofSettings"), nsmap={"t": T_NS})
    etree.SubElement(el, t("OofState")).text = "Disabled"
    etree.SubElement(el, t("ExternalAudience")).text = "All"
    now = int(time.time()) // 3600 * 3600
    duration = etree.SubElement(el, t("Duration"))
    etree.SubElement(duration, t("StartTime")).text = fmt_ts(now)
    etree.SubElement(duration, t("EndTime")).text = fmt_ts(now + 86400)
    for tag in ("InternalReply", "ExternalReply"):
        etree.SubElement(etree.SubElement(el, t(tag)), t("Message"))
    return el


def _stored(ctx: Ctx, mailbox_id: int) -> etree._Element:
    row = ctx.store.db.connection().execute("SELECT value FROM mailbox_settings WHERE mailbox_id = ? AND key = ?",
                                            (mailbox_id, KEY)).fetchone()
    if row is None or row[0] is None:
        return default_settings()
    el = etree.fromstring(bytes(row[0]))
    el.tag = t("OofSettings")
    return el


def _response_message(root: etree._Element, exc: EwsError | None) -> None:
    msg = etree.SubElement(root, m("ResponseMessage"), ResponseClass="Error" if exc else "Success")
    if exc is not None:
        etree.SubElement(msg, m("MessageText")).text = exc.message
    etree.SubElement(msg, m("ResponseCode")).text = exc.code if exc else "NoError"
    if exc is not None:
        etree.SubElement(msg, m("DescriptiveLinkKey")).text = "0"


@operation("GetUserOofSettingsRequest")
def get_user_oof_settings(ctx: Ctx, req: etree._Element) -> etree._Element:
    root = etree.Element(m("GetUserOofSettingsResponse"), nsmap=NSMAP)
    try:
        mailbox = _mailbox(ctx, req)
    except EwsError as exc:
        _response_message(root, exc)
        return root
    _response_message(root, None)
    root.append(_stored(ctx, mailbox.id))
    etree.SubElement(root, m("AllowExternalOof")).text = "All"
    return root


@operation("SetUserOofSettingsRequest")
def set_user_oof_settings(ctx: Ctx, req: etree._Element) -> etree._Element:
    root = etree.Element(m("SetUserOofSettingsResponse"), nsmap=NSMAP)
    try:
        mailbox = _mailbox(ctx, req)
        settings = req.find(f"{_T}UserOofSettings")
        assert settings is not None  # schema
        _validate(settings)
        stored = etree.fromstring(etree.tostring(settings))
        stored.tag = t("OofSettings")
        if stored.find(f"{_T}Duration") is None:
            stored.insert(2, _stored(ctx, mailbox.id).find(f"{_T}Duration"))
        order_children(stored, "t:UserOofSettings")
        with ctx.store.db.tx() as con:
            con.execute("INSERT OR REPLACE INTO mailbox_settings(mailbox_id, key, value) VALUES (?,?,?)",
                        (mailbox.id, KEY, etree.tostring(stored)))
    except EwsError as exc:
        _response_message(root, exc)
        return root
    _response_message(root, None)
    return root


def _validate(settings: etree._Element) -> None:
    state = settings.findtext(f"{_T}OofState")
    duration = settings.find(f"{_T}Duration")
    if duration is not None:
        start = parse_datetime(duration.findtext(f"{_T}StartTime"))
        end = parse_datetime(duration.findtext(f"{_T}EndTime"))
        if start is None or end is None or end <= start:
            raise EwsError("ErrorInvalidScheduledOofDuration", "The scheduled duration is invalid: the end time "
                                                               "must be after the start time.")
    elif state == "Scheduled":
        raise EwsError("ErrorInvalidScheduledOofDuration", "A scheduled automatic reply needs a Duration.")
