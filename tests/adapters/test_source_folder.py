"""Building a Listing from disk: bounded, lazy, links and special files never followed."""

from __future__ import annotations

import os

import pytest

from agentpack.adapters.archive_rules import ArchiveLimits
from agentpack.adapters.source_folder import read_source_folder
from agentpack.errors import UsageError


def test_walk_skips_links_special_and_vcs_files_and_reads_lazily(tmp_path):
    (tmp_path / "agents").mkdir()
    (tmp_path / "agents" / "a.md").write_bytes(b"A\r\n")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref")
    os.symlink("/etc/passwd", tmp_path / "agents" / "link.md")
    os.symlink(tmp_path / "agents", tmp_path / "linked-dir")
    os.mkfifo(tmp_path / "fifo")
    listing, findings = read_source_folder(str(tmp_path))
    assert listing.paths() == ["agents/a.md"] and listing.name == tmp_path.name
    assert sorted((f.code, f.path) for f in findings) == [
        ("special-file", "fifo"), ("symlink", "agents/link.md"), ("symlink", "linked-dir")]
    assert listing.read("agents/a.md") == b"A\r\n"


def test_limits_on_size_and_count(tmp_path):
    for name, size in (("a.md", 10), ("b.md", 100), ("c.md", 10), ("d.md", 10)):
        (tmp_path / name).write_bytes(b"x" * size)
    listing, findings = read_source_folder(str(tmp_path), ArchiveLimits(max_members=2, max_file_size=50))
    assert listing.paths() == ["a.md", "c.md"]
    assert [(f.code, f.path) for f in findings] == [("file-too-large", "b.md"), ("too-many-files", "d.md")]


def test_a_missing_or_linked_source_is_misuse(tmp_path):
    with pytest.raises(UsageError):
        read_source_folder(str(tmp_path / "missing"))
    os.symlink(tmp_path, tmp_path / "link")
    with pytest.raises(UsageError):
        read_source_folder(str(tmp_path / "link"))
