"""What the message list needs to undo optimistic changes and to read SyncFolderItems changes.

Split from :mod:`app.models.message_list_model`, which re-exports :class:`UndoToken`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.domain.messages import MessageSummary


@dataclass
class UndoToken:
    """What an optimistic change replaced, to put it back with :meth:`MessageListModel.undo`.

    Attributes:
        generation: The folder/query generation the change was made in (undo is void after a reload).
        kind: "read", "flag", "categories" or "remove".
        before: The rows as they were, by item id (rows the change did not alter are left out).
        removed: For :meth:`MessageListModel.remove_local`: (row, summary) in ascending row order.
    """

    generation: int
    kind: str
    before: dict[str, MessageSummary] = field(default_factory=dict)
    removed: list[tuple[int, MessageSummary]] = field(default_factory=list)

    def count_delta(self, only: Iterable[str] | None = None) -> tuple[int, int]:
        """How the change moved the folder's (total, unread) counts, for all items or those in ``only``.

        Negate it to undo. Lets the sidebar follow optimistic changes before the server's counts arrive.
        """
        keep = set(only) if only is not None else None
        if self.kind == "remove":
            gone = [m for _, m in self.removed if keep is None or m.item_id in keep]
            return -len(gone), -sum(1 for m in gone if not m.is_read)
        if self.kind == "read":
            # `before` holds only rows whose read state flipped: read before -> one more unread now.
            flipped = [m for i, m in self.before.items() if keep is None or i in keep]
            return 0, sum(1 if m.is_read else -1 for m in flipped)
        return 0, 0

    @property
    def unread_delta(self) -> int:
        return self.count_delta()[1]


def kind_of(change: Any) -> str:
    """A change's kind as lower-case text ("create", "read_flag", ...), from an enum or a string."""
    kind = getattr(change, "kind", None)
    if kind is None:
        kind = getattr(change, "type", "")
    value = getattr(kind, "value", kind)
    return str(getattr(kind, "name", value) if not isinstance(value, str) else value).casefold()


def runs(rows: list[int]) -> list[tuple[int, int]]:
    """Sorted row numbers as contiguous (first, last) runs."""
    result: list[tuple[int, int]] = []
    for _, group in itertools.groupby(enumerate(rows), key=lambda p: p[1] - p[0]):
        block = [r for _, r in group]
        result.append((block[0], block[-1]))
    return result
