"""Opening a folder, searching and refreshing in the real window against the emulator: each clears the reading
pane once and works the actions out once (both cost the GUI thread; a folder click used to do each twice, once
for the list's reset and once more itself). The synchronous part of each step is counted, right after the call.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.views.main_window import SELECT_PROMPT
from tests.support.app_driver import WEBENGINE_LOG_IGNORE, Driver

OWN = "alice@example.com"
SUPPORT = "support@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _counted(monkeypatch: pytest.MonkeyPatch, obj: Any, name: str) -> list[tuple[Any, ...]]:
    """Record the calls of ``obj.name`` (the real method still runs); returns the list they go into."""
    calls: list[tuple[Any, ...]] = []
    original = getattr(obj, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(obj, name, counting)
    return calls


def _shown(d: Driver) -> None:
    """alice's own Inbox open with its first message in the reading pane."""
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(OWN)
    d.select(0)
    assert d.window.reading_pane.current() is not None and d.action_state("reply")[0]


def test_a_folder_click_clears_the_pane_and_updates_the_actions_once(fresh_emulator, drive, monkeypatch) -> None:
    d = drive(fresh_emulator)
    _shown(d)
    clears = _counted(monkeypatch, d.window.reading_pane, "clear")
    updates = _counted(monkeypatch, d.window, "update_actions")
    opened: list[Any] = []
    d.window.folder_opened.connect(opened.append)
    support_inbox = d.folder_ref(SUPPORT)
    assert d.window.sidebar.select_folder(support_inbox)
    assert clears == [(SELECT_PROMPT,)]
    assert len(updates) == 1
    assert [ref.key for ref in opened] == [support_inbox.key]
    assert d.window.reading_pane.current() is None
    enabled, why = d.action_state("reply")
    assert not enabled and why, "nothing is selected in the new folder"
    d.wait_list_loaded(support_inbox)


def test_a_search_and_a_refresh_clear_the_pane_and_update_the_actions_once(fresh_emulator, drive,
                                                                          monkeypatch) -> None:
    d = drive(fresh_emulator)
    _shown(d)
    clears = _counted(monkeypatch, d.window.reading_pane, "clear")
    updates = _counted(monkeypatch, d.window, "update_actions")
    d.window.commands.search("a")
    assert (clears, len(updates)) == ([(SELECT_PROMPT,)], 1)
    assert d.window.reading_pane.current() is None and not d.action_state("reply")[0]
    d.wait_list_loaded()
    d.select(0)
    clears.clear()
    updates.clear()
    d.window.commands.refresh()
    assert (clears, len(updates)) == ([(SELECT_PROMPT,)], 1)
    assert d.window.reading_pane.current() is None and not d.action_state("reply")[0]
    d.wait_list_loaded()
