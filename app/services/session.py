"""Signing in: the flow between the sign-in dialog, the keyring, the settings and :func:`app.ews.signin.sign_in`.

The service runs sign-in in a worker (:mod:`app.tasks`), relays its progress sentences, and on success keeps
the signed-in :class:`~app.ews.signin.SignInResult` (its ``client`` is what every other service uses). The
password goes to the system keyring and nowhere else (:mod:`app.secrets`); it is never logged.

It also remembers, per account, the shared mailboxes the user added or removed, and the last mailbox and
folder, in :mod:`app.settings`.

app.ews is imported inside the workers: exchangelib costs ~0.5 s to import, which should not delay the window.
"""

from __future__ import annotations

import contextlib
import logging
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app import logs, secrets
from app.domain.errors import (
    CertificateUntrusted,
    MailroomError,
    NoSecureStore,
    PasswordMissing,
    user_message,
)
from app.settings import (
    LAST_ACCOUNT,
    LAST_FOLDER,
    LAST_MAILBOX,
    REMEMBER_PASSWORD,
    TRUSTED_CERTIFICATES,
    LastAccount,
    Settings,
)
from app.tasks import TaskHandle, TaskRunner, current_task

if TYPE_CHECKING:
    from app.domain.messages import Person
    from app.ews.signin import SignInResult

log = logging.getLogger(__name__)

LOCATION_SAVE_DELAY_MS = 1000
"""The last mailbox and folder are written this long after the last click (or at :meth:`SessionService.flush`):
saving the file (temporary file + fsync + rename) cost ~13 ms on the GUI thread per folder click."""


@dataclass(frozen=True)
class SignInDetails:
    """What the user typed in the sign-in dialog.

    Attributes:
        address: E-mail address (also the logon name).
        password: The password; never in ``repr``, never written anywhere but the keyring.
        server: Host name or full EWS URL, or "" to discover it.
        auth: ``auto``, ``ntlm`` or ``basic``.
        remember: Keep the password in the system keyring.
    """

    address: str
    password: str = field(repr=False)
    server: str = ""
    auth: str = "auto"
    remember: bool = True


@dataclass(frozen=True)
class CertificateProblem:
    """A server presented a TLS certificate that is not trusted.

    Attributes:
        host: The server's host name (what a trust decision is remembered for).
        subject: The certificate's subject, as the server sent it.
        fingerprint: SHA-256 fingerprint, hex pairs separated by colons.
    """

    host: str
    subject: str
    fingerprint: str


@dataclass(frozen=True)
class SignInPrefill:
    """What the sign-in dialog should show when the app cannot sign in by itself.

    Attributes:
        address / server / auth / remember: As last used ("" / "auto" / True for a first start).
        message: Why the dialog is shown ("" on a first start), in plain words.
        certificate: The untrusted certificate, when that was the reason.
    """

    address: str = ""
    server: str = ""
    auth: str = "auto"
    remember: bool = True
    message: str = ""
    certificate: CertificateProblem | None = None


class SessionService(QObject):
    """Signs the user in and remembers what belongs to the account.

    Args:
        runner: The task runner (sign-in runs there, unkeyed; probes run on the mailbox's queue).
        settings: The loaded settings; this service saves them after each change it makes.

    Signals:
        progress(str): a sentence about the current sign-in step.
        signed_in(SignInResult): sign-in succeeded; :attr:`result` and :attr:`client` are set.
        failed(BaseException): sign-in failed; ``user_message(error)`` is the text to show.
        certificate_untrusted(CertificateProblem): emitted just before ``failed`` when the reason is an
            untrusted TLS certificate; :meth:`trust_certificate` then :meth:`sign_in` retries.
        cancelled(): the running sign-in was cancelled (its outcome will be ignored).
        no_secure_store(str): the password could not be saved because no secure store exists; sign-in goes on.
        needs_credentials(SignInPrefill): :meth:`try_auto_sign_in` could not sign in alone: show the dialog.
        mailboxes_changed(): the added or removed mailboxes of the account changed.
        notice(str): something the user should know that is not an error of sign-in (settings not saved).
    """

    progress = Signal(str)
    signed_in = Signal(object)
    failed = Signal(object)
    certificate_untrusted = Signal(object)
    cancelled = Signal()
    no_secure_store = Signal(str)
    needs_credentials = Signal(object)
    mailboxes_changed = Signal()
    notice = Signal(str)
    # Internal: progress from the worker thread, delivered queued on the GUI thread with the task's id.
    _worker_progress = Signal(int, str)

    def __init__(self, runner: TaskRunner, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self._handle: TaskHandle[Any] | None = None
        self._pending: SignInDetails | None = None
        self._auto = False
        self._result: SignInResult | None = None
        self._worker_progress.connect(self._on_worker_progress, Qt.ConnectionType.QueuedConnection)
        self._unsaved = False  # the last location changed since the last save
        self._save_timer = QTimer(self)  # the debounced save of the last location
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(LOCATION_SAVE_DELAY_MS)
        self._save_timer.timeout.connect(self._save)

    # -- state ---------------------------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        return self._settings

    @property
    def result(self) -> SignInResult | None:
        """The last successful sign-in, or ``None``."""
        return self._result

    @property
    def client(self) -> Any:
        """The signed-in user's :class:`~app.ews.client.EwsClient`.

        Raises:
            RuntimeError: Not signed in.
        """
        if self._result is None:
            raise RuntimeError("not signed in")
        return self._result.client

    @property
    def is_busy(self) -> bool:
        """True while a sign-in runs."""
        return self._handle is not None

    @property
    def account_address(self) -> str:
        """The signed-in user's address, else the last account's, else ""."""
        if self._result is not None:
            return str(self._result.user.address)
        last = self._settings[LAST_ACCOUNT]
        return last.address if last is not None else ""

    @staticmethod
    def secure_store_problem() -> str | None:
        """Why no password can be remembered on this machine, or ``None`` when the keyring is usable."""
        return secrets.secure_store_problem()

    def prefill(self, message: str = "", certificate: CertificateProblem | None = None) -> SignInPrefill:
        """What the sign-in dialog shows for the last account."""
        last = self._settings[LAST_ACCOUNT]
        remember = self._settings[REMEMBER_PASSWORD]
        if last is None:
            return SignInPrefill(remember=remember, message=message, certificate=certificate)
        return SignInPrefill(last.address, last.server, last.auth, remember, message, certificate)

    # -- signing in ----------------------------------------------------------------------------------------------

    def sign_in(
        self, address: str, password: str, server: str = "", auth: str = "auto", remember: bool = True
    ) -> TaskHandle[Any]:
        """Start signing in (a running sign-in is cancelled first). Outcomes arrive as signals.

        Args:
            address: E-mail address (also the logon name).
            password: Kept in memory until the outcome; then in the keyring only if ``remember``.
            server: Host name or full EWS URL; "" to discover it from the address.
            auth: A value of :data:`app.settings.AUTH_CHOICES` (``auto``, ``ntlm``, ``basic``).
            remember: Save the password in the system keyring (forget a saved one when False).
        """
        return self._start(SignInDetails(address, password, server, auth, remember), auto=False)

    def try_auto_sign_in(self) -> bool:
        """Sign in with the last account and its password from the keyring, without asking.

        Returns:
            True if a sign-in started; False if :attr:`needs_credentials` was emitted instead.
        """
        last = self._settings[LAST_ACCOUNT]
        if last is None:
            self.needs_credentials.emit(self.prefill())
            return False
        try:
            password = secrets.get_password(last.address)
        except NoSecureStore:
            self.needs_credentials.emit(self.prefill(
                "No secure password store is available on this machine, so Mailroom asks for your password at "
                "each start."))
            return False
        except PasswordMissing:
            self.needs_credentials.emit(self.prefill())
            return False
        details = SignInDetails(last.address, password, last.server, last.auth, remember=True)
        self._start(details, auto=True)
        return True

    def cancel(self) -> None:
        """Cancel the running sign-in, if any; its outcome is ignored and :attr:`cancelled` is emitted."""
        handle, self._handle = self._handle, None
        if handle is None:
            return
        handle.cancel()
        self._pending = None
        self.cancelled.emit()

    def trust_certificate(self, problem: CertificateProblem) -> None:
        """Trust ``problem``'s certificate for its host from now on (saved in the settings)."""
        self._settings.trust_fingerprint(problem.host, problem.fingerprint)
        self._save()

    def sign_out(self) -> None:
        """Forget the signed-in client (its connections are closed) and the saved password."""
        self.cancel()
        result, self._result = self._result, None
        address = result.user.address if result is not None else self.account_address
        if address:
            secrets.delete_password(address)
        if result is not None:
            result.client.close()

    def shutdown(self) -> None:
        """Write pending settings and close the client's connections; call after the task runner is shut down."""
        self.flush()
        self.cancel()
        if self._result is not None:
            self._result.client.close()

    def _start(self, details: SignInDetails, *, auto: bool) -> TaskHandle[Any]:
        if self._handle is not None:
            self.cancel()
        self._pending = details
        self._auto = auto
        logs.register_secret(details.password)  # whatever a library logs, this password never reaches a log
        fingerprint = self._trusted_fingerprint(details)
        handle: TaskHandle[Any] | None = None

        def work() -> SignInResult:
            from app.ews.signin import SignInRequest, sign_in  # lazy: exchangelib is slow to import

            request = SignInRequest(
                address=details.address.strip(),
                password=details.password,
                server=details.server.strip(),
                auth=_auth_choice(details.auth),
                trusted_fingerprint=fingerprint,
            )
            task = current_task()
            task_id = task.task_id if task is not None else 0

            def progress(text: str) -> None:
                with contextlib.suppress(RuntimeError):  # the service is gone: the app is closing
                    self._worker_progress.emit(task_id, text)

            result = sign_in(request, progress, task.is_cancelled if task is not None else lambda: False)
            if task is not None and task.is_cancelled():
                result.client.close()  # the runner drops a cancelled task's result unseen: close it here
            return result

        handle = self._runner.run(
            work,
            on_result=lambda result: self._on_result(handle, result),
            on_error=lambda error: self._on_error(handle, error),
            description=f"Signing in as {details.address}",
        )
        self._handle = handle
        return handle

    def _on_worker_progress(self, task_id: int, text: str) -> None:
        if self._handle is not None and self._handle.task_id == task_id:
            self.progress.emit(text)

    def _on_result(self, handle: TaskHandle[Any] | None, result: SignInResult) -> None:
        if handle is not self._handle or self._pending is None:
            result.client.close()  # superseded: a newer sign-in or a cancel
            return
        details, self._pending, self._handle = self._pending, None, None
        previous, self._result = self._result, result
        if previous is not None and previous.client is not result.client:
            previous.client.close()
        self._remember(details, result)
        self.signed_in.emit(result)

    def _on_error(self, handle: TaskHandle[Any] | None, error: BaseException) -> None:
        if handle is not self._handle:
            return
        self._pending, self._handle = None, None
        problem = certificate_problem(error)
        if problem is not None:
            self.certificate_untrusted.emit(problem)
        if not isinstance(error, MailroomError):
            log.error("Sign-in failed with an unexpected error", exc_info=error)
        self.failed.emit(error)
        if self._auto:
            self.needs_credentials.emit(self.prefill(user_message(error), problem))

    def _remember(self, details: SignInDetails, result: SignInResult) -> None:
        address = str(result.user.address) or details.address
        last = self._settings[LAST_ACCOUNT]
        if last is None or last.address.casefold() != address.casefold():
            self._settings.set(LAST_MAILBOX, "")  # the last place belonged to another account
            self._settings.set(LAST_FOLDER, "")
        self._settings.set(LAST_ACCOUNT, LastAccount(address, details.server.strip(), details.auth))
        if details.remember or secrets.secure_store_problem() is None:
            # Without a store the dialog cannot offer the box: keep the user's preference for a later keyring.
            self._settings.set(REMEMBER_PASSWORD, details.remember)
        self._save()
        if not details.remember:
            secrets.delete_password(address)
            return
        try:
            secrets.set_password(address, details.password)
        except NoSecureStore:
            self.no_secure_store.emit(
                "Your password was not saved: this machine has no secure password store (system keyring), and "
                "Mailroom never keeps passwords anywhere else. You will be asked for it at the next start."
            )

    def _trusted_fingerprint(self, details: SignInDetails) -> str:
        """The fingerprint the user trusted for the server this sign-in will talk to first, or "".

        ``sign_in`` takes one fingerprint and accepts that certificate wherever it is presented: take the one
        trusted for the given server (else for the domain's Autodiscover hosts), else the only one trusted for
        a host of the address's domain (the EWS host Autodiscover pointed to).
        """
        for host in _candidate_hosts(details.server, details.address):
            fingerprint = self._settings.trusted_fingerprint(host)
            if fingerprint:
                return fingerprint
        domain = details.address.rpartition("@")[2].strip().casefold()
        if details.server.strip() or not domain:
            return ""
        in_domain = {fp for host, fp in self._settings[TRUSTED_CERTIFICATES].items()
                     if host.split(":")[0].endswith("." + domain)}
        return in_domain.pop() if len(in_domain) == 1 else ""

    # -- remembered mailboxes and place ----------------------------------------------------------------------

    def added_mailboxes(self) -> list[str]:
        """Shared mailboxes the user added to this account, in the order added."""
        address = self.account_address
        return list(self._settings.account(address).added_mailboxes) if address else []

    def removed_automapped(self) -> list[str]:
        """Automapped mailboxes the user removed from the sidebar of this account."""
        address = self.account_address
        return list(self._settings.account(address).removed_automapped) if address else []

    def known_mailboxes(self) -> list[str]:
        """Addresses already in the sidebar: the user's own, the automapped ones not removed, the added ones."""
        known: list[str] = []
        if self._result is not None:
            hidden = {a.casefold() for a in self.removed_automapped()}
            known.append(str(self._result.user.address))
            known += [str(m.address) for m in self._result.automapped if str(m.address).casefold() not in hidden]
        return known + self.added_mailboxes()

    def add_mailbox(self, mailbox: str) -> None:
        """Remember ``mailbox`` for this account (and undo an earlier removal of it)."""
        account = self._require_account()
        current = self._settings.account(account)
        key = mailbox.casefold()
        added = current.added_mailboxes
        if all(a.casefold() != key for a in added):
            added = (*added, mailbox)
        removed = tuple(a for a in current.removed_automapped if a.casefold() != key)
        self._settings.update_account(account, added_mailboxes=added, removed_automapped=removed)
        self._save()
        self.mailboxes_changed.emit()

    def remove_mailbox(self, mailbox: str) -> None:
        """Take ``mailbox`` off this account's sidebar: forget it if added, hide it if automapped."""
        account = self._require_account()
        current = self._settings.account(account)
        key = mailbox.casefold()
        added = tuple(a for a in current.added_mailboxes if a.casefold() != key)
        removed = current.removed_automapped
        if len(added) == len(current.added_mailboxes) and all(a.casefold() != key for a in removed):
            removed = (*removed, mailbox)  # not one the user added: an automapped one
        self._settings.update_account(account, added_mailboxes=added, removed_automapped=removed)
        self._save()
        self.mailboxes_changed.emit()

    def last_location(self) -> tuple[str, str] | None:
        """(mailbox address, folder id) open when the app last closed, or ``None``."""
        mailbox = self._settings[LAST_MAILBOX]
        return (mailbox, self._settings[LAST_FOLDER]) if mailbox else None

    def set_last_location(self, mailbox: str, folder_id: str) -> None:
        """Remember where the user is, to reopen it at the next start.

        Kept in memory at once; written to the settings file :data:`LOCATION_SAVE_DELAY_MS` after the last call
        (clicking through folders writes once), by any other save, or by :meth:`flush` / :meth:`shutdown`.
        """
        if (self._settings[LAST_MAILBOX], self._settings[LAST_FOLDER]) == (mailbox, folder_id):
            return
        self._settings.set(LAST_MAILBOX, mailbox)
        self._settings.set(LAST_FOLDER, folder_id)
        self._unsaved = True
        self._save_timer.start()

    def flush(self) -> None:
        """Write the settings now if a change is waiting to be saved (the last location)."""
        if self._unsaved:
            self._save()

    def _require_account(self) -> str:
        address = self.account_address
        if not address:
            raise RuntimeError("no account: sign in first")
        return address

    # -- lookups for the mailbox dialogs ---------------------------------------------------------------------

    def probe_mailbox(
        self,
        address: str,
        on_result: Callable[[Any], Any],
        on_error: Callable[[BaseException], Any],
    ) -> TaskHandle[Any]:
        """Find out what the user can reach in ``address`` (a MailboxTree), on that mailbox's queue.

        Errors: MailboxNotFound, AccessDenied ("You have no access to …"), ConnectionFailed.
        """
        client = self.client

        def work() -> Any:
            from app.ews.folders import probe_mailbox

            return probe_mailbox(client, address)

        return self._runner.run(work, key=address, on_result=on_result, on_error=on_error,
                                description=f"Checking your access to {address}")

    def resolve_names(
        self,
        text: str,
        on_result: Callable[[list[Person]], Any],
        on_error: Callable[[BaseException], Any],
    ) -> TaskHandle[Any]:
        """Look ``text`` up in the directory (ResolveNames) for autocompletion."""
        client = self.client

        def work() -> list[Person]:
            from app.ews.directory import resolve

            return resolve(client, text)

        return self._runner.run(work, on_result=on_result, on_error=on_error,
                                description=f"Looking up “{text}” in the directory")

    # -- internals -------------------------------------------------------------------------------------------

    def _save(self) -> None:
        self._unsaved = False  # this save writes the pending location too
        with contextlib.suppress(RuntimeError):  # the timer is gone: the app is closing (flush from shutdown)
            self._save_timer.stop()
        try:
            self._settings.save()
        except OSError as error:
            text = f"Your settings could not be saved to {self._settings.path}: {error}"
            log.warning("%s", text)
            self.notice.emit(text)


def _auth_choice(value: str) -> Any:
    from app.ews.signin import AuthChoice

    return AuthChoice[value.upper()]


def server_label(server: str) -> str:
    """How a certificate's server is named: ``host`` on port 443, else ``host:port`` (casefolded), or ""."""
    server = server.strip()
    if not server:
        return ""
    parts = urllib.parse.urlsplit(server if "://" in server else f"https://{server}")
    try:
        port = parts.port or (80 if parts.scheme.lower() == "http" else 443)
    except ValueError:
        return ""
    host = (parts.hostname or "").casefold()
    return host if port == 443 or not host else f"{host}:{port}"


def _candidate_hosts(server: str, address: str) -> list[str]:
    """The servers sign-in talks to first: the given one, else the Autodiscover candidates of the domain."""
    if server.strip():
        return [server_label(server)]
    domain = address.rpartition("@")[2].strip().casefold()
    return [domain, f"autodiscover.{domain}"] if domain else []


def certificate_problem(error: BaseException) -> CertificateProblem | None:
    """The untrusted certificate behind ``error``, or ``None`` when it is another kind of failure."""
    if not isinstance(error, CertificateUntrusted):
        return None
    return CertificateProblem(error.host.casefold(), error.subject, error.fingerprint_sha256.upper())
