"""`agentops doctor` through the real command: each line of the seed's production checklist both
ways (pass, and fail or warn), the exit code and --json. Bundles are collected for real, signed
with real keys; helm lint runs where helm is installed (otherwise its line must say skipped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from test_bundle_chart import CHART, helm_binary

from conftest import CORPUS, KEY_ENV, needs_corpus

SEED_TENANTS = """\
tenants:
  - name: team-alpha
    quota: {cpu: '10', memory: '20Gi', gpu: '2', pvcs: '5', pods: '20'}
    budget: {tokens: 1000000, cost: '$100.00', concurrency: 5}
  - name: team-beta
    quota: {cpu: '20', memory: '40Gi', gpu: '4', pvcs: '10', pods: '40'}
    budget: {tokens: 2000000, cost: '$200.00', concurrency: 10}
  - name: team-gamma
    quota: {cpu: '15', memory: '30Gi', gpu: '3', pvcs: '7', pods: '30'}
    budget: {tokens: 1500000, cost: '$150.00', concurrency: 7}
"""


@pytest.fixture
def chart(tmp_path) -> Path:
    copy = tmp_path / "mini-agents"
    shutil.copytree(CHART, copy)
    return copy


@pytest.fixture
def workspace(agentops, tmp_path) -> Path:
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops.publish_examples()
    agentops("package", "install", "customer-service", "--tier", "edge", cwd=ws)
    return ws


def _doctor(agentops, ws: Path, *args, expect: int | None = None, env: dict | None = None) -> dict:
    run = agentops("doctor", *args, "--json", cwd=ws, expect=expect, env=env)
    report = json.loads(run.out)
    assert run.code == (0 if report["ok"] else 1)
    assert report["ok"] == all(c["status"] != "fail" for c in report["checks"])
    return report


def _line(report: dict, name: str) -> dict:
    found = [c for c in report["checks"] if c["check"] == name]
    assert len(found) == 1, report
    return found[0]


def _set_clearance(ws: Path, level: str) -> None:
    text = (ws / "agentops.yaml").read_text()
    (ws / "agentops.yaml").write_text(text + f"classification: {level}\n")


def test_a_ready_edge_workspace_passes(agentops, workspace, chart, tmp_path):
    _set_clearance(workspace, "secret")
    (chart / "values-tenants.yaml").write_text(SEED_TENANTS)
    key = agentops.generate_key("release")
    agentops("trust", "add", key["public_key"])
    bundle = workspace / "site.bundle"
    agentops("bundle", "collect", "--lock", "--chart", chart, "-o", bundle, "--sign", "release", cwd=workspace,
             env=KEY_ENV)
    report = _doctor(agentops, workspace, "--chart", chart, expect=0)
    statuses = {c["check"]: c["status"] for c in report["checks"]}
    expected = {"tier": "pass", "values": "pass", "models": "pass", "bundle": "pass", "signatures": "pass",
                "chart-version": "pass", "registries": "pass", "classification": "pass", "tenancy": "pass",
                "helm-lint": "pass" if helm_binary() else "warn"}
    assert statuses == expected, report
    assert report["tier"] == "edge" and report["counts"]["fail"] == 0
    assert "values-tier1-edge.yaml: connectivity none, classification secret" in _line(report, "values")["message"]
    assert "team-alpha, team-beta, team-gamma" in _line(report, "tenancy")["message"]
    text = agentops("doctor", "--chart", chart, cwd=workspace)
    assert text.out.splitlines()[0].startswith("pass  tier") and "doctor: " in text.err


def test_tier_and_values_fail_when_missing_or_wrong(agentops, tmp_path, chart):
    ws = tmp_path / "bare"
    ws.mkdir()
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=ws)
    report = _doctor(agentops, ws, expect=1)
    assert _line(report, "tier")["status"] == "fail" and _line(report, "values")["status"] == "fail"
    report = _doctor(agentops, ws, "--tier", "edge", expect=1)  # a tier, but no chart to take its file from
    assert _line(report, "tier")["status"] == "pass" and _line(report, "values")["status"] == "fail"
    assert "--chart" in _line(report, "values")["hint"]
    (chart / "values-tier1-edge.yaml").write_text("global: {tier: edge, connectivity: none}\nmodels: {}\n")
    report = _doctor(agentops, ws, "--tier", "edge", "--chart", chart, expect=1)
    message = _line(report, "values")["message"]
    assert "global.classification is missing" in message and "models.primary.name is missing" in message
    report = _doctor(agentops, ws, "--tier", "datacenter", "--chart", chart, expect=1)
    assert "no values file for tier 'datacenter'" in _line(report, "values")["message"]


@needs_corpus
def test_models_warn_for_agents_naming_a_model_the_tier_lacks(agentops, workspace, chart, tmp_path):
    report = _doctor(agentops, workspace, "--chart", chart)
    assert _line(report, "models")["status"] == "pass"
    folder = tmp_path / "src" / "cloud-agents"
    (folder / "agents").mkdir(parents=True)
    shutil.copyfile(CORPUS / "VoltAgent__awesome-claude-code-subagents/categories/08-business-product/"
                             "wordpress-master.md", folder / "agents" / "wordpress-master.md")
    (folder / "README.md").write_text("# cloud-agents\n")
    (folder / "package.yaml").write_text("name: cloud-agents\nversion: 1.0.0\ndescription: x\nauthor: T\n"
                                         "license: MIT\nagents:\n  - agents/wordpress-master.md\n")
    agentops.publish_folder(folder)
    agentops("package", "install", "cloud-agents", cwd=workspace)
    line = _line(_doctor(agentops, workspace, "--chart", chart), "models")
    assert line["status"] == "warn" and "cloud-agents/wordpress-master (sonnet)" in line["message"]


def test_bundle_checksums_and_signatures_both_ways(agentops, workspace, chart, tmp_path):
    report = _doctor(agentops, workspace, "--chart", chart)
    assert _line(report, "bundle")["status"] == "warn"  # edge, and no bundle to show
    bundle = tmp_path / "site.bundle"
    agentops("bundle", "collect", "--lock", "--chart", chart, "-o", bundle, cwd=workspace)
    report = _doctor(agentops, workspace, "--chart", chart, "--bundle", bundle)
    assert _line(report, "bundle")["status"] == "pass" and "chart mini-agents@0.3.1" in _line(report, "bundle")["message"]
    assert _line(report, "signatures")["status"] == "warn" and "not signed" in _line(report, "signatures")["message"]

    stranger = agentops.generate_key("stranger")  # signs, but nobody trusts it
    signed = tmp_path / "signed.bundle"
    agentops("bundle", "collect", "--lock", "-o", signed, "--sign", "stranger", cwd=workspace, env=KEY_ENV)
    report = _doctor(agentops, workspace, "--chart", chart, "--bundle", signed, expect=1)
    assert _line(report, "signatures")["status"] == "fail"
    assert stranger["fingerprint"] in _line(report, "signatures")["message"]
    report = _doctor(agentops, workspace, "--chart", chart, "--bundle", signed, "--trust", stranger["public_key"])
    assert _line(report, "signatures")["status"] == "pass"

    damaged = tmp_path / "damaged.bundle"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte in the middle (the end of a tar is zeros anyway)
    damaged.write_bytes(bytes(data))
    (tmp_path / "damaged.bundle.sha256").write_text((tmp_path / "site.bundle.sha256").read_text())
    report = _doctor(agentops, workspace, "--chart", chart, "--bundle", damaged, expect=1)
    assert _line(report, "bundle")["status"] == "fail" and "checksum" in _line(report, "bundle")["message"]

    # The chart moved on since the bundle was collected: not the version the bundle carries.
    text = (chart / "Chart.yaml").read_text().replace("version: 0.3.1", "version: 0.4.0")
    (chart / "Chart.yaml").write_text(text)
    report = _doctor(agentops, workspace, "--chart", chart, "--bundle", bundle, expect=1)
    assert _line(report, "chart-version")["status"] == "fail"
    assert "is 0.4.0, the bundle carries 0.3.1" in _line(report, "chart-version")["message"]


def test_registries_outside_the_enclave_fail_at_the_edge_only(agentops, workspace, chart):
    manifest = workspace / "agentops.yaml"
    base = manifest.read_text()
    manifest.write_text(base + "registries:\n  default: ./registry\n  teams:\n    team-alpha: oci://registry.local:5000/a\n"
                        "    team-beta: http://127.0.0.1:8080/\n")
    assert _line(_doctor(agentops, workspace, "--chart", chart), "registries")["status"] == "pass"
    manifest.write_text(base + "registries:\n  default: https://agentpack.example.org/\n  teams:\n"
                        "    team-alpha: oci://harbor.internal.mil/a\n")
    line = _line(_doctor(agentops, workspace, "--chart", chart, expect=1), "registries")
    assert line["status"] == "fail"
    assert "https://agentpack.example.org/, oci://harbor.internal.mil/a" in line["message"]
    # The connected tier may reach out.
    (chart / "values-tier3-connected.yaml").write_text(
        "global: {tier: connected, connectivity: external, classification: unclassified}\n"
        "models: {primary: {name: claude-sonnet-4}}\n")
    line = _line(_doctor(agentops, workspace, "--tier", "connected", "--chart", chart), "registries")
    assert line["status"] == "pass"


def test_classification_both_ways(agentops, workspace, chart, tmp_path):
    line = _line(_doctor(agentops, workspace, "--chart", chart), "classification")
    assert line["status"] == "warn" and "sets no clearance" in line["message"]
    _set_clearance(workspace, "secret")
    assert _line(_doctor(agentops, workspace, "--chart", chart), "classification")["status"] == "pass"
    (workspace / "agentops.yaml").write_text((workspace / "agentops.yaml").read_text()
                                             .replace("classification: secret", "classification: top-secret"))
    line = _line(_doctor(agentops, workspace, "--chart", chart, expect=1), "classification")
    assert line["status"] == "fail" and "above the namespace level 'secret'" in line["message"]
    # A secret package into the connected tier's unclassified namespace: the render refuses it.
    folder = tmp_path / "src" / "secret-desk"
    (folder / "agents").mkdir(parents=True)
    (folder / "agents" / "a.md").write_text("---\nname: a\n---\n\nWork.\n")
    (folder / "README.md").write_text("# x\n")
    (folder / "package.yaml").write_text("name: secret-desk\nversion: 1.0.0\ndescription: x\nauthor: T\n"
                                         "license: MIT\nclassification: secret\nagents:\n  - agents/a.md\n")
    agentops.publish_folder(folder)
    agentops("package", "install", "secret-desk", cwd=workspace)
    (chart / "values-tier3-connected.yaml").write_text(
        "global: {tier: connected, connectivity: external, classification: unclassified}\n"
        "models: {primary: {name: claude-sonnet-4}}\n")
    line = _line(_doctor(agentops, workspace, "--tier", "connected", "--chart", chart, expect=1), "classification")
    assert line["status"] == "fail" and line["message"].startswith("write down refused: secret-desk ('secret')")


def test_tenancy_both_ways(agentops, workspace, chart, tmp_path):
    assert _line(_doctor(agentops, workspace, "--chart", chart), "tenancy")["status"] == "warn"
    tenants = tmp_path / "values-tenants.yaml"
    tenants.write_text(SEED_TENANTS)
    assert _line(_doctor(agentops, workspace, "--chart", chart, "--tenants", tenants), "tenancy")["status"] == "pass"
    tenants.write_text(SEED_TENANTS.replace("    budget: {tokens: 2000000, cost: '$200.00', concurrency: 10}\n", "")
                       .replace("'$150.00'", "'150 dollars'").replace("gpu: '2', ", ""))
    line = _line(_doctor(agentops, workspace, "--chart", chart, "--tenants", tenants, expect=1), "tenancy")
    assert line["status"] == "fail"
    for problem in ("team-alpha: quota lacks gpu", "team-beta has no budget", "team-gamma: budget.cost '150 dollars'"):
        assert problem in line["message"], line["message"]


def test_helm_lint_both_ways_and_skipped_without_helm(agentops, workspace, chart):
    missing = {"AGENTOPS_HELM": "/nonexistent/helm"}
    line = _line(_doctor(agentops, workspace, "--chart", chart, env=missing), "helm-lint")
    assert line["status"] == "warn" and line["message"] == "skipped: helm is not installed"
    if helm_binary() is None:
        pytest.skip("helm is not installed: only the skipped line is checked")
    assert _line(_doctor(agentops, workspace, "--chart", chart), "helm-lint")["status"] == "pass"
    (chart / "templates" / "broken.yaml").write_text("kind: ConfigMap\nmetadata:\n  name: {{ .Values.nope.deeper }}\n")
    line = _line(_doctor(agentops, workspace, "--chart", chart, expect=1), "helm-lint")
    assert line["status"] == "fail" and "nope" in line["message"]
