""""Open shared mailbox…", directory autocomplete and "My access", against the emulator over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.rights import FolderRights, SendRight
from app.services.session import SessionService
from app.settings import Settings
from app.tasks import TaskRunner
from app.views.access_dialog import AccessDialog, folder_rows
from app.views.completer import DirectoryCompleter
from app.views.open_mailbox_dialog import OpenMailboxDialog, access_sentence

WAIT_MS = 30_000
# The offscreen platform plugin cannot raise a popup or grab the keyboard for it: not a defect of ours.
OFFSCREEN_POPUP = pytest.mark.qt_log_ignore(r"^This plugin does not support (raise\(\)|grabbing the keyboard)")
SHOTS = Path(os.environ["MAILROOM_SCREENSHOTS"]) if os.environ.get("MAILROOM_SCREENSHOTS") else None


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    assert runner.shutdown(20_000)


@pytest.fixture
def signed_in(qtbot, runner, emulator, tmp_path) -> Iterator:
    services: list[SessionService] = []

    def sign_in(user: str) -> SessionService:
        service = SessionService(runner, Settings.load(tmp_path / f"{user}.json"))
        services.append(service)
        with qtbot.waitSignal(service.signed_in, timeout=WAIT_MS):
            service.sign_in(f"{user}@example.com", f"{user}-pass", emulator.ews_url, "ntlm", False)
        return service

    yield sign_in
    for service in services:
        service.shutdown()


def open_dialog(qtbot, service: SessionService) -> OpenMailboxDialog:
    dialog = OpenMailboxDialog(service)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def check(qtbot, dialog: OpenMailboxDialog, address: str) -> None:
    qtbot.keyClicks(dialog.address_edit, address)
    dialog.completer.cancel()  # no autocomplete popup over the test
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.busy_bar.isVisible() and not dialog.open_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.open_button.isEnabled(), timeout=WAIT_MS)


def shoot(widget, name: str) -> None:
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        assert widget.grab().save(str(SHOTS / name))


def test_sales_for_alice_is_read_only_inbox_and_calendar_then_added(qtbot, signed_in) -> None:
    service = signed_in("alice")
    dialog = open_dialog(qtbot, service)
    check(qtbot, dialog, "sales@example.com")

    assert dialog.error_text() == ""
    first_line = dialog.access_text().splitlines()[0]
    assert first_line == "You have read-only access to Inbox and Calendar of Sales Team."
    assert "first try" in dialog.access_text()  # the send right is not known yet
    assert dialog.open_button.text().replace("&", "") == "Add to sidebar"
    shoot(dialog, "open-mailbox-sales.png")

    added: list[object] = []
    dialog.mailbox_added.connect(added.append)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [tree.mailbox.address for tree in added] == ["sales@example.com"]
    assert service.added_mailboxes() == ["sales@example.com"]
    assert Settings.load(service.settings.path).account("alice@example.com").added_mailboxes == (
        "sales@example.com",)


def test_support_for_dave_is_no_access(qtbot, signed_in) -> None:
    dialog = open_dialog(qtbot, signed_in("dave"))
    check(qtbot, dialog, "support@example.com")
    assert dialog.error_text().startswith("You have no access to support@example.com.")
    assert dialog.access_text() == ""
    assert dialog.open_button.text().replace("&", "") == "Open"
    shoot(dialog, "open-mailbox-no-access.png")


def test_unknown_address_is_an_error(qtbot, signed_in) -> None:
    service = signed_in("alice")
    dialog = open_dialog(qtbot, service)
    check(qtbot, dialog, "nobody@example.com")
    assert dialog.error_text() == "There is no mailbox nobody@example.com. Check the address."
    assert service.added_mailboxes() == []


def test_a_mailbox_already_in_the_sidebar_is_not_checked_again(qtbot, signed_in) -> None:
    dialog = open_dialog(qtbot, signed_in("alice"))
    qtbot.keyClicks(dialog.address_edit, "Support@example.com")  # automapped for alice
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.error_text() == "Support@example.com is already in your sidebar."
    assert not dialog.busy_bar.isVisible()


def test_editing_the_address_after_a_check_asks_for_a_new_check(qtbot, signed_in) -> None:
    dialog = open_dialog(qtbot, signed_in("alice"))
    check(qtbot, dialog, "sales@example.com")
    assert dialog.tree is not None
    qtbot.keyClick(dialog.address_edit, Qt.Key.Key_Backspace)
    assert dialog.tree is None and dialog.access_text() == ""
    assert dialog.open_button.text().replace("&", "") == "Open"


@OFFSCREEN_POPUP
def test_directory_autocomplete_offers_people_and_fills_the_address(qtbot, signed_in) -> None:
    dialog = open_dialog(qtbot, signed_in("alice"))
    completer = dialog.completer
    lookups: list[str] = []
    real = completer._lookup
    completer._lookup = lambda text, ok, err: (lookups.append(text), real(text, ok, err))[1]

    with qtbot.waitSignal(completer.results_ready, timeout=WAIT_MS):
        qtbot.keyClicks(dialog.address_edit, "Sales")
    assert lookups == ["Sales"], "one lookup after typing stops (debounced), not one per key"
    assert any("sales@example.com" in text for text in completer.suggestion_texts())
    assert completer.popup().isVisible()
    row = next(i for i, text in enumerate(completer.suggestion_texts()) if "sales@example.com" in text)
    completer.choose(row)
    assert dialog.address_edit.text() == "sales@example.com"


@OFFSCREEN_POPUP
def test_completer_ignores_answers_for_text_changed_meanwhile(qtbot) -> None:
    from PySide6.QtWidgets import QLineEdit

    from app.domain.messages import Person

    edit = QLineEdit()
    qtbot.addWidget(edit)
    calls: list[tuple[str, object]] = []

    class Handle:
        def cancel(self) -> None:
            calls.append(("cancel", None))

    def lookup(text, on_result, on_error):
        calls.append((text, on_result))
        return Handle()

    completer = DirectoryCompleter(edit, lookup, delay_ms=10, multiple=True)
    edit.show()
    qtbot.keyClicks(edit, "bob@example.com; ca")
    qtbot.waitUntil(lambda: any(text == "ca" for text, _ in calls), timeout=2000)
    on_result = next(cb for text, cb in calls if text == "ca")
    qtbot.keyClicks(edit, "r")
    on_result([Person("carol@example.com", "Carol Chen")])  # late answer for "ca"
    assert completer.suggestion_texts() == []
    qtbot.waitUntil(lambda: any(text == "car" for text, _ in calls), timeout=2000)
    on_result = next(cb for text, cb in calls if text == "car")
    on_result([Person("carol@example.com", "Carol Chen")])
    assert completer.suggestion_texts() == ["Carol Chen <carol@example.com>"]
    completer.choose(0)
    assert edit.text() == "bob@example.com; carol@example.com; "


def test_my_access_lists_each_folder_in_plain_words(qtbot, signed_in) -> None:
    service = signed_in("alice")
    dialog = open_dialog(qtbot, service)
    check(qtbot, dialog, "sales@example.com")
    access = AccessDialog(dialog.tree)
    qtbot.addWidget(access)
    access.show()
    rows = dict(access.rows())
    assert rows["Inbox"] == "Read-only"
    assert rows["Calendar"] == "Read-only"
    assert access.summary_label.text() == "You have read-only access to Inbox and Calendar of Sales Team."
    assert "Unknown until you first send" in access.send_label.text()
    assert access.windowTitle() == "My access — Sales Team"
    shoot(access, "my-access-sales.png")


def _node(name: str, folder_id: str, parent: str, rights: FolderRights, well_known: str = "") -> FolderNode:
    return FolderNode(FolderRef("hr@example.com", folder_id, well_known), parent, name, FolderKind.MAIL, 0, 0, 0,
                      rights)


def test_my_access_for_custom_rights_and_send_as(qtbot) -> None:
    from app.ews.folders import MailboxTree

    # Create items, read all, edit all, delete none; on Cases the scopes are not known (no permission set read).
    custom = FolderRights(read=True, create_contents=True, read_items="FullDetails", edit_items="All",
                          delete_items="None")
    unknown = FolderRights(read=True, create_contents=True)
    tree = MailboxTree(
        MailboxRef("hr@example.com", "Human Resources"),
        False,
        [_node("Inbox", "i", "", custom, "inbox"), _node("Cases", "c", "i", unknown),
         _node("Archive 2020", "a", "", FolderRights())],
        SendRight.SEND_AS,
    )
    access = AccessDialog(tree)
    qtbot.addWidget(access)
    assert access.rows() == [("Inbox", "Read, add and change items; cannot delete"), ("Cases", "Read and add items"),
                             ("Archive 2020", "No access")]
    assert access.table.item(1, 0).text().startswith("    "), "subfolders are indented under their parent"
    assert access.send_label.text().startswith("Send As")
    assert [depth for depth, _ in folder_rows(tree.folders)] == [0, 1, 0]
    assert access_sentence(tree) == ("You have access to Inbox of Human Resources: read, add and change items; "
                                     "cannot delete.")
