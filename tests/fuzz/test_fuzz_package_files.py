"""Fuzz the readers of a package's files: package.yaml, gates files and Markdown frontmatter.

``validate_files`` is what validate, build and publish run on a package's content. Whatever the
content, it reports problems (naming the file) and never raises; a manifest it accepts is plain
data that the registry can store as JSON and read back.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from mutations import FUZZ, TAGS, reads_or_refuses, yaml_bytes

from agentpack.core.bounded_json import parse_json
from agentpack.services.validate import collect_package_files, validate_files
from conftest import EXAMPLES

pytestmark = pytest.mark.fuzz

FILES = collect_package_files(str(EXAMPLES / "customer-service"))
MANIFEST = yaml.safe_load(FILES["package.yaml"])
GATES = yaml.safe_load(FILES["validations/quality-gates.yaml"])
AGENT = "agents/process-refund.md"
FRONTMATTER = yaml.safe_load(FILES[AGENT].decode().split("---")[1])


def validate_with(path: str, raw: bytes):
    report = reads_or_refuses(lambda: validate_files({**FILES, path: raw}, source="pkg"), path)
    for problem in report.problems:
        assert problem.path, problem
    if report.manifest is not None and not any(p.is_error for p in report.problems):
        text = json.dumps(report.manifest.to_dict(), allow_nan=False, ensure_ascii=False)
        parse_json(text, source="record")  # what a registry stores, it reads back
    return report


@FUZZ
@given(raw=yaml_bytes(MANIFEST))
def test_package_yaml(raw):
    validate_with("package.yaml", raw)


@FUZZ
@given(raw=yaml_bytes(GATES))
def test_gates_file(raw):
    validate_with("validations/quality-gates.yaml", raw)


@FUZZ
@given(raw=yaml_bytes(FRONTMATTER), body=st.sampled_from(["\nBody.\n", "", "---\n"]))
def test_agent_frontmatter(raw, body):
    validate_with(AGENT, b"---\n" + raw + b"---\n" + body.encode())


@pytest.mark.parametrize("tag", TAGS)
def test_every_tag_on_a_package_field_is_read_or_reported(tag):
    raw = FILES["package.yaml"].replace(b"author: AgentOps Community", b"author: " + tag.encode())
    report = validate_with("package.yaml", raw)
    assert report.manifest is not None or any(p.path == "package.yaml" for p in report.problems)
