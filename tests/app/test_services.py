"""The mailbox and mail services against the emulator over HTTP, feeding the real models.

Each test that changes data gets its own emulator on a copy of the seeded demo tenant. Nothing sleeps: every
wait is a qtbot.waitSignal / waitUntil on what the services report.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from PySide6.QtCore import QModelIndex, Qt

from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod, MailboxRef, ServerVersion
from app.domain.messages import Draft, ListQuery, MessageDetail, SortField
from app.ews.client import EwsClient
from app.models.message_list_model import Column, MessageListModel
from app.models.roles import Roles
from app.models.sidebar_model import SidebarModel
from app.services.mail import BulkJob, MailService
from app.services.mailboxes import MailboxService
from app.tasks import TaskRunner
from tests.support.emulator import BUILD

WAIT_MS = 20_000
SUPPORT = "support@example.com"
SALES = "sales@example.com"


def make_client(emu: Any, user: str) -> EwsClient:
    address = f"{user}@example.com"
    return EwsClient(emu.ews_url, address, f"{user}-pass", AuthMethod.NTLM, version=ServerVersion(*BUILD),
                     user=MailboxRef(address))


@dataclass
class App:
    """Runner, client and both services as the composition root wires them, plus the two models."""

    emu: Any
    runner: TaskRunner
    client: EwsClient
    mailboxes: MailboxService
    mail: MailService
    sidebar: SidebarModel
    messages: MessageListModel

    def count(self, operation: str) -> int:
        return self.emu.backend.operation_counts.get(operation, 0)


@pytest.fixture
def make_app(qtbot, start_fresh_emulator) -> Iterator[Any]:
    built: list[App] = []

    def make(user: str = "alice", **emulator_options: Any) -> App:
        emu = start_fresh_emulator(**emulator_options)
        runner = TaskRunner(max_threads=4)
        client = make_client(emu, user)
        mailboxes = MailboxService(runner, lambda: client)
        mail = MailService(runner, lambda: client, mailboxes=mailboxes)
        sidebar = SidebarModel()
        mailboxes.mailboxes_changed.connect(sidebar.set_order)
        mailboxes.mailbox_opened.connect(sidebar.set_tree)
        mailboxes.mailbox_removed.connect(sidebar.remove_mailbox)
        mailboxes.counts_updated.connect(sidebar.update_counts)
        mail.counts_adjusted.connect(lambda ref, dt, du: sidebar.adjust_unread(ref, du))
        messages = MessageListModel(mail.load_page)
        mail.attach_list(messages)
        app = App(emu, runner, client, mailboxes, mail, sidebar, messages)
        built.append(app)
        return app

    yield make
    for app in built:
        app.mail.shutdown()
        app.mailboxes.shutdown()
        assert not app.mail.is_polling(), "the new-mail timer outlived the service"
        assert app.runner.shutdown(WAIT_MS), "a worker thread did not finish"
        app.client.close()


def open_mailboxes(qtbot, app: App, automapped=(), added=()) -> None:
    app.mailboxes.open_all(automapped=automapped, added=added)
    qtbot.waitUntil(lambda: not app.mailboxes.is_loading(), timeout=WAIT_MS)


def folder(app: App, mailbox: str, well_known: str = "", name: str = "") -> FolderRef:
    tree = app.mailboxes.tree(mailbox)
    node = next(n for n in tree.folders if (well_known and n.well_known == well_known) or n.name == name)
    return node.ref


def show(qtbot, app: App, ref: FolderRef, query: ListQuery | None = None) -> None:
    with qtbot.waitSignal(app.messages.page_loaded, timeout=WAIT_MS):
        app.messages.set_folder(ref, query)


def support_inbox(qtbot, app: App) -> FolderRef:
    """Open the user's mailboxes with support@ automapped and show support@'s Inbox; returns the Inbox."""
    open_mailboxes(qtbot, app, automapped=[SUPPORT])
    inbox = folder(app, SUPPORT, "inbox")
    show(qtbot, app, inbox)
    return inbox


# -- mailboxes ----------------------------------------------------------------------------------------------
def test_alice_opens_her_own_the_automapped_and_an_added_mailbox(qtbot, qtmodeltester, make_app) -> None:
    app = make_app("alice")
    qtmodeltester.check(app.sidebar)
    opened: list[str] = []
    failed: list[tuple[str, str]] = []
    app.mailboxes.mailbox_opened.connect(lambda tree: opened.append(tree.mailbox.address))
    app.mailboxes.mailbox_failed.connect(lambda address, why: failed.append((address, why)))
    open_mailboxes(qtbot, app, automapped=[MailboxRef(SUPPORT, "Customer Support")], added=[SALES])

    assert failed == []
    assert sorted(opened) == sorted(["alice@example.com", SUPPORT, SALES])
    assert app.mailboxes.addresses() == ["alice@example.com", SUPPORT, SALES]
    tops = [app.sidebar.index(r, 0) for r in range(app.sidebar.rowCount())]
    assert [i.data(Roles.MailboxRole).address for i in tops] == ["alice@example.com", SUPPORT, SALES]
    assert tops[1].data() == "Customer Support" and tops[1].data(Roles.AccessRole) == "full access"
    assert tops[2].data(Roles.AccessRole) == "read-only access to Inbox and Calendar"
    assert tops[0].data(Roles.AccessRole) == "your mailbox"

    support_inbox = app.sidebar.folder_index(folder(app, SUPPORT, "inbox"))
    assert support_inbox.parent() == tops[1] and support_inbox.row() == 0  # well-known first
    node = support_inbox.data(Roles.FolderNodeRole)
    assert node.total == 220
    assert support_inbox.data() == (f"Inbox ({node.unread})" if node.unread else "Inbox")
    assert {app.sidebar.index(r, 0, support_inbox).data(Roles.FolderNodeRole).name
            for r in range(app.sidebar.rowCount(support_inbox))} == {"Billing questions", "Bugs", "Done"}
    sales_rows = [app.sidebar.index(r, 0, tops[2]).data(Roles.FolderNodeRole).name
                  for r in range(app.sidebar.rowCount(tops[2]))]
    assert sales_rows == ["Inbox", "Calendar"]

    with qtbot.waitSignal(app.mailboxes.mailbox_removed) as removed:
        app.mailboxes.remove_mailbox(SALES)
    assert removed.args == [SALES]
    assert app.sidebar.rowCount() == 2 and app.mailboxes.addresses() == ["alice@example.com", SUPPORT]


def test_a_mailbox_without_access_fails_plainly_and_leaves_the_list(qtbot, make_app) -> None:
    app = make_app("dave")
    with qtbot.waitSignal(app.mailboxes.mailbox_failed, timeout=WAIT_MS) as failed:
        app.mailboxes.open_mailbox(SALES)
    address, message = failed.args
    assert address == SALES and "no access" in message.lower()
    assert app.mailboxes.addresses() == [] and app.sidebar.rowCount() == 0


def test_refresh_counts_reports_changed_folders(qtbot, make_app) -> None:
    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    unread = [m.item_id for m in app.messages.summaries() if not m.is_read][:2]
    assert unread, "the demo tenant has unread mail in support@'s Inbox"
    before = app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole)
    with qtbot.waitSignal(app.mail.mark_read(inbox, unread, True).finished, timeout=WAIT_MS):
        pass
    assert app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole) == before - 2  # optimistic
    with qtbot.waitSignal(app.mailboxes.counts_updated, timeout=WAIT_MS) as counts:
        app.mailboxes.refresh_counts(SUPPORT)
    ref, total, new_unread = counts.args
    assert ref.key == inbox.key and (total, new_unread) == (220, before - 2)


# -- message list -------------------------------------------------------------------------------------------
def test_first_page_of_support_inbox_is_one_find_item(qtbot, qtmodeltester, make_app) -> None:
    app = make_app("alice")
    open_mailboxes(qtbot, app, automapped=[SUPPORT])
    qtmodeltester.check(app.messages)
    inbox = folder(app, SUPPORT, "inbox")
    finds, gets = app.count("FindItem"), app.count("GetItem")
    show(qtbot, app, inbox)
    assert app.count("FindItem") - finds == 1 and app.count("GetItem") == gets
    assert app.messages.rowCount() == 100 and app.messages.total == 220
    received = [m.received for m in app.messages.summaries()]
    assert received == sorted(received, reverse=True)

    # (the model tester fetches more by itself, too, when rows are inserted)
    while app.messages.rowCount() < app.messages.total:
        app.messages.fetchMore(QModelIndex())
        app.messages.fetchMore(QModelIndex())  # ignored: a page is in flight
        qtbot.waitUntil(lambda: not app.messages.is_loading(), timeout=WAIT_MS)
    # a first page of 100 rows (fast first paint), then pages of up to 500: the other 120 in one round trip
    assert app.messages.rowCount() == 220 and app.count("FindItem") - finds == 2
    assert len({m.item_id for m in app.messages.summaries()}) == 220

    with qtbot.waitSignal(app.messages.page_loaded, timeout=WAIT_MS):
        app.messages.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    assert app.messages.query.sort is SortField.SUBJECT
    subjects = [m.subject.casefold() for m in app.messages.summaries()]
    assert subjects == sorted(subjects)


def test_detail_of_a_message(qtbot, make_app) -> None:
    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    first = app.messages.summary(0)
    details: list[MessageDetail] = []
    app.mail.load_detail(inbox, first.item_id, details.append)
    qtbot.waitUntil(lambda: bool(details), timeout=WAIT_MS)
    assert details[0].summary.item_id == first.item_id
    assert (details[0].body_html or details[0].body_text)


def test_server_busy_is_retried_with_a_status_message(qtbot, make_app) -> None:
    # The injector draws one number per authenticated request from random.Random(seed): pick a seed whose first
    # request is refused as busy and whose next requests go through.
    seed = next(s for s in range(10_000) if _draws(s, 12, 0.5) == [True] + [False] * 11)
    app = make_app("alice", fail_rate=0.5, fail_seed=seed, fail_back_off_ms=100)
    inbox = FolderRef(SUPPORT, "", "inbox")
    with qtbot.waitSignal(app.mail.status, timeout=WAIT_MS) as status:
        show(qtbot, app, inbox)
    assert "busy" in status.args[0].lower()
    assert app.messages.rowCount() == 100 and app.emu.faults.busy == 1


def _draws(seed: int, n: int, rate: float) -> list[bool]:
    rng = random.Random(seed)
    return [rng.random() < rate for _ in range(n)]


# -- actions ------------------------------------------------------------------------------------------------
def test_flag_refused_on_sales_is_rolled_back(qtbot, make_app) -> None:
    app = make_app("alice")
    open_mailboxes(qtbot, app, added=[SALES])
    inbox = folder(app, SALES, "inbox")
    show(qtbot, app, inbox)
    target = next(m for m in app.messages.summaries() if not m.flagged)
    assert not target.rights.modify  # alice is a Reviewer there
    row = app.messages.row_of(target.item_id)

    with qtbot.waitSignal(app.mail.error, timeout=WAIT_MS) as error:
        job = app.mail.set_flag(inbox, [target.item_id], True)
        assert app.messages.index(row, Column.FLAG).data(Roles.FlaggedRole)  # optimistic
    assert "flag" in error.args[0] and SALES in error.args[0]
    assert job.error == error.args[0] and not job.is_running
    assert not app.messages.index(row, Column.FLAG).data(Roles.FlaggedRole)  # rolled back

    # A Reviewer may change the read state (Exchange allows it): that one goes through.
    with qtbot.waitSignal(app.mail.mark_read(inbox, [target.item_id], not target.is_read).finished,
                          timeout=WAIT_MS):
        pass
    show(qtbot, app, inbox)
    assert app.messages.summary(app.messages.row_of(target.item_id)).is_read is (not target.is_read)


def test_bulk_move_of_30_messages_with_progress(qtbot, make_app) -> None:
    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    done = folder(app, SUPPORT, name="Done")
    ids = [m.item_id for m in app.messages.summaries()[:30]]
    started: list[BulkJob] = []
    app.mail.bulk_started.connect(started.append)
    progress: list[tuple[int, int]] = []

    job = app.mail.move(inbox, ids, done)
    job.progress.connect(lambda d, t: progress.append((d, t)))
    assert started == [job] and job.is_bulk and job.description == "Moving 30 messages to Customer Support › Done"
    assert app.messages.rowCount() == 70 and app.messages.total == 190  # optimistic
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == [30]
    assert progress and progress[-1] == (30, 30)

    show(qtbot, app, inbox)
    assert app.messages.total == 190 and not set(ids) & {m.item_id for m in app.messages.summaries()}
    show(qtbot, app, done)
    assert app.messages.total == 40 + 30


def test_bulk_move_cancelled_half_way_puts_back_what_was_not_moved(qtbot, make_app) -> None:
    # 120 messages go in three requests of 50. Cancel comes with the first progress; with 300 ms per request
    # it lands before the third request at the latest (before the second if the worker has not asked yet).
    app = make_app("alice", latency_ms=300)
    inbox = support_inbox(qtbot, app)
    done = folder(app, SUPPORT, name="Done")
    while app.messages.rowCount() < 120:
        app.messages.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not app.messages.is_loading(), timeout=WAIT_MS)
    ids = [m.item_id for m in app.messages.summaries()[:120]]
    job = app.mail.move(inbox, ids, done)
    job.progress.connect(lambda d, t: job.cancel())
    with qtbot.assertNotEmitted(job.finished), qtbot.waitSignal(job.cancelled, timeout=WAIT_MS) as cancelled:
        pass
    moved = cancelled.args[0]
    assert moved in (50, 100) and not job.is_running
    assert [m.item_id for m in app.messages.summaries()[:120 - moved]] == ids[moved:]  # back on top, in order
    assert app.messages.total == 220 - moved
    show(qtbot, app, inbox)  # what the server says
    assert app.messages.total == 220 - moved
    assert [m.item_id for m in app.messages.summaries()[:120 - moved]] == ids[moved:]


def test_a_job_cancelled_before_it_starts_changes_nothing(qtbot, make_app) -> None:
    import threading

    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    before = [m.item_id for m in app.messages.summaries()]
    gate = threading.Event()
    app.runner.run(lambda: gate.wait(WAIT_MS / 1000), key=SUPPORT)  # holds support@'s queue
    job = app.mail.delete(inbox, before[:25])
    assert app.messages.rowCount() == 75
    job.cancel()
    gate.set()
    with qtbot.waitSignal(job.cancelled, timeout=WAIT_MS) as cancelled:
        pass
    assert cancelled.args == [0]
    assert [m.item_id for m in app.messages.summaries()] == before


def test_bulk_mark_read_reports_progress_in_steps(qtbot, make_app) -> None:
    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    unread = [m.item_id for m in app.messages.summaries() if not m.is_read][:30]
    assert len(unread) == 30
    sidebar_unread = app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole)
    updates = app.count("UpdateItem")
    job = app.mail.mark_read(inbox, unread, True)
    progress: list[tuple[int, int]] = []
    job.progress.connect(lambda d, t: progress.append((d, t)))
    assert app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole) == sidebar_unread - 30  # optimistic
    with qtbot.waitSignal(job.finished, timeout=WAIT_MS) as finished:
        pass
    assert finished.args == [30] and progress == [(10, 30), (20, 30), (30, 30)]
    assert app.count("UpdateItem") - updates == 3
    show(qtbot, app, inbox)
    assert all(app.messages.summary(app.messages.row_of(i)).is_read for i in unread)


def test_delete_goes_to_the_shared_mailbox_deleted_items(qtbot, make_app) -> None:
    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    deleted = folder(app, SUPPORT, "deleteditems")
    victim = app.messages.summary(0)
    with qtbot.waitSignal(app.mail.delete(inbox, [victim.item_id]).finished, timeout=WAIT_MS) as finished:
        assert app.messages.row_of(victim.item_id) == -1
    assert finished.args == [1]
    show(qtbot, app, deleted)
    assert app.messages.total == 6 + 1
    assert victim.subject in {m.subject for m in app.messages.summaries()}


def test_delete_refused_on_hr_puts_the_message_back(qtbot, make_app) -> None:
    app = make_app("alice")
    open_mailboxes(qtbot, app, added=["hr@example.com"])
    inbox = folder(app, "hr@example.com", "inbox")
    show(qtbot, app, inbox)
    before = [m.item_id for m in app.messages.summaries()]
    victim = before[3]
    assert not app.messages.summary(3).rights.delete
    with qtbot.waitSignal(app.mail.error, timeout=WAIT_MS) as error:
        job = app.mail.delete(inbox, [victim])
        assert app.messages.row_of(victim) == -1
    assert "delete" in error.args[0] and "hr@example.com" in error.args[0]
    assert job.error == error.args[0]
    assert [m.item_id for m in app.messages.summaries()] == before and app.messages.total == 55


# -- new mail -----------------------------------------------------------------------------------------------
def test_new_mail_appears_by_itself(qtbot, make_app) -> None:
    from app.ews.compose import send

    app = make_app("alice")
    inbox = support_inbox(qtbot, app)
    app.mail.set_poll_interval(100)
    app.mail.watch_folder(inbox)
    assert app.mail.is_polling()
    qtbot.waitUntil(lambda: not app.mail.is_syncing(), timeout=WAIT_MS)  # the starting point is taken
    unread_before = app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole)

    bob = make_client(app.emu, "bob")
    try:
        send(bob, Draft(from_mailbox="bob@example.com", to=[SUPPORT], subject="Printer on fire",
                        body_html="<p>Please help.</p>"))
    finally:
        bob.close()
    with qtbot.waitSignal(app.mail.counts_changed, timeout=WAIT_MS) as counts:
        pass
    top = app.messages.summary(0)
    assert top.subject == "Printer on fire" and not top.is_read
    assert app.messages.total == 221
    ref, total, unread = counts.args
    assert ref == inbox and (total, unread) == (221, unread_before + 1)
    assert app.sidebar.folder_index(inbox).data(Roles.UnreadCountRole) == unread_before + 1

    app.mail.watch_folder(None)
    assert not app.mail.is_polling()


def test_the_first_sync_of_a_folder_waits_for_its_first_page(qtbot, make_app) -> None:
    app = make_app("alice")
    open_mailboxes(qtbot, app, automapped=[SUPPORT])
    inbox = folder(app, SUPPORT, "inbox")
    syncs = app.count("SyncFolderItems")
    with qtbot.waitSignal(app.messages.page_loaded, timeout=WAIT_MS):
        app.messages.set_folder(inbox)  # what a click does: the first page, then the watch
        app.mail.watch_folder(inbox)
        assert app.mail.is_syncing()  # the starting point is due (waiting for the page)
    assert app.count("SyncFolderItems") == syncs  # the page went first, alone
    qtbot.waitUntil(lambda: not app.mail.is_syncing(), timeout=WAIT_MS)
    assert app.count("SyncFolderItems") > syncs
    app.mail.watch_folder(None)
