"""Driving the real Mailroom window against the emulator in pytest-qt tests: start, sign in, open, select.

Every wait is a ``qtbot.waitUntil`` / ``waitSignal`` on what the window shows; nothing sleeps.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtWidgets import QApplication

from app import secrets
from app.application import MailroomApp, Options
from app.domain.folders import FolderRef
from app.domain.messages import MessageSummary
from app.models.roles import Roles

WAIT_MS = 30_000


def address_of(user: str) -> str:
    return user if "@" in user else f"{user}@example.com"


@dataclass
class Driver:
    """A running MailroomApp and the qtbot that drives it."""

    qtbot: Any
    app: MailroomApp
    emu: Any
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def window(self) -> Any:
        return self.app.window

    # -- waiting -------------------------------------------------------------------------------------------
    def wait_signed_in(self) -> None:
        self.qtbot.waitUntil(lambda: self.window.user is not None, timeout=WAIT_MS)

    def wait_mailboxes(self, *addresses: str) -> None:
        """Wait until the sidebar lists exactly these mailboxes (in this order) and none is still opening."""
        wanted = [a.casefold() for a in addresses]

        def done() -> bool:
            shown = [m.address.casefold() for m in self.app.sidebar_model.mailboxes()]
            return shown == wanted and not self.app.mailboxes.is_loading()

        self.qtbot.waitUntil(done, timeout=WAIT_MS)

    def sidebar_addresses(self) -> list[str]:
        return [m.address for m in self.app.sidebar_model.mailboxes()]

    def folder_ref(self, mailbox: str, well_known: str = "inbox", name: str = "") -> FolderRef:
        self.qtbot.waitUntil(lambda: self.app.sidebar_model.tree(mailbox) is not None, timeout=WAIT_MS)
        tree = self.app.sidebar_model.tree(mailbox)
        node = next(n for n in tree.folders if (name and n.name == name) or (not name and n.well_known == well_known))
        return node.ref

    def open_folder(self, mailbox: str, well_known: str = "inbox", name: str = "") -> FolderRef:
        """Click the folder in the sidebar and wait for the first page of its list."""
        ref = self.folder_ref(mailbox, well_known, name)
        if self.window.folder is None or self.window.folder.key != ref.key:
            assert self.window.sidebar.select_folder(ref)
        self.wait_list_loaded(ref)
        return ref

    def wait_list_loaded(self, ref: FolderRef | None = None) -> None:
        model = self.app.list_model

        def loaded() -> bool:
            right = ref is None or (model.folder is not None and model.folder.key == ref.key)
            return right and not model.is_loading() and model.rowCount() > 0

        self.qtbot.waitUntil(loaded, timeout=WAIT_MS)

    def row_where(self, predicate: Any) -> int:
        model = self.app.list_model
        for row in range(model.rowCount()):
            if predicate(model.summary(row)):
                return row
        raise AssertionError("no such message in the list")

    def select(self, row: int) -> MessageSummary:
        """Select a row and wait until the reading pane has rendered that message."""
        summary = self.app.list_model.summary(row)
        self.window.list_view.select_row(row)
        self.wait_shown(summary.item_id)
        return summary

    def wait_shown(self, item_id: str) -> None:
        pane = self.window.reading_pane

        def shown() -> bool:
            current = pane.current()
            return current is not None and current.summary.item_id == item_id

        self.qtbot.waitUntil(shown, timeout=WAIT_MS)

    def action_state(self, name: str) -> tuple[bool, str]:
        action = getattr(self.window.actions, name)
        return action.isEnabled(), action.toolTip()

    def wait_jobs_done(self) -> None:
        # Every action finished (the connection pool lets a test's own client overtake one still running), and
        # at most one other task (a new-mail check) still in flight.
        self.qtbot.waitUntil(lambda: self.window.job_progress.current() is None
                             and not self.app.mail.has_running_jobs()
                             and self.app.runner.pending_count() <= 1, timeout=WAIT_MS)

    def index_of_folder(self, ref: FolderRef) -> Any:
        index = self.app.sidebar_model.folder_index(ref)
        assert index.isValid()
        return index

    def node(self, ref: FolderRef) -> Any:
        return self.index_of_folder(ref).data(Roles.FolderNodeRole)


def start_app(qtbot: Any, emu: Any, tmp: Path, user: str = "alice", *, sign_in: bool = True,
              remember_password: bool = True, **options: Any) -> MailroomApp:
    """A MailroomApp pointed at ``emu`` with private settings and drafts folders (under ``tmp``).

    With ``sign_in`` the user's password is put in the (in-memory) keyring, so the app signs in by itself.
    """
    address = address_of(user)
    if sign_in and remember_password:
        secrets.set_password(address, f"{address.split('@')[0]}-pass")
    opts = Options(ews_url=emu.ews_url if sign_in else None, user=address if sign_in else "",
                   settings_path=tmp / "settings.json", drafts_dir=tmp / "drafts", **options)
    app = MailroomApp(opts)
    _LIVE.append(app)
    app.start()
    return app


#: Apps started and not stopped yet: stopping one must not delete the windows of another (two users signed in
#: side by side in one test).
_LIVE: list[MailroomApp] = []


def _belongs_to_another(widget: Any, app: MailroomApp) -> bool:
    others = [a.window for a in _LIVE if a is not app]
    w = widget
    while w is not None:
        if any(w is o for o in others):
            return True
        w = w.parentWidget()
    return False


def stop_app(app: MailroomApp) -> None:
    """Close the window (compose windows keep their autosave), stop every worker, delete the widgets now.

    Deleting now, not at interpreter exit, matters for QtWebEngine: a page still alive when its profile goes
    makes it complain ("Release of profile requested but WebEnginePage still not deleted").
    """
    if getattr(app, "stopped", False):
        return
    app.stopped = True  # type: ignore[attr-defined]
    app.window.close()
    finished = app.shutdown(20_000)
    polling = app.mail.is_polling()
    for widget in QApplication.topLevelWidgets():
        if _belongs_to_another(widget, app):
            continue
        if widget.windowType() == Qt.WindowType.Popup:
            # A pop-up belongs to whatever opened it: a QCompleter deletes its (parentless) popup itself, and
            # deleting it here first left the completer a dangling pointer (a segfault when it went later).
            widget.hide()
            continue
        widget.close()
        widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if app in _LIVE:
        _LIVE.remove(app)
    assert finished, "a worker thread did not finish"
    assert not polling, "the new-mail timer outlived the app"


#: Headless QtWebEngine says it has no OpenGL (it renders in software then): not a defect of the app.
WEBENGINE_LOG_IGNORE = (
    r"^QRhiGles2: Failed to create (temporary )?context",
    r"^Failed to create RHI for backend: OpenGL",
    r"^GPUInfo not initialized on GpuInfoUpdate",
)
