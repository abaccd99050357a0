"""Package signatures: the signed statement and the detached signature document (pure).

A signature binds a package's name, version and archive sha256. What is signed is the canonical
byte string ``signed_statement(name, version, sha256)``: a fixed domain tag, then the three values
as compact JSON with sorted keys, so that a signature over a package can never be replayed as a
signature over anything else, and no two (name, version, sha256) triples share a statement.

The detached document, written as ``ARCHIVE.sig`` by ``agentops package build --sign`` and stored
as the ``signature`` key of a registry version record::

    {"format": 1, "name": ..., "version": ..., "sha256": <archive sha256, hex>,
     "key": <fingerprint: sha256 of the raw 32-byte Ed25519 public key, hex>,
     "public_key": <the raw public key, base64>, "signature": <Ed25519 signature, base64>}

``public_key`` makes every signature verifiable offline without a trust store; whether the key
is *trusted* is a separate question answered by its fingerprint.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from agentpack.errors import SignatureError

SIGNATURE_FORMAT = 1
SIGNATURE_SUFFIX = ".sig"
_DOMAIN = b"agentpack package signature v1\n"
_FIELDS = ("format", "name", "version", "sha256", "key", "public_key", "signature")


def signed_statement(name: str, version: str, sha256: str) -> bytes:
    """The exact bytes an Ed25519 signature over name@version with archive ``sha256`` covers."""
    body = json.dumps({"name": name, "version": version, "sha256": sha256}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=True)
    return _DOMAIN + body.encode("ascii")


def fingerprint(raw_public_key: bytes) -> str:
    """A key's fingerprint: the sha256 of its raw 32-byte Ed25519 public key, as lowercase hex."""
    return hashlib.sha256(raw_public_key).hexdigest()


def signature_document(name: str, version: str, sha256: str, raw_public_key: bytes, signature: bytes) -> dict:
    """The detached signature document (see the module docstring) for a signature already made."""
    return {
        "format": SIGNATURE_FORMAT, "name": name, "version": version, "sha256": sha256,
        "key": fingerprint(raw_public_key), "public_key": base64.b64encode(raw_public_key).decode("ascii"),
        "signature": base64.b64encode(signature).decode("ascii"),
    }


def parse_signature_document(document: object, *, name: str, version: str, sha256: str,
                             where: str) -> tuple[bytes, bytes]:
    """Check a signature document's shape and that it is about name@version with archive ``sha256``.

    Returns ``(raw_public_key, signature)`` for the cryptographic check, which the caller makes
    over ``signed_statement(name, version, sha256)``. Raises SignatureError naming ``where`` (the
    file or registry the document came from) and what does not match.
    """
    if not isinstance(document, dict) or not _well_typed(document):
        raise SignatureError(f"the signature of {name}@{version} in {where} is malformed "
                             f"(expected the fields {', '.join(_FIELDS)}: an integer format, the others "
                             "strings)", path=where)
    if document["format"] != SIGNATURE_FORMAT:
        raise SignatureError(f"the signature of {name}@{version} in {where} has unsupported format "
                             f"{document['format']!r}", path=where, hint="upgrade agentpack")
    for key, expected in (("name", name), ("version", version), ("sha256", sha256)):
        if document[key] != expected:
            raise SignatureError(
                f"the signature in {where} is for {key} {document[key]!r}, not {expected!r} of {name}@{version}",
                path=where, hint="the signature belongs to another package or another build of it")
    try:
        raw_key = base64.b64decode(document["public_key"], validate=True)
        signature = base64.b64decode(document["signature"], validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise SignatureError(f"the signature of {name}@{version} in {where} is not valid base64",
                             path=where) from None
    if len(raw_key) != 32 or fingerprint(raw_key) != document["key"]:
        raise SignatureError(f"the signature of {name}@{version} in {where} names key {document['key']} "
                             "but carries a different public key", path=where)
    return raw_key, signature


def _well_typed(document: dict) -> bool:
    """Whether ``format`` is an integer and every other field a string."""
    version = document.get("format")
    return (isinstance(version, int) and not isinstance(version, bool)
            and all(isinstance(document.get(k), str) for k in _FIELDS[1:]))
