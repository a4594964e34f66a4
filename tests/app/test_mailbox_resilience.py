"""Mailboxes under network faults, through the real window: never silently gone, retried by hand and by themselves.

The emulator injects faults per authenticated EWS request (seeded); tests switch the rate at runtime, e.g. on
to fail every opening, then off again as if the connection came back.
"""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import Qt

from app.ews import retry
from app.models.roles import Roles
from app.services.mailboxes import MailboxService
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
RAW_HTTP = ("HTTP", "headers", "Content-Type", "ews-emulator", "<", "Internal server error", "Unknown failure")
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch) -> None:
    """Quick in-call retries (the policy is the real one, only the waits are short)."""
    monkeypatch.setattr(retry, "DEFAULT_POLICY", retry.RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05))


def fail_openings(emu: Any, d_start: Any) -> Driver:
    """Start the window and make every request fail from the moment the mailboxes start opening."""
    d = d_start()
    switched: list[bool] = []

    def on_order(_addresses: list) -> None:  # emitted before the first listing task starts
        if not switched:
            switched.append(True)
            emu._injector.rate = 1.0

    d.app.mailboxes.mailboxes_changed.connect(on_order)
    d.wait_signed_in()
    return d


def wait_settled(d: Driver) -> None:
    d.qtbot.waitUntil(lambda: not d.app.mailboxes.is_loading()
                      and len(d.app.sidebar_model.mailboxes()) == len(d.app.mailboxes.addresses()), timeout=WAIT_MS)


def rows(d: Driver) -> dict[str, str]:
    """Address -> reason ("" when open) of every mailbox row in the sidebar."""
    model = d.app.sidebar_model
    out = {}
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        out[index.data(Roles.MailboxRole).address.casefold()] = index.data(Roles.MailboxErrorRole)
    return out


def test_http_500_while_opening_leaves_every_mailbox_in_the_sidebar_with_a_plain_reason(
        qtbot, start_fresh_emulator, drive, monkeypatch) -> None:
    monkeypatch.setattr(MailboxService, "AUTO_RETRY_MS", (600_000,))
    emu = start_fresh_emulator(fail_mode="http500")
    d = fail_openings(emu, lambda: drive(emu, "alice", wait=False))
    wait_settled(d)
    shown = rows(d)
    assert list(shown) == [OWN, SUPPORT], "none is silently gone"
    for address, reason in shown.items():
        assert reason, f"{address} is shown as unavailable"
        assert not [raw for raw in RAW_HTTP if raw in reason], reason
        widget = d.window.sidebar.unavailable_row(address)
        assert widget is not None and widget.retry_button.isVisible()
        index = d.app.sidebar_model.mailbox_index(address)
        assert "could not be opened" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert emu.faults.http500 >= 2
    assert not [text for _kind, text in d.window.message_bar.history() if "HTTP" in text or "headers" in text]
    pane = d.window.reading_pane.placeholder.text()
    assert "Opening your mailboxes" not in pane, "opening has ended: the pane says so instead of waiting"
    assert "Customer Support could not be opened" in pane and "Alice Archer could not be opened" in pane

    sidebar = d.window.sidebar
    sidebar.setCurrentIndex(d.app.sidebar_model.mailbox_index(OWN))
    assert sidebar.retry_action.isVisible() and sidebar.retry_action in sidebar.actions()  # in the sidebar's menu
    assert f"could not be opened: {shown[OWN]}" in d.window.reading_pane.placeholder.text()

    # Retry: the connection is back, the user clicks Retry on support@'s row.
    emu._injector.rate = 0.0
    button = sidebar.unavailable_row(SUPPORT).retry_button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert not button.isEnabled() and button.text() == "Trying…"  # until the outcome
    qtbot.waitUntil(lambda: d.app.sidebar_model.tree(SUPPORT) is not None, timeout=WAIT_MS)
    # support@ answering told the service the server is back: the user's own mailbox followed by itself.
    qtbot.waitUntil(lambda: d.app.sidebar_model.tree(OWN) is not None, timeout=WAIT_MS)
    wait_settled(d)
    assert rows(d) == {OWN: "", SUPPORT: ""}
    assert sidebar.unavailable_row(SUPPORT) is None and sidebar.unavailable_row(OWN) is None
    assert not sidebar.retry_action.isVisible()
    d.open_folder(SUPPORT)


def test_unavailable_mailboxes_open_by_themselves_when_the_connection_comes_back(
        qtbot, start_fresh_emulator, drive, monkeypatch) -> None:
    monkeypatch.setattr(MailboxService, "AUTO_RETRY_MS", (300,))
    emu = start_fresh_emulator(fail_mode="drop")
    d = fail_openings(emu, lambda: drive(emu, "alice", wait=False))
    qtbot.waitUntil(lambda: set(d.app.sidebar_model.unavailable()) == {OWN, SUPPORT}, timeout=WAIT_MS)
    assert list(rows(d)) == [OWN, SUPPORT]
    emu._injector.rate = 0.0  # the network is back; nobody clicks anything
    qtbot.waitUntil(lambda: d.app.sidebar_model.tree(OWN) is not None
                    and d.app.sidebar_model.tree(SUPPORT) is not None, timeout=WAIT_MS)
    assert rows(d) == {OWN: "", SUPPORT: ""}
    assert emu.faults.drop >= 2


@pytest.mark.parametrize("mode", ["drop", "http500", "busy"])
def test_sign_in_under_random_faults_never_loses_a_mailbox(qtbot, start_fresh_emulator, drive, mode: str) -> None:
    emu = start_fresh_emulator(fail_rate=0.25, fail_mode=mode, fail_seed=11, fail_back_off_ms=20)
    d = drive(emu, "alice", wait=False)
    d.wait_signed_in()
    d.app.mailboxes.open_mailbox(SALES)
    wait_settled(d)
    shown = rows(d)
    assert list(shown) == [OWN, SUPPORT, SALES]
    for address, reason in shown.items():
        assert (d.app.sidebar_model.tree(address) is not None) != bool(reason), address  # open, or says why
    assert emu.faults.total >= 1


def test_a_definite_answer_takes_the_mailbox_out_and_says_why(qtbot, emulator, drive) -> None:
    d = drive(emulator, "dave")
    d.wait_mailboxes("dave@example.com")
    d.app.mailboxes.open_mailbox(SUPPORT)
    qtbot.waitUntil(lambda: "support@example.com" in d.window.message_bar.text(), timeout=WAIT_MS)
    wait_settled(d)
    assert list(rows(d)) == ["dave@example.com"]
    assert not d.app.sidebar_model.unavailable()
