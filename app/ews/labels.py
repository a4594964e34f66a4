"""Labels of a mailbox: its master list (``CategoryList`` on its Calendar) and the labels on its items.

The master list is read and written with Get/Create/UpdateUserConfiguration under the mailbox's **own**
``Account`` (so ``X-AnchorMailbox`` names it), the folder given as ``DistinguishedFolderId calendar`` with the
mailbox's ``<t:Mailbox>``: delegate access, never the signed-in user's Calendar. Changes are
:class:`~app.domain.labels.LabelEdit` operations replayed on the list as the server has it right before the
write, so entries and attributes other clients keep there survive (see :mod:`app.domain.labels`).

Counting: per label and folder one FindItem that asks the server for the number only — a restriction on
``item:Categories``, the IdOnly shape, an ``IndexedPageItemView`` of one row — and reads ``TotalItemsInView``
(:func:`count_carrying`). That is labels x folders tiny requests, whatever the size of the mailbox, instead of
reading every labelled row.

Relabelling: one FindItem over several folders (one response message per folder, as Exchange answers) finds the
messages carrying a label — only ``item:Categories`` is asked for — and UpdateItem, :data:`CHUNK` items per
request, gives each item its own new category list (a rename keeps the item's other labels).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from exchangelib import errors as ex
from exchangelib.fields import FieldPath
from exchangelib.items import AUTO_RESOLVE, ID_ONLY, SAVE_ONLY, SEND_TO_NONE, SHALLOW, Message
from exchangelib.properties import (
    FolderId,
    UserConfiguration,
    UserConfigurationName,
    UserConfigurationNameMNS,
)
from exchangelib.restriction import Q, Restriction
from exchangelib.services import (
    CreateUserConfiguration,
    FindItem,
    GetUserConfiguration,
    UpdateItem,
    UpdateUserConfiguration,
)
from lxml import etree

from app.domain.categories import Category
from app.domain.errors import AccessDenied, Cancelled
from app.domain.folders import FolderRef
from app.domain.labels import LabelEdit, LabelList, relabelled
from app.ews.addressing import WholeBodyParsing, folder_id, folder_object, raise_first_error, run, well_known
from app.ews.client import EwsClient

CONFIGURATION_NAME = "CategoryList"
CHUNK = 50  # items per UpdateItem
PAGE = 1000  # rows per folder and FindItem page (Exchange's EWSFindCountLimit)
COUNT_ROWS = 1  # rows a counting FindItem asks for: only its TotalItemsInView is read
_T = "{http://schemas.microsoft.com/exchange/services/2006/types}"
Progress = Callable[[int, int], None]
Wait = Callable[[str], None] | None


# -- the master list ----------------------------------------------------------------------------------------------
def _calendar(client: EwsClient, mailbox: str) -> tuple[object, object]:
    account = client.account(mailbox)
    return account, folder_object(account, well_known(mailbox, "calendar"))


def _fetch(client: EwsClient, mailbox: str) -> bytes | None:
    """The list's XmlData; None when the mailbox has no list yet. Raw exchangelib errors (inside ``run``)."""
    account, calendar = _calendar(client, mailbox)
    try:
        config = GetUserConfiguration(account=account).get(
            user_configuration_name=UserConfigurationNameMNS(name=CONFIGURATION_NAME, folder=calendar),
            properties="XmlData",
        )
    except ex.ErrorItemNotFound:
        return None
    return config.xml_data or None


def read_list(client: EwsClient, mailbox: str, *, on_wait: Wait = None) -> LabelList:
    """The mailbox's master label list (one GetUserConfiguration).

    Raises:
        AccessDenied: The user may not read the mailbox's Calendar ("You cannot see the labels of …").
        LabelError: The stored list is not a category list (it is then left alone).
    """
    xml = run(client, mailbox, lambda: _fetch(client, mailbox),
              denied=f"You cannot see the labels of {mailbox}: that needs access to its Calendar.", on_wait=on_wait)
    return LabelList(xml)


def edit_list(client: EwsClient, mailbox: str, edits: Sequence[LabelEdit], *, on_wait: Wait = None) -> list[Category]:
    """Apply label changes to the mailbox's master list: read it fresh, change it, write it back.

    The write is UpdateUserConfiguration (only ``XmlData``), or CreateUserConfiguration for a mailbox that has
    no list yet.

    Returns:
        The labels as saved.

    Raises:
        AccessDenied: The user lacks owner rights on the mailbox's Calendar (Full Access is needed).
        LabelError: A change cannot be made (name taken, label gone meanwhile).
    """
    account, calendar = _calendar(client, mailbox)

    def work() -> list[Category]:
        xml = _fetch(client, mailbox)
        labels = LabelList(xml)
        for edit in edits:
            edit.apply(labels)
        config = UserConfiguration(
            user_configuration_name=UserConfigurationName(name=CONFIGURATION_NAME, folder=calendar),
            xml_data=labels.to_xml(),
        )
        service = UpdateUserConfiguration if labels.existed else CreateUserConfiguration
        service(account=account).get(user_configuration=config)
        return labels.categories()

    return run(client, mailbox, work, on_wait=on_wait,
               denied=f"You may not change the labels of {mailbox}: that needs Full Access to the mailbox.")


# -- labels on items ----------------------------------------------------------------------------------------------
@dataclass
class LabelledItem:
    """A message carrying labels: where it is, its id and its categories."""

    folder: FolderRef
    item_id: str
    categories: tuple[str, ...]


@dataclass
class LabelCounts:
    """How many messages carry each label, per folder.

    Attributes:
        per_folder: ``folder key -> {label (as first asked) -> count}``; labels no message carries are left out.
        counted: The labels that were counted (casefolded); a label not among them has no count yet.
        skipped: Folders the server refused to search (they are not in ``per_folder``).
        requests: FindItem round trips the count took.
        scope: What the counts cover, in words for the user (set by who chose the folders).
        counted_at: ``time.monotonic()`` when the count was made.
    """

    per_folder: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    counted: frozenset[str] = frozenset()
    skipped: tuple[FolderRef, ...] = ()
    requests: int = 0
    scope: str = ""
    counted_at: float = 0.0

    def covers(self, name: str) -> bool:
        """Whether ``name`` was counted (case-insensitive)."""
        return name.casefold() in self.counted

    def total(self, name: str) -> int:
        """Messages carrying ``name`` in all the folders counted (case-insensitive; 0 when not counted)."""
        key = name.casefold()
        return sum(n for counts in self.per_folder.values() for label, n in counts.items() if label.casefold() == key)

    def by_folder(self, name: str) -> dict[tuple[str, str], int]:
        key = name.casefold()
        out: dict[tuple[str, str], int] = {}
        for folder, counts in self.per_folder.items():
            n = sum(c for label, c in counts.items() if label.casefold() == key)
            if n:
                out[folder] = n
        return out

    def names(self) -> list[str]:
        """Every counted label that messages carry (also those not in the master list), first spelling kept."""
        seen: dict[str, str] = {}
        for counts in self.per_folder.values():
            for label, n in counts.items():
                if n:
                    seen.setdefault(label.casefold(), label)
        return list(seen.values())

    def folder_keys(self) -> set[tuple[str, str]]:
        """The folders counted (refused ones included: asking again would not help)."""
        return set(self.per_folder) | {f.key for f in self.skipped}


class _CountItems(WholeBodyParsing, FindItem):
    """One FindItem that returns only how many items match: IdOnly, one row, ``TotalItemsInView`` read."""

    def total(self, folder: FolderId, restriction: Restriction) -> int:
        payload = self.get_payload(
            folders=[folder], additional_fields=None, restriction=restriction, order_fields=None, query_string=None,
            shape=ID_ONLY, depth=SHALLOW, calendar_view=None, page_size=COUNT_ROWS, offset=0,
        )
        total = 0
        for root, _next_offset in self._get_elements(payload=payload):  # one response message: one folder
            if isinstance(root, Exception):
                raise root
            if root is not None:  # exchangelib drops the RootFolder of an empty view: 0
                total = int(root.get("TotalItemsInView") or 0)
        return total


def count_carrying(client: EwsClient, folder: FolderRef, name: str, *, on_wait: Wait = None,
                   cancelled: Callable[[], bool] | None = None) -> int:
    """How many messages in ``folder`` carry the label ``name``: exactly one FindItem, no rows read.

    The restriction is IsEqualTo on ``item:Categories`` (a multi-valued property: any of the item's labels,
    compared case-insensitively by Exchange); the count is the view's ``TotalItemsInView``.

    Raises:
        AccessDenied: The user may not read items in the folder.
    """
    account = client.account(folder.mailbox)
    fid = folder_id(folder)
    restriction = Restriction(Q(categories__contains=[name]), folders=[folder_object(account, fid)],
                              applies_to=Restriction.ITEMS)

    def work() -> int:
        return _CountItems(account=account, page_size=COUNT_ROWS).total(fid, restriction)

    return run(client, folder.mailbox, work, denied=f"You have no right to read messages in {folder.mailbox}.",
               on_wait=on_wait, cancelled=cancelled)


def _unique(names: Iterable[str]) -> list[str]:
    """Names without blanks and case-insensitive repeats, the first spelling kept."""
    seen: dict[str, str] = {}
    for name in names:
        clean = name.strip()
        if clean:
            seen.setdefault(clean.casefold(), clean)
    return list(seen.values())


def count_labels(client: EwsClient, mailbox: str, folders: Sequence[FolderRef], names: Iterable[str], *,
                 on_wait: Wait = None, cancelled: Callable[[], bool] | None = None) -> LabelCounts:
    """How many messages carry each of ``names`` in ``folders``: one :func:`count_carrying` per (label, folder).

    No message is read, so the cost is ``len(names) * len(folders)`` tiny requests, not the size of the
    mailbox. A folder the server refuses is skipped (listed in ``skipped``) after its first request.

    Raises:
        AccessDenied: The server refused every folder.
        Cancelled: ``cancelled()`` became true (polled before each request).
    """
    labels = _unique(names)
    counts = LabelCounts({f.key: {} for f in folders}, counted=frozenset(n.casefold() for n in labels))
    skipped: list[FolderRef] = []
    denied: AccessDenied | None = None
    for folder in folders:
        for name in labels:
            if cancelled is not None and cancelled():
                raise Cancelled(f"Counting the labels of {mailbox} was cancelled.")
            counts.requests += 1
            try:
                n = count_carrying(client, folder, name, on_wait=on_wait, cancelled=cancelled)
            except AccessDenied as error:
                denied = error
                skipped.append(folder)
                counts.per_folder.pop(folder.key, None)
                break
            if n:
                counts.per_folder[folder.key][name] = n
    if denied is not None and len(skipped) == len(folders):
        raise denied
    counts.skipped = tuple(skipped)
    counts.counted_at = time.monotonic()
    return counts


class _FindLabelled(WholeBodyParsing, FindItem):
    """FindItem over several folders at once, reading ids and categories from the XML."""

    def pages(self, folders: list[FolderRef], restriction_q: Q, offset: int,
              ) -> list[tuple[list[tuple[str, tuple[str, ...]]], bool]]:
        """Per folder, in order: (rows, more to come)."""
        account = self.account
        fids = [folder_id(f) for f in folders]
        restriction = Restriction(restriction_q, folders=[folder_object(account, fids[0])],
                                  applies_to=Restriction.ITEMS)
        payload = self.get_payload(
            folders=fids, additional_fields={FieldPath(field=Message.get_field_by_fieldname("categories"))},
            restriction=restriction, order_fields=None, query_string=None, shape=ID_ONLY, depth=SHALLOW,
            calendar_view=None, page_size=PAGE, offset=offset,
        )
        out: list[tuple[list[tuple[str, tuple[str, ...]]], bool]] = []
        for root, next_offset in self._get_elements(payload=payload):
            if isinstance(root, Exception):
                raise root
            rows: list[tuple[str, tuple[str, ...]]] = []
            if root is not None:
                for elem in self._get_elems_from_page(root, max_items=None, total_item_count=0):
                    row = _row(elem)
                    if row is not None:
                        rows.append(row)
            out.append((rows, next_offset is not None and bool(rows)))
        return out


def _row(elem: etree._Element) -> tuple[str, tuple[str, ...]] | None:
    item_id = elem.find(f"{_T}ItemId")
    if item_id is None or not item_id.get("Id"):
        return None
    cats = elem.find(f"{_T}Categories")
    names = tuple((s.text or "").strip() for s in cats.iterfind(f"{_T}String")) if cats is not None else ()
    return item_id.get("Id") or "", tuple(n for n in names if n)


def _find(client: EwsClient, mailbox: str, folders: Sequence[FolderRef], q: Q, *, on_wait: Wait,
          cancelled: Callable[[], bool] | None) -> list[LabelledItem]:
    """Every item matching ``q`` in ``folders`` (all of one mailbox): one FindItem, more only for big folders."""
    if not folders:
        return []
    account = client.account(mailbox)
    found: list[LabelledItem] = []
    pending = [(list(folders), 0)]
    while pending:
        if cancelled is not None and cancelled():
            raise Cancelled("Cancelled.")
        batch, offset = pending.pop()

        def work(batch: list[FolderRef] = batch, offset: int = offset) -> list:
            return _FindLabelled(account=account, page_size=PAGE).pages(batch, q, offset)

        pages = run(client, mailbox, work, denied=f"You have no right to read messages in {mailbox}.",
                    on_wait=on_wait, cancelled=cancelled)
        for folder, (rows, more) in zip(batch, pages, strict=True):
            found.extend(LabelledItem(folder, item_id, cats) for item_id, cats in rows)
            if more:
                pending.append(([folder], offset + len(rows)))
    return found


def find_labelled(client: EwsClient, mailbox: str, folders: Sequence[FolderRef], name: str, *,
                  on_wait: Wait = None, cancelled: Callable[[], bool] | None = None) -> list[LabelledItem]:
    """The messages in ``folders`` carrying the label ``name`` (server-side restriction on item:Categories)."""
    items = _find(client, mailbox, folders, Q(categories__contains=[name]), on_wait=on_wait, cancelled=cancelled)
    # The server compares case-insensitively already; keep only exact label hits (a restriction is never looser).
    return [i for i in items if name.casefold() in {c.casefold() for c in i.categories}]


def labels_in_use(client: EwsClient, mailbox: str, folders: Sequence[FolderRef], *, on_wait: Wait = None,
                  cancelled: Callable[[], bool] | None = None) -> list[str]:
    """Every label the messages in ``folders`` carry (first spelling kept), for a mailbox whose master list cannot
    be read: one FindItem over all the folders (``Exists item:Categories``, only ids and categories read); more
    only for folders with over :data:`PAGE` labelled messages.
    """
    items = _find(client, mailbox, folders, Q(categories__exists=True), on_wait=on_wait, cancelled=cancelled)
    return _unique(name for item in items for name in item.categories)


def update_categories(client: EwsClient, mailbox: str, changes: Sequence[tuple[str, Sequence[str]]],
                      progress: Progress, cancelled: Callable[[], bool], *, on_wait: Wait = None,
                      chunk_size: int = CHUNK) -> int:
    """Give each item its own categories: UpdateItem with :data:`CHUNK` items per request.

    Args:
        changes: ``(item id, categories)``; an empty list clears the item's categories.
        progress: ``progress(done, total)`` after each request.
        cancelled: Polled between requests; the work stops there (what was done stays done).

    Returns:
        How many items were updated (items gone meanwhile are not counted).

    Raises:
        AccessDenied: The user may not change items there ("…needs the right to edit its messages").
        Cancelled: ``cancelled()`` became true (``.done`` says how many were updated before).
    """
    account = client.account(mailbox)
    total = len(changes)
    done = updated = 0
    for start in range(0, total, chunk_size):
        if cancelled():
            raise _cancelled(done, total)
        chunk = changes[start:start + chunk_size]
        items = [(Message(account=account, id=item_id, categories=list(cats) or None), ["categories"])
                 for item_id, cats in chunk]

        def work(items: list = items) -> list[object]:
            return raise_first_error(UpdateItem(account=account).call(
                items=items, conflict_resolution=AUTO_RESOLVE, message_disposition=SAVE_ONLY,
                send_meeting_invitations_or_cancellations=SEND_TO_NONE, suppress_read_receipts=True))

        try:
            results = run(client, mailbox, work, on_wait=on_wait, cancelled=cancelled,
                          denied=f"You may not change the labels of messages in {mailbox}: that needs the right "
                                 "to edit its messages.")
        except AccessDenied as error:
            if done:
                raise AccessDenied(f"{error} ({done} of {total} were updated before that.)") from error
            raise
        updated += sum(1 for r in results if not isinstance(r, Exception))
        done += len(chunk)
        progress(done, total)
    return updated


def relabel(client: EwsClient, mailbox: str, folders: Sequence[FolderRef], old: str, new: str | None,
            progress: Progress, cancelled: Callable[[], bool], *, on_wait: Wait = None, chunk_size: int = CHUNK) -> int:
    """Rename the label ``old`` to ``new`` on every message carrying it (``new`` None: remove it from them).

    First every labelled message is found (FindItem), then updated in chunks (UpdateItem), each keeping its
    other labels. ``progress(done, total)`` counts messages.

    Returns:
        How many messages were updated.
    """
    items = find_labelled(client, mailbox, folders, old, on_wait=on_wait, cancelled=cancelled)
    progress(0, len(items))
    changes = [(i.item_id, relabelled(i.categories, old, new)) for i in items]
    return update_categories(client, mailbox, changes, progress, cancelled, on_wait=on_wait, chunk_size=chunk_size)


def _cancelled(done: int, total: int) -> Cancelled:
    error = Cancelled(f"Stopped after {done} of {total} messages.")
    error.done = done  # type: ignore[attr-defined]
    return error
