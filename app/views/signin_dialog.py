"""The sign-in dialog: address, password, optional server and authentication, progress, errors in plain words.

The dialog only collects what the user types and shows what the session service says; the flow (worker,
keyring, settings, certificate trust) is :class:`app.services.session.SessionService`'s. The service is passed
in by the composition root and used through :class:`SignInService`: views never import the services (they
reach app.ews).
"""

from __future__ import annotations

from typing import Any, Protocol

from PySide6.QtCore import QSize, Qt, SignalInstance
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app import paths
from app.domain.errors import (
    AuthenticationFailed,
    AutodiscoverUnavailable,
    ConnectionFailed,
    InvalidAddress,
    MailboxNotFound,
    ServerBusy,
    UnsupportedAuthentication,
    user_message,
)
from app.settings import AUTH_CHOICES

_BANNER = """
QFrame#{name} {{ background: {bg}; border: 1px solid {border}; border-radius: 6px; }}
QFrame#{name} QLabel {{ color: {fg}; background: transparent; border: none; }}
"""
ERROR_STYLE = _BANNER.format(name="errorBanner", bg="#fdecea", border="#f5c2c0", fg="#8a1c14")
CERT_STYLE = _BANNER.format(name="certificatePanel", bg="#fff8e1", border="#f0d58c", fg="#5c4400")
INFO_STYLE = _BANNER.format(name="infoBanner", bg="#e8f1fd", border="#b9d3f6", fg="#163e6e")


class SignInService(Protocol):
    """What the dialog needs of :class:`app.services.session.SessionService`."""

    progress: SignalInstance
    signed_in: SignalInstance
    failed: SignalInstance
    certificate_untrusted: SignalInstance
    cancelled: SignalInstance

    @property
    def is_busy(self) -> bool: ...

    def sign_in(
        self, address: str, password: str, server: str = "", auth: str = "auto", remember: bool = True
    ) -> Any: ...

    def cancel(self) -> None: ...

    def trust_certificate(self, problem: Any) -> None: ...

    def secure_store_problem(self) -> str | None: ...


def fit_height(dialog: QWidget) -> None:
    """Give a fixed-width dialog exactly the height its content needs at that width (wrapped labels included)."""
    layout = dialog.layout()
    if layout is None:
        return
    layout.activate()
    height = layout.totalHeightForWidth(dialog.width()) if layout.hasHeightForWidth() else -1
    dialog.resize(dialog.width(), max(height, layout.totalMinimumSize().height()))


class Banner(QFrame):
    """A coloured message box: an optional bold title over a wrapping, selectable plain-text body.

    Args:
        name: Object name (the style sheet selects on it).
        style: Style sheet (see :data:`ERROR_STYLE`).
        accessible_name: What a screen reader calls it.
    """

    def __init__(self, name: str, style: str, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName=name)
        self.setStyleSheet(style)
        self.setAccessibleName(accessible_name)
        self.title_label = QLabel(objectName=f"{name}Title")
        bold = self.title_label.font()
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.body_label = QLabel(objectName=f"{name}Body")
        for label in (self.title_label, self.body_label):
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body_label.setAccessibleName(accessible_name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 9, 12, 9)
        layout.setSpacing(3)
        layout.addWidget(self.title_label)
        layout.addWidget(self.body_label)
        self.hide()

    def show_message(self, body: str, title: str = "") -> None:
        """Show ``body`` under ``title`` (no title line when empty)."""
        self.title_label.setText(title)
        self.title_label.setVisible(bool(title))
        self.body_label.setText(body)
        self.show()

    def text(self) -> str:
        """What it says ("title\nbody"), or "" when hidden."""
        if self.isHidden():
            return ""
        title = self.title_label.text() if not self.title_label.isHidden() else ""
        return f"{title}\n{self.body_label.text()}" if title else self.body_label.text()


def _headline_for(error: BaseException) -> str:
    """A short first line naming the kind of failure, above the server's own sentence."""
    if isinstance(error, UnsupportedAuthentication):
        return "The server asks for a sign-in method Mailroom does not support."
    if isinstance(error, AuthenticationFailed):
        return "Wrong password or user name."
    if isinstance(error, InvalidAddress):
        return "Check what you typed."
    if isinstance(error, MailboxNotFound):
        return "Unknown user."
    if isinstance(error, ServerBusy):
        return "The server is busy."
    if isinstance(error, AutodiscoverUnavailable):
        return "Enter the full server address."
    if isinstance(error, ConnectionFailed):
        return "The server could not be reached."
    return "Sign-in failed."


class SignInDialog(QDialog):
    """Asks for the user's account and signs in through the session service; accepted once signed in.

    Cancel while signing in stops the sign-in and keeps the dialog open; Cancel otherwise closes it.

    Args:
        service: The session service (see :class:`SignInService`).
        prefill: A :class:`~app.services.session.SignInPrefill` (last account, why the dialog is shown).
        parent: Parent widget.
    """

    def __init__(self, service: SignInService, prefill: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in — Mailroom")
        self.setFixedWidth(480)
        self._service = service
        self._certificate: Any = None
        self._store_problem = service.secure_store_problem()

        self._build()
        self._initial_focus: QWidget = self.address_edit
        self._connect()
        if prefill is not None:
            self.set_prefill(prefill)
        self._set_busy(False)

    # -- building ------------------------------------------------------------------------------------------------

    def _build(self) -> None:
        icon_label = QLabel(objectName="signInIcon")
        icon_path = paths.icon_path("mailroom.svg")
        if icon_path.is_file():
            icon_label.setPixmap(QIcon(str(icon_path)).pixmap(QSize(44, 44)))
        title = QLabel("Sign in to Exchange", objectName="signInTitle")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        font.setWeight(QFont.Weight.DemiBold)
        title.setFont(font)
        subtitle = QLabel(
            "Use your own account. The shared mailboxes you may use appear after you sign in.",
            objectName="signInSubtitle",
        )
        subtitle.setWordWrap(True)
        subtitle.setStyleSheet("color: palette(placeholder-text);")
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(subtitle)
        heading.addStretch(1)
        header = QHBoxLayout()
        header.setSpacing(12)
        header.addWidget(icon_label, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(heading, 1)

        self.address_edit = QLineEdit(objectName="addressEdit")
        self.address_edit.setPlaceholderText("name@example.com")
        self.address_edit.setAccessibleName("E-mail address")
        self.password_edit = QLineEdit(objectName="passwordEdit")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password")
        self.server_edit = QLineEdit(objectName="serverEdit")
        self.server_edit.setPlaceholderText("Optional: found from your address")
        self.server_edit.setAccessibleName("Server")
        self.server_edit.setToolTip(
            "Leave empty to find the server from your address (Autodiscover). Otherwise type the host name, "
            "e.g. mail.example.com, or the full EWS address, e.g. https://mail.example.com/EWS/Exchange.asmx."
        )
        self.auth_combo = QComboBox(objectName="authCombo")
        for value, label in AUTH_CHOICES:
            self.auth_combo.addItem(label, value)
        self.auth_combo.setAccessibleName("Authentication")
        self.auth_combo.setToolTip("Automatic uses what the server offers (NTLM before Basic).")

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(8)
        form.addRow(self._buddy("&E-mail address:", self.address_edit), self.address_edit)
        form.addRow(self._buddy("&Password:", self.password_edit), self.password_edit)
        form.addRow(self._buddy("Ser&ver:", self.server_edit), self.server_edit)
        form.addRow(self._buddy("&Authentication:", self.auth_combo), self.auth_combo)

        self.remember_check = QCheckBox("&Remember my password", objectName="rememberCheck")
        self.remember_check.setAccessibleName("Remember my password")
        self.remember_check.setChecked(True)
        self.remember_note = QLabel(objectName="rememberNote")
        self.remember_note.setWordWrap(True)
        self.remember_note.setTextFormat(Qt.TextFormat.PlainText)
        self.remember_note.setStyleSheet("color: palette(placeholder-text);")
        self.remember_note.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.remember_note.hide()
        if self._store_problem is not None:
            self.remember_check.setChecked(False)
            self.remember_check.setEnabled(False)
            note = (
                "This machine has no secure password store (system keyring), so Mailroom cannot remember "
                "your password and will ask for it at each start. It never stores passwords anywhere else."
            )
            self.remember_note.setText(note)
            self.remember_note.setAccessibleName("Why the password cannot be remembered")
            self.remember_check.setToolTip(note)
            self.remember_note.show()
        else:
            self.remember_check.setToolTip("Saved in the system keyring only.")
        form.addRow("", self.remember_check)
        form.addRow("", self.remember_note)

        # Progress: a busy bar and the step the service reports.
        self.busy_bar = QProgressBar(objectName="busyBar")
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedHeight(6)
        self.busy_bar.setAccessibleName("Signing in")
        self.progress_label = QLabel(objectName="progressLabel")
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setWordWrap(True)
        self.progress_label.setAccessibleName("Sign-in progress")
        status = QVBoxLayout()
        status.setSpacing(4)
        status.addWidget(self.busy_bar)
        status.addWidget(self.progress_label)

        self.error_banner = Banner("errorBanner", ERROR_STYLE, "Sign-in error")
        self.info_banner = Banner("infoBanner", INFO_STYLE, "Why you are asked to sign in")
        self._build_certificate_panel()

        self.buttons = QDialogButtonBox(objectName="signInButtons")
        self.sign_in_button = self.buttons.addButton("&Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setObjectName("signInButton")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAutoDefault(True)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancelButton")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.setAccessibleName("Cancel")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.setSpacing(12)
        layout.addLayout(header)
        layout.addWidget(self.info_banner)
        layout.addLayout(form)
        layout.addWidget(self.error_banner)
        layout.addWidget(self.certificate_panel)
        layout.addLayout(status)
        layout.addWidget(self.buttons)

        for first, second in (
            (self.address_edit, self.password_edit),
            (self.password_edit, self.server_edit),
            (self.server_edit, self.auth_combo),
            (self.auth_combo, self.remember_check),
            (self.remember_check, self.trust_button),
            (self.trust_button, self.sign_in_button),
            (self.sign_in_button, self.cancel_button),
        ):
            QWidget.setTabOrder(first, second)

    def _buddy(self, text: str, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(field)
        return label

    def _build_certificate_panel(self) -> None:
        panel = QFrame(objectName="certificatePanel")
        panel.setStyleSheet(CERT_STYLE)
        self.certificate_title = QLabel(objectName="certificateTitle")
        self.certificate_title.setWordWrap(True)
        self.certificate_title.setTextFormat(Qt.TextFormat.PlainText)
        bold = self.certificate_title.font()
        bold.setBold(True)
        self.certificate_title.setFont(bold)
        self.certificate_subject = QLabel(objectName="certificateSubject")
        self.certificate_fingerprint = QLabel(objectName="certificateFingerprint")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.certificate_fingerprint.setFont(mono)
        for label in (self.certificate_subject, self.certificate_fingerprint):
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.certificate_subject.setWordWrap(True)
        fingerprint_title = QLabel("SHA-256 fingerprint:")
        self.certificate_subject.setAccessibleName("Certificate subject")
        self.certificate_fingerprint.setAccessibleName("Certificate SHA-256 fingerprint")
        advice = QLabel("Trust it only if your administrator confirms that this is the server's fingerprint.")
        advice.setWordWrap(True)
        self.trust_button = QPushButton(objectName="trustButton")
        self.trust_button.setAutoDefault(False)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.trust_button)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(4)
        layout.addWidget(self.certificate_title)
        layout.addWidget(self.certificate_subject)
        layout.addWidget(fingerprint_title)
        layout.addWidget(self.certificate_fingerprint)
        layout.addWidget(advice)
        layout.addLayout(row)
        panel.hide()
        self.certificate_panel = panel

    def _connect(self) -> None:
        self.sign_in_button.clicked.connect(self.start_sign_in)
        self.cancel_button.clicked.connect(self.reject)
        self.trust_button.clicked.connect(self._trust_and_retry)
        self._service.progress.connect(self._on_progress)
        self._service.signed_in.connect(self._on_signed_in)
        self._service.failed.connect(self._on_failed)
        self._service.certificate_untrusted.connect(self._on_certificate)
        self._service.cancelled.connect(self._on_cancelled)

    # -- public --------------------------------------------------------------------------------------------------

    def set_prefill(self, prefill: Any) -> None:
        """Fill the fields from a :class:`~app.services.session.SignInPrefill` and show why it is asked."""
        self.address_edit.setText(prefill.address)
        self.server_edit.setText(prefill.server)
        index = self.auth_combo.findData(prefill.auth)
        self.auth_combo.setCurrentIndex(max(index, 0))
        if self._store_problem is None:
            self.remember_check.setChecked(prefill.remember)
        self.error_banner.hide()
        if prefill.message:
            self._show_info(prefill.message)
        else:
            self.info_banner.hide()
        if prefill.certificate is not None:
            self._on_certificate(prefill.certificate)
        else:
            self._certificate = None
            self.certificate_panel.hide()
        self._fit()
        self._initial_focus = self.password_edit if prefill.address else self.address_edit
        self._initial_focus.setFocus()

    def start_sign_in(self) -> None:
        """Check the fields and ask the service to sign in (what the Sign in button and Enter do)."""
        if self._service.is_busy:
            return
        address = self.address_edit.text().strip()
        if "@" not in address or address.startswith("@") or address.endswith("@"):
            self._show_error("Enter your e-mail address, for example alice@example.com.", self.address_edit)
            return
        if not self.password_edit.text():
            self._show_error("Enter your password.", self.password_edit)
            return
        remember = self._store_problem is None and self.remember_check.isChecked()
        self._hide_messages()
        self._certificate = None
        self.certificate_panel.hide()
        self._set_busy(True)
        self.progress_label.setText("Signing in …")
        self._service.sign_in(
            address,
            self.password_edit.text(),
            self.server_edit.text().strip(),
            str(self.auth_combo.currentData()),
            remember,
        )

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not event.spontaneous():
            self._initial_focus.setFocus()

    def reject(self) -> None:
        """Cancel: stop a running sign-in (the dialog stays open), else close the dialog."""
        if self._service.is_busy:
            self._service.cancel()
            return
        super().reject()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        if self._service.is_busy:
            self._service.cancel()
        super().closeEvent(event)

    # -- for tests and screenshots -------------------------------------------------------------------------------

    def error_text(self) -> str:
        """The error shown, or ""."""
        return self.error_banner.text()

    def progress_text(self) -> str:
        """The progress sentence shown, or ""."""
        return self.progress_label.text() if not self.progress_label.isHidden() else ""

    def is_busy(self) -> bool:
        """True while the dialog shows a sign-in in progress."""
        return not self.busy_bar.isHidden()

    # -- slots ---------------------------------------------------------------------------------------------------

    def _on_progress(self, text: str) -> None:
        if self.is_busy():
            self.progress_label.setText(text)

    def _on_signed_in(self, _result: object) -> None:
        if not self.is_busy():
            return
        self._set_busy(False)
        self.password_edit.clear()
        self.accept()

    def _on_failed(self, error: BaseException) -> None:
        if not self.is_busy():
            return
        self._set_busy(False)
        self.progress_label.clear()
        title, text = _headline_for(error), user_message(error)
        if self._certificate is not None:
            self.error_banner.hide()  # the certificate panel says it, with what to do
            self.trust_button.setFocus()
            return
        if isinstance(error, AuthenticationFailed) and not isinstance(error, UnsupportedAuthentication):
            self._show_error(text, self.password_edit, title)
            self.password_edit.selectAll()
        elif isinstance(error, InvalidAddress):
            self._show_error(
                text,
                self.server_edit
                if "server" in str(error).casefold() or "EWS" in str(error)
                else self.address_edit,
                title,
            )
        elif isinstance(error, MailboxNotFound):
            self._show_error(text, self.address_edit, title)
        elif isinstance(error, AutodiscoverUnavailable):
            self._show_error(text, self.server_edit, title)
            self.server_edit.selectAll()  # typing the suggested address replaces the host name
        elif isinstance(error, ConnectionFailed):
            self._show_error(text, self.server_edit, title)
        else:
            self._show_error(text, self.sign_in_button, title)

    def _on_certificate(self, problem: Any) -> None:
        self._certificate = problem
        self.certificate_title.setText(f"The security certificate of {problem.host} is not trusted.")
        self.certificate_subject.setText(f"Issued to: {problem.subject or '(no subject)'}")
        pairs = problem.fingerprint.split(":")
        half = (len(pairs) + 1) // 2  # two lines of 16 pairs: a fingerprint has no place to wrap
        self.certificate_fingerprint.setText(":".join(pairs[:half]) + "\n" + ":".join(pairs[half:]))
        self.trust_button.setText(f"&Trust this certificate for {problem.host}")
        self.trust_button.setAccessibleName(f"Trust this certificate for {problem.host}")
        self.certificate_panel.show()
        self._fit()

    def _on_cancelled(self) -> None:
        if not self.is_busy():
            return
        self._set_busy(False)
        self.progress_label.setText("Sign-in cancelled.")
        self.progress_label.show()
        self._fit()
        self.sign_in_button.setFocus()

    def _trust_and_retry(self) -> None:
        problem, self._certificate = self._certificate, None
        if problem is None:
            return
        self._service.trust_certificate(problem)
        self.start_sign_in()

    # -- state ---------------------------------------------------------------------------------------------------

    def _set_busy(self, busy: bool) -> None:
        for widget in (
            self.address_edit,
            self.password_edit,
            self.server_edit,
            self.auth_combo,
            self.sign_in_button,
            self.trust_button,
        ):
            widget.setEnabled(not busy)
        self.remember_check.setEnabled(not busy and self._store_problem is None)
        self.busy_bar.setVisible(busy)
        self.progress_label.setVisible(busy)
        self.cancel_button.setToolTip("Stop signing in" if busy else "Close without signing in")
        self._fit()

    def _show_error(self, text: str, focus: QWidget, title: str = "") -> None:
        self.info_banner.hide()
        self.error_banner.show_message(text, title)
        focus.setFocus()
        self._fit()

    def _show_info(self, text: str) -> None:
        self.info_banner.show_message(text)
        self._fit()

    def _hide_messages(self) -> None:
        self.error_banner.hide()
        self.info_banner.hide()
        self._fit()

    def _fit(self) -> None:
        """Take the height the content needs now that banners came or went (the width is fixed)."""
        fit_height(self)
