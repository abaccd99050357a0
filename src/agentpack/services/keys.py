"""`agentops key generate` and `agentops trust add|list|remove`: signing keys and trust stores.

Keys live in the user data directory's ``keys/`` unless ``--out`` says otherwise. Trust is kept in
two stores whose union is what install trusts:
- the user's, ``<user data dir>/trust/``;
- the workspace's, ``<workspace>/.agentops-trust/``: a directory committed with the repository so
  that a team shares it (deliberately not under ``.agentops/``, which is tool state).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from agentpack.adapters.keys import (
    PRIVATE_SUFFIX,
    KeyPairFiles,
    TrustedKey,
    TrustStore,
    check_key_name,
    generate_key_pair,
    parse_public_key,
)
from agentpack.adapters.paths import user_data_dir
from agentpack.errors import UsageError

WORKSPACE_TRUST_DIR = ".agentops-trust"


def default_keys_dir() -> str:
    """Where `agentops key generate` writes keys by default."""
    return os.path.join(user_data_dir(), "keys")


def generate_key(name: str, out_dir: str | None, passphrase: str | None) -> KeyPairFiles:
    """Write the Ed25519 key pair ``NAME.key`` (0600, encrypted when ``passphrase``) and ``NAME.pub``
    into ``out_dir`` (default: the user keys directory). Never overwrites an existing key."""
    if out_dir:
        return generate_key_pair(out_dir, name, passphrase)
    return generate_key_pair(default_keys_dir(), name, passphrase, root=user_data_dir())


def find_private_key(key: str) -> str:
    """The private key file ``key`` names: a path to a file, else ``NAME`` in the user keys directory."""
    if os.path.isfile(key):
        return key
    if os.sep not in key and "/" not in key:
        candidate = os.path.join(default_keys_dir(), check_key_name(key) + PRIVATE_SUFFIX)
        if os.path.isfile(candidate):
            return candidate
    raise UsageError(f"no private key {key!r} (neither a file nor a key in {default_keys_dir()})",
                     hint="create one with `agentops key generate NAME`, or pass the path to its .key file")


@dataclass(frozen=True)
class TrustEntry:
    """A trusted key as listed: scope (user / workspace), name, fingerprint and file."""

    scope: str
    name: str
    fingerprint: str
    path: str

    @classmethod
    def of(cls, store: TrustStore, key: TrustedKey) -> TrustEntry:
        return cls(store.scope, key.name, key.fingerprint, key.path)

    def to_dict(self) -> dict:
        return {"scope": self.scope, "name": self.name, "fingerprint": self.fingerprint, "path": self.path}


def user_trust_store() -> TrustStore:
    data = user_data_dir()
    return TrustStore(os.path.join(data, "trust"), "user", root=data)


def workspace_trust_store(workspace_root: str) -> TrustStore:
    return TrustStore(os.path.join(workspace_root, WORKSPACE_TRUST_DIR), "workspace", root=workspace_root)


def trust_stores(workspace_root: str | None) -> list[TrustStore]:
    """The user store, then the workspace's when there is a workspace."""
    stores = [user_trust_store()]
    if workspace_root is not None:
        stores.append(workspace_trust_store(workspace_root))
    return stores


def add_trust(pubkey: str, store: TrustStore, name: str | None = None) -> tuple[TrustEntry, bool]:
    """Trust the public key ``pubkey`` (a .pub file, PEM or base64, or the base64 key itself).

    The entry is named ``name``, else the file's stem, else the fingerprint's first 16 digits.
    Returns the entry and whether it was new (the same key twice is a no-op).
    """
    if os.path.isfile(pubkey):
        with open(pubkey, "rb") as handle:
            raw = parse_public_key(handle.read(), where=pubkey)
        default = os.path.splitext(os.path.basename(pubkey))[0]
    else:
        raw = parse_public_key(pubkey.encode("utf-8"), where="the key given")
        default = None
    from agentpack.core.signing import fingerprint

    key, added = store.add(name or default or fingerprint(raw)[:16], raw)
    return TrustEntry.of(store, key), added


def list_trust(workspace_root: str | None) -> list[TrustEntry]:
    """Every trusted key, user store first, then the workspace's."""
    return [TrustEntry.of(store, key) for store in trust_stores(workspace_root) for key in store.keys()]


def remove_trust(name: str, store: TrustStore) -> TrustEntry:
    """Stop trusting the key named (or fingerprinted) ``name`` in ``store``; UsageError if absent."""
    removed = store.remove(name)
    if removed is None:
        other = "--workspace" if store.scope == "user" else "no --workspace"
        raise UsageError(f"no key {name!r} in the {store.scope} trust store ({store.directory})",
                         hint=f"see `agentops trust list`; to remove from the other store use {other}")
    return TrustEntry.of(store, removed)


def trusted_fingerprints(workspace_root: str | None) -> set[str]:
    """Fingerprints of every key in the user and workspace trust stores."""
    return {entry.fingerprint for entry in list_trust(workspace_root)}
