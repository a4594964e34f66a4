"""Who has access to a folder: the list (person, role) and, for the folder's owners, the editor.

:class:`PermissionsPanel` shows a :class:`~app.domain.permissions.FolderPermissions` (the Permissions tab of the
folder's Properties dialog). Everyone who can see the folder sees the list; owners add people (directory
autocomplete), pick a role or tick individual rights, remove people and set Default/Anonymous. Others see the same
list read-only, with the reason. The panel only edits a copy; the dialog saves it through the folder service.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.messages import Person
from app.domain.permissions import (
    CALENDAR_READ_SCOPES,
    CUSTOM,
    CUSTOM_DESCRIPTION,
    DEFAULT,
    READ_SCOPES,
    READ_WORDS,
    SCOPE_WORDS,
    SCOPES,
    FolderPermissions,
    PermissionEntry,
    PermissionFlags,
    roles_for,
)

#: The role given to a person just added (Outlook's usual first choice for a shared folder).
NEW_PERSON_ROLE = "Reviewer"
_AVATAR = 26
_PALETTE = ("#2563eb", "#0891b2", "#059669", "#7c3aed", "#db2777", "#ea580c", "#4f46e5", "#0d9488")
_BOOLS = (("can_create_items", "Create items"), ("can_create_subfolders", "Create subfolders"),
          ("is_folder_visible", "See the folder"), ("is_folder_owner", "Folder owner"),
          ("is_folder_contact", "Folder contact"))


def avatar(entry: PermissionEntry) -> QIcon:
    """A round badge: the person's initials on a colour of their own; people silhouettes for Default/Anonymous."""
    size = _AVATAR * 2  # drawn at 2x, shown at _AVATAR
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    circle = QPainterPath()
    circle.addEllipse(QRectF(1, 1, size - 2, size - 2))
    painter.setPen(Qt.PenStyle.NoPen)
    if isinstance(entry.user, Person):
        digest = hashlib.sha1(entry.user.address.casefold().encode()).digest()
        painter.setBrush(QColor(_PALETTE[digest[0] % len(_PALETTE)]))
        painter.drawPath(circle)
        words = (entry.user.name or entry.user.address.split("@")[0]).replace(".", " ").split()
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(size * 0.4))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(QRectF(0, 0, size, size), Qt.AlignmentFlag.AlignCenter,
                         "".join(w[0] for w in words[:2]).upper() or "?")
    else:
        painter.setBrush(QColor("#64748b" if entry.user == DEFAULT else "#a3adbd"))
        painter.drawPath(circle)
        painter.setClipPath(circle)
        people = ((0.36, 0.8), (0.64, 1.0)) if entry.user == DEFAULT else ((0.5, 1.0),)
        for x, shade in people:
            painter.setBrush(QColor(255, 255, 255, int(255 * shade)))
            head = size * 0.15
            painter.drawEllipse(QRectF(size * x - head, size * 0.24, 2 * head, 2 * head))
            painter.drawEllipse(QRectF(size * x - size * 0.26, size * 0.6, size * 0.52, size * 0.5))
    painter.end()
    pixmap.setDevicePixelRatio(2.0)
    return QIcon(pixmap)


class PermissionsPanel(QWidget):
    """The list of a folder's permission entries and, when editable, the controls to change it.

    Args:
        completer: Makes the directory completer for the "Add" field (``DirectoryCompleter`` factory), or None.
        parent: Parent widget.

    Signals:
        changed(): the user changed the permissions (the dialog enables Save).
    """

    changed = Signal()

    def __init__(self, completer: Callable[[QLineEdit], Any] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("permissionsPanel")
        self._perms: FolderPermissions | None = None
        self._original: FolderPermissions | None = None
        self._filling = False

        self.intro = QLabel("", self, objectName="permissionsIntro")
        self.intro.setWordWrap(True)
        self.read_only_banner = QLabel("", self, objectName="permissionsReadOnly")
        self.read_only_banner.setWordWrap(True)
        self.read_only_banner.setStyleSheet(
            "QLabel { background: #fff7e6; border: 1px solid #f0c36d; border-radius: 4px; padding: 6px 8px; "
            "color: #5c4200; }")
        self.read_only_banner.hide()

        self.table = QTableWidget(0, 2, self)
        self.table.setObjectName("permissionsTable")
        self.table.setAccessibleName("People who have access to the folder")
        self.table.setHorizontalHeaderLabels(["Name", "Role"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setIconSize(QSize(_AVATAR, _AVATAR))
        self.table.verticalHeader().setDefaultSectionSize(_AVATAR + 10)
        header = self.table.horizontalHeader()
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumSectionSize(150)
        self.table.currentCellChanged.connect(lambda *_: self._show_selected())

        self.add_edit = QLineEdit(self, objectName="permissionsAddEdit")
        self.add_edit.setPlaceholderText("Add a person: type a name or an address")
        self.add_edit.setAccessibleName("Person to add")
        self.add_edit.setClearButtonEnabled(True)
        self.add_edit.returnPressed.connect(self.add_typed)
        self.add_edit.textChanged.connect(lambda _t: self._update_buttons())
        self.completer = completer(self.add_edit) if completer is not None else None
        if self.completer is not None:
            self.completer.person_chosen.connect(self._chosen)
        self._chosen_person: Person | None = None
        self.add_button = QPushButton("&Add", self, objectName="permissionsAdd")
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button = QPushButton("&Remove", self, objectName="permissionsRemove")
        self.remove_button.clicked.connect(self.remove_selected)
        add_row = QHBoxLayout()
        add_row.setSpacing(6)
        add_row.addWidget(self.add_edit, 1)
        add_row.addWidget(self.add_button)
        add_row.addWidget(self.remove_button)
        self.add_row = QWidget(self)
        self.add_row.setLayout(add_row)
        add_row.setContentsMargins(0, 0, 0, 0)

        self.editor = QGroupBox("Role", self, objectName="permissionsEditor")
        self.role_combo = QComboBox(self.editor, objectName="permissionsRole")
        self.role_combo.setAccessibleName("Role")
        self.role_combo.currentIndexChanged.connect(self._role_picked)
        self.role_description = QLabel("", self.editor, objectName="permissionsRoleDescription")
        self.role_description.setWordWrap(True)
        self.role_description.setStyleSheet("color: palette(placeholder-text);")
        self.flag_boxes: dict[str, QCheckBox] = {}
        boxes = QGridLayout()
        boxes.setHorizontalSpacing(18)
        for i, (name, label) in enumerate(_BOOLS):
            box = QCheckBox(label, self.editor)
            box.setObjectName(f"permissionsFlag_{name}")
            box.toggled.connect(self._flags_edited)
            self.flag_boxes[name] = box
            boxes.addWidget(box, i // 3, i % 3)
        self.read_combo = self._scope_combo("permissionsRead", "Read items")
        self.edit_combo = self._scope_combo("permissionsEdit", "Change items")
        self.delete_combo = self._scope_combo("permissionsDelete", "Delete items")
        for combo, scopes, words in ((self.edit_combo, SCOPES, SCOPE_WORDS), (self.delete_combo, SCOPES, SCOPE_WORDS)):
            for scope in scopes:
                combo.addItem(words[scope], scope)
        scope_row = QHBoxLayout()
        scope_row.setSpacing(8)
        for label, combo in (("Read:", self.read_combo), ("Change:", self.edit_combo),
                             ("Delete:", self.delete_combo)):
            scope_row.addWidget(QLabel(label, self.editor))
            scope_row.addWidget(combo, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Role:", self.role_combo)
        form.addRow("", self.role_description)
        line = QFrame(self.editor)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        editor_layout = QVBoxLayout(self.editor)
        editor_layout.setSpacing(8)
        editor_layout.addLayout(form)
        editor_layout.addWidget(line)
        editor_layout.addLayout(boxes)
        editor_layout.addLayout(scope_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.intro)
        layout.addWidget(self.read_only_banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.add_row)
        layout.addWidget(self.editor)
        self.hint = QLabel("", self, objectName="permissionsHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.hint.hide()
        layout.addWidget(self.hint)
        self._update_buttons()

    def _scope_combo(self, name: str, accessible: str) -> QComboBox:
        combo = QComboBox(self.editor, objectName=name)
        combo.setAccessibleName(accessible)
        combo.currentIndexChanged.connect(self._flags_edited)
        return combo

    # -- public ------------------------------------------------------------------------------------------------------
    def set_permissions(self, perms: FolderPermissions, folder_name: str, mailbox_name: str,
                        hint: str = "") -> None:
        """Show a folder's permission set (editable when ``perms.editable``), with a ``hint`` for owners."""
        self._perms = self._original = perms
        self.intro.setText(f"Who may open <b>{_html(folder_name)}</b> in {_html(mailbox_name)}, and what they may "
                           "do there. Everyone not listed gets the <i>Default</i> role.")
        editable = perms.editable
        self.read_only_banner.setVisible(not editable)
        self.read_only_banner.setText(f"You can see who has access, but you cannot change it. {perms.reason}")
        self.add_row.setVisible(editable)
        self.hint.setText(hint)
        self.hint.setVisible(editable and bool(hint))
        self._filling = True
        self.role_combo.clear()
        for role in roles_for(perms.calendar):
            self.role_combo.addItem(role.label, role.level)
            self.role_combo.setItemData(self.role_combo.count() - 1, role.description, Qt.ItemDataRole.ToolTipRole)
        self.role_combo.addItem("Custom", CUSTOM)
        self.read_combo.clear()
        for scope in CALENDAR_READ_SCOPES if perms.calendar else READ_SCOPES:
            self.read_combo.addItem(READ_WORDS[scope], scope)
        self._filling = False
        self._fill_table()
        self.table.selectRow(0)
        self._show_selected()

    def permissions(self) -> FolderPermissions | None:
        """The permission set as edited."""
        return self._perms

    def is_modified(self) -> bool:
        return self._perms is not None and self._original is not None and \
            self._perms.entries != self._original.entries

    def rows(self) -> list[tuple[str, str]]:
        """(name, role) as listed, for tests and screen readers."""
        return [(self.table.item(r, 0).text(), self.table.item(r, 1).text()) for r in range(self.table.rowCount())]

    def select(self, user: Person | str) -> bool:
        """Select a person's (or Default's) row; returns whether it is listed."""
        key = user.casefold() if isinstance(user, str) else user.address.casefold()
        for row, entry in enumerate(self._entries()):
            if entry.key == key:
                self.table.selectRow(row)
                return True
        return False

    def selected(self) -> PermissionEntry | None:
        row = self.table.currentRow()
        entries = self._entries()
        return entries[row] if 0 <= row < len(entries) else None

    def set_role(self, level: str) -> None:
        """Give the selected entry a role (``Reviewer``), as picking it in the list does."""
        index = self.role_combo.findData(level)
        if index >= 0:
            self.role_combo.setCurrentIndex(index)

    def add_person(self, person: Person) -> None:
        """Add a person with :data:`NEW_PERSON_ROLE` (or select them when listed already)."""
        if self._perms is None or not self._perms.editable:
            return
        if self._perms.entry(person) is None:
            self._perms = self._perms.with_entry(PermissionEntry.with_role(person, NEW_PERSON_ROLE))
            self._fill_table()
            self.changed.emit()
        self.select(person)
        self.add_edit.clear()
        self._chosen_person = None

    def add_typed(self) -> None:
        """Add what the "Add" field holds: the person picked from the suggestions, or a typed address."""
        text = self.add_edit.text().strip()
        person = self._chosen_person
        if person is None or person.address.casefold() != text.casefold():
            if "@" not in text:
                self.add_edit.setFocus()
                return  # a name alone: wait for the directory's suggestions
            person = Person(text)
        self.add_person(person)

    def remove_selected(self) -> None:
        """Remove the selected person; Default and Anonymous are set to None instead."""
        entry = self.selected()
        if entry is None or self._perms is None or not self._perms.editable:
            return
        row = self.table.currentRow()
        self._perms = self._perms.without(entry.user)
        self._fill_table()
        self.table.selectRow(min(row, self.table.rowCount() - 1))
        self.changed.emit()

    # -- internals ---------------------------------------------------------------------------------------------------
    def _entries(self) -> list[PermissionEntry]:
        return list(self._perms.entries) if self._perms is not None else []

    def _chosen(self, person: Person) -> None:
        self._chosen_person = person
        self.add_person(person)

    def _fill_table(self) -> None:
        row = self.table.currentRow()
        self.table.setRowCount(0)
        for entry in self._entries():
            r = self.table.rowCount()
            self.table.insertRow(r)
            text = entry.name
            if isinstance(entry.user, Person) and entry.user.name:
                text = f"{entry.user.name}  ·  {entry.user.address}"
            name = QTableWidgetItem(avatar(entry), text)
            name.setToolTip(entry.description)
            role = QTableWidgetItem(entry.role_label)
            role.setToolTip(entry.description)
            self.table.setItem(r, 0, name)
            self.table.setItem(r, 1, role)
        if 0 <= row < self.table.rowCount():
            self.table.selectRow(row)

    def _show_selected(self) -> None:
        entry = self.selected()
        editable = self._perms is not None and self._perms.editable
        self.editor.setEnabled(entry is not None and editable)
        self._update_buttons()
        if entry is None:
            return
        self.editor.setTitle(f"Role of {entry.name if isinstance(entry.user, Person) else entry.user}")
        self._filling = True
        self.role_combo.setCurrentIndex(max(0, self.role_combo.findData(entry.level if entry.level else CUSTOM)))
        self.role_description.setText(entry.description if entry.level != CUSTOM else CUSTOM_DESCRIPTION)
        for name, box in self.flag_boxes.items():
            box.setChecked(bool(getattr(entry.flags, name)))
        for combo, value in ((self.read_combo, entry.flags.read_items), (self.edit_combo, entry.flags.edit_items),
                             (self.delete_combo, entry.flags.delete_items)):
            combo.setCurrentIndex(max(0, combo.findData(value)))
        self._filling = False

    def _update_buttons(self) -> None:
        entry = self.selected()
        editable = self._perms is not None and self._perms.editable
        self.add_button.setEnabled(editable and bool(self.add_edit.text().strip()))
        self.remove_button.setEnabled(editable and entry is not None)
        self.remove_button.setText("Set to &None" if entry is not None and entry.is_special else "&Remove")
        self.remove_button.setToolTip("Default and Anonymous always stay; their role becomes None."
                                      if entry is not None and entry.is_special else "Take away this person's access.")

    def _role_picked(self, index: int) -> None:
        if self._filling or index < 0:
            return
        entry = self.selected()
        level = self.role_combo.itemData(index)
        if entry is None or self._perms is None or level == entry.level:
            return
        if level == CUSTOM:
            updated = PermissionEntry(entry.user, CUSTOM, entry.flags, entry.sid)
        else:
            updated = PermissionEntry.with_role(entry.user, level)
        self._replace(updated)

    def _flags_edited(self, *_: object) -> None:
        if self._filling:
            return
        entry = self.selected()
        if entry is None or self._perms is None:
            return
        values: dict[str, Any] = {name: box.isChecked() for name, box in self.flag_boxes.items()}
        values.update(read_items=self.read_combo.currentData() or "None",
                      edit_items=self.edit_combo.currentData() or "None",
                      delete_items=self.delete_combo.currentData() or "None")
        flags = PermissionFlags(**values)
        if flags != entry.flags:
            self._replace(PermissionEntry.custom(entry.user, flags, self._perms.calendar))

    def _replace(self, entry: PermissionEntry) -> None:
        assert self._perms is not None
        row = self.table.currentRow()
        self._perms = self._perms.with_entry(entry)
        self._fill_table()
        self.table.selectRow(row)
        self._show_selected()
        self.changed.emit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
