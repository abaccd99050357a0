"""core.index_serial: serial arithmetic, the rollback checks, and the client's record as untrusted input."""

from __future__ import annotations

import json

import pytest

from agentpack.core.index_serial import (
    MAX_SEEN_BYTES,
    MAX_SERIAL,
    check_not_older,
    check_pinned_versions,
    check_still_served,
    format_seen,
    index_serial,
    next_serial,
    parse_seen,
    pins_still_wanted,
)
from agentpack.errors import RegistryError, RollbackError

SERIALS = [  # (index document, serial or None for malformed)
    ({"versions": {}}, 0),
    ({"serial": 0, "versions": {}}, 0),
    ({"serial": 17, "versions": {}}, 17),
    ({"serial": MAX_SERIAL}, MAX_SERIAL),
    ({"serial": MAX_SERIAL + 1}, None),
    ({"serial": -1}, None),
    ({"serial": True}, None),
    ({"serial": 1.0}, None),
    ({"serial": "3"}, None),
    ({"serial": None}, None),
    ({"serial": [1]}, None),
]


@pytest.mark.parametrize("index, expected", SERIALS)
def test_index_serial(index, expected):
    assert index_serial(index) == expected


@pytest.mark.parametrize("previous, now, expected", [
    (None, 1_000, 1_000),           # a new index, or one written before serials: the clock
    (5, 1_000, 1_000),
    (1_000, 1_000, 1_001),          # two writes within a millisecond
    (9_000, 1_000, 9_001),          # the clock went back: still one more
    (MAX_SERIAL, 1_000, MAX_SERIAL),
])
def test_next_serial_only_grows(previous, now, expected):
    index = {} if previous is None else {"serial": previous}
    assert next_serial(index, now) == expected


def test_check_not_older():
    check_not_older("a", 5, None, "R")
    check_not_older("a", 5, 5, "R")
    check_not_older("a", 6, 5, "R")
    with pytest.raises(RollbackError) as caught:
        check_not_older("team/a", 4, 5, "/srv/reg")
    error = caught.value
    assert error.code == "rollback"
    assert "team/a" in error.message and "/srv/reg" in error.message
    assert "(serial 4)" in error.message and "(serial 5)" in error.message
    assert "registry forget --registry /srv/reg" in error.hint


def test_check_pinned_versions_names_every_missing_pin():
    indexes = {"a": {"1.0.0": {}}, "b": {"2.0.0": {}, "2.1.0": {}}}
    check_pinned_versions({"a": "1.0.0", "b": "2.1.0"}, indexes.get, lambda name: "R")
    with pytest.raises(RollbackError) as caught:
        check_pinned_versions({"a": "1.1.0", "b": "2.1.0", "gone": "1.0.0"}, indexes.get, lambda name: f"R-{name}")
    assert caught.value.causes == ["a@1.1.0 (registry R-a)", "gone@1.0.0 (registry R-gone)"]
    assert "a@1.1.0" in caught.value.message


def test_seen_record_round_trip():
    data = format_seen("file:///srv/reg", {"b": 2, "team/a": 1})
    assert json.loads(data) == {"registry": "file:///srv/reg", "serials": {"b": 2, "team/a": 1}}
    assert parse_seen(data, "p", "file:///srv/reg") == {"b": 2, "team/a": 1}


@pytest.mark.parametrize("data", [
    b"{", b"\xff\xfe", b"[]", b"null", b'{"registry": "R"}', b'{"registry": "R", "serials": []}',
    b'{"registry": "other", "serials": {}}', b'{"serials": {}}',
    b'{"registry": "R", "serials": {"Bad_Name": 1}}', b'{"registry": "R", "serials": {"../x": 1}}',
    b'{"registry": "R", "serials": {"a": -1}}', b'{"registry": "R", "serials": {"a": "1"}}',
    b'{"registry": "R", "serials": {"a": 1e3}}', b'{"registry": "R", "serials": {"a": 9007199254740993}}',
    b" " * (MAX_SEEN_BYTES + 1),
    b"[" * 10_000 + b"]" * 10_000, b'{"registry": "R", "registry": "R", "serials": {}}',
])
def test_a_damaged_record_is_refused_naming_the_file(data):
    with pytest.raises(RegistryError) as caught:
        parse_seen(data, "/state/x.json", "R")
    assert caught.value.path == "/state/x.json"
    assert "/state/x.json" in caught.value.message and caught.value.hint


def test_pins_still_wanted_leaves_out_pins_moved_on_purpose():
    pins = {"a": "1.1.0", "b": "2.0.0", "dep": "3.0.0", "pre": "4.0.0-rc.1", "local": "1.0.0", "bad": "1.0.0"}
    requested = {"a": "1.0.0", "b": "^2.0.0", "pre": "*", "local": "file:dist/local.tar.gz", "bad": "not a range"}
    assert pins_still_wanted(pins, requested, {}) == {"b": "2.0.0", "dep": "3.0.0", "pre": "4.0.0-rc.1",
                                                      "bad": "1.0.0"}
    # An override replaces the range everywhere, the root request included.
    assert pins_still_wanted({"a": "1.1.0", "dep": "3.0.0"}, {"a": "1.0.0"}, {"a": "^1.0.0", "dep": "<3"}) \
        == {"a": "1.1.0"}


def test_check_still_served():
    check_still_served("a", None, "R")
    check_still_served("a", 0, "R")  # only ever seen without a serial: nothing to go on
    with pytest.raises(RollbackError, match="no longer has an index of a"):
        check_still_served("a", 12, "R")
