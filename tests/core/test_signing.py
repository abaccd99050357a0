"""The signed statement and the signature document (core.signing)."""

from __future__ import annotations

import pytest

from agentpack.core.signing import parse_signature_document, signature_document, signed_statement
from agentpack.errors import SignatureError

RAW = bytes(range(32))
SHA = "a" * 64


def test_statement_binds_every_field():
    base = signed_statement("pkg", "1.0.0", SHA)
    assert base == signed_statement("pkg", "1.0.0", SHA)
    assert len({base, signed_statement("pkh", "1.0.0", SHA), signed_statement("pkg", "1.0.1", SHA),
                signed_statement("pkg", "1.0.0", "b" * 64)}) == 4


def test_document_round_trips_and_checks_identity():
    doc = signature_document("pkg", "1.0.0", SHA, RAW, b"s" * 64)
    assert parse_signature_document(doc, name="pkg", version="1.0.0", sha256=SHA, where="x") == (RAW, b"s" * 64)
    for key, value in (("name", "other"), ("version", "2.0.0"), ("sha256", "b" * 64)):
        expected = {"name": "pkg", "version": "1.0.0", "sha256": SHA, key: value}
        with pytest.raises(SignatureError):
            parse_signature_document(doc, where="x", **expected)


@pytest.mark.parametrize("change", [{"format": 2}, {"key": "0" * 64}, {"signature": "!!"}, {"public_key": None}])
def test_malformed_documents_are_refused(change):
    doc = dict(signature_document("pkg", "1.0.0", SHA, RAW, b"s" * 64), **change)
    with pytest.raises(SignatureError):
        parse_signature_document(doc, name="pkg", version="1.0.0", sha256=SHA, where="x")
