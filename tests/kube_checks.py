"""Validating rendered Kubernetes objects: built-in kinds with kubernetes-validate (offline
schemas of a current Kubernetes, strict: unknown fields are errors), Agent objects with jsonschema
against the CRD of the contract shared with the chart.

The CRD is the chart's deploy/helm/agentpack/crds/agents.yaml where the repository has it, else
the test-local copy tests/data/kube/agents.crd.yaml (the same contract).
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHART_CRD = REPO / "deploy" / "helm" / "agentpack" / "crds" / "agents.yaml"
LOCAL_CRD = REPO / "tests" / "data" / "kube" / "agents.crd.yaml"


def agent_crd() -> dict:
    """The Agent CRD document (the chart's when present)."""
    return yaml.safe_load((CHART_CRD if CHART_CRD.is_file() else LOCAL_CRD).read_text())


def agent_schema() -> dict:
    """The openAPIV3Schema of the Agent CRD's v1alpha1 version."""
    crd = agent_crd()
    assert crd["spec"]["group"] == "agentpack.io" and crd["spec"]["names"]["kind"] == "Agent"
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return version["schema"]["openAPIV3Schema"]


def validate_object(document: dict) -> None:
    """Raise when ``document`` is not a valid object of its kind."""
    if document.get("apiVersion") == "agentpack.io/v1alpha1":
        import jsonschema

        assert document["kind"] == "Agent", document["kind"]
        jsonschema.validate(document, agent_schema(), cls=jsonschema.Draft7Validator)
        return
    import kubernetes_validate

    kubernetes_validate.validate(document, kubernetes_validate.latest_version(), strict=True)


def validate_file(path: Path) -> list[dict]:
    """Validate every document of a YAML file; the documents."""
    documents = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    for document in documents:
        validate_object(document)
    return documents
