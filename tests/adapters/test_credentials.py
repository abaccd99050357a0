"""The token store of `agentops login`: per registry identity, mode 0600 in a 0700 folder."""

from __future__ import annotations

import stat

import pytest

from agentpack.adapters.credentials import CredentialStore
from agentpack.errors import RegistryError


def test_tokens_are_kept_per_registry_privately(tmp_path):
    store = CredentialStore(str(tmp_path / "agentpack"))
    assert store.token("http://a/") is None
    store.store("http://a/", "agp_one")
    store.store("http://b:8080/", "agp_two")
    assert store.token("http://a/") == "agp_one" and store.token("http://b:8080/") == "agp_two"
    assert stat.S_IMODE((tmp_path / "agentpack" / "credentials.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "agentpack").stat().st_mode) == 0o700
    assert store.forget("http://a/") is True and store.forget("http://a/") is False
    assert store.token("http://a/") is None and store.token("http://b:8080/") == "agp_two"


def test_a_damaged_store_is_reported_not_reset(tmp_path):
    (tmp_path / "credentials.json").write_text("{not json")
    with pytest.raises(RegistryError, match="cannot read the stored registry tokens"):
        CredentialStore(str(tmp_path)).token("http://a/")
