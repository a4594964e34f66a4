"""Deterministic content for the demo tenant: item XML builders, mail, calendar and contact generators."""
