"""kill -9 during `bundle load`: loading the same bundle again leaves a registry that verifies,
with a catalog that agrees with its indexes, wherever the kill landed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import write_package

WORKER = Path(__file__).with_name("crash_command.py")


def _load(agentops, bundle: Path, registry: Path, crash_at: int = 0) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(WORKER), "bundle", "load", str(bundle), "--registry", str(registry)],
                          env={**agentops.env, "CRASH_AT": str(crash_at)}, capture_output=True, text=True,
                          timeout=120)


def _files(registry: Path) -> dict[str, bytes]:
    """Every file of the registry; indexes without their serial (the writer's clock)."""
    files = {p.relative_to(registry).as_posix(): p.read_bytes() for p in sorted(registry.rglob("*"))
             if p.is_file() and p.name != ".lock"
             and not any(part.startswith(".") and part.endswith(".tmp") for part in p.relative_to(registry).parts)}
    for path, data in files.items():
        if path.startswith("index/"):
            index = json.loads(data)
            assert index.pop("serial") > 0
            files[path] = json.dumps(index).encode()
    return files


def test_kill_9_during_bundle_load_then_reload_and_verify(agentops, tmp_path):
    src = tmp_path / "src"
    names = [f"pkg-{i}" for i in range(4)]
    for name in names:
        agentops.publish_folder(write_package(src, name, "1.0.0", agents=3))
    bundle = tmp_path / "all.bundle"
    agentops("bundle", "collect", *names, "-o", bundle)

    clean = tmp_path / "clean"
    run = _load(agentops, bundle, clean)
    assert run.returncode == 0, run.stderr
    calls = int(run.stderr.strip().splitlines()[-1].split()[1])
    expected = _files(clean)
    assert json.loads(expected["catalog.json"])["packages"].keys() == set(names)

    # Every call near the end (the indexes and the catalog are written last), a spread before.
    points = sorted(set(range(max(1, calls - 12), calls + 1)) | set(range(1, calls, max(1, calls // 8))))
    killed_between = 0
    for crash_at in points:
        registry = tmp_path / f"reg-{crash_at}"
        crashed = _load(agentops, bundle, registry, crash_at)
        assert crashed.returncode == -9, (crash_at, crashed.stderr)
        stale = registry.is_dir() and (registry / "index").is_dir() and \
            json.loads(agentops("registry", "verify", "--json", "--registry", registry, expect=None).out)
        if stale and any(p["code"] == "stale-catalog" for p in stale.get("problems", [])):
            killed_between += 1
        agentops("bundle", "load", bundle, "--registry", registry)
        assert _files(registry) == expected, crash_at
        report = json.loads(agentops("registry", "verify", "--json", "--registry", registry).out)
        assert report["ok"] is True, (crash_at, report)
        assert not [p for p in report["problems"] if p["code"] != "temporary-file"], (crash_at, report)
    assert killed_between, "no kill landed between an index and the catalog; widen the points"


def test_kill_9_during_bundle_load_then_verify_repair(agentops, tmp_path):
    """The registry's own check finds a catalog left behind by a killed load and rebuilds it."""
    src = tmp_path / "src"
    names = ["one", "two", "three"]
    for name in names:
        agentops.publish_folder(write_package(src, name, "1.0.0"))
    bundle = tmp_path / "all.bundle"
    agentops("bundle", "collect", *names, "-o", bundle)
    calls = int(_load(agentops, bundle, tmp_path / "clean").stderr.strip().splitlines()[-1].split()[1])
    expected = (tmp_path / "clean" / "catalog.json").read_bytes()
    for crash_at in range(calls, 0, -1):  # from the last call back until the catalog is stale
        registry = tmp_path / f"reg-{crash_at}"
        assert _load(agentops, bundle, registry, crash_at).returncode == -9
        report = json.loads(agentops("registry", "verify", "--json", "--registry", registry, expect=None).out)
        if any(p["code"] == "stale-catalog" for p in report.get("problems", [])):
            break
    else:
        raise AssertionError("no kill left the catalog stale")
    assert report["ok"] is False
    repaired = json.loads(agentops("registry", "verify", "--repair", "--json", "--registry", registry).out)
    assert "rebuilt catalog.json from the package indexes" in repaired["repaired"]
    assert (registry / "catalog.json").read_bytes() == expected
    assert repaired["ok"] is True
