"""Sizes and durations a user types (quotas, upload limits, token expiry)."""

import pytest

from agentpack.core.quantities import describe_size, parse_duration, parse_size


@pytest.mark.parametrize(("text", "value"), [("1024", 1024), ("10GiB", 10 * 2**30), ("500MB", 500 * 10**6),
                                              ("1 KiB", 1024), ("7b", 7), ("2TiB", 2 * 2**40)])
def test_sizes(text, value):
    assert parse_size(text) == (value, None)


@pytest.mark.parametrize("text", ["", "GiB", "-1", "1.5GiB", "10 parsecs", "1e9"])
def test_bad_sizes(text):
    value, problem = parse_size(text)
    assert value is None and "not a size" in problem


@pytest.mark.parametrize(("text", "value"), [("90d", 90 * 86400), ("12h", 43200), ("30m", 1800), ("1y", 365 * 86400),
                                              ("2w", 14 * 86400), ("45s", 45)])
def test_durations(text, value):
    assert parse_duration(text) == (value, None)


@pytest.mark.parametrize("text", ["", "d", "0d", "90", "-1d", "1.5h", "10x"])
def test_bad_durations(text):
    value, problem = parse_duration(text)
    assert value is None and "not a duration" in problem


def test_describe_size():
    assert describe_size(10 * 2**30) == "10 GiB"
    assert describe_size(1536) == "1.5 KiB"
    assert describe_size(12) == "12 B"


@pytest.mark.parametrize("text", ["99999999999TiB", "999999999999999999kB", "8388608TiB"])
def test_sizes_no_integer_column_holds_are_refused(text):
    value, problem = parse_size(text)
    assert value is None and "too large" in problem


def test_sizes_up_to_what_a_64_bit_column_holds_are_accepted():
    assert parse_size("8388607TiB") == (2**63 - 2**40, None)
    assert parse_size("999999999999999999") == (999999999999999999, None)
