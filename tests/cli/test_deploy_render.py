"""`agentops deploy render` through the real command, over packages built, published and installed
for real (the examples, and packages made of real agent and skill files from the shared corpus):
determinism, labels, namespaces, the no-write-down refusal, the objects' validity (kubernetes-validate
for built-in kinds, the Agent CRD's schema for agents, and kubectl's own kustomize where kubectl is
installed), and the values file the chart takes."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CORPUS, needs_corpus
from kube_checks import validate_file, validate_object

DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
CONTRACT_LABELS = ("app.kubernetes.io/part-of", "agentpack.io/package", "agentpack.io/version",
                   "agentpack.io/classification")
VOLT = "VoltAgent__awesome-claude-code-subagents/categories"
SONNET_AGENT = f"{VOLT}/08-business-product/wordpress-master.md"  # model: sonnet, tools: "Read, Write, ..."
OPUS_AGENT = "wshobson__agents/plugins/database-design/agents/database-architect.md"  # model: opus, no tools
LIST_TOOLS_AGENT = "github__awesome-copilot@7b7f9d5-chatmodes/chatmodes/bicep-plan.chatmode.md"  # a flow list
SKILL = "anthropics__skills/skills/brand-guidelines"


def _corpus_package(root: Path, name: str, version: str, *, classification: str | None = None,
                    skill: bool = True) -> Path:
    """A package of real corpus files: three agents of three tools' styles and one skill folder,
    one config file with an edge overlay, and a tier that disables one agent at the edge."""
    folder = root / f"{name}-{version}"
    (folder / "agents").mkdir(parents=True)
    (folder / "docs").mkdir()
    (folder / "config" / "tiers").mkdir(parents=True)
    for source in (SONNET_AGENT, OPUS_AGENT, LIST_TOOLS_AGENT):
        shutil.copyfile(CORPUS / source, folder / "agents" / Path(source).name)
    if skill:
        shutil.copytree(CORPUS / SKILL, folder / "skills" / "brand-guidelines")
    (folder / "README.md").write_text(f"# {name}\n")
    (folder / "docs" / "getting-started.md").write_text("# Getting started\n")
    (folder / "config" / "settings.yaml").write_text("limits:\n  max_turns: 10\n  reviewer: alice\n")
    (folder / "config" / "tiers" / "edge.yaml").write_text("settings:\n  limits:\n    max_turns: 3\n")
    lines = [f"name: {name}", f"version: {version}", f"description: Real agents in {name}", "author: Tests",
             "license: MIT", "agents:", *(f"  - agents/{Path(s).name}" for s in (SONNET_AGENT, OPUS_AGENT,
                                                                               LIST_TOOLS_AGENT)),
             "config:", "  settings: config/settings.yaml",
             "tiers:", "  edge:", "    config: config/tiers/edge.yaml", "    disabled:",
             f"      - agents/{Path(OPUS_AGENT).name}",
             "documentation:", "  getting_started: docs/getting-started.md"]
    if skill:
        lines[lines.index("config:"):lines.index("config:")] = ["skills:", "  - skills/brand-guidelines"]
    if classification:
        lines.append(f"classification: {classification}")
    (folder / "package.yaml").write_text("\n".join(lines) + "\n")
    return folder


def _small_package(root: Path, name: str, version: str, classification: str | None) -> Path:
    folder = root / f"{name.replace('/', '-')}-{version}"
    (folder / "agents" / "triage").mkdir(parents=True)
    (folder / "docs").mkdir()
    (folder / "README.md").write_text(f"# {name}\n")
    (folder / "docs" / "getting-started.md").write_text("# Getting started\n")
    (folder / "agents" / "triage" / "inbox.md").write_text("---\nname: inbox\ndescription: Sorts the inbox\n---\n\n"
                                                          "Sort it.\n")
    lines = [f"name: {name}", f"version: {version}", f"description: {name}", "author: Tests", "license: MIT",
             "agents:", "  - agents/triage/inbox.md", "documentation:", "  getting_started: docs/getting-started.md"]
    if classification:
        lines.append(f"classification: {classification}")
    (folder / "package.yaml").write_text("\n".join(lines) + "\n")
    return folder


@pytest.fixture
def workspace(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    return ws


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _objects(folder: Path) -> list[dict]:
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    found = []
    for resource in kustomization["resources"]:
        found += validate_file(folder / resource)
    return found


def _key(document: dict) -> tuple:
    return document["kind"], document["metadata"].get("namespace", ""), document["metadata"]["name"]


def _check_names_and_labels(document: dict) -> None:
    metadata = document["metadata"]
    assert DNS_LABEL.fullmatch(metadata["name"]) and len(metadata["name"]) <= 63, metadata["name"]
    for key, value in metadata["labels"].items():
        assert LABEL_VALUE.fullmatch(value) and len(value) <= 63, (key, value)
    assert metadata["labels"]["app.kubernetes.io/part-of"] == "agentpack"
    assert "agentpack.io/classification" in metadata["labels"]
    if document["kind"] != "Namespace":
        assert all(key in metadata["labels"] for key in CONTRACT_LABELS), metadata["labels"]


@needs_corpus
def test_real_packages_render_valid_deterministic_objects(agentops, workspace, tmp_path):
    agentops.publish_examples()
    agentops.publish_folder(_corpus_package(tmp_path / "src", "real-agents", "0.3.0"))
    agentops("package", "install", "customer-service", "real-agents", "--tier", "edge", cwd=workspace)
    first, second = tmp_path / "first", tmp_path / "second"
    report = json.loads(agentops("deploy", "render", "-o", first, "--json", cwd=workspace).out)
    agentops("deploy", "render", "-o", second, cwd=workspace)
    assert _files(first) == _files(second)  # twice: the same bytes
    agentops("deploy", "render", "-o", first, cwd=workspace)  # over its own earlier output: replaced, same bytes
    assert _files(first) == _files(second)
    stream = agentops("deploy", "render", cwd=workspace).out  # standard output: the same objects
    objects = _objects(first)
    assert sorted(yaml.safe_load_all(stream), key=_key) == sorted(objects, key=_key)

    kinds = {}
    for document in objects:
        _check_names_and_labels(document)
        kinds.setdefault(document["kind"], []).append(document)
    assert len(kinds["Namespace"]) == 1 and kinds["Namespace"][0]["metadata"]["name"] == "agentpack"
    # The tier (edge, from the workspace) clears the single namespace for "secret".
    assert kinds["Namespace"][0]["metadata"]["labels"]["agentpack.io/classification"] == "secret"
    assert report["classification"] == "secret" and report["tier"] == "edge"
    agents = {(a["spec"]["package"], a["spec"]["component"]): a for a in kinds["Agent"]}
    # 4 + 4 + 2 example agents, and the real package's three minus the one its edge tier disables.
    assert len(agents) == 12 and ("real-agents", "database-architect") not in agents
    assert set(report["objects"][0]) == {"kind", "namespace", "name", "file"}
    assert {o["file"] for o in report["objects"]} == set(_files(first)) - {"kustomization.yaml"}

    # Every Agent's instructions are the installed file, byte for byte, at the key it names.
    configmaps = {(c["metadata"]["namespace"], c["metadata"]["name"]): c for c in kinds["ConfigMap"]}
    for agent in agents.values():
        ref = agent["spec"]["instructions"]["configMapRef"]
        text = configmaps[(agent["metadata"]["namespace"], ref["name"])]["data"][ref["key"]]
        installed = workspace / "agents" / agent["spec"]["package"] / ref["key"].replace("__", "/")
        assert text.encode() == installed.read_bytes()
        assert agent["metadata"]["labels"]["agentpack.io/package"] == agent["spec"]["package"]
        assert agent["metadata"]["labels"]["agentpack.io/version"] == agent["spec"]["version"]

    # Model and tools from each file's frontmatter, else the tier's model.
    wordpress = agents[("real-agents", "wordpress-master")]["spec"]
    assert wordpress["model"] == "sonnet"
    assert wordpress["tools"] == ["Read", "Write", "Edit", "Bash", "Glob", "Grep", "WebFetch", "WebSearch"]
    bicep = agents[("real-agents", "bicep-plan.chatmode")]["spec"]
    assert bicep["model"] == "mistral-7b-instruct-q4" and bicep["tools"][:2] == ["edit/editFiles", "fetch"]
    refund = agents[("customer-service", "process-refund")]["spec"]  # `model: inherit` in the file
    assert refund["model"] == "mistral-7b-instruct-q4" and refund["classification"] == "unclassified"

    # The skill folder, every file, and the effective configuration as config/<pkg>/ holds it.
    skills = configmaps[("agentpack", "real-agents-skills")]
    skill_files = {p.relative_to(workspace / "skills" / "real-agents").as_posix(): p.read_bytes()
                   for p in (workspace / "skills" / "real-agents").rglob("*") if p.is_file()}
    shown = {k.replace("__", "/"): v.encode() for k, v in skills.get("data", {}).items()}
    assert shown == skill_files and "brand-guidelines/SKILL.md" in shown
    for package in ("customer-service", "real-agents"):
        config = configmaps[("agentpack", f"{package}-config")]["data"]
        on_disk = {p.name: p.read_text() for p in (workspace / "config" / package).glob("*.yaml")}
        assert config == on_disk
    assert yaml.safe_load(configmaps[("agentpack", "real-agents-config")]["data"]["settings.yaml"]) == \
        {"limits": {"max_turns": 3, "reviewer": "alice"}}  # the edge overlay applied

    kubectl = shutil.which("kubectl")
    if kubectl:  # kubectl's own kustomize builds the folder: `kubectl apply -k` would take it
        built = subprocess.run([kubectl, "kustomize", str(first)], capture_output=True, text=True, check=True).stdout
        assert sorted(yaml.safe_load_all(built), key=_key) == sorted(objects, key=_key)


def test_the_validators_catch_what_they_must(agentops, workspace):
    """The oracles can fail: an Agent outside the CRD's schema and a ConfigMap with a field
    Kubernetes does not have are both refused."""
    agent = {"apiVersion": "agentpack.io/v1alpha1", "kind": "Agent", "metadata": {"name": "a"},
             "spec": {"package": "p", "version": "1.0.0", "component": "a", "classification": "secret",
                      "instructions": {"configMapRef": {"name": "p-agents", "key": "a.md"}}}}
    validate_object(agent)
    for broken in ({**agent, "spec": {**agent["spec"], "image": "x"}},  # additionalProperties: false
                   {**agent, "spec": {k: v for k, v in agent["spec"].items() if k != "instructions"}},
                   {**agent, "spec": {**agent["spec"], "tools": "Read"}},
                   {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "datas": {}}):
        with pytest.raises(Exception):  # noqa: B017 - jsonschema's or kubernetes-validate's error
            validate_object(broken)


def test_one_namespace_per_classification_level_and_no_write_down(agentops, workspace, tmp_path):
    src = tmp_path / "src"
    for name, level in (("open-desk", None), ("cui-desk", "cui"), ("secret-desk", "secret")):
        agentops.publish_folder(_small_package(src, name, "1.0.0", level))
    agentops("package", "install", "open-desk", "cui-desk", "secret-desk", cwd=workspace)
    out = tmp_path / "levels"
    agentops("deploy", "render", "--namespace-per-classification", "-o", out, cwd=workspace)
    objects = _objects(out)
    namespaces = {d["metadata"]["name"]: d["metadata"]["labels"]["agentpack.io/classification"]
                  for d in objects if d["kind"] == "Namespace"}
    assert namespaces == {"unclassified": "unclassified", "cui": "cui", "secret": "secret"}
    for document in objects:
        _check_names_and_labels(document)
        if document["kind"] != "Namespace":
            level = document["metadata"]["labels"]["agentpack.io/classification"]
            assert document["metadata"]["namespace"] == level  # each object in its level's namespace
    assert sorted(p.name for p in out.iterdir()) == ["cui", "kustomization.yaml", "secret", "unclassified"]

    # Cleared for cui: the secret package would be written down; nothing is written.
    refused = agentops("deploy", "render", "--namespace-per-classification", "--classification", "cui",
                       "-o", tmp_path / "cui-only", cwd=workspace, expect=1)
    assert "write down refused: secret-desk ('secret') classified above the deployment's level 'cui'" in refused.err
    assert "nothing was rendered" in refused.err and not (tmp_path / "cui-only").exists()

    # One namespace: the connected tier clears it for unclassified only; both classified packages
    # are named, in the style of the CLI's other classification refusals, with exit 1.
    refused = agentops("deploy", "render", "--tier", "connected", "-o", tmp_path / "single", "--json",
                       cwd=workspace, expect=1)
    error = json.loads(refused.out)
    assert error["error"] == "classification"
    assert error["message"].startswith("write down refused: cui-desk ('cui'), secret-desk ('secret') classified "
                                       "above namespace agentpack (cleared for 'unclassified': tier connected")
    assert error["causes"] == ["cui-desk@1.0.0 is 'cui', above 'unclassified' of namespace agentpack",
                               "secret-desk@1.0.0 is 'secret', above 'unclassified' of namespace agentpack"]
    assert not (tmp_path / "single").exists()
    # The edge tier clears the namespace for secret: all three go in.
    agentops("deploy", "render", "--tier", "edge", "--namespace", "field-ops", "-o", tmp_path / "edge", cwd=workspace)
    assert {d["metadata"].get("namespace", d["metadata"]["name"]) for d in _objects(tmp_path / "edge")} == {"field-ops"}


def test_namespaced_packages_get_safe_names_and_labels(agentops, workspace, tmp_path):
    src = tmp_path / "src"
    agentops.publish_folder(_small_package(src, "team-alpha/intake", "1.0.0+build.7", None))
    agentops.publish_folder(_small_package(src, "team-alpha-intake", "2.0.0", None))
    agentops("package", "install", "team-alpha/intake", "team-alpha-intake", cwd=workspace)
    objects = _objects_of(agentops, workspace, tmp_path / "out")
    agents = [d for d in objects if d["kind"] == "Agent"]
    for document in objects:
        _check_names_and_labels(document)
    labels = {a["spec"]["package"]: a["metadata"]["labels"] for a in agents}
    assert labels["team-alpha/intake"]["agentpack.io/package"] == "team-alpha.intake"
    assert labels["team-alpha/intake"]["agentpack.io/version"] == "1.0.0_build.7"
    names = {a["spec"]["package"]: a["metadata"]["name"] for a in agents}
    assert names["team-alpha-intake"] == "team-alpha-intake-inbox"  # fits: kept as it is
    assert re.fullmatch(r"team-alpha-intake-inbox-[0-9a-f]{8}", names["team-alpha/intake"])  # changed: hashed
    keys = {a["spec"]["instructions"]["configMapRef"]["key"] for a in agents}
    assert keys == {"triage__inbox.md"}


def _objects_of(agentops, workspace, out: Path, *extra: str) -> list[dict]:
    agentops("deploy", "render", "-o", out, *extra, cwd=workspace)
    return _objects(out)


def test_local_overrides_and_set_values_reach_the_configmaps(agentops, workspace, tmp_path):
    agentops.publish_examples()
    agentops("package", "install", "customer-service", "--tier", "datacenter",
             "--set", "customer-service.defaults.sla.first_response_hours=7", cwd=workspace)
    (workspace / "packages").mkdir()
    (workspace / "packages" / "customer-service.local.yaml").write_text(
        "config:\n  escalation_threshold: $500\nagents:\n  disabled:\n    - agents/follow-up-satisfaction.md\n")
    agentops("config", "apply", cwd=workspace)
    objects = _objects_of(agentops, workspace, tmp_path / "out")
    configmaps = {d["metadata"]["name"]: d for d in objects if d["kind"] == "ConfigMap"}
    config = configmaps["customer-service-config"]["data"]
    assert config == {p.name: p.read_text() for p in (workspace / "config" / "customer-service").glob("*.yaml")}
    shown = json.loads(agentops("config", "show", "customer-service", "--json", cwd=workspace).out)
    assert {name[:-len(".yaml")]: yaml.safe_load(text) for name, text in config.items()} == shown
    assert shown["defaults"]["sla"]["first_response_hours"] == 7
    components = {d["spec"]["component"] for d in objects if d["kind"] == "Agent"
                  and d["spec"]["package"] == "customer-service"}
    assert components == {"handle-inquiry", "process-refund", "escalate-complaint"}  # the local file disables one
    assert "follow-up-satisfaction.md" not in configmaps["customer-service-agents"]["data"]
    model = {d["spec"]["model"] for d in objects if d["kind"] == "Agent"}
    assert model == {"llama-70b-instruct"}  # the datacenter tier's model: no example agent names one


def test_values_format_holds_the_same_objects(agentops, workspace, tmp_path):
    agentops.publish_examples()
    agentops("package", "install", "customer-service", "--tier", "edge", cwd=workspace)
    objects = _objects_of(agentops, workspace, tmp_path / "out", "--namespace-per-classification")
    values_file = tmp_path / "values-agents.yaml"
    agentops("deploy", "render", "--namespace-per-classification", "--format", "values", "-o", values_file,
             cwd=workspace)
    values = yaml.safe_load(values_file.read_text())
    assert set(values) == {"agents", "agentConfigMaps"}
    assert values["agents"] == [d for d in objects if d["kind"] == "Agent"]
    assert values["agentConfigMaps"] == [d for d in objects if d["kind"] == "ConfigMap"]
    first = values_file.read_bytes()
    agentops("deploy", "render", "--namespace-per-classification", "--format", "values", "-o", values_file,
             cwd=workspace)
    assert values_file.read_bytes() == first
    # Into a folder it is the one file values-agents.yaml; on standard output the same text.
    agentops("deploy", "render", "--namespace-per-classification", "--format", "values", "-o", tmp_path / "vals",
             cwd=workspace)
    assert _files(tmp_path / "vals") == {"values-agents.yaml": first}
    printed = agentops("deploy", "render", "--namespace-per-classification", "--format", "values", cwd=workspace)
    assert printed.out.encode() == first
    # The chart takes it: helm template writes the same objects, into the namespaces it makes.
    from test_bundle_chart import helm_binary

    helm = helm_binary()
    if helm is None:
        assert os.environ.get("CI") != "true", "helm is missing (scripts/get-helm.sh)"
        return
    chart = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "agentpack"
    rendered = subprocess.run([helm, "template", "agentpack", str(chart), "-f", str(chart / "values-tier1-edge.yaml"),
                               "-f", str(values_file)], capture_output=True, text=True, check=True).stdout
    documents = [d for d in yaml.safe_load_all(rendered) if d]
    assert [d for d in documents if d["kind"] == "Agent"] == values["agents"]
    made = {d["metadata"]["name"] for d in documents if d["kind"] == "Namespace"}
    assert {d["metadata"]["namespace"] for d in values["agents"]} <= made


def test_output_is_written_atomically_and_never_over_a_stranger_or_through_a_link(agentops, workspace, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=workspace)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me\n")
    refused = agentops("deploy", "render", "-o", mine, cwd=workspace, expect=1)
    assert "is not empty and was not written by `agentops deploy render`" in refused.err
    assert _files(mine) == {"notes.txt": b"keep me\n"}
    agentops("deploy", "render", "-o", mine, "--force", cwd=workspace)
    assert "notes.txt" not in _files(mine) and "kustomization.yaml" in _files(mine)
    (mine / "kustomization.yaml").write_text("resources: []\n")  # someone else's now
    agentops("deploy", "render", "-o", mine, cwd=workspace, expect=1)

    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    refused = agentops("deploy", "render", "-o", link, "--force", cwd=workspace, expect=1)
    assert "symlink" in refused.err and list(target.iterdir()) == []
    values_link = tmp_path / "values.yaml"
    values_link.symlink_to(tmp_path / "victim.yaml")
    agentops("deploy", "render", "--format", "values", "-o", values_link, "--force", cwd=workspace, expect=1)
    assert not (tmp_path / "victim.yaml").exists()
    # No leftovers beside the output from the refused or completed writes.
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".agentops-")]


def test_an_installed_agent_file_that_is_a_link_is_not_read(agentops, workspace, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=workspace)
    secret = tmp_path / "secret.txt"
    secret.write_text("do not ship\n")
    planner = workspace / "agents" / "core-workflow" / "planner.md"
    planner.unlink()
    planner.symlink_to(secret)
    refused = agentops("deploy", "render", cwd=workspace, expect=1)
    assert "symbolic link" in refused.err and "do not ship" not in refused.out


def test_misuse_and_empty_workspaces(agentops, workspace):
    refused = agentops("deploy", "render", cwd=workspace, expect=1)
    assert "no packages are installed" in refused.err
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=workspace)
    assert agentops("deploy", "render", "--namespace", "x", "--namespace-per-classification", cwd=workspace,
                    expect=2).code == 2
    assert "not a Kubernetes namespace name" in agentops("deploy", "render", "--namespace", "Bad_NS",
                                                         cwd=workspace, expect=2).err
    assert "unknown classification level 'ultra'" in agentops("deploy", "render", "--classification", "ultra",
                                                              cwd=workspace, expect=2).err


def test_a_chart_values_file_gives_the_tier_its_model_and_level(agentops, workspace, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=workspace)
    chart = tmp_path / "chart"
    chart.mkdir()
    (chart / "values-tier1-edge.yaml").write_text(
        "global: {tier: edge, connectivity: none, classification: cui}\n"
        "models: {primary: {name: phi-3-mini-q4}, fallback: null}\n")
    objects = _objects_of(agentops, workspace, tmp_path / "out", "--tier", "edge", "--chart", chart)
    assert {d["spec"]["model"] for d in objects if d["kind"] == "Agent"} == {"phi-3-mini-q4"}
    assert [d["metadata"]["labels"]["agentpack.io/classification"] for d in objects if d["kind"] == "Namespace"] \
        == ["cui"]
    (chart / "values-tier1-edge.yaml").write_text("global: {tier: datacenter}\n")
    refused = agentops("deploy", "render", "--tier", "edge", "--chart", chart, cwd=workspace, expect=2)
    assert "global.tier is 'datacenter', not 'edge'" in refused.err
    assert "no values file for tier 'connected'" in agentops("deploy", "render", "--tier", "connected", "--chart",
                                                             chart, cwd=workspace, expect=2).err


def test_a_configmap_over_the_kubernetes_limit_is_refused(agentops, workspace, tmp_path):
    folder = _small_package(tmp_path / "src", "big-desk", "1.0.0", None)
    # Random text (a compressible one would look like a gzip bomb to publish), over 1 MB in all.
    (folder / "agents" / "triage" / "inbox.md").write_text("---\nname: inbox\n---\n\n" + os.urandom(520_000).hex())
    agentops.publish_folder(folder)
    agentops("package", "install", "big-desk", cwd=workspace)
    refused = agentops("deploy", "render", "-o", tmp_path / "out", cwd=workspace, expect=1)
    assert "more than a ConfigMap holds" in refused.err and not (tmp_path / "out").exists()
    assert os.path.isdir(workspace / "agents" / "big-desk")
