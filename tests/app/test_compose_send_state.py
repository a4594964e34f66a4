"""The compose window's Send through slow and failing servers: one send or save at a time, never stuck.

The real window, offscreen, against an emulator with injected latency and faults. The window must always come to
rest: sent and closed, or open with Send usable again and a sentence saying what happened.
"""

from __future__ import annotations

import pytest

from app.views.compose_window import ComposeWindow
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)
SUPPORT = "support@example.com"


def _window(d: Driver, subject: str) -> tuple[ComposeWindow, list[str]]:
    window = d.window.commands.new_message()
    outcome: list[str] = []
    window.finished.connect(outcome.append)
    window.from_combo.setCurrentIndex(window.from_combo.findData(SUPPORT))
    window.to_edit.setText("bob@example.com")
    window.subject_edit.setText(subject)
    window.body_edit.setPlainText("Hello Bob")
    return window, outcome


def _at_rest(window: ComposeWindow) -> bool:
    return window.send_action.isEnabled() and window.to_edit.isEnabled() and "Not sent" in window.banner_text()


def test_send_again_while_the_quiet_save_after_a_failed_send_fails_too(start_fresh_emulator, drive,
                                                                       monkeypatch) -> None:
    # One pooled connection: exchangelib 5.6.0 shrinks its pool on every busy answer, and shrinking it from
    # several connections while a request holds one can block for minutes, which is not what this test is about.
    monkeypatch.setattr("app.ews.client.MAX_CONNECTIONS", 1)
    emu = start_fresh_emulator(latency_ms=60, fail_mode="busy", fail_back_off_ms=10)
    d = drive(emu, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window, outcome = _window(d, "Stuck?")
    d.qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)
    emu.server.faults.rate = 1.0  # every request refused: the send fails, so does the quiet save after it
    with d.qtbot.waitSignal(d.app.compose.send_failed, timeout=WAIT_MS):
        window.send()
    assert d.app.compose.is_busy(window.draft()), "the quiet server save after the failed send is running"
    assert window.send_action.isEnabled(), "Send is offered again at once"
    window.send()  # pressed again while that save runs; the save then fails
    assert not window.send_action.isEnabled(), "one send at a time: Send waits"
    d.qtbot.waitUntil(lambda: _at_rest(window), timeout=WAIT_MS)
    d.qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)
    assert _at_rest(window), "after the queued send failed too, the window is usable and says so"
    emu.server.faults.rate = 0.0
    window.send()
    d.qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
    assert outcome == ["sent"]


def test_send_pressed_during_a_slow_save_sends_once_after_it(start_fresh_emulator, drive) -> None:
    emu = start_fresh_emulator(latency_ms=150)
    d = drive(emu, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window, outcome = _window(d, "Saved, then sent")
    window.save_draft()
    window.send()
    window.send()  # a second press changes nothing
    assert not window.send_action.isEnabled() and not window.save_action.isEnabled()
    d.qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
    assert outcome == ["sent"]
    d.qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)
    bob = [m for m in _inbox(emu, "bob") if m.subject == "Saved, then sent"]
    assert len(bob) == 1


@pytest.mark.parametrize("mode", ["drop-after", "http500-after"])
def test_a_send_whose_answer_is_lost_ends_sent_in_the_window(start_fresh_emulator, drive, mode) -> None:
    emu = start_fresh_emulator(latency_ms=20, fail_mode=mode, fail_seed=1)
    d = drive(emu, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window, outcome = _window(d, f"Lost answer {mode}")
    emu.server.faults.rate = 0.5
    window.send()
    d.qtbot.waitUntil(lambda: bool(outcome) or _at_rest(window), timeout=WAIT_MS)
    while not outcome:  # "not confirmed": the user presses Send again; the client asks before it sends
        window.send()
        d.qtbot.waitUntil(lambda: bool(outcome) or _at_rest(window), timeout=WAIT_MS)
    assert outcome == ["sent"]
    assert emu.faults.total > 0
    emu.server.faults.rate = 0.0
    d.qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)
    assert [m.subject for m in _inbox(emu, "bob")].count(f"Lost answer {mode}") == 1


def _inbox(emu, user: str) -> list:
    from tests.support.emulator import account

    return list(account(emu, user).inbox.all().only("subject"))


def test_the_message_id_and_the_attempt_survive_a_restart_in_the_local_file() -> None:
    import json
    import re

    from app.domain.message_ids import new_message_id
    from app.domain.messages import Draft
    from app.services.compose import draft_from_json, draft_to_json

    mid = new_message_id(SUPPORT)
    assert re.fullmatch(r"<[0-9a-f]{32}\.mailroom@example\.com>", mid)
    assert new_message_id(SUPPORT) != mid
    assert new_message_id("no-domain").endswith("@mailroom.invalid>")
    draft = Draft(SUPPORT, to=["bob@example.com"], subject="x", local_id="l1", message_id=mid, send_attempted=True)
    back, _ = draft_from_json(json.loads(json.dumps(draft_to_json(draft, "alice@example.com"))))
    assert back.message_id == mid and back.send_attempted
