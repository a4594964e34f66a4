"""SyncFolderItems: the changes of a folder's items since a sync state, oldest first.

Every write takes a number from the store-wide change counter: an item carries the number of its last
change (``change_num``) and a deletion or move out of the folder leaves a tombstone with its own. A
sync state records (folder, watermark W, id horizon H, complete):

- an item with ``change_num > W`` is a **Create** if its id is above H (it did not exist when the client
  last caught up; ids only grow), else an **Update**;
- a tombstone with ``change_num > W`` is a **Delete** if the client can know the item: id <= H, or any
  id while an initial or partial sync is still running (the client may have been given it since);
- after the last page (``IncludesLastItemInRange``) H moves up to the store's highest id.

``ReadFlagChange`` is reported for an item whose only change since W is its read flag (the store
records the change number of an item's last other change in ``item_content_changes``).

``MaxChangesReturned`` is 1..512 (the schema enforces it); ``Ignore`` hides items from the answer;
``SyncScope`` NormalItems / NormalAndAssociatedItems. Requires ReadItems FullDetails.
"""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass

from lxml import etree

from ews_emulator.errors import EwsError, access_denied
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import single_message
from ews_emulator.ops.itemxml import item_id_for, render_item
from ews_emulator.ops.shapes import ItemShape, parse_item_shape
from ews_emulator.rights import Access
from ews_emulator.soap import M_NS, T_NS, bool_text, m, t
from ews_emulator.store import Folder, ItemRow
from ews_emulator.store.ids import MalformedId, decode_id, encode_id

_M = f"{{{M_NS}}}"
_T = f"{{{T_NS}}}"
_STATE = struct.Struct(">4sBQQQB")
_MAGIC = b"EMSI"
MAX_CHANGES = 512


@dataclass(frozen=True)
class SyncState:
    folder_id: int
    watermark: int = 0
    horizon: int = 0
    complete: bool = False

    def encode(self) -> str:
        raw = _STATE.pack(_MAGIC, 1, self.folder_id, self.watermark, self.horizon, int(self.complete))
        return base64.b64encode(raw + struct.pack(">I", zlib.crc32(raw))).decode("ascii")

    @classmethod
    def decode(cls, text: str, folder_id: int) -> SyncState:
        try:
            raw = base64.b64decode(text.strip().encode("ascii"), validate=True)
            body, check = raw[:-4], raw[-4:]
            magic, version, fid, watermark, horizon, complete = _STATE.unpack(body)
        except (ValueError, struct.error, UnicodeEncodeError):
            raise EwsError("ErrorInvalidSyncStateData") from None
        if magic != _MAGIC or version != 1 or struct.pack(">I", zlib.crc32(body)) != check or fid != folder_id:
            raise EwsError("ErrorInvalidSyncStateData")
        return cls(fid, watermark, horizon, bool(complete))


@operation("SyncFolderItems")
def sync_folder_items(ctx: Ctx, req: etree._Element) -> etree._Element:
    return single_message("SyncFolderItems", lambda msg: _sync(ctx, req, msg))


def _ignored(ctx: Ctx, req: etree._Element) -> set[int]:
    out = set()
    container = req.find(f"{_M}Ignore")
    for ref in container if container is not None else []:
        try:
            out.add(decode_id(ref.get("Id"), "item").row_id)
        except MalformedId as exc:
            raise EwsError("ErrorInvalidIdMalformed", str(exc)) from exc
    return out


def _sync(ctx: Ctx, req: etree._Element, msg: etree._Element) -> None:
    holder = req.find(f"{_M}SyncFolderId")
    ref = next((c for c in holder if isinstance(c.tag, str)), None) if holder is not None else None
    if ref is None:
        raise EwsError("ErrorInvalidRequest", "SyncFolderId is required.")
    folder, acc = ctx.visible_folder(ref)
    if not acc.can_read_items:
        raise access_denied()
    shape = parse_item_shape(req.find(f"{_M}ItemShape"))
    state_text = (req.findtext(f"{_M}SyncState") or "").strip()
    state = SyncState.decode(state_text, folder.id) if state_text else SyncState(folder.id)
    limit = max(1, min(MAX_CHANGES, int(req.findtext(f"{_M}MaxChangesReturned") or MAX_CHANGES)))
    associated = (req.findtext(f"{_M}SyncScope") or "NormalItems") == "NormalAndAssociatedItems"
    ignored = _ignored(ctx, req)
    con = ctx.store.db.connection()
    in_tx = con.in_transaction
    if not in_tx:
        con.execute("BEGIN")  # one snapshot for items, tombstones and the id horizon
    try:
        changes, new_state, last = _collect(ctx, folder, state, limit, associated)
    finally:
        if not in_tx:
            con.execute("COMMIT")
    etree.SubElement(msg, m("SyncState")).text = new_state.encode()
    etree.SubElement(msg, m("IncludesLastItemInRange")).text = bool_text(last)
    out = etree.SubElement(msg, m("Changes"))
    for kind, payload in changes:
        if isinstance(payload, ItemRow) and payload.id in ignored:
            continue
        if isinstance(payload, int) and payload in ignored:
            continue
        out.append(_change_el(ctx, folder, acc, shape, kind, payload))


def _collect(ctx: Ctx, folder: Folder, state: SyncState, limit: int,
             associated: bool) -> tuple[list[tuple[str, ItemRow | int]], SyncState, bool]:
    con = ctx.store.db.connection()
    scope = "" if associated else " AND is_associated = 0"
    rows = ctx.store.items.select(f"folder_id = ? AND change_num > ?{scope}", (folder.id, state.watermark),
                                  order="change_num ASC", limit=limit + 1)
    tombs = con.execute(
        "SELECT change_num, item_id FROM tombstones WHERE folder_id = ? AND change_num > ? AND item_id IS NOT NULL"
        " ORDER BY change_num LIMIT ?", (folder.id, state.watermark, limit + 1)).fetchall()
    merged: list[tuple[int, str, ItemRow | int]] = [(r.change_num, "item", r) for r in rows]
    merged += [(int(tb[0]), "delete", int(tb[1])) for tb in tombs]
    merged.sort(key=lambda e: e[0])
    page, more = merged[:limit], len(merged) > limit
    content = _content_changes(con, [p for _c, k, p in page if k == "item"])
    changes: list[tuple[str, ItemRow | int]] = []
    for _change, kind, payload in page:
        if kind == "delete":
            assert isinstance(payload, int)
            if payload <= state.horizon or not state.complete:
                changes.append(("Delete", payload))
            continue
        assert isinstance(payload, ItemRow)
        if payload.id > state.horizon:
            changes.append(("Create", payload))
        elif payload.id in content and content[payload.id] <= state.watermark:
            changes.append(("ReadFlagChange", payload))
        else:
            changes.append(("Update", payload))
    watermark = page[-1][0] if page else state.watermark
    if more:
        return changes, SyncState(folder.id, watermark, state.horizon, False), False
    horizon = max(state.horizon, _max_id(con))
    return changes, SyncState(folder.id, watermark, horizon, True), True


def _max_id(con) -> int:
    row = con.execute("SELECT max(coalesce((SELECT max(id) FROM items), 0),"
                      " coalesce((SELECT max(item_id) FROM tombstones), 0))").fetchone()
    return int(row[0] or 0)


def _content_changes(con, rows: list) -> dict[int, int]:
    """item id -> change number of its last change other than the read flag (items that have one recorded)."""
    ids = [r.id for r in rows]
    if not ids:
        return {}
    try:
        found = con.execute(f"SELECT item_id, change_num FROM item_content_changes WHERE item_id IN"
                            f" ({','.join('?' * len(ids))})", ids).fetchall()
    except Exception:  # noqa: BLE001 - a store without the table records no read-only changes
        return {}
    return {int(a): int(b) for a, b in found}


def _change_el(ctx: Ctx, folder: Folder, acc: Access, shape: ItemShape, kind: str,
               payload: ItemRow | int) -> etree._Element:
    el = etree.Element(t(kind))
    if kind == "Delete":
        assert isinstance(payload, int)
        etree.SubElement(el, t("ItemId"), Id=encode_id("item", folder.mailbox_id, payload))
        return el
    assert isinstance(payload, ItemRow)
    if kind == "ReadFlagChange":
        el.append(item_id_for(payload))
        etree.SubElement(el, t("IsRead")).text = bool_text(payload.is_read)
        return el
    el.append(render_item(ctx, payload, acc, shape))
    return el
