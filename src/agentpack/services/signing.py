"""Signing archives at build time and checking signatures at publish and install time.

- ``load_signer`` opens a private key (asking for its passphrase only through the callback the
  command line gives), before anything is built, so a locked key writes nothing;
- ``write_signature`` writes ``ARCHIVE.sig`` (see core.signing for the document);
- ``verify_document`` checks a document against the archive it claims and returns the key's
  fingerprint; ``verify_pins`` applies it, and the require-signatures policy, to an install.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from agentpack.core.lockfile import FILE_SOURCE_PREFIX, LockedPackage, Lockfile
from agentpack.core.records import replace
from agentpack.core.signing import (
    SIGNATURE_SUFFIX,
    parse_signature_document,
    signature_document,
    signed_statement,
)
from agentpack.errors import Problem, SignatureError, UntrustedPackage


class Signer:
    """An opened private key that signs name@version archives."""

    def __init__(self, private_key, path: str) -> None:
        self._key = private_key
        self.path = path

    def document(self, name: str, version: str, sha256: str) -> dict:
        from agentpack.adapters.keys import sign

        raw, signature = sign(self._key, signed_statement(name, version, sha256))
        return signature_document(name, version, sha256, raw, signature)


def load_signer(key: str, passphrase: str | None, prompt: Callable[[str], str] | None = None) -> Signer:
    """Open the private key ``key`` names (see services.keys.find_private_key). An encrypted key
    with no ``passphrase`` is unlocked with ``prompt(path)`` when given, else KeyLocked is raised."""
    from agentpack.adapters.keys import load_private_key, private_key_is_encrypted
    from agentpack.services.keys import find_private_key

    path = find_private_key(key)
    if passphrase is None and prompt is not None and private_key_is_encrypted(path):
        passphrase = prompt(path)
    return Signer(load_private_key(path, passphrase), path)


def write_signature(archive_path: str, signer: Signer, name: str, version: str, sha256: str) -> str:
    """Write the detached signature ``ARCHIVE.sig`` of a built archive; return its path."""
    from agentpack.adapters.paths import write_atomic

    path = archive_path + SIGNATURE_SUFFIX
    text = json.dumps(signer.document(name, version, sha256), indent=2, sort_keys=True) + "\n"
    write_atomic(path, text.encode("utf-8"))
    return path


def read_sidecar(archive_path: str) -> dict | None:
    """The signature document beside an archive (``ARCHIVE.sig``), or None when there is none."""
    path = archive_path + SIGNATURE_SUFFIX
    if not os.path.isfile(path):
        return None
    from agentpack.core.bounded_json import parse_json
    from agentpack.core.limits import MAX_JSON_BYTES

    with open(path, "rb") as handle:
        return parse_json(handle.read(MAX_JSON_BYTES + 1), source=path, error=SignatureError,
                          hint="sign the archive again, or delete the .sig file")


def verify_document(document: object, *, name: str, version: str, sha256: str, where: str) -> str:
    """Verify a signature document over name@version with archive ``sha256``; return the key's
    fingerprint. Raises SignatureError (naming ``where``) for any mismatch or a bad signature."""
    from agentpack.adapters.keys import verify

    raw_key, signature = parse_signature_document(document, name=name, version=version, sha256=sha256,
                                                  where=where)
    if not verify(raw_key, signature, signed_statement(name, version, sha256)):
        raise SignatureError(f"the signature of {name}@{version} in {where} does not verify",
                             path=where, hint="the package or its signature was changed after signing; "
                             "nothing was installed")
    return document["key"]


def verify_pins(pins: dict[str, LockedPackage], lock: Lockfile, source, *, require: bool,
               trusted: Callable[[], set[str]]) -> dict[str, LockedPackage]:
    """The pins with ``signed_by`` set, after verifying every signature the registry records.

    A lock's ``signed_by`` is a claim, not evidence (a lock arrives in pull requests). Without
    ``require``, a pin the lock already holds unchanged (same version, sha256 and source) keeps
    it as a note: nothing is decided on it. With ``require``, and for any other pin, the registry
    record is read and its ``signature``, if any, verified (SignatureError on a bad one). So is
    the record of an archive read from disk for this run (``source.local_spec``), whose
    ``signature`` is the ``ARCHIVE.sig`` beside it now, even when the lock holds it unchanged:
    signing an archive after installing it counts. With
    ``require``, every package must be signed by a key in ``trusted()``: otherwise
    UntrustedPackage lists each offender. Reads no archive.
    """
    checked: dict[str, LockedPackage] = {}
    for name, pin in sorted(pins.items()):
        old = lock.packages.get(name)
        if (not require and old is not None and not source.local_spec(name)
                and (old.version, old.sha256, old.source) == (pin.version, pin.sha256, pin.source)):
            checked[name] = replace(pin, signed_by=old.signed_by)
            continue
        record = source.record(name, pin.version)
        document = record.get("signature")
        signed_by = None
        if document is not None:
            signed_by = verify_document(document, name=name, version=pin.version, sha256=pin.sha256,
                                        where=source.describe(name) if not source.local_spec(name) else pin.source)
        checked[name] = replace(pin, signed_by=signed_by)
    if require:
        _enforce(checked, trusted())
    return checked


def _enforce(pins: dict[str, LockedPackage], trusted: set[str]) -> None:
    problems = []
    unsigned_archives = False
    for name, pin in sorted(pins.items()):
        if pin.signed_by is None and pin.source.startswith(FILE_SOURCE_PREFIX):
            unsigned_archives = True
            archive = pin.source[len(FILE_SOURCE_PREFIX):]
            problems.append(Problem("error", "unsigned",
                                    f"{name}@{pin.version} from the archive {archive} is not signed: "
                                    f"there is no {archive}{SIGNATURE_SUFFIX} beside it"))
        elif pin.signed_by is None:
            problems.append(Problem("error", "unsigned", f"{name}@{pin.version} is not signed"))
        elif pin.signed_by not in trusted:
            problems.append(Problem("error", "untrusted-key",
                                    f"{name}@{pin.version} is signed by key {pin.signed_by}, which is not trusted"))
    if problems:
        raise UntrustedPackage(
            f"signatures are required and {len(problems)} package(s) are unsigned or signed by an untrusted key; "
            "nothing was changed", problems=problems,
            hint="trust the publisher's key with `agentops trust add PUBKEY`, or install signed packages"
                 + ("; build a local archive with `agentops package build DIR --sign KEY` to sign it"
                    if unsigned_archives else ""),
        )


def checked_sidecar(archive_path: str, record: dict) -> dict | None:
    """The signature document beside an archive about to be published, verified against the
    archive's name, version and sha256 (SignatureError when bad); None when it is unsigned."""
    document = read_sidecar(archive_path)
    if document is None:
        return None
    verify_document(document, name=record["name"], version=record["version"], sha256=record["sha256"],
                    where=archive_path + SIGNATURE_SUFFIX)
    return document
