"""The registry server end to end through the real command: `agentops registry serve` on
127.0.0.1, teams and tokens made with `agentops registry team|token`, publishing from one home
and installing from others (fresh XDG folders) through the http(s):// registry backend."""

from __future__ import annotations

import json
import socket
import stat
import threading
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


def home(tmp_path: Path, name: str) -> Agentops:
    folder = tmp_path / name
    folder.mkdir()
    return Agentops(folder)


def admin(agentops: Agentops, server: RegistryService, *args: str, expect: int = 0):
    return agentops("registry", *args, "--data", server.data, expect=expect)


def token(agentops: Agentops, server: RegistryService, team: str, role: str, *extra: str) -> str:
    return admin(agentops, server, "token", "create", "--team", team, "--role", role, *extra).out.strip()


def build(agentops: Agentops, tmp_path: Path, name: str, version: str, **kwargs) -> str:
    folder = write_package(tmp_path / "src", name, version, **kwargs)
    return str(agentops.build_folder(folder))


def classified(agentops: Agentops, tmp_path: Path, name: str, version: str, level: str) -> str:
    folder = write_package(tmp_path / "src", name, version)
    manifest = folder / "package.yaml"
    manifest.write_text(manifest.read_text() + f"classification: {level}\n")
    return str(agentops.build_folder(folder))


def workspace(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    return ws


def locked(ws: Path) -> dict[str, str]:
    return {n: p["version"] for n, p in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


def test_publish_with_a_token_then_install_from_other_homes(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--classification", "secret", "--quota", "10GiB",
          "--private")
    publisher = token(agentops, server, "team-alpha", "publish")
    reader = token(agentops, server, "team-alpha", "read")
    assert publisher.startswith("agp_") and publisher != reader

    author = home(tmp_path, "author")
    login = _login(author, server.url, publisher)
    assert "publish on team-alpha" in login.out
    stored = author.home / "config" / "agentpack" / "credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600 and publisher in stored.read_text()
    archive = build(author, tmp_path, "team-alpha/triage", "1.0.0")
    author("package", "publish", archive, "--registry", server.url)

    # another machine, with a read token in the environment
    colleague = home(tmp_path, "colleague")
    ws = workspace(tmp_path, "colleague-ws")
    colleague("package", "install", "team-alpha/triage", "--registry", server.url, cwd=ws,
              env={"AGENTOPS_TOKEN": reader})
    assert locked(ws) == {"team-alpha/triage": "1.0.0"}

    # anonymous: the private team's package does not exist, as far as it can tell
    stranger = home(tmp_path, "stranger")
    run = stranger("package", "install", "team-alpha/triage", "--registry", server.url,
                   cwd=workspace(tmp_path, "stranger-ws"), expect=1)
    assert "no package named 'team-alpha/triage' is published" in run.err
    assert httpx.get(server.url + "index/team-alpha/triage.json").status_code == 404
    assert "team-alpha/triage" not in httpx.get(server.url + "catalog.json").json()["packages"]
    assert httpx.get(server.url + "index/team-alpha/triage.json",
                     headers={"Authorization": f"Bearer {reader}"}).status_code == 200

    # a read token cannot publish: the CLI says which role on which team it lacks
    run = colleague("package", "publish", build(colleague, tmp_path, "team-alpha/triage", "1.1.0"), "--registry",
                    server.url, env={"AGENTOPS_TOKEN": reader}, expect=1)
    assert "token lacks publish on team-alpha" in run.err
    # the same version again: 409, existing version
    again = author("package", "publish", archive, "--registry", server.url, expect=1)
    assert "team-alpha/triage@1.0.0 already exists" in again.err
    author("logout", server.url)
    assert publisher not in stored.read_text()


def _login(who: Agentops, url: str, secret: str):
    import subprocess

    from conftest import Run, agentops_command

    proc = subprocess.run([*agentops_command(), "login", url, "--token-stdin"], input=secret + "\n",
                          capture_output=True, text=True, env=who.env, timeout=60, cwd=who.home)
    assert proc.returncode == 0, proc.stderr
    return Run(proc.returncode, proc.stdout, proc.stderr)


def test_public_team_anonymous_install_yank_and_deprecate(agentops, server, tmp_path):
    admin(agentops, server, "team", "update", "public", "--add-owner", "pat")
    publisher = token(agentops, server, "public", "publish", "--user", "pat")  # an owner's token
    env = {"AGENTOPS_TOKEN": publisher}
    for version in ("1.0.0", "1.1.0"):
        agentops("package", "publish", build(agentops, tmp_path, "triage", version), "--registry", server.url,
                 env=env)
    anonymous = home(tmp_path, "anonymous")
    ws = workspace(tmp_path, "anon-ws")
    anonymous("package", "install", "triage", "--registry", server.url, cwd=ws)
    assert locked(ws) == {"triage": "1.1.0"}

    refused = anonymous("package", "yank", "triage@1.1.0", "--reason", "broken", "--registry", server.url, expect=1)
    assert "needs a token" in refused.err
    # a publisher who owns nothing may publish, not yank
    outsider = {"AGENTOPS_TOKEN": token(agentops, server, "public", "publish", "--user", "olly")}
    refused = agentops("package", "yank", "triage@1.1.0", "--reason", "x", "--registry", server.url, env=outsider,
                       expect=1)
    assert "token lacks admin on public, and is not held by an owner of public" in refused.err
    agentops("package", "yank", "triage@1.1.0", "--reason", "broken agents", "--registry", server.url, env=env)
    agentops("package", "deprecate", "triage@<1.1.0", "--message", "use 2.x", "--registry", server.url, env=env)
    fresh = workspace(tmp_path, "fresh-ws")
    run = anonymous("package", "install", "triage", "--registry", server.url, cwd=fresh)
    assert locked(fresh) == {"triage": "1.0.0"}  # the yanked version is skipped
    assert "use 2.x" in run.err
    index = httpx.get(server.url + "index/triage.json").json()
    assert index["versions"]["1.1.0"]["yanked"]["reason"] == "broken agents"


def test_expired_and_revoked_tokens_are_refused(agentops, server, tmp_path):
    short = token(agentops, server, "public", "publish", "--expires", "1s")
    created = json.loads(admin(agentops, server, "token", "create", "--team", "public", "--role", "publish",
                               "--expires", "1d", "--json").out)
    revoked = created["token"]
    admin(agentops, server, "token", "revoke", created["id"])
    time.sleep(1.5)
    archive = build(agentops, tmp_path, "triage", "1.0.0")
    for secret, word in ((short, "has expired"), (revoked, "was revoked")):
        run = agentops("package", "publish", archive, "--registry", server.url, env={"AGENTOPS_TOKEN": secret},
                       expect=1)
        assert word in run.err and "agentops login" in run.err
        assert httpx.get(server.url + "catalog.json", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_quota_classification_and_unresolved_dependencies(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-cui", "--classification", "cui", "--max-versions", "2")
    publisher = token(agentops, server, "team-cui", "publish")
    low_reader = token(agentops, server, "team-cui", "read", "--clearance", "unclassified")
    env = {"AGENTOPS_TOKEN": publisher}
    publish = ["--registry", server.url]
    agentops("package", "publish", classified(agentops, tmp_path, "team-cui/brief", "1.0.0", "cui"), *publish, env=env)
    # no write down: a secret package is refused by a team that holds up to cui (403)
    run = agentops("package", "publish", classified(agentops, tmp_path, "team-cui/plans", "1.0.0", "secret"),
                   *publish, env=env, expect=1)
    assert "write down refused" in run.err
    # no read up: a token cleared for unclassified does not see the cui package (404)
    headers = {"Authorization": f"Bearer {low_reader}"}
    assert httpx.get(server.url + "index/team-cui/brief.json", headers=headers).status_code == 404
    assert httpx.get(server.url + "index/team-cui/brief.json",
                     headers={"Authorization": f"Bearer {publisher}"}).status_code == 200
    # a dependency that matches nothing here: 422 naming it, unless --allow-unresolved (recorded)
    with_dep = build(agentops, tmp_path, "team-cui/desk", "1.0.0", deps=("team-cui/missing@^1.0.0",))
    run = agentops("package", "publish", with_dep, *publish, env=env, expect=1)
    assert "team-cui/missing" in run.err and "--allow-unresolved" in run.err
    agentops("package", "publish", with_dep, *publish, "--allow-unresolved", env=env)
    record = httpx.get(server.url + "index/team-cui/desk.json", headers=headers | {
        "Authorization": f"Bearer {publisher}"}).json()["versions"]["1.0.0"]
    assert record["allow_unresolved"] is True
    # the quota: two versions in all (403, quota-exceeded)
    run = agentops("package", "publish", build(agentops, tmp_path, "team-cui/extra", "1.0.0"), *publish, env=env,
                   expect=1)
    assert "over its quota" in run.err


def test_an_upload_over_the_limit_is_413(agentops, tmp_path):
    with RegistryService(tmp_path / "small", agentops.env, "--max-upload", "100B") as small:
        publisher = token(agentops, small, "public", "publish")
        run = agentops("package", "publish", build(agentops, tmp_path, "triage", "1.0.0"), "--registry", small.url,
                       env={"AGENTOPS_TOKEN": publisher}, expect=1)
        assert "HTTP 413" in run.err and "accepts at most 100" in run.err


def test_concurrent_publishes_of_one_version_exactly_one_wins(agentops, server, tmp_path):
    publisher = token(agentops, server, "public", "publish")
    data = Path(build(agentops, tmp_path, "triage", "1.0.0")).read_bytes()
    statuses: list[int] = []
    barrier = threading.Barrier(20)

    def publish() -> None:
        barrier.wait()
        response = httpx.post(server.url + "api/v1/packages", content=data, timeout=60,
                              headers={"Authorization": f"Bearer {publisher}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=publish) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 19
    assert list(httpx.get(server.url + "index/triage.json").json()["versions"]) == ["1.0.0"]


def test_a_server_killed_mid_upload_leaves_no_partial_version(agentops, server, tmp_path):
    publisher = token(agentops, server, "public", "publish")
    data = Path(build(agentops, tmp_path, "triage", "1.0.0")).read_bytes()
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall((f"POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {publisher}\r\n"
                      f"Content-Length: {len(data)}\r\n\r\n").encode() + data[: len(data) // 2])
        time.sleep(0.5)  # the server is streaming the upload to disk
        server.kill()
    server.start()
    assert httpx.get(server.url + "index/triage.json").status_code == 404
    assert httpx.get(server.url + "catalog.json").json() == {"packages": {}}
    assert not list((server.data / "uploads").glob("*"))
    response = httpx.post(server.url + "api/v1/packages", content=data,
                          headers={"Authorization": f"Bearer {publisher}"})
    assert response.status_code == 201, response.text


def test_health_metrics_json_logs_and_remote_administration(agentops, server, tmp_path):
    assert httpx.get(server.url + "healthz").text == "ok\n"
    assert httpx.get(server.url + "readyz").status_code == 200
    assert httpx.get(server.url + "config.json").json()["api"] == "api/v1/"
    assert httpx.get(server.url + "api/v1/openapi.json").json()["openapi"].startswith("3.")
    root = token(agentops, server, "*", "admin")
    env = {"AGENTOPS_TOKEN": root}
    made = json.loads(agentops("registry", "team", "create", "team-beta", "--private", "--registry", server.url,
                               "--json", env=env).out)
    assert made["private"] is True
    secret = agentops("registry", "token", "create", "--team", "team-beta", "--role", "publish", "--registry",
                      server.url, env=env).out.strip()
    refused = agentops("registry", "team", "create", "team-gamma", "--registry", server.url,
                       env={"AGENTOPS_TOKEN": secret}, expect=1)
    assert "token lacks admin" in refused.err
    archive = build(agentops, tmp_path, "team-beta/notes", "1.0.0")
    agentops("package", "publish", archive, "--registry", server.url, env={"AGENTOPS_TOKEN": secret})
    ws = workspace(tmp_path, "ws")
    agentops("package", "install", "team-beta/notes", "--registry", server.url, cwd=ws, env={"AGENTOPS_TOKEN": secret})
    metrics = httpx.get(server.url + "metrics").text
    assert "agentpack_downloads_total 1" in metrics and "agentpack_versions 1" in metrics
    server.stop()  # a graceful stop writes the counted downloads in one batch
    server.start()
    assert 'agentpack_version_downloads{package="team-beta/notes",version="1.0.0"} 1' in httpx.get(
        server.url + "metrics").text
    entries = server.log()  # every line is one JSON object
    assert any(e["event"] == "publish" and e["name"] == "team-beta/notes" for e in entries)
    assert any(e["event"] == "request" and e["status"] == 201 for e in entries)


def test_the_web_catalog_at_the_root_shows_only_what_anonymous_readers_may_see(agentops, server, tmp_path):
    admin(agentops, server, "team", "create", "team-alpha", "--private")
    env = {"AGENTOPS_TOKEN": token(agentops, server, "public", "publish")}
    agentops("package", "publish", build(agentops, tmp_path, "triage", "1.0.0", agents=3), "--registry", server.url,
             env=env)
    alpha = {"AGENTOPS_TOKEN": token(agentops, server, "team-alpha", "publish")}
    agentops("package", "publish", build(agentops, tmp_path, "team-alpha/secret-desk", "1.0.0"), "--registry",
             server.url, env=alpha)
    page = httpx.get(server.url)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "triage (1.0.0) - 3 agents, 0 workflows" in page.text
    assert "secret-desk" not in page.text
    assert httpx.get(server.url + "packages/team-alpha/secret-desk").status_code == 404
    package = httpx.get(server.url + "packages/triage").text
    assert f"agentops package install triage@^1.0.0 --registry {server.url}" in package
    assert httpx.get(server.url + "api/v1/").json()["api"] == "api/v1/"


# Request bodies that answered 500 before the API checked bodies against its OpenAPI document's
# schemas (found by tests/server/test_api_fuzz.py); the 1e400 one was stored as an infinite version
# quota, after which GET /api/v1/teams answered 500 for good.
BAD_BODIES = [
    ("teams", b'{"name": "q-int", "quota": 5}', "quota"),
    ("teams", b'{"name": "v-text", "max_versions": "x"}', "max_versions"),
    ("teams", b'{"name": "v-inf", "max_versions": 1e400}', None),
    ("teams", b'{"name": "v-huge", "max_versions": 99999999999999999999999}', None),
    ("teams", b'{"name": "v-int32", "max_versions": 2147483648}', "max_versions"),
    ("teams", b'{"name": "owner-surrogate", "owners": ["\\ud800"]}', None),
    ("teams", b'{"name": "owner-int", "owners": [1]}', "owners.0"),
    ("teams", b'{"name": "private-text", "private": "yes"}', "private"),
    ("teams", b'{"name": "typo", "max_version": 3}', None),
    ("tokens", b'{"teams": ["public"], "expires": 5}', "expires"),
    ("tokens", b'{"teams": ["public"], "note": "\\ud800"}', None),
    ("tokens", b'{"teams": []}', "teams"),
]


def test_api_bodies_of_a_wrong_type_or_range_are_422_and_store_nothing(agentops, server):
    headers = {"Authorization": f"Bearer {token(agentops, server, '*', 'admin')}",
               "Content-Type": "application/json"}
    for path, raw, field in BAD_BODIES:
        answer = httpx.post(server.url + "api/v1/" + path, content=raw, headers=headers, timeout=10)
        assert answer.status_code == 422, (raw, answer.text)
        assert answer.json()["error"] == "usage" and answer.json()["message"], answer.text
        if field is not None:
            assert field in [p["field"] for p in answer.json()["problems"]], answer.text
    teams = httpx.get(server.url + "api/v1/teams", headers=headers, timeout=10)
    assert teams.status_code == 200 and [t["name"] for t in teams.json()["teams"]] == ["public"]
    assert not [e for e in server.log() if e["event"] == "error" or e.get("status", 0) >= 500]


def test_a_quota_beyond_what_the_store_holds_is_refused_not_a_crash(agentops, server):
    # 18 digits of TiB overflow the store's 64-bit column: the insert crashed (locally too).
    run = admin(agentops, server, "team", "create", "big", "--quota", "99999999999TiB", expect=2)
    assert "too large" in run.err and "internal error" not in run.err
    run = admin(agentops, server, "team", "create", "big", "--max-versions", "99999999999999999999", expect=2)
    assert "--max-versions must be a whole number from 0 to" in run.err
    admin(agentops, server, "team", "create", "big", "--quota", "1000000TiB")  # 1.1e18 bytes: held


def test_api_refusals_are_json_and_an_anonymous_caller_is_asked_for_a_token_first(server):
    api = server.url + "api/v1/"
    # Routes that need a token answer 401 before looking anything up (a missing team or token id
    # answered 404 to anyone, telling which ids exist).
    for method, path, body in (("POST", "tokens", {"teams": ["nope"]}), ("DELETE", "tokens/tok_123", None),
                               ("POST", "teams", {"name": 5}), ("POST", "packages/nope/yank", {"version": 1})):
        answer = httpx.request(method, api + path, json=body, timeout=10)
        assert answer.status_code == 401, (path, answer.text)
        assert answer.headers["WWW-Authenticate"].startswith("Bearer") and answer.json()["error"] == "unauthenticated"
    # Starlette's own 404 and 405 under /api/ were text/plain; the document promises JSON there.
    for method, path, status in (("GET", "nowhere", 404), ("DELETE", "tokens/a%2Fb", 404), ("PUT", "teams", 405)):
        answer = httpx.request(method, api + path, timeout=10)
        assert answer.status_code == status and answer.headers["content-type"] == "application/json", answer.text
        assert answer.json()["error"] in ("not-found", "method-not-allowed")
    # One route serves GET and POST /teams: a 405 there names both.
    assert {"GET", "POST"} <= {m.strip() for m in httpx.put(api + "teams").headers["Allow"].split(",")}
    assert httpx.get(server.url + "nowhere").headers["content-type"].startswith("text/plain")


def test_each_log_entry_stays_one_line_whatever_the_request_path_holds(server):
    # NEL (U+0085) and U+2028 were logged raw: line-oriented readers split the entry in two.
    assert httpx.get(server.url + "index/a%C2%85b%E2%80%A8c.json", timeout=10).status_code == 404
    deadline = time.monotonic() + 5  # the request is logged just after it is answered
    while True:
        entries = server.log()  # each line one JSON object (splitlines splits at NEL and U+2028 too)
        if any(e["event"] == "request" and e["path"] == "/index/a\x85b\u2028c.json" for e in entries):
            break
        assert time.monotonic() < deadline, entries[-3:]
        time.sleep(0.05)
