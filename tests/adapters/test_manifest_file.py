"""adapters.manifest_file: the version in package.yaml changes, every other byte stays."""

from __future__ import annotations

import pytest

from agentpack.adapters.manifest_file import set_manifest_version
from agentpack.errors import WorkspaceError

CASES = [
    ("plain", "name: x\nversion: 1.0.0\n", "name: x\nversion: 2.0.0\n"),
    ("double quotes and comment", '# top\nversion: "1.0.0"   # why\n', '# top\nversion: "2.0.0"   # why\n'),
    ("single quotes", "version: '1.0.0'\n", "version: '2.0.0'\n"),
    ("crlf", "name: x\r\nversion: 1.0.0\r\nagents:\r\n- a.md\r\n", "name: x\r\nversion: 2.0.0\r\nagents:\r\n- a.md\r\n"),
    ("flow mapping", "{name: x, version: 1.0.0}\n", "{name: x, version: 2.0.0}\n"),
    ("prerelease", "version: 1.0.0-rc.1 # soon\n", "version: 2.0.0 # soon\n"),
]


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_only_the_version_changes(text, expected):
    assert set_manifest_version(text, "2.0.0") == expected


def test_block_scalars_fall_back_to_a_round_trip_dump():
    edited = set_manifest_version("# keep me\nname: x\nversion: >\n  1.0.0\n", "2.0.0")
    assert "# keep me" in edited and "2.0.0" in edited and "1.0.0" not in edited


@pytest.mark.parametrize("text", ["name: x\n", "- a\n- b\n", "version: [\n"])
def test_refuses_text_without_a_version(text):
    with pytest.raises(WorkspaceError):
        set_manifest_version(text, "2.0.0")
