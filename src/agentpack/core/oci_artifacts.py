"""How packages are laid out in an OCI distribution registry (pure): names, tags and manifests.

The mapping is written down in docs/registry-protocol.md ("OCI registries"):

- one repository per package, ``<prefix>/<team>/<name>`` (``<prefix>/<name>`` without a team), and
  one tag per version, ``+`` written ``_`` since tags may not hold ``+`` (as Helm does). A version
  never holds ``_``, so the mapping reverses exactly; tags that do not map back to a version (a
  signature's ``sha256-<hex>`` tag, a ``latest`` someone pushed) are not versions;
- an OCI image manifest whose config blob is the version record and whose single layer is the
  archive, with ``artifactType`` and ``org.opencontainers.image.*`` annotations for other tools;
- yank and deprecation marks change after publishing, so they are annotations of the manifest
  (re-pushed under the same tag, pointing at the same config and layer) rather than part of the
  config blob, whose digest never changes;
- ``<prefix>/agentops_catalog:catalog``, the catalog artifact the client maintains on every write:
  the search catalog for registries that refuse ``_catalog``, and the packages' index serials. A
  package name holds no ``_``, so no package can take that repository.

Everything read back from a registry is checked here for shape before a field is used.
"""

from __future__ import annotations

import json

from agentpack.core.digests import is_sha256

MANIFEST_MEDIA_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
EMPTY_MEDIA_TYPE = "application/vnd.oci.empty.v1+json"
PACKAGE_ARTIFACT_TYPE = "application/vnd.agentops.package.v1"
CONFIG_MEDIA_TYPE = "application/vnd.agentops.package.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.agentops.package.layer.v1.tar+gzip"
CATALOG_ARTIFACT_TYPE = "application/vnd.agentops.catalog.v1"
CATALOG_MEDIA_TYPE = "application/vnd.agentops.catalog.v1+json"
BLOB_ARTIFACT_TYPE = "application/vnd.agentops.blob.v1"
BLOB_TAG_PREFIX = "archive-"
CATALOG_REPOSITORY = "agentops_catalog"
CATALOG_TAG = "catalog"
EMPTY_CONFIG = b"{}"  # the OCI 1.1 empty descriptor's blob, the catalog artifact's config
_EMPTY_SHA256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # of EMPTY_CONFIG
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # what the distribution spec lets a registry refuse beyond
MARK_ANNOTATIONS = {"yanked": "vnd.agentops.package.yanked", "deprecated": "vnd.agentops.package.deprecated"}
_MAX_TAG = 128


def tag_of(version: str) -> str:
    """The tag of ``version`` (``1.0.0+build.1`` -> ``1.0.0_build.1``)."""
    return version.replace("+", "_")


def version_of(tag: str) -> str | None:
    """The version a tag stands for, or None when the tag is not one (see the module docstring)."""
    from agentpack.core.versions import parse_version
    from agentpack.errors import InvalidVersion

    if not isinstance(tag, str) or not tag[:1].isdigit() or len(tag) > _MAX_TAG or tag.count("_") > 1:
        return None
    text = tag.replace("_", "+")
    try:
        return text if str(parse_version(text)) == text else None
    except InvalidVersion:
        return None


def repository_of(prefix: str, name: str) -> str:
    """The repository of package ``name`` below ``prefix`` (``""``: the registry's top level)."""
    return f"{prefix}/{name}" if prefix else name


def catalog_repository(prefix: str) -> str:
    return repository_of(prefix, CATALOG_REPOSITORY)


def digest_of(sha256: str) -> str:
    return f"sha256:{sha256}"


def descriptor(media_type: str, sha256: str, size: int) -> dict:
    return {"mediaType": media_type, "digest": digest_of(sha256), "size": size}


def encode(document: dict) -> bytes:
    """The bytes agentops pushes for a JSON document: compact, keys in a fixed order, so that the
    same content always has the same digest."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str).encode()


def config_record(record: dict) -> dict:
    """The version record as stored in the config blob: without the marks, which are annotations."""
    return {key: value for key, value in record.items() if key not in MARK_ANNOTATIONS}


def package_manifest(record: dict, config: dict, layer: dict) -> dict:
    """The manifest of one version: ``config`` and ``layer`` are the descriptors of the config blob
    (the record) and of the archive. Marks the record carries become annotations."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": PACKAGE_ARTIFACT_TYPE,
        "config": config,
        "layers": [layer],
        "annotations": package_annotations(record),
    }
    return with_marks(manifest, record)


def package_annotations(record: dict) -> dict:
    """The ``org.opencontainers.image.*`` annotations other tools show: version, description,
    source (the package's homepage or repository), licenses, created; empty values left out."""
    manifest = record.get("manifest") or {}
    values = {
        "org.opencontainers.image.title": record.get("name"),
        "org.opencontainers.image.version": record.get("version"),
        "org.opencontainers.image.description": manifest.get("description"),
        "org.opencontainers.image.source": manifest.get("repository") or manifest.get("homepage"),
        "org.opencontainers.image.licenses": manifest.get("license"),
        "org.opencontainers.image.created": record.get("published_at"),
    }
    return {key: value for key, value in values.items() if isinstance(value, str) and value}


def with_marks(manifest: dict, record: dict) -> dict:
    """``manifest`` with its mark annotations set from ``record`` (a mark it lacks is removed)."""
    annotations = {k: v for k, v in (manifest.get("annotations") or {}).items() if k not in MARK_ANNOTATIONS.values()}
    for kind, key in MARK_ANNOTATIONS.items():
        if isinstance(record.get(kind), dict):
            annotations[key] = json.dumps(record[kind], ensure_ascii=False, sort_keys=True)
    return dict(manifest, annotations=annotations)


def marks_of(manifest: dict) -> dict:
    """The marks a manifest's annotations carry, ``{"yanked"?: {...}, "deprecated"?: {...}}``; an
    annotation that is not a JSON object of strings is ignored (the record check would refuse it)."""
    from agentpack.core.bounded_json import parse_json
    from agentpack.errors import AgentpackError

    marks = {}
    annotations = manifest.get("annotations") or {}
    for kind, key in MARK_ANNOTATIONS.items():
        text = annotations.get(key)
        if not isinstance(text, str):
            continue
        try:
            mark = parse_json(text.encode(), source=key)
        except AgentpackError:
            continue
        if isinstance(mark, dict) and all(isinstance(v, str) for v in mark.values()):
            marks[kind] = mark
    return marks


# artifact -> (the config's media type, the one layer's media type)
_MEDIA_TYPES = {"package": (CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE), "catalog": (EMPTY_MEDIA_TYPE, CATALOG_MEDIA_TYPE),
                "blob": (EMPTY_MEDIA_TYPE, LAYER_MEDIA_TYPE)}


def manifest_problem(manifest: object, artifact: str) -> str | None:
    """Why ``manifest`` is not an OCI image manifest of an agentops ``artifact`` ("package",
    "catalog" or "blob"): the media types, exactly one layer, descriptors with a sha256 digest and
    a size."""
    if not isinstance(manifest, dict) or manifest.get("schemaVersion") != 2:
        return "not an OCI image manifest (schemaVersion 2)"
    if manifest.get("mediaType", MANIFEST_MEDIA_TYPE) != MANIFEST_MEDIA_TYPE:
        return f"media type {str(manifest.get('mediaType'))[:100]!r}, expected {MANIFEST_MEDIA_TYPE}"
    config_type, layer_type = _MEDIA_TYPES[artifact]
    layers = manifest.get("layers")
    if not isinstance(layers, list) or len(layers) != 1:
        return "expected exactly one layer"
    for what, found, expected in (("config", manifest.get("config"), config_type), ("layer", layers[0], layer_type)):
        reason = descriptor_problem(found)
        if reason:
            return f"its {what}: {reason}"
        if found["mediaType"] != expected:
            return f"its {what} has media type {found['mediaType'][:100]!r}, expected {expected}"
    annotations = manifest.get("annotations", {})
    if not isinstance(annotations, dict) or not all(isinstance(v, str) for v in annotations.values()):
        return "'annotations' must map names to strings"
    return None


def descriptor_problem(found: object) -> str | None:
    """Why ``found`` is not a descriptor ``{"mediaType": str, "digest": "sha256:<hex>", "size": int >= 0}``."""
    if not isinstance(found, dict) or not isinstance(found.get("mediaType"), str):
        return "not a descriptor with a media type"
    digest = found.get("digest")
    if not isinstance(digest, str) or not digest.startswith("sha256:") or not is_sha256(digest[7:]):
        return f"digest {str(digest)[:80]!r} is not sha256:<64 hex digits>"
    size = found.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        return "'size' must be a whole number"
    return None


def sha256_of(found: dict) -> str:
    """The hex of a checked descriptor's digest."""
    return found["digest"][len("sha256:"):]


def record_problem(record: dict, name: str, version: str, layer: dict) -> str | None:
    """Why the record in a version's config blob does not describe the layer beside it under the
    tag it was read from: another name or version, or a sha256 or size other than the layer's."""
    if record.get("name") != name or record.get("version") != version:
        return (f"its record is of {str(record.get('name'))[:80]}@{str(record.get('version'))[:80]}, "
                f"not {name}@{version}")
    if record.get("sha256") != sha256_of(layer) or record.get("size") != layer["size"]:
        return (f"its record gives sha256 {str(record.get('sha256'))[:80]} and {record.get('size')} bytes, "
                f"but its layer {layer['digest']} and {layer['size']} bytes")
    return None


def catalog_artifact(packages: dict, serials: dict) -> dict:
    """The catalog artifact's document: the search catalog and every package's index serial."""
    return {"format": 1, "packages": dict(sorted(packages.items())), "serials": dict(sorted(serials.items()))}


def catalog_manifest(config: dict, layer: dict) -> dict:
    return {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE, "artifactType": CATALOG_ARTIFACT_TYPE,
            "config": config, "layers": [layer]}


def blob_tag(sha256: str) -> str:
    """The tag that keeps the archive ``sha256`` of a registry server's OCI blob store referenced
    (``archive-<hex>``: not ``sha256-<hex>``, which the OCI 1.1 referrers fallback reserves)."""
    return BLOB_TAG_PREFIX + sha256


def blob_manifest(sha256: str, size: int) -> dict:
    """The manifest tagged ``blob_tag(sha256)`` in a server's OCI blob store: the empty config and
    the archive as its one layer, so that the registry's garbage collector counts the archive as
    referenced (docs/registry-protocol.md, "The server's blobs in an OCI registry")."""
    return {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE, "artifactType": BLOB_ARTIFACT_TYPE,
            "config": descriptor(EMPTY_MEDIA_TYPE, _EMPTY_SHA256, len(EMPTY_CONFIG)),
            "layers": [descriptor(LAYER_MEDIA_TYPE, sha256, size)]}


def fallback_tag(sha256: str) -> str:
    """The OCI 1.1 referrers tag schema: the tag of the index listing the referrers of a manifest
    whose digest is ``sha256:<hex>``, for registries without the referrers API."""
    return f"sha256-{sha256}"
