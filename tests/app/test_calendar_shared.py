""""Open shared calendar…" in the real window: a colleague's calendar shared at folder level only opens under the
user's own account (DistinguishedFolderId + Mailbox; their root stays closed) and shows its events; a calendar
shared free/busy only shows busy blocks without subjects; an unknown address and a calendar not shared at all
give a clear message in the window.
"""

from __future__ import annotations

from typing import Any

import pytest
from exchangelib import errors as ex

from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.calendar_ui import click, ews, last_dialog, open_calendar, until, wait_loaded

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)

OWN = "alice@example.com"
DAVE = "dave@example.com"


def _share(emu: Any, owner: str, principal: int | str, role: str) -> None:
    """What ``owner`` does in Outlook's calendar permissions: give ``principal`` a role on their Calendar only."""
    from ews_emulator.provision import grant_folder_permission
    from ews_emulator.rights import from_role

    store = emu.backend.store
    box = store.directory.by_smtp(owner)
    folder = store.folders.by_well_known(box.id, "calendar")
    who = store.directory.by_smtp(principal).id if isinstance(principal, str) and "@" in principal else principal
    with store.db.tx() as con:
        grant_folder_permission(store, con, folder.id, who, from_role(role))


def _open_shared(d: Driver, pane: Any, address: str, typed: str = "") -> Any:
    """Click "Open shared calendar…", type the address (or ``typed`` and pick it from the directory's
    suggestions), click Open."""
    click(d, pane.calendar_list.open_shared)
    dialog = last_dialog(d, pane, "openSharedCalendarDialog")
    edit = dialog.findChild(QLineEdit, "sharedCalendarAddress")
    if typed:
        with d.qtbot.waitSignal(dialog.completer.results_ready, timeout=WAIT_MS):
            d.qtbot.keyClicks(edit, typed)
        row = next(n for n, p in enumerate(dialog.completer.people()) if p.address == address)
        dialog.completer.choose(row)
        assert edit.text() == address
    else:
        d.qtbot.keyClicks(edit, address)
    click(d, dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open))
    return dialog


def test_a_calendar_shared_at_folder_level_opens_without_the_owners_root(qtbot, fresh_emulator, drive) -> None:
    _share(fresh_emulator, DAVE, OWN, "Reviewer")
    with pytest.raises(ex.ErrorAccessDenied):  # opening dave as an Account reads his root first: refused
        ews(fresh_emulator, "alice", DAVE).root.refresh()
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN)
    counts = fresh_emulator.backend.operation_counts
    before = dict(counts)
    _open_shared(d, pane, DAVE, typed="Dave")  # directory autocomplete
    until(d, lambda: pane.calendar_named(DAVE) is not None)
    dave = pane.calendar_named(DAVE)
    assert not dave.free_busy_only and dave.rights.read and not dave.rights.create_contents
    assert dave.owner.name == "Dave Diaz" and dave.folder.well_known == "calendar"
    assert pane.calendar_list.current() == dave and pane.calendar_list.is_checked(dave)
    wait_loaded(d, pane)
    used = {op for op, n in counts.items() if n != before.get(op, 0)}
    assert "GetFolder" in used and "FindItem" in used
    theirs = pane.events[dave.folder.key]
    assert any(e.subject == "Sprint planning" for e in theirs), "his own meetings, with subjects"
    sprint = next(e for e in theirs if e.subject == "Sprint planning")
    assert pane.label(dave.folder.key, sprint) == ("Sprint planning", sprint.location, False)
    assert not pane.new_event.isEnabled() and "read-only access to Dave Diaz" in pane.new_event.toolTip()


def test_a_free_busy_only_calendar_shows_busy_blocks_without_subjects(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    pane = open_calendar(d, OWN)
    _open_shared(d, pane, DAVE)  # the default: everyone sees his free/busy time only
    until(d, lambda: pane.calendar_named(DAVE) is not None)
    dave = pane.calendar_named(DAVE)
    assert dave.free_busy_only and not dave.subject_visible
    wait_loaded(d, pane)
    blocks = pane.events[dave.folder.key]
    assert blocks and all(e.item_id == "" for e in blocks)
    shown = [p for p in pane.grid.layout_model.timed if p.key == dave.folder.key]
    assert shown, "his busy time this week is on the grid"
    for p in shown:
        title, detail, hidden = pane.label(p.key, p.event)
        assert title in ("Busy", "Tentative", "Away") and detail == "" and hidden
        assert "Sprint" not in p.event.subject and "Deploy" not in p.event.subject
    pane.grid.select(shown[0])
    assert not pane.open_event.isEnabled() and "only see when Dave Diaz" in pane.open_event.toolTip()


def test_unknown_address_and_a_calendar_not_shared_give_a_clear_message(qtbot, fresh_emulator, drive) -> None:
    _share(fresh_emulator, "carol@example.com", "Default", "None")
    d = drive(fresh_emulator, "alice")
    pane = open_calendar(d, OWN)
    bar = d.window.message_bar
    _open_shared(d, pane, "nobody@example.com")
    until(d, lambda: bar.text() == "There is no mailbox nobody@example.com on the server.")
    assert pane.calendar_named("nobody@example.com") is None
    _open_shared(d, pane, "carol@example.com")
    until(d, lambda: bar.text().startswith("carol@example.com has not shared their calendar with you"))
    assert pane.calendar_named("carol@example.com") is None
