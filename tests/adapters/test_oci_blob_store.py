"""A registry server's blob store in an OCI registry (adapters.oci.blob_store), against a real
docker-registry on 127.0.0.1 (tests/oci_registry.py), and the table that picks a store for
``--blobs``: archives round-trip, stay referenced through the registry's garbage collector, are
refused when damaged, and a registry that fails is ``StorageUnavailable``."""

from __future__ import annotations

import hashlib
import os
import subprocess

import pytest

from agentpack.adapters.blob_store import FolderBlobStore, open_blob_store
from agentpack.adapters.oci.blob_store import OciBlobStore
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.core import oci_artifacts as oci
from agentpack.errors import IntegrityError, PackageNotFound, StorageUnavailable, UsageError
from oci_registry import DockerRegistry, isolated_config, registry_binary, registry_fixture  # noqa: F401 (fixtures: the first autouse)

REPOSITORY = "agentops-blobs"


def _store(registry, **options) -> OciBlobStore:
    return open_blob_store(f"oci://{registry.host}/{REPOSITORY}", RegistryOptions(backoff=0.01, **options))


def _archive(size: int = 3000) -> tuple[str, bytes]:
    data = os.urandom(size)
    return hashlib.sha256(data).hexdigest(), data


def _stored_file(registry, sha256: str):
    return next((registry.work / "data").rglob(f"blobs/sha256/{sha256[:2]}/{sha256}/data"))


def test_the_store_is_chosen_by_the_scheme_of_the_location(tmp_path):
    folder = open_blob_store(str(tmp_path / "shared"))
    assert isinstance(folder, FolderBlobStore) and folder.shared and (tmp_path / "shared").is_dir()
    sha256, data = _archive(10)
    folder.put(sha256, data)
    assert (tmp_path / "shared" / "sha256" / sha256).read_bytes() == data
    folder.check()

    store = open_blob_store("oci://127.0.0.1:5999/team/agentops-blobs", RegistryOptions())
    assert isinstance(store, OciBlobStore) and store.repository == "team/agentops-blobs"
    assert store.local_path(sha256) is None
    with pytest.raises(UsageError, match="unsupported scheme 's3://'") as refused:
        open_blob_store("s3://bucket/blobs")
    assert "oci://" in refused.value.hint
    with pytest.raises(UsageError, match="name the repository"):
        open_blob_store("oci://127.0.0.1:5999", RegistryOptions())
    with pytest.raises(UsageError, match="not an OCI repository path"):
        open_blob_store("oci://127.0.0.1:5999/Upper", RegistryOptions())


def test_archives_round_trip_and_are_tagged_once_each(registry):
    store = _store(registry)
    sha256, data = _archive()
    assert store.open(sha256) is None and not store.exists(sha256)
    store.put(sha256, data)
    store.put(sha256, data)  # content-addressed: a second put changes nothing
    assert store.exists(sha256)
    with store.open(sha256) as stream:
        assert stream.size == len(data)
        assert stream.read() == data
    with store.open(sha256) as stream:  # read in pieces, as the server streams large archives
        assert b"".join(iter(lambda: stream.read(1000), b"")) == data
    manifest, _digest = registry.manifest(REPOSITORY, oci.blob_tag(sha256))
    assert manifest == oci.blob_manifest(sha256, len(data))
    status, _, body = registry.request("GET", f"{REPOSITORY}/tags/list")
    assert status == 200 and b'"archive-' + sha256.encode() + b'"' in body
    other_sha, other = _archive(50)
    _store(registry).put(other_sha, other)  # another process: the empty config is pushed again, harmlessly
    with _store(registry).open(other_sha) as stream:
        assert stream.read() == other


def test_archives_survive_the_registrys_garbage_collector_and_loose_blobs_do_not(registry):
    store = _store(registry)
    sha256, data = _archive()
    store.put(sha256, data)
    loose = registry.push_blob(REPOSITORY, b"a blob no manifest references")
    registry.stop()
    collected = subprocess.run([registry_binary(), "garbage-collect", "--delete-untagged",
                                str(registry.work / "config.yml")], capture_output=True, text=True, timeout=60)
    assert collected.returncode == 0, collected.stderr
    assert "1 blobs and 0 manifests eligible for deletion" in collected.stdout
    registry.start()
    assert registry.request("HEAD", f"{REPOSITORY}/blobs/{loose['digest']}")[0] == 404
    with _store(registry).open(sha256) as stream:
        assert stream.read() == data


def test_damaged_or_missing_archives_are_refused(registry):
    store = _store(registry)
    sha256, data = _archive()
    store.put(sha256, data)
    stored = _stored_file(registry, sha256)

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF  # the same size, other bytes
    stored.write_bytes(bytes(flipped))
    stream = store.open(sha256)
    with pytest.raises(IntegrityError, match=f"expected 3,000 bytes with digest sha256:{sha256}, got 3,000 bytes"):
        stream.read()
    assert stream.closed

    stored.write_bytes(data + b"more")  # longer than the manifest says: stopped, not read to the end
    with pytest.raises(IntegrityError, match="names 3,000 bytes .* but the registry sent more"):
        store.open(sha256).read()

    stored.unlink()
    with pytest.raises(PackageNotFound, match=f"sha256:{sha256} is missing from the registry server's blob store"):
        store.open(sha256)

    other_sha, other = _archive(20)  # a tag that names another archive than its own
    store.put(other_sha, other)
    registry.put_manifest(REPOSITORY, oci.blob_tag(sha256), oci.blob_manifest(other_sha, len(other)))
    with pytest.raises(IntegrityError, match=f"its layer is sha256:{other_sha}, not sha256:{sha256}"):
        store.open(sha256)


def test_a_registry_that_is_down_or_refuses_the_login_is_storage_unavailable(registry, tmp_path):
    store = _store(registry)
    sha256, data = _archive()
    store.put(sha256, data)
    store.check()
    registry.stop()
    for call in (store.check, lambda: store.put(sha256, data), lambda: store.open(sha256),
                 lambda: store.exists(sha256)):
        with pytest.raises(StorageUnavailable, match=f"blob store oci://{registry.host}/{REPOSITORY} could not") as down:
            call()
        assert "cannot reach registry" in down.value.message
        assert down.value.code == "storage-unavailable"

    with DockerRegistry(tmp_path / "auth", htpasswd=("blobs", "s3cret")) as locked:
        with pytest.raises(StorageUnavailable, match="requires a login"):
            _store(locked).put(sha256, data)
        logged_in = _store(locked, oci_username="blobs", oci_password="s3cret")
        logged_in.put(sha256, data)
        logged_in.check()
        with logged_in.open(sha256) as stream:
            assert stream.read() == data
