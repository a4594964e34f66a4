"""Mailbox ▸ Rules…: a mailbox's inbox rules in priority order, each with an on/off switch and a summary.

New, edit, duplicate, delete, move up/down and "Run now" on a folder's messages. Managing a mailbox's rules needs
Full Access (Exchange refuses others): without it the dialog says why and shows what it may (Exchange shows a
delegate nothing). When Outlook keeps client-only rules in the mailbox, the first change asks before going on,
because saving removes them (as Microsoft documents).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import Category
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.rights import Capability
from app.domain.rules import OUTLOOK_BLOB_WARNING, Rule, summary
from app.services.rules import RulesService
from app.views.admin_widgets import Banner
from app.views.item_paint import draw_item_without_text
from app.views.list_manager import ListManagerDialog
from app.views.rule_editor import RuleEditorDialog

RuleRole = int(Qt.ItemDataRole.UserRole) + 1
SummaryRole = int(Qt.ItemDataRole.UserRole) + 2


class RuleDelegate(QStyledItemDelegate):
    """Two lines per rule: its name (bold; grey and "off" when switched off) and its summary."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 16)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        opt, style = draw_item_without_text(self, painter, option, index)
        if style is not None:
            check = style.subElementRect(QStyle.SubElement.SE_ItemViewItemCheckIndicator, opt, opt.widget)
            left = check.right() + 8
        else:
            left = option.rect.left() + 28
        rule: Rule | None = index.data(RuleRole)
        if rule is None:
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        text_color = option.palette.highlightedText().color() if selected else option.palette.text().color()
        dim = QColor(text_color)
        dim.setAlphaF(0.62)
        rect = QRect(left, option.rect.top() + 6, option.rect.right() - left - 8, option.rect.height() - 12)
        half = rect.height() // 2
        painter.save()
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color if rule.enabled else dim)
        name = f"{rule.priority}. {rule.name}" + ("" if rule.enabled else "  (off)")
        if rule.in_error:
            name += "  ⚠ broken"
        painter.drawText(QRect(rect.left(), rect.top(), rect.width(), half), Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(bold).elidedText(name, Qt.TextElideMode.ElideRight, rect.width()))
        painter.setFont(option.font)
        painter.setPen(dim)
        text = index.data(SummaryRole) or ""
        painter.drawText(QRect(rect.left(), rect.top() + half, rect.width(), half), Qt.AlignmentFlag.AlignVCenter,
                         QFontMetrics(option.font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width()))
        painter.restore()


class RulesManagerDialog(ListManagerDialog):
    """The rules of one mailbox (non-modal).

    Args:
        service: The rules service.
        mailbox: The mailbox.
        capability: Whether the user may change its rules (the reason when not).
        folders: The mailbox's folders as the user sees them (targets, "run now").
        labels: The mailbox's labels (for the editor).
        parent: Parent widget.
    """

    def __init__(self, service: RulesService, mailbox: MailboxRef, capability: Capability,
                 folders: Sequence[FolderNode], labels: Sequence[Category], parent: QWidget | None = None) -> None:
        super().__init__(mailbox, capability, object_name="rulesManagerDialog",
                         title=f"Rules of {mailbox.display_name}", size=(720, 520), parent=parent)
        self.service = service
        self.folders = list(folders)
        self.labels = list(labels)
        self.rule_set: Any = None
        self.editor: RuleEditorDialog | None = None
        self._after_consent: Callable[[], None] | None = None
        self._pending_delete: Rule | None = None
        self._loading = True
        self._names = {n.ref.key: n.name for n in self.folders}
        self._wells = {n.well_known: n.name for n in self.folders if n.well_known}
        self._build()
        service.rules_loaded.connect(self._on_rules)
        self._update_buttons()
        service.load(mailbox.address, on_error=self._on_load_error)

    # -- building ------------------------------------------------------------------------------------------
    def _build(self) -> None:
        heading = self._heading(f"Inbox rules of {self.mailbox.display_name}",
                                "Exchange runs these rules on every message that arrives in this mailbox, top to "
                                "bottom, even when nobody has Mailroom open.")
        self.blob_banner = Banner(self)
        self.list = QListWidget(self)
        self.list.setObjectName("ruleList")
        self.list.setAccessibleName("Rules, in the order they run")
        self.list.setItemDelegate(RuleDelegate(self.list))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setAlternatingRowColors(True)
        self.list.itemChanged.connect(self._on_item_changed)
        self.list.currentRowChanged.connect(lambda _r: self._update_buttons())
        self.list.itemDoubleClicked.connect(lambda _i: self.edit_current())
        self.placeholder = QLabel("Loading the rules …", self)
        self.placeholder.setObjectName("rulesPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(24)
        self.placeholder.setStyleSheet("QLabel#rulesPlaceholder { color: palette(placeholder-text);"
                                       " border: 1px solid palette(mid); background: palette(base); }")

        self.new_button = QPushButton("&New rule…", self)
        self.edit_button = QPushButton("&Edit…", self)
        self.duplicate_button = QPushButton("D&uplicate", self)
        self.delete_button = QPushButton("&Delete…", self)
        self.up_button = QPushButton("Move &up", self)
        self.down_button = QPushButton("Move do&wn", self)
        self.new_button.clicked.connect(self.new_rule)
        self.edit_button.clicked.connect(self.edit_current)
        self.duplicate_button.clicked.connect(self.duplicate_current)
        self.delete_button.clicked.connect(self.delete_current)
        self.up_button.clicked.connect(lambda: self.move_current(-1))
        self.down_button.clicked.connect(lambda: self.move_current(+1))
        column = QVBoxLayout()
        column.addWidget(self.list, 1)
        column.addWidget(self.placeholder, 1)
        self.list.hide()
        middle = self._beside(column, [self.new_button, self.edit_button, self.duplicate_button, self.delete_button,
                                       12, self.up_button, self.down_button])

        self.run_folder = QComboBox(self)
        self.run_folder.setObjectName("runFolder")
        self.run_folder.setAccessibleName("Folder to run the rule on")
        for node in self.folders:
            if node.kind == FolderKind.MAIL and node.rights.read:
                self.run_folder.addItem(node.name, node.ref)
        inbox = next((i for i in range(self.run_folder.count())
                      if self.run_folder.itemData(i).well_known == "inbox"), 0)
        self.run_folder.setCurrentIndex(inbox)
        self.run_button = QPushButton("&Run now", self)
        self.run_button.clicked.connect(lambda: self.run_current(self.run_folder.currentData()))
        run_row = QHBoxLayout()
        run_row.addWidget(QLabel("Apply the selected rule to the messages already in", self))
        run_row.addWidget(self.run_folder)
        run_row.addWidget(self.run_button)
        run_row.addStretch(1)

        self._lay_out(heading, middle, run_row, error_name="rulesError", banners=[self.blob_banner])
        if not self.capability.allowed:
            self.banner.show_text(f"{self.capability.reason} Without Full Access you cannot change them, and "
                                  "Exchange may not show them at all.")

    # -- state ---------------------------------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        return list(self.rule_set.rules) if self.rule_set is not None else []

    def current_rule(self) -> Rule | None:
        item = self.list.currentItem()
        return item.data(RuleRole) if item is not None else None

    def select(self, name: str) -> bool:
        for row in range(self.list.count()):
            if self.list.item(row).data(RuleRole).name == name:
                self.list.setCurrentRow(row)
                return True
        return False

    def summaries(self) -> list[str]:
        return [self.list.item(r).data(SummaryRole) for r in range(self.list.count())]

    def folder_name(self, ref: FolderRef) -> str:
        return self._names.get(ref.key) or self._wells.get(ref.well_known, "")

    def is_busy(self) -> bool:
        return self._loading

    # -- actions -------------------------------------------------------------------------------------------
    def new_rule(self) -> RuleEditorDialog | None:
        if not self._allowed():
            return None
        return self.open_editor(Rule(priority=len(self.rules()) + 1))

    def edit_current(self) -> RuleEditorDialog | None:
        rule = self.current_rule()
        if rule is None:
            return None
        return self.open_editor(rule)

    def duplicate_current(self) -> None:
        rule = self.current_rule()
        if rule is not None and self._allowed():
            self._write(lambda: self.service.duplicate(self.mailbox.address, rule, on_error=self._show_error))

    def delete_current(self) -> None:
        rule = self.current_rule()
        if rule is None or not self._allowed():
            return
        self._pending_delete = rule
        self.question.ask(f"Delete the rule “{rule.name}”? Exchange stops running it at once.",
                          [("delete", "Delete the rule")])

    def move_current(self, step: int) -> None:
        rule = self.current_rule()
        if rule is None or not self._allowed():
            return
        priority = rule.priority + step
        if not 1 <= priority <= len(self.rules()):
            return
        self._write(lambda: self.service.move(self.mailbox.address, rule, priority, on_error=self._show_error),
                    select=rule.name)

    def set_enabled(self, rule: Rule, enabled: bool) -> None:
        if not self._allowed():
            self._fill()
            return
        self._write(lambda: self.service.set_enabled(self.mailbox.address, rule, enabled, on_error=self._show_error),
                    select=rule.name)

    def run_current(self, folder: FolderRef | None) -> Any:
        """Run the selected rule on the messages already in ``folder`` (background, progress in the dialog)."""
        rule = self.current_rule()
        if rule is None or folder is None or not self._allowed():
            return None
        return self._track(self.service.run_now(folder, rule, self.folder_name(folder)))

    # -- internals -----------------------------------------------------------------------------------------
    def _write(self, action: Callable[[], None], select: str = "") -> None:
        """Run a change, asking first when it would remove Outlook's client-only rules."""
        self.error_label.hide()
        self._select_after = select
        if self.service.needs_blob_consent(self.mailbox.address):
            self._after_consent = action
            self.question.ask(OUTLOOK_BLOB_WARNING + " Save the change anyway?", [("consent", "Save anyway")])
            return
        action()

    def open_editor(self, rule: Rule) -> RuleEditorDialog:
        if self.editor is not None:
            self.editor.close()
        editor = RuleEditorDialog(rule, self.mailbox, self.folders, self.labels, read_only=not self.capability.allowed,
                                  reason=self.capability.reason, parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        editor.save_requested.connect(lambda r: self._save(editor, r))
        editor.finished.connect(lambda _r: setattr(self, "editor", None) if self.editor is editor else None)
        self.editor = editor
        editor.open()
        return editor

    def _save(self, editor: RuleEditorDialog, rule: Rule) -> None:
        def done(_rules: Any) -> None:
            editor.saved()

        def failed(reason: str) -> None:
            editor.failed(reason)
            self._show_error(reason)

        def save() -> None:
            self.service.save(self.mailbox.address, rule, on_result=done, on_error=failed)

        if self.service.needs_blob_consent(self.mailbox.address):
            editor.failed("Confirm below that client-only Outlook rules may be removed, then save again.")
        self._write(save, select=rule.name)

    def _on_answer(self, key: str) -> None:
        if key == "consent":
            self.service.consent_to_blob_removal(self.mailbox.address)
            action, self._after_consent = self._after_consent, None
            if action is not None:
                action()
            return
        if key == "delete" and self._pending_delete is not None:
            rule, self._pending_delete = self._pending_delete, None
            self._write(lambda: self.service.delete(self.mailbox.address, rule, on_error=self._show_error))
            return
        self._after_consent = None
        self._pending_delete = None
        self._fill()

    def _on_rules(self, mailbox: str, rule_set: Any) -> None:
        if not self._is_mine(mailbox):
            return
        self._loading = False
        self.rule_set = rule_set
        self.blob_banner.show_text(OUTLOOK_BLOB_WARNING if rule_set.outlook_blob else "", "warning")
        select = getattr(self, "_select_after", "") or (self.current_rule().name if self.current_rule() else "")
        self._fill()
        if not (select and self.select(select)) and self.list.count():
            self.list.setCurrentRow(0)

    def _on_load_error(self, text: str) -> None:
        self._loading = False
        self.placeholder.setText(f"The rules cannot be shown.\n\n{text}")
        if self.capability.allowed:
            self.banner.show_text(text, "warning")
        self._update_buttons()

    def _fill(self) -> None:
        self.list.blockSignals(True)
        current = self.current_rule()
        self.list.clear()
        for rule in sorted(self.rules(), key=lambda r: r.priority):
            item = QListWidgetItem(self.list)
            item.setData(RuleRole, rule)
            item.setData(SummaryRole, summary(rule, self.folder_name))
            item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{rule.name}, {'on' if rule.enabled else 'off'}")
            item.setToolTip(f"{item.data(SummaryRole)}\nTick or untick to switch the rule on or off.")
            flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
            if self.capability.allowed:
                flags |= Qt.ItemFlag.ItemIsUserCheckable
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked)
        if current is not None:
            self.select(current.name)
        self.list.blockSignals(False)
        self.placeholder.setText("This mailbox has no rules yet." if self.rule_set is not None else
                                 self.placeholder.text())
        self.placeholder.setVisible(self.list.count() == 0)
        self.list.setVisible(self.list.count() > 0)
        self._update_buttons()

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        rule: Rule = item.data(RuleRole)
        on = item.checkState() == Qt.CheckState.Checked
        if rule is not None and on != rule.enabled:
            self.set_enabled(rule, on)

    def _update_buttons(self) -> None:
        rule = self.current_rule()
        count = len(self.rules())
        no_rights = self.capability.reason if not self.capability.allowed else ""
        pick = "" if rule is not None else "Select a rule first."
        states = {
            self.new_button: no_rights or ("" if self.rule_set is not None else "The rules are not loaded."),
            self.edit_button: pick,
            self.duplicate_button: no_rights or pick,
            self.delete_button: no_rights or pick,
            self.up_button: no_rights or pick or ("It runs first already." if rule and rule.priority <= 1 else ""),
            self.down_button: no_rights or pick or ("It runs last already." if rule and rule.priority >= count
                                                    else ""),
            self.run_button: no_rights or pick or ("" if self.run_folder.count() else "No folder to run it on."),
        }
        self._explain(states)
        self.edit_button.setText("&View…" if no_rights else "&Edit…")
