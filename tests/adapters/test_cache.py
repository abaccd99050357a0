"""BlobCache: content-addressed, atomic, and verified on every read."""

from __future__ import annotations

import hashlib
import os

import pytest

from agentpack.adapters.cache import BlobCache, blob_path, is_sha256, sha256_hex
from agentpack.errors import IntegrityError

DATA = b"an archive's bytes\x00\xff"
DIGEST = hashlib.sha256(DATA).hexdigest()


def test_put_then_get_round_trip(tmp_path):
    cache = BlobCache(str(tmp_path / "cache"))
    assert cache.put(DATA) == DIGEST
    assert cache.has(DIGEST)
    assert cache.get(DIGEST) == DATA


def test_layout_is_blobs_sha256_hex(tmp_path):
    cache = BlobCache(str(tmp_path))
    cache.put(DATA)
    expected = os.path.join(str(tmp_path), "blobs", "sha256", DIGEST)
    assert cache.path(DIGEST) == expected
    assert os.path.isfile(expected)
    assert os.listdir(os.path.dirname(expected)) == [DIGEST]  # no temporary files left behind


def test_missing_entry_is_none(tmp_path):
    cache = BlobCache(str(tmp_path / "never-created"))
    assert cache.get(DIGEST) is None
    assert not cache.has(DIGEST)
    assert not os.path.exists(tmp_path / "never-created")


def test_put_is_idempotent(tmp_path):
    cache = BlobCache(str(tmp_path))
    assert cache.put(DATA) == cache.put(DATA) == DIGEST
    assert cache.get(DIGEST) == DATA


def test_tampered_entry_raises_integrity_error_naming_the_file(tmp_path):
    cache = BlobCache(str(tmp_path))
    cache.put(DATA)
    path = cache.path(DIGEST)
    with open(path, "r+b") as stream:
        first = stream.read(1)
        stream.seek(0)
        stream.write(bytes([first[0] ^ 0x01]))
    with pytest.raises(IntegrityError) as caught:
        cache.get(DIGEST)
    error = caught.value
    assert error.path == path
    assert path in error.message
    assert DIGEST in error.message
    assert "delete" in error.hint and "fresh cache" in error.hint
    assert os.path.exists(path)  # reported, not silently removed


def test_put_repairs_a_tampered_entry(tmp_path):
    cache = BlobCache(str(tmp_path))
    cache.put(DATA)
    with open(cache.path(DIGEST), "wb") as stream:
        stream.write(b"garbage")
    cache.put(DATA)
    assert cache.get(DIGEST) == DATA


@pytest.mark.parametrize(
    "digest", ["", "abc", "../../etc/passwd", DIGEST.upper(), DIGEST[:-1] + "g", DIGEST + "0", None]
)
def test_malformed_digest_never_becomes_a_path(tmp_path, digest):
    assert not is_sha256(digest)
    with pytest.raises(IntegrityError):
        BlobCache(str(tmp_path)).path(digest)
    with pytest.raises(IntegrityError):
        blob_path(str(tmp_path), digest)


def test_sha256_hex():
    assert sha256_hex(DATA) == DIGEST
    assert is_sha256(DIGEST)
