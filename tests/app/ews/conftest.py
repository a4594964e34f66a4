"""Fixtures for the EWS layer: signed-in users of the shared (read-only) emulator and an EWS round-trip counter."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from app.ews.client import EwsClient
from app.ews.signin import SignInRequest, SignInResult, sign_in


def signed_in(emu: Any, user: str, **request: Any) -> SignInResult:
    """Sign ``user`` (``alice``) in to ``emu`` through its base URL (Autodiscover, AUTO authentication)."""
    req = SignInRequest(f"{user}@example.com", f"{user}-pass", server=request.pop("server", emu.base_url), **request)
    return sign_in(req, lambda _message: None, lambda: False)


@contextmanager
def round_trips(emu: Any) -> Iterator[dict[str, int]]:
    """EWS operations the emulator answered inside the block, by name (Autodiscover is not an EWS operation)."""
    counts = emu.backend.operation_counts
    before = dict(counts)
    delta: dict[str, int] = {}
    yield delta
    delta.update({op: n - before.get(op, 0) for op, n in counts.items() if n != before.get(op, 0)})


@pytest.fixture
def schema_valid_answers(emulator: Any) -> Iterator[None]:
    """Fails the test if the shared emulator sent a response that breaks the EWS schema.

    Use with ``pytestmark = pytest.mark.usefixtures("schema_valid_answers")``.
    """
    emulator.backend.response_violations.clear()
    yield
    violations = list(emulator.backend.response_violations)
    emulator.backend.response_violations.clear()
    assert not violations, "schema-invalid responses:\n" + "\n".join(violations[:20])


@pytest.fixture(scope="module")
def alice(shared_emulator: Any) -> Iterator[EwsClient]:
    result = signed_in(shared_emulator, "alice")
    yield result.client
    result.client.close()


@pytest.fixture(scope="module")
def dave(shared_emulator: Any) -> Iterator[EwsClient]:
    result = signed_in(shared_emulator, "dave")
    yield result.client
    result.client.close()
