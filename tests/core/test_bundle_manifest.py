"""The bundle manifest's written form: JSON that every YAML parser reads as the same document."""

from __future__ import annotations

import pytest
import yaml

from agentpack.core.bundle_manifest import (
    build_manifest,
    check_manifest,
    package_paths,
    parse_manifest,
    render_manifest,
)
from agentpack.errors import IntegrityError


def _document(packages):
    files = {path: f"{i:064x}" for i, p in enumerate(packages) for path in package_paths(p["name"], p["version"])}
    return build_manifest(created="2026-11-25T12:00:00Z", tier="edge", classification="cui",
                          packages=packages, files=files)


def test_rendered_manifest_is_the_same_document_as_json_and_as_yaml():
    packages = [{"name": "team/triage", "version": "1.0.0-rc.1+b", "sha256": "a" * 64, "classification": "cui"},
                {"name": "intake", "version": "2.0.0", "sha256": "b" * 64, "classification": "unclassified"}]
    document = _document(packages)
    raw = render_manifest(document)
    assert parse_manifest(raw) == document
    assert yaml.safe_load(raw) == document
    assert check_manifest(parse_manifest(raw), "manifest.yaml") == document
    # One package and one file per line: a reader can scan it, and a diff shows what changed.
    lines = raw.decode().splitlines()
    assert sum('"name": ' in line for line in lines) == 2
    assert sum(line.strip().startswith('"packages/') for line in lines) == 4


def test_an_empty_manifest_renders_empty_collections():
    raw = render_manifest(_document([]))
    assert '"packages": []' in raw.decode() and '"files": {}' in raw.decode()
    assert parse_manifest(raw) == yaml.safe_load(raw) == _document([])


def test_rendering_is_deterministic():
    packages = [{"name": "a", "version": "1.0.0", "sha256": "c" * 64, "classification": "cui"}]
    assert render_manifest(_document(packages)) == render_manifest(_document(list(packages)))


@pytest.mark.parametrize("name", ["Triage", "triage--x", "a/b/c", "..", "triage_x", "x" * 65])
def test_a_package_name_in_a_bundle_follows_the_rule_for_typed_names(name):
    document = _document([{"name": name, "version": "1.0.0", "sha256": "a" * 64, "classification": "cui"}])
    with pytest.raises(IntegrityError, match="package name"):
        check_manifest(document, "manifest.yaml")
