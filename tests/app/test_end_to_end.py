"""The real Mailroom window against the emulator over HTTP, as a user drives it.

Tests that change data run on a private copy of the seeded demo tenant (``fresh_emulator``); the others share one
emulator (``shared``) and only read. Nothing sleeps: every wait is on what the window shows.
"""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from app.domain.messages import ListQuery
from app.settings import MARK_READ_DELAY_MS
from app.views.message_list_view import DraggedMessages
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE
from tests.support.emulator import account

OWN = "alice@example.com"
SUPPORT = "support@example.com"
BILLING = "billing@example.com"
SALES = "sales@example.com"
HR = "hr@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def subjects_in(emu: Any, user: str, mailbox: str, folder: str) -> list[Any]:
    """Messages of a well-known folder as ``user`` sees them through exchangelib (the check is independent)."""
    acc = account(emu, user, mailbox)
    return list(getattr(acc, folder).all().only("subject", "author", "sender"))


# -- sign-in and mailboxes --------------------------------------------------------------------------------------
def test_alice_sees_her_mailbox_then_the_automapped_support_mailbox(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    assert d.window.windowTitle().endswith("Mailroom")
    d.wait_list_loaded()
    assert d.window.folder.mailbox == OWN and d.window.folder.well_known == "inbox"  # no last place: own Inbox
    assert d.window.actions.new_message.isEnabled()
    assert d.window.actions.new_folder.isEnabled()  # her own Inbox: she may create subfolders
    assert not d.window.actions.delete_folder.isEnabled()
    assert "standard folder" in d.window.actions.delete_folder.toolTip()
    mailbox_rows = [d.app.sidebar_model.index(r, 0).data() for r in range(d.app.sidebar_model.rowCount())]
    assert mailbox_rows == ["Alice Archer", "Customer Support"]


def test_billing_is_added_by_hand_and_remembered(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    dialog = d.window.commands.open_shared_mailbox()
    dialog.address_edit.setText(BILLING)
    dialog.open_button.click()
    qtbot.waitUntil(lambda: bool(dialog.access_text()), timeout=WAIT_MS)
    assert "full access" in dialog.access_text()
    dialog.open_button.click()  # now "Add to sidebar"
    d.wait_mailboxes(OWN, SUPPORT, BILLING)
    assert d.app.session.added_mailboxes() == [BILLING]
    d.open_folder(BILLING)
    assert d.window.place() == "Billing › Inbox" or d.window.place().endswith("› Inbox")


def test_sales_added_by_hand_is_read_only_with_reasons(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.app.mailboxes.open_mailbox(SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    d.open_folder(SALES)
    d.select(0)
    read_only = f"You have read-only access to {d.window.place()}."
    assert "Sales" in d.window.place()
    for name in ("delete", "flag", "move_to", "categorize", "delete_permanently"):
        enabled, tip = d.action_state(name)
        assert not enabled, name
        assert tip == read_only, (name, tip)
    assert d.action_state("reply")[0], "send rights are unknown until the first send: Reply may be tried"
    assert d.action_state("forward")[0]
    toolbar_delete = d.window.toolbar.widgetForAction(d.window.actions.delete)
    assert not toolbar_delete.isEnabled() and toolbar_delete.toolTip() == read_only


def test_keyboard_moves_through_the_list_and_the_pane_follows(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    d.select(0)
    view = d.window.list_view
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Down)
    second = d.app.list_model.summary(1)
    d.wait_shown(second.item_id)
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert len(view.selected_ids()) == 2
    assert "2 messages selected" in d.window.reading_pane.placeholder.text()
    assert not d.action_state("reply")[0]  # one message at a time
    QTest.keyClick(view, Qt.Key.Key_Up)
    d.wait_shown(second.item_id)


def test_html_mail_is_shown_with_remote_content_blocked(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    pane = d.window.reading_pane
    for row in range(min(d.app.list_model.rowCount(), 40)):
        d.select(row)
        with qtbot.waitSignal(d.window.message_shown, timeout=WAIT_MS, raising=False):
            pass
        detail = pane.current()
        if detail.body_html is not None and pane.blocked_count() > 0:
            break
    else:
        pytest.fail("no HTML message with remote content in support@'s first rows")
    assert not pane.remote_allowed()
    assert not pane.remote_banner.isHidden()
    assert "blocked" in pane.remote_banner_label.text()


def test_search_in_folder_runs_on_the_server(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    total = d.app.list_model.total
    word = d.app.list_model.summary(0).subject.split()[0]
    d.window.actions.search.trigger()
    assert d.window.search_edit.hasFocus() or d.window.focusWidget() is d.window.search_edit
    d.window.commands.search(word)
    qtbot.waitUntil(lambda: d.app.list_model.query.search == word and not d.app.list_model.is_loading()
                    and d.app.list_model.rowCount() > 0, timeout=WAIT_MS)
    assert d.app.list_model.total < total
    assert any(word.casefold() in m.subject.casefold() for m in d.app.list_model.summaries())
    d.window.commands.clear_search()
    qtbot.waitUntil(lambda: d.app.list_model.query == ListQuery() and d.app.list_model.total == total,
                    timeout=WAIT_MS)


def test_help_lists_the_shortcuts(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    dialog = d.window.show_shortcuts()
    rows = dict(dialog.rows())
    assert rows["Delete"] == "Del"
    assert rows["Delete permanently"] == "Shift+Del"
    assert rows["Mark as read"] == "Ctrl+Q" and rows["Mark as unread"] == "Ctrl+U"
    assert rows["Flag / unflag"] == "Ins"
    assert rows["New message"] == "Ctrl+N" and rows["Search"] == "Ctrl+F" and rows["Refresh"] == "F5"
    menu_texts = [a.text() for a in d.window.shortcuts_menu.actions()]
    assert any(t.startswith("Reply\t") for t in menu_texts)
    dialog.close()


def test_main_controls_have_accessible_names(qtbot, emulator, drive) -> None:
    d = drive(emulator, "alice")
    w = d.window
    names = {w.sidebar.accessibleName(), w.list_view.accessibleName(), w.reading_pane.accessibleName(),
             w.search_edit.accessibleName(), w.job_progress.bar.accessibleName()}
    assert "" not in names and len(names) == 5


# -- reading and marking ----------------------------------------------------------------------------------------
def test_opening_an_unread_message_marks_it_read_after_the_delay(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.app.settings.set(MARK_READ_DELAY_MS, 50)
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(SUPPORT)
    row = d.row_where(lambda m: not m.is_read)
    unread_before = d.node(ref).unread
    summary = d.select(row)
    qtbot.waitUntil(lambda: d.app.list_model.summary(d.app.list_model.row_of(summary.item_id)).is_read,
                    timeout=WAIT_MS)
    assert d.node(ref).unread == unread_before - 1
    d.wait_jobs_done()
    acc = account(fresh_emulator, "alice", SUPPORT)
    assert acc.inbox.get(id=summary.item_id).is_read


# -- deleting ---------------------------------------------------------------------------------------------------
def test_delete_goes_to_the_shared_mailbox_deleted_items(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    summary = d.select(2)
    d.window.list_view.setFocus()
    QTest.keyClick(d.window.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: d.app.list_model.row_of(summary.item_id) < 0, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert d.window.message_bar.text() == ""
    in_support = [m.subject for m in subjects_in(fresh_emulator, "alice", SUPPORT, "trash")]
    in_own = [m.subject for m in subjects_in(fresh_emulator, "alice", OWN, "trash")]
    assert summary.subject in in_support
    assert summary.subject not in in_own
    # The next message is selected, so the user can go on with the keyboard.
    assert len(d.window.list_view.selected_ids()) == 1


def test_delete_on_hr_is_disabled_and_a_forced_delete_is_refused_and_rolled_back(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.app.mailboxes.open_mailbox(HR)
    d.wait_mailboxes(OWN, SUPPORT, HR)
    ref = d.open_folder(HR)
    summary = d.select(0)
    enabled, tip = d.action_state("delete")
    assert not enabled
    assert tip.startswith("You may change but not delete items in") and "Inbox" in tip
    assert d.action_state("flag")[0], "alice may edit all items in hr@'s Inbox"
    rows = d.app.list_model.rowCount()
    # Forced through the service (as a stale right would): the server refuses, the row comes back.
    job = d.app.mail.delete(ref, [summary.item_id])
    assert d.app.list_model.row_of(summary.item_id) < 0  # optimistic
    with qtbot.waitSignal(job.failed, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: d.app.list_model.row_of(summary.item_id) >= 0, timeout=WAIT_MS)
    assert d.app.list_model.rowCount() == rows
    assert "Could not delete" in d.window.message_bar.text()
    assert "Could not delete" in d.window.statusBar().currentMessage()


# -- moving -----------------------------------------------------------------------------------------------------
def test_bulk_move_shows_progress_and_lands_in_the_target(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    source = d.open_folder(SUPPORT)
    target = d.folder_ref(SUPPORT, name="Done")
    before = d.node(target).total
    ids = [m.item_id for m in d.app.list_model.summaries()[:30]]
    progress: list[tuple[int, int]] = []
    with qtbot.waitSignal(d.app.mail.bulk_started, timeout=WAIT_MS) as started:
        d.window.commands.move(source, ids, target, copy=False)
    job = started.args[0]
    job.progress.connect(lambda done, total: progress.append((done, total)))
    assert d.window.job_progress.isVisible() or job.done == job.total
    assert d.window.job_progress.current() is job or not job.is_running
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == [30]
    assert progress and progress[-1] == (30, 30)
    qtbot.waitUntil(lambda: not d.window.job_progress.isVisible(), timeout=WAIT_MS)
    assert all(d.app.list_model.row_of(i) < 0 for i in ids)
    assert d.node(target).total == before + 30
    assert len([m for m in subjects_in(fresh_emulator, "alice", SUPPORT, "inbox")]) == 220 - 30


def test_drag_and_drop_moves_across_mailboxes_and_ctrl_copies(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    source = d.open_folder(SUPPORT)
    own_inbox = d.folder_ref(OWN)
    summary = d.select(0)
    sidebar = d.window.sidebar
    index = d.index_of_folder(own_inbox)
    sidebar.scrollTo(index)
    pos = sidebar.visualRect(index).center()
    dragged = DraggedMessages(source, (summary.item_id,))
    assert DraggedMessages.from_mime(dragged.to_mime()) == dragged  # what the list's startDrag carries
    assert sidebar.refusal_at(pos, dragged, copy=False) == ""
    assert sidebar.refusal_at(sidebar.visualRect(d.index_of_folder(source)).center(), dragged, copy=False) \
        == "The messages are already in this folder."
    before = d.node(own_inbox).total
    with qtbot.waitSignal(d.app.mail.counts_adjusted, timeout=WAIT_MS):
        assert sidebar.drop_messages(pos, dragged, copy=False)
    qtbot.waitUntil(lambda: d.node(own_inbox).total == before + 1, timeout=WAIT_MS)
    assert d.app.list_model.row_of(summary.item_id) < 0
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert summary.subject in [m.subject for m in subjects_in(fresh_emulator, "alice", OWN, "inbox")]

    second = d.select(0)
    assert sidebar.drop_messages(pos, DraggedMessages(source, (second.item_id,)), copy=True)
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert d.app.list_model.row_of(second.item_id) >= 0  # a copy leaves the original
    assert second.subject in [m.subject for m in subjects_in(fresh_emulator, "alice", OWN, "inbox")]


# -- new mail ---------------------------------------------------------------------------------------------------
def test_new_mail_appears_by_itself(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice", poll_interval_ms=300)
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(OWN)
    qtbot.waitUntil(lambda: d.app.mail.watched_folder == ref and not d.app.mail.is_syncing(), timeout=WAIT_MS)
    rows, unread = d.app.list_model.rowCount(), d.node(ref).unread
    from exchangelib import Mailbox, Message

    bob = account(fresh_emulator, "bob")
    Message(account=bob, subject="Lunch on Friday?", body="Shall we?",
            to_recipients=[Mailbox(email_address=OWN)]).send()
    qtbot.waitUntil(lambda: any(m.subject == "Lunch on Friday?" for m in d.app.list_model.summaries()),
                    timeout=WAIT_MS)
    assert d.app.list_model.rowCount() == rows + 1
    assert d.app.list_model.summary(0).subject == "Lunch on Friday?"  # newest first
    qtbot.waitUntil(lambda: d.node(ref).unread == unread + 1, timeout=WAIT_MS)


# -- the other message actions ----------------------------------------------------------------------------------
def test_shortcuts_mark_unread_read_flag_and_categorise(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(SUPPORT)
    row = d.row_where(lambda m: m.is_read and not m.flagged and not m.categories)
    summary = d.select(row)
    d.window.activateWindow()
    qtbot.waitUntil(d.window.isActiveWindow, timeout=WAIT_MS)
    view = d.window.list_view
    view.setFocus()

    def current() -> Any:
        return d.app.list_model.summary(d.app.list_model.row_of(summary.item_id))

    unread = d.node(ref).unread
    QTest.keyClick(view, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    assert not current().is_read and d.node(ref).unread == unread + 1  # at once, before the server answers
    QTest.keyClick(view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert current().is_read and d.node(ref).unread == unread
    QTest.keyClick(view, Qt.Key.Key_Insert)
    assert current().flagged

    qtbot.waitUntil(lambda: d.app.lookups.categories(SUPPORT) is not None, timeout=WAIT_MS)
    master = d.app.lookups.categories(SUPPORT)
    assert master, "support@ has a master category list in the demo tenant"
    d.window.commands.fill_categories_menu()
    entries = [a for a in d.window.actions.categorize_menu.actions() if a.isCheckable()]
    assert [a.text() for a in entries] == [c.name for c in master]
    entries[0].trigger()
    assert current().categories == (master[0].name,)
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert d.window.message_bar.text() == ""
    stored = account(fresh_emulator, "alice", SUPPORT).inbox.get(id=summary.item_id)
    assert stored.is_read and stored.categories == [master[0].name]


def test_move_to_dialog_and_permanent_delete_asks_first(qtbot, fresh_emulator, drive, monkeypatch) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    source = d.open_folder(SUPPORT)
    first = d.select(0)
    bugs = d.folder_ref(SUPPORT, name="Bugs")
    before = d.node(bugs).total
    dialog = d.window.commands.move_to(copy=False)
    assert not dialog.choose(source), "not to the folder the messages are in"
    assert not dialog.ok_button.isEnabled() and dialog.reason.text()
    assert dialog.choose(bugs)
    dialog.accept()
    qtbot.waitUntil(lambda: d.node(bugs).total == before + 1, timeout=WAIT_MS)
    assert d.app.list_model.row_of(first.item_id) < 0

    asked: list[int] = []
    monkeypatch.setattr(d.window.commands, "confirm_permanent_delete", lambda n: asked.append(n) or False)
    doomed = d.select(0)
    d.window.actions.delete_permanently.trigger()
    assert asked == [1] and d.app.list_model.row_of(doomed.item_id) >= 0, "No: nothing happens"
    monkeypatch.setattr(d.window.commands, "confirm_permanent_delete", lambda n: True)
    d.window.actions.delete_permanently.trigger()
    qtbot.waitUntil(lambda: d.app.runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)
    assert d.app.list_model.row_of(doomed.item_id) < 0
    assert doomed.subject not in [m.subject for m in subjects_in(fresh_emulator, "alice", SUPPORT, "trash")]


def test_a_busy_server_is_waited_out_with_a_status_message(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    summary = d.select(d.row_where(lambda m: not m.flagged))
    messages: list[str] = []
    d.window.statusBar().messageChanged.connect(messages.append)
    fresh_emulator._injector.rate = 1.0  # every request now gets ErrorServerBusy with a 250 ms back-off
    job = d.window.commands.toggle_flag()
    qtbot.waitUntil(lambda: any("busy" in m for m in messages), timeout=WAIT_MS)
    fresh_emulator._injector.rate = 0.0
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS):
        pass
    assert d.window.message_bar.text() == ""
    assert fresh_emulator.faults.busy >= 1
    stored = account(fresh_emulator, "alice", SUPPORT).inbox.get(id=summary.item_id)
    assert stored.flag_status == 2  # PR_FLAG_STATUS, registered by app.ews.client


def test_my_access_remove_mailbox_and_save_attachment(qtbot, emulator, drive, tmp_path) -> None:
    d = drive(emulator, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.app.mailboxes.open_mailbox(SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    d.open_folder(SALES)
    dialog = d.window.commands.show_access()
    rows = dict(dialog.rows())
    assert rows["Inbox"] == "Read-only" and rows["Calendar"] == "Read-only"
    assert "Unknown" in dialog.send_label.text()
    dialog.close()
    d.window.commands.remove_mailbox()
    d.wait_mailboxes(OWN, SUPPORT)
    assert d.window.folder is None and d.app.list_model.rowCount() == 0
    assert SALES not in d.app.session.known_mailboxes()

    d.open_folder(SUPPORT)
    row = d.row_where(lambda m: m.has_attachments)
    d.select(row)
    detail = d.window.reading_pane.current()
    attachment = next(a for a in detail.attachments if not a.is_inline)
    target = tmp_path / "saved.bin"
    d.window.commands.save_attachment(attachment, str(target))
    qtbot.waitUntil(lambda: "Saved saved.bin" in d.window.statusBar().currentMessage(), timeout=WAIT_MS)
    assert target.stat().st_size == attachment.size


def test_search_on_a_server_that_cannot_search_bodies_says_what_it_left_out(qtbot, start_fresh_emulator,
                                                                            drive) -> None:
    emu = start_fresh_emulator(quirks=["no-body-search"])
    d = drive(emu, "alice")
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    word = d.app.list_model.summary(0).subject.split()[0]
    d.window.commands.search(word)
    qtbot.waitUntil(lambda: d.app.list_model.query.search == word and not d.app.list_model.is_loading()
                    and d.app.list_model.rowCount() > 0, timeout=WAIT_MS)
    assert any(word.casefold() in m.subject.casefold() for m in d.app.list_model.summaries())
    said = "Searched subject and sender only: this server cannot search message bodies."
    assert said in d.window.folder_label.text()
    assert d.window.message_bar.text() == said
    assert d.window.message_bar.history()[-1] == ("info", said)
    d.window.commands.clear_search()
    qtbot.waitUntil(lambda: not d.app.list_model.query.search and not d.app.list_model.is_loading(),
                    timeout=WAIT_MS)
    assert "cannot search" not in d.window.folder_label.text()
