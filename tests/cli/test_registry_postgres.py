"""Registry servers as stateless replicas: several `agentops registry serve` processes on one
PostgreSQL database (a real cluster on 127.0.0.1, tests/postgres_cluster.py) and one shared blob
folder answer alike, whichever of them a request reaches."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx

from conftest import Agentops, write_package
from postgres_cluster import cluster_fixture, database_fixture  # noqa: F401 (fixtures)
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)


def replica(agentops: Agentops, tmp_path: Path, name: str, database: str, *extra: str) -> RegistryService:
    """A server with its own data folder, on ``database`` and the test's shared blob folder."""
    return RegistryService(tmp_path / name, agentops.env, "--database", database, "--blobs",
                           str(tmp_path / "shared-blobs"), *extra)


def admin(agentops: Agentops, database: str, *args: str) -> str:
    return agentops("registry", *args, "--database", database).out.strip()


def build(agentops: Agentops, tmp_path: Path, name: str, version: str) -> bytes:
    folder = write_package(tmp_path / "src" / version, name, version)
    return Path(agentops.build_folder(folder)).read_bytes()


def publish_all(urls: list[str], archives: list[bytes], secret: str) -> list[int]:
    """POST every archive at once (the i-th to ``urls[i % len(urls)]``): their statuses."""
    statuses: list[int] = []
    barrier = threading.Barrier(len(archives))

    def publish(index: int) -> None:
        barrier.wait()
        response = httpx.post(urls[index % len(urls)] + "api/v1/packages", content=archives[index], timeout=120,
                              headers={"Authorization": f"Bearer {secret}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=publish, args=(i,)) for i in range(len(archives))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_publish_on_one_replica_install_and_yank_through_another(agentops, database, tmp_path):
    admin(agentops, database, "team", "create", "team-ops", "--private", "--owner", "ops-lead")
    publisher = admin(agentops, database, "token", "create", "--team", "team-ops", "--role", "publish",
                      "--user", "ops-lead")  # an owner's token: it may yank
    env = {"AGENTOPS_TOKEN": publisher}
    with replica(agentops, tmp_path, "a", database) as first, replica(agentops, tmp_path, "b", database) as second:
        for version in ("1.0.0", "1.1.0"):
            archive = tmp_path / f"triage-{version}.tgz"
            archive.write_bytes(build(agentops, tmp_path, "team-ops/triage", version))
            agentops("package", "publish", str(archive), "--registry", first.url, env=env)
        sha = httpx.get(first.url + "index/team-ops/triage.json", headers={"Authorization": f"Bearer {publisher}"}
                        ).json()["versions"]["1.1.0"]["sha256"]
        assert (tmp_path / "shared-blobs" / "sha256" / sha).is_file()
        assert not (tmp_path / "a" / "blobs").exists()

        colleague = Agentops(tmp_path / "colleague")
        (tmp_path / "colleague").mkdir()
        ws = tmp_path / "ws"
        ws.mkdir()
        colleague("package", "install", "team-ops/triage", "--registry", second.url, cwd=ws, env=env)
        assert json.loads((ws / "agentops.lock").read_text())["packages"]["team-ops/triage"]["version"] == "1.1.0"

        agentops("package", "yank", "team-ops/triage@1.1.0", "--reason", "broken", "--registry", second.url, env=env)
        deadline = time.monotonic() + 5  # another replica's write shows within its read cache's second
        while True:
            index = httpx.get(first.url + "index/team-ops/triage.json",
                              headers={"Authorization": f"Bearer {publisher}"}).json()
            if "yanked" in index["versions"]["1.1.0"] or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert index["versions"]["1.1.0"]["yanked"]["reason"] == "broken"
        # the owner makes the team public through one replica; the other serves it so within its second
        updated = httpx.patch(second.url + "api/v1/teams/team-ops", json={"private": False, "add_owners": ["sam"]},
                              headers={"Authorization": f"Bearer {publisher}"})
        assert updated.status_code == 200 and updated.json()["owners"] == ["ops-lead", "sam"]
        deadline = time.monotonic() + 5
        while httpx.get(first.url + "index/team-ops/triage.json").status_code != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert httpx.get(first.url + "index/team-ops/triage.json").status_code == 200
        # a token revoked through one replica is refused by the other at once
        token_id = json.loads(agentops("registry", "token", "list", "--database", database, "--json").out
                              )["tokens"][0]["id"]
        admin(agentops, database, "token", "revoke", token_id)
        assert httpx.get(first.url + "index/team-ops/triage.json",
                         headers={"Authorization": f"Bearer {publisher}"}).status_code == 401


def test_fifty_concurrent_publishes_of_one_version_across_two_replicas(agentops, database, tmp_path):
    publisher = admin(agentops, database, "token", "create", "--team", "public", "--role", "publish")
    archive = build(agentops, tmp_path, "triage", "1.0.0")
    with replica(agentops, tmp_path, "a", database) as first, replica(agentops, tmp_path, "b", database) as second:
        statuses = publish_all([first.url, second.url], [archive] * 50, publisher)
        assert sorted(statuses) == [201] + [409] * 49
        for server in (first, second):
            assert list(httpx.get(server.url + "index/triage.json").json()["versions"]) == ["1.0.0"]


def test_a_quota_holds_under_concurrent_publishes_on_two_replicas(agentops, database, tmp_path):
    admin(agentops, database, "team", "create", "team-q", "--max-versions", "3")
    publisher = admin(agentops, database, "token", "create", "--team", "team-q", "--role", "publish")
    archives = [build(agentops, tmp_path, f"team-q/pkg{i % 4}", f"1.{i}.0") for i in range(16)]
    with replica(agentops, tmp_path, "a", database) as first, replica(agentops, tmp_path, "b", database) as second:
        statuses = publish_all([first.url, second.url], archives, publisher)
        assert sorted(statuses) == [201] * 3 + [403] * 13
        catalog = httpx.get(first.url + "catalog.json").json()["packages"]
        published = sum(len(httpx.get(first.url + f"index/{name}.json").json()["versions"]) for name in catalog)
        assert published == 3


def test_two_workers_serve_one_database(agentops, database, tmp_path):
    publisher = admin(agentops, database, "token", "create", "--team", "public", "--role", "publish")
    with replica(agentops, tmp_path, "w", database, "--workers", "2") as server:
        statuses = publish_all([server.url], [build(agentops, tmp_path, "triage", f"1.{i}.0") for i in range(6)],
                               publisher)
        assert statuses == [201] * 6
        for _ in range(10):  # whichever process answers, it sees every version
            assert len(httpx.get(server.url + "index/triage.json").json()["versions"]) == 6
    started = [line["message"] for line in server.log() if line.get("message", "").startswith("Started server process")]
    assert len(started) == 2


def test_replicas_started_at_once_migrate_the_database_once(agentops, cluster, database, tmp_path):
    servers = [replica(agentops, tmp_path, f"r{i}", database) for i in range(3)]
    errors: list[Exception] = []

    def start(server: RegistryService) -> None:
        try:
            server.start()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=start, args=(server,)) for server in servers]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert cluster.query(database, "SELECT version_num FROM alembic_version") == [("0003",)]
        assert all(httpx.get(server.url + "healthz").text == "ok\n" for server in servers)
    finally:
        for server in servers:
            server.stop()


def test_two_owners_removing_each_other_at_once_leave_the_team_an_owner(agentops, database, tmp_path):
    with replica(agentops, tmp_path, "a", database) as first, replica(agentops, tmp_path, "b", database) as second:
        for round_ in range(5):
            team = f"team-r{round_}"
            admin(agentops, database, "team", "create", team, "--owner", "ann", "--owner", "ben")
            tokens = {user: admin(agentops, database, "token", "create", "--team", team, "--role", "publish",
                                  "--user", user) for user in ("ann", "ben")}
            barrier = threading.Barrier(2)
            statuses: list[int] = []

            def remove(url: str, secret: str, other: str, team: str = team, barrier=barrier,
                       statuses=statuses) -> None:
                barrier.wait()
                statuses.append(httpx.patch(url + f"api/v1/teams/{team}", json={"remove_owners": [other]},
                                            headers={"Authorization": f"Bearer {secret}"}, timeout=60).status_code)

            threads = [threading.Thread(target=remove, args=(first.url, tokens["ann"], "ben")),
                       threading.Thread(target=remove, args=(second.url, tokens["ben"], "ann"))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(statuses)[0] == 200 and sorted(statuses)[1] in (403, 409), statuses
            owners = json.loads(agentops("registry", "team", "list", "--database", database, "--json").out)["teams"]
            assert len(next(t for t in owners if t["name"] == team)["owners"]) == 1
