"""The OCI layout of packages (core.oci_artifacts): tags, repositories, manifests and their checks."""

from __future__ import annotations

import json

import pytest

from agentpack.core import oci_artifacts as oci

SHA = "a" * 64


@pytest.mark.parametrize(("version", "tag"), [
    ("1.0.0", "1.0.0"),
    ("1.0.0+build.7", "1.0.0_build.7"),
    ("2.0.0-rc.1+exp.sha.5114f85", "2.0.0-rc.1_exp.sha.5114f85"),
    ("0.0.1-alpha", "0.0.1-alpha"),
])
def test_versions_and_tags_map_both_ways(version, tag):
    assert oci.tag_of(version) == tag
    assert oci.version_of(tag) == version


@pytest.mark.parametrize("tag", ["latest", "sha256-" + SHA, "v1.0.0", "01.0.0", "1.0", "1.0.0__x", "1.0.0_a_b",
                                 "catalog", "", "1.0.0_"])
def test_tags_that_are_not_versions(tag):
    assert oci.version_of(tag) is None


def test_repositories():
    assert oci.repository_of("agents", "team-a/tool") == "agents/team-a/tool"
    assert oci.repository_of("", "tool") == "tool"
    assert oci.catalog_repository("site/agents") == "site/agents/agentops_catalog"


def _record(**changes) -> dict:
    record = {"name": "tool", "version": "1.0.0", "sha256": SHA, "size": 10, "published_at": "2026-01-01T00:00:00Z",
              "manifest": {"description": "A tool", "license": "MIT", "homepage": "https://example.org/tool"},
              "components": {"agents": 1}}
    record.update(changes)
    return record


def _manifest(record: dict) -> dict:
    return oci.package_manifest(record, oci.descriptor(oci.CONFIG_MEDIA_TYPE, "b" * 64, 100),
                                oci.descriptor(oci.LAYER_MEDIA_TYPE, SHA, 10))


def test_a_package_manifest_has_the_mapped_shape_and_annotations():
    manifest = _manifest(_record())
    assert manifest["artifactType"] == oci.PACKAGE_ARTIFACT_TYPE
    assert manifest["annotations"] == {
        "org.opencontainers.image.title": "tool", "org.opencontainers.image.version": "1.0.0",
        "org.opencontainers.image.description": "A tool", "org.opencontainers.image.licenses": "MIT",
        "org.opencontainers.image.source": "https://example.org/tool",
        "org.opencontainers.image.created": "2026-01-01T00:00:00Z"}
    assert oci.manifest_problem(manifest, "package") is None
    assert oci.record_problem(_record(), "tool", "1.0.0", manifest["layers"][0]) is None
    assert oci.encode(manifest) == oci.encode(json.loads(oci.encode(manifest)))  # stable bytes, stable digest


def test_marks_travel_as_annotations_and_come_back():
    yanked = {"reason": "broken", "at": "2026-01-02T00:00:00Z"}
    manifest = _manifest(_record(yanked=yanked))
    assert oci.marks_of(manifest) == {"yanked": yanked}
    assert "yanked" not in oci.config_record(_record(yanked=yanked))
    cleared = oci.with_marks(manifest, _record())
    assert oci.marks_of(cleared) == {} and cleared["annotations"]["org.opencontainers.image.version"] == "1.0.0"
    broken = dict(manifest, annotations={oci.MARK_ANNOTATIONS["yanked"]: "not json"})
    assert oci.marks_of(broken) == {}


@pytest.mark.parametrize(("change", "problem"), [
    (lambda m: m.update(schemaVersion=1), "schemaVersion 2"),
    (lambda m: m.update(mediaType="application/vnd.docker.distribution.manifest.v2+json"), "media type"),
    (lambda m: m.update(layers=[]), "exactly one layer"),
    (lambda m: m["layers"].append(m["layers"][0]), "exactly one layer"),
    (lambda m: m["config"].update(mediaType="application/vnd.oci.image.config.v1+json"), "its config has media type"),
    (lambda m: m["layers"][0].update(digest="sha512:" + SHA), "is not sha256"),
    (lambda m: m["layers"][0].update(size=-1), "'size' must be a whole number"),
    (lambda m: m["layers"][0].update(size=True), "'size' must be a whole number"),
    (lambda m: m.update(annotations={"a": 1}), "'annotations'"),
])
def test_manifests_of_another_shape_are_refused(change, problem):
    manifest = _manifest(_record())
    change(manifest)
    assert problem in oci.manifest_problem(manifest, "package")


@pytest.mark.parametrize(("record", "problem"), [
    (_record(name="other"), "its record is of other@1.0.0"),
    (_record(version="1.0.1"), "its record is of tool@1.0.1"),
    (_record(sha256="c" * 64), "but its layer"),
    (_record(size=11), "but its layer"),
])
def test_a_record_that_disagrees_with_its_tag_or_layer_is_refused(record, problem):
    layer = oci.descriptor(oci.LAYER_MEDIA_TYPE, SHA, 10)
    assert problem in oci.record_problem(record, "tool", "1.0.0", layer)


def test_a_blob_store_manifest_references_one_archive_under_its_own_tag():
    import hashlib

    manifest = oci.blob_manifest(SHA, 1234)
    assert oci.manifest_problem(manifest, "blob") is None
    assert manifest["config"] == oci.descriptor(oci.EMPTY_MEDIA_TYPE, hashlib.sha256(oci.EMPTY_CONFIG).hexdigest(), 2)
    assert manifest["layers"] == [oci.descriptor(oci.LAYER_MEDIA_TYPE, SHA, 1234)]
    assert oci.blob_tag(SHA) == "archive-" + SHA
    assert oci.version_of(oci.blob_tag(SHA)) is None  # never taken for a version
    assert oci.blob_tag(SHA) != oci.fallback_tag(SHA)  # nor for a referrers index
    assert "expected exactly one layer" in oci.manifest_problem(dict(manifest, layers=[]), "blob")
    assert "media type" in oci.manifest_problem(_manifest(_record()), "blob")  # a package is not a blob reference
