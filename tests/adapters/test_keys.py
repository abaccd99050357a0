"""Ed25519 key files and trust stores (adapters.keys), on real files."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from agentpack.adapters.keys import (
    KeyLocked,
    TrustStore,
    generate_key_pair,
    load_private_key,
    parse_public_key,
    sign,
    verify,
)
from agentpack.core.signing import fingerprint
from agentpack.errors import SignatureError, UsageError


def test_generated_private_key_is_0600_and_opens(tmp_path):
    pair = generate_key_pair(str(tmp_path / "keys"), "alice", None)
    assert stat.S_IMODE(os.stat(pair.private_path).st_mode) == 0o600
    assert pair.fingerprint == fingerprint(pair.raw_public_key)
    key = load_private_key(pair.private_path, None)
    raw, signature = sign(key, b"message")
    assert raw == pair.raw_public_key
    assert verify(raw, signature, b"message")
    assert not verify(raw, signature, b"other message")


def test_encrypted_key_needs_its_passphrase(tmp_path):
    pair = generate_key_pair(str(tmp_path), "bob", "correct horse")
    assert b"ENCRYPTED" in open(pair.private_path, "rb").read()
    with pytest.raises(KeyLocked):
        load_private_key(pair.private_path, None)
    with pytest.raises(KeyLocked):
        load_private_key(pair.private_path, "wrong")
    load_private_key(pair.private_path, "correct horse")


def test_never_overwrites_a_key_and_refuses_unsafe_names(tmp_path):
    generate_key_pair(str(tmp_path), "alice", None)
    before = open(tmp_path / "alice.key", "rb").read()
    with pytest.raises(UsageError):
        generate_key_pair(str(tmp_path), "alice", None)
    assert open(tmp_path / "alice.key", "rb").read() == before
    for bad in ("../escape", "a/b", "", ".hidden"):
        with pytest.raises(UsageError):
            generate_key_pair(str(tmp_path), bad, None)


def test_public_key_reads_as_pem_or_base64(tmp_path):
    pair = generate_key_pair(str(tmp_path), "alice", None)
    pem = open(pair.public_path, "rb").read()
    assert pem.startswith(b"-----BEGIN PUBLIC KEY-----")
    assert parse_public_key(pem, where="pem") == pair.raw_public_key
    assert parse_public_key(pair.public_base64.encode() + b"\n", where="b64") == pair.raw_public_key
    for bad in (b"not a key", base64.b64encode(b"short"), b"-----BEGIN PUBLIC KEY-----\nxx\n-----END PUBLIC KEY-----"):
        with pytest.raises(SignatureError):
            parse_public_key(bad, where="bad")


def test_trust_store_add_list_remove(tmp_path):
    alice = generate_key_pair(str(tmp_path / "k"), "alice", None)
    bob = generate_key_pair(str(tmp_path / "k"), "bob", None)
    store = TrustStore(str(tmp_path / "trust"), "user")
    assert store.keys() == []
    entry, added = store.add("alice", alice.raw_public_key)
    assert added and entry.fingerprint == alice.fingerprint
    assert store.add("other-name", alice.raw_public_key) == (entry, False)  # same key: no-op
    with pytest.raises(UsageError):
        store.add("alice", bob.raw_public_key)  # a taken name
    store.add("bob", bob.raw_public_key)
    assert [k.name for k in store.keys()] == ["alice", "bob"]
    assert store.remove(bob.fingerprint).name == "bob"  # by fingerprint
    assert store.remove("alice").name == "alice"
    assert store.remove("alice") is None
    assert store.keys() == []


def _with_other_algorithm(pem: bytes, at: int) -> bytes:
    """``pem`` with byte ``at`` of its DER changed: the key's algorithm OID then names no known one."""
    lines = pem.split(b"\n")
    der = bytearray(base64.b64decode(b"".join(lines[1:-2])))
    der[at] ^= 0x03
    return b"\n".join([lines[0], base64.b64encode(bytes(der)), *lines[-2:]])


def test_a_key_naming_an_unknown_algorithm_is_an_error_naming_the_file(tmp_path):
    from agentpack.errors import AgentpackError

    pair = generate_key_pair(str(tmp_path), "alice", None)
    public = _with_other_algorithm(open(pair.public_path, "rb").read(), 7)
    with pytest.raises(AgentpackError) as caught:
        parse_public_key(public, where="alice.pub")
    assert caught.value.path == "alice.pub"
    damaged = tmp_path / "damaged.key"
    damaged.write_bytes(_with_other_algorithm(open(pair.private_path, "rb").read(), 11))
    for passphrase in (None, "pass"):
        with pytest.raises(AgentpackError) as caught:
            load_private_key(str(damaged), passphrase)
        assert caught.value.path == str(damaged)


def test_oversize_key_files_are_refused_without_reading_them_whole(tmp_path):
    from agentpack.core.limits import MAX_KEY_BYTES
    from agentpack.errors import AgentpackError

    big = tmp_path / "big.key"
    big.write_bytes(b"-----BEGIN PRIVATE KEY-----\n" + b"A" * (MAX_KEY_BYTES * 2))
    with pytest.raises(AgentpackError) as caught:
        load_private_key(str(big), None)
    assert caught.value.path == str(big) and "larger than" in caught.value.message
    with pytest.raises(SignatureError):
        parse_public_key(b" " * (MAX_KEY_BYTES + 1), where="big.pub")


def test_a_byte_order_mark_before_a_public_key_is_ignored(tmp_path):
    pair = generate_key_pair(str(tmp_path), "alice", None)
    pem = open(pair.public_path, "rb").read()
    assert parse_public_key(b"\xef\xbb\xbf" + pem, where="alice.pub") == pair.raw_public_key
    line = base64.b64encode(pair.raw_public_key)
    assert parse_public_key(b"\xef\xbb\xbf" + line + b"\n", where="alice.pub") == pair.raw_public_key
