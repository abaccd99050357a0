"""Fuzz the readers of a workspace's files: agentops.yaml, agentops.lock, local files, snapshots.

Each reader is called as the commands call it, on near-valid documents (see mutations.py); the
only outcomes allowed are a result or an AgentpackError naming the file.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from mutations import FUZZ, json_bytes, reads_or_refuses, yaml_bytes

from agentpack.core.filenames import LOCKFILE_NAME, WORKSPACE_MANIFEST
from agentpack.core.lockfile import Lockfile
from agentpack.errors import AgentpackError
from agentpack.services.adapt import Adaptation, read_snapshot, snapshot_path
from agentpack.services.configuration import local_overrides_path
from agentpack.services.workspace import Workspace

pytestmark = pytest.mark.fuzz

WORKSPACE = {
    "packages": {"customer-service": "^1.2.0", "core-workflow": "file:dist/core-workflow-2.1.0.tar.gz"},
    "registries": ["./registry"],
    "overrides": {"core-workflow": "2.1.0"},
    "tier": "edge",
    "classification": "cui",
    "classification_levels": ["unclassified", "cui", "secret"],
    "require_signatures": False,
    "config": {"customer-service": {"escalation_thresholds": {"refund_amount": 500}}},
}
LOCK = json.loads(Lockfile.from_text(json.dumps({
    "lockfile_version": 1, "root": {"customer-service": "^1.2.0"}, "overrides": {},
    "packages": {"customer-service": {"version": "1.2.0", "source": "registry", "sha256": "ab" * 32,
                                      "dependencies": {"core-workflow": "^2.0.0"},
                                      "files": {"agents/customer-service/a.md": "cd" * 32},
                                      "signed_by": "ef" * 32}},
})).to_text())
LOCAL = {
    "config": {"escalation_threshold": "$500"},
    "agents": {"custom_agents": ["local/agents/vip.md"], "disabled": ["agents/process-refund.md"]},
    "workflows": {"disabled": ["workflows/outreach.md"]},
    "patterns": {"custom_patterns": ["local/patterns/p.md"]},
}
SNAPSHOT = {
    "name": "customer-service", "version": "1.2.0", "description": "d",
    "manifest": {"name": "customer-service", "agents": ["agents/process-refund.md"], "config": {"defaults": "c.yaml"},
                 "tiers": {"edge": {"config": "config/edge.yaml", "disabled": []}}, "overrides": {}},
    "config": {"defaults": "a: 1\n"},
    "components": {"agents": [{"path": "agents/customer-service/process-refund.md", "name": "x"}]},
    "files": {"agents/customer-service/process-refund.md": "agents/process-refund.md"},
    "tiers": {"edge": {"config": "b: 2\n", "disabled": []}},
}


@pytest.fixture(scope="module")
def workspace():
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "packages").mkdir()
        (Path(root) / ".agentops" / "packages").mkdir(parents=True)
        yield Workspace(root)


@FUZZ
@given(raw=yaml_bytes(WORKSPACE))
def test_agentops_yaml(workspace, raw):
    Path(workspace.path(WORKSPACE_MANIFEST)).write_bytes(raw)
    reads_or_refuses(workspace.load_manifest, WORKSPACE_MANIFEST)


@FUZZ
@given(raw=json_bytes(LOCK))
def test_agentops_lock(workspace, raw):
    Path(workspace.path(LOCKFILE_NAME)).write_bytes(raw)
    lock = reads_or_refuses(workspace.load_lock, LOCKFILE_NAME)
    if isinstance(lock, Lockfile):  # what was read can be used and written back
        lock.unsatisfied(lock.root, lock.overrides)
        Lockfile.from_text(lock.to_text())


@FUZZ
@given(raw=yaml_bytes(LOCAL))
def test_local_overrides_yaml(workspace, raw):
    Path(workspace.path(local_overrides_path("customer-service"))).write_bytes(raw)
    adaptation = Adaptation(workspace, tier="edge", set_config={})

    def read():
        adaptation.disabled("customer-service", SNAPSHOT["manifest"])
        return adaptation.layers("customer-service", {"customer-service": SNAPSHOT})

    reads_or_refuses(read, "customer-service.local.yaml")


@FUZZ
@given(raw=json_bytes(SNAPSHOT))
def test_package_snapshot(workspace, raw):
    Path(workspace.path(snapshot_path("customer-service"))).write_bytes(raw)

    def read():
        snapshot = read_snapshot(workspace, "customer-service")
        Adaptation(workspace, tier="edge", set_config={}).layers("customer-service", {"customer-service": snapshot})

    try:
        (Path(workspace.path(local_overrides_path("customer-service")))).unlink()
    except FileNotFoundError:
        pass
    reads_or_refuses(read, "customer-service.json", "customer-service")


def test_the_valid_documents_read(workspace):
    """The seeds themselves are valid, so the mutations start from something real."""
    Path(workspace.path(WORKSPACE_MANIFEST)).write_text(json.dumps(WORKSPACE))
    assert workspace.load_manifest().tier == "edge"
    Path(workspace.path(LOCKFILE_NAME)).write_text(json.dumps(LOCK))
    assert workspace.load_lock().packages["customer-service"].signed_by == "ef" * 32
    with pytest.raises(AgentpackError):
        Lockfile.from_text("[" * 10_000)
