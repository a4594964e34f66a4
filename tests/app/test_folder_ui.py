"""Folder management and folder permissions in the real window against the emulator, as a user drives them.

alice has Full Access to support@, Reviewer on sales@'s Inbox, and write-no-delete (no subfolders) on hr@'s Inbox.
Tests that change data run on a private copy of the demo tenant (``fresh_emulator``); the others share one emulator. Results
are checked independently (a separate exchangelib account, or dave's own connection). Nothing sleeps.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from PySide6.QtCore import QPoint

from app.domain.errors import AccessDenied
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, ServerVersion
from app.domain.messages import ListQuery, Person
from app.views.sidebar_view import DraggedFolder
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.emulator import BUILD, account

REPO = Path(__file__).resolve().parents[2]
OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
HR = "hr@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def node_named(d: Driver, mailbox: str, name: str) -> Any:
    tree = d.app.sidebar_model.tree(mailbox)
    return next((n for n in tree.folders if n.name == name), None) if tree is not None else None


def wait_node(d: Driver, mailbox: str, name: str, where: Callable[[Any], bool] = lambda _n: True) -> Any:
    d.qtbot.waitUntil(lambda: (n := node_named(d, mailbox, name)) is not None and where(n), timeout=WAIT_MS)
    return node_named(d, mailbox, name)


def current_name(d: Driver) -> str:
    ref = d.window.sidebar.current_folder()
    node = d.app.sidebar_model.folder_node(ref) if ref is not None else None
    return node.name if node is not None else ""


def trash_children(emu: Any, mailbox: str) -> list[str]:
    return sorted(f.name for f in account(emu, "alice", mailbox).trash.children)


# -- full access: create, rename, move, delete --------------------------------------------------------------------
def test_alice_creates_renames_moves_and_deletes_folders_in_support(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT, "inbox")
    assert d.action_state("new_folder") == (True, "New folder (Ctrl+Shift+E)")

    dialog = d.window.folder_commands.new_folder()
    dialog.name_edit.setText("bugs")
    assert not dialog.ok_button.isEnabled() and "already a folder" in dialog.problem.text()
    dialog.name_edit.setText("Escalations")
    assert dialog.ok_button.isEnabled()
    dialog.ok_button.click()
    inbox_id = d.folder_ref(SUPPORT, "inbox").folder_id
    wait_node(d, SUPPORT, "Escalations", lambda n: n.parent_id == inbox_id)
    qtbot.waitUntil(lambda: current_name(d) == "Escalations", timeout=WAIT_MS)  # the new folder is selected
    assert "Created the folder “Escalations”" in d.window.statusBar().currentMessage()

    dialog = d.window.folder_commands.rename()
    assert dialog.name_edit.text() == "Escalations" and not dialog.ok_button.isEnabled()
    dialog.name_edit.setText("Escalated")
    dialog.ok_button.click()
    wait_node(d, SUPPORT, "Escalated")
    qtbot.waitUntil(lambda: current_name(d) == "Escalated", timeout=WAIT_MS)  # still current after the rebuild
    assert node_named(d, SUPPORT, "Escalations") is None

    sidebar = d.window.sidebar
    escalated = node_named(d, SUPPORT, "Escalated")
    done = node_named(d, SUPPORT, "Done")
    with qtbot.waitSignal(sidebar.drop_refused) as refused:
        assert not sidebar.drop_folder(sidebar.visualRect(d.index_of_folder(escalated.ref)).center(),
                                       DraggedFolder(escalated.ref))
    assert refused.args == ["A folder cannot be moved into itself or one of its subfolders."]
    assert sidebar.drop_folder(sidebar.visualRect(d.index_of_folder(done.ref)).center(), DraggedFolder(escalated.ref))
    wait_node(d, SUPPORT, "Escalated", lambda n: n.parent_id == done.ref.folder_id)
    inbox = d.folder_ref(SUPPORT, "inbox")
    with qtbot.waitSignal(sidebar.drop_refused) as refused:
        sidebar.drop_folder(sidebar.visualRect(d.index_of_folder(done.ref)).center(), DraggedFolder(inbox))
    assert refused.args == ["Inbox is a standard folder: it cannot be moved."]

    bugs = node_named(d, SUPPORT, "Bugs")
    assert sidebar.select_folder(bugs.ref)
    d.wait_list_loaded(bugs.ref)
    dialog = d.window.folder_commands.delete()
    assert dialog.question.text() == "Delete the folder “Bugs”?"
    assert f"It holds {bugs.total} items." in dialog.details.text()
    assert "Deleted Items of Customer Support" in dialog.details.text()
    dialog.confirm_button.click()
    trash = d.folder_ref(SUPPORT, "deleteditems")
    wait_node(d, SUPPORT, "Bugs", lambda n: n.parent_id == trash.folder_id)
    assert trash_children(fresh_emulator, SUPPORT) == ["Bugs"]  # support@'s Deleted Items, not alice's own
    assert "Bugs" not in trash_children(fresh_emulator, OWN)

    assert sidebar.select_folder(node_named(d, SUPPORT, "Bugs").ref)
    d.wait_list_loaded(node_named(d, SUPPORT, "Bugs").ref)
    dialog = d.window.folder_commands.delete()
    assert dialog.question.text() == "Delete the folder “Bugs” permanently?"  # already in Deleted Items
    dialog.confirm_button.click()
    qtbot.waitUntil(lambda: node_named(d, SUPPORT, "Bugs") is None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: d.window.folder is not None and d.window.folder.key == trash.key, timeout=WAIT_MS)
    assert current_name(d) == "Deleted Items"  # the open folder went: its mailbox's Deleted Items opens
    assert trash_children(fresh_emulator, SUPPORT) == []


def test_emptying_deleted_items_asks_first(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    inbox = d.open_folder(SUPPORT, "inbox")
    assert d.window.actions.empty_folder.toolTip() == "Only Deleted Items and Junk Email can be emptied."
    d.open_folder(SUPPORT, "deleteditems")
    trash = d.node(d.folder_ref(SUPPORT, "deleteditems"))
    assert trash.total > 0 and d.window.actions.empty_folder.isEnabled()
    dialog = d.window.folder_commands.empty()
    assert dialog.question.text() == "Permanently delete everything in Deleted Items?"
    assert dialog.details.text().startswith(f"{trash.total} items in Customer Support › Deleted Items")
    dialog.confirm_button.click()
    qtbot.waitUntil(lambda: d.node(trash.ref).total == 0, timeout=WAIT_MS)
    assert account(fresh_emulator, "alice", SUPPORT).trash.total_count == 0
    assert d.node(inbox).total > 0


# -- rights: read-only, write-no-delete, standard folders ------------------------------------------------------------
def test_sales_is_read_only_new_folder_disabled_and_a_forced_create_refused(qtbot, emulator, drive) -> None:
    d = drive(emulator, mailbox=SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    ref = d.open_folder(SALES, "inbox")
    assert d.action_state("new_folder") == (False, "You cannot create folders in Sales Team › Inbox.")
    assert not d.action_state("delete_folder")[0]
    assert d.window.folder_commands.new_folder() is None  # the shortcut does nothing but say why
    assert d.window.statusBar().currentMessage() == "You cannot create folders in Sales Team › Inbox."

    with qtbot.waitSignal(d.app.folders.failed, timeout=WAIT_MS) as failed:
        d.app.folders.create(ref, "Mine", "Sales Team › Inbox")  # forced past the disabled action
    assert failed.args == ["You may not create folders in sales@example.com › Inbox."]
    assert d.window.message_bar.text() == "You may not create folders in sales@example.com › Inbox."

    assert d.action_state("folder_permissions")[0]  # everyone who can see the folder sees who has access
    dialog = d.window.folder_commands.properties(permissions=True)
    qtbot.waitUntil(dialog.is_loaded, timeout=WAIT_MS)
    panel = dialog.permissions
    assert ("Alice Archer  ·  alice@example.com", "Reviewer") in panel.rows()
    assert panel.rows()[0] == ("Default (everyone else in the organisation)", "None")
    assert panel.read_only_banner.isVisibleTo(dialog) and "only the folder's owners" in \
        panel.read_only_banner.text().casefold()
    assert not panel.add_row.isVisibleTo(dialog) and not panel.editor.isEnabled()
    assert not dialog.save_button.isVisibleTo(dialog)
    assert dialog.values["access"].text() == "Read-only"
    dialog.reject()


def test_hr_write_no_delete_cannot_make_subfolders(qtbot, emulator, drive) -> None:
    d = drive(emulator, mailbox=HR)
    d.wait_mailboxes(OWN, SUPPORT, HR)
    d.open_folder(HR, "inbox")
    enabled, reason = d.action_state("new_folder")
    assert not enabled and reason.startswith("You cannot create folders in ") and reason.endswith("› Inbox.")
    assert "standard folder" in d.action_state("rename_folder")[1]
    assert "standard folder" in d.action_state("delete_folder")[1]
    with qtbot.waitSignal(d.app.folders.failed, timeout=WAIT_MS) as failed:
        d.app.folders.create(d.folder_ref(HR, "inbox"), "Mine", "HR › Inbox")
    assert failed.args == ["You may not create folders in hr@example.com › Inbox."]


def test_standard_folders_cannot_be_deleted_or_renamed(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT, "inbox")
    enabled, reason = d.action_state("delete_folder")
    assert (enabled, reason) == (False, "Inbox is a standard folder of Customer Support: it cannot be deleted.")
    assert d.action_state("rename_folder") == (False,
                                               "Inbox is a standard folder of Customer Support: it cannot be renamed.")
    assert d.window.folder_commands.delete() is None and d.window.folder_commands.dialog is None
    menu = d.window.folder_commands.show_context_menu(QPoint(10, 10))
    shown = [a.text() for a in menu.actions() if a.isVisible() and not a.isSeparator()]
    assert shown[:5] == ["New folder…", "Rename folder…", "Delete folder…", "Properties…", "Permissions…"]
    assert "Refresh" in shown and "Empty folder…" not in shown
    menu.close()
    assert d.window.actions.empty_folder.isVisible()  # hidden only in that menu


# -- permissions written in the app, enforced by the server ---------------------------------------------------------
def test_alice_gives_dave_reviewer_on_bugs_and_the_server_enforces_it(qtbot, fresh_emulator, drive) -> None:
    from app.ews.client import EwsClient
    from app.ews.messages import find_page

    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    bugs = d.open_folder(SUPPORT, name="Bugs")
    dialog = d.window.folder_commands.properties(permissions=True)
    qtbot.waitUntil(dialog.is_loaded, timeout=WAIT_MS)
    assert dialog.tabs.currentIndex() == 1 and dialog.values["items"].text() != "…"
    panel = dialog.permissions
    assert panel.add_row.isVisibleTo(dialog) and not panel.read_only_banner.isVisibleTo(dialog)

    panel.add_edit.setFocus()
    qtbot.keyClicks(panel.add_edit, "dave")
    with qtbot.waitSignal(panel.completer.results_ready, timeout=WAIT_MS):
        pass
    row = next(i for i, s in enumerate(panel.completer.suggestion_texts()) if "dave@example.com" in s)
    panel.completer.choose(row)
    assert ("Dave Diaz  ·  dave@example.com", "Reviewer") in panel.rows()
    assert panel.selected().user == Person("dave@example.com", "Dave Diaz")
    assert panel.role_description.text() == "Read items only."
    panel.set_role("Author")
    assert panel.flag_boxes["can_create_items"].isChecked()
    panel.flag_boxes["can_create_items"].setChecked(False)  # a custom tick …
    assert panel.role_combo.currentData() == "Custom"
    panel.set_role("Reviewer")  # … and back to the role asked for
    assert dialog.save_button.isEnabled()
    dialog.save_button.click()
    qtbot.waitUntil(lambda: d.window.folder_commands.dialog is None, timeout=WAIT_MS)  # closed once saved
    assert d.window.statusBar().currentMessage() == "Saved who has access to Customer Support › Bugs."

    dave = EwsClient(fresh_emulator.ews_url, "dave@example.com", "dave-pass", AuthMethod.NTLM, ServerVersion(*BUILD))
    try:
        assert find_page(dave, bugs, ListQuery(), 0, 5).items  # dave reads Bugs …
        with pytest.raises(AccessDenied):
            find_page(dave, FolderRef(SUPPORT, well_known="inbox"), ListQuery(), 0, 5)  # … not the Inbox
    finally:
        dave.close()


def test_removing_a_person_and_default_in_the_editor(qtbot, emulator, drive) -> None:
    d = drive(emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT, "inbox")
    dialog = d.window.folder_commands.properties(permissions=True)
    qtbot.waitUntil(dialog.is_loaded, timeout=WAIT_MS)
    panel = dialog.permissions
    assert panel.select("Default") and panel.remove_button.text() == "Set to &None"
    assert panel.select(Person("bob@example.com"))
    panel.remove_selected()
    assert [name for name, _ in panel.rows()][2:] == []
    assert panel.is_modified() and dialog.save_button.isEnabled()
    panel.add_edit.setText("carol@example.com")
    panel.add_button.click()
    assert panel.rows()[-1] == ("carol@example.com", "Reviewer")
    dialog.reject()  # nothing saved
    assert d.window.folder_commands.dialog is None


@pytest.mark.slow
def test_permissions_dialog_screenshot_command(tmp_path: Path) -> None:
    """`python -m app --demo --screenshot-dialog permissions PATH`: support@ › Inbox permissions, saved."""
    shot = tmp_path / "perm.png"
    proc = subprocess.run(
        [sys.executable, "-m", "app", "--demo", "--screenshot-dialog", "permissions", str(shot), "--timeout", "90"],
        cwd=REPO, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"}, capture_output=True, text=True, timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    assert "screenshot saved" in proc.stdout
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() >= 600 and image.height() >= 500


def test_screenshot_dialog_option_and_registry() -> None:
    from app.__main__ import parse_args
    from app.screenshot import DIALOGS, dialog_opener

    args = parse_args(["--demo", "--screenshot-dialog", "permissions", "/tmp/p.png"])
    assert args.screenshot_dialog == ["permissions", "/tmp/p.png"]
    assert callable(dialog_opener("permissions")) and "permissions" in DIALOGS
    with pytest.raises(SystemExit):
        parse_args(["--demo", "--screenshot-dialog", "nonesuch", "/tmp/p.png"])
