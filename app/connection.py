"""Demo mode's connection: start the in-process Exchange emulator, then sign in to it as a demo user.

The emulator is imported lazily by :mod:`app.demo`; signing in goes through the one sign-in flow
(:class:`~app.services.session.SessionService`), without the dialog: the demo tenant publishes its passwords.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.domain.errors import user_message
from app.tasks import TaskRunner

if TYPE_CHECKING:
    from app.demo import DemoServer
    from app.services.session import SessionService


class DemoConnector(QObject):
    """Starts the demo server and signs a demo user in to it.

    Args:
        runner: The task runner (the server starts in a worker: seeding the tenant takes a moment).
        session: The session service that signs in.
        parent: Qt parent.

    Signals:
        progress(str): what is happening.
        failed(str): the demo could not start (unknown user, emulator failure); fit for the user.
    """

    progress = Signal(str)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, session: SessionService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._session = session
        self._server: DemoServer | None = None

    def start(self, server: DemoServer, user: str) -> bool:
        """Start ``server`` and sign in as ``user`` (``alice`` or ``alice@example.com``).

        Returns:
            False (after emitting :attr:`failed`) when ``user`` is not a demo user.
        """
        from app.demo import demo_credentials

        try:
            address, password = demo_credentials(user)
        except ValueError as error:
            self.failed.emit(str(error))
            return False
        self._server = server
        self.progress.emit("Starting the local Exchange emulator …")

        def started(url: str) -> None:
            self.progress.emit(f"Signing in as {address} …")
            self._session.sign_in(address, password, server=url, auth="ntlm", remember=False)

        self._runner.run(server.start, on_result=started,
                         on_error=lambda error: self.failed.emit(
                             f"The demo Exchange server did not start: {user_message(error)}"),
                         description="Starting the demo Exchange server")
        return True

    def stop(self) -> None:
        """Stop the demo server (after the task runner is shut down)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
