"""Dragging messages and folders over the real sidebar (alice, against the shared emulator; nothing is dropped):
each row accepts the drag with the right action or refuses it and says why, once per new reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragMoveEvent

from app.views.sidebar_view import DraggedFolder, DraggedMessages
from tests.support.app_driver import WEBENGINE_LOG_IGNORE, Driver

OWN = "alice@example.com"
SUPPORT = "support@example.com"
SALES = "sales@example.com"
pytestmark = pytest.mark.qt_log_ignore(*WEBENGINE_LOG_IGNORE, extend=True)


def _drag_over(d: Driver, mailbox: str, folder: str, mime: QMimeData, *, ctrl: bool = False) -> QDragMoveEvent:
    """Move a drag carrying ``mime`` over the sidebar row of ``mailbox``'s folder (a well-known name or a name)."""
    sidebar = d.window.sidebar
    ref = d.folder_ref(mailbox, folder, "" if folder in {"inbox", "sentitems"} else folder)
    pos = QPointF(sidebar.visualRect(d.index_of_folder(ref)).center())
    modifiers = Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier
    event = QDragMoveEvent(pos.toPoint(), Qt.DropAction.MoveAction | Qt.DropAction.CopyAction, mime,
                           Qt.MouseButton.LeftButton, modifiers)
    sidebar.dragMoveEvent(event)
    return event


def test_dragging_messages_and_folders_over_the_sidebar(emulator, drive) -> None:
    d = drive(emulator)
    d.wait_mailboxes(OWN, SUPPORT)
    d.window.sidebar.expandAll()
    refusals: list[str] = []
    d.window.sidebar.drop_refused.connect(refusals.append)
    inbox = d.folder_ref(SUPPORT)
    messages: Any = DraggedMessages(inbox, ("item-1", "item-2")).to_mime()

    moved = _drag_over(d, SUPPORT, "Done", messages)
    assert moved.isAccepted() and moved.dropAction() == Qt.DropAction.MoveAction
    copied = _drag_over(d, SUPPORT, "Done", messages, ctrl=True)
    assert copied.isAccepted() and copied.dropAction() == Qt.DropAction.CopyAction
    assert refusals == []

    for _ in range(2):  # the same reason is said once while the drag stays on the row
        same = _drag_over(d, SUPPORT, "inbox", messages)
        assert not same.isAccepted()
    assert refusals == ["The messages are already in this folder."]
    assert _drag_over(d, SUPPORT, "inbox", messages, ctrl=True).isAccepted(), "a copy into the same folder is fine"

    folder: Any = DraggedFolder(inbox).to_mime()
    assert not _drag_over(d, SUPPORT, "Done", folder).isAccepted()
    assert refusals[-1] == "Inbox is a standard folder: it cannot be moved."
    assert not _drag_over(d, SUPPORT, "Done", QMimeData()).isAccepted(), "plain text is not for the sidebar"
