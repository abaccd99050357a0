"""A package's misspellings stop at publish: unknown fields, empty ranges, dependencies the
registry does not hold."""

from __future__ import annotations

import json

from conftest import write_package


def _package(tmp_path, extra: str, *, deps=()):
    folder = write_package(tmp_path / "src", "typo-pkg", "1.0.0", deps=deps)
    with open(folder / "package.yaml", "a") as handle:
        handle.write(extra)
    return folder


def test_misspelt_field_warns_in_validate_and_build_and_stops_publish(agentops, tmp_path):
    folder = _package(tmp_path, "dependecies:\n  - core-workflow@^2.0.0\n")
    run = agentops("package", "validate", folder)
    assert "unknown field 'dependecies'" in run.out and "did you mean 'dependencies'" in run.out
    assert "publish refuses it" in run.out
    run = agentops("package", "build", folder, "-o", agentops.home / "dist")
    assert "publish will refuse this archive" in run.err and "dependecies" in run.err
    archive = run.lines[-1]
    run = agentops("package", "publish", archive, expect=1)
    assert "unknown field" in run.err and "package.yaml:" in run.err and "nothing was published" in run.err
    assert not (agentops.default_registry / "index" / "typo-pkg.json").exists()


def test_empty_range_is_a_validation_error(agentops, tmp_path):
    folder = _package(tmp_path, "", deps=("nope@>=3 <1",))
    run = agentops("package", "validate", folder, expect=1)
    assert "no version can satisfy >=3 <1" in run.out and "package.yaml:7" in run.out
    agentops("package", "build", folder, "-o", agentops.home / "dist", expect=1)


def test_dependency_the_registry_does_not_hold_is_a_warning_at_publish(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    folder = _package(tmp_path, "", deps=("core-workflw@^2.0.0", "core-workflow@^7"))
    run = agentops("package", "publish", agentops.build_folder(folder))
    assert "holds no package core-workflw (did you mean core-workflow?)" in run.err
    assert "holds no version in ^7 (published: 2.1.0)" in run.err
    assert "Published typo-pkg@1.0.0" in run.out
    archive = agentops.build_folder(_package(tmp_path / "again", "", deps=("nope@^1",)))
    report = json.loads(agentops("package", "publish", archive, "--json", "--registry",
                                 tmp_path / "other-registry").out)
    assert [w["code"] for w in report["warnings"]] == ["unknown-dependency"]


def test_install_hints_name_the_nearest_packages_and_the_published_versions(agentops, tmp_path):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "custmer-service", cwd=ws, expect=1)
    assert "did you mean customer-service?" in run.err and "relax" not in run.err
    run = agentops("package", "install", "customer-service@^9", cwd=ws, expect=1)
    assert "published versions: 1.2.0" in run.err and "customer-service@latest" in run.err
    assert "relax" not in run.err
    agentops("package", "install", "customer-service@latest", cwd=ws)
    assert "customer-service: ^1.2.0" in (ws / "agentops.yaml").read_text()
    assert "core-workflow@2.1.0" in agentops("package", "info", "core-workflow@latest").out
    assert "did you mean core-workflow?" in agentops("package", "info", "core-workflw", expect=1).err
