"""Many calendar events put straight into an emulator's store (as ``bench/bench_calendar.py`` seeds them).

Going through the store instead of CreateItem keeps a few thousand events to a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ews_emulator.seedgen.xmlitems import calendar_item


def add_events(emu: Any, mailbox: str, events: Iterable[tuple[datetime, datetime, str]],
               weekly: dict[str, Any] | None = None) -> int:
    """Insert ``(start, end, subject)`` single events into ``mailbox``'s Calendar; returns how many.

    Args:
        weekly: When given, each event is a recurring master instead (``calendar_item``'s ``weekly`` argument).
    """
    store = emu.backend.store
    box = store.directory.by_smtp(mailbox)
    folder = store.folders.by_well_known(box.id, "calendar")
    count = 0
    with store.db.tx() as con:
        for n, (start, end, subject) in enumerate(events):
            el = calendar_item(subject=subject, body="", start=start.timestamp(), end=end.timestamp(),
                               uid=f"bulk-{n:05d}-{int(start.timestamp())}@example.com",
                               organizer=(box.display_name, box.smtp), my_response="Organizer", weekly=weekly,
                               item_type="RecurringMaster" if weekly else "Single")
            store.items.insert(con, box.id, folder.id, el, created_by=box.id, modifier_name=box.display_name,
                               received=int(start.timestamp()) - 86400, created=int(start.timestamp()) - 86400)
            count += 1
    return count
