"""Test helpers for Microsoft's EWS schema, which lives outside the repository (../shared/ews-schema)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ews_emulator.schema import SchemaValidator, find_schema_dir

SKIP_REASON = "EWS schema not available (../shared/ews-schema)"


def schema_dir_or_skip() -> Path:
    """The EWS schema folder, or skip the calling test (or module) when there is none.

    ``MAILROOM_EWS_SCHEMA`` overrides the lookup; if it names a folder without the schema, the
    error propagates instead of skipping, so a misconfiguration is not silently ignored.
    """
    folder = find_schema_dir(Path(__file__).parent)
    if folder is None:
        pytest.skip(SKIP_REASON, allow_module_level=True)
    return folder


def schema_validator_or_skip() -> SchemaValidator:
    """A :class:`SchemaValidator` for the EWS schema (compiled once per process), or skip."""
    return SchemaValidator(schema_dir_or_skip())
