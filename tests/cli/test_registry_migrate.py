"""`agentops registry migrate` (the schema alone, as a deployment's migration job runs it) and
`registry team create --exist-ok` (teams declared again and again, as a deployment's hook does),
on a data directory, on a real PostgreSQL (tests/postgres_cluster.py) and through a real server."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from postgres_cluster import PostgresCluster, require_postgres
from registry_server import free_port
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "src", "agentpack", "adapters", "metadata",
                          "migrations", "versions")
HEAD = sorted(name.split("_")[0] for name in os.listdir(MIGRATIONS) if name[:4].isdigit())[-1]


def test_migrate_a_data_directory_then_again_changes_nothing(agentops, tmp_path):
    data = tmp_path / "server"
    first = agentops("registry", "migrate", "--data", str(data))
    assert first.out.strip() == f"Migrated database sqlite:///{data / 'registry.db'} from schema none to {HEAD}"
    with sqlite3.connect(data / "registry.db") as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
    # The schema alone: no blob folder (a deployment's job must not need the blob store's volume).
    assert sorted(p.name for p in data.iterdir() if not p.name.startswith("registry.db")) == []
    again = agentops("registry", "migrate", "--data", str(data), "--json")
    assert json.loads(again.out) == {"database": f"sqlite:///{data / 'registry.db'}", "before": HEAD, "after": HEAD}
    agentops("registry", "team", "create", "team-alpha", "--data", str(data))


@pytest.fixture(scope="module")
def cluster():
    running = PostgresCluster(require_postgres()).start()
    yield running
    running.stop()


def test_migrate_postgresql_hides_the_password(agentops, cluster):
    url = cluster.database().replace("agentpack@", "agentpack:s3cret-word@")  # trust auth ignores it
    result = json.loads(agentops("registry", "migrate", "--database", url, "--json").out)
    assert result["before"] is None and result["after"] == HEAD
    assert "s3cret-word" not in json.dumps(result) and "agentpack:***@" in result["database"]
    assert cluster.query(url.replace(":s3cret-word", ""), "SELECT version_num FROM alembic_version") == [(HEAD,)]
    text = agentops("registry", "migrate", "--database", url).out
    assert "is up to date" in text and "s3cret-word" not in text


def test_migrate_an_unreachable_database_says_so_without_a_traceback(agentops):
    url = f"postgresql://agentpack:s3cret-word@127.0.0.1:{free_port()}/agentpack"
    failed = agentops("registry", "migrate", "--database", url, expect=1)
    assert "cannot reach the metadata database postgresql://agentpack:***@127.0.0.1" in failed.err
    assert "Traceback" not in failed.err and "s3cret-word" not in failed.err + failed.out


def test_team_create_exist_ok_leaves_an_existing_team_as_it_is(agentops, tmp_path):
    where = ("--data", str(tmp_path / "server"))
    agentops("registry", "team", "create", "team-alpha", "--classification", "cui", *where)
    again = agentops("registry", "team", "create", "team-alpha", "--classification", "secret", "--private", *where,
                     expect=1)
    assert "team team-alpha already exists" in again.err
    skipped = agentops("registry", "team", "create", "team-alpha", "--classification", "secret", "--private",
                       "--exist-ok", *where)
    assert skipped.out.startswith("Team team-alpha exists already, left as it is: public, up to cui")
    made = json.loads(agentops("registry", "team", "create", "team-beta", "--exist-ok", "--json", *where).out)
    assert made["existed"] is False and made["name"] == "team-beta"
    listed = json.loads(agentops("registry", "team", "list", "--json", *where).out)["teams"]
    assert [(t["name"], t["classification"], t["private"]) for t in listed if t["name"] != "public"] == [
        ("team-alpha", "cui", False), ("team-beta", None, False)]
    bad = agentops("registry", "team", "create", "Bad Name", "--exist-ok", *where, expect=2)
    assert "Bad Name" in bad.err  # --exist-ok skips an existing name only, never a wrong one


def test_team_create_exist_ok_through_a_server(agentops, tmp_path):
    data = tmp_path / "server"
    with RegistryService(data, agentops.env) as server:
        secret = agentops("registry", "token", "create", "--team", "*", "--role", "admin", "--data", str(data)).out
        env = {"AGENTOPS_TOKEN": secret.strip()}
        agentops("registry", "team", "create", "team-alpha", "--registry", server.url, env=env)
        agentops("registry", "team", "create", "team-alpha", "--registry", server.url, env=env, expect=1)
        skipped = json.loads(agentops("registry", "team", "create", "team-alpha", "--exist-ok", "--json",
                                      "--registry", server.url, env=env).out)
        assert skipped["existed"] is True and skipped["name"] == "team-alpha"
