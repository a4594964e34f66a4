"""Composition root: builds the services and the main window and wires them together. Nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtGui import QIcon

from app import paths, secrets
from app.connection import ConnectionController
from app.domain.errors import MailroomError, user_message
from app.domain.mailbox import AuthMethod, ConnectionParams
from app.tasks import TaskHandle, TaskRunner
from app.views.main_window import MainWindow


@dataclass(frozen=True)
class Options:
    """What the command line asked for.

    Attributes:
        demo: Start the emulator in-process and sign in as ``user`` from the demo tenant.
        user: Demo user name, or the logon name for a real server.
        ews_url: EWS endpoint of a real server (not demo mode); the password comes from the keyring.
        mailbox: Mailbox to open when it is not the user's own.
        auth: NTLM or Basic.
        screenshot: Save the window there once connected, then quit.
        timeout_s: For ``screenshot``: give up after this long.
    """

    demo: bool = False
    user: str = "alice"
    ews_url: str | None = None
    mailbox: str = ""
    auth: AuthMethod = AuthMethod.NTLM
    screenshot: Path | None = None
    timeout_s: float = 60.0


class MailroomApp:
    """The running application: task runner, connection controller and main window.

    Args:
        options: From the command line.
    """

    def __init__(self, options: Options) -> None:
        self.options = options
        self.runner = TaskRunner()
        self.controller = ConnectionController(self.runner)
        self.window = MainWindow()
        icon = paths.icon_path("mailroom.svg")
        if icon.is_file():
            self.window.setWindowIcon(QIcon(str(icon)))

        self.controller.progress.connect(self.window.show_progress)
        self.controller.connected.connect(self.window.show_connected)
        self.controller.failed.connect(self.window.show_error)
        self.runner.task_failed.connect(self._on_unhandled_failure)

    def start(self) -> None:
        """Show the window and start connecting."""
        self.window.show()
        if self.options.demo:
            from app.demo import DemoServer  # lazy: the emulator is only for demo mode

            self.controller.open_demo(DemoServer(), self.options.user, self.options.auth)
        elif self.options.ews_url:
            try:
                password = secrets.get_password(self.options.user)
            except MailroomError as error:
                self.controller.failed.emit(str(error))
                return
            self.controller.open(
                ConnectionParams(
                    self.options.ews_url,
                    self.options.user,
                    password,
                    mailbox=self.options.mailbox,
                    auth=self.options.auth,
                )
            )
        else:
            message = "Nothing to connect to: start with --demo, or --ews-url URL --user ADDRESS."
            self.controller.failed.emit(message)

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Stop background work, close the session and the demo server.

        Returns:
            True if every worker finished within ``timeout_ms``.
        """
        finished = self.runner.shutdown(timeout_ms)
        self.controller.close()
        return finished

    def _on_unhandled_failure(self, handle: TaskHandle[object], error: BaseException) -> None:
        self.window.show_error(f"{handle.description}: {user_message(error)}")
