"""``--screenshot-dialog labels|rules|rule-editor``: open a label/rule dialog of the open folder's mailbox (the
demo: support@) with its data, for :mod:`app.screenshot`. Each opener calls ``ready(dialog)`` once the dialog
shows what the server said."""

from __future__ import annotations

from typing import Any

from app.domain.rules import Predicates, Rule, RuleActions
from app.views.label_manager import LabelManagerDialog
from app.views.rule_editor import RuleEditorDialog
from app.views.rules_manager import RulesManagerDialog
from app.views.screenshot_wait import Ready, when


def screenshot_labels(window: Any, ready: Ready) -> LabelManagerDialog | None:
    """The label manager of the open mailbox, its counts in, one label selected."""
    dialog = window.admin.controller.open_label_manager(window.mailbox)
    if dialog is None:
        return None
    dialog.resize(560, 420)

    def loaded() -> bool:
        return bool(dialog.names()) and dialog.count_of(dialog.names()[0]) is not None

    def shoot() -> None:
        dialog.select(dialog.names()[min(1, len(dialog.names()) - 1)])
        ready(dialog)

    when(loaded, shoot, dialog)
    return dialog


def _rules_manager(window: Any) -> RulesManagerDialog | None:
    return window.admin.controller.open_rules_manager(window.mailbox)


def screenshot_rules(window: Any, ready: Ready) -> RulesManagerDialog | None:
    """The rules manager of the open mailbox, the first rule selected."""
    dialog = _rules_manager(window)
    if dialog is None:
        return None
    dialog.resize(720, 430)
    when(lambda: dialog.rule_set is not None, lambda: ready(dialog), dialog)
    return dialog


def screenshot_rule_editor(window: Any, ready: Ready) -> RuleEditorDialog | None:
    """A new rule being written in the editor, with conditions, an exception and actions filled in."""
    manager = _rules_manager(window)
    if manager is None:
        return None

    def open_editor() -> None:
        billing = next((n.ref for n in manager.folders if n.name == "Billing questions"), None)
        draft = Rule(
            name="Refund requests to Billing", priority=len(manager.rules()) + 1,
            conditions=Predicates(subject_contains=("refund", "money back"), has_attachments=False),
            exceptions=Predicates(from_addresses=("billing@example.com",)),
            actions=RuleActions(move_to=billing, assign_labels=("Billing",), mark_as_read=False,
                                stop_processing=True),
        )
        editor = manager.open_editor(draft)
        editor.resize(660, 540)
        ready(editor)

    when(lambda: manager.rule_set is not None, open_editor, manager)
    return None
