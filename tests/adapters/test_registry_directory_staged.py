"""Blobs staged ahead of an import (bundle load): renamed into place when imported, removed when not."""

import hashlib
import os

import pytest

from agentpack.adapters.registry.directory import DirectoryRegistry
from agentpack.errors import RegistryError


def _record(name: str, data: bytes) -> dict:
    return {"name": name, "version": "1.0.0", "sha256": hashlib.sha256(data).hexdigest(),
            "manifest": {"name": name, "version": "1.0.0"}, "components": {}}


def _pieces(data: bytes) -> list[bytes]:
    return [data[:3], data[3:]]


def test_staged_blobs_are_renamed_into_place_and_the_folders_of_a_refused_import_removed(tmp_path):
    root = tmp_path / "registry"
    registry = DirectoryRegistry(str(root))
    archives = {f"pkg-{i}": f"archive {i}".encode() * 50 for i in range(3)}
    staged = registry.stage_blobs([(hashlib.sha256(d).hexdigest(), _pieces(d)) for d in archives.values()])
    temporaries = sorted(os.listdir(root / "blobs" / "sha256"))
    assert len(temporaries) == 3 and all(t.startswith(".") and t.endswith(".tmp") for t in temporaries)
    assert not (root / "registry.json").exists()  # staging alone makes no registry
    staged.discard()  # the load was refused
    assert not root.exists()

    staged = registry.stage_blobs([(hashlib.sha256(d).hexdigest(), _pieces(d)) for d in archives.values()])
    outcome = registry.import_versions([(d, _record(n, d)) for n, d in archives.items()], staged=staged)
    staged.discard()
    assert [added for _record_, added in outcome] == [True] * 3
    for name, data in archives.items():
        assert registry.fetch_archive(name, "1.0.0") == data
    assert sorted(os.listdir(root / "blobs" / "sha256")) == sorted(hashlib.sha256(d).hexdigest()
                                                                    for d in archives.values())


def test_bytes_that_do_not_hash_to_their_name_are_not_staged(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "registry"))
    staged = registry.stage_blobs([("0" * 64, [b"not those bytes"])])
    assert staged.digest("0" * 64) is None and staged.take("0" * 64) is None
    assert os.listdir(tmp_path / "registry" / "blobs" / "sha256") == []
    staged.discard()
    assert not (tmp_path / "registry").exists()


def test_blobs_the_caller_checks_are_staged_without_being_hashed_again(tmp_path, monkeypatch):
    """``checked``: the caller (a bundle load, whose children check every archive against the
    bundle's manifest) vouches for the digests, and refuses the import otherwise."""
    import hashlib as real_hashlib

    hashed = []
    monkeypatch.setattr(real_hashlib, "sha256", lambda *a: hashed.append(a) or real_hashlib.new("sha256", *a))
    registry = DirectoryRegistry(str(tmp_path / "registry"))
    data = b"archive" * 100
    digest = real_hashlib.new("sha256", data).hexdigest()
    staged = registry.stage_blobs([(digest, _pieces(data))], checked=True)
    assert hashed == [] and staged.digest(digest) == (digest, len(data))
    monkeypatch.undo()
    registry.import_versions([(data, _record("pkg", data))], staged=staged)
    staged.discard()
    assert registry.fetch_archive("pkg", "1.0.0") == data


def test_a_staged_file_removed_meanwhile_is_written_from_the_bytes_if_they_match(tmp_path):
    registry = DirectoryRegistry(str(tmp_path / "registry"))
    data = b"archive" * 100
    digest = hashlib.sha256(data).hexdigest()
    staged = registry.stage_blobs([(digest, [data])])
    os.unlink(staged.paths[digest])  # e.g. a registry check clearing temporary files
    registry.import_versions([(data, _record("pkg", data))], staged=staged)
    assert registry.fetch_archive("pkg", "1.0.0") == data

    other = DirectoryRegistry(str(tmp_path / "other"))
    staged = other.stage_blobs([(digest, [data])])
    os.unlink(staged.paths[digest])
    with pytest.raises(RegistryError, match="went missing"):
        other.import_versions([(b"other bytes", _record("pkg", data))], staged=staged)


def test_nothing_is_staged_into_a_folder_that_is_not_a_registry(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RegistryError, match="not an agentpack registry"):
        DirectoryRegistry(str(tmp_path)).stage_blobs([("0" * 64, [b"x"])])
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
