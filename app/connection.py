"""Opening the mailbox: the sign-in flow between the task runner, app.ews and the views.

app.ews is imported inside the worker: exchangelib costs ~0.5 s to import, which should not delay the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app.domain.errors import user_message
from app.domain.mailbox import AccountInfo, AuthMethod, ConnectionParams
from app.tasks import TaskHandle, TaskRunner, current_task

if TYPE_CHECKING:
    from app.demo import DemoServer
    from app.ews.session import MailboxSession


def _open_session(params: ConnectionParams) -> MailboxSession:
    """Runs on a worker thread."""
    from app.ews.session import connect

    task = current_task()
    return connect(params, cancelled=task.is_cancelled if task is not None else None)


class ConnectionController(QObject):
    """Opens one mailbox and keeps its session.

    Signals:
        progress(str): a sentence describing what is happening now.
        connected(AccountInfo): the mailbox is open.
        failed(str): opening failed; the text is fit for the user.
    """

    progress = Signal(str)
    connected = Signal(object)
    failed = Signal(str)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._session: MailboxSession | None = None
        self._demo: DemoServer | None = None

    @property
    def session(self) -> MailboxSession | None:
        """The open session, once :attr:`connected` was emitted."""
        return self._session

    def open(self, params: ConnectionParams) -> TaskHandle[MailboxSession]:
        """Start opening the mailbox described by ``params`` (in the mailbox's task queue)."""
        address = params.mailbox_address
        self.progress.emit(f"Connecting to {address} at {params.ews_url} …")
        return self._runner.run(
            lambda: _open_session(params),
            key=address,
            on_result=self._on_session,
            on_error=self._on_error,
            description=f"Connecting to {address}",
        )

    def open_demo(self, server: DemoServer, user: str, auth: AuthMethod = AuthMethod.NTLM) -> None:
        """Start the demo Exchange server, then open ``user``'s mailbox on it.

        Args:
            server: The demo server (not started yet); this controller stops it in :meth:`close`.
            user: A demo user, ``alice`` or ``alice@example.com``.
            auth: How to sign in.
        """
        from app.demo import demo_credentials

        self._demo = server
        try:
            address, password = demo_credentials(user)
        except ValueError as error:
            self.failed.emit(str(error))
            return
        self.progress.emit("Starting the local Exchange emulator …")
        self._runner.run(
            server.start,
            on_result=lambda url: self.open(ConnectionParams(url, address, password, auth=auth)),
            on_error=self._on_error,
            description="Starting the demo Exchange server",
        )

    def close(self) -> None:
        """Close the session and stop the demo server. Call after the task runner is shut down."""
        if self._session is not None:
            self._session.close()
            self._session = None
        if self._demo is not None:
            self._demo.stop()
            self._demo = None

    def _on_session(self, session: MailboxSession) -> None:
        if self._session is not None:
            self._session.close()
        self._session = session
        info: AccountInfo = session.info
        self.connected.emit(info)

    def _on_error(self, error: BaseException) -> None:
        self.failed.emit(user_message(error))
