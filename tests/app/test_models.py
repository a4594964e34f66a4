"""The sidebar and message-list models: Qt's model checks, paging, stale pages, optimistic changes, new mail.

The models are fed here by a page source built from domain objects (no network: models never touch it).
The same models against the emulator, fed by the real services, are in ``test_services.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QFont, QIcon

from app.domain.categories import Category
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.messages import Change, ChangeKind, ListQuery, MessageSummary, Page, Person, SortField
from app.domain.rights import FolderRights, ItemRights, SendRight
from app.ews.folders import MailboxTree
from app.models.message_list_model import Column, MessageListModel, format_size
from app.models.roles import Roles
from app.models.sidebar_model import SidebarModel

INBOX = FolderRef("support@example.com", "inbox-id", "inbox")
DONE = FolderRef("support@example.com", "done-id")
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def message(n: int, *, read: bool = True, flagged: bool = False, attachments: bool = False,
            categories: tuple[str, ...] = (), minutes_ago: int | None = None) -> MessageSummary:
    return MessageSummary(
        item_id=f"id-{n}", change_key=f"ck-{n}", subject=f"Subject {n:04d}",
        sender=Person(f"sender{n}@example.net", f"Sender {n}"),
        received=NOW - timedelta(minutes=n if minutes_ago is None else minutes_ago), size=1000 + n,
        is_read=read, has_attachments=attachments, categories=categories, flagged=flagged,
        rights=ItemRights(read=True, modify=True, delete=True))


@dataclass
class Request:
    folder: FolderRef
    query: ListQuery
    offset: int
    limit: int
    on_page: Callable[[Page], Any]
    on_error: Callable[[str], Any]
    cancelled: bool = False

    def cancel(self) -> None:
        self.cancelled = True


@dataclass
class FolderSource:
    """A page source over in-memory folders; answers later on the event loop (like a task) or by hand."""

    folders: dict[tuple[str, str], list[MessageSummary]] = field(default_factory=dict)
    auto: bool = True
    requests: list[Request] = field(default_factory=list)

    def __call__(self, folder: FolderRef, query: ListQuery, offset: int, limit: int,
                 on_page: Callable[[Page], Any], on_error: Callable[[str], Any]) -> Request:
        request = Request(folder, query, offset, limit, on_page, on_error)
        self.requests.append(request)
        if self.auto:
            QTimer.singleShot(0, lambda: self.answer(request))
        return request

    def page(self, request: Request) -> Page:
        rows = sorted(self.folders.get(request.folder.key, []), key=lambda m: _key(m, request.query.sort),
                      reverse=request.query.descending)
        return Page(request.offset, tuple(rows[request.offset:request.offset + request.limit]), len(rows))

    def answer(self, request: Request) -> None:
        request.on_page(self.page(request))


def _key(m: MessageSummary, sort: SortField) -> Any:
    return {SortField.RECEIVED: m.received, SortField.SUBJECT: m.subject.casefold(),
            SortField.SIZE: m.size, SortField.SENDER: m.sender.name.casefold() if m.sender else ""}[sort]


@pytest.fixture
def source() -> FolderSource:
    return FolderSource({INBOX.key: [message(n, read=n % 3 != 0, flagged=n % 7 == 0, attachments=n % 5 == 0,
                                             categories=("Urgent",) if n % 4 == 0 else ())
                                     for n in range(1, 251)],
                         DONE.key: [message(n) for n in range(1001, 1011)]})


def wait_idle(qtbot, model: MessageListModel) -> None:
    qtbot.waitUntil(lambda: not model.is_loading(), timeout=5000)


# -- message list -------------------------------------------------------------------------------------------
def test_message_list_passes_the_model_checks_while_paging_and_changing(qtbot, qtmodeltester, source) -> None:
    model = MessageListModel(source, page_size=40)
    qtmodeltester.check(model)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        wait_idle(qtbot, model)
    assert model.rowCount() == 250 == model.total
    token = model.remove_local([f"id-{n}" for n in (3, 4, 5, 90)])
    model.undo(token)
    model.apply_changes([Change(ChangeKind.CREATE, "id-new", summary=message(0, read=False, minutes_ago=0))])
    model.sort(Column.SUBJECT, Qt.SortOrder.AscendingOrder)
    wait_idle(qtbot, model)
    model.set_folder(DONE)
    wait_idle(qtbot, model)
    assert model.rowCount() == 10


def test_first_page_comes_with_set_folder_and_total_from_the_page(qtbot, source) -> None:
    model = MessageListModel(source, page_size=100)
    with qtbot.waitSignal(model.page_loaded, timeout=5000) as blocker:
        model.set_folder(INBOX)
    assert blocker.args == [0, 100]
    assert [r.offset for r in source.requests] == [0]
    assert model.rowCount() == 100 and model.total == 250
    assert model.canFetchMore(QModelIndex())
    assert model.index(0, Column.SUBJECT).data() == "Subject 0001"  # newest first by default


def test_the_first_page_is_small_and_later_pages_are_large(source) -> None:
    source.auto = False
    model = MessageListModel(source)
    model.set_folder(INBOX)
    assert (source.requests[0].offset, source.requests[0].limit) == (0, 100)  # a fast first paint
    source.answer(source.requests[0])
    model.fetchMore(QModelIndex())
    assert (source.requests[1].offset, source.requests[1].limit) == (100, 500)  # few round trips to scroll far
    source.answer(source.requests[1])
    assert model.rowCount() == 250 == model.total
    # the item-to-row map follows appended pages, removals and insertions
    assert [model.row_of(f"id-{n}") for n in (1, 100, 101, 250)] == [0, 99, 100, 249]
    model.remove_local(["id-5"])
    assert model.row_of("id-5") == -1 and model.row_of("id-6") == 4
    model.insert_summaries([message(0, minutes_ago=0)])
    assert model.row_of("id-0") == 0 and model.row_of("id-6") == 5 and model.row_of("id-250") == 249
    model.set_folder(INBOX)
    assert source.requests[-1].limit == 100 and model.row_of("id-1") == -1


def test_fetch_more_never_asks_twice_while_a_page_is_in_flight(qtbot, source) -> None:
    source.auto = False
    model = MessageListModel(source, page_size=100)
    model.set_folder(INBOX)
    source.answer(source.requests[0])
    assert model.rowCount() == 100

    model.fetchMore(QModelIndex())
    assert model.is_loading() and not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert [r.offset for r in source.requests] == [0, 100]

    source.answer(source.requests[1])
    assert model.rowCount() == 200 and not model.is_loading()
    model.fetchMore(QModelIndex())
    source.answer(source.requests[2])
    assert [r.offset for r in source.requests] == [0, 100, 200]
    assert model.rowCount() == 250
    assert not model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert len(source.requests) == 3


def test_fetch_more_is_not_re_entered_from_a_synchronous_answer(source) -> None:
    """A source that answers inside the call (a cache) must not make fetchMore recurse or double-request."""
    calls: list[int] = []

    def sync_source(folder, query, offset, limit, on_page, on_error):
        calls.append(offset)
        model.fetchMore(QModelIndex())  # what a view does when rowsInserted makes it scroll to the end
        on_page(source.page(Request(folder, query, offset, limit, on_page, on_error)))

    model = MessageListModel(sync_source, page_size=100)
    model.set_folder(INBOX)
    model.fetchMore(QModelIndex())
    assert calls == [0, 100]
    assert model.rowCount() == 200 and not model.is_loading()


def test_a_page_for_an_earlier_folder_or_sort_order_is_dropped(qtbot, source) -> None:
    source.auto = False
    model = MessageListModel(source, page_size=100)
    model.set_folder(INBOX)
    model.set_folder(DONE)
    assert source.requests[0].cancelled  # the old request is cancelled too
    source.answer(source.requests[0])  # arrives anyway (it was already running)
    assert model.rowCount() == 0 and model.is_loading()
    source.answer(source.requests[1])
    assert model.rowCount() == 10 and model.folder == DONE

    model.set_folder(INBOX)
    source.answer(source.requests[2])
    model.sort(Column.SIZE, Qt.SortOrder.AscendingOrder)
    assert source.requests[3].query.sort is SortField.SIZE and not source.requests[3].query.descending
    model.fetchMore(QModelIndex())  # in flight: nothing more is asked
    assert len(source.requests) == 4
    with qtbot.assertNotEmitted(model.page_loaded):
        source.answer(replace(source.requests[2], offset=100))  # a late page of the received-date order
    assert model.rowCount() == 0
    source.answer(source.requests[3])
    assert [model.summary(r).size for r in range(3)] == [1001, 1002, 1003]


def test_sort_re_queries_the_server_and_ignores_columns_it_cannot_sort(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    model.sort(Column.FLAG, Qt.SortOrder.AscendingOrder)
    model.sort(Column.RECEIVED, Qt.SortOrder.DescendingOrder)  # already the order: no request
    assert len(source.requests) == 1
    model.sort(Column.SUBJECT, Qt.SortOrder.DescendingOrder)
    wait_idle(qtbot, model)
    assert len(source.requests) == 2 and source.requests[1].offset == 0
    assert model.index(0, Column.SUBJECT).data() == "Subject 0250"
    assert model.sort_column() == Column.SUBJECT


def test_a_failed_page_is_reported_and_can_be_asked_again(qtbot, source) -> None:
    source.auto = False
    model = MessageListModel(source)
    model.set_folder(INBOX)
    with qtbot.waitSignal(model.load_failed) as blocker:
        source.requests[0].on_error("Could not load the messages: the server is down.")
    assert "server is down" in blocker.args[0]
    assert not model.is_loading()
    model.reload()
    source.answer(source.requests[1])
    assert model.rowCount() == 100


def test_roles_fonts_and_decorations(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_master_categories([Category("Urgent", 0)])
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    row = model.row_of("id-20")  # read (20 % 3 != 0), flagged no, attachment yes, category Urgent
    summary = model.summary(row)
    idx = model.index(row, Column.FROM)
    assert idx.data() == "Sender 20"
    assert idx.data(Roles.ItemIdRole) == "id-20"
    assert idx.data(Roles.SummaryRole) == summary
    assert model.index(row, Column.FLAG).data(Roles.RightsRole) == summary.rights
    assert model.index(row, Column.CATEGORIES).data(Roles.CategoriesRole) == (("Urgent", "#e7434d"),)
    assert model.index(row, Column.CATEGORIES).data() == "Urgent"
    assert model.index(row, Column.SIZE).data() == format_size(1020) == "1020 B"
    assert model.index(row, Column.FROM).data(Qt.ItemDataRole.FontRole) is None
    assert isinstance(model.index(row, Column.ATTACHMENT).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert model.index(row, Column.FLAG).data(Qt.ItemDataRole.DecorationRole) is None
    unread = model.index(model.row_of("id-21"), Column.SUBJECT)  # 21 % 3 == 0: unread; 21 % 7 == 0: flagged
    assert unread.data(Qt.ItemDataRole.FontRole).bold()
    assert isinstance(model.index(unread.row(), Column.FLAG).data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert not model.index(unread.row(), Column.FLAG).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index(unread.row(), Column.FLAG).data(Qt.ItemDataRole.AccessibleTextRole) == \
        "Flagged for follow-up"
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["From", "Subject", "Received", "Size", "Categories", "Flag", "Attachment"]
    assert format_size(14_800) == "14 KB" and format_size(2_400_000) == "2.3 MB"


def test_optimistic_read_flag_and_categories_roll_back(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    ids = ["id-3", "id-6", "id-7"]  # 3 and 6 unread, 7 read
    with qtbot.waitSignal(model.dataChanged):
        token = model.set_read_local(ids, True)
    assert all(model.summary(model.row_of(i)).is_read for i in ids)
    assert token.count_delta() == (0, -2)
    model.undo(token)
    assert [model.summary(model.row_of(i)).is_read for i in ids] == [False, False, True]

    token = model.set_flag_local(["id-3"], True)
    assert model.index(model.row_of("id-3"), 0).data(Roles.FlaggedRole)
    model.undo(token)
    assert not model.index(model.row_of("id-3"), 0).data(Roles.FlaggedRole)

    token = model.set_categories_local(["id-3"], ["Blue"])
    assert model.summary(model.row_of("id-3")).categories == ("Blue",)
    model.undo(token)
    assert model.summary(model.row_of("id-3")).categories == ()


def test_removed_rows_come_back_where_they_were(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    before = [m.item_id for m in model.summaries()]
    token = model.remove_local(["id-1", "id-2", "id-3", "id-50", "id-nope"])
    assert model.rowCount() == 96 and model.total == 246
    assert token.count_delta() == (-4, -1)  # id-3 was the one unread
    model.undo(token, only=["id-3", "id-50"])  # the server did the first two, then refused
    assert model.row_of("id-3") == 0 and model.row_of("id-50") == 47
    assert model.row_of("id-1") == -1 and model.total == 248
    model.undo(token)
    assert [m.item_id for m in model.summaries()] == before and model.total == 250


def test_undo_after_the_folder_changed_does_nothing(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    token = model.remove_local(["id-1"])
    model.set_folder(DONE)
    wait_idle(qtbot, model)
    model.undo(token)
    assert model.row_of("id-1") == -1 and model.rowCount() == 10


def test_new_mail_goes_where_the_sort_order_puts_it(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX)
    wait_idle(qtbot, model)
    newest = replace(message(9000, read=False), received=NOW + timedelta(minutes=1))
    middle = replace(message(9001, read=False), received=NOW - timedelta(minutes=10, seconds=30))
    ancient = replace(message(9002), received=NOW - timedelta(days=30))
    with qtbot.waitSignal(model.rowsInserted):
        model.apply_changes([Change(ChangeKind.CREATE, s.item_id, summary=s) for s in (newest, middle, ancient)])
    assert model.row_of("id-9000") == 0
    assert model.row_of("id-9001") == 11  # after id-10 (10 min ago), before id-11
    assert model.row_of("id-9002") == -1  # beyond the loaded rows: it comes with its page
    assert model.total == 253 and model.rowCount() == 102

    model.apply_changes([Change(ChangeKind.READ_FLAG, "id-9000", is_read=True),
                         Change(ChangeKind.DELETE, "id-2"),
                         Change(ChangeKind.UPDATE, "id-1", summary=replace(message(1), subject="Edited"))])
    assert model.summary(0).is_read
    assert model.row_of("id-2") == -1 and model.total == 252
    assert model.summary(model.row_of("id-1")).subject == "Edited"

    # An item not loaded may already be missing from the total: it is left alone (never hide rows).
    model.apply_changes([Change(ChangeKind.DELETE, "id-250")])
    assert model.total == 252
    # A delete of an item this list removed itself (a move just done) is not counted twice.
    model.remove_local(["id-4"])
    model.apply_changes([Change(ChangeKind.DELETE, "id-4")])
    assert model.total == 251


def test_new_mail_is_not_inserted_into_search_results(qtbot, source) -> None:
    model = MessageListModel(source)
    model.set_folder(INBOX, ListQuery(search="invoice"))
    wait_idle(qtbot, model)
    rows = model.rowCount()
    model.apply_changes([Change(ChangeKind.CREATE, "id-x", summary=message(9999))])
    assert model.rowCount() == rows


# -- sidebar ------------------------------------------------------------------------------------------------
def node(mailbox: str, fid: str, name: str, parent: str = "", well_known: str = "",
         kind: FolderKind = FolderKind.MAIL, total: int = 10, unread: int = 0,
         rights: FolderRights | None = None) -> FolderNode:
    return FolderNode(FolderRef(mailbox, fid, well_known), parent, name, kind, total, unread, 0,
                      rights or FolderRights.full())


def support_tree(inbox_unread: int = 12) -> MailboxTree:
    mb = "support@example.com"
    return MailboxTree(MailboxRef(mb, "Customer Support"), True, [
        node(mb, "s-bugs", "Bugs", parent="s-inbox", unread=2),
        node(mb, "s-cal", "Calendar", well_known="calendar", kind=FolderKind.CALENDAR),
        node(mb, "s-archive-x", "Zebra"),
        node(mb, "s-deleted", "Deleted Items", well_known="deleteditems"),
        node(mb, "s-inbox", "Inbox", well_known="inbox", unread=inbox_unread, total=220),
        node(mb, "s-done", "Done", parent="s-inbox"),
        node(mb, "s-sent", "Sent Items", well_known="sentitems"),
    ], SendRight.SEND_AS)


def sales_tree() -> MailboxTree:
    mb = "sales@example.com"
    reviewer = FolderRights(read=True)
    return MailboxTree(MailboxRef(mb, "Sales Team"), False, [
        node(mb, "x-inbox", "Inbox", well_known="inbox", unread=3, rights=reviewer),
        node(mb, "x-cal", "Calendar", well_known="calendar", kind=FolderKind.CALENDAR,
             rights=reviewer),
    ], SendRight.UNKNOWN)


def own_tree() -> MailboxTree:
    mb = "alice@example.com"
    return MailboxTree(MailboxRef(mb, "Alice Adams"), True, [node(mb, "a-inbox", "Inbox", well_known="inbox")],
                SendRight.OWN)


def names(model: SidebarModel, parent: QModelIndex) -> list[str]:
    return [model.index(r, 0, parent).data() for r in range(model.rowCount(parent))]


def test_sidebar_passes_the_model_checks_and_orders_everything(qtmodeltester) -> None:
    model = SidebarModel()
    qtmodeltester.check(model)
    model.set_order(["alice@example.com", "support@example.com", "sales@example.com"])
    model.set_tree(sales_tree())
    model.set_tree(support_tree())
    model.set_tree(own_tree())
    assert names(model, QModelIndex()) == ["Alice Adams", "Customer Support", "Sales Team"]

    support = model.mailbox_index("support@example.com")
    assert names(model, support) == ["Inbox (12)", "Sent Items", "Deleted Items", "Calendar", "Zebra"]
    inbox = model.folder_index(FolderRef("support@example.com", "s-inbox"))
    assert names(model, inbox) == ["Bugs (2)", "Done"]
    assert inbox.parent() == support and model.parent(support) == QModelIndex()

    model.update_counts(FolderRef("support@example.com", "s-inbox", "inbox"), 221, 13)
    model.set_tree(support_tree(inbox_unread=0))  # a refresh replaces the folders
    model.set_order(["alice@example.com", "sales@example.com", "support@example.com"])
    assert names(model, QModelIndex()) == ["Alice Adams", "Sales Team", "Customer Support"]
    model.remove_mailbox("SALES@example.com")
    assert names(model, QModelIndex()) == ["Alice Adams", "Customer Support"]


def test_an_unavailable_mailbox_is_a_row_with_its_reason_until_its_folders_arrive(qtmodeltester) -> None:
    model = SidebarModel()
    qtmodeltester.check(model)
    model.set_order(["alice@example.com", "support@example.com", "sales@example.com"])
    model.set_tree(own_tree())
    model.set_unavailable(MailboxRef("sales@example.com", "Sales Team"), "The connection was interrupted.")
    model.set_unavailable(MailboxRef("support@example.com", "Customer Support"), "Exchange is busy.")
    assert names(model, QModelIndex()) == ["Alice Adams", "Customer Support", "Sales Team"]
    support = model.mailbox_index("support@example.com")
    assert model.rowCount(support) == 0 and support.data(Roles.MailboxErrorRole) == "Exchange is busy."
    assert "could not be opened: Exchange is busy." in support.data(Qt.ItemDataRole.AccessibleTextRole)
    assert "Exchange is busy." in support.data(Qt.ItemDataRole.ToolTipRole)
    assert model.unavailable() == {"support@example.com": "Exchange is busy.",
                                   "sales@example.com": "The connection was interrupted."}
    model.set_retrying("support@example.com")
    assert model.mailbox_index("support@example.com").data(Roles.MailboxRetryingRole) is True
    model.set_unavailable(MailboxRef("support@example.com", "Customer Support"), "Still busy.")
    assert model.mailbox_index("support@example.com").data(Roles.MailboxErrorRole) == "Still busy."
    assert model.mailbox_index("support@example.com").data(Roles.MailboxRetryingRole) is False
    model.set_tree(support_tree())  # it opened after all
    support = model.mailbox_index("support@example.com")
    assert support.data(Roles.MailboxErrorRole) == "" and model.rowCount(support) == 5
    assert model.mailbox_index("alice@example.com").data(Roles.MailboxErrorRole) == ""
    assert list(model.unavailable()) == ["sales@example.com"]


def test_sidebar_roles_access_and_counts() -> None:
    model = SidebarModel()
    for tree in (own_tree(), support_tree(), sales_tree()):
        model.set_tree(tree)
    sales = model.mailbox_index("sales@example.com")
    assert sales.data(Roles.AccessRole) == "read-only access to Inbox and Calendar"
    assert sales.data(Roles.MailboxRole) == MailboxRef("sales@example.com", "Sales Team")
    assert sales.data(Roles.IsMailboxRole) is True
    assert sales.data(Roles.MailboxTreeRole).send_right is SendRight.UNKNOWN
    assert "Read-only access to Inbox and Calendar" in sales.data(Qt.ItemDataRole.ToolTipRole)
    assert names(model, sales) == ["Inbox (3)", "Calendar"]
    assert model.mailbox_index("support@example.com").data(Roles.AccessRole) == "full access"
    assert model.mailbox_index("alice@example.com").data(Roles.AccessRole) == "your mailbox"

    inbox = model.folder_index(FolderRef("sales@example.com", "x-inbox"))
    assert inbox.data(Roles.FolderRefRole) == FolderRef("sales@example.com", "x-inbox", "inbox")
    assert inbox.data(Roles.FolderNodeRole).unread == 3
    assert inbox.data(Roles.MailboxRole).address == "sales@example.com"
    assert inbox.data(Roles.AccessRole) == "read-only"
    font = inbox.data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.bold()
    assert isinstance(inbox.data(Qt.ItemDataRole.DecorationRole), QIcon)
    assert bool(model.flags(inbox) & Qt.ItemFlag.ItemIsDropEnabled)

    model.update_counts(FolderRef("sales@example.com", "", "inbox"), 10, 0)  # by well-known name
    assert inbox.data() == "Inbox" and inbox.data(Qt.ItemDataRole.FontRole) is None
    model.adjust_unread(FolderRef("sales@example.com", "x-inbox"), +2)
    assert inbox.data() == "Inbox (2)"
    calendar = model.folder_index(FolderRef("sales@example.com", "x-cal"))
    assert calendar.data() == "Calendar" and not model.flags(calendar) & Qt.ItemFlag.ItemIsDropEnabled
