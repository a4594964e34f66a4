"""The rule editor: name, conditions, exceptions and actions of one inbox rule, checked before it is saved.

Conditions and exceptions use the same form. A rule needs at least one action and an existing target folder;
problems are listed in plain words under the tabs, and a live one-line summary shows what the rule will do.
The editor does not save by itself: it emits :attr:`RuleEditorDialog.save_requested` with the rule, and the
rules manager saves it (and reports back with :meth:`RuleEditorDialog.saved` or :meth:`RuleEditorDialog.failed`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.categories import Category
from app.domain.folders import FolderKind, FolderNode, FolderRef
from app.domain.mailbox import MailboxRef
from app.domain.rules import (
    IMPORTANCES,
    Predicates,
    Rule,
    RuleActions,
    split_values,
    summary,
    validate,
    warnings,
)
from app.models.icons import folder_icon
from app.views.admin_widgets import LabelChooser

FLAG_REASON = ("Exchange's server rules cannot flag messages (only Outlook's client-only rules can). "
               "Use a label or “Mark importance” instead.")


def _line(placeholder: str, name: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    edit.setAccessibleName(name)
    edit.setClearButtonEnabled(True)
    return edit


def _importance(any_text: str) -> QComboBox:
    box = QComboBox()
    box.addItem(any_text, "")
    for value in IMPORTANCES:
        box.addItem(value, value)
    return box


class PredicatesForm(QWidget):
    """The fields of the conditions (or exceptions) of a rule."""

    def __init__(self, labels: Sequence[Category], exceptions: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.from_edit = _line("alice@example.com; bob@example.com", "From")
        self.to_edit = _line("an address on To or Cc", "Sent to")
        self.subject_edit = _line("words or phrases, separated by ;", "Subject contains")
        self.body_edit = _line("words or phrases, separated by ;", "Body contains")
        self.either_edit = _line("words or phrases, separated by ;", "Subject or body contains")
        self.labels = LabelChooser(labels, self, "any of these labels")
        self.attachments = QCheckBox("It has attachments", self)
        self.only_me = QCheckBox("It was sent only to this mailbox", self)
        self.only_me.setToolTip("The mailbox is the message's only recipient (“sent only to me”).")
        self.importance = _importance("Any importance")
        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        intro = QLabel("Skip the message if any of these is true:" if exceptions else
                       "Act on a message when all of these are true (leave a field empty to ignore it):", self)
        intro.setWordWrap(True)
        intro.setStyleSheet("color: palette(placeholder-text);")
        form.addRow(intro)
        form.addRow("&From:", self.from_edit)
        form.addRow("Sent &to:", self.to_edit)
        form.addRow("&Subject contains:", self.subject_edit)
        form.addRow("&Body contains:", self.body_edit)
        form.addRow("Subject or bod&y:", self.either_edit)
        form.addRow("&Has label:", self.labels)
        form.addRow("&Importance:", self.importance)
        form.addRow("", self.attachments)
        form.addRow("", self.only_me)
        self.other = QLabel("", self)
        self.other.setWordWrap(True)
        self.other.setStyleSheet("color: palette(placeholder-text);")
        form.addRow(self.other)
        self._other: tuple[str, ...] = ()

    def set_value(self, p: Predicates) -> None:
        self.from_edit.setText("; ".join(p.from_addresses))
        self.to_edit.setText("; ".join(p.sent_to))
        self.subject_edit.setText("; ".join(p.subject_contains))
        self.body_edit.setText("; ".join(p.body_contains))
        self.either_edit.setText("; ".join(p.subject_or_body_contains))
        self.labels.set_values(p.categories)
        self.attachments.setChecked(p.has_attachments)
        self.only_me.setChecked(p.sent_only_to_me)
        self.importance.setCurrentIndex(max(0, self.importance.findData(p.importance)))
        self._other = p.other
        self.other.setText(f"Also (kept as it is): {'; '.join(p.other)}." if p.other else "")
        self.other.setVisible(bool(p.other))

    def value(self) -> Predicates:
        return Predicates(
            from_addresses=split_values(self.from_edit.text()), sent_to=split_values(self.to_edit.text()),
            subject_contains=split_values(self.subject_edit.text()),
            body_contains=split_values(self.body_edit.text()),
            subject_or_body_contains=split_values(self.either_edit.text()),
            has_attachments=self.attachments.isChecked(), importance=self.importance.currentData() or "",
            sent_only_to_me=self.only_me.isChecked(), categories=self.labels.values(), other=self._other,
        )

    def widgets(self) -> list[QWidget]:
        return [self.from_edit, self.to_edit, self.subject_edit, self.body_edit, self.either_edit, self.labels.edit,
                self.attachments, self.only_me, self.importance]


class FolderCombo(QComboBox):
    """The mailbox's mail folders, indented as in the sidebar; ``currentData()`` is the FolderRef."""

    def __init__(self, folders: Sequence[FolderNode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        nodes = [n for n in folders if n.kind in (FolderKind.MAIL, FolderKind.OTHER)]
        ids = {n.ref.folder_id for n in nodes}
        by_parent: dict[str, list[FolderNode]] = {}
        for n in nodes:
            by_parent.setdefault(n.parent_id if n.parent_id in ids else "", []).append(n)

        def add(parent_id: str, depth: int) -> None:
            for node in sorted(by_parent.get(parent_id, []), key=FolderNode.sort_key):
                self.addItem(folder_icon(node.well_known or node.kind.value), "    " * depth + node.name, node.ref)
                if depth < 32 and node.ref.folder_id:
                    add(node.ref.folder_id, depth + 1)

        add("", 0)
        self.setMinimumContentsLength(18)

    def select(self, ref: FolderRef | None) -> None:
        if ref is None:
            return
        for i in range(self.count()):
            known: FolderRef = self.itemData(i)
            if known is not None and (known.key == ref.key or (ref.well_known and known.well_known == ref.well_known)):
                self.setCurrentIndex(i)
                return
        self.addItem("(a folder that no longer exists)", ref)
        self.setCurrentIndex(self.count() - 1)


class ActionsForm(QWidget):
    """What the rule does."""

    def __init__(self, folders: Sequence[FolderNode], labels: Sequence[Category],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.move = QCheckBox("&Move it to", self)
        self.move_folder = FolderCombo(folders, self)
        self.copy = QCheckBox("&Copy it to", self)
        self.copy_folder = FolderCombo(folders, self)
        self.label = QCheckBox("&Label it", self)
        self.labels = LabelChooser(labels, self)
        self.read = QCheckBox("Mark it as &read", self)
        self.mark_importance = QCheckBox("Mark its im&portance as", self)
        self.importance = _importance("High")
        self.importance.removeItem(0)
        self.importance.setCurrentIndex(self.importance.findData("High"))
        self.flag = QCheckBox("&Flag it for follow-up", self)
        self.flag.setEnabled(False)
        self.flag.setToolTip(FLAG_REASON)
        self.forward = QCheckBox("F&orward it to", self)
        self.forward_to = _line("addresses, separated by ;", "Forward to")
        self.redirect = QCheckBox("R&edirect it to", self)
        self.redirect_to = _line("addresses, separated by ;", "Redirect to")
        self.delete = QCheckBox("&Delete it (to Deleted Items)", self)
        self.stop = QCheckBox("&Stop processing more rules", self)
        self.other = QLabel("", self)
        self.other.setWordWrap(True)
        self.other.setStyleSheet("color: palette(placeholder-text);")
        grid = QGridLayout(self)
        grid.setColumnStretch(1, 1)
        rows: list[tuple[QWidget, QWidget | None]] = [
            (self.move, self.move_folder), (self.copy, self.copy_folder), (self.label, self.labels),
            (self.read, None), (self.mark_importance, self.importance), (self.flag, None),
            (self.forward, self.forward_to), (self.redirect, self.redirect_to), (self.delete, None),
            (self.stop, None),
        ]
        for row, (check, field) in enumerate(rows):
            grid.addWidget(check, row, 0)
            if field is not None:
                grid.addWidget(field, row, 1)
                field.setEnabled(False)
                check.toggled.connect(field.setEnabled)
        grid.addWidget(self.other, len(rows), 0, 1, 2)
        grid.setRowStretch(len(rows) + 1, 1)
        self._other: tuple[str, ...] = ()

    def set_value(self, a: RuleActions) -> None:
        self.move.setChecked(a.move_to is not None)
        self.move_folder.select(a.move_to)
        self.copy.setChecked(a.copy_to is not None)
        self.copy_folder.select(a.copy_to)
        self.label.setChecked(bool(a.assign_labels))
        self.labels.set_values(a.assign_labels)
        self.read.setChecked(a.mark_as_read)
        self.mark_importance.setChecked(bool(a.mark_importance))
        if a.mark_importance:
            self.importance.setCurrentIndex(max(0, self.importance.findData(a.mark_importance)))
        self.forward.setChecked(bool(a.forward_to))
        self.forward_to.setText("; ".join(a.forward_to))
        self.redirect.setChecked(bool(a.redirect_to))
        self.redirect_to.setText("; ".join(a.redirect_to))
        self.delete.setChecked(a.delete)
        self.stop.setChecked(a.stop_processing)
        self._other = a.other
        self.other.setText(f"Also (kept as it is): {'; '.join(a.other)}." if a.other else "")
        self.other.setVisible(bool(a.other))

    def value(self) -> RuleActions:
        return RuleActions(
            move_to=self.move_folder.currentData() if self.move.isChecked() else None,
            copy_to=self.copy_folder.currentData() if self.copy.isChecked() else None,
            assign_labels=self.labels.values() if self.label.isChecked() else (),
            mark_as_read=self.read.isChecked(),
            mark_importance=self.importance.currentData() if self.mark_importance.isChecked() else "",
            forward_to=split_values(self.forward_to.text()) if self.forward.isChecked() else (),
            redirect_to=split_values(self.redirect_to.text()) if self.redirect.isChecked() else (),
            delete=self.delete.isChecked(), stop_processing=self.stop.isChecked(), other=self._other,
        )

    def widgets(self) -> list[QWidget]:
        return [self.move, self.move_folder, self.copy, self.copy_folder, self.label, self.labels.edit, self.read,
                self.mark_importance, self.importance, self.forward, self.forward_to, self.redirect,
                self.redirect_to, self.delete, self.stop]


class RuleEditorDialog(QDialog):
    """Edit (or create) one rule.

    Args:
        rule: The rule to edit; a new one has no id.
        mailbox: Whose rule it is.
        folders: The mailbox's folders (targets, and "does the folder still exist").
        labels: The mailbox's labels (to choose from).
        read_only: Only show the rule (no Full Access); ``reason`` says why.
        parent: Parent widget.

    Signals:
        save_requested(Rule): the user pressed Save and the rule is valid.
    """

    save_requested = Signal(object)

    def __init__(self, rule: Rule, mailbox: MailboxRef, folders: Sequence[FolderNode], labels: Sequence[Category],
                 *, read_only: bool = False, reason: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ruleEditorDialog")
        self.setWindowTitle(("New rule" if not rule.id else f"Rule “{rule.name}”") + f" — {mailbox.display_name}")
        self.resize(640, 540)
        self._original = rule
        self._mailbox = mailbox
        self._names = {n.ref.key: n.name for n in folders}
        self._wells = {n.well_known: n.name for n in folders if n.well_known}
        self.read_only = read_only
        self.name_edit = QLineEdit(rule.name, self)
        self.name_edit.setObjectName("ruleName")
        self.name_edit.setPlaceholderText("For example: Invoices to Billing questions")
        self.name_edit.setAccessibleName("Rule name")
        self.enabled = QCheckBox("Rule is &on", self)
        self.enabled.setChecked(rule.enabled)
        self.conditions = PredicatesForm(labels, False, self)
        self.exceptions = PredicatesForm(labels, True, self)
        self.actions = ActionsForm(folders, labels, self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.conditions, "Conditions")
        self.tabs.addTab(self.actions, "Actions")
        self.tabs.addTab(self.exceptions, "Exceptions")
        self.summary_label = QLabel(self)
        self.summary_label.setObjectName("ruleSummary")
        self.summary_label.setWordWrap(True)
        self.summary_label.setStyleSheet("QLabel#ruleSummary { background: palette(alternate-base);"
                                         " border: 1px solid palette(mid); border-radius: 4px; padding: 6px; }")
        self.problems_label = QLabel(self)
        self.problems_label.setObjectName("ruleProblems")
        self.problems_label.setWordWrap(True)
        self.problems_label.setStyleSheet("color: #a1261a;")
        self.notes_label = QLabel(self)
        self.notes_label.setWordWrap(True)
        self.notes_label.setStyleSheet("color: #7a5b00;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.request_save)
        self.buttons.rejected.connect(self.reject)
        name_row = QHBoxLayout()
        name_row.addWidget(QLabel("&Name:", self))
        name_row.itemAt(0).widget().setBuddy(self.name_edit)
        name_row.addWidget(self.name_edit, 1)
        name_row.addWidget(self.enabled)
        layout = QVBoxLayout(self)
        layout.addLayout(name_row)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.notes_label)
        layout.addWidget(self.problems_label)
        layout.addWidget(self.buttons)
        self.conditions.set_value(rule.conditions)
        self.exceptions.set_value(rule.exceptions)
        self.actions.set_value(rule.actions)
        for widget in [self.name_edit, self.enabled, *self.conditions.widgets(), *self.exceptions.widgets(),
                       *self.actions.widgets()]:
            for signal in ("textChanged", "toggled", "currentIndexChanged"):
                if hasattr(widget, signal):
                    getattr(widget, signal).connect(self._refresh)
            if read_only:
                widget.setEnabled(False)
                widget.setToolTip(reason)
        if read_only:
            self.save_button.setEnabled(False)
            self.save_button.setToolTip(reason)
        self._shown_problems = False
        self._refresh()

    # -- the rule ------------------------------------------------------------------------------------------
    def rule(self) -> Rule:
        """The rule as the fields describe it."""
        return replace(self._original, name=self.name_edit.text().strip(), enabled=self.enabled.isChecked(),
                       conditions=self.conditions.value(), exceptions=self.exceptions.value(),
                       actions=self.actions.value())

    def folder_name(self, ref: FolderRef) -> str:
        return self._names.get(ref.key) or self._wells.get(ref.well_known, "")

    def problems(self) -> list[str]:
        return validate(self.rule(), lambda ref: bool(self.folder_name(ref)))

    def request_save(self) -> bool:
        """Save pressed: emit :attr:`save_requested` when the rule is valid, else show what is wrong."""
        self._shown_problems = True
        self._refresh()
        if self.read_only or self.problems():
            return False
        self.save_button.setEnabled(False)
        self.save_button.setText("Saving …")
        self.save_requested.emit(self.rule())
        return True

    def saved(self) -> None:
        """The manager saved the rule."""
        self.accept()

    def failed(self, reason: str) -> None:
        """The manager could not save the rule: show why, let the user try again."""
        self.save_button.setEnabled(True)
        self.save_button.setText("Save")
        self.problems_label.setText(reason)
        self.problems_label.show()

    # -- internals -----------------------------------------------------------------------------------------
    def _refresh(self, *_: object) -> None:
        rule = self.rule()
        self.summary_label.setText(summary(rule, self.folder_name))
        problems = self.problems()
        if self._shown_problems or (rule.name and not rule.actions.is_empty()):
            self.problems_label.setText("\n".join(f"• {p}" for p in problems))
            self.problems_label.setVisible(bool(problems))
        else:
            self.problems_label.hide()
        notes = warnings(rule)
        if rule.in_error:
            notes.insert(0, "Exchange reports this rule as broken (often its folder was deleted); save it to "
                            "repair it.")
        self._title_tabs(rule)
        self.notes_label.setText("\n".join(notes))
        self.notes_label.setVisible(bool(notes))
        if not self.read_only:
            self.save_button.setEnabled(not problems or not self._shown_problems)

    def _title_tabs(self, rule: Rule) -> None:
        counts = (len(rule.conditions.phrases()), len(rule.actions.phrases(self.folder_name)),
                  len(rule.exceptions.phrases()))
        for index, (title, n) in enumerate(zip(("Conditions", "Actions", "Exceptions"), counts, strict=True)):
            self.tabs.setTabText(index, f"{title} ({n})" if n else title)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.save_button.isEnabled():
            return
        super().keyPressEvent(event)
