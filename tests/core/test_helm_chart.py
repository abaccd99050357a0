"""Charts and the checklist's pure rules: Chart.yaml identity, the Helm OCI artifact, images in
rendered objects (core.helm_chart), registries inside an enclave and tenants' quotas and budgets
(core.doctor_checks)."""

from __future__ import annotations

import pytest

from agentpack.core.doctor_checks import inside_enclave, tenant_problems
from agentpack.core.helm_chart import chart_problem, chart_repository, chart_tag, helm_manifest, images_in


@pytest.mark.parametrize("metadata, problem", [
    ({"apiVersion": "v2", "name": "agentpack", "version": "0.1.0"}, None),
    ({"apiVersion": "v2", "name": "Agent_Pack", "version": "0.1.0"}, "lowercase"),
    ({"apiVersion": "v2", "name": "agentpack", "version": 0.1}, "SemVer"),
    ({"apiVersion": "v2", "name": "agentpack", "version": "1.0"}, "version"),
    ({"apiVersion": "v3", "name": "agentpack", "version": "0.1.0"}, "apiVersion"),
    ([], "not a mapping"),
])
def test_chart_identity(metadata, problem):
    found = chart_problem(metadata)
    assert (found is None) if problem is None else (problem in found), found


def test_the_helm_oci_artifact():
    assert chart_repository("agents", "agentpack") == "agents/agentops.charts/agentpack"
    assert chart_repository("", "agentpack") == "agentops.charts/agentpack"
    assert chart_tag("1.0.0+build.1") == "1.0.0_build.1"
    manifest = helm_manifest(("a" * 64, 10), ("b" * 64, 20), {"name": "agentpack", "version": "0.1.0"})
    assert manifest["config"] == {"mediaType": "application/vnd.cncf.helm.config.v1+json",
                                  "digest": "sha256:" + "a" * 64, "size": 10}
    assert manifest["layers"] == [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                                   "digest": "sha256:" + "b" * 64, "size": 20}]


def test_images_in_rendered_objects():
    pinned = "registry.local:5000/r@sha256:" + "c" * 64
    documents = [
        {"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"image": "b:1"}, {"image": pinned}],
                                                              "initContainers": [{"image": "a:1"}]}}}},
        {"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"image": "b:1"}]}}}}}},
        {"kind": "ConfigMap", "data": {"image": "not-a-container"}}, None,
    ]
    assert images_in(documents) == [{"image": "a:1", "digest": None}, {"image": "b:1", "digest": None},
                                    {"image": pinned, "digest": "sha256:" + "c" * 64}]


@pytest.mark.parametrize("location, inside", [
    ("./registry", True), ("/srv/agentpack", True), ("file:///srv/agentpack", True),
    ("http://127.0.0.1:8080/", True), ("oci://localhost:5000/a", True), ("oci://registry.local:5000/agents", True),
    ("http://[::1]:8080/", True), ("https://agentpack.example.org/", False), ("oci://harbor.internal.mil/a", False),
    ("http://127.0.0.1.example.org/", False), ("oci://registry.local.example.org/a", False), ("http:///x", False),
])
def test_registries_inside_an_enclave(location, inside):
    assert inside_enclave(location) is inside


def test_tenants_need_a_quota_and_a_budget():
    good = {"tenants": [{"name": "team-alpha", "quota": {"cpu": "10", "memory": "20Gi", "gpu": "2", "pvcs": "5",
                                                         "pods": "20"},
                         "budget": {"tokens": 1000000, "cost": "$100.00", "concurrency": 5},
                         "classification": "secret", "private": True}]}
    assert tenant_problems(good, ("unclassified", "secret")) == (["team-alpha"], [])
    bad = {"tenants": [{"name": "Team_B", "quota": {"cpu": "1"}, "budget": {"tokens": -1, "cost": "100$",
                                                                            "concurrency": 0}},
                       {"name": "team-c", "classification": "cosmic"}]}
    _names, problems = tenant_problems(bad, ("unclassified", "secret"))
    text = "; ".join(problems)
    for expected in ("name 'Team_B'", "quota lacks memory, gpu, pvcs, pods", "tokens -1", "cost '100$'",
                     "concurrency 0", "team-c has no quota", "team-c has no budget", "'cosmic' is not a level"):
        assert expected in text, text
    assert tenant_problems({}, ())[1] == ["the file has no `tenants:` list"]
