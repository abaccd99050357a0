"""Validating rendered Kubernetes objects: built-in kinds with kubernetes-validate (offline
schemas of a current Kubernetes, strict: unknown fields are errors), Agent objects with jsonschema
against the CRD of the contract shared with the chart.

The CRD is the chart's deploy/helm/agentpack/crds/agents.yaml. Kubernetes refuses a CRD schema
that sets ``additionalProperties`` beside ``properties``, so the CRD leaves it out and the API
server's strict field validation (kubectl's default) refuses unknown fields instead; here every
object of the schema that declares its properties is closed, which refuses them the same way.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHART_CRD = REPO / "deploy" / "helm" / "agentpack" / "crds" / "agents.yaml"


def agent_crd() -> dict:
    """The Agent CRD document."""
    return yaml.safe_load(CHART_CRD.read_text())


def _closed(schema):
    """``schema`` with every object that lists its properties closed to others."""
    if isinstance(schema, dict):
        schema = {key: _closed(value) for key, value in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_closed(item) for item in schema]
    return schema


def agent_schema() -> dict:
    """The openAPIV3Schema of the Agent CRD's v1alpha1 version."""
    crd = agent_crd()
    assert crd["spec"]["group"] == "agentpack.io" and crd["spec"]["names"]["kind"] == "Agent"
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    return _closed(version["schema"]["openAPIV3Schema"])


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
