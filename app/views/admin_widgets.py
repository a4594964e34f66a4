"""Small widgets the label and rule dialogs share: a notice banner, an inline question, a job's progress, the
colour menu and a label chooser. None of them blocks: questions are answered inside the dialog (no nested
modal loop), which keeps the window responsive and the dialogs testable."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import NEUTRAL, PRESET_COLORS, Category
from app.domain.rules import split_values

_BANNER = {
    "info": ("#eef4fb", "#c5d8ee", "#1d3b5c"),
    "warning": ("#fff7e0", "#f0d58a", "#5c4300"),
    "error": ("#fdecea", "#f3b8b1", "#7a1c14"),
}


def swatch(color: str, size: int = 16, *, outline: bool = True) -> QIcon:
    """A rounded square in ``color`` (a dashed outline for "no colour")."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    fill = QColor(color)
    painter.setPen(fill.darker(130) if outline else Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRoundedRect(2, 2, size - 4, size - 4, 3, 3)
    painter.end()
    return QIcon(pixmap)


def color_of(index: int) -> str:
    return PRESET_COLORS[index][1] if 0 <= index < len(PRESET_COLORS) else NEUTRAL


class Banner(QFrame):
    """A coloured notice at the top of a dialog ("You can only look at these rules: …")."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 7, 10, 7)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.label, 1)
        self.hide()

    def show_text(self, text: str, kind: str = "info") -> None:
        background, border, color = _BANNER.get(kind, _BANNER["info"])
        self.setStyleSheet(f"QFrame#banner {{ background: {background}; border: 1px solid {border};"
                           f" border-radius: 4px; }} QFrame#banner QLabel {{ color: {color}; }}")
        self.label.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(text))
        self.label.updateGeometry()
        for widget in (self, self.parentWidget()):  # a longer text needs more lines: lay out again
            if widget is not None and widget.layout() is not None:
                widget.layout().invalidate()

    def text(self) -> str:
        return self.label.text() if not self.isHidden() else ""


class QuestionBar(QFrame):
    """A question with answer buttons inside a dialog.

    Signals:
        answered(str): the key of the button pressed ("" for Cancel).
    """

    answered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("questionBar")
        self.setStyleSheet("QFrame#questionBar { background: #fff7e0; border: 1px solid #f0d58a;"
                           " border-radius: 4px; } QFrame#questionBar QLabel { color: #3d2e00; }")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        layout.addWidget(self.label)
        self._row = QHBoxLayout()
        layout.addLayout(self._row)
        self.buttons: dict[str, QPushButton] = {}
        self.hide()

    def ask(self, text: str, answers: Iterable[tuple[str, str]]) -> None:
        """Show ``text`` with one button per (key, caption) and Cancel."""
        for button in self.buttons.values():
            button.deleteLater()
        self.buttons = {}
        while self._row.count():
            self._row.takeAt(0)
        self._row.addStretch(1)
        for key, caption in [*answers, ("", "Cancel")]:
            button = QPushButton(caption, self)
            button.setObjectName(f"answer_{key or 'cancel'}")
            button.clicked.connect(lambda _=False, k=key: self._answer(k))
            self._row.addWidget(button)
            self.buttons[key] = button
        self.label.setText(text)
        self.show()
        next(iter(self.buttons.values())).setFocus()

    def answer(self, key: str) -> None:
        """Press the button ``key`` (tests, keyboard)."""
        self.buttons[key].click()

    def _answer(self, key: str) -> None:
        self.hide()
        self.answered.emit(key)


class JobPanel(QFrame):
    """Progress of a background job (``AdminJob``) with Cancel; hides itself when the job is over."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobPanel")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setObjectName("jobPanelBar")
        self.bar.setFormat("%v / %m")
        self.bar.setFixedWidth(200)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.job: Any = None
        self.cancel_button.clicked.connect(self._cancel)
        self.hide()

    def track(self, job: Any) -> None:
        self.job = job
        self.label.setText(job.description)
        self.bar.setRange(0, max(job.total, 1))
        self.bar.setValue(job.done)
        self.cancel_button.setEnabled(True)
        job.progress.connect(self._on_progress)
        for signal in (job.finished, job.failed, job.cancelled):
            signal.connect(self._over)
        self.show()

    def _on_progress(self, done: int, total: int) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)

    def _cancel(self) -> None:
        if self.job is not None:
            self.cancel_button.setEnabled(False)
            self.label.setText(f"{self.job.description} — cancelling …")
            self.job.cancel()

    def _over(self, *_: Any) -> None:
        self.hide()


def color_menu(parent: QWidget, current: int | None = None) -> QMenu:
    """The 25 Outlook colours and "No colour"; each action's ``data()`` is the colour index (-1: none)."""
    menu = QMenu(parent)
    menu.setObjectName("colorMenu")
    for index, (name, color) in [(-1, ("No colour", NEUTRAL)), *enumerate(PRESET_COLORS)]:
        action = QAction(swatch(color), name, menu)
        action.setData(index)
        action.setCheckable(True)
        action.setChecked(current == index)
        menu.addAction(action)
        if index == -1:
            menu.addSeparator()
    return menu


class LabelChooser(QWidget):
    """A line of label names ("Urgent; Billing") with a menu of the mailbox's labels to tick.

    Signals:
        changed(): the names changed.
    """

    changed = Signal()

    def __init__(self, labels: Iterable[Category], parent: QWidget | None = None,
                 placeholder: str = "Choose labels …") -> None:
        super().__init__(parent)
        self._labels = list(labels)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.button = QToolButton(self)
        self.button.setText("Choose…")
        self.button.setToolTip("Choose from the mailbox's labels")
        self.button.setAccessibleName("Choose labels")
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.button)
        self.button.setMenu(self.menu)
        self.menu.aboutToShow.connect(self._fill)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())

    def values(self) -> tuple[str, ...]:
        return split_values(self.edit.text())

    def set_values(self, values: Iterable[str]) -> None:
        self.edit.setText("; ".join(values))

    def _fill(self) -> None:
        self.menu.clear()
        chosen = {v.casefold() for v in self.values()}
        if not self._labels:
            self.menu.addAction("This mailbox has no labels").setEnabled(False)
        for label in self._labels:
            action = self.menu.addAction(swatch(label.hex_color), label.name)
            action.setCheckable(True)
            action.setChecked(label.name.casefold() in chosen)
            action.toggled.connect(lambda on, name=label.name: self._toggle(name, on))

    def _toggle(self, name: str, on: bool) -> None:
        values = [v for v in self.values() if v.casefold() != name.casefold()]
        if on:
            values.append(name)
        self.set_values(values)
