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
- the config descriptor also carries the record itself, base64 in its ``data`` field (OCI 1.1
  descriptors may embed their content), so that a reader has the record with the manifest, one
  round trip instead of two; it is checked against the descriptor's digest and size like a blob
  read from the registry, and a manifest without it (another writer, an older agentops) has its
  config blob fetched as before;
- a version's signature (the detached document of ``ARCHIVE.sig``) is an artifact of its own whose
  ``subject`` is the version's manifest, found through the referrers API or the ``sha256-<hex>``
  fallback tag; it is not in the config blob, so that signing never changes a record's digest and
  other tools see it as what it is;
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
SIGNATURE_ARTIFACT_TYPE = "application/vnd.agentops.package.signature.v1"
SIGNATURE_MEDIA_TYPE = "application/vnd.agentops.package.signature.v1+json"
SIGNATURE_KEY_ANNOTATION = "vnd.agentops.package.signature.key"
MAX_SIGNATURE_BYTES = 64 * 1024  # a signature document is about 400 bytes
MAX_SIGNATURES = 32  # signature referrers read for one version; agentops writes one
CATALOG_REPOSITORY = "agentops_catalog"
CATALOG_TAG = "catalog"
EMPTY_CONFIG = b"{}"  # the OCI 1.1 empty descriptor's blob, the config of every artifact but a package
EMPTY_SHA256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"  # of EMPTY_CONFIG
MAX_EMBEDDED_BYTES = 256 * 1024  # a record is a few KiB; a larger one is only referenced, not embedded
# An archive this small travels in its manifest too (the layer descriptor's ``data``), as the
# image spec suggests for small content: a reader then needs no request of its own for it, which
# costs the registry more than the manifest did. Bounded because a reader reads the manifest of
# every version listed, installed or not: at 8 KiB an index read carries at most ~11 KB more per
# version, about what its embedded record weighs already, and less than a round trip costs.
MAX_EMBEDDED_ARCHIVE_BYTES = 8 * 1024
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # what the distribution spec lets a registry refuse beyond
TITLE_ANNOTATION = "org.opencontainers.image.title"
MARK_ANNOTATIONS = {"yanked": "vnd.agentops.package.yanked", "deprecated": "vnd.agentops.package.deprecated"}
_NOT_IN_CONFIG = (*MARK_ANNOTATIONS, "signature")  # marks are annotations, the signature a referrer
_ARTIFACTS = {  # artifact -> (config media type, layer media type)
    "package": (CONFIG_MEDIA_TYPE, LAYER_MEDIA_TYPE),
    "catalog": (EMPTY_MEDIA_TYPE, CATALOG_MEDIA_TYPE),
    "signature": (EMPTY_MEDIA_TYPE, SIGNATURE_MEDIA_TYPE),
    "blob": (EMPTY_MEDIA_TYPE, LAYER_MEDIA_TYPE),
}
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


def embedding(media_type: str, content: bytes, limit: int = MAX_EMBEDDED_BYTES) -> dict:
    """The descriptor of ``content`` with the content itself in its ``data`` field (base64), when
    it is at most ``limit`` bytes; a plain descriptor otherwise."""
    import base64
    import hashlib

    found = descriptor(media_type, hashlib.sha256(content).hexdigest(), len(content))
    if len(content) <= limit:
        found["data"] = base64.b64encode(content).decode("ascii")
    return found


def embedded(found: dict) -> tuple[bytes | None, str | None]:
    """``(content, None)`` from a checked descriptor's ``data`` field when it holds exactly the
    content its digest and size name; ``(None, None)`` when it has none; ``(None, why)`` when the
    field is there but is not base64 of that content (the artifact is damaged)."""
    import base64
    import binascii
    import hashlib

    data = found.get("data")
    if data is None:
        return None, None
    if not isinstance(data, str) or len(data) > 4 * (MAX_EMBEDDED_BYTES // 3 + 1):
        return None, "its 'data' is not the base64 of an embedded blob of at most 256 KiB"
    try:
        content = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None, "its 'data' is not valid base64"
    if len(content) != found["size"] or hashlib.sha256(content).hexdigest() != sha256_of(found):
        return None, f"its 'data' is not the content of {found['digest']} ({found['size']} bytes)"
    return content, None


def config_record(record: dict) -> dict:
    """The version record as stored in the config blob: without the marks, which are annotations,
    and without the signature, which is a referrer. Read back, a config blob's own ``signature``
    is dropped the same way: only a signature artifact counts."""
    return {key: value for key, value in record.items() if key not in _NOT_IN_CONFIG}


def package_manifest(record: dict, config: dict, layer: dict) -> dict:
    """The manifest of one version: ``config`` and ``layer`` are the descriptors of the config blob
    (the record) and of the archive. The layer is titled with the archive's file name, which
    `oras pull` writes it to; marks the record carries become annotations."""
    from agentpack.core.names import archive_basename

    title = archive_basename(str(record.get("name")), str(record.get("version"))) + ".tar.gz"
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": PACKAGE_ARTIFACT_TYPE,
        "config": config,
        "layers": [dict(layer, annotations={TITLE_ANNOTATION: title})],
        "annotations": package_annotations(record),
    }
    return with_marks(manifest, record)


def package_annotations(record: dict) -> dict:
    """The ``org.opencontainers.image.*`` annotations other tools show: version, description,
    source (the package's homepage or repository), licenses, created; empty values left out."""
    manifest = record.get("manifest") or {}
    values = {
        TITLE_ANNOTATION: record.get("name"),
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


def manifest_problem(manifest: object, artifact: str) -> str | None:
    """Why ``manifest`` is not an OCI image manifest of an agentops ``artifact`` ("package",
    "catalog", "signature" or "blob"): the media types, exactly one layer, descriptors with a
    sha256 digest and a size, and for a signature a ``subject`` descriptor."""
    if not isinstance(manifest, dict) or manifest.get("schemaVersion") != 2:
        return "not an OCI image manifest (schemaVersion 2)"
    if manifest.get("mediaType", MANIFEST_MEDIA_TYPE) != MANIFEST_MEDIA_TYPE:
        return f"media type {str(manifest.get('mediaType'))[:100]!r}, expected {MANIFEST_MEDIA_TYPE}"
    config_type, layer_type = _ARTIFACTS[artifact]
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
    if artifact == "signature":
        reason = descriptor_problem(manifest.get("subject"))
        if reason:
            return f"its subject: {reason}"
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
            "config": descriptor(EMPTY_MEDIA_TYPE, EMPTY_SHA256, len(EMPTY_CONFIG)),
            "layers": [descriptor(LAYER_MEDIA_TYPE, sha256, size)]}


def signature_manifest(document: bytes, key: object, subject: bytes) -> dict:
    """The signature artifact of the package manifest ``subject`` (its bytes): the empty config,
    one layer holding the signature document (its bytes ``document``, ``encode``d), and the
    signing key's fingerprint ``key`` as an annotation for other tools. Nothing in it depends on
    the clock, so pushing the same signature for the same manifest twice gives the same digest."""
    import hashlib

    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": SIGNATURE_ARTIFACT_TYPE,
        "config": descriptor(EMPTY_MEDIA_TYPE, EMPTY_SHA256, len(EMPTY_CONFIG)),
        "layers": [descriptor(SIGNATURE_MEDIA_TYPE, hashlib.sha256(document).hexdigest(), len(document))],
        "subject": descriptor(MANIFEST_MEDIA_TYPE, hashlib.sha256(subject).hexdigest(), len(subject)),
    }
    if isinstance(key, str) and key:
        manifest["annotations"] = {SIGNATURE_KEY_ANNOTATION: key}
    return manifest


def referrer_descriptor(body: bytes, manifest: dict) -> dict:
    """The descriptor of a referrer manifest (its ``body`` and parsed ``manifest``) as an image
    index lists it: with its ``artifactType`` and annotations, so that a reader can filter."""
    import hashlib

    found = {"mediaType": MANIFEST_MEDIA_TYPE, "digest": digest_of(hashlib.sha256(body).hexdigest()),
             "size": len(body), "artifactType": manifest.get("artifactType")}
    if manifest.get("annotations"):
        found["annotations"] = manifest["annotations"]
    return found


def is_signature(found: object) -> bool:
    """Whether a referrer descriptor is of an agentops signature artifact."""
    return isinstance(found, dict) and found.get("artifactType") == SIGNATURE_ARTIFACT_TYPE


def fallback_tag(sha256: str) -> str:
    """The OCI 1.1 referrers tag schema: the tag of the index listing the referrers of a manifest
    whose digest is ``sha256:<hex>``, for registries without the referrers API."""
    return f"sha256-{sha256}"
