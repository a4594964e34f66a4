"""The window's two ways of telling the user things.

- :class:`MessageBar`: the one bridge for failures and refusals. A non-modal strip above the panes (red for
  errors) that stays until dismissed; the same text goes to the status bar.
- :class:`JobProgress`: in the status bar, the progress of bulk jobs (``BulkJob``) with a Cancel button.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QProgressBar, QStyle, QToolButton, QWidget

_STYLES = {
    "error": "QFrame#messageBar { background: #fdecea; border: 1px solid #f3b8b1; border-radius: 4px; }"
    " QFrame#messageBar QLabel { color: #7a1c14; }",
    "info": "QFrame#messageBar { background: #eef4fb; border: 1px solid #c5d8ee; border-radius: 4px; }"
    " QFrame#messageBar QLabel { color: #1d3b5c; }",
}


class MessageBar(QFrame):
    """A dismissible message above the panes.

    Signals:
        shown(str): a message was shown (its text).
    """

    shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Message")
        self._history: list[tuple[str, str]] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.icon = QLabel(self)
        self.label = QLabel(self)
        self.label.setObjectName("messageBarLabel")
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.close_button = QToolButton(self)
        self.close_button.setObjectName("messageBarClose")
        self.close_button.setAutoRaise(True)
        self.close_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        self.close_button.setToolTip("Dismiss")
        self.close_button.setAccessibleName("Dismiss message")
        self.close_button.clicked.connect(self.hide)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        """Show ``text`` ("error" or "info"), replacing what was shown."""
        self._history.append((kind, text))
        self.setStyleSheet(_STYLES.get(kind, _STYLES["info"]))
        pixmap = (
            QStyle.StandardPixmap.SP_MessageBoxWarning
            if kind == "error"
            else QStyle.StandardPixmap.SP_MessageBoxInformation
        )
        self.icon.setPixmap(self.style().standardIcon(pixmap).pixmap(16, 16))
        self.label.setText(text)
        self.setAccessibleDescription(text)
        self.show()
        self.shown.emit(text)

    def text(self) -> str:
        """The message shown, or ""."""
        return self.label.text() if not self.isHidden() else ""

    def history(self) -> list[tuple[str, str]]:
        """Every (kind, text) shown since the start (for tests and a later log view)."""
        return list(self._history)


class JobProgress(QWidget):
    """Progress of the bulk jobs, one at a time (queued jobs wait), with Cancel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        self._jobs: list[Any] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.label.setObjectName("jobLabel")
        self.bar = QProgressBar(self)
        self.bar.setObjectName("jobProgressBar")
        self.bar.setAccessibleName("Progress")
        self.bar.setFixedWidth(180)
        self.bar.setFixedHeight(14)
        self.bar.setTextVisible(True)
        self.bar.setFormat("%v / %m")
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("jobCancelButton")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setAccessibleName("Cancel the running job")
        self.cancel_button.clicked.connect(self.cancel_current)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.hide()

    def track(self, job: Any) -> None:
        """Show ``job``'s progress (a ``BulkJob``) until it finishes, fails or is cancelled."""
        self._jobs.append(job)
        job.progress.connect(lambda done, total, j=job: self._on_progress(j, done, total))
        for signal in (job.finished, job.failed, job.cancelled):
            signal.connect(lambda *_args, j=job: self._on_over(j))
        if len(self._jobs) == 1:
            self._show(job)

    def current(self) -> Any:
        """The job shown, or None."""
        return self._jobs[0] if self._jobs else None

    def cancel_current(self) -> None:
        """Cancel the job shown."""
        job = self.current()
        if job is not None:
            self.cancel_button.setEnabled(False)
            self.label.setText(f"{job.description} — cancelling …")
            job.cancel()

    def _show(self, job: Any) -> None:
        self.label.setText(job.description)
        self.bar.setRange(0, max(job.total, 1))
        self.bar.setValue(job.done)
        self.cancel_button.setEnabled(True)
        self.show()

    def _on_progress(self, job: Any, done: int, total: int) -> None:
        if self.current() is job:
            self.bar.setRange(0, max(total, 1))
            self.bar.setValue(done)

    def _on_over(self, job: Any) -> None:
        if job not in self._jobs:
            return
        first = self._jobs[0] is job
        self._jobs.remove(job)
        if not first:
            return
        if self._jobs:
            self._show(self._jobs[0])
        else:
            self.hide()
