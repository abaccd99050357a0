"""`agentops key generate` and `agentops trust add|list|remove`: signing keys and trust stores.

Keys live in the user data directory's ``keys/`` unless ``--out`` says otherwise. Trust is kept in
two stores whose union is what install trusts:
- the user's, ``<user data dir>/trust/``;
- the workspace's, ``<workspace>/.agentops-trust/``: a directory committed with the repository so
  that a team shares it (deliberately not under ``.agentops/``, which is tool state).
"""

from __future__ import annotations

import os
import re

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
from agentpack.core.limits import MAX_KEY_BYTES
from agentpack.core.records import dataclass
from agentpack.errors import AgentpackError, UsageError

WORKSPACE_TRUST_DIR = ".agentops-trust"
# What is taken for a key typed on the command line rather than a file name: PEM text, or a long
# run of base64 characters (a raw Ed25519 key is 44 of them); anything else is a path.
_KEY_TEXT = re.compile(r"-----BEGIN[\s\S]*|[A-Za-z0-9+/]{40,}={0,2}")


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
    Returns the entry and whether it was new (the same key twice is a no-op). A ``pubkey`` that
    is neither an existing file nor key text is reported as a missing file (``AgentpackError``).
    """
    raw, default = _read_public_key(pubkey)
    from agentpack.core.signing import fingerprint

    key, added = store.add(name or default or fingerprint(raw)[:16], raw)
    return TrustEntry.of(store, key), added


def _read_public_key(pubkey: str) -> tuple[bytes, str | None]:
    """The raw key ``pubkey`` names, and the default entry name (the file's stem) if it is a file."""
    try:
        with open(pubkey, "rb") as handle:
            data = handle.read(MAX_KEY_BYTES + 1)
    except FileNotFoundError:
        data = None
    except IsADirectoryError:
        raise UsageError(f"{pubkey} is a folder, not a public key file", path=pubkey,
                         hint="pass the .pub file written by `agentops key generate`") from None
    except OSError as error:
        raise AgentpackError(f"cannot read {pubkey}: {error.strerror or error}", path=pubkey) from None
    if data is not None:
        return parse_public_key(data, where=pubkey), os.path.splitext(os.path.basename(pubkey))[0]
    if not _KEY_TEXT.fullmatch(pubkey.strip()):
        raise AgentpackError(f"{pubkey}: no such file", path=pubkey,
                             hint="check the path of the .pub file (relative to the current folder, or to -C DIR), "
                                  "or pass the base64 key that `agentops key generate` printed")
    return parse_public_key(pubkey.encode("utf-8"), where="the key given"), None


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
