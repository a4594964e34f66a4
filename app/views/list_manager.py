"""The frame shared by a mailbox's list managers (Mailbox ▸ Labels…, Mailbox ▸ Rules…).

Both are non-modal dialogs about one mailbox: a heading and a line that explains the list, a banner saying why
the list is read-only, the list with its buttons beside it, a row of controls below, a question bar for
confirmations, a progress panel for background jobs, an error line and Close. The subclasses build their own list
and buttons and hand them to ``_lay_out``; the rest lives here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from PySide6.QtWidgets import (
    QAbstractButton,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from app.domain.mailbox import MailboxRef
from app.domain.rights import Capability
from app.views.admin_widgets import Banner, JobPanel, QuestionBar


class ListManagerDialog(QDialog):
    """Base of the list managers of one mailbox (non-modal).

    Subclasses call ``_heading`` first (it creates ``banner``), build their list and buttons, then call
    ``_lay_out``, which creates ``question`` (answers go to ``_on_answer``), ``job_panel`` and ``error_label``.

    Args:
        mailbox: The mailbox whose list is managed.
        capability: Whether the user may change the list (the reason when not).
        object_name: The dialog's object name.
        title: The window title, without the application's name.
        size: The initial width and height.
        parent: Parent widget.
    """

    def __init__(self, mailbox: MailboxRef, capability: Capability, *, object_name: str, title: str,
                 size: tuple[int, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(object_name)
        self.setWindowTitle(f"{title} — Mailroom")
        self.resize(*size)
        self.mailbox = mailbox
        self.capability = capability
        self.job: Any = None

    # -- building ------------------------------------------------------------------------------------------
    def _heading(self, heading: str, explanation: str) -> tuple[QLabel, QLabel]:
        """The bold heading and the grey explanation under it; also creates the (hidden) ``banner``."""
        title = QLabel(f"<b>{heading}</b>", self)
        subtitle = QLabel(explanation, self)
        subtitle.setWordWrap(True)
        subtitle.setStyleSheet("color: palette(placeholder-text);")
        self.banner = Banner(self)
        return title, subtitle

    @staticmethod
    def _beside(main: QWidget | QLayout, side: Sequence[QWidget | int]) -> QHBoxLayout:
        """``main`` (stretching) with a column of ``side`` widgets to its right (an int is a gap of that size)."""
        column = QVBoxLayout()
        for entry in side:
            if isinstance(entry, int):
                column.addSpacing(entry)
            else:
                column.addWidget(entry)
        column.addStretch(1)
        row = QHBoxLayout()
        if isinstance(main, QLayout):
            row.addLayout(main, 1)
        else:
            row.addWidget(main, 1)
        row.addLayout(column)
        return row

    def _lay_out(self, heading: tuple[QLabel, QLabel], middle: QLayout, below: QLayout, *, error_name: str,
                 banners: Iterable[QWidget] = ()) -> None:
        """Create the question bar, job panel, error line and Close, and lay the whole dialog out, top to bottom."""
        self.question = QuestionBar(self)
        self.question.answered.connect(self._on_answer)
        self.job_panel = JobPanel(self)
        self.error_label = QLabel("", self)
        self.error_label.setObjectName(error_name)
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #a1261a;")
        self.error_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (*heading, self.banner, *banners):
            layout.addWidget(widget)
        layout.addLayout(middle, 1)
        layout.addLayout(below)
        for widget in (self.question, self.job_panel, self.error_label, buttons):
            layout.addWidget(widget)

    # -- shared behaviour ----------------------------------------------------------------------------------
    def _on_answer(self, key: str) -> None:
        """The user answered the question bar (``key`` is empty when they dismissed it)."""
        raise NotImplementedError

    def _is_mine(self, mailbox: str) -> bool:
        """Whether a service signal about ``mailbox`` is about this dialog's mailbox."""
        return mailbox.casefold() == self.mailbox.key

    def _allowed(self) -> bool:
        """Whether the user may change the list; shows the reason when not."""
        if not self.capability.allowed:
            self._show_error(self.capability.reason)
            return False
        return True

    def _track(self, job: Any) -> Any:
        """Show a background job's progress in the dialog and its failure on the error line."""
        self.job = job
        self.job_panel.track(job)
        job.failed.connect(self._show_error)
        return job

    @staticmethod
    def _explain(states: Mapping[QAbstractButton, str]) -> None:
        """Enable each button whose reason is empty; a disabled one tells why in its tooltip."""
        for button, reason in states.items():
            button.setEnabled(not reason)
            button.setToolTip(reason)

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))
