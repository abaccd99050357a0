"""A few fuzz cases through the real command: damaged workspace and registry files never give
an internal error or a traceback, and a failure names the file it could not read."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from mutations import EXAMPLES, FUZZ, json_bytes, yaml_bytes
from test_fuzz_workspace_files import LOCK, WORKSPACE

from conftest import Agentops

pytestmark = pytest.mark.fuzz
CLI = settings(FUZZ, max_examples=max(3, EXAMPLES // 5))  # each example runs the command


@pytest.fixture(scope="module")
def agentops(tmp_path_factory):
    return Agentops(tmp_path_factory.mktemp("home"))


def _run(agentops, files: dict[str, bytes], name: str) -> None:
    with tempfile.TemporaryDirectory() as root:
        (Path(root) / "packages").mkdir()
        for relpath, raw in files.items():
            (Path(root) / relpath).write_bytes(raw)
        run = agentops("package", "install", "--offline", cwd=root, expect=None)
        assert run.code in (0, 1, 2) and "internal error" not in run.err, run.err
        if run.code == 1 and ("invalid YAML" in run.err or "not valid JSON" in run.err):
            assert name in run.err, run.err


@CLI
@given(raw=yaml_bytes(WORKSPACE))
def test_agentops_yaml_through_the_command(agentops, raw):
    _run(agentops, {"agentops.yaml": raw}, "agentops.yaml")


@CLI
@given(raw=json_bytes(LOCK))
def test_agentops_lock_through_the_command(agentops, raw):
    _run(agentops, {"agentops.yaml": b"packages: {}\n", "agentops.lock": raw}, "agentops.lock")


@pytest.fixture(scope="module")
def published(agentops):
    agentops.publish_examples("core-workflow")
    index = agentops.default_registry / "index" / "core-workflow.json"
    return index, json.loads(index.read_text())


def test_registry_index_through_the_command(agentops, published):
    path, seed = published

    @CLI
    @given(raw=json_bytes(seed))
    def run(raw):
        path.write_bytes(raw)
        run = agentops("package", "info", "core-workflow", expect=None)
        assert run.code in (0, 1) and "internal error" not in run.err, run.err
        if run.code == 1 and "not valid JSON" in run.err:
            assert "core-workflow.json" in run.err, run.err

    run()
