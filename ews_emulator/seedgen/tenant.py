"""The demo tenant as data: ``resources/demo_tenant/*.json`` loaded into plain dicts."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / "resources" / "demo_tenant"


@cache
def load(name: str) -> Any:
    """A JSON file of the demo tenant data folder (cached; treat the result as read-only)."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def tenant() -> dict[str, Any]:
    """``tenant.json``: recipients, grants, categories, rules and folder layout."""
    return load("tenant.json")


def smtp(alias: str) -> str:
    return f"{alias}@{tenant()['domain']}"
