"""Driving the Contacts mode of the real window in GUI tests."""

from __future__ import annotations

from typing import Any

from tests.support.app_driver import WAIT_MS, Driver


def open_contacts(d: Driver, source: str) -> Any:
    """Switch the window to Contacts and show the contacts of mailbox ``source``, fully loaded.

    Returns:
        The contacts view.
    """
    view = d.window.contacts_view
    view.open_mode()
    d.qtbot.waitUntil(lambda: any(f.ref.mailbox == source for f in view.service.folders()), timeout=WAIT_MS)
    view.refresh_sources()
    with d.qtbot.waitSignal(view.loaded, timeout=WAIT_MS):
        view.select_source(source)
    if view.loading:
        d.qtbot.waitUntil(lambda: not view.loading, timeout=WAIT_MS)
    return view
