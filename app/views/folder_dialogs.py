"""Dialogs of the folder commands: a name (new folder, rename), a confirmation (delete, empty), and Properties.

They are opened non-modally (``open()``) and only collect what the user wants; the commands
(:mod:`app.views.folder_commands`) act on it through the folder service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.folder_actions import FolderTarget, name_problem
from app.domain.folders import FolderKind
from app.domain.rights import describe_folder_access
from app.views.permissions_dialog import PermissionsPanel

_KIND_WORDS = {FolderKind.MAIL: "Mail folder", FolderKind.CALENDAR: "Calendar", FolderKind.CONTACTS: "Contacts",
               FolderKind.TASKS: "Tasks", FolderKind.OTHER: "Folder"}


def _title_font(label: QLabel, scale: float = 1.2) -> QLabel:
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(True)
    label.setFont(font)
    return label


def plural(n: int, word: str) -> str:
    """ "1 message", "3 messages"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class FolderNameDialog(QDialog):
    """Asks for a folder name, refusing empty names and the names of the folders beside it.

    Args:
        title: Window title ("New folder").
        prompt: The sentence above the field.
        action: The OK button's text ("Create").
        siblings: Names already taken where the folder goes.
        current: The folder's current name (rename), pre-filled and allowed.
        parent: Parent widget.
    """

    def __init__(self, title: str, prompt: str, action: str, siblings: Iterable[str], current: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("folderNameDialog")
        self.setWindowTitle(f"{title} — Mailroom")
        self.setMinimumWidth(420)
        self._siblings = list(siblings)
        self._current = current
        self.prompt = QLabel(prompt, self)
        self.prompt.setWordWrap(True)
        self.name_edit = QLineEdit(current, self, objectName="folderNameEdit")
        self.name_edit.setAccessibleName("Folder name")
        self.name_edit.setMaxLength(255)
        self.name_edit.selectAll()
        self.problem = QLabel("", self, objectName="folderNameProblem")
        self.problem.setStyleSheet("color: #b42318;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(action)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(_title_font(QLabel(title, self)))
        layout.addWidget(self.prompt)
        layout.addWidget(self.name_edit)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(lambda _t: self._check())
        self._check()

    def name(self) -> str:
        return self.name_edit.text().strip()

    def _check(self) -> str:
        problem = name_problem(self.name_edit.text(), self._siblings, self._current)
        unchanged = bool(self._current) and self.name() == self._current
        self.problem.setText(problem if self.name_edit.text() or self._current else "")
        self.ok_button.setEnabled(not problem and not unchanged)
        return problem

    def accept(self) -> None:
        if self._check() or (self._current and self.name() == self._current):
            return
        super().accept()


class ConfirmDialog(QDialog):
    """A warning with a question, details and a button naming what happens ("Delete folder")."""

    def __init__(self, title: str, question: str, details: str, action: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("confirmFolderDialog")
        self.setWindowTitle(f"{title} — Mailroom")
        self.setMinimumWidth(460)
        icon = QLabel(self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning).pixmap(40, 40))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.question = _title_font(QLabel(question, self, objectName="confirmQuestion"), 1.1)
        self.question.setWordWrap(True)
        self.details = QLabel(details, self, objectName="confirmDetails")
        self.details.setWordWrap(True)
        text = QVBoxLayout()
        text.addWidget(self.question)
        text.addWidget(self.details)
        text.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(14)
        row.addWidget(icon)
        row.addLayout(text, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm_button = QPushButton(action, self, objectName="confirmButton")
        self.buttons.addButton(self.confirm_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        self.confirm_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addLayout(row)
        layout.addWidget(self.buttons)


class FolderPropertiesDialog(QDialog):
    """A folder's properties: General (counts, size, your access) and Permissions (who has access).

    Args:
        target: The folder (with its mailbox).
        load: ``load(on_result, on_error)`` starts reading the properties (``FolderService.properties``).
        save: ``save(perms, on_done, on_error)`` saves an edited permission set.
        completer: Directory completer factory for the Permissions tab's "Add" field.
        parent: Parent widget.

    Signals:
        loaded(): the properties arrived (or could not be read: see :attr:`message`).
    """

    loaded = Signal()

    def __init__(self, target: FolderTarget, load: Callable[[Callable[[Any], Any], Callable[[str], Any]], Any],
                 save: Callable[[Any, Callable[[], Any], Callable[[str], Any]], Any],
                 completer: Callable[[QLineEdit], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        assert target.node is not None
        self.target = target
        self._save = save
        self.loaded_props: Any = None
        node = target.node
        self.setObjectName("folderPropertiesDialog")
        self.setWindowTitle(f"{node.name} — Properties — Mailroom")
        self.resize(640, 600)

        heading = _title_font(QLabel(node.name, self, objectName="propertiesTitle"), 1.3)
        where = QLabel(f"{target.mailbox_name}  ·  {target.mailbox}", self, objectName="propertiesWhere")
        where.setStyleSheet("color: palette(placeholder-text);")

        self.tabs = QTabWidget(self, objectName="propertiesTabs")
        general = QWidget(self)
        self.form = QFormLayout(general)
        self.form.setContentsMargins(14, 14, 14, 14)
        self.form.setVerticalSpacing(10)
        self.values: dict[str, QLabel] = {}
        for key, label in (("kind", "Type"), ("location", "Location"), ("items", "Items"), ("unread", "Unread"),
                           ("size", "Size"), ("subfolders", "Subfolders"), ("access", "Your access")):
            value = QLabel("…", general, objectName=f"property_{key}")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.values[key] = value
            self.form.addRow(f"{label}:", value)
        self.values["kind"].setText(_KIND_WORDS[node.kind])
        self.values["location"].setText(target.place)
        self.values["access"].setText(describe_folder_access(node.rights).capitalize())
        self.permissions = PermissionsPanel(completer, self)
        permissions_page = QWidget(self)
        page_layout = QVBoxLayout(permissions_page)
        page_layout.setContentsMargins(12, 12, 12, 12)
        page_layout.addWidget(self.permissions)
        self.tabs.addTab(general, "General")
        self.tabs.addTab(permissions_page, "Permissions")

        self.message = QLabel("Reading the folder's properties …", self, objectName="propertiesMessage")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Save the changes to who has access")
        self.save_button.clicked.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.permissions.changed.connect(self._on_changed)
        self.permissions.setEnabled(False)
        self._handles: list[Any] = []
        self._closed = False

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(where)
        layout.addSpacing(6)
        layout.addWidget(self.tabs, 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self.message, 1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self._handles.append(load(self._loaded, self._failed))

    def show_permissions_tab(self) -> None:
        self.tabs.setCurrentIndex(1)

    def is_loaded(self) -> bool:
        return self.loaded_props is not None

    def _loaded(self, props: Any) -> None:
        self.loaded_props = props
        locale = QLocale()
        self.values["items"].setText(locale.toString(props.total))
        self.values["unread"].setText(locale.toString(props.unread))
        self.values["size"].setText(locale.formattedDataSize(props.size) if props.size is not None else "Unknown")
        self.values["subfolders"].setText(locale.toString(props.child_count))
        self.values["access"].setText(describe_folder_access(props.rights).capitalize())
        self.message.setText("")
        if props.permissions is None:
            self.message.setText("Exchange did not show this folder's permissions to you.")
        else:
            node = self.target.node
            assert node is not None
            hint = ("Tip: to find this folder, people also need at least “See the folder” on the folders above it."
                    if node.parent_id else "")
            self.permissions.set_permissions(props.permissions, node.name, self.target.mailbox_name, hint)
            self.permissions.setEnabled(True)
            self.save_button.setVisible(props.permissions.editable)
        self.loaded.emit()

    def _failed(self, text: str) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #b42318;")
        if self.loaded_props is None:
            self.loaded.emit()

    def _on_changed(self) -> None:
        self.save_button.setEnabled(self.permissions.is_modified())
        self.message.setStyleSheet("")
        self.message.setText("Unsaved changes." if self.permissions.is_modified() else "")

    def save(self) -> None:
        """Save the edited permissions; the dialog closes when the server took them."""
        perms = self.permissions.permissions()
        if perms is None or not self.permissions.is_modified():
            return
        self.save_button.setEnabled(False)
        self.message.setStyleSheet("")
        self.message.setText("Saving …")
        self._save(perms, lambda: None if self._closed else self.accept(),
                   lambda text: None if self._closed else self._save_failed(text))

    def done(self, result: int) -> None:
        self._closed = True  # answers for a closed dialog are dropped; a save still goes through
        for handle in self._handles:
            if handle is not None:
                handle.cancel()
        self._handles.clear()
        super().done(result)

    def _save_failed(self, text: str) -> None:
        self._failed(text)
        self.save_button.setEnabled(True)
