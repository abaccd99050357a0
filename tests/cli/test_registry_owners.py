"""Team owners and what a caller may not see, end to end through a real `agentops registry serve`:
tokens held by a user, owners administering their team without being registry admins, and
publishes, yanks and deprecations that answer about invisible packages and versions exactly as
about missing ones."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from conftest import Agentops, write_package
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)


@pytest.fixture
def server(agentops, tmp_path):
    with RegistryService(tmp_path / "server-data", agentops.env) as service:
        yield service


def admin(agentops: Agentops, server: RegistryService, *args: str, expect: int = 0):
    return agentops("registry", *args, "--data", server.data, expect=expect)


def token(agentops: Agentops, server: RegistryService, team: str, role: str, *extra: str) -> str:
    return admin(agentops, server, "token", "create", "--team", team, "--role", role, *extra).out.strip()


def archive(agentops: Agentops, tmp_path: Path, name: str, version: str, level: str | None = None,
            deps: tuple[str, ...] = ()) -> bytes:
    folder = write_package(tmp_path / "src" / f"{level}-{'-'.join(deps)}".replace("/", "_"), name, version,
                           deps=deps)
    if level:
        manifest = folder / "package.yaml"
        manifest.write_text(manifest.read_text() + f"classification: {level}\n")
    return agentops.build_folder(folder).read_bytes()


def api(server: RegistryService, method: str, path: str, secret: str | None, **kwargs) -> httpx.Response:
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    return httpx.request(method, server.url + "api/v1/" + path, headers=headers, timeout=60, **kwargs)


def publish(server: RegistryService, secret: str, data: bytes) -> httpx.Response:
    return api(server, "POST", "packages", secret, content=data)


def answer(response: httpx.Response) -> tuple[int, dict]:
    return response.status_code, response.json()


# -- 1. the unresolved-dependency check sees only what the publisher may read --------------------

def test_a_dependency_on_another_teams_private_package_reads_as_missing(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--private")
    admin(agentops, server, "team", "create", "team-beta")
    alpha = token(agentops, server, "team-alpha", "publish")
    beta = token(agentops, server, "team-beta", "publish")
    both = admin(agentops, server, "token", "create", "--team", "team-alpha", "--team", "team-beta", "--role",
                 "publish").out.strip()
    probe = archive(agentops, tmp_path, "team-beta/desk", "1.0.0", deps=("team-alpha/secret-lib@^1.0.0",))

    before = answer(publish(server, beta, probe))  # the private package does not exist yet
    assert before[0] == 422 and "team-alpha/secret-lib" in before[1]["problems"][0]["message"]
    assert publish(server, alpha, archive(agentops, tmp_path, "team-alpha/secret-lib", "1.0.0")).status_code == 201
    after = answer(publish(server, beta, probe))
    assert after == before  # refused exactly as if it did not exist: nothing leaks

    # the other side: a publisher who may read it is not refused
    assert publish(server, both, probe).status_code == 201


def test_a_dependency_above_the_publishers_clearance_reads_as_missing(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-cui", "--classification", "cui")
    high = token(agentops, server, "team-cui", "publish")  # cleared for cui, the team's level
    low = token(agentops, server, "team-cui", "publish", "--clearance", "unclassified")
    assert publish(server, high, archive(agentops, tmp_path, "team-cui/base", "1.0.0")).status_code == 201
    whole = archive(agentops, tmp_path, "team-cui/desk", "1.0.0", deps=("team-cui/brief@^1.0.0",))
    ranged = archive(agentops, tmp_path, "team-cui/plan", "1.0.0", deps=("team-cui/base@^2.0.0",))

    before = [answer(publish(server, low, whole)), answer(publish(server, low, ranged))]
    assert [status for status, _ in before] == [422, 422]
    assert "published: 1.0.0" in before[1][1]["problems"][0]["message"]
    # a cui package, and a cui version of a package the low token sees at 1.0.0
    assert publish(server, high, archive(agentops, tmp_path, "team-cui/brief", "1.0.0", "cui")).status_code == 201
    assert publish(server, high, archive(agentops, tmp_path, "team-cui/base", "2.0.0", "cui")).status_code == 201
    after = [answer(publish(server, low, whole)), answer(publish(server, low, ranged))]
    assert after == before

    assert publish(server, high, whole).status_code == 201
    assert publish(server, high, ranged).status_code == 201


# -- 2. yank and deprecate touch, count and name only visible versions --------------------------

def test_marks_in_a_range_see_only_visible_versions(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-cui", "--classification", "cui", "--owner", "lou")
    high = token(agentops, server, "team-cui", "publish")
    low_owner = token(agentops, server, "team-cui", "publish", "--user", "lou", "--clearance", "unclassified")
    assert publish(server, high, archive(agentops, tmp_path, "team-cui/brief", "1.0.0")).status_code == 201

    def probes() -> list[tuple[int, dict]]:
        return [answer(api(server, "POST", "packages/team-cui/brief/deprecate", low_owner,
                           json={"range": ">=2.0.0", "message": "old"})),
                answer(api(server, "POST", "packages/team-cui/brief/yank", low_owner,
                           json={"version": "2.0.0", "reason": "bad"}))]

    before = probes()
    assert [status for status, _ in before] == [404, 404]
    assert publish(server, high, archive(agentops, tmp_path, "team-cui/brief", "2.0.0", "cui")).status_code == 201
    assert probes() == before  # a range matching only invisible versions: as if they did not exist

    status, body = answer(api(server, "POST", "packages/team-cui/brief/deprecate", low_owner,
                              json={"range": "*", "message": "use desk"}))
    assert status == 200 and body["versions"] == {"1.0.0": True}  # 2.0.0 neither touched nor counted
    index = httpx.get(server.url + "index/team-cui/brief.json", headers={"Authorization": f"Bearer {high}"}).json()
    assert index["versions"]["1.0.0"]["deprecated"]["message"] == "use desk"
    assert "deprecated" not in index["versions"]["2.0.0"]
    # the undo, too, reaches only what the caller sees
    status, body = answer(api(server, "POST", "packages/team-cui/brief/deprecate", low_owner,
                              json={"range": "*", "undo": True}))
    assert status == 200 and body["versions"] == {"1.0.0": True}


# -- 3. owners ----------------------------------------------------------------------------------

def test_an_owner_administers_its_team_without_being_a_registry_admin(agentops, server, tmp_path):
    made = json.loads(admin(agentops, server, "team", "create", "team-alpha", "--private", "--owner", "alice",
                            "--quota", "1MiB", "--json").out)
    assert made["owners"] == ["alice"]
    alice = token(agentops, server, "team-alpha", "publish", "--user", "alice")
    listed = json.loads(admin(agentops, server, "token", "list", "--json").out)["tokens"]
    assert [t["user"] for t in listed] == ["alice"]
    assert " alice " in admin(agentops, server, "token", "list").out
    me = api(server, "GET", "whoami", alice).json()
    assert me["user"] == "alice" and me["owner_of"] == ["team-alpha"]
    env = {"AGENTOPS_TOKEN": alice}
    remote = ["--registry", server.url]

    # she issues a publish token for her team (not an admin one, and none for another team)
    bob = json.loads(agentops("registry", "token", "create", "--team", "team-alpha", "--role", "publish", "--user",
                              "bob", *remote, "--json", env=env).out)
    assert bob["user"] == "bob" and bob["teams"] == ["team-alpha"]
    run = agentops("registry", "token", "create", "--team", "team-alpha", "--role", "admin", *remote, env=env,
                   expect=1)
    assert "a publish token cannot manage admin tokens on team-alpha" in run.err
    run = agentops("registry", "token", "create", "--team", "public", "--role", "read", *remote, env=env, expect=1)
    assert "token lacks admin on public" in run.err

    # bob, a publisher who owns nothing, publishes but may not yank or administer
    assert publish(server, bob["token"], archive(agentops, tmp_path, "team-alpha/triage", "1.0.0")).status_code == 201
    refused = api(server, "POST", "packages/team-alpha/triage/yank", bob["token"],
                  json={"version": "1.0.0", "reason": "x"})
    assert refused.status_code == 403 and "not held by an owner of team-alpha" in refused.json()["message"]
    assert api(server, "PATCH", "teams/team-alpha", bob["token"], json={"add_owners": ["bob"]}).status_code == 403
    assert api(server, "DELETE", f"tokens/{me['id']}", bob["token"]).status_code == 403
    # alice yanks, makes bob an owner, then his token may deprecate
    agentops("package", "yank", "team-alpha/triage@1.0.0", "--reason", "broken", *remote, env=env)
    updated = json.loads(agentops("registry", "team", "update", "team-alpha", "--add-owner", "bob", *remote, "--json",
                                  env=env).out)
    assert updated["owners"] == ["alice", "bob"]
    assert api(server, "POST", "packages/team-alpha/triage/deprecate", bob["token"],
               json={"range": "*", "message": "use desk"}).status_code == 200
    # the team's limits are the registry admin's, not an owner's
    run = agentops("registry", "team", "update", "team-alpha", "--quota", "1GiB", *remote, env=env, expect=1)
    assert "token lacks admin on every team (*)" in run.err
    # visibility is the owners': made public, anyone sees the package, on every read
    agentops("registry", "team", "update", "team-alpha", "--public", *remote, env=env)
    assert httpx.get(server.url + "index/team-alpha/triage.json").status_code == 200
    # she revokes bob's token; bob's own token no longer works
    agentops("registry", "token", "revoke", bob["id"], *remote, env=env)
    assert api(server, "GET", "whoami", bob["token"]).status_code == 401


def test_a_team_keeps_at_least_one_owner(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--owner", "alice", "--owner", "bob")
    alice = {"AGENTOPS_TOKEN": token(agentops, server, "team-alpha", "publish", "--user", "alice")}
    remote = ["--registry", server.url]
    agentops("registry", "team", "update", "team-alpha", "--remove-owner", "bob", *remote, env=alice)
    run = agentops("registry", "team", "update", "team-alpha", "--remove-owner", "alice", *remote, env=alice,
                   expect=1)
    assert "team team-alpha would be left without an owner" in run.err and "--add-owner" in run.err
    run = admin(agentops, server, "team", "update", "team-alpha", "--remove-owner", "alice", expect=1)  # locally too
    assert "would be left without an owner" in run.err
    run = admin(agentops, server, "team", "update", "team-alpha", "--remove-owner", "alcie", expect=2)
    assert "alcie is not an owner of team team-alpha" in run.err and "its owners: alice" in run.err
    # handing over: add the next owner, then leave
    agentops("registry", "team", "update", "team-alpha", "--add-owner", "carol", "--remove-owner", "alice", *remote,
             env=alice)
    listed = admin(agentops, server, "team", "list").out
    assert "team-alpha  public  -  owners: carol" in listed
    # alice owns nothing now: her token may no longer administer the team
    refused = api(server, "PATCH", "teams/team-alpha", alice["AGENTOPS_TOKEN"], json={"add_owners": ["alice"]})
    assert refused.status_code == 403


def test_an_owner_of_one_team_sees_nothing_of_a_private_team_it_does_not_own(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--private", "--owner", "alice")
    admin(agentops, server, "team", "create", "team-beta", "--private", "--owner", "bob")
    bob = token(agentops, server, "team-beta", "publish", "--user", "bob")
    # alice's team answers bob exactly as a team that does not exist
    for path, method, body in (("teams/{}", "PATCH", {"add_owners": ["bob"]}),
                               ("teams/{}", "PATCH", {"quota": "1GiB"})):
        there = answer(api(server, method, path.format("team-alpha"), bob, json=body))
        absent = answer(api(server, method, path.format("team-gamma"), bob, json=body))
        assert there[0] == absent[0] == 404
        assert there[1]["message"].replace("team-alpha", "X") == absent[1]["message"].replace("team-gamma", "X")
    made = api(server, "POST", "tokens", bob, json={"teams": ["team-alpha"], "role": "read"})
    missing = api(server, "POST", "tokens", bob, json={"teams": ["team-gamma"], "role": "read"})
    assert made.status_code == missing.status_code == 404
    # an owner's read token, or one scoped elsewhere, is no owner's token
    bob_reader = token(agentops, server, "team-beta", "read", "--user", "bob")
    assert api(server, "PATCH", "teams/team-beta", bob_reader, json={"private": False}).status_code == 403
    bob_elsewhere = token(agentops, server, "public", "publish", "--user", "bob")
    assert api(server, "PATCH", "teams/team-beta", bob_elsewhere, json={"private": False}).status_code == 404
    assert api(server, "PATCH", "teams/team-beta", bob, json={"private": False}).status_code == 200


def test_team_update_checks_what_it_is_given(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-cui", "--classification", "cui", "--max-versions", "1")
    root = token(agentops, server, "*", "admin")
    publisher = token(agentops, server, "team-cui", "publish")
    assert publish(server, publisher, archive(agentops, tmp_path, "team-cui/brief", "1.0.0", "cui")).status_code == 201
    # a team's level cannot drop below what it holds
    run = admin(agentops, server, "team", "update", "team-cui", "--classification", "unclassified", expect=1)
    assert "holds versions classified 'cui'" in run.err
    run = agentops("registry", "team", "update", "team-cui", "--registry", server.url, expect=2,
                   env={"AGENTOPS_TOKEN": root})
    assert "nothing to change in team team-cui" in run.err
    assert "--max-versions: 'lots'" in admin(agentops, server, "team", "update", "team-cui", "--max-versions",
                                             "lots", expect=2).err
    assert "--add-owner: invalid user name 'a b'" in admin(agentops, server, "team", "update", "team-cui",
                                                           "--add-owner", "a b", expect=2).err
    refused = api(server, "PATCH", "teams/team-cui", root, json={"colour": "red"})
    assert refused.status_code == 422 and "unknown field(s) colour" in refused.json()["message"]
    # lifting the version limit takes effect on the next publish
    refused = publish(server, publisher, archive(agentops, tmp_path, "team-cui/desk", "1.0.0"))
    assert refused.status_code == 403
    updated = json.loads(agentops("registry", "team", "update", "team-cui", "--max-versions", "none", "--registry",
                                  server.url, "--json", env={"AGENTOPS_TOKEN": root}).out)
    assert updated["quota_versions"] is None
    assert publish(server, publisher, archive(agentops, tmp_path, "team-cui/desk", "1.0.0")).status_code == 201


def test_a_team_changed_by_another_process_is_served_changed_within_a_second(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--private", "--owner", "alice")
    alice = token(agentops, server, "team-alpha", "publish", "--user", "alice")
    assert publish(server, alice, archive(agentops, tmp_path, "team-alpha/triage", "1.0.0")).status_code == 201
    index = server.url + "index/team-alpha/triage.json"
    assert httpx.get(index).status_code == 404
    admin(agentops, server, "team", "update", "team-alpha", "--public")  # on the data directory, not the server

    def status() -> int:
        return httpx.get(index).status_code

    deadline = time.monotonic() + 5  # the read path checks the database's stamp once a second
    while status() != 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status() == 200
    admin(agentops, server, "team", "update", "team-alpha", "--private")
    deadline = time.monotonic() + 5
    while status() != 404 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert status() == 404
