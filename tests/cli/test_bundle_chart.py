"""A Helm chart in a bundle through the real command: `bundle collect --chart [--images]`, `bundle
verify` (the chart's digest), `bundle load` into a real OCI registry (Debian's docker-registry)
as a Helm OCI artifact. Helm itself is the oracle where it is installed (helm show chart, helm
lint, helm template, helm pull from the registry); those checks are skipped without it.

The chart is the small test chart tests/data/charts/mini-agents (the project's own chart,
deploy/helm/agentpack, is carried the same way)."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from oci_registry import DockerRegistry
from tarcraft import tar_bytes

CHART = REPO / "tests" / "data" / "charts" / "mini-agents"
PINNED = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def helm_binary() -> str | None:
    found = os.environ.get("AGENTOPS_HELM") or str(Path(sys.executable).parent / "helm")
    return found if os.access(found, os.X_OK) else shutil.which("helm")


def needs_helm() -> str:
    helm = helm_binary()
    if helm is None:
        pytest.skip("helm is not installed (scripts/get-helm.sh puts it in .venv/bin)")
    return helm


@pytest.fixture(autouse=True)
def no_proxies(agentops, far):
    for side in (agentops, far):
        for key in [k for k in side.env if k.lower().endswith("_proxy")]:
            del side.env[key]


@pytest.fixture
def chart(tmp_path) -> Path:
    copy = tmp_path / "mini-agents"
    shutil.copytree(CHART, copy)
    (copy / "notes.orig").write_text("left out by .helmignore\n")
    (copy / "scratch").mkdir()
    (copy / "scratch" / "big.bin").write_bytes(b"x" * 1000)
    return copy


def _members(bundle: Path) -> dict[str, bytes]:
    with tarfile.open(bundle) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _manifest(bundle: Path) -> dict:
    return json.loads(_members(bundle)["manifest.yaml"])


def _chart_files(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_collect_carries_a_reproducible_chart_that_helm_reads(agentops, chart, tmp_path):
    agentops.publish_examples("core-workflow")
    first, second = tmp_path / "a.bundle", tmp_path / "b.bundle"
    report = json.loads(agentops("bundle", "collect", "core-workflow", "--chart", chart, "-o", first, "--json").out)
    agentops("bundle", "collect", "core-workflow", "--chart", chart, "-o", second)
    assert report["charts"] == [{"name": "mini-agents", "version": "0.3.1",
                                 "sha256": hashlib.sha256(_members(first)["charts/mini-agents-0.3.1.tgz"]).hexdigest()}]
    manifest = _manifest(first)
    assert manifest["bundle_format"] == 2 and manifest["charts"] == report["charts"] and manifest["images"] == []
    assert manifest["files"]["charts/mini-agents-0.3.1.tgz"] == report["charts"][0]["sha256"]
    archive = _members(first)["charts/mini-agents-0.3.1.tgz"]
    assert archive == _members(second)["charts/mini-agents-0.3.1.tgz"]  # the same bytes every time
    files = _chart_files(archive)
    assert list(files)[0] == "mini-agents/Chart.yaml"  # Chart.yaml first, everything under NAME/
    assert set(files) == {f"mini-agents/{p}" for p in ("Chart.yaml", "values.yaml", "values-tier1-edge.yaml",
                                                       ".helmignore", "templates/deployment.yaml",
                                                       "templates/agents.yaml")}
    assert files["mini-agents/Chart.yaml"] == (chart / "Chart.yaml").read_bytes()
    verified = json.loads(agentops("bundle", "verify", first, "--json").out)
    assert verified["charts"] == report["charts"]

    helm = helm_binary()
    if helm:  # helm's own reading of the archive, and helm package's file set as the reference
        path = tmp_path / "mini-agents-0.3.1.tgz"
        path.write_bytes(archive)
        shown = yaml.safe_load(subprocess.run([helm, "show", "chart", str(path)], capture_output=True, text=True,
                                              check=True).stdout)
        assert (shown["name"], shown["version"]) == ("mini-agents", "0.3.1")
        subprocess.run([helm, "lint", str(path)], capture_output=True, check=True)
        packaged = tmp_path / "by-helm"
        subprocess.run([helm, "package", str(chart), "-d", str(packaged)], capture_output=True, check=True)
        by_helm = _chart_files((packaged / "mini-agents-0.3.1.tgz").read_bytes())
        assert set(by_helm) == set(files)  # the same files (helm rewrites Chart.yaml: same data)
        assert {k: v for k, v in by_helm.items() if not k.endswith("Chart.yaml")} == \
            {k: v for k, v in files.items() if not k.endswith("Chart.yaml")}
        assert yaml.safe_load(by_helm["mini-agents/Chart.yaml"]) == yaml.safe_load(files["mini-agents/Chart.yaml"])


def test_old_bundles_stay_format_1_and_a_chart_alone_can_travel(agentops, chart, tmp_path):
    agentops.publish_examples("core-workflow")
    plain = tmp_path / "plain.bundle"
    agentops("bundle", "collect", "core-workflow", "-o", plain)
    manifest = _manifest(plain)
    assert manifest["bundle_format"] == 1 and "charts" not in manifest and "images" not in manifest
    assert "charts" not in json.loads(agentops("bundle", "verify", plain, "--json").out)
    alone = tmp_path / "chart.bundle"
    agentops("bundle", "collect", "--chart", chart, "-o", alone)
    assert sorted(_members(alone)) == ["charts/mini-agents-0.3.1.tgz", "manifest.yaml"]
    shown = agentops("bundle", "verify", alone)
    assert "chart mini-agents@0.3.1" in shown.out
    loaded = agentops("bundle", "load", alone, "--registry", tmp_path / "dir-registry")
    assert "chart mini-agents@0.3.1 not pushed: only an oci:// registry holds charts" in loaded.out
    assert agentops("bundle", "collect", "--images", "-o", tmp_path / "x.bundle", expect=2).code == 2


def _rewrite(bundle: Path, out: Path, change) -> None:
    members = _members(bundle)
    change(members)
    out.write_bytes(tar_bytes(list(members.items())))


def test_verify_checks_the_chart_against_the_manifest(agentops, chart, tmp_path):
    bundle = tmp_path / "site.bundle"
    agentops("bundle", "collect", "--chart", chart, "-o", bundle)
    name = "charts/mini-agents-0.3.1.tgz"

    def swap_chart(members):  # another chart archive in the slot: same name, other bytes
        files = _chart_files(members[name])
        files["mini-agents/values.yaml"] += b"# changed\n"
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
            for path, data in files.items():
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        members[name] = buffer.getvalue()

    tampered = tmp_path / "tampered.bundle"
    _rewrite(bundle, tampered, swap_chart)
    refused = agentops("bundle", "verify", tampered, expect=1)
    assert f"{name} has sha256" in refused.err and "manifest.yaml says" in refused.err

    def drop_chart(members):
        del members[name]

    _rewrite(bundle, tampered, drop_chart)
    assert "missing: charts/mini-agents-0.3.1.tgz" in agentops("bundle", "verify", tampered, expect=1).err

    def unlisted(members):  # a chart the manifest does not list
        members["charts/other-1.0.0.tgz"] = members[name]

    _rewrite(bundle, tampered, unlisted)
    assert "not listed" in agentops("bundle", "verify", tampered, expect=1).err


def test_images_the_chart_runs_are_listed_with_their_digests(agentops, chart, tmp_path):
    needs_helm()
    bundle = tmp_path / "edge.bundle"
    report = json.loads(agentops("bundle", "collect", "--chart", chart, "--images", "--tier", "edge", "-o", bundle,
                                 "--json").out)
    expected = [{"image": "registry.local:5000/agentpack/migrate:0.1.0", "digest": None},
                {"image": f"registry.local:5000/agentpack/registry@{PINNED}", "digest": PINNED}]
    assert report["images"] == expected and _manifest(bundle)["images"] == expected
    defaults = json.loads(agentops("bundle", "collect", "--chart", chart, "--images", "-o", tmp_path / "d.bundle",
                                   "--json").out)
    assert [i["image"] for i in defaults["images"]] == ["ghcr.io/example/agentpack-registry:0.1.0"]
    refused = agentops("bundle", "collect", "--chart", chart, "--images", "--tier", "orbit", "-o",
                       tmp_path / "o.bundle", expect=2)
    assert "no values file for tier 'orbit'" in refused.err and not (tmp_path / "o.bundle").exists()


def test_load_pushes_the_chart_as_a_helm_oci_artifact(agentops, far, chart, tmp_path):
    agentops.publish_examples("core-workflow")
    bundle = tmp_path / "site.bundle"
    agentops("bundle", "collect", "core-workflow", "--chart", chart, "-o", bundle)
    archive = _members(bundle)["charts/mini-agents-0.3.1.tgz"]
    with DockerRegistry(tmp_path / "oci") as registry:
        url = registry.url("site")
        loaded = far("bundle", "load", bundle, "--registry", url, "--json")
        result = json.loads(loaded.out)
        reference = f"oci://{registry.host}/site/agentops.charts/mini-agents:0.3.1"
        assert result["loaded_charts"] == [{"name": "mini-agents", "version": "0.3.1", "reference": reference,
                                            "pushed": True}]
        status, _, body = registry.request("GET", "site/agentops.charts/mini-agents/manifests/0.3.1",
                                           headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        manifest = json.loads(body)
        assert status == 200 and manifest["config"]["mediaType"] == "application/vnd.cncf.helm.config.v1+json"
        assert [layer["mediaType"] for layer in manifest["layers"]] == \
            ["application/vnd.cncf.helm.chart.content.v1.tar+gzip"]
        assert manifest["layers"][0]["digest"] == "sha256:" + hashlib.sha256(archive).hexdigest()
        status, _, config = registry.request("GET", f"site/agentops.charts/mini-agents/blobs/{manifest['config']['digest']}")
        assert json.loads(config)["name"] == "mini-agents"
        # The packages are still listed as before: the chart's repository is not a package.
        found = json.loads(far("package", "search", "--registry", url, "--json").out)
        assert [p["name"] for p in found] == ["core-workflow"]
        again = far("bundle", "load", bundle, "--registry", url)
        assert f"= chart {reference}" in again.out

        helm = helm_binary()
        if helm:  # helm itself pulls the chart and reads it
            pulled = tmp_path / "pulled"
            pulled.mkdir()
            pull = subprocess.run([helm, "pull", f"oci://{registry.host}/site/agentops.charts/mini-agents",
                                   "--version", "0.3.1", "--plain-http", "-d", str(pulled)],
                                  capture_output=True, text=True)
            assert pull.returncode == 0 and "underscore" not in pull.stderr, pull.stderr
            assert (pulled / "mini-agents-0.3.1.tgz").read_bytes() == archive
            shown = subprocess.run([helm, "show", "chart", f"oci://{registry.host}/site/agentops.charts/mini-agents",
                                    "--version", "0.3.1", "--plain-http"], capture_output=True, text=True, check=True)
            assert yaml.safe_load(shown.stdout)["version"] == "0.3.1"

        # The same version with other content: refused before anything is imported.
        (chart / "values.yaml").write_text((chart / "values.yaml").read_text() + "# changed\n")
        agentops.publish_examples("communication-patterns")
        other = tmp_path / "other.bundle"
        agentops("bundle", "collect", "communication-patterns", "--chart", chart, "-o", other)
        refused = far("bundle", "load", other, "--registry", url, expect=1)
        assert "holds the chart mini-agents@0.3.1" in refused.err and "other content" in refused.err
        status, _, _ = registry.request("GET", "site/communication-patterns/tags/list")
        assert status == 404  # nothing of the refused bundle was imported


def test_values_format_goes_through_the_chart_to_the_same_objects(agentops, tmp_path):
    helm = needs_helm()
    agentops.publish_examples("core-workflow")
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "core-workflow", "--tier", "edge", "--allow-new-tier", cwd=ws)
    out = tmp_path / "objects"
    agentops("deploy", "render", "-o", out, cwd=ws)
    values = tmp_path / "values-agents.yaml"
    agentops("deploy", "render", "--format", "values", "-o", values, cwd=ws)
    rendered = subprocess.run([helm, "template", "x", str(CHART), "-f", str(CHART / "values-tier1-edge.yaml"),
                               "-f", str(values)], capture_output=True, text=True, check=True).stdout
    from_chart = [d for d in yaml.safe_load_all(rendered) if d and d["kind"] in ("Agent", "ConfigMap")]
    written = [yaml.safe_load(p.read_text()) for p in sorted(out.rglob("*.yaml")) if p.name != "kustomization.yaml"]

    def key(d):
        return d["kind"], d["metadata"]["name"]

    assert sorted(from_chart, key=key) == sorted([d for d in written if d["kind"] != "Namespace"], key=key)


def _with_chart_archive(bundle: Path, out: Path, archive: bytes) -> None:
    """``bundle`` with its chart replaced by ``archive``, the manifest's digests updated to match
    (a crafted bundle: every checksum agrees, only the chart's content is hostile)."""
    members = _members(bundle)
    name = "charts/mini-agents-0.3.1.tgz"
    digest = hashlib.sha256(archive).hexdigest()
    manifest = json.loads(members["manifest.yaml"])
    manifest["files"][name] = digest
    manifest["charts"][0]["sha256"] = digest
    members["manifest.yaml"] = json.dumps(manifest).encode()
    members[name] = archive
    out.write_bytes(tar_bytes(list(members.items())))


def _tgz(entries) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data, kind in entries:
            info = tarfile.TarInfo(name)
            if kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            else:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if kind != "link" else None)
    return buffer.getvalue()


@pytest.mark.parametrize("entries, reason", [
    ([("mini-agents/Chart.yaml", b"apiVersion: v2\nname: mini-agents\nversion: 0.3.1\n", "file"),
      ("mini-agents/../../evil", b"x", "file")], "unsafe member name"),
    ([("mini-agents/Chart.yaml", b"apiVersion: v2\nname: mini-agents\nversion: 0.3.1\n", "file"),
      ("mini-agents/templates/x.yaml", b"", "link")], "is not a regular file"),
    ([("mini-agents/Chart.yaml", b"apiVersion: v2\nname: mini-agents\nversion: 0.3.1\n", "file"),
      ("other/values.yaml", b"x", "file")], "outside the chart's folder"),
    ([("mini-agents/Chart.yaml", b"apiVersion: v2\nname: mini-agents\nversion: 9.9.9\n", "file")],
     "holds the chart mini-agents@9.9.9, not mini-agents@0.3.1"),
    ([("mini-agents/values.yaml", b"x: 1\n", "file")], "no mini-agents/Chart.yaml"),
])
def test_a_hostile_chart_archive_is_refused_even_when_its_digests_agree(agentops, chart, tmp_path, entries, reason):
    bundle = tmp_path / "site.bundle"
    agentops("bundle", "collect", "--chart", chart, "-o", bundle)
    crafted = tmp_path / "crafted.bundle"
    _with_chart_archive(bundle, crafted, _tgz(entries))
    refused = agentops("bundle", "verify", crafted, expect=1)
    assert reason in refused.err, refused.err
    assert agentops("bundle", "load", crafted, "--registry", tmp_path / "reg", expect=1).code == 1
    assert not (tmp_path / "reg").exists() or not any((tmp_path / "reg").rglob("*.tgz"))
