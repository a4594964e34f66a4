"""Child process for tests/app/test_calendar_shutdown.py: the real way out of Mailroom (the window closes, the
event loop ends, workers stop, the interpreter exits with nothing deleted by hand) with an event dialog holding
unsaved edits and the scheduling assistant over it: the close is refused and asked about, "Discard and quit" is
clicked. Exit code 0 = it got there and left cleanly.

Usage: python -m tests.support.quit_with_dialogs EWS_URL HOME
"""

from __future__ import annotations

import sys
from pathlib import Path

import keyring

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from tests.support.memory_keyring import MemoryKeyring


def main(url: str, home: Path) -> int:
    keyring.set_keyring(MemoryKeyring())
    from app import secrets
    from app.application import MailroomApp, Options

    secrets.set_password("alice@example.com", "alice-pass")
    qt = QApplication(["mailroom"])
    app = MailroomApp(Options(ews_url=url, user="alice@example.com", settings_path=home / "settings.json",
                              drafts_dir=home / "drafts"))
    app.window.closed.connect(qt.quit)  # as app/launch.py does
    opened: list[object] = []
    asked: list[bool] = []

    def step() -> None:  # polls what the window shows (no sleeping): signed in, calendars listed, then quit
        ui = app.window.calendar
        if not opened and app.window.user is not None and not app.mailboxes.is_loading():
            if ui.show().calendars:
                dialog = ui.commands.new_event(None)
                dialog.subject.setText("Unsaved when quitting")
                opened.extend([dialog, ui.commands.open_scheduling(dialog)])
        elif opened and not asked:
            asked.append(app.window.close())  # refused: the unsaved edits are asked about first
        elif asked and ui.quit_guard.box is not None and ui.quit_guard.box.isVisible():
            discard = next(b for b in ui.quit_guard.box.buttons() if b.text() == "Discard and quit")
            discard.click()  # closes the dialogs, then the window: the event loop ends
            return
        QTimer.singleShot(20, step)

    QTimer.singleShot(0, app.start)
    QTimer.singleShot(0, step)
    QTimer.singleShot(60_000, qt.quit)  # a hung start fails the test below instead of hanging it
    qt.exec()
    finished = app.shutdown(10_000)
    return 0 if opened and asked == [False] and finished else 3


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], Path(sys.argv[2])))
