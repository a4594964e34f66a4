"""Composition root: builds the services, models and main window, and wires them together. Nothing else."""

from __future__ import annotations

import gc
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QIcon

from app import logs, paths, secrets
from app.activation import Activation
from app.connection import DemoConnector
from app.domain.errors import MailroomError, user_message
from app.domain.folders import FolderRef
from app.domain.mailbox import AuthMethod
from app.models.message_list_model import MessageListModel
from app.models.sidebar_model import SidebarModel
from app.services.compose import ComposeService
from app.services.folders import FolderService
from app.services.live import LiveMail
from app.services.lookups import LookupService
from app.services.mail import MailService
from app.services.mailboxes import MailboxService
from app.services.session import SessionService
from app.settings import POLL_INTERVAL_S, Settings
from app.tasks import TaskHandle, TaskRunner
from app.views.main_window import MainWindow, WindowServices
from app.views.signin_dialog import SignInDialog

log = logging.getLogger(__name__)

DEMO_SCREENSHOT_MAILBOX = "support@example.com"
GC_GEN2_THRESHOLD = 50
"""Young (gen1) collections between two full passes of the cyclic GC (CPython's default: 10)."""
_frozen_stages: set[str] = set()  # gc.freeze() is done once per stage and process (see tune_garbage_collector)


def tune_garbage_collector(stage: str = "signed-in") -> None:
    """Keep the long-lived heap out of the cyclic garbage collector's full passes (once per ``stage`` and process).

    Every full (gen2) pass walks every object the collector tracks, with the GIL held, on whatever thread
    triggered it, and the GUI thread waits as long. Two stages:

    - ``"start"`` (:meth:`MailroomApp.start`, before the sign-in worker starts): the start-up heap (Qt
      wrappers, the app's modules, the window) is frozen and full passes are made rarer
      (:data:`GC_GEN2_THRESHOLD`), so the sign-in worker's import of exchangelib and lxml (tens of thousands of
      objects) no longer triggers a full pass over everything: that pass took 45-68 ms on the worker and was the
      longest GUI stall of the client bench's first sign-in.
    - ``"signed-in"`` (just after sign-in, on the GUI thread at idle): what sign-in built (exchangelib's
      classes, the account, the sidebar), about 100,000 objects, is frozen too.

    Frozen objects live in the permanent generation; reference counting still frees them. Cyclic garbage older
    than the young generations at that point stays uncollected (a one-off, bounded cost) rather than paying a
    ~50 ms full ``gc.collect()`` on the GUI thread first. Full passes then walk only what came later (mostly
    message-list rows and calendar events).
    """
    if stage in _frozen_stages:
        return
    _frozen_stages.add(stage)
    gc.collect(1)  # the young generations only: cheap, and drops the short-lived garbage of what just ran
    gc.freeze()
    threshold0, threshold1, _threshold2 = gc.get_threshold()
    gc.set_threshold(threshold0, threshold1, GC_GEN2_THRESHOLD)


@dataclass(frozen=True)
class Options:
    """What the command line (or a test) asked for.

    Attributes:
        demo: Start the emulator in-process and sign in as ``user`` from the demo tenant, without the dialog.
        user: Demo user name, or the address to sign in as with ``ews_url``.
        ews_url: A server (host or EWS URL) to sign in to as ``user`` with the password from the keyring; the
            sign-in dialog asks when there is none.
        mailbox: Mailbox to open first (its Inbox) instead of the last place.
        auth: Authentication with ``ews_url`` (None: Automatic).
        screenshot: Save the window there once a message is shown, then quit.
        timeout_s: For ``screenshot``: give up after this long.
        settings_path: The settings file (default: the platform's; demo mode: a temporary one).
        drafts_dir: Where local draft autosaves go (default: the platform's; demo mode: a temporary one).
        poll_interval_ms: How often the open folder is checked for new mail (default: the setting).
    """

    demo: bool = False
    user: str = "alice"
    ews_url: str | None = None
    mailbox: str = ""
    auth: AuthMethod | None = None
    screenshot: Path | None = None
    timeout_s: float = 60.0
    settings_path: Path | None = None
    drafts_dir: Path | None = None
    poll_interval_ms: int | None = None


class MailroomApp(QObject):
    """The running application.

    Args:
        options: From the command line.

    Signals:
        failed(str): signing in failed in a mode without dialog (demo); the text is fit for the user.
    """

    failed = Signal(str)

    def __init__(self, options: Options) -> None:
        super().__init__()
        self.options = options
        self._scratch = tempfile.TemporaryDirectory(prefix="mailroom-demo-") if options.demo else None
        scratch = Path(self._scratch.name) if self._scratch is not None else None
        settings_path = options.settings_path or (scratch / "settings.json" if scratch else None)
        drafts_dir = options.drafts_dir or (scratch / "drafts" if scratch else None)

        self.runner = TaskRunner()
        self.settings = Settings.load(settings_path)
        self.session = SessionService(self.runner, self.settings)
        client = self._client
        poll_ms = options.poll_interval_ms or int(self.settings[POLL_INTERVAL_S]) * 1000
        self.mailboxes = MailboxService(self.runner, client)
        self.mail = MailService(self.runner, client, mailboxes=self.mailboxes, poll_interval_ms=poll_ms)
        self.live = LiveMail(self.runner, client, self.mailboxes, self.mail)
        self.compose = ComposeService(self.runner, client, lambda: self.session.account_address,
                                      drafts_dir=drafts_dir)
        self.lookups = LookupService(self.runner, client)
        self.folders = FolderService(self.runner, client, self.mailboxes)
        self.sidebar_model = SidebarModel()
        self.list_model = MessageListModel(self.mail.load_page)
        self.mail.attach_list(self.list_model)
        self.demo = DemoConnector(self.runner, self.session)

        # Models first: the window's own slots run after the models have the news.
        self.mailboxes.mailboxes_changed.connect(self.sidebar_model.set_order)
        self.mailboxes.mailbox_opened.connect(self.sidebar_model.set_tree)
        self.mailboxes.mailbox_removed.connect(self.sidebar_model.remove_mailbox)
        self.mailboxes.mailbox_unavailable.connect(self.sidebar_model.set_unavailable)
        self.mailboxes.mailbox_retrying.connect(self.sidebar_model.set_retrying)
        self.mailboxes.counts_updated.connect(self.sidebar_model.update_counts)
        self.mail.counts_changed.connect(self.sidebar_model.update_counts)
        self.mail.counts_adjusted.connect(self._adjust_counts)

        services = WindowServices(self.session, self.mailboxes, self.mail, self.compose, self.lookups, self.folders)
        self.window = MainWindow(services, self.sidebar_model, self.list_model)
        icon = paths.icon_path("mailroom.svg")
        if icon.is_file():
            self.window.setWindowIcon(QIcon(str(icon)))
        self.signin_dialog: SignInDialog | None = None
        self.activation = Activation(self)  # mailto: links and later launches (single instance)

        self.session.signed_in.connect(self.window.on_signed_in)
        self.session.signed_in.connect(self._open_requested_mailbox)
        self.session.signed_in.connect(self._log_signed_in)
        self.session.signed_in.connect(lambda _result: self.live.start())  # new mail live, for the new client
        # Once signed in (exchangelib imported, window built): out of the event handlers that built the sidebar.
        self.session.signed_in.connect(lambda _result: QTimer.singleShot(0, tune_garbage_collector))
        self.session.progress.connect(self.window.show_status)
        self.session.needs_credentials.connect(self.ask_credentials)
        self.session.no_secure_store.connect(lambda text: self.window.show_error(text, kind="info"))
        self.session.failed.connect(self._on_sign_in_failed)
        self.demo.progress.connect(self.window.show_status)
        self.demo.failed.connect(self._fail)
        self.runner.task_failed.connect(self._on_unhandled_failure)
        self.window.actions.sign_in.triggered.connect(lambda: self.ask_credentials(self.session.prefill()))
        for warning in self.settings.warnings:
            self.window.show_error(warning, kind="info")

    # -- starting and stopping -------------------------------------------------------------------------------
    def start(self) -> None:
        """Show the window and sign in: demo user, saved account, or the sign-in dialog."""
        self.window.show()
        tune_garbage_collector("start")  # before the sign-in worker builds exchangelib's objects
        o = self.options
        if o.screenshot is not None or o.mailbox:
            target = o.mailbox or (DEMO_SCREENSHOT_MAILBOX if o.demo else "")
            if target:
                self.window.open_location(target, "inbox", select_first=o.screenshot is not None)
        if o.demo:
            from app.demo import DemoServer  # lazy: the emulator is only for demo mode

            self.demo.start(DemoServer(), o.user)
        elif o.ews_url:
            try:
                password = secrets.get_password(o.user)
            except MailroomError as error:
                self.ask_credentials(self.session.prefill(str(error)), address=o.user, server=o.ews_url)
                return
            logs.register_secret(password)
            auth = o.auth.value if o.auth is not None else "auto"
            self.session.sign_in(o.user, password, server=o.ews_url, auth=auth, remember=True)
        else:
            self.session.try_auto_sign_in()

    def ask_credentials(self, prefill: Any, address: str = "", server: str = "") -> SignInDialog:
        """Show the sign-in dialog (window-modal, non-blocking)."""
        if address or server:
            from dataclasses import replace

            prefill = replace(prefill, address=address or prefill.address, server=server or prefill.server)
        if self.signin_dialog is not None:
            self.signin_dialog.set_prefill(prefill)
            self.signin_dialog.show()
            return self.signin_dialog
        dialog = SignInDialog(self.session, prefill, self.window)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.finished.connect(self._on_dialog_finished)
        self.signin_dialog = dialog
        dialog.open()
        return dialog

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop background work, close the session and the demo server.

        Returns:
            True if every worker finished within ``timeout_ms``.
        """
        self.live.shutdown()  # closes the streaming sockets and joins their threads
        self.mail.shutdown()
        self.mailboxes.shutdown()
        self.compose.shutdown()
        finished = self.runner.shutdown(timeout_ms)
        self.session.shutdown()
        self.demo.stop()
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None
        return finished

    # -- internals -------------------------------------------------------------------------------------------
    def _client(self) -> Any:
        return self.session.client

    def _open_requested_mailbox(self, _result: Any) -> None:
        """``--mailbox``: open it for this session when it is not in the sidebar already (not remembered)."""
        wanted = self.options.mailbox.strip()
        if wanted and wanted.casefold() not in {a.casefold() for a in self.session.known_mailboxes()}:
            from app.services.mailboxes import MailboxOrigin

            self.mailboxes.open_mailbox(wanted, MailboxOrigin.ADDED)

    def _log_signed_in(self, result: Any) -> None:
        log.info("Signed in as %s (%s)", result.user.address, result.version.short)

    def _adjust_counts(self, ref: FolderRef, total_delta: int, unread_delta: int) -> None:
        node = self.sidebar_model.folder_node(ref)
        if node is not None:
            total = max(0, node.total + total_delta)
            self.sidebar_model.update_counts(ref, total, max(0, min(total, node.unread + unread_delta)))

    def _on_dialog_finished(self, _result: int) -> None:
        dialog, self.signin_dialog = self.signin_dialog, None
        if dialog is not None:
            dialog.deleteLater()
        if self.window.user is None:
            self.window.statusBar().showMessage("Not signed in. Use File ▸ Sign in… to sign in.")

    def _on_sign_in_failed(self, error: BaseException) -> None:
        if self.signin_dialog is not None:
            return  # the dialog says it
        text = user_message(error)
        if self.options.demo:
            self._fail(text)
        else:
            self.ask_credentials(self.session.prefill(text))

    def _fail(self, text: str) -> None:
        self.window.show_error(text)
        self.failed.emit(text)

    def _on_unhandled_failure(self, handle: TaskHandle[object], error: BaseException) -> None:
        self.window.show_error(f"{handle.description}: {user_message(error)}")
