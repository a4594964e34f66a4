"""Dates for tests of the demo tenant, whose calendars are seeded around the current week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def this_week() -> tuple[datetime, datetime]:
    """This week in UTC: Monday 00:00 and the next Monday 00:00."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    monday = today - timedelta(days=today.weekday())
    return monday, monday + timedelta(days=7)
