"""Inbox rules in the real window against the emulator over HTTP: the rules manager and the rule editor.

Includes the two proofs the issue asks for: a rule created in the app moves the next message delivered to the
shared mailbox (the emulator runs rules on delivery), and editing a shared mailbox's rules leaves the signed-in
user's own rules as they were. Server state is checked with plain exchangelib (tests.support.emulator.account).
"""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import Qt

from app.domain.folders import FolderRef
from app.domain.rules import OUTLOOK_BLOB_WARNING, Predicates, Rule, RuleActions
from app.ews import rules as ews_rules
from tests.app.ews.conftest import signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.emulator import account, stored_rules

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
DEMO = ["Invoices to Billing questions", "Flag URGENT as Urgent"]
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _manager(d: Driver, mailbox: str, *, loaded: bool = True) -> Any:
    ref = next(m for m in d.app.sidebar_model.mailboxes() if m.key == mailbox)
    dialog = d.window.admin.controller.open_rules_manager(ref)
    if loaded:
        d.qtbot.waitUntil(lambda: dialog.rule_set is not None, timeout=WAIT_MS)
    return dialog


def _names(d: Driver, dialog: Any, names: list[str]) -> None:
    d.qtbot.waitUntil(lambda: [r.name for r in dialog.rules()] == names and dialog.list.count() == len(names),
                      timeout=WAIT_MS)


def _send(emu: Any, sender: str, to: str, subject: str) -> None:
    from exchangelib import Mailbox, Message

    acc = account(emu, sender)
    Message(account=acc, folder=acc.sent, subject=subject, body="Hello",
            to_recipients=[Mailbox(email_address=to)]).send()


def _write_newsletter_rule(d: Driver, dialog: Any) -> tuple[Any, list[int]]:
    """Write "Newsletters to Done" in a new editor and press Save; returns the editor and its results."""
    editor = dialog.new_rule()
    results: list[int] = []
    editor.finished.connect(results.append)
    assert editor.problems() == ["Give the rule a name.",
                                 "A rule needs at least one action, for example “Move to folder” or “Mark as read”."]
    assert not editor.request_save()  # nothing is sent: the problems are listed instead
    assert "Give the rule a name." in editor.problems_label.text()
    editor.name_edit.setText("Newsletters to Done")
    editor.conditions.subject_edit.setText("newsletter")
    editor.actions.move.setChecked(True)
    editor.actions.move_folder.setCurrentIndex(editor.actions.move_folder.findText("Done", Qt.MatchFlag.MatchContains))
    editor.actions.read.setChecked(True)
    assert editor.problems() == []
    assert editor.summary_label.text() == "When subject contains 'newsletter' → mark as read, move to Done"
    assert editor.request_save()
    return editor, results


# -- tests ------------------------------------------------------------------------------------------------------
def test_a_rule_written_in_the_app_moves_the_next_delivered_message(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    dialog = _manager(d, SUPPORT)
    assert dialog.summaries() == ["When subject contains 'invoice' → move to Billing questions",
                                  "When subject contains 'URGENT' → label 'Urgent'"]
    _send(fresh_emulator, "bob", SUPPORT, "Newsletter 1")  # before the rule: stays in the Inbox
    _editor, results = _write_newsletter_rule(d, dialog)
    qtbot.waitUntil(lambda: results == [1], timeout=WAIT_MS)  # saved: the editor closed as accepted
    _names(d, dialog, [*DEMO, "Newsletters to Done"])
    _send(fresh_emulator, "bob", SUPPORT, "Newsletter 2")
    support = account(fresh_emulator, "alice", SUPPORT)
    done = support.inbox / "Done"
    assert [m.subject for m in done.filter(subject__startswith="Newsletter")] == ["Newsletter 2"]
    assert [m.subject for m in support.inbox.filter(subject__startswith="Newsletter")] == ["Newsletter 1"]
    assert done.filter(subject="Newsletter 2").get().is_read
    # The window shows it there too.
    d.open_folder(SUPPORT, name="Done")
    d.row_where(lambda m: m.subject == "Newsletter 2")


def test_editing_support_rules_leaves_alices_own_rules_alone(qtbot, fresh_emulator, drive) -> None:
    client = signed_in(fresh_emulator, "alice").client
    ews_rules.save_rule(client, OWN, Rule(name="Lunch", conditions=Predicates(subject_contains=("lunch",)),
                                          actions=RuleActions(mark_as_read=True)))
    client.close()
    own_before = stored_rules(fresh_emulator, "alice")
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    dialog = _manager(d, SUPPORT)
    _write_newsletter_rule(d, dialog)
    _names(d, dialog, [*DEMO, "Newsletters to Done"])
    assert dialog.select("Newsletters to Done")
    dialog.up_button.click()
    _names(d, dialog, [DEMO[0], "Newsletters to Done", DEMO[1]])
    item = dialog.list.item(1)
    item.setCheckState(Qt.CheckState.Unchecked)  # the on/off switch
    qtbot.waitUntil(lambda: [r.enabled for r in dialog.rules()] == [True, False, True], timeout=WAIT_MS)
    assert dialog.select(DEMO[0])
    dialog.duplicate_button.click()
    _names(d, dialog, [DEMO[0], f"{DEMO[0]} (copy)", "Newsletters to Done", DEMO[1]])
    assert dialog.select(f"{DEMO[0]} (copy)")
    dialog.delete_button.click()
    assert "Delete the rule “Invoices to Billing questions (copy)”?" in dialog.question.label.text()
    dialog.question.answer("delete")
    _names(d, dialog, [DEMO[0], "Newsletters to Done", DEMO[1]])
    assert dialog.select(DEMO[1])
    editor = dialog.edit_current()
    assert editor.conditions.subject_edit.text() == "URGENT" and editor.actions.labels.values() == ("Urgent",)
    editor.name_edit.setText("URGENT is Urgent")
    editor.actions.stop.setChecked(True)
    assert editor.request_save()
    _names(d, dialog, [DEMO[0], "Newsletters to Done", "URGENT is Urgent"])
    server = account(fresh_emulator, "alice", SUPPORT).rules
    assert [(r.display_name, r.priority, r.is_enabled) for r in server] == [
        (DEMO[0], 1, True), ("Newsletters to Done", 2, False), ("URGENT is Urgent", 3, True)]
    assert server[2].actions.stop_processing_rules and server[2].actions.assign_categories == ["Urgent"]
    assert stored_rules(fresh_emulator, "alice") == own_before  # alice's own rules: untouched, byte for byte


def test_rules_of_sales_are_refused_with_the_reason(qtbot, emulator, drive) -> None:
    d = drive(emulator, mailbox=SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    dialog = _manager(d, SALES, loaded=False)
    reason = "Managing the rules of Sales Team needs Full Access to the mailbox."
    assert dialog.banner.text().startswith(reason)
    assert "You have read-only access to Inbox and Calendar." in dialog.banner.text()
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=WAIT_MS)
    assert dialog.rules() == [] and dialog.placeholder.isVisible()  # Exchange refused: said where the list was
    assert dialog.placeholder.text() == ("The rules cannot be shown.\n\nCould not read the rules of sales@example.com: "
                                         "Managing the rules of sales@example.com needs Full Access to the mailbox.")
    for button in (dialog.new_button, dialog.duplicate_button, dialog.delete_button, dialog.up_button,
                   dialog.run_button):
        assert not button.isEnabled() and button.toolTip().startswith(reason)
    assert dialog.new_rule() is None and dialog.error_label.text().startswith(reason)
    action = d.window.admin.manage_rules
    assert action.isEnabled()  # the manager opens (read-only) to say why


def test_outlook_rule_blob_warns_before_saving(qtbot, fresh_emulator, drive) -> None:
    store = fresh_emulator.backend.store
    with store.db.tx() as con:
        con.execute("INSERT INTO mailbox_settings(mailbox_id, key, value) VALUES (?, 'outlook_rule_blob', ?)",
                    (store.directory.by_smtp(SUPPORT).id, b"1"))
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    dialog = _manager(d, SUPPORT)
    assert dialog.blob_banner.text() == OUTLOOK_BLOB_WARNING
    assert dialog.select(DEMO[1])
    dialog.list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert dialog.question.isVisible() and OUTLOOK_BLOB_WARNING in dialog.question.label.text()
    dialog.question.answer("")  # Cancel: nothing is sent, the switch goes back
    assert dialog.list.item(1).checkState() == Qt.CheckState.Checked
    assert all(r.is_enabled for r in account(fresh_emulator, "alice", SUPPORT).rules)
    editor, results = _write_newsletter_rule(d, dialog)
    assert "Confirm below" in editor.problems_label.text() and results == []
    dialog.question.answer("consent")
    qtbot.waitUntil(lambda: results == [1], timeout=WAIT_MS)
    _names(d, dialog, [*DEMO, "Newsletters to Done"])
    qtbot.waitUntil(lambda: not dialog.blob_banner.text(), timeout=WAIT_MS)  # Exchange removed the blob


def test_run_a_rule_now_on_the_inbox_with_progress(qtbot, fresh_emulator, drive) -> None:
    from exchangelib import Message

    support = account(fresh_emulator, "alice", SUPPORT)
    for n in range(25):
        Message(account=support, folder=support.inbox, subject=f"Invoice {n} of May").save()
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    dialog = _manager(d, SUPPORT)
    assert dialog.select(DEMO[0])
    assert dialog.run_folder.currentText() == "Inbox"
    job = dialog.run_current(dialog.run_folder.currentData())
    assert dialog.job_panel.isVisible() and d.window.job_progress.current() is job
    qtbot.waitUntil(lambda: not job.is_running, timeout=WAIT_MS)
    assert (job.result.matched, job.result.acted) == (25, 25)
    assert job.done == job.total == 25
    billing = support.inbox / "Billing questions"
    assert billing.filter(subject__contains="of May").count() == 25
    assert support.inbox.filter(subject__contains="of May").count() == 0
    qtbot.waitUntil(lambda: "acted on 25 messages in Inbox" in d.window.statusBar().currentMessage(),
                    timeout=WAIT_MS)


def test_the_editor_keeps_a_missing_target_and_says_so(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    dialog = _manager(d, SUPPORT)
    gone = Rule(id="x", name="Old", actions=RuleActions(move_to=FolderRef(SUPPORT, folder_id="AAMkGone")))
    editor = dialog.open_editor(gone)
    assert editor.actions.move_folder.currentText() == "(a folder that no longer exists)"
    assert editor.problems() == ["The folder to move messages to does not exist any more; choose another one."]
    assert not editor.request_save()
    editor.close()
