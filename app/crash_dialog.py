"""The crash handler's GUI side: a dialog with the report, shown on the GUI thread, one at a time.

:func:`attach` connects a :class:`~app.crash.CrashHandler` to the running QApplication. Reports can come from
any thread; :class:`CrashBridge` queues them to the GUI thread. There it shows one non-modal dialog (further
crashes while it is open are counted in it, not stacked), or, in a run without dialogs (self-test, screenshots,
offscreen), leaves the event loop with :data:`~app.crash.EXIT_CRASH`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QAbstractButton, QMessageBox

from app.crash import EXIT_CRASH, CrashHandler, environment

TITLE = "Mailroom — unexpected error"
OPEN_FOLDER = "Open report folder"
CLOSE = "Close"
QUIT = "Quit"


class CrashBridge(QObject):
    """Receives crash reports from any thread and tells the user on the GUI thread.

    Args:
        dialogs: Show a dialog (False: leave the event loop with :data:`EXIT_CRASH`).
        report_dir: The folder "Open report folder" opens when a report could not be written.
        parent: Qt parent (the QApplication).

    Attributes:
        dialog: The open crash dialog, or None.
        quit_app: Ends the event loop with a code (``QCoreApplication.exit``).
        open_folder: Opens a folder in the file manager.

    Signals:
        crashed(object, str): a report (its path or None, and a one-line summary); emitted from any thread.
    """

    crashed = Signal(object, str)

    def __init__(self, dialogs: bool, report_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialogs = dialogs
        self.report_dir = report_dir
        self.dialog: QMessageBox | None = None
        self.quit_app: Callable[[int], None] = QCoreApplication.exit
        self.open_folder: Callable[[Path], bool] = lambda folder: QDesktopServices.openUrl(
            QUrl.fromLocalFile(str(folder)))
        self._more = 0
        self._closing: QMessageBox | None = None
        self._path: Path | None = None
        self.crashed.connect(self._on_crashed, Qt.ConnectionType.QueuedConnection)

    def _on_crashed(self, path: Path | None, summary: str) -> None:
        if not self.dialogs:
            self.quit_app(EXIT_CRASH)
            return
        if self.dialog is not None:
            self._more += 1
            self.dialog.setInformativeText(self._informative() + f"\n\n{self._more} more error"
                                           f"{'s' if self._more > 1 else ''} happened since.")
            return
        self._path = path
        self.dialog = box = QMessageBox(QMessageBox.Icon.Critical, TITLE,
                                        f"Mailroom ran into an unexpected error:\n{summary}")
        box.setObjectName("crashDialog")
        box.setInformativeText(self._informative())
        box.setDetailedText("\n".join(f"{label}: {value}" for label, value in environment()))
        box.addButton(OPEN_FOLDER, QMessageBox.ButtonRole.ActionRole)
        box.setDefaultButton(box.addButton(CLOSE, QMessageBox.ButtonRole.RejectRole))
        box.addButton(QUIT, QMessageBox.ButtonRole.DestructiveRole)
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.buttonClicked.connect(self._on_button)
        box.finished.connect(self._on_finished)
        box.show()

    def _informative(self) -> str:
        details = "\n".join(f"{label} {value}" for label, value in environment()[:2])
        if self._path is None:
            return f"{details}\n\nNo report could be written (see the messages on the console)."
        return (f"{details}\n\nA report was written to:\n{self._path}\n\n"
                "Please send it to your IT support. You can go on working, but save your drafts.")

    def _on_button(self, button: QAbstractButton) -> None:
        text = button.text()
        if text == OPEN_FOLDER:
            self.open_folder(self._path.parent if self._path is not None else self.report_dir)
        elif text == QUIT:
            self.quit_app(EXIT_CRASH)

    def _on_finished(self, _result: int) -> None:
        # The box is parentless and owned by Python: dropping the last reference here would delete it inside its
        # own finished() signal (a segfault in QDialog::done). Keep it until the event loop has run once; by then
        # WA_DeleteOnClose has deleted it, or the reference going does.
        self._closing, self.dialog = self.dialog, None
        self._more = 0
        QTimer.singleShot(0, self._release_closed)

    def _release_closed(self) -> None:
        self._closing = None


def attach(handler: CrashHandler, *, dialogs: bool) -> CrashBridge:
    """Report ``handler``'s crashes through the QApplication (call on the GUI thread, after it exists)."""
    bridge = CrashBridge(dialogs, handler.directory, QCoreApplication.instance())
    handler.gui = bridge.crashed.emit
    return bridge
