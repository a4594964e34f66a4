"""Exchange behaviour behind the HTTP front end."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ews_emulator import delivery, rules_engine
from ews_emulator.exchange.backend import ExchangeBackend
from ews_emulator.quirks import Quirks

delivery.add_delivery_hook(rules_engine.run_inbox_rules)  # inbox rules act on delivery, as Exchange's do


def create_backend(data_dir: Path | str | None = None, scale: int = 0, schema_dir: Path | str | None = None,
                   base_url: str = "http://127.0.0.1", quirks: Quirks | None = None) -> ExchangeBackend:
    """Open (or create and seed) the tenant store and return the backend serving it.

    Args:
        data_dir: keep state here across restarts; None: a fresh temporary directory seeded anew.
        scale: extra generated messages in support@'s Inbox (benchmarks).
        schema_dir: Microsoft's EWS schema folder; enables request and response validation.
        base_url: where the server listens, for autodiscover answers.
        quirks: deliberate deviations from Exchange to switch on; none by default.
    """
    from ews_emulator.seed import seed_tenant
    from ews_emulator.store import Store

    if data_dir is None:
        data_dir = tempfile.mkdtemp(prefix="ews-emulator-")
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    store = Store(path / "mailboxes.sqlite")
    if store.is_empty():
        seed_tenant(store, scale=scale)
    return ExchangeBackend(store, base_url=base_url, schema_dir=Path(schema_dir) if schema_dir else None,
                           quirks=quirks)


__all__ = ["ExchangeBackend", "create_backend"]
