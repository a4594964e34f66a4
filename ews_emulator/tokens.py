"""A small local OAuth2 token endpoint (``POST /token``) and the in-memory store behind Bearer auth.

Grants: ``password`` (resource-owner password: ``username``, ``password``) and
``refresh_token`` (refresh tokens rotate: a used one is invalidated). Answers follow
RFC 6749 section 5: ``{access_token, token_type: "Bearer", expires_in, refresh_token}``
on success, ``400 {"error": ...}`` on failure. Any ``client_id`` is accepted. Tokens are
random (``secrets.token_urlsafe``), kept only in memory, and never logged.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs

from ews_emulator.backend import HttpResult

# (logon name, password) -> primary SMTP address, or None when the credentials are wrong.
PasswordCheck = Callable[[str, str], "str | None"]

_JSON = "application/json; charset=utf-8"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass(frozen=True)
class TokenGrant:
    """A freshly issued access token with its refresh token."""

    access_token: str
    refresh_token: str
    expires_in: int
    principal: str


class TokenStore:
    """Issues, refreshes and checks tokens; thread-safe.

    ``clock`` is a public attribute (seconds, monotonic) so tests can move time forward.
    """

    def __init__(
        self,
        access_ttl_s: int = 3600,
        refresh_ttl_s: int = 86400,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._access: dict[str, tuple[str, float]] = {}
        self._refresh: dict[str, tuple[str, float]] = {}

    def issue(self, principal: str) -> TokenGrant:
        """Issue a new access and refresh token for ``principal``."""
        now = self.clock()
        access = secrets.token_urlsafe(32)
        refresh = secrets.token_urlsafe(32)
        with self._lock:
            self._prune(now)
            self._access[access] = (principal, now + self.access_ttl_s)
            self._refresh[refresh] = (principal, now + self.refresh_ttl_s)
        return TokenGrant(access, refresh, self.access_ttl_s, principal)

    def refresh(self, refresh_token: str) -> TokenGrant | None:
        """Exchange a valid refresh token for a new grant (the old refresh token stops working)."""
        now = self.clock()
        with self._lock:
            entry = self._refresh.pop(refresh_token, None)
        if entry is None or entry[1] <= now:
            return None
        return self.issue(entry[0])

    def principal_for(self, access_token: str) -> str | None:
        """The principal of a valid, unexpired access token, else None."""
        with self._lock:
            entry = self._access.get(access_token)
        if entry is None or entry[1] <= self.clock():
            return None
        return entry[0]

    def _prune(self, now: float) -> None:
        for table in (self._access, self._refresh):
            for key in [k for k, (_, expiry) in table.items() if expiry <= now]:
                del table[key]


def _json_result(status: int, payload: dict[str, object]) -> HttpResult:
    return HttpResult(status, json.dumps(payload).encode(), content_type=_JSON, headers=dict(_NO_STORE))


def _error(code: str, description: str) -> HttpResult:
    return _json_result(400, {"error": code, "error_description": description})


def handle_token_request(
    store: TokenStore, check: PasswordCheck, body: bytes, content_type: str
) -> HttpResult:
    """Answer one ``POST /token`` request.

    Args:
        store: Where tokens live.
        check: Verifies a logon name and password, returning the primary SMTP address.
        body: The raw request body.
        content_type: The request's ``Content-Type`` header.

    Returns:
        The JSON answer (200 with a grant, or 400 with an OAuth2 error code).
    """
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        return _error("invalid_request", "The body must be application/x-www-form-urlencoded.")
    try:
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        return _error("invalid_request", "The body is not UTF-8.")
    grant_type = form.get("grant_type", "")
    if grant_type == "password":
        username, password = form.get("username", ""), form.get("password", "")
        if not username or not password:
            return _error("invalid_request", "username and password are required.")
        principal = check(username, password)
        if principal is None:
            return _error("invalid_grant", "The user name or password is incorrect.")
        grant = store.issue(principal)
    elif grant_type == "refresh_token":
        token = form.get("refresh_token", "")
        if not token:
            return _error("invalid_request", "refresh_token is required.")
        grant = store.refresh(token)
        if grant is None:
            return _error("invalid_grant", "The refresh token is invalid or expired.")
    elif not grant_type:
        return _error("invalid_request", "grant_type is required.")
    else:
        return _error("unsupported_grant_type", f"grant_type {grant_type!r} is not supported.")
    payload: dict[str, object] = {
        "access_token": grant.access_token,
        "token_type": "Bearer",
        "expires_in": grant.expires_in,
        "refresh_token": grant.refresh_token,
    }
    if form.get("scope"):
        payload["scope"] = form["scope"]  # echo it, or oauthlib warns that the scope changed
    return _json_result(200, payload)
