"""Writing mail in the real window against the emulator: From a shared mailbox, drafts that are never lost.

Every test here changes data, so each gets a private copy of the demo tenant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtWidgets import QMessageBox

from app.domain.addresses import invalid_recipients, recipient_entries
from app.domain.messages import ComposeMode, Draft
from app.domain.rights import SendRight
from app.services.compose import draft_from_json, draft_to_json, has_content
from app.views.compose_window import ComposeWindow
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver, stop_app
from tests.support.emulator import account
from tests.support.emulator_fixtures import check_and_stop

pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)
SUPPORT = "support@example.com"
SALES = "sales@example.com"


def new_message(d: Driver, from_mailbox: str, to: str, subject: str, body: str) -> ComposeWindow:
    window = watched(d.window.commands.new_message())
    index = window.from_combo.findData(from_mailbox)
    assert index >= 0, f"{from_mailbox} is not offered in From"
    window.from_combo.setCurrentIndex(index)
    window.to_edit.setText(to)
    window.subject_edit.setText(subject)
    window.body_edit.setPlainText(body)
    return window


def watched(window: ComposeWindow) -> ComposeWindow:
    """Record how the window closes (it deletes itself on close)."""
    outcome: list[str] = []
    window.finished.connect(outcome.append)
    _OUTCOMES[id(window)] = outcome
    return window


_OUTCOMES: dict[int, list[str]] = {}


def wait_closed(d: Driver, window: ComposeWindow) -> str:
    outcome = _OUTCOMES[id(window)]
    d.qtbot.waitUntil(lambda: bool(outcome), timeout=WAIT_MS)
    return outcome[0]


def find(emu: Any, user: str, mailbox: str | None, folder: str, subject: str) -> list[Any]:
    acc = account(emu, user, mailbox)
    return list(getattr(acc, folder).filter(subject=subject).only("subject", "author", "sender", "body"))


def wait_found(d: Driver, emu: Any, user: str, mailbox: str | None, folder: str, subject: str) -> list[Any]:
    """Wait until ``find`` sees the message on the server, and return what it found."""
    found: list[Any] = []

    def seen() -> bool:
        found[:] = find(emu, user, mailbox, folder, subject)
        return bool(found)

    d.qtbot.waitUntil(seen, timeout=WAIT_MS)
    return found


# -- sending from shared mailboxes ------------------------------------------------------------------------------
def test_send_as_from_support_arrives_at_bob_from_support(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, SUPPORT, "Bob Baker <bob@example.com>", "Your ticket #4711", "It is fixed.")
    assert "send right unknown" in window.from_combo.currentText()
    window.send()
    assert wait_closed(d, window) == "sent"
    received = wait_found(d, fresh_emulator, "bob", None, "inbox", "Your ticket #4711")[0]
    assert received.author.email_address == SUPPORT
    assert received.sender.email_address == SUPPORT  # Send As: nothing says alice
    copies = find(fresh_emulator, "alice", SUPPORT, "sent", "Your ticket #4711")
    assert copies, "the copy goes to support@'s Sent Items"
    assert not find(fresh_emulator, "alice", None, "sent", "Your ticket #4711")
    assert not list((d.app.compose.drafts_dir).glob("*.json")), "a sent message leaves no local draft"


def test_send_on_behalf_of_sales_by_bob(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "bob")
    d.wait_mailboxes("bob@example.com", SALES)
    window = new_message(d, SALES, "alice@example.com", "Quote for Contoso", "Attached soon.")
    window.send()
    assert wait_closed(d, window) == "sent"
    received = wait_found(d, fresh_emulator, "alice", None, "inbox", "Quote for Contoso")[0]
    assert received.author.email_address == SALES
    assert received.sender.email_address == "bob@example.com"  # "Bob Baker on behalf of Sales Team"
    assert find(fresh_emulator, "bob", SALES, "sent", "Quote for Contoso")


def test_a_denied_send_keeps_the_draft_and_says_why(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "carol")
    d.qtbot.waitUntil(lambda: d.app.sidebar_model.tree(SUPPORT) is not None, timeout=WAIT_MS)
    window = new_message(d, SUPPORT, "bob@example.com", "From the support desk", "Hello Bob")
    with qtbot.waitSignal(d.app.compose.send_failed, timeout=WAIT_MS):
        window.send()
    assert window.isVisible(), "the window stays open with the message"
    # Where the message is kept is said once, with the mailbox, whatever layer the refusal came through.
    assert window.banner_text() == ("Not sent: You may not send as Customer Support (support@example.com). Your "
                                    "message is kept in the Drafts of support@example.com and on this computer.")
    assert window.banner_text().count("Drafts") == 1
    assert window.to_edit.isEnabled() and window.send_action.isEnabled()
    drafts = find(fresh_emulator, "carol", SUPPORT, "drafts", "From the support desk")
    assert len(drafts) == 1 and "Hello Bob" in drafts[0].body
    local = [json.loads(p.read_text()) for p in d.app.compose.drafts_dir.glob("*.json")]
    assert [x["subject"] for x in local] == ["From the support desk"]
    assert not find(fresh_emulator, "bob", None, "inbox", "From the support desk")
    # What the refusal taught is shown: replying from support@ is now disabled with the reason.
    assert d.app.compose.learned_send_right(SUPPORT) is SendRight.NONE
    assert "no right to send" in window.from_combo.itemText(window.from_combo.findData(SUPPORT)) or \
        d.window.send_right(SUPPORT) is SendRight.NONE


def test_a_send_with_the_server_gone_keeps_the_message_locally(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, "alice@example.com", "bob@example.com", "Offline", "Written on a train")
    check_and_stop(fresh_emulator)  # its answers so far were schema-valid; now the server is gone
    with qtbot.waitSignal(d.app.compose.send_failed, timeout=WAIT_MS):
        window.send()
    assert "Not sent" in window.banner_text()
    assert "on this computer" in window.banner_text()
    qtbot.waitUntil(lambda: d.app.runner.pending_count() == 0, timeout=WAIT_MS)
    kept = [draft_from_json(json.loads(p.read_text()))[0] for p in d.app.compose.drafts_dir.glob("*.json")]
    assert [k.subject for k in kept] == ["Offline"] and "Written on a train" in kept[0].body_html


def test_send_right_after_save_waits_for_the_save_and_leaves_no_stray_draft(fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, SUPPORT, "bob@example.com", "Saved then sent", "One copy only")
    window.save_draft()
    window.body_edit.append("And a last line.")
    window.send()  # the save is still on its way
    assert wait_closed(d, window) == "sent"
    received = wait_found(d, fresh_emulator, "bob", None, "inbox", "Saved then sent")
    assert len(received) == 1 and "a last line" in received[0].body
    assert not find(fresh_emulator, "alice", SUPPORT, "drafts", "Saved then sent")


# -- replies ----------------------------------------------------------------------------------------------------
def test_reply_from_support_quotes_the_original_and_lands_in_support_sent_items(
    qtbot, fresh_emulator, drive
) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    d.open_folder(SUPPORT)
    original = d.select(0)
    opened: list[ComposeWindow] = []
    d.window.commands.respond(ComposeMode.REPLY, opened.append)
    qtbot.waitUntil(lambda: bool(opened), timeout=WAIT_MS)
    window = watched(opened[0])
    draft = window.draft()
    assert draft.from_mailbox == SUPPORT, "replying in a team mailbox answers from it"
    assert draft.subject.upper().startswith("RE:") and original.subject in draft.subject
    assert draft.to and original.sender.address in draft.to[0]
    assert original.subject in window.body_edit.toPlainText(), "the original is quoted"
    window.body_edit.textCursor().insertText("Thanks, we are on it.\n")
    window.send()
    assert wait_closed(d, window) == "sent"
    assert find(fresh_emulator, "alice", SUPPORT, "sent", draft.subject)


# -- drafts: saving, asking, restoring --------------------------------------------------------------------------
def test_closing_with_unsaved_text_asks_and_save_puts_it_in_drafts(
    fresh_emulator, drive, monkeypatch
) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, SUPPORT, "bob@example.com", "Half written", "To be continued")
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save]
    monkeypatch.setattr(window, "ask_unsaved", lambda: answers.pop(0))
    window.close()
    assert window.isVisible(), "Cancel keeps the window"
    window.close()
    assert wait_closed(d, window) == "saved"
    drafts = find(fresh_emulator, "alice", SUPPORT, "drafts", "Half written")
    assert drafts, "the draft lives in support@'s Drafts"
    assert not list(d.app.compose.drafts_dir.glob("*.json")), "saved on the server: no local copy left"


def test_discard_on_close_leaves_nothing(qtbot, fresh_emulator, drive, monkeypatch) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, "alice@example.com", "bob@example.com", "Never mind", "...")
    d.app.compose.flush()
    assert list(d.app.compose.drafts_dir.glob("*.json")), "every change is autosaved locally"
    monkeypatch.setattr(window, "ask_unsaved", lambda: QMessageBox.StandardButton.Discard)
    window.close()
    assert wait_closed(d, window) == "discarded"
    assert not list(d.app.compose.drafts_dir.glob("*.json"))


def test_discard_removes_the_server_draft_too(qtbot, fresh_emulator, drive, monkeypatch) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(d, SUPPORT, "bob@example.com", "Second thoughts", "Maybe not")
    with qtbot.waitSignal(d.app.compose.saved, timeout=WAIT_MS):
        window.save_draft()
    assert find(fresh_emulator, "alice", SUPPORT, "drafts", "Second thoughts")
    monkeypatch.setattr(window, "confirm_discard", lambda: True)
    window.discard()
    assert wait_closed(d, window) == "discarded"
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert not find(fresh_emulator, "alice", SUPPORT, "drafts", "Second thoughts")
    assert not list(d.app.compose.drafts_dir.glob("*.json"))


def test_closing_the_app_mid_compose_restores_the_message_at_the_next_start(
    qtbot, fresh_emulator, drive
) -> None:
    first = drive(fresh_emulator, "alice", home="home")
    first.wait_mailboxes("alice@example.com", SUPPORT)
    window = new_message(first, SUPPORT, "bob@example.com; carol@example.com", "Unfinished", "Dear team,")
    window.add_attachment_files([__file__])
    qtbot.waitUntil(lambda: bool(list(first.app.compose.drafts_dir.glob("*.json"))), timeout=WAIT_MS)
    stop_app(first.app)  # the app quits while the window is open: no question, the autosave stays

    second = drive(fresh_emulator, "alice", home="home")
    qtbot.waitUntil(lambda: bool(second.window.commands.compose_windows), timeout=WAIT_MS)
    restored = second.window.commands.compose_windows[0]
    draft = restored.draft()
    assert draft.subject == "Unfinished" and draft.from_mailbox == SUPPORT
    assert draft.to == ["bob@example.com", "carol@example.com"]
    assert "Dear team," in restored.body_edit.toPlainText()
    assert [a.name for a in draft.attachments] == [Path(__file__).name]
    assert "restored" in second.window.message_bar.text()


# -- the window's parts -----------------------------------------------------------------------------------------
@pytest.mark.qt_log_ignore(r"^This plugin does not support (raise\(\)|grabbing the keyboard)")  # offscreen popups
def test_attachments_formatting_and_directory_completion(qtbot, fresh_emulator, drive, tmp_path) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes("alice@example.com", SUPPORT)
    window = d.window.commands.new_message()
    report = tmp_path / "report.txt"
    report.write_bytes(b"x" * 3000)
    window.add_attachment_files([report])
    assert window.attachment_texts() == ["report.txt (3 KB)"]
    window.attachment_list.item(0).setSelected(True)
    window.remove_selected_attachments()
    assert window.attachment_texts() == [] and window.attachments_frame.isHidden()

    window.body_edit.setFocus()
    window.bold_action.trigger()
    window.body_edit.insertPlainText("important")
    assert "font-weight" in window.body_edit.toHtml() or "<b>" in window.body_edit.toHtml()
    window.apply_link("https://example.com/kb/42", "the article")
    assert 'href="https://example.com/kb/42"' in window.body_edit.toHtml()

    completer = window.completers[0]
    window.to_edit.setFocus()
    qtbot.keyClicks(window.to_edit, "bob")
    with qtbot.waitSignal(completer.results_ready, timeout=WAIT_MS):
        pass
    assert any("bob@example.com" in s for s in completer.suggestion_texts())
    completer.choose(0)
    assert "bob@example.com" in window.to_edit.text()
    monkey_discard(window)


def monkey_discard(window: ComposeWindow) -> None:
    window.ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # type: ignore[method-assign]
    window.close()


def test_send_refuses_to_start_without_a_usable_recipient(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    window = d.window.commands.new_message()
    window.subject_edit.setText("No one")
    window.send()
    assert "recipient" in window.banner_text()
    window.to_edit.setText("Bob")
    window.send()
    assert "Not an e-mail address: Bob" in window.banner_text()
    assert not d.app.compose.is_busy(window.draft())
    monkey_discard(window)


# -- pure helpers -----------------------------------------------------------------------------------------------
def test_draft_json_round_trip_and_helpers() -> None:
    from app.domain.messages import LocalAttachment

    draft = Draft(from_mailbox=SUPPORT, to=["Bob <bob@example.com>"], subject="Hi", body_html="<p>x</p>",
                  attachments=[LocalAttachment("a.bin", b"\x00\x01", "application/octet-stream", "att-1")],
                  mode=ComposeMode.FORWARD, reference_id="ref", draft_id="d", change_key="c", local_id="l1")
    back, owner = draft_from_json(json.loads(json.dumps(draft_to_json(draft, "alice@example.com"))))
    assert back == draft and owner == "alice@example.com"
    assert not has_content(Draft(from_mailbox=SUPPORT, body_html="<html><body><p></p></body></html>"))
    assert recipient_entries("Bob Baker <bob@example.com>; carol@example.com,") == [
        "Bob Baker <bob@example.com>", "carol@example.com"]
    assert invalid_recipients(["bob@example.com", "Bob", "x@y"]) == ["Bob", "x@y"]
