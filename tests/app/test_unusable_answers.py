"""What the user is told when the server answers badly, through the real window: plain words, detail in the log.

Two kinds of bad answer: HTTP 500 pages instead of EWS (the emulator's ``http500`` faults), and an EWS answer in a
shape exchangelib cannot take (the ``empty-configuration-answer`` quirk: GetUserConfiguration says NoError and
sends no configuration, as servers other than Exchange do).
"""

from __future__ import annotations

import logging

import pytest

from app.ews import retry
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver

OWN = "alice@example.com"
SUPPORT = "support@example.com"
RAW_HTTP = ("HTTP", "headers", "Content-Type", "ews-emulator", "<", "Internal server error", "Unknown failure",
            "There is a problem with the resource")
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def new_message(d: Driver, to: str, subject: str, body: str) -> object:
    window = d.window.commands.new_message()
    window.to_edit.setText(to)
    window.subject_edit.setText(subject)
    window.body_edit.setPlainText(body)
    return window


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch) -> None:
    monkeypatch.setattr(retry, "DEFAULT_POLICY", retry.RetryPolicy(max_retries=2, base_delay=0.01, max_delay=0.05))


def test_a_send_refused_with_http_500_says_so_in_plain_words(qtbot, start_fresh_emulator, drive, caplog) -> None:
    emu = start_fresh_emulator(fail_mode="http500")
    d = drive(emu, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    window = new_message(d, "bob@example.com", "Through a broken proxy", "Hello")
    emu._injector.rate = 1.0
    with caplog.at_level(logging.INFO, logger="app"), qtbot.waitSignal(d.app.compose.send_failed, timeout=WAIT_MS):
        window.send()
    banner = window.banner_text()
    # A bare 500 may come from a proxy after Exchange acted: the send's outcome is unknown until the server can be
    # asked (app.ews.once), and the banner says so, in words.
    assert banner.startswith("Not sent — not confirmed") and "never sends it twice" in banner
    assert not [raw for raw in RAW_HTTP if raw in banner], banner
    assert not [raw for raw in RAW_HTTP if raw in d.window.statusBar().currentMessage()]
    logged = [r for r in caplog.records if r.name.startswith("app.ews") and "Code: 500" in r.getMessage()]
    assert logged, "the technical detail went to the log"
    emu._injector.rate = 0.0


def test_an_unreadable_labels_answer_is_named_logged_and_mail_keeps_working(
        qtbot, start_fresh_emulator, drive, caplog) -> None:
    emu = start_fresh_emulator(quirks=["empty-configuration-answer"])
    d = drive(emu, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    shown: list[str] = []
    d.window.statusBar().messageChanged.connect(shown.append)
    d.window.message_bar.shown.connect(shown.append)
    with caplog.at_level(logging.INFO):
        d.open_folder(SUPPORT)
        told = "The server's answer about labels could not be read; labels are unavailable for support@example.com"
        qtbot.waitUntil(lambda: any(told in text for text in shown), timeout=WAIT_MS)
    assert not [text for text in shown if "bug" in text.lower()], shown
    records = [r for r in caplog.records if r.name == "app.ews.errors" and r.levelno >= logging.ERROR]
    assert records, "logged"
    record = records[0]
    assert record.exc_info is not None and "ValueError" in caplog.text  # with its traceback
    assert "GetUserConfiguration -> HTTP 200" in record.getMessage()  # a summary of the exchange, no body
    # The rest keeps working: the list is there and a message opens.
    assert d.app.list_model.rowCount() > 0
    d.select(0)
