"""Registry servers whose archives live in an OCI registry: `agentops registry serve --database
postgresql://… --blobs oci://127.0.0.1:PORT/REPO`, real processes (tests/registry_service.py) on a
real PostgreSQL (tests/postgres_cluster.py) and Debian's docker-registry (tests/oci_registry.py).
The replicas keep no archive on their own disks; a damaged archive in the OCI registry is refused;
an OCI registry that is down makes them not ready and refuse writes with a 503, not a traceback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from conftest import Agentops, write_package
from oci_registry import DockerRegistry
from postgres_cluster import cluster_fixture, database_fixture  # noqa: F401 (fixtures)
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)

BLOBS = "agentops-blobs"
TEAM = "team-ops"


@pytest.fixture
def oci(tmp_path):
    with DockerRegistry(tmp_path / "oci") as running:
        yield running


def replica(agentops: Agentops, tmp_path: Path, name: str, database: str, oci: DockerRegistry) -> RegistryService:
    """A server with a data folder of its own, on ``database`` and the OCI blob repository."""
    return RegistryService(tmp_path / name, agentops.env, "--database", database, "--blobs", oci.url(BLOBS))


def publisher_token(agentops: Agentops, database: str) -> str:
    agentops("registry", "team", "create", TEAM, "--private", "--owner", "ops-lead", "--database", database)
    return agentops("registry", "token", "create", "--team", TEAM, "--role", "publish", "--user", "ops-lead",
                    "--database", database).out.strip()  # an owner's token: it may yank too


def archive_of(agentops: Agentops, tmp_path: Path, name: str, version: str) -> Path:
    folder = write_package(tmp_path / "src" / name.replace("/", "-") / version, name, version)
    return Path(agentops.build_folder(folder))


def archive_like(folder: Path) -> list[str]:
    """Files under ``folder`` that hold an archive: gzip data, or named by a SHA-256."""
    found = []
    for path in folder.rglob("*"):
        if path.is_file() and (len(path.name) == 64 or path.read_bytes()[:2] == b"\x1f\x8b"):
            found.append(str(path.relative_to(folder)))
    return found


def oci_tags(oci: DockerRegistry) -> list[str]:
    status, _headers, body = oci.request("GET", f"{BLOBS}/tags/list")
    return json.loads(body)["tags"] if status == 200 else []


def test_replicas_share_postgresql_and_one_oci_blob_repository(agentops, database, oci, tmp_path):
    secret = publisher_token(agentops, database)
    env = {"AGENTOPS_TOKEN": secret}
    auth = {"Authorization": f"Bearer {secret}"}
    with replica(agentops, tmp_path, "a", database, oci) as first, \
            replica(agentops, tmp_path, "b", database, oci) as second:
        assert httpx.get(first.url + "readyz").text == "ready\n"
        for version in ("1.0.0", "1.1.0"):
            agentops("package", "publish", str(archive_of(agentops, tmp_path, f"{TEAM}/triage", version)),
                     "--registry", first.url, env=env)
        index = httpx.get(second.url + f"index/{TEAM}/triage.json", headers=auth).json()
        shas = [index["versions"][v]["sha256"] for v in ("1.0.0", "1.1.0")]
        assert sorted(oci_tags(oci)) == sorted(f"archive-{sha}" for sha in shas)

        ws = tmp_path / "ws"
        ws.mkdir()
        colleague = Agentops(tmp_path / "colleague")
        (tmp_path / "colleague").mkdir()
        colleague("package", "install", f"{TEAM}/triage", "--registry", second.url, cwd=ws, env=env)
        locked = json.loads((ws / "agentops.lock").read_text())["packages"][f"{TEAM}/triage"]
        assert (locked["version"], locked["sha256"]) == ("1.1.0", shas[1])
        blob = httpx.get(second.url + f"blobs/sha256/{shas[0]}", headers=auth)
        assert blob.status_code == 200 and blob.headers["content-length"] == str(len(blob.content))

        agentops("package", "yank", f"{TEAM}/triage@1.1.0", "--reason", "broken", "--registry", second.url, env=env)
        deadline = time.monotonic() + 5  # another replica's write shows within its read cache's second
        while True:
            versions = httpx.get(first.url + f"index/{TEAM}/triage.json", headers=auth).json()["versions"]
            if "yanked" in versions["1.1.0"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert versions["1.1.0"]["yanked"]["reason"] == "broken"
    for data in (tmp_path / "a", tmp_path / "b"):
        assert not (data / "blobs").exists()
        assert archive_like(data) == []


def test_an_archive_damaged_or_lost_in_the_oci_registry_is_refused(agentops, database, oci, tmp_path):
    secret = publisher_token(agentops, database)
    env = {"AGENTOPS_TOKEN": secret}
    with replica(agentops, tmp_path, "a", database, oci) as first, \
            replica(agentops, tmp_path, "b", database, oci) as second:
        for name in ("damaged", "lost"):
            agentops("package", "publish", str(archive_of(agentops, tmp_path, f"{TEAM}/{name}", "1.0.0")),
                     "--registry", first.url, env=env)

        def stored_sha(server: RegistryService, name: str) -> str:
            return httpx.get(server.url + f"index/{TEAM}/{name}.json", headers={"Authorization": f"Bearer {secret}"}
                             ).json()["versions"]["1.0.0"]["sha256"]

        def stored(name: str) -> Path:
            sha = stored_sha(first, name)
            return next((oci.work / "data").rglob(f"blobs/sha256/{sha[:2]}/{sha}/data"))

        damaged = stored("damaged")
        data = bytearray(damaged.read_bytes())
        data[len(data) // 2] ^= 0xFF
        damaged.write_bytes(bytes(data))
        stored("lost").unlink()

        sha = stored_sha(first, "damaged")
        blob = httpx.get(second.url + f"blobs/sha256/{sha}", headers={"Authorization": f"Bearer {secret}"})
        assert blob.status_code == 422 and blob.json()["error"] == "integrity"
        sha = stored_sha(first, "lost")
        blob = httpx.get(second.url + f"blobs/sha256/{sha}", headers={"Authorization": f"Bearer {secret}"})
        assert blob.status_code == 404
        assert f"{sha} is missing from the registry server's blob store {oci.url(BLOBS)}" in blob.json()["message"]

        for name, said in (("damaged", "answered HTTP 422 for"), ("damaged", "blob store in registry"),
                           ("lost", f"has no blob for {TEAM}/lost@1.0.0")):
            ws = tmp_path / f"ws-{name}-{len(said)}"
            ws.mkdir()
            failed = agentops("package", "install", f"{TEAM}/{name}", "--registry", second.url, cwd=ws, env=env,
                              expect=1)
            assert said in failed.err, failed.err
            assert "Traceback" not in failed.err
            assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()
    assert not [line for line in second.log() if line.get("event") == "error"]


def test_an_oci_registry_that_is_down_makes_the_server_not_ready_and_refuses_publishing(agentops, database, oci,
                                                                                      tmp_path):
    secret = publisher_token(agentops, database)
    env = {"AGENTOPS_TOKEN": secret}
    archive = archive_of(agentops, tmp_path, f"{TEAM}/triage", "1.0.0")
    with replica(agentops, tmp_path, "a", database, oci) as server:
        agentops("package", "publish", str(archive), "--registry", server.url, env=env)
        oci.stop()
        ready = httpx.get(server.url + "readyz")
        assert ready.status_code == 503
        assert ready.text.startswith(f"not ready: blob store: the registry server's blob store {oci.url(BLOBS)}")

        later = archive_of(agentops, tmp_path, f"{TEAM}/other", "1.0.0")
        failed = agentops("package", "publish", str(later), "--registry", server.url, env=env, expect=1)
        assert "could not store the archive" in failed.err and "cannot reach registry" in failed.err, failed.err
        assert "Traceback" not in failed.err
        answer = httpx.post(server.url + "api/v1/packages", content=later.read_bytes(),
                            headers={"Authorization": f"Bearer {secret}"})
        assert answer.status_code == 503 and answer.json()["error"] == "storage-unavailable"
        assert httpx.get(server.url + f"index/{TEAM}/other.json",  # nothing half-published
                         headers={"Authorization": f"Bearer {secret}"}).status_code == 404
        index = httpx.get(server.url + f"index/{TEAM}/triage.json", headers={"Authorization": f"Bearer {secret}"})
        sha = index.json()["versions"]["1.0.0"]["sha256"]
        blob = httpx.get(server.url + f"blobs/sha256/{sha}", headers={"Authorization": f"Bearer {secret}"})
        assert blob.status_code == 503 and blob.json()["error"] == "storage-unavailable"

        oci.start()
        assert httpx.get(server.url + "readyz").text == "ready\n"
        agentops("package", "publish", str(later), "--registry", server.url, env=env)
    assert not [line for line in server.log() if line.get("event") == "error"]
