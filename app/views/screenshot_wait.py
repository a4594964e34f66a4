"""What the ``--screenshot-dialog`` openers share: wait, without blocking, until a dialog is ready to be shown."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

#: Called with the widget to save once it shows what the screenshot is for.
Ready = Callable[[QWidget], None]


def when(condition: Callable[[], bool], then: Callable[[], None], parent: QWidget) -> None:
    """Call ``then`` once ``condition()`` holds (checked every 50 ms while the event loop runs; the timer dies
    with ``parent``)."""
    timer = QTimer(parent)
    timer.setInterval(50)

    def check() -> None:
        if condition():
            timer.stop()
            timer.deleteLater()
            then()

    timer.timeout.connect(check)
    timer.start()
