"""Inbox rules of the open mailboxes: read, save, reorder, switch on/off, duplicate, delete, run now.

Every call runs on the mailbox's task queue and answers with the mailbox's rules as the server has them after
the change (:class:`app.ews.rules.RuleSet`), on :attr:`RulesService.rules_loaded` and to the caller's callback.
Writes name the mailbox in UpdateInboxRules (see :mod:`app.ews.rules`), so a shared mailbox's rules change, never
the signed-in user's own.

Outlook's client-only rules: when the server reports an Outlook rule blob, a write removes it. The views ask the
user first (:meth:`RulesService.needs_blob_consent`); writes pass ``remove_outlook_blob=True`` only once the user
agreed (:meth:`RulesService.consent_to_blob_removal`), else Exchange refuses the change and nothing is lost.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal

from app.domain.errors import Cancelled, user_message
from app.domain.folders import FolderRef
from app.domain.rules import Rule
from app.services.admin_jobs import AdminJob
from app.tasks import TaskRunner

if TYPE_CHECKING:
    from app.ews.client import EwsClient

OnRules = Callable[[Any], Any] | None
OnError = Callable[[str], Any] | None


class RulesService(QObject):
    """Inbox rules per mailbox.

    Args:
        runner: The task runner.
        client_provider: Returns the signed-in user's ``EwsClient``.
        parent: Qt parent.

    Signals:
        rules_loaded(str, object): mailbox, its ``RuleSet`` (after a read or a change).
        failed(str, str): mailbox, why reading or changing its rules failed (user-facing).
        job_started(AdminJob): a "run now" started.
        status(str): a passing message.
    """

    rules_loaded = Signal(str, object)
    failed = Signal(str, str)
    job_started = Signal(object)
    status = Signal(str)
    _worker_status = Signal(str)

    def __init__(self, runner: TaskRunner, client_provider: Callable[[], EwsClient],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._client = client_provider
        self._sets: dict[str, Any] = {}
        self._consented: set[str] = set()
        self._worker_status.connect(self.status, Qt.ConnectionType.QueuedConnection)

    # -- state ---------------------------------------------------------------------------------------------
    def rule_set(self, mailbox: str) -> Any:
        """The ``RuleSet`` last read for a mailbox, or None."""
        return self._sets.get(mailbox.casefold())

    def needs_blob_consent(self, mailbox: str) -> bool:
        """True when the mailbox has Outlook client-only rules that a save would remove and the user has not
        agreed to that yet in this session."""
        rules = self.rule_set(mailbox)
        return bool(rules is not None and rules.outlook_blob and mailbox.casefold() not in self._consented)

    def consent_to_blob_removal(self, mailbox: str) -> None:
        """The user agreed that saving may remove Outlook's client-only rules of this mailbox."""
        self._consented.add(mailbox.casefold())

    # -- reading -------------------------------------------------------------------------------------------
    def load(self, mailbox: str, on_result: OnRules = None, on_error: OnError = None) -> None:
        """Read a mailbox's rules (GetInboxRules naming it)."""
        client = self._client()

        def work() -> Any:
            from app.ews import rules

            return rules.get_rules(client, mailbox, on_wait=self._status_from_worker)

        self._run(mailbox, work, on_result, on_error, f"read the rules of {mailbox}")

    # -- changing ------------------------------------------------------------------------------------------
    def save(self, mailbox: str, rule: Rule, on_result: OnRules = None, on_error: OnError = None) -> None:
        """Create (no id) or change a rule."""
        client, remove = self._client(), self._remove_blob(mailbox)

        def work() -> Any:
            from app.ews import rules

            return rules.save_rule(client, mailbox, rule, remove_outlook_blob=remove, on_wait=self._status_from_worker)

        verb = "change" if rule.id else "create"
        self._run(mailbox, work, on_result, on_error, f"{verb} the rule “{rule.name}”",
                  done=f"Saved the rule “{rule.name}”.")

    def delete(self, mailbox: str, rule: Rule, on_result: OnRules = None, on_error: OnError = None) -> None:
        client, remove = self._client(), self._remove_blob(mailbox)

        def work() -> Any:
            from app.ews import rules

            return rules.delete_rule(client, mailbox, rule.id, remove_outlook_blob=remove,
                                     on_wait=self._status_from_worker)

        self._run(mailbox, work, on_result, on_error, f"delete the rule “{rule.name}”",
                  done=f"Deleted the rule “{rule.name}”.")

    def set_enabled(self, mailbox: str, rule: Rule, enabled: bool, on_result: OnRules = None,
                    on_error: OnError = None) -> None:
        client, remove = self._client(), self._remove_blob(mailbox)

        def work() -> Any:
            from app.ews import rules

            return rules.set_enabled(client, mailbox, rule.id, enabled, remove_outlook_blob=remove,
                                     on_wait=self._status_from_worker)

        self._run(mailbox, work, on_result, on_error, f"{'switch on' if enabled else 'switch off'} “{rule.name}”",
                  done=f"“{rule.name}” is {'on' if enabled else 'off'}.")

    def move(self, mailbox: str, rule: Rule, priority: int, on_result: OnRules = None,
             on_error: OnError = None) -> None:
        """Put a rule at ``priority`` (1 = runs first)."""
        client, remove = self._client(), self._remove_blob(mailbox)

        def work() -> Any:
            from app.ews import rules

            return rules.move_rule(client, mailbox, rule.id, priority, remove_outlook_blob=remove,
                                   on_wait=self._status_from_worker)

        self._run(mailbox, work, on_result, on_error, f"reorder the rule “{rule.name}”")

    def duplicate(self, mailbox: str, rule: Rule, on_result: OnRules = None, on_error: OnError = None) -> None:
        client, remove = self._client(), self._remove_blob(mailbox)

        def work() -> Any:
            from app.ews import rules

            return rules.duplicate_rule(client, mailbox, rule.id, remove_outlook_blob=remove,
                                        on_wait=self._status_from_worker)

        self._run(mailbox, work, on_result, on_error, f"duplicate the rule “{rule.name}”",
                  done=f"Duplicated the rule “{rule.name}”.")

    def run_now(self, folder: FolderRef, rule: Rule, folder_name: str = "") -> AdminJob:
        """Apply a rule to the messages already in ``folder``, in the background (progress, Cancel)."""
        where = folder_name or folder.mailbox
        job = AdminJob(f"Running “{rule.name}” on {where}")
        client = self._client()

        def work(progress: Callable[[int, int], None], cancelled: Callable[[], bool]) -> Any:
            from app.ews import rule_run

            return rule_run.run_rule(client, folder, rule, progress, cancelled)

        def done(result: Any) -> None:
            text = f"“{rule.name}” acted on {result.matched} message{'s' if result.matched != 1 else ''} in {where}."
            if result.skipped:
                text += f" ({' and '.join(result.skipped).capitalize()} is not repeated for messages already there.)"
            self.status.emit(text)

        job.finished.connect(done)
        job.start(self._runner, folder.mailbox, work)
        self.job_started.emit(job)
        return job

    # -- internals -----------------------------------------------------------------------------------------
    def _remove_blob(self, mailbox: str) -> bool:
        rules = self.rule_set(mailbox)
        has_blob = rules is not None and rules.outlook_blob
        return not has_blob or mailbox.casefold() in self._consented

    def _run(self, mailbox: str, work: Callable[[], Any], on_result: OnRules, on_error: OnError, what: str,
             done: str = "") -> None:
        def result(rule_set: Any) -> None:
            self._sets[mailbox.casefold()] = rule_set
            self.rules_loaded.emit(mailbox, rule_set)
            if done:
                self.status.emit(done)
            if on_result is not None:
                on_result(rule_set)

        def error(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                return
            text = f"Could not {what}: {user_message(exc)}"
            self.failed.emit(mailbox, text)
            if on_error is not None:
                on_error(text)

        self._runner.run(work, key=mailbox, on_result=result, on_error=error, description=f"Rules: {what}")

    def _status_from_worker(self, text: str) -> None:
        with contextlib.suppress(RuntimeError):
            self._worker_status.emit(text)
