"""`agentops registry mirror` through the real command: directory and http:// sources (a real web
server on 127.0.0.1, tests/registry_server.py) copied into directory registries, then installed
from with --offline, as an air-gapped site is staged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_package
from registry_server import StaticServer

CRASH = Path(__file__).with_name("crash_command.py")
EXAMPLES = {"communication-patterns": "1.5.3", "core-workflow": "2.1.0", "customer-service": "1.2.0"}


@pytest.fixture(autouse=True)
def no_proxies(agentops):
    """Requests to 127.0.0.1 must not go through a proxy the machine happens to name."""
    for key in [k for k in agentops.env if k.lower().endswith("_proxy")]:
        del agentops.env[key]


def _mirror(agentops, source, dest, *extra, expect: int | None = 0) -> dict:
    run = agentops("registry", "mirror", source, dest, "--json", *extra, expect=expect)
    return json.loads(run.out)


def _files(registry: Path) -> dict[str, bytes]:
    return {p.relative_to(registry).as_posix(): p.read_bytes() for p in sorted(registry.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def _index(registry: Path, name: str) -> dict:
    return json.loads((registry / "index" / f"{name}.json").read_text())


def _publish(agentops, folder: Path, registry: Path | None = None, *extra: str) -> None:
    archive = agentops.build_folder(folder, *extra)
    agentops("package", "publish", archive, *(["--registry", registry] if registry else []))


def _locked(ws: Path) -> dict[str, str]:
    return {name: pkg["version"] for name, pkg in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


def test_directory_to_directory_copies_everything_then_is_up_to_date(agentops, tmp_path):
    agentops.publish_examples()
    source, dest = agentops.default_registry, tmp_path / "edge"
    summary = _mirror(agentops, source, dest)
    assert summary["packages"] == 3 and sorted(summary["added"]) == sorted(f"{n}@{v}" for n, v in EXAMPLES.items())
    assert summary["skipped"] == 0 and not summary["up_to_date"]
    assert summary["bytes"] == sum(r["size"] for n in EXAMPLES for r in _index(source, n)["versions"].values())
    for name in EXAMPLES:  # the same records (the serial is DEST's own)
        assert _index(dest, name)["versions"] == _index(source, name)["versions"]
    for blob in (source / "blobs" / "sha256").iterdir():
        assert (dest / "blobs" / "sha256" / blob.name).read_bytes() == blob.read_bytes()
    assert json.loads(agentops("registry", "verify", "--registry", dest, "--json").out)["ok"] is True

    before = _files(dest)
    again = agentops("registry", "mirror", source, dest)
    assert "is up to date with" in again.out and "3 version(s) already present" in again.out
    assert _files(dest) == before  # nothing written, not even the catalog
    assert _mirror(agentops, source, dest) == {**summary, "added": [], "skipped": 3, "bytes": 0, "up_to_date": True}


def test_a_second_run_copies_only_what_is_new_and_raises_that_index_serial(agentops, tmp_path):
    src = tmp_path / "src"
    _publish(agentops, write_package(src, "a", "1.0.0"))
    _publish(agentops, write_package(src, "b", "1.0.0"))
    dest = tmp_path / "edge"
    _mirror(agentops, agentops.default_registry, dest)
    serial_a, index_b = _index(dest, "a")["serial"], (dest / "index" / "b.json").read_bytes()
    _publish(agentops, write_package(src, "a", "1.1.0"))
    summary = _mirror(agentops, agentops.default_registry, dest)
    assert summary["added"] == ["a@1.1.0"] and summary["skipped"] == 2
    assert list(_index(dest, "a")["versions"]) == ["1.0.0", "1.1.0"]
    assert _index(dest, "a")["serial"] > serial_a
    assert (dest / "index" / "b.json").read_bytes() == index_b


def test_team_keeps_only_those_teams_packages(agentops, tmp_path):
    src = tmp_path / "src"
    for name in ("support/triage", "support/refunds", "sales/leads", "shared"):
        _publish(agentops, write_package(src, name, "1.0.0"))
    dest = tmp_path / "edge"
    summary = _mirror(agentops, agentops.default_registry, dest, "--team", "support")
    assert sorted(summary["added"]) == ["support/refunds@1.0.0", "support/triage@1.0.0"]
    assert sorted(json.loads((dest / "catalog.json").read_text())["packages"]) == ["support/refunds", "support/triage"]
    summary = _mirror(agentops, agentops.default_registry, dest, "--team", "support", "--team", "sales")
    assert summary["added"] == ["sales/leads@1.0.0"] and summary["skipped"] == 2
    run = agentops("registry", "mirror", agentops.default_registry, dest, "--team", "Sales", expect=2)
    assert "--team: invalid team name 'Sales'" in run.err


def test_since_keeps_versions_published_at_or_after_it(agentops, tmp_path):
    src = tmp_path / "src"
    for version in ("1.0.0", "1.1.0", "2.0.0"):
        _publish(agentops, write_package(src, "a", version))
    index_path = agentops.default_registry / "index" / "a.json"
    index = json.loads(index_path.read_text())
    index["versions"]["1.0.0"]["published_at"] = "2020-01-01T00:00:00Z"
    index["versions"]["1.1.0"]["published_at"] = "2024-06-01T00:00:00Z"
    index_path.write_text(json.dumps(index))
    dest = tmp_path / "edge"
    assert _mirror(agentops, agentops.default_registry, dest, "--since", "7d")["added"] == ["a@2.0.0"]
    assert _mirror(agentops, agentops.default_registry, dest, "--since", "2024-06-01")["added"] == ["a@1.1.0"]
    assert _mirror(agentops, agentops.default_registry, dest)["added"] == ["a@1.0.0"]
    assert list(_index(dest, "a")["versions"]) == ["1.0.0", "1.1.0", "2.0.0"]
    run = agentops("registry", "mirror", agentops.default_registry, dest, "--since", "last week", expect=2)
    assert "--since: not a date, time or duration: 'last week'" in run.err


def test_dry_run_lists_what_would_be_copied_and_writes_nothing(agentops, tmp_path):
    agentops.publish_examples()
    dest = tmp_path / "edge"
    run = agentops("registry", "mirror", agentops.default_registry, dest, "--dry-run")
    assert "  + customer-service@1.2.0" in run.lines and "Would copy 3 version(s)" in run.out
    assert not dest.exists()
    summary = _mirror(agentops, agentops.default_registry, dest, "--dry-run")
    assert summary["dry_run"] is True and len(summary["added"]) == 3 and summary["bytes"] > 0
    assert not dest.exists()


def test_yank_and_deprecation_marks_are_carried_and_never_taken_back(agentops, tmp_path):
    agentops.publish_examples()
    dest = tmp_path / "edge"
    agentops("package", "yank", "core-workflow@2.1.0", "--reason", "breaks routing")
    _mirror(agentops, agentops.default_registry, dest)
    assert _index(dest, "core-workflow")["versions"]["2.1.0"]["yanked"]["reason"] == "breaks routing"
    agentops("package", "deprecate", "customer-service", "--message", "use support-desk")
    run = agentops("registry", "mirror", agentops.default_registry, dest)
    assert "  ~ customer-service@1.2.0 (yank or deprecation added)" in run.lines
    assert _index(dest, "customer-service")["versions"]["1.2.0"]["deprecated"]["message"] == "use support-desk"
    agentops("package", "yank", "core-workflow@2.1.0", "--undo")
    assert _mirror(agentops, agentops.default_registry, dest)["up_to_date"] is True
    assert "yanked" in _index(dest, "core-workflow")["versions"]["2.1.0"]  # additive, like bundle load


def test_signatures_are_carried(agentops, tmp_path):
    alice = agentops.generate_key("alice")
    _publish(agentops, write_package(tmp_path / "src", "signed-pkg", "1.0.0"), None, "--sign", "alice")
    dest = tmp_path / "edge"
    _mirror(agentops, agentops.default_registry, dest)
    record = _index(dest, "signed-pkg")["versions"]["1.0.0"]
    assert record["signature"] == _index(agentops.default_registry, "signed-pkg")["versions"]["1.0.0"]["signature"]
    agentops("trust", "add", alice["public_key"])
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "signed-pkg", "--require-signed", "--offline", "--registry", dest, cwd=ws)


def test_a_version_held_with_other_content_is_a_conflict_naming_both_digests(agentops, tmp_path):
    src = tmp_path / "src"
    _publish(agentops, write_package(src, "a", "1.0.0"))
    _publish(agentops, write_package(src, "b", "1.0.0"))
    dest = tmp_path / "edge"
    _publish(agentops, write_package(tmp_path / "other", "b", "1.0.0", body="Something else."), dest)
    before = _files(dest)
    theirs = _index(agentops.default_registry, "b")["versions"]["1.0.0"]["sha256"]
    ours = _index(dest, "b")["versions"]["1.0.0"]["sha256"]
    dry = _mirror(agentops, agentops.default_registry, dest, "--dry-run", expect=1)
    assert dry["conflicts"] == [f"b@1.0.0 (destination sha256 {ours}, source sha256 {theirs})"]
    run = agentops("registry", "mirror", agentops.default_registry, dest, expect=1)
    assert f"b@1.0.0 (other content: registry sha256 {ours}, new {theirs})" in run.err
    assert "nothing was imported" in run.err
    assert _files(dest) == before  # not even a@1.0.0


def test_the_destination_classification_ceiling_refuses_packages_above_it(agentops, tmp_path):
    folder = write_package(tmp_path / "src", "secret-ops", "1.0.0")
    with open(folder / "package.yaml", "a") as handle:
        handle.write("classification: secret\n")
    _publish(agentops, folder)
    _publish(agentops, write_package(tmp_path / "src", "open-ops", "1.0.0"))
    dest = tmp_path / "edge"
    agentops("registry", "init", dest, "--classification", "cui")
    run = agentops("registry", "mirror", agentops.default_registry, dest, expect=1)
    assert "write down refused: secret-ops@1.0.0 is classified 'secret'" in run.err
    assert not (dest / "index").exists()
    assert _mirror(agentops, agentops.default_registry, dest, "--team", "none")["packages"] == 0


def test_the_destination_must_be_a_directory_and_not_the_source(agentops, tmp_path):
    agentops.publish_examples()
    run = agentops("registry", "mirror", agentops.default_registry, "http://127.0.0.1:9/", expect=2)
    assert "registry mirror imports into a directory registry" in run.err
    run = agentops("registry", "mirror", agentops.default_registry, f"file://{agentops.default_registry}", expect=2)
    assert "copies from one registry into another" in run.err
    stranger = tmp_path / "notes"
    stranger.mkdir()
    (stranger / "todo.txt").write_text("x")
    run = agentops("registry", "mirror", agentops.default_registry, stranger, expect=1)
    assert "is not an agentpack registry and is not empty" in run.err


# -- over HTTP ------------------------------------------------------------------------------------

def test_http_to_directory_then_offline_install_from_it(agentops, far, tmp_path):
    """The air-gap staging story: mirror a served registry, stop the server, install on a machine
    that has never seen it, from the mirror alone."""
    agentops.publish_examples()
    dest = tmp_path / "edge"
    with StaticServer(agentops.default_registry) as server:
        summary = _mirror(agentops, server.url, dest)
        assert summary["source"] == server.url and len(summary["added"]) == 3
        assert any(path.startswith("/blobs/sha256/") for path in server.paths())
        first = len(server.requests)
        assert _mirror(agentops, server.url, dest)["up_to_date"] is True
        assert not [r for r in server.requests[first:] if r.path.startswith("/blobs/")]  # documents only
    ws = tmp_path / "far-ws"
    ws.mkdir()
    far("package", "install", "customer-service", "--offline", "--registry", dest, cwd=ws)
    assert _locked(ws) == EXAMPLES
    assert (ws / "agents" / "customer-service").is_dir()


def test_http_team_and_since_and_incremental(agentops, tmp_path):
    src = tmp_path / "src"
    _publish(agentops, write_package(src, "support/triage", "1.0.0"))
    _publish(agentops, write_package(src, "sales/leads", "1.0.0"))
    dest = tmp_path / "edge"
    with StaticServer(agentops.default_registry) as server:
        assert _mirror(agentops, server.url, dest, "--team", "support", "--since", "1d")["added"] == \
            ["support/triage@1.0.0"]
        _publish(agentops, write_package(src, "support/triage", "1.1.0"))
        summary = _mirror(agentops, server.url, dest, "--team", "support")
        assert summary["added"] == ["support/triage@1.1.0"] and summary["skipped"] == 1
    assert sorted(json.loads((dest / "catalog.json").read_text())["packages"]) == ["support/triage"]


def test_http_tampered_blob_is_refused_and_nothing_written(agentops, tmp_path):
    agentops.publish_examples()
    record = _index(agentops.default_registry, "core-workflow")["versions"]["2.1.0"]
    blob = agentops.default_registry / "blobs" / "sha256" / record["sha256"]
    data = bytearray(blob.read_bytes())
    data[100] ^= 0xFF
    blob.write_bytes(bytes(data))
    import hashlib

    dest = tmp_path / "edge"
    with StaticServer(agentops.default_registry) as server:
        run = agentops("registry", "mirror", server.url, dest, expect=1)
    assert "core-workflow@2.1.0" in run.err and "failed verification" in run.err
    assert record["sha256"] in run.err and hashlib.sha256(bytes(data)).hexdigest() in run.err
    assert not (dest / "index").exists()


def test_http_source_that_went_backwards_is_refused(agentops, tmp_path):
    src = tmp_path / "src"
    _publish(agentops, write_package(src, "a", "1.0.0"))
    index_path = agentops.default_registry / "index" / "a.json"
    old_index = index_path.read_bytes()
    _publish(agentops, write_package(src, "a", "1.1.0"))
    dest = tmp_path / "edge"
    with StaticServer(agentops.default_registry) as server:
        _mirror(agentops, server.url, dest)
        index_path.write_bytes(old_index)  # the server now serves the index from before 1.1.0
        before = _files(dest)
        run = agentops("registry", "mirror", server.url, tmp_path / "edge", expect=1)
        assert "served an older index of a" in run.err and "registry forget" in run.err
        assert _files(dest) == before
        agentops("registry", "forget", "--registry", server.url)
        assert _mirror(agentops, server.url, dest)["up_to_date"] is True


# -- interrupted ----------------------------------------------------------------------------------

def _crashing_mirror(agentops, source: Path, dest: Path, crash_at: int) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CRASH), "registry", "mirror", str(source), str(dest)],
                          env={**agentops.env, "CRASH_AT": str(crash_at)}, capture_output=True, text=True,
                          timeout=120)


def test_kill_9_leaves_no_index_without_its_blob_and_the_next_run_completes_it(agentops, tmp_path):
    src = tmp_path / "src"
    for name in ("one", "two", "three"):
        _publish(agentops, write_package(src, name, "1.0.0"))
    _mirror(agentops, agentops.default_registry, tmp_path / "first")  # remembers the serials: later runs write less
    calls = int(_crashing_mirror(agentops, agentops.default_registry, tmp_path / "clean", 0)
                .stderr.strip().splitlines()[-1].split()[1])
    expected = {path: data for path, data in _files(tmp_path / "clean").items() if not path.startswith("index/")}
    for crash_at in sorted({1, calls // 3, calls // 2, calls - 4, calls - 2, calls - 1}):
        dest = tmp_path / f"edge-{crash_at}"
        assert _crashing_mirror(agentops, agentops.default_registry, dest, crash_at).returncode == -9
        if (dest / "registry.json").exists():  # every index names blobs that are there; the catalog may lag
            report = json.loads(agentops("registry", "verify", "--registry", dest, "--json", expect=None).out)
            codes = {problem["code"] for problem in report["problems"]}
            assert codes <= {"stale-catalog", "orphan-blob", "temporary-file"}, (crash_at, report)
        _mirror(agentops, agentops.default_registry, dest)
        files = {path: data for path, data in _files(dest).items() if not path.startswith("index/")
                 and not any(part.startswith(".") and part.endswith(".tmp") for part in path.split("/"))}
        assert files == expected, crash_at
        assert json.loads(agentops("registry", "verify", "--registry", dest, "--json").out)["ok"] is True
