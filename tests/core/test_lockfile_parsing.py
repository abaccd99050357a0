"""Reading agentops.lock: a value of the wrong type at any level is an error naming the file."""

from __future__ import annotations

import json

import pytest

from agentpack.core.lockfile import Lockfile
from agentpack.errors import WorkspaceError
from conftest import changed

VALID = {
    "lockfile_version": 1, "root": {"a": "^1.0.0"}, "overrides": {},
    "packages": {"a": {"version": "1.0.0", "source": "registry", "sha256": "ab" * 32,
                       "dependencies": {"b": "^2.0.0"}, "files": {"agents/a/x.md": "cd" * 32}},
                 "b": {"version": "2.0.0", "source": "registry", "sha256": "ef" * 32,
                       "dependencies": {}, "files": {}, "signed_by": "12" * 32}},
}


def _with(path: tuple, value=None, *, delete: bool = False) -> str:
    return json.dumps(changed(VALID, path, value, delete=delete))


def test_a_valid_lock_reads_and_writes_back_byte_for_byte():
    lock = Lockfile.from_text(json.dumps(VALID))
    assert lock.packages["b"].signed_by == "12" * 32
    assert Lockfile.from_text(lock.to_text()).to_text() == lock.to_text()


@pytest.mark.parametrize("text", [
    _with(("packages",), ["a"]),
    _with(("packages",), "a"),
    _with(("packages", "a"), "1.0.0"),
    _with(("packages", "a"), ["1.0.0"]),
    _with(("packages", "a", "sha256"), delete=True),
    _with(("packages", "a", "version"), delete=True),
    _with(("packages", "a", "version"), 1),
    _with(("packages", "a", "sha256"), {"x": 1}),
    _with(("packages", "a", "source"), ["registry"]),
    _with(("packages", "a", "dependencies"), ["b@^2.0.0"]),
    _with(("packages", "a", "dependencies", "b"), 2),
    _with(("packages", "a", "files"), "agents/a/x.md"),
    _with(("packages", "a", "files", "agents/a/x.md"), None),
    _with(("packages", "b", "signed_by"), 7),
    _with(("root",), ["a"]),
    _with(("root", "a"), 1),
    _with(("overrides",), "b@2.0.0"),
    _with(("overrides", "b"), {"version": "2.0.0"}),
])
def test_wrong_types_at_every_level_name_the_file(text):
    with pytest.raises(WorkspaceError) as caught:
        Lockfile.from_text(text, source="/ws/agentops.lock")
    error = caught.value
    assert error.path == "/ws/agentops.lock" and "/ws/agentops.lock" in error.message
    assert error.problems and all(p.path == "/ws/agentops.lock" and p.field for p in error.problems)


@pytest.mark.parametrize("text", ["[" * 10_000 + "]" * 10_000, '{"lockfile_version": 1, "packages": {"a": NaN}}',
                                  '{"lockfile_version": 1, "lockfile_version": 1}', "\ud800", b"\xff\xfe"])
def test_unparseable_locks_name_the_file(text):
    with pytest.raises(WorkspaceError) as caught:
        Lockfile.from_text(text, source="/ws/agentops.lock")
    assert caught.value.path == "/ws/agentops.lock"


def test_a_byte_order_mark_is_ignored():
    assert Lockfile.from_text("\ufeff" + json.dumps(VALID)).packages["a"].version == "1.0.0"
