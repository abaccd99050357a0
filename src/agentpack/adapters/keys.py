"""Ed25519 keys on disk and trust stores: the only module that touches ``cryptography``.

Files:
- a private key is PKCS#8 PEM, encrypted with the passphrase when one is given, written with mode
  0600 and never overwritten (``NAME.key``);
- a public key file (``NAME.pub``) is SubjectPublicKeyInfo PEM. Wherever a public key is read, the
  raw 32-byte key in base64 (one line, as ``agentops key generate`` prints it) is accepted too;
- a trust store is a directory of public key files named ``<name>.pub``, one per trusted key, so
  that a workspace's store (``.agentops-trust/``, committed with the repository) diffs one key
  per file.

``cryptography`` is imported inside the functions: loading it costs start-up time that commands
which never sign or verify should not pay.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

from agentpack.adapters.paths import make_dirs, open_no_follow, refuse_links, write_atomic
from agentpack.core.limits import MAX_KEY_BYTES
from agentpack.core.records import dataclass
from agentpack.core.signing import fingerprint
from agentpack.errors import SignatureError, UsageError

PRIVATE_SUFFIX = ".key"
PUBLIC_SUFFIX = ".pub"
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class KeyLocked(UsageError):
    """A private key is encrypted and no passphrase (or a wrong one) was given."""

    code = "key-locked"


@dataclass(frozen=True)
class KeyPairFiles:
    """Where a generated key pair was written, and the public key as raw bytes."""

    private_path: str
    public_path: str
    raw_public_key: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw_public_key)

    @property
    def public_base64(self) -> str:
        return base64.b64encode(self.raw_public_key).decode("ascii")


@dataclass(frozen=True)
class TrustedKey:
    """One key of a trust store: its name (file stem), file and raw public key."""

    name: str
    path: str
    raw_public_key: bytes

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw_public_key)


def check_key_name(name: str) -> str:
    """Return ``name`` if it is a safe key/trust-entry name (letters, digits, '.', '_', '-'),
    else raise UsageError: names become file names, so none may hold a path separator."""
    if not isinstance(name, str) or not _KEY_NAME.match(name) or name in (".", ".."):
        raise UsageError(f"invalid key name {name!r}",
                         hint="use letters, digits, '.', '_' and '-' (at most 64 characters)")
    return name


def generate_key_pair(directory: str, name: str, passphrase: str | None, *,
                      root: str | None = None) -> KeyPairFiles:
    """Create ``directory/NAME.key`` (mode 0600) and ``directory/NAME.pub``; refuse to overwrite.

    The private key is encrypted with ``passphrase`` when it is a non-empty string. Raises
    UsageError when either file exists already (a key is never replaced by accident), and
    LinkRefused when a folder between ``root`` (default: ``directory`` itself) and the key files
    is a symbolic link.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    check_key_name(name)
    private_path = os.path.join(directory, name + PRIVATE_SUFFIX)
    public_path = os.path.join(directory, name + PUBLIC_SUFFIX)
    for path in (private_path, public_path):
        if os.path.lexists(path):
            raise UsageError(f"{path} already exists; refusing to overwrite a key", path=path,
                             hint="choose another NAME or --out directory")
    key = Ed25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                  else serialization.NoEncryption())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    root = directory if root is None else root
    make_dirs(root, directory, mode=0o700)
    fd = open_no_follow(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    write_atomic(public_path, public_key_pem(raw), root=root)
    return KeyPairFiles(private_path, public_path, raw)


def private_key_is_encrypted(path: str) -> bool:
    """Whether the PEM private key at ``path`` needs a passphrase."""
    with open(path, "rb") as handle:
        return b"ENCRYPTED" in handle.read(64)


def load_private_key(path: str, passphrase: str | None):
    """The Ed25519 private key at ``path``; KeyLocked when it needs a (different) passphrase,
    UsageError when the file is not an Ed25519 private key."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_KEY_BYTES + 1)
    except OSError as error:
        raise UsageError(f"cannot read key {path}: {error.strerror}", path=path) from None
    if len(data) > MAX_KEY_BYTES:
        raise UsageError(f"{path} is not a PEM private key (it is larger than {MAX_KEY_BYTES:,} bytes)", path=path)
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        try:
            key = serialization.load_pem_private_key(data, password=secret)
        except TypeError:  # encrypted but no passphrase, or a passphrase for a plain key
            if secret is None:
                raise KeyLocked(f"{path} is encrypted and no passphrase was given", path=path,
                                hint="set AGENTOPS_KEY_PASSPHRASE, or run on a terminal to be asked") from None
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # a damaged key can name an unknown algorithm
        if secret is not None and b"ENCRYPTED" in data:
            raise KeyLocked(f"wrong passphrase for {path}", path=path,
                            hint="check AGENTOPS_KEY_PASSPHRASE") from None
        raise UsageError(f"{path} is not a PEM private key", path=path) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 private key", path=path,
                         hint="create one with `agentops key generate NAME`")
    return key


def sign(private_key, message: bytes) -> tuple[bytes, bytes]:
    """``(raw_public_key, signature)`` of ``message`` under an Ed25519 private key."""
    from cryptography.hazmat.primitives import serialization

    raw = private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw, private_key.sign(message)


def verify(raw_public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is a valid Ed25519 signature of ``message`` by ``raw_public_key``."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(raw_public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_pem(raw_public_key: bytes) -> bytes:
    """The SubjectPublicKeyInfo PEM of a raw Ed25519 public key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = Ed25519PublicKey.from_public_bytes(raw_public_key)
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def parse_public_key(text: bytes, *, where: str) -> bytes:
    """The raw 32-byte Ed25519 key in ``text``: SubjectPublicKeyInfo PEM or one line of base64.
    Raises SignatureError naming ``where`` for anything else (a leading byte order mark is ignored)."""
    if len(text) > MAX_KEY_BYTES:
        raise SignatureError(f"{where} is not a public key (it is larger than {MAX_KEY_BYTES:,} bytes)", path=where)
    stripped = text.strip().removeprefix(b"\xef\xbb\xbf").strip()
    if stripped.startswith(b"-----BEGIN"):
        from cryptography.exceptions import UnsupportedAlgorithm
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        try:
            key = serialization.load_pem_public_key(stripped)
        except (ValueError, UnsupportedAlgorithm):  # a damaged key can name an unknown algorithm
            key = None
        if not isinstance(key, Ed25519PublicKey):
            raise SignatureError(f"{where} is not an Ed25519 public key", path=where)
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    try:
        raw = base64.b64decode(stripped, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SignatureError(f"{where} is neither a PEM public key nor a base64 Ed25519 key", path=where,
                             hint="pass the .pub file written by `agentops key generate`, or the key it printed")
    return raw


class TrustStore:
    """A directory of trusted public keys, ``<name>.pub`` each (created on first add).

    Adding and removing keys never goes through a symbolic link below ``root`` (the workspace or
    the user data folder holding the store; default: the store's own folder): ``LinkRefused``.
    """

    def __init__(self, directory: str, scope: str, root: str | None = None) -> None:
        self.directory = directory
        self.scope = scope  # "user" or "workspace", for display
        self.root = directory if root is None else root

    def keys(self) -> list[TrustedKey]:
        """Every key in the store, by name; a file that is not a key raises SignatureError."""
        try:
            names = sorted(os.listdir(self.directory))
        except FileNotFoundError:
            return []
        found = []
        for file in names:
            if not file.endswith(PUBLIC_SUFFIX) or file.startswith("."):
                continue
            path = os.path.join(self.directory, file)
            with open(path, "rb") as handle:
                found.append(TrustedKey(file[: -len(PUBLIC_SUFFIX)], path, parse_public_key(handle.read(MAX_KEY_BYTES + 1),
                                                                                   where=path)))
        return found

    def add(self, name: str, raw_public_key: bytes) -> tuple[TrustedKey, bool]:
        """Trust a key under ``name``; ``(entry, added)``. Adding the same key again is a no-op
        (``added`` False, under its existing name); another key under a taken name is refused."""
        check_key_name(name)
        for entry in self.keys():
            if entry.raw_public_key == raw_public_key:
                return entry, False
            if entry.name == name:
                raise UsageError(f"the {self.scope} trust store already has a different key named {name}",
                                 path=entry.path, hint="choose another --name, or remove the old key first")
        path = os.path.join(self.directory, name + PUBLIC_SUFFIX)
        write_atomic(path, public_key_pem(raw_public_key), root=self.root)
        return TrustedKey(name, path, raw_public_key), True

    def remove(self, name: str) -> TrustedKey | None:
        """Stop trusting the key named ``name`` (or whose fingerprint is ``name``); None if absent."""
        for entry in self.keys():
            if name in (entry.name, entry.fingerprint):
                refuse_links(self.root, entry.path)
                os.unlink(entry.path)
                return entry
        return None
