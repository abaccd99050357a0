"""What `registry mirror --since` accepts: dates, times and durations, as UTC timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agentpack.errors import UsageError
from agentpack.services.mirror import since_cutoff

NOW = datetime(2026, 3, 10, 12, 30, 45, tzinfo=UTC)

ACCEPTED = [
    ("7d", "2026-03-03T12:30:45Z"),
    ("12h", "2026-03-10T00:30:45Z"),
    ("2w", "2026-02-24T12:30:45Z"),
    ("0d", "2026-03-10T12:30:45Z"),
    ("7D", "2026-03-03T12:30:45Z"),
    (" 1d ", "2026-03-09T12:30:45Z"),
    ("2026-01-31", "2026-01-31T00:00:00Z"),
    ("2026-01-31T08:15:00Z", "2026-01-31T08:15:00Z"),
    ("2026-01-31T08:15:00", "2026-01-31T08:15:00Z"),  # no offset: UTC
    ("2026-01-31T08:15:00+02:00", "2026-01-31T06:15:00Z"),
    ("2026-01-31 08:15", "2026-01-31T08:15:00Z"),
]
REFUSED = ["", "7", "d", "-7d", "7 d", "1.5d", "7m", "७d", "yesterday", "2026-13-01", "99999999999999d"]


@pytest.mark.parametrize(("text", "cutoff"), ACCEPTED)
def test_accepted(text, cutoff):
    assert since_cutoff(text, NOW) == cutoff


@pytest.mark.parametrize("text", REFUSED)
def test_refused(text):
    with pytest.raises(UsageError, match="--since"):
        since_cutoff(text, NOW)
