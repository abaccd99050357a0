"""The extract service: nothing half-written is left when writing fails part way."""

from __future__ import annotations

import json

import pytest

from agentpack.services import extract as service


def two_skills(root):
    for name in ("alpha", "beta"):
        (root / name).mkdir(parents=True)
        (root / name / "SKILL.md").write_text(f"---\nname: {name}\ndescription: does {name}\n---\nBody\n")
    return root


def test_a_failure_while_writing_leaves_no_output_and_no_staging(tmp_path, monkeypatch):
    src, out = two_skills(tmp_path / "src"), tmp_path / "out"
    calls = []

    def failing(folder, listing, plan):
        calls.append(plan.name)
        if len(calls) == 2:
            raise OSError("disk full")
        real(folder, listing, plan)

    real = service._write_package
    monkeypatch.setattr(service, "_write_package", failing)
    with pytest.raises(OSError):
        service.extract(str(src), str(out), license="MIT")
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["src"]


def test_dry_run_writes_nothing_and_json_is_complete(tmp_path):
    result = service.extract(str(two_skills(tmp_path / "src")), str(tmp_path / "out"), dry_run=True)
    data = json.loads(json.dumps(result.to_dict()))
    assert data["format"] == "skills" and data["package_count"] == 2 and data["counts"]["skills"] == 2
    assert not (tmp_path / "out").exists()
