"""The Helm chart in a bundle: packaged at collect, listed with its images, pushed at load.

- ``package_chart_folder`` packages the chart reproducibly (adapters.chart_archive) and, where
  helm is installed, has helm itself read the archive back (``helm show chart``): what the far side
  installs is what helm understands, not just what agentops wrote.
- ``chart_images`` runs ``helm template`` over the chart with the tier's values file and lists the
  image of every container it renders (core.helm_chart.images_in). Nothing is pulled.
- ``check_charts`` and ``push_charts`` put each chart into an oci:// registry as ``helm push``
  does (core.helm_chart: config and layer media types, tag = version), in the repository
  ``PREFIX/agentops.charts/NAME``; a tag that holds other content stops the load before any
  package is imported. A directory registry holds no charts: the chart stays in the bundle, a
  plain tar (``tar -xf site.bundle charts/``).
"""

from __future__ import annotations

import os
import sys

from agentpack.core.helm_chart import (
    chart_repository,
    chart_tag,
    helm_config,
    helm_manifest,
    images_in,
)
from agentpack.core.oci_artifacts import encode
from agentpack.errors import AgentpackError, RegistryConflict, UsageError

_HELM_HINT = "install helm (scripts/get-helm.sh puts it in .venv/bin) or set AGENTOPS_HELM to its path"


def package_chart_folder(folder: str):
    """The ChartArchive of ``folder``, read back by ``helm show chart`` where helm is installed."""
    from agentpack.adapters.chart_archive import package_chart
    from agentpack.adapters.helm import find_helm, run_helm

    archive = package_chart(folder)
    helm = find_helm()
    if helm is None:
        return archive
    import tempfile  # with shutil, ~3.5 ms that a bundle without charts never needs

    with tempfile.TemporaryDirectory(prefix="agentops-chart-") as scratch:
        path = os.path.join(scratch, f"{archive.name}-{archive.version}.tgz")
        with open(path, "wb") as handle:
            handle.write(archive.data)
        shown = run_helm(helm, ["show", "chart", path])
    if not shown.ok:
        raise AgentpackError(f"helm cannot read the chart packaged from {folder}: {shown.err.strip()[:500]}",
                             path=folder, hint="run `helm lint` on the chart and fix what it reports")
    return archive


def chart_images(folder: str, tier: str | None) -> list[dict]:
    """``[{"image", "digest"}]`` that the chart's templates run with the tier's values (helm needed)."""
    import yaml

    from agentpack.adapters.helm import find_helm, run_helm, values_arguments
    from agentpack.core.deploy_tiers import values_file_for

    helm = find_helm()
    if helm is None:
        raise UsageError("--images renders the chart with helm, which is not installed here", hint=_HELM_HINT)
    values = []
    if tier is not None:
        found = values_file_for(tier, os.listdir(folder))
        if found is None:
            raise UsageError(f"the chart {folder} has no values file for tier {tier!r} (values-tier<N>-{tier}.yaml)",
                             path=folder, hint="choose the tier with --tier")
        values.append(os.path.join(folder, found))
    rendered = run_helm(helm, ["template", "agentpack", folder, *values_arguments(values)])
    if not rendered.ok:
        raise AgentpackError(f"helm template failed for {folder}: {rendered.err.strip()[:1000]}", path=folder,
                             hint="run `helm lint` on the chart with the tier's values and fix what it reports")
    try:
        documents = list(yaml.safe_load_all(rendered.out))
    except yaml.YAMLError as exc:
        raise AgentpackError(f"helm template printed what is not YAML for {folder}: {exc}", path=folder) from None
    return images_in(documents)


def _artifact(metadata: dict, data: bytes) -> tuple[bytes, bytes]:
    """(config blob, manifest) of a chart archive ``data`` whose Chart.yaml is ``metadata``."""
    import hashlib

    config = encode(helm_config(metadata))
    manifest = helm_manifest((hashlib.sha256(config).hexdigest(), len(config)),
                             (hashlib.sha256(data).hexdigest(), len(data)), metadata)
    return config, encode(manifest)


def _is_oci(registry) -> bool:
    # Not imported: no registry of its class exists (a directory load need not import it, ~2 ms).
    oci = sys.modules.get("agentpack.adapters.registry.oci")
    return oci is not None and isinstance(registry, oci.OciRegistry)


def check_charts(registry, charts: dict[str, tuple[dict, bytes]], path: str) -> None:
    """Refuse (``RegistryConflict``) a chart version the oci:// ``registry`` holds with other
    content: like a package version, a chart version is never replaced."""
    import hashlib

    if not _is_oci(registry):
        return
    for key, (metadata, data) in sorted(charts.items()):
        repository = chart_repository(registry.prefix, metadata["name"])
        digest = "sha256:" + hashlib.sha256(_artifact(metadata, data)[1]).hexdigest()
        found = registry.client.manifest_digest(repository, chart_tag(str(metadata["version"])))
        if found is not None and found not in ("", digest):
            raise RegistryConflict(
                f"bundle {path} not loaded: registry {registry.url} holds the chart {key} ({repository}) with "
                "other content", hint="a chart version is never replaced: bump the chart's version and collect again")


def push_charts(registry, charts: dict[str, tuple[dict, bytes]]) -> list[dict]:
    """Push each chart into the oci:// ``registry`` (blobs, then the manifest under its tag); for
    any other registry, list them as not pushed. ``[{name, version, reference, pushed}]``."""
    done = []
    for _key, (metadata, data) in sorted(charts.items()):
        name, version = metadata["name"], str(metadata["version"])
        if not _is_oci(registry):
            done.append({"name": name, "version": version, "reference": None, "pushed": False})
            continue
        repository = chart_repository(registry.prefix, name)
        config, manifest = _artifact(metadata, data)
        client = registry.client
        tag = chart_tag(version)
        import hashlib

        held = client.manifest_digest(repository, tag) == "sha256:" + hashlib.sha256(manifest).hexdigest()
        if not held:
            client.push_blob(repository, config)
            client.push_blob(repository, data)
            from agentpack.core.oci_artifacts import MANIFEST_MEDIA_TYPE

            client.put_manifest(repository, tag, manifest, MANIFEST_MEDIA_TYPE)
        done.append({"name": name, "version": version, "reference": f"oci://{registry.host}/{repository}:{tag}",
                     "pushed": not held})
    return done
