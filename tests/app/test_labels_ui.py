"""Labels in the real window against the emulator over HTTP: the label manager, relabelling in bulk with a
progress bar, the label picker, the "Labels" panel and the label filter, and what users without the rights see.

Tests that change data run on a private emulator; every check of what the server stored is made with plain
exchangelib (tests.support.emulator.account). Nothing sleeps: every wait is on what the window shows.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from lxml import etree

from PySide6.QtCore import Qt

from app.domain.categories import NEUTRAL, Category
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.labels import LabelEdit, LabelList
from app.domain.messages import ListQuery
from app.domain.rights import FolderRights
from app.models.roles import Roles
from app.services.labels import COUNT_QUEUE, count_scope
from app.tasks import TaskState
from tests.app.ews.conftest import signed_in
from tests.support.app_driver import WAIT_MS, WEBENGINE_LOG_IGNORE, Driver
from tests.support.category_lists import add_foreign_data, stored_category_list
from tests.support.emulator import account, schema_dir
from tests.support.emulator_fixtures import check_and_stop

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _carrying(emu: Any, mailbox: str, name: str) -> int:
    acc = account(emu, "alice", mailbox)
    return sum(f.filter(categories__contains=[name]).count() for f in acc.msg_folder_root.walk()
               if f.folder_class == "IPF.Note")


def _in_inbox(emu: Any, mailbox: str, name: str) -> int:
    return account(emu, "carol", mailbox).inbox.filter(categories__contains=[name]).count()  # Full Access


def _manager(d: Driver, mailbox: str) -> Any:
    ref = next(m for m in d.app.sidebar_model.mailboxes() if m.key == mailbox)
    dialog = d.window.admin.controller.open_label_manager(ref)
    d.qtbot.waitUntil(lambda: bool(dialog.names()) and dialog.count_of(dialog.names()[0]) is not None,
                      timeout=WAIT_MS)
    return dialog


def _names(d: Driver, dialog: Any, names: list[str]) -> None:
    d.qtbot.waitUntil(lambda: dialog.names() == names, timeout=WAIT_MS)


# -- the label manager ------------------------------------------------------------------------------------------
def test_label_manager_adds_renames_recolours_and_deletes_keeping_foreign_data(qtbot, fresh_emulator, drive) -> None:
    add_foreign_data(fresh_emulator, SUPPORT)
    bugs = _carrying(fresh_emulator, SUPPORT, "Bug")
    waiting = _carrying(fresh_emulator, SUPPORT, "Waiting on customer")
    assert bugs and waiting
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    dialog = _manager(d, SUPPORT)
    assert dialog.names() == ["Urgent", "Billing", "Bug", "Waiting on customer"]
    assert dialog.count_of("Bug") == bugs
    assert dialog.add_button.isEnabled() and not dialog.banner.text()

    dialog.new_name.setText("Escalated")
    dialog.new_color.setCurrentIndex(dialog.new_color.findData(4))
    dialog.add_button.click()
    _names(d, dialog, ["Urgent", "Billing", "Bug", "Waiting on customer", "Escalated"])
    assert dialog.current_name() == "Escalated"
    dialog.select("Urgent")
    dialog.color_button.menu().actions()[0].trigger()  # "No colour"
    qtbot.waitUntil(lambda: Category("Urgent", -1) in (d.app.lookups.categories(SUPPORT) or []), timeout=WAIT_MS)

    assert dialog.rename_label("Bug", "Defect")
    assert f"{bugs} messages in Customer Support carry “Bug”" in dialog.question.label.text()
    dialog.question.answer("update")
    qtbot.waitUntil(lambda: dialog.job is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: not dialog.job.is_running, timeout=WAIT_MS)
    assert dialog.job.result == bugs
    qtbot.waitUntil(lambda: dialog.count_of("Defect") == bugs, timeout=WAIT_MS)

    assert dialog.delete_label("Waiting on customer")
    dialog.question.answer("list")  # delete only the label: the messages keep it, in grey
    _names(d, dialog, ["Urgent", "Billing", "Defect", "Escalated"])

    # What the server has now: the edits, nothing else changed.
    stored = stored_category_list(fresh_emulator, SUPPORT)
    assert LabelList(stored).categories() == [Category("Urgent", -1), Category("Billing", 7), Category("Defect", 1),
                                              Category("Escalated", 4)]
    root = etree.fromstring(stored)
    urgent = next(e for e in root.iter("{CategoryList.xsd}category") if e.get("name") == "Urgent")
    assert urgent.get("{urn:example:crm}sync") == "42" and urgent.get("usageCount")
    assert root.find("{urn:example:crm}mapping").text == "keep me"
    assert (_carrying(fresh_emulator, SUPPORT, "Bug"), _carrying(fresh_emulator, SUPPORT, "Defect")) == (0, bugs)
    assert _carrying(fresh_emulator, SUPPORT, "Waiting on customer") == waiting

    # The window follows: the panel lists the new labels with their counts, the list greys the orphan label.
    panel = d.window.admin.panel
    qtbot.waitUntil(lambda: any(e.name == "Defect" and e.count == bugs for e in panel.labels(SUPPORT)),
                    timeout=WAIT_MS)
    orphan = next(e for e in panel.labels(SUPPORT) if e.name == "Waiting on customer")
    assert not orphan.in_master and orphan.color == NEUTRAL and orphan.count == waiting
    model = d.app.list_model
    qtbot.waitUntil(lambda: "Defect" in {c.name for c in d.app.lookups.categories(SUPPORT) or []}, timeout=WAIT_MS)
    row = d.row_where(lambda m: "Waiting on customer" in m.categories)
    chips = dict(model.index(row, 0).data(Roles.CategoriesRole))
    assert chips["Waiting on customer"] == NEUTRAL


def test_relabelling_500_messages_shows_progress(qtbot, tmp_path, drive) -> None:
    from ews_emulator import Emulator
    from ews_emulator.exchange import create_backend

    data = tmp_path / "scaled"
    create_backend(data_dir=data, scale=400).store.close()  # support@'s Inbox: 220 demo + 400 more messages
    emu = Emulator(data_dir=data, schema_dir=schema_dir()).start()
    try:
        from app.ews import labels

        client = signed_in(emu, "alice").client
        acc = account(emu, "alice", SUPPORT)
        ids = [m.id for m in acc.inbox.all().order_by("-datetime_received").only("id")[:500]]
        assert len(ids) == 500
        labels.update_categories(client, SUPPORT, [(i, ["Bulk"]) for i in ids], lambda *_: None, lambda: False)
        labels.edit_list(client, SUPPORT, [LabelEdit("add", "Bulk", color=5)])
        client.close()
        assert _carrying(emu, SUPPORT, "Bulk") == 500

        d = drive(emu)
        d.wait_mailboxes(OWN, SUPPORT)
        d.open_folder(SUPPORT)
        dialog = _manager(d, SUPPORT)
        qtbot.waitUntil(lambda: dialog.count_of("Bulk") == 500, timeout=WAIT_MS)
        dialog.rename_label("Bulk", "Bulk 2026")
        assert "500 messages" in dialog.question.label.text()
        seen: list[tuple[int, int]] = []
        dialog.question.answer("update")
        qtbot.waitUntil(lambda: dialog.job is not None, timeout=WAIT_MS)
        job = dialog.job
        job.progress.connect(lambda done, total: seen.append((done, total)))
        assert dialog.job_panel.isVisible() and d.window.job_progress.current() is job
        assert "Renaming “Bulk” to “Bulk 2026”" in d.window.job_progress.label.text()
        qtbot.waitUntil(lambda: not job.is_running, timeout=WAIT_MS)
        assert job.result == 500
        assert seen and seen[-1] == (500, 500) and len({done for done, _ in seen}) >= 5  # it moved in steps
        assert dialog.job_panel.bar.maximum() == 500
        assert not dialog.job_panel.isVisible() and d.window.job_progress.current() is None
        assert (_carrying(emu, SUPPORT, "Bulk"), _carrying(emu, SUPPORT, "Bulk 2026")) == (0, 500)
    finally:
        check_and_stop(emu)


# -- the picker, the panel and the filter -----------------------------------------------------------------------
def test_picker_labels_the_selection_and_the_panel_filters_the_list(qtbot, fresh_emulator, drive) -> None:
    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    ref = d.open_folder(SUPPORT)
    model = d.app.list_model
    plain = [r for r in range(model.rowCount()) if not model.summary(r).categories][:2]
    view = d.window.list_view
    view.select_row(plain[0])
    view.selectionModel().select(model.index(plain[1], 0), view.selectionModel().SelectionFlag.Select |
                                 view.selectionModel().SelectionFlag.Rows)
    ids = [model.summary(r).item_id for r in plain]
    assert sorted(view.selected_ids()) == sorted(ids)
    action = d.window.admin.label
    assert action.isEnabled() and action.shortcut().toString() == "Ctrl+Shift+L"
    picker = d.window.admin.controller.open_picker()
    assert picker.visible_names() == ["Urgent", "Billing", "Bug", "Waiting on customer"]
    picker.search.setText("urg")
    assert picker.visible_names() == ["Urgent"] and picker.create_offered()  # "Create label “urg”" as well
    picker.toggle("Urgent")
    acc = account(fresh_emulator, "alice", SUPPORT)

    def urgent_on_server() -> set[str]:
        return {m.id for m in acc.inbox.filter(categories__contains=["Urgent"]).only("id")}

    qtbot.waitUntil(lambda: set(ids) <= urgent_on_server(), timeout=WAIT_MS)
    assert picker.state_of("Urgent") == Qt.CheckState.Checked
    picker.toggle("Urgent")  # and off again, from every selected message
    qtbot.waitUntil(lambda: not set(ids) & urgent_on_server(), timeout=WAIT_MS)
    picker.close()

    # The panel: click "Billing" -> the Inbox, only its Billing messages, filtered on the server.
    panel = d.window.admin.panel
    qtbot.waitUntil(lambda: any(e.name == "Billing" and e.count for e in panel.labels(SUPPORT)), timeout=WAIT_MS)
    assert panel.activate(SUPPORT, "Billing")
    qtbot.waitUntil(lambda: model.query.category == "Billing" and not model.is_loading(), timeout=WAIT_MS)
    expected = acc.inbox.filter(categories__contains=["Billing"]).count()
    assert model.total == expected > 0
    assert all("billing" in {c.casefold() for c in model.summary(r).categories} for r in range(model.rowCount()))
    chip = d.window.admin.filter_chip
    assert chip.isVisible() and "Billing" in chip.text()
    chip.click()
    qtbot.waitUntil(lambda: model.query == ListQuery(sort=model.query.sort, descending=model.query.descending)
                    and model.total > expected, timeout=WAIT_MS)
    assert not chip.isVisible() and d.window.folder == ref


# -- counting in the background -------------------------------------------------------------------------------
def test_counting_never_holds_the_mailbox_queue_and_a_newer_count_supersedes(qtbot, fresh_emulator, drive,
                                                                            monkeypatch) -> None:
    from app.ews import labels as ews_labels

    d = drive(fresh_emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.open_folder(SUPPORT)
    controller, service, panel = d.window.admin.controller, d.window.admin.labels, d.window.admin.panel
    runner = d.app.runner
    # The counts made when the mailboxes opened (one queue for all of them, one count at a time).
    qtbot.waitUntil(lambda: service.counts(SUPPORT) is not None and runner.pending_count(COUNT_QUEUE) == 0,
                    timeout=WAIT_MS)
    first = service.counts(SUPPORT)
    folders = controller.mail_folders(SUPPORT)
    assert service.count(SUPPORT, folders) is None  # fresh (< 60 s): opening the mailbox again does not recount

    # Hold support@'s count requests in the worker (before they are sent), as a slow server would.
    gate, reached = threading.Event(), threading.Event()
    real = ews_labels.count_carrying

    def held(client: Any, folder: FolderRef, name: str, **kwargs: Any) -> int:
        if folder.mailbox.casefold() == SUPPORT:
            reached.set()
            gate.wait(WAIT_MS / 1000)
        return real(client, folder, name, **kwargs)

    monkeypatch.setattr(ews_labels, "count_carrying", held)
    try:
        controller.recount(SUPPORT)  # as after applying a label: counts although fresh
        qtbot.waitUntil(reached.is_set, timeout=WAIT_MS)
        running = service.counting(SUPPORT)
        assert running is not None and running.state == TaskState.RUNNING and running.key == COUNT_QUEUE
        qtbot.waitUntil(lambda: runner.pending_count(SUPPORT) == 0, timeout=WAIT_MS)  # the mailbox's queue is free
        # The message list is not delayed: another folder's first page arrives while the count waits.
        d.open_folder(SUPPORT, name="Bugs")
        d.open_folder(SUPPORT)
        assert service.counting(SUPPORT) is running and running.state == TaskState.RUNNING

        controller.recount(SUPPORT)  # a newer count supersedes the running one
        qtbot.waitUntil(lambda: running.is_cancelled(), timeout=WAIT_MS)
        newer = service.counting(SUPPORT)
        assert newer is not None and newer is not running and newer.key == COUNT_QUEUE
        assert runner.pending_count(SUPPORT) == 0
    finally:
        gate.set()
    qtbot.waitUntil(lambda: service.counting(SUPPORT) is None and service.counts(SUPPORT) is not first,
                    timeout=WAIT_MS)
    assert running.state == TaskState.CANCELLED and newer.state == TaskState.SUCCEEDED
    counts = service.counts(SUPPORT)
    names = ["Urgent", "Billing", "Bug", "Waiting on customer"]
    assert counts.requests == len(names) * len(folders) == 44  # one FindItem per (label, folder)
    expected = {name: _carrying(fresh_emulator, SUPPORT, name) for name in names}
    assert {e.name: e.count for e in panel.labels(SUPPORT)} == expected
    assert panel.scope(SUPPORT) == "Counts cover all 11 mail folders you can read."
    top = next(panel.tree.topLevelItem(i) for i in range(panel.tree.topLevelItemCount())
               if panel.tree.topLevelItem(i).text(0) == "Customer Support")
    assert "Counts cover all 11 mail folders" in top.toolTip(0)
    assert "Counts cover all 11 mail folders" in panel.item(SUPPORT, "Bug").toolTip(0)


def test_a_big_mailbox_counts_its_inbox_subfolders_and_sent_items() -> None:
    def node(name: str, fid: str, parent: str = "", well_known: str = "") -> FolderNode:
        return FolderNode(FolderRef(SUPPORT, fid, well_known), parent, name, FolderKind.MAIL, 1, 0, 0,
                          FolderRights(read=True))

    nodes = [node("Inbox", "in", well_known="inbox"), node("Billing", "b", "in"), node("2025", "b25", "b"),
             node("Sent Items", "s", well_known="sentitems"), node("Drafts", "d", well_known="drafts"),
             *(node(f"Project {n}", f"p{n}", "") for n in range(20))]
    refs = [n.ref for n in nodes]
    scope = count_scope(refs, nodes)
    assert [f.folder_id for f in scope.folders] == ["in", "b", "b25", "s"]
    assert scope.description == ("Counts cover the Inbox, its 2 subfolders and Sent Items (4 of the 25 mail folders "
                                 "you can read); messages elsewhere are not counted.")
    small = count_scope(refs[:5], nodes)
    assert small.folders == tuple(refs[:5]) and small.description == "Counts cover all 5 mail folders you can read."


# -- without the rights -----------------------------------------------------------------------------------------
def test_labels_on_sales_are_read_only_and_the_server_refusal_is_handled(qtbot, emulator, drive) -> None:
    d = drive(emulator, mailbox=SALES)
    d.wait_mailboxes(OWN, SUPPORT, SALES)
    folder = d.open_folder(SALES)
    summary = d.select(0)
    enabled, tip = d.action_state("categorize")
    assert not enabled
    label = d.window.admin.label
    assert not label.isEnabled() and label.toolTip() == tip == "You have read-only access to Sales Team › Inbox."
    assert d.window.admin.controller.open_picker() is None
    # Past the disabled menu (say, a stale window): the server refuses, the list is put back, the user is told.
    before = summary.categories
    job = d.app.mail.set_categories(folder, [summary.item_id], ["Renewal"])
    qtbot.waitUntil(lambda: not job.is_running, timeout=WAIT_MS)
    assert job.error.startswith("Could not categorise the message: You have no right to categorise messages in "
                                "sales@example.com")
    assert job.error in d.window.message_bar.text()
    assert d.app.list_model.summary(d.app.list_model.row_of(summary.item_id)).categories == before

    # The master list: shown, but read-only with the reason; the server refuses a change as well.
    dialog = _manager(d, SALES)
    assert dialog.names() == ["Hot lead", "Renewal", "Proposal sent"]
    reason = "Changing the labels of Sales Team needs Full Access to the mailbox."
    assert reason in dialog.banner.text()
    assert not dialog.add_button.isEnabled() and dialog.add_button.toolTip().startswith(reason)
    assert not dialog.rename_button.isEnabled() and not dialog.delete_button.isEnabled()
    assert not dialog.add_label("Mine") and dialog.error_label.text().startswith(reason)
    refusals: list[str] = []
    d.window.admin.labels.edit(SALES, LabelEdit("add", "Mine"), on_error=refusals.append)
    qtbot.waitUntil(lambda: bool(refusals), timeout=WAIT_MS)
    assert refusals == ["You may not change the labels of sales@example.com: that needs Full Access to the "
                        "mailbox."]
    bobs = account(emulator, "bob", SALES).calendar.get_user_configuration(name="CategoryList", properties="XmlData")
    assert [c.name for c in LabelList(bobs.xml_data).categories()] == ["Hot lead", "Renewal", "Proposal sent"]


def test_a_list_alice_may_not_read_still_offers_the_categories_in_use_on_hr(qtbot, fresh_emulator, drive) -> None:
    # alice's Custom role on hr@'s Inbox lets her change items, but she has no right on its Calendar, where the
    # CategoryList lives: the list cannot be read, which is not "no categories".
    hr = "hr@example.com"
    recruiting = _in_inbox(fresh_emulator, hr, "Recruiting")
    assert recruiting == 10
    d = drive(fresh_emulator, mailbox=hr)
    d.wait_mailboxes(OWN, SUPPORT, hr)
    d.open_folder(hr)
    plain = d.row_where(lambda m: not m.categories)
    summary = d.select(plain)
    qtbot.waitUntil(lambda: d.app.lookups.categories(hr) is not None, timeout=WAIT_MS)

    # The Categorise menu, as it fills when it opens: it says so, and offers what is in use and alice's own.
    menu = d.window.actions.categorize_menu
    menu.aboutToShow.emit()
    note = next(a for a in menu.actions() if a.objectName() == "categoriesUnreadable")
    assert not note.isEnabled() and note.text() == "Could not read the category list of Human Resources"
    assert "you have no access to its Calendar" in note.toolTip()
    offered = [a.text() for a in menu.actions() if a.isCheckable()]
    assert offered == ["Confidential", "Onboarding", "Recruiting", "Follow up (your category)",
                       "Personal (your category)"]
    assert "This mailbox has no categories" not in [a.text() for a in menu.actions()]

    # The Label… picker: the same, with the notice; creating a label in a list nobody can read is not offered.
    picker = d.window.admin.controller.open_picker()
    assert picker.visible_names() == ["Confidential", "Onboarding", "Recruiting", "Follow up", "Personal"]
    assert picker.notice.isVisible() and "could not be read" in picker.notice.text()
    texts = [picker.list.item(i).text() for i in range(picker.list.count())]
    assert texts[-1] == "Personal  (your category)"
    personal = picker.list.item(texts.index("Personal  (your category)"))
    assert personal.icon().pixmap(8, 8).toImage().pixelColor(4, 4).name() == Category("Personal", 8).hex_color
    picker.search.setText("Recruit")
    assert picker.visible_names() == ["Recruiting"] and not picker.create_offered()
    picker.toggle("Recruiting")  # alice may change hr@'s items: the server takes it
    qtbot.waitUntil(lambda: _in_inbox(fresh_emulator, hr, "Recruiting") == recruiting + 1, timeout=WAIT_MS)
    assert "Recruiting" in account(fresh_emulator, "carol", hr).inbox.get(id=summary.item_id).categories
    picker.close()

    # The label manager says the list could not be read and lists the labels found on hr@'s messages.
    dialog = _manager(d, hr)
    assert dialog.names() == ["Confidential", "Onboarding", "Recruiting"] and not dialog.readable()
    qtbot.waitUntil(lambda: dialog.count_of("Recruiting") == recruiting + 1, timeout=WAIT_MS)
    assert dialog.banner.text().startswith("The label list of Human Resources could not be read: you have no "
                                           "access to its Calendar.")
    assert not dialog.add_button.isEnabled() and not dialog.error_label.text()
    # The panel lists them too, saying why they are grey.
    panel = d.window.admin.panel
    qtbot.waitUntil(lambda: panel.item(hr, "Recruiting") is not None, timeout=WAIT_MS)
    assert "The label list of Human Resources could not be read" in panel.item(hr, "Recruiting").toolTip(0)
