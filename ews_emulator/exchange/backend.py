"""The Exchange emulation behind the HTTP front end: request validation, dispatch and answers."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from pathlib import Path

from lxml import etree

from ews_emulator.backend import HttpResult
from ews_emulator.exchange.context import Ctx
from ews_emulator.exchange.registry import OPERATIONS, HttpAnswer, StreamingAnswer, load_all
from ews_emulator.quirks import Quirks
from ews_emulator.soap import T_NS, SoapFault, envelope, fault_envelope, parse_envelope
from ews_emulator.store import Store
from ews_emulator.xml.schema_order import ENUMS

log = logging.getLogger(__name__)
_T = f"{{{T_NS}}}"


class ExchangeBackend:
    """Implements :class:`ews_emulator.backend.Backend` over a :class:`Store`.

    Args:
        store: the tenant's data.
        base_url: ``http://host:port`` the server is reachable at (autodiscover hands it out).
        schema_dir: a folder with Microsoft's ``messages.xsd``/``types.xsd``. When given, requests that do not
            validate get ``ErrorSchemaValidation`` as Exchange answers them, and every response is validated too;
            failures are kept in :attr:`response_violations` (tests assert it stays empty).
        quirks: deliberate deviations from Exchange to switch on (:mod:`ews_emulator.quirks`); none by default.
    """

    def __init__(self, store: Store, base_url: str, schema_dir: Path | None = None,
                 quirks: Quirks | None = None) -> None:
        load_all()
        self.store = store
        self.quirks = quirks if quirks is not None else Quirks()
        self.base_url = base_url
        self.validator = None
        if schema_dir is not None:
            from ews_emulator.schema import SchemaValidator

            self.validator = SchemaValidator(Path(schema_dir))
        self.response_violations: list[str] = []
        self._violations_lock = threading.Lock()
        self.notifications = None  # set by ews_emulator.ops.notifications on first use
        self.operation_counts: dict[str, int] = {}

    # Backend protocol: authentication -------------------------------------------------------
    def check_password(self, address: str, password: str) -> str | None:
        smtp = self.resolve_logon(address)
        rec = self.store.directory.check_password(smtp, password) if smtp else None
        return rec.smtp if rec else None

    def logon_accounts(self) -> list[tuple[str, str]]:
        from ews_emulator.seed import logon_passwords

        return logon_passwords()

    def resolve_logon(self, name: str) -> str | None:
        """``alice``, ``alice@example.com``, ``EXAMPLE\\alice`` or ``\\alice@example.com`` -> the user's address."""
        name = name.strip()
        if "\\" in name:
            name = name.split("\\", 1)[1]
        if "@" not in name:
            users = [r for r in self.store.directory.all("user") if r.smtp.split("@")[0] == name.lower()]
            return users[0].smtp if len(users) == 1 else None
        rec = self.store.directory.by_smtp(name)
        return rec.smtp if rec and rec.can_log_on else None

    # Backend protocol: EWS ------------------------------------------------------------------
    def handle_ews(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        try:
            return self._handle(principal, body, headers)
        except SoapFault as fault:
            return HttpResult(500, fault_envelope(fault))

    def _handle(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        env = parse_envelope(body)
        if self.validator is not None:
            violations = self.validator.validate_request(body)
            if violations:
                log.info("schema-invalid %s request: %s", env.operation, violations[0])
                return HttpResult(500, self.validator.schema_validation_fault(violations))
        caller = self.store.directory.by_smtp(principal)
        if caller is None:
            raise SoapFault("ErrorAccessDenied", "The account does not have permission to impersonate.")
        if env.header is not None and env.header.find(f"{_T}ExchangeImpersonation") is not None:
            raise SoapFault("ErrorImpersonateUserDenied",
                            "The account does not have permission to impersonate the requested user.")
        anchor = headers.get("X-AnchorMailbox", "").strip()
        if anchor and self.store.directory.by_smtp(anchor) is None:
            # Exchange routes on X-AnchorMailbox before it reads the body; an address it cannot route to fails
            # the whole request.
            raise SoapFault("ErrorNonExistentMailbox", f"The SMTP address {anchor!r} has no mailbox associated with it.")
        handler = OPERATIONS.get(env.operation)
        if handler is None:
            raise SoapFault("ErrorInvalidRequest", f"The request is invalid: {env.operation} is not supported.")
        version = "Exchange2016"
        if env.header is not None:
            rsv = env.header.find(f"{_T}RequestServerVersion")
            if rsv is not None and rsv.get("Version"):
                version = rsv.get("Version")  # type: ignore[assignment]
                if version not in ENUMS["t:ExchangeVersionType"]:
                    raise SoapFault("ErrorInvalidServerVersion",
                                    "The specified server version is invalid.")
        ctx = Ctx(self.store, caller, headers, self, request_version=version)
        self.operation_counts[env.operation] = self.operation_counts.get(env.operation, 0) + 1
        answer = handler(ctx, env.body)
        if isinstance(answer, StreamingAnswer):
            return HttpResult(200, answer.chunks)
        if isinstance(answer, HttpAnswer):
            data = envelope(answer.element)
            self.check_response(data)
            return HttpResult(answer.status, data, headers=answer.headers)
        data = envelope(answer)
        self.check_response(data)
        return HttpResult(200, data)

    def check_response(self, data: bytes) -> None:
        """Validate an outgoing envelope when a schema is loaded; remember any violation."""
        if self.validator is None:
            return
        problems = self.validator.validate_response(data)
        if problems:
            root = etree.fromstring(data)
            op = etree.QName(root[-1][0]).localname if len(root) else "?"
            with self._violations_lock:
                self.response_violations.extend(f"{op}: {p}" for p in problems)
            log.error("schema-invalid response %s: %s", op, problems[0])

    # Backend protocol: Autodiscover ---------------------------------------------------------
    def handle_autodiscover(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        from ews_emulator.autodiscover import answer_autodiscover

        return answer_autodiscover(self, principal, body, headers)

    def handle_pox_autodiscover(self, principal: str, body: bytes, headers: Mapping[str, str]) -> HttpResult:
        from ews_emulator.pox_autodiscover import answer_pox_autodiscover

        return answer_pox_autodiscover(self, principal, body)
