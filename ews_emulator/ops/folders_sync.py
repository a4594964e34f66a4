"""SyncFolderHierarchy: Create / Update / Delete changes below a folder since the client's SyncState.

The SyncState is opaque to clients: a compressed snapshot of the folders the caller could see (id and
change number) when the state was issued, plus the mailbox and the sync root. Comparing it with the
folders visible now yields Creates (new, moved in, or newly visible), Updates (renamed, moved within the
subtree, permissions changed: anything that gave the folder a new change number) and Deletes (gone,
moved out, or no longer visible). Item count changes do not touch a folder's change number, so, as in
Exchange, they produce no change. Without ``SyncFolderId`` the caller's own mailbox root is synchronised;
a state issued for another root (or for no root) is ``ErrorInvalidSyncStateData``, as Exchange treats
"null" and "root" as different roots.
"""

from __future__ import annotations

import base64
import binascii
import struct
import zlib

from lxml import etree

from ews_emulator.errors import EwsError
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import operation
from ews_emulator.exchange.responses import single_message
from ews_emulator.ops.folderquery import visible_tree
from ews_emulator.ops.folderxml import folder_element, parse_shape
from ews_emulator.soap import M_NS, m, t
from ews_emulator.store.ids import encode_id

_M = f"{{{M_NS}}}"
_MAGIC = b"EMUH\x01"
_HEAD = struct.Struct(">QQI")
_ENTRY = struct.Struct(">QQ")


def encode_state(mailbox_id: int, root_key: int, entries: dict[int, int]) -> str:
    raw = _HEAD.pack(mailbox_id, root_key, len(entries))
    raw += b"".join(_ENTRY.pack(fid, num) for fid, num in sorted(entries.items()))
    return base64.b64encode(_MAGIC + zlib.compress(raw)).decode("ascii")


def decode_state(text: str) -> tuple[int, int, dict[int, int]]:
    """(mailbox id, root key, {folder id: change number}); ErrorInvalidSyncStateData for anything else."""
    bad = EwsError(
        "ErrorInvalidSyncStateData", "Synchronization state data is corrupted or otherwise invalid."
    )
    try:
        blob = base64.b64decode(text.strip().encode("ascii"), validate=True)
        if not blob.startswith(_MAGIC):
            raise bad
        raw = zlib.decompress(blob[len(_MAGIC) :])
        mailbox_id, root_key, count = _HEAD.unpack_from(raw)
        if len(raw) != _HEAD.size + count * _ENTRY.size:
            raise bad
        entries = dict(_ENTRY.iter_unpack(raw[_HEAD.size :]))
    except (ValueError, UnicodeEncodeError, binascii.Error, zlib.error, struct.error) as exc:
        raise bad from exc
    return mailbox_id, root_key, entries


@operation("SyncFolderHierarchy")
def sync_folder_hierarchy(ctx: Ctx, req: etree._Element) -> etree._Element:
    shape = parse_shape(req.find(f"{_M}FolderShape"))
    target = req.find(f"{_M}SyncFolderId")
    state_text = (req.findtext(f"{_M}SyncState") or "").strip()

    def fill(msg: etree._Element) -> None:
        ref = next((c for c in target if isinstance(c.tag, str)), None) if target is not None else None
        if ref is not None:
            root, _ = ctx.visible_folder(ref)
            root_key = root.id
        else:
            root = ctx.store.folders.by_well_known(ctx.caller.id, "root")
            if root is None:
                raise EwsError("ErrorFolderNotFound")
            root_key = 0
        known: dict[int, int] = {}
        if state_text:
            mailbox_id, state_root, known = decode_state(state_text)
            if (mailbox_id, state_root) != (root.mailbox_id, root_key):
                raise EwsError(
                    "ErrorInvalidSyncStateData",
                    "The synchronization state was issued for a different folder.",
                )
        current = visible_tree(ctx, root)
        changes = etree.Element(m("Changes"))
        for folder in current:
            if folder.id not in known:
                etree.SubElement(changes, t("Create")).append(folder_element(ctx, folder, shape))
        for folder in current:
            if folder.id in known and known[folder.id] != folder.change_num:
                etree.SubElement(changes, t("Update")).append(folder_element(ctx, folder, shape))
        alive = {f.id for f in current}
        for fid in known:
            if fid not in alive:
                gone = etree.SubElement(changes, t("Delete"))
                etree.SubElement(gone, t("FolderId"), Id=encode_id("folder", root.mailbox_id, fid))
        state = encode_state(root.mailbox_id, root_key, {f.id: f.change_num for f in current})
        etree.SubElement(msg, m("SyncState")).text = state
        etree.SubElement(msg, m("IncludesLastFolderInRange")).text = "true"
        msg.append(changes)

    return single_message("SyncFolderHierarchy", fill)
