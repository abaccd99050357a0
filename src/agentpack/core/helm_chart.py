"""Helm charts as agentpack carries them: Chart.yaml's identity, the Helm OCI artifact, and the
images a rendered chart needs.

- A chart is identified by Chart.yaml's ``name`` (lowercase letters, digits and ``-``, as Helm
  recommends and OCI repositories require) and ``version`` (SemVer 2, as Helm requires).
- In an OCI registry a chart is what ``helm push`` writes: a manifest whose config blob is
  Chart.yaml's metadata as JSON (``application/vnd.cncf.helm.config.v1+json``) and whose one
  layer is the chart archive (``application/vnd.cncf.helm.chart.content.v1.tar+gzip``), tagged
  with the version (``+`` written ``_``, as Helm does). agentops puts it in the repository
  ``PREFIX/agentops.charts/NAME``: no package name can take that path (package names have no
  ``.``), so a chart never stands where the registry's packages are listed.
- The images a chart needs are the ``image`` of every container, init container and ephemeral
  container in the objects ``helm template`` renders; an image pinned by digest
  (``repo@sha256:...``) keeps it.

Pure: the caller reads files, runs helm and talks to registries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

CONFIG_MEDIA_TYPE = "application/vnd.cncf.helm.config.v1+json"
LAYER_MEDIA_TYPE = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"
CHARTS_REPOSITORY = "agentops.charts"
_NAME = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def chart_problem(metadata: object) -> str | None:
    """Why ``metadata`` (Chart.yaml's data) does not identify a chart agentops can carry, or None."""
    from agentpack.core.versions import parse_version
    from agentpack.errors import InvalidVersion

    if not isinstance(metadata, Mapping):
        return "Chart.yaml is not a mapping"
    name, version = metadata.get("name"), metadata.get("version")
    if not isinstance(name, str) or not name or not set(name) <= _NAME or name[0] == "-" or name[-1] == "-" \
            or len(name) > 63:
        return f"Chart.yaml name {name!r} must be lowercase letters, digits and '-' (at most 63)"
    if not isinstance(version, str):
        return f"Chart.yaml version {version!r} must be a SemVer version such as 0.1.0 (quote it)"
    try:
        parse_version(version)
    except InvalidVersion as exc:
        return f"Chart.yaml version: {exc.message}"
    if metadata.get("apiVersion") not in ("v1", "v2"):
        return f"Chart.yaml apiVersion {metadata.get('apiVersion')!r} must be v2 (or v1)"
    return None


def archive_name(name: str, version: str) -> str:
    """The file name ``helm package`` gives a chart: ``NAME-VERSION.tgz``."""
    return f"{name}-{version}.tgz"


def chart_repository(prefix: str, name: str) -> str:
    """The OCI repository of chart ``name`` below a registry's ``prefix``."""
    return "/".join(part for part in (prefix, CHARTS_REPOSITORY, name) if part)


def chart_tag(version: str) -> str:
    """The tag of a chart version (``+`` is not allowed in tags: Helm writes ``_``)."""
    return version.replace("+", "_")


def helm_config(metadata: Mapping) -> dict:
    """The config blob's document: Chart.yaml's metadata (JSON-ready values only)."""
    import json

    return json.loads(json.dumps(dict(metadata), default=str))


def helm_manifest(config: tuple[str, int], layer: tuple[str, int], metadata: Mapping) -> dict:
    """The OCI manifest of a chart: ``config`` and ``layer`` are (sha256 hex, size)."""
    from agentpack.core.oci_artifacts import MANIFEST_MEDIA_TYPE, descriptor

    annotations = {"org.opencontainers.image.title": str(metadata["name"]),
                   "org.opencontainers.image.version": str(metadata["version"])}
    if isinstance(metadata.get("description"), str) and metadata["description"]:
        annotations["org.opencontainers.image.description"] = metadata["description"]
    return {"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE,
            "config": descriptor(CONFIG_MEDIA_TYPE, *config),
            "layers": [descriptor(LAYER_MEDIA_TYPE, *layer)], "annotations": annotations}


def images_in(documents: Iterable[object]) -> list[dict]:
    """``[{"image", "digest"}]``, sorted and distinct, of every container image in ``documents``
    (rendered objects); ``digest`` is the pinned ``sha256:...`` or None."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                    found.update(c["image"] for c in value
                                 if isinstance(c, Mapping) and isinstance(c.get("image"), str) and c["image"])
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for document in documents:
        walk(document)
    return [{"image": image, "digest": image.partition("@")[2] or None} for image in sorted(found)]


def image_problem(entry: object) -> str | None:
    """Why an ``images`` entry of a bundle manifest is malformed, or None."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("image"), str) or not entry["image"]:
        return f"malformed image entry {entry!r}"
    digest = entry.get("digest")
    if digest is not None and (not isinstance(digest, str) or not digest.startswith("sha256:")):
        return f"image {entry['image']}: digest {digest!r} is not sha256:..."
    return None
