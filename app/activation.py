"""What the running Mailroom does with arguments handed to it: raise the window, compose ``mailto:`` links.

They come from the command line of the first launch (``python -m app mailto:…``) and from later launches through
:class:`~app.single_instance.InstanceServer`. A link that arrives before sign-in has finished waits for it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

from app.domain.html_quote import text_to_html
from app.domain.mailto import MailtoError, MailtoLink, is_mailto, parse_mailto

log = logging.getLogger(__name__)


class Activation(QObject):
    """Handles arguments passed to the running app.

    Args:
        app: The :class:`~app.application.MailroomApp` (its window, session and compose service).

    Attributes:
        pending: Links waiting for sign-in.
        opened: Compose windows opened for links (newest last).
    """

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.app = app
        self.pending: list[MailtoLink] = []
        self.opened: list[Any] = []
        app.session.signed_in.connect(lambda _result: QTimer.singleShot(0, self._flush))

    def handle(self, argv: Iterable[str], *, raise_window: bool = True) -> None:
        """Take the ``mailto:`` links among ``argv`` (other arguments are ignored) and bring the window up."""
        if raise_window:
            self.raise_window()
        for arg in argv:
            if not is_mailto(arg):
                continue
            try:
                self.pending.append(parse_mailto(arg))
            except MailtoError as error:
                self.app.window.show_error(str(error))
        self._flush()

    def raise_window(self) -> None:
        """Show the main window in front (un-minimised, activated)."""
        window = self.app.window
        if window.isMinimized():
            window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()

    def _flush(self) -> None:
        window = self.app.window
        if window.user is None:
            if self.pending:
                window.statusBar().showMessage("The new message opens once you are signed in.", 10000)
            return
        links, self.pending = self.pending, []
        for link in links:
            draft = self.app.compose.new_draft(
                window.commands.default_from(), to=list(link.to), cc=list(link.cc), bcc=list(link.bcc),
                subject=link.subject, body_html=text_to_html(link.body) if link.body else "")
            compose = window.commands.open_compose(draft)
            compose.raise_()
            compose.activateWindow()
            self.opened.append(compose)
            log.info("Opened a compose window for a mailto: link (%d recipient(s))",
                     len(link.to) + len(link.cc) + len(link.bcc))
