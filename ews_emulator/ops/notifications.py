"""Notifications: Subscribe (streaming and pull), GetStreamingEvents, GetEvents, Unsubscribe.

Subscriptions live in memory on the backend (``backend.notifications``, a :class:`Hub`). Events come
from the store's ``events`` table (written by every item and folder change), polled every 100 ms.
A subscription names one mailbox: its ``FolderIds`` (each must be visible to the caller, else
``ErrorAccessDenied``) or, with ``SubscribeToAllFolders``, every folder of the caller's own mailbox.
Delivery re-checks rights each time: an item event reaches the subscriber only when the subscriber
may read items in the folder it matched, a folder event only when the folder is visible to them, so
nothing leaks through notifications. ``FreeBusyChangedEvent`` is derived from item changes in a
calendar folder.

GetStreamingEvents answers a chunked stream of complete SOAP envelopes (what exchangelib's streaming
parser reads): one ``ConnectionStatus OK`` envelope at once, one per batch of events, a keep-alive
every few seconds, and ``ConnectionStatus Closed`` when ``ConnectionTimeout`` (minutes) is over or
every subscription on it was removed. A client that goes away ends the stream at the next write.
Unknown subscription ids get ``ErrorSubscriptionNotFound`` (malformed ones ``ErrorInvalidSubscription``),
another user's subscription ``ErrorSubscriptionAccessDenied``.

Lifetimes and gaps, as Exchange has them: a streaming subscription lives while a connection carries it and for
:attr:`Hub.lifetime_s` (30 minutes) after its last connection ended, then it is gone (``ErrorSubscriptionNotFound``);
subscriptions live in the EWS process's memory, so a restart loses them all (:meth:`Hub.restart`). Events wait
for a subscription in a queue of at most :attr:`Hub.queue_limit`; past that they are lost, and the next
GetStreamingEvents for it answers ``ErrorMissedNotificationEvents`` and ends the subscription (the client resyncs
and subscribes again). :meth:`Hub.drop_connections` cuts every open stream mid-answer, as a network failure does.
Subscribe with ``X-PreferServerAffinity: true`` answers the ``X-BackEndOverrideCookie`` cookie that routes the
subscriptions of one ``X-AnchorMailbox`` group to their mailbox server. Push subscriptions would make the server
call out to a client URL; this emulator never sends traffic anywhere, so they are refused.
"""

from __future__ import annotations

import base64
import itertools
import sqlite3
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from ews_emulator.backend import StreamDropped
from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import HttpAnswer, StreamingAnswer, operation
from ews_emulator.exchange.responses import each_message, error, response_root, success
from ews_emulator.ops.common import fmt_ts
from ews_emulator.quirks import Quirk
from ews_emulator.soap import M_NS, T_NS, SoapFault, bool_text, envelope, m, t, xs_bool
from ews_emulator.store import Folder
from ews_emulator.store.events import events_after, last_seq
from ews_emulator.store.ids import MalformedId, change_key, decode_id, encode_id

_T = f"{{{T_NS}}}"
_M = f"{{{M_NS}}}"
EVENT_TYPES = ("CopiedEvent", "CreatedEvent", "DeletedEvent", "ModifiedEvent", "MovedEvent", "NewMailEvent",
               "FreeBusyChangedEvent")
POLL_S = 0.1
BATCH = 50
_WM_MAGIC = b"EMUWM\x01"


def encode_watermark(seq: int) -> str:
    return base64.b64encode(_WM_MAGIC + struct.pack(">Q", seq)).decode("ascii")


def decode_watermark(text: str | None) -> int:
    try:
        raw = base64.b64decode((text or "").encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise EwsError("ErrorInvalidWatermark", "The watermark is invalid.") from exc
    if len(raw) != len(_WM_MAGIC) + 8 or not raw.startswith(_WM_MAGIC):
        raise EwsError("ErrorInvalidWatermark", "The watermark is invalid.")
    return struct.unpack(">Q", raw[len(_WM_MAGIC):])[0]


@dataclass
class Subscription:
    """One subscription: whose, which mailbox and folders, which event types, where it is in the event log.

    ``last_used`` is when a GetEvents last read it (pull) or its last streaming connection ended; ``connections``
    counts the streaming connections carrying it now. ``anchor`` is the request's ``X-AnchorMailbox``.
    """

    id: str
    owner_id: int
    mailbox_id: int
    folder_ids: frozenset[int] | None  # None: every folder of the mailbox
    event_types: frozenset[str]
    streaming: bool
    seq: int
    timeout_s: float = 0.0
    last_used: float = field(default_factory=time.monotonic)
    anchor: str = ""
    connections: int = 0


class Hub:
    """The backend's subscriptions (thread-safe).

    Attributes:
        keepalive_s: Seconds between two keep-alive envelopes on an idle stream.
        lifetime_s: How long a streaming subscription outlives its last connection (Exchange: 30 minutes).
        queue_limit: Events kept for one subscription that is not being read; more are lost (the next read
            answers ``ErrorMissedNotificationEvents``).
    """

    keepalive_s = 4.0
    lifetime_s = 30 * 60.0
    queue_limit = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subs: dict[str, Subscription] = {}
        self._counter = itertools.count(1)
        self._drops = 0  # bumped by drop_connections(); a stream started before the bump ends mid-answer
        self._streams = 0
        self.connections_opened = 0

    def add(self, owner_id: int, mailbox_id: int, folder_ids: frozenset[int] | None, event_types: frozenset[str],
            streaming: bool, seq: int, timeout_s: float = 0.0, anchor: str = "") -> Subscription:
        with self._lock:
            sid = encode_id("subscription", mailbox_id, next(self._counter), owner_id)
            sub = Subscription(sid, owner_id, mailbox_id, folder_ids, event_types, streaming, seq, timeout_s,
                               anchor=anchor)
            self._subs[sid] = sub
            return sub

    def get(self, sid: str) -> Subscription | None:
        with self._lock:
            sub = self._subs.get(sid)
            if sub is None:
                return None
            idle = time.monotonic() - sub.last_used
            expired = (sub.connections == 0 and idle > self.lifetime_s) if sub.streaming \
                else (sub.timeout_s and idle > sub.timeout_s)
            if expired:
                del self._subs[sid]
                return None
            return sub

    def remove(self, sid: str) -> bool:
        with self._lock:
            return self._subs.pop(sid, None) is not None

    def attach(self, subs: list[Subscription]) -> int:
        """A streaming connection starts carrying ``subs``; returns the drop generation it started in."""
        with self._lock:
            for sub in subs:
                sub.connections += 1
            self._streams += 1
            self.connections_opened += 1
            return self._drops

    def detach(self, subs: list[Subscription]) -> None:
        """That connection ended: the subscriptions' lifetime starts counting."""
        with self._lock:
            now = time.monotonic()
            for sub in subs:
                sub.connections = max(0, sub.connections - 1)
                sub.last_used = now
            self._streams -= 1

    def dropped_since(self, generation: int) -> bool:
        with self._lock:
            return self._drops != generation

    @property
    def open_streams(self) -> int:
        """Streaming connections open now."""
        with self._lock:
            return self._streams

    def drop_connections(self) -> None:
        """Cut every open streaming connection mid-answer (no ``Closed`` envelope), as a network failure does."""
        with self._lock:
            self._drops += 1

    def restart(self) -> None:
        """Forget every subscription, as a restart of the EWS process does (they live in its memory)."""
        with self._lock:
            self._subs.clear()

    def subscriptions(self) -> list[Subscription]:
        """The live subscriptions (for tests and diagnostics)."""
        with self._lock:
            return list(self._subs.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._subs)


def hub(ctx: Ctx) -> Hub:
    backend = ctx.backend
    if backend.notifications is None:
        with _HUB_LOCK:
            if backend.notifications is None:
                backend.notifications = Hub()
    return backend.notifications  # type: ignore[return-value]


_HUB_LOCK = threading.Lock()


def _lookup(ctx: Ctx, sid: str, streaming: bool | None = None) -> Subscription:
    try:
        decode_id(sid, "subscription")
    except MalformedId as exc:
        raise EwsError("ErrorInvalidSubscription", "The subscription is invalid.") from exc
    sub = hub(ctx).get(sid)
    if sub is None:
        raise EwsError("ErrorSubscriptionNotFound", "The specified subscription was not found.")
    if sub.owner_id != ctx.caller.id:
        raise EwsError("ErrorSubscriptionAccessDenied", "You don't have access to this subscription.")
    if streaming is True and not sub.streaming:
        raise EwsError("ErrorInvalidSubscription", "The subscription is not a streaming subscription.")
    if streaming is False and sub.streaming:
        raise EwsError("ErrorInvalidPullSubscriptionId", "The subscription is not a pull subscription.")
    return sub


# Subscribe -------------------------------------------------------------------------------------
@operation("Subscribe")
def subscribe(ctx: Ctx, req: etree._Element) -> etree._Element:
    request = req[0] if len(req) else None

    def fill(msg: etree._Element, _: None) -> None:
        if request is None:
            raise EwsError("ErrorInvalidSubscriptionRequest", "The subscription request is empty.")
        kind = etree.QName(request).localname
        if kind == "PushSubscriptionRequest":
            raise EwsError("ErrorInvalidSubscriptionRequest", "Push subscriptions are not supported by this server "
                                                              "(it never connects out); use streaming or pull.")
        streaming = kind == "StreamingSubscriptionRequest"
        if streaming and ctx.backend.quirks.on(Quirk.NO_STREAMING):
            raise EwsError("ErrorInvalidSubscriptionRequest", "Streaming subscriptions are not supported.")
        mailbox_id, folder_ids = _subscribed_folders(ctx, request)
        types = frozenset((e.text or "").strip() for e in request.iterfind(f"{_T}EventTypes/{_T}EventType"))
        con = ctx.store.db.connection()
        seq = last_seq(con)
        timeout_s = 0.0
        if not streaming:
            given = request.findtext(f"{_T}Watermark") or request.findtext(f"{_M}Watermark")
            if given:
                seq = min(decode_watermark(given), seq)
            timeout_s = int(request.findtext(f"{_T}Timeout") or 30) * 60.0
        anchor = (ctx.headers.get("X-AnchorMailbox") or "").strip().casefold()
        sub = hub(ctx).add(ctx.caller.id, mailbox_id, folder_ids, types, streaming, seq, timeout_s, anchor)
        etree.SubElement(msg, m("SubscriptionId")).text = sub.id
        if not streaming:
            etree.SubElement(msg, m("Watermark")).text = encode_watermark(seq)

    answer = each_message("Subscribe", [None], fill)
    if (ctx.headers.get("X-PreferServerAffinity") or "").strip().lower() == "true":
        # The cookie the front end routes the group's later requests by (one mailbox server here).
        return HttpAnswer(answer, headers={"Set-Cookie": f"X-BackEndOverrideCookie={_BACKEND_COOKIE}; path=/"})
    return answer


_BACKEND_COOKIE = "EMULATOR-MBX01~1942000000"


def _subscribed_folders(ctx: Ctx, request: etree._Element) -> tuple[int, frozenset[int] | None]:
    if xs_bool(request.get("SubscribeToAllFolders"), False):
        return ctx.caller.id, None
    refs = list(request.find(f"{_T}FolderIds") if request.find(f"{_T}FolderIds") is not None else [])
    if not refs:
        raise EwsError("ErrorInvalidSubscriptionRequest", "The subscription request names no folder.")
    folders: list[Folder] = [ctx.visible_folder(ref)[0] for ref in refs]
    mailboxes = {f.mailbox_id for f in folders}
    if len(mailboxes) != 1:
        raise EwsError("ErrorInvalidSubscriptionRequest", "All folders of a subscription must be in one mailbox.")
    return mailboxes.pop(), frozenset(f.id for f in folders)


@operation("Unsubscribe")
def unsubscribe(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        sub = _lookup(ctx, (req.findtext(f"{_M}SubscriptionId") or "").strip())
        hub(ctx).remove(sub.id)

    return each_message("Unsubscribe", [None], fill)


# Event rendering ---------------------------------------------------------------------------------
class Renderer:
    """Turns event rows into ``t:*Event`` elements for one subscriber, checking rights per folder."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self._folders: dict[int, Folder | None] = {}

    def folder(self, folder_id: int | None) -> Folder | None:
        if folder_id is None:
            return None
        if folder_id not in self._folders:
            self._folders[folder_id] = self.ctx.store.folders.get(folder_id)
        return self._folders[folder_id]

    def _folder_ref(self, tag: str, folder_id: int | None, mailbox_id: int) -> etree._Element | None:
        if folder_id is None:
            return None
        f = self.folder(folder_id)
        el = etree.Element(t(tag), Id=encode_id("folder", mailbox_id, folder_id))
        if f is not None:
            el.set("ChangeKey", change_key("folder", f.change_num))
        return el

    def _item_ref(self, tag: str, item_id: int | None, mailbox_id: int) -> etree._Element | None:
        if item_id is None:
            return None
        el = etree.Element(t(tag), Id=encode_id("item", mailbox_id, item_id))
        row = self.ctx.store.items.get(item_id)
        if row is not None:
            el.set("ChangeKey", change_key("item", row.change_num))
        return el

    def _readable(self, folder_id: int | None, *, items: bool) -> bool:
        f = self.folder(folder_id)
        if f is None:
            return False
        acc = self.ctx.access(f)
        return acc.can_read_items if items else acc.can_see_folder

    def events(self, sub: Subscription, row: sqlite3.Row) -> list[etree._Element]:
        kind = row["kind"]
        is_folder = bool(row["is_folder"])
        if is_folder:
            fid = row["folder_id"]
            current = self.folder(fid)
            parents = {row["old_folder_id"], current.parent_id if current is not None else None} - {None}
            matched = [p for p in parents if sub.folder_ids is None or p in sub.folder_ids]
            visible = self._readable(fid, items=False) if current is not None else \
                any(self._readable(p, items=False) for p in matched)
            if not matched or not visible:
                return []
        else:
            candidates = [row["folder_id"], row["old_folder_id"]]
            matched = [f for f in candidates if f is not None and (sub.folder_ids is None or f in sub.folder_ids)]
            if not matched or not any(self._readable(f, items=True) for f in matched):
                return []
        out = []
        if kind in sub.event_types:
            out.append(self._event_el(kind, row, is_folder))
        if not is_folder and "FreeBusyChangedEvent" in sub.event_types and kind != "NewMailEvent":
            f = self.folder(row["folder_id"])
            if f is not None and f.is_calendar:
                fb = self._event_el("FreeBusyChangedEvent", row, False)
                out.append(fb)
        return out

    def _event_el(self, kind: str, row: sqlite3.Row, is_folder: bool) -> etree._Element:
        mb = row["mailbox_id"]
        el = etree.Element(t(kind))
        etree.SubElement(el, t("Watermark")).text = encode_watermark(row["seq"])
        etree.SubElement(el, t("TimeStamp")).text = fmt_ts(row["at"])
        moved = kind in ("MovedEvent", "CopiedEvent")
        if is_folder:
            fid = row["folder_id"]
            current = self.folder(fid)
            el.append(self._folder_ref("FolderId", fid, mb))  # type: ignore[arg-type]
            parent = current.parent_id if (moved and current is not None) else row["old_folder_id"]
            ref = self._folder_ref("ParentFolderId", parent, mb)
            if ref is not None:
                el.append(ref)
            if moved:
                el.append(self._folder_ref("OldFolderId", fid, mb))  # type: ignore[arg-type]
                old = self._folder_ref("OldParentFolderId", row["old_folder_id"], mb)
                if old is not None:
                    el.append(old)
        else:
            el.append(self._item_ref("ItemId", row["item_id"], mb))  # type: ignore[arg-type]
            el.append(self._folder_ref("ParentFolderId", row["folder_id"], mb))  # type: ignore[arg-type]
            if moved and kind != "FreeBusyChangedEvent":
                for tag, value, maker in (("OldItemId", row["old_item_id"], self._item_ref),
                                          ("OldParentFolderId", row["old_folder_id"], self._folder_ref)):
                    ref = maker(tag, value, mb)
                    if ref is not None:
                        el.append(ref)
        if kind == "ModifiedEvent" and is_folder:
            _, unread, _ = self.ctx.store.folders.counts(row["folder_id"])
            etree.SubElement(el, t("UnreadCount")).text = str(unread)
        return el


def _collect(ctx: Ctx, sub: Subscription, limit: int = BATCH) -> tuple[list[etree._Element], int, bool]:
    """Events for ``sub`` after its position: (elements, new position, more waiting)."""
    con = ctx.store.db.connection()
    rows = events_after(con, sub.seq, sub.mailbox_id, limit)
    renderer = Renderer(Ctx(ctx.store, ctx.caller, ctx.headers, ctx.backend, request_version=ctx.request_version))
    out: list[etree._Element] = []
    seq = sub.seq
    for row in rows:
        out.extend(renderer.events(sub, row))
        seq = row["seq"]
    return out, seq, len(rows) == limit


def _notification(sub_id: str, events: list[etree._Element], previous: int | None = None,
                  more: bool = False) -> etree._Element:
    """A notification: ``m:Notification`` (GetEvents, with PreviousWatermark and MoreEvents) or
    ``t:Notification`` (inside GetStreamingEvents' ``m:Notifications``)."""
    n = etree.Element(m("Notification") if previous is not None else t("Notification"))
    etree.SubElement(n, t("SubscriptionId")).text = sub_id
    if previous is not None:
        etree.SubElement(n, t("PreviousWatermark")).text = encode_watermark(previous)
        etree.SubElement(n, t("MoreEvents")).text = bool_text(more)
    n.extend(events)
    return n


# GetEvents (pull) ----------------------------------------------------------------------------------
@operation("GetEvents")
def get_events(ctx: Ctx, req: etree._Element) -> etree._Element:
    def fill(msg: etree._Element, _: None) -> None:
        sub = _lookup(ctx, (req.findtext(f"{_M}SubscriptionId") or "").strip(), streaming=False)
        sub.seq = min(decode_watermark(req.findtext(f"{_M}Watermark")), last_seq(ctx.store.db.connection()))
        sub.last_used = time.monotonic()
        previous = sub.seq
        events, seq, more = _collect(ctx, sub)
        if not events:
            status = etree.Element(t("StatusEvent"))
            etree.SubElement(status, t("Watermark")).text = encode_watermark(seq)
            events = [status]
        sub.seq = seq
        msg.append(_notification(sub.id, events, previous, more))

    return each_message("GetEvents", [None], fill)


# GetStreamingEvents ------------------------------------------------------------------------------
@operation("GetStreamingEvents")
def get_streaming_events(ctx: Ctx, req: etree._Element) -> etree._Element | StreamingAnswer:
    if ctx.backend.quirks.on(Quirk.NO_STREAMING):
        raise SoapFault("ErrorInvalidRequest", "The request is invalid: GetStreamingEvents is not supported.")
    ids = [(s.text or "").strip() for s in req.iterfind(f"{_M}SubscriptionIds/{_T}SubscriptionId")]
    minutes = int(req.findtext(f"{_M}ConnectionTimeout") or 30)
    subs: list[Subscription] = []
    failed: list[str] = []
    first_error: EwsError | None = None
    for sid in ids:  # every failing id is named (ErrorSubscriptionIds), with the first failure's code
        try:
            sub = _lookup(ctx, sid, streaming=True)
            if sub.connections == 0 and _overflowed(ctx, sub):
                hub(ctx).remove(sub.id)  # its queue overflowed while nobody read it: the events are gone
                raise _missed()
            subs.append(sub)
        except EwsError as exc:
            failed.append(sid)
            first_error = first_error or exc
    if first_error is not None:
        return _failed(failed, first_error)
    return StreamingAnswer(_stream(ctx, subs, minutes * 60.0))


def _missed() -> EwsError:
    return EwsError("ErrorMissedNotificationEvents", "Events were missed: the subscription's event queue overflowed. "
                    "Resynchronize and subscribe again.")


def _failed(sids: list[str], exc: EwsError) -> etree._Element:
    root, container = response_root("GetStreamingEvents")
    msg = error(container, "GetStreamingEvents", exc)
    bad = etree.SubElement(msg, m("ErrorSubscriptionIds"))
    for sid in sids:
        etree.SubElement(bad, t("SubscriptionId")).text = sid
    etree.SubElement(msg, m("ConnectionStatus")).text = "Closed"
    return root


def _overflowed(ctx: Ctx, sub: Subscription) -> bool:
    limit = hub(ctx).queue_limit
    return len(events_after(ctx.store.db.connection(), sub.seq, sub.mailbox_id, limit + 1)) > limit


def _envelope(ctx: Ctx, status: str, notifications: list[etree._Element]) -> bytes:
    root, container = response_root("GetStreamingEvents")
    msg = success(container, "GetStreamingEvents")
    if notifications:
        holder = etree.SubElement(msg, m("Notifications"))
        holder.extend(notifications)
    etree.SubElement(msg, m("ConnectionStatus")).text = status
    data = envelope(root)
    ctx.backend.check_response(data)
    return data


def _stream(ctx: Ctx, subs: list[Subscription], seconds: float) -> Iterator[bytes]:
    the_hub = hub(ctx)
    generation = the_hub.attach(subs)
    try:
        deadline = time.monotonic() + seconds
        yield _envelope(ctx, "OK", [])
        last_sent = time.monotonic()
        while time.monotonic() < deadline:
            if the_hub.dropped_since(generation):
                raise StreamDropped("the streaming connection was cut")
            live = [s for s in subs if the_hub.get(s.id) is s]
            if not live:
                break
            overflowed = next((s for s in live if _overflowed(ctx, s)), None)
            if overflowed is not None:  # events came faster than this connection reads them: they are lost
                the_hub.remove(overflowed.id)
                data = envelope(_failed([overflowed.id], _missed()))
                ctx.backend.check_response(data)
                yield data
                return
            notifications = []
            for sub in live:
                events, sub.seq, _ = _collect(ctx, sub)
                if events:
                    notifications.append(_notification(sub.id, events))
            now = time.monotonic()
            if notifications or now - last_sent >= the_hub.keepalive_s:
                yield _envelope(ctx, "OK", notifications)
                last_sent = now
            else:
                time.sleep(POLL_S)
        yield _envelope(ctx, "Closed", [])
    finally:
        the_hub.detach(subs)
