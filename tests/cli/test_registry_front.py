"""The read path's plain ASGI layer, and the public tree behind a front nginx: `agentops registry
serve --public-tree DIR` with deploy/nginx/agentpack-front.conf, both real, on 127.0.0.1."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from conftest import Agentops, write_package
from registry_server import FrontNginx, Nginx
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)


def build(agentops: Agentops, tmp_path: Path, name: str, version: str, level: str | None = None) -> str:
    folder = write_package(tmp_path / "src", name, version)
    if level:
        manifest = folder / "package.yaml"
        manifest.write_text(manifest.read_text() + f"classification: {level}\n")
    return str(agentops.build_folder(folder))


def admin(agentops: Agentops, data: Path, *args: str) -> str:
    return agentops("registry", *args, "--data", data).out.strip()


def publish(agentops: Agentops, server: RegistryService, archive: str, secret: str) -> None:
    agentops("package", "publish", archive, "--registry", server.url, env={"AGENTOPS_TOKEN": secret})


def tree_paths(tree: Path) -> set[str]:
    return {str(p.relative_to(tree)) for p in tree.rglob("*") if p.is_file() and not p.name.startswith(".")}


def until(check, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while not (found := check()):
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)
    return found


def test_head_and_other_methods_on_the_read_path(agentops, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    secret = admin(agentops, data, "token", "create", "--team", "*", "--role", "publish")
    with RegistryService(data, agentops.env) as server:
        publish(agentops, server, build(agentops, tmp_path, "triage", "1.0.0"), secret)
        record = httpx.get(server.url + "index/triage.json").json()["versions"]["1.0.0"]
        blob = server.url + "blobs/sha256/" + record["sha256"]
        got = httpx.get(blob)
        assert got.status_code == 200 and len(got.content) == record["size"]
        head = httpx.head(blob)
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == str(record["size"])
        head = httpx.head(server.url + "catalog.json")
        assert head.status_code == 200 and head.content == b""
        assert int(head.headers["content-length"]) == len(httpx.get(server.url + "catalog.json").content)
        posted = httpx.post(server.url + "catalog.json", content=b"{}")
        assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"
        missing = httpx.get(server.url + "index/nope.json")
        assert missing.status_code == 404 and missing.json()["error"] == "not-found"


@pytest.mark.skipif(Nginx.binary() is None and os.environ.get("CI") != "true",
                    reason="nginx is not installed (apt-get install -y nginx)")
def test_a_front_nginx_answers_public_reads_from_the_tree_and_passes_the_rest(agentops, tmp_path):
    data, tree = tmp_path / "data", tmp_path / "public"
    data.mkdir()
    admin(agentops, data, "team", "create", "ops", "--classification", "secret")
    admin(agentops, data, "team", "create", "vault", "--private")
    publisher = admin(agentops, data, "token", "create", "--team", "*", "--role", "admin",
                      "--clearance", "secret")
    reader = admin(agentops, data, "token", "create", "--team", "vault", "--role", "read")
    with RegistryService(data, agentops.env, "--public-tree", str(tree)) as server:
        publish(agentops, server, build(agentops, tmp_path, "ops/triage", "1.0.0"), publisher)
        publish(agentops, server, build(agentops, tmp_path, "ops/triage", "1.1.0", "secret"), publisher)
        publish(agentops, server, build(agentops, tmp_path, "vault/ledger", "1.0.0"), publisher)
        # What a reader without a token may read, and nothing else, byte for byte as the server answers it.
        index = until(lambda: (tree / "index" / "ops" / "triage.json").exists() and tree_paths(tree))
        assert not any("vault" in path for path in index)
        public_index = json.loads((tree / "index" / "ops" / "triage.json").read_bytes())
        assert list(public_index["versions"]) == ["1.0.0"]  # the secret version is not in the tree
        private_blobs = {httpx.get(server.url + "index/vault/ledger.json",
                                   headers={"Authorization": f"Bearer {reader}"}).json()["versions"]["1.0.0"]["sha256"]}
        assert not private_blobs & {Path(p).name for p in tree_paths(tree)}
        for path in tree_paths(tree):
            assert (tree / path).read_bytes() == httpx.get(server.url + path).content, path

        front = FrontNginx(tree, f"127.0.0.1:{server.port}", tmp_path / "nginx").start()
        try:
            served_before = len([e for e in server.log() if e.get("event") == "request"])
            ws = tmp_path / "ws"
            ws.mkdir()
            anonymous = Agentops(tmp_path / "anon-home")
            anonymous("package", "install", "ops/triage", "--registry", front.url, cwd=ws)
            lock = json.loads((ws / "agentops.lock").read_text())
            assert lock["packages"]["ops/triage"]["version"] == "1.0.0"
            asked = [e["path"] for e in server.log() if e.get("event") == "request"][served_before:]
            reports = [p for p in asked if p.startswith("/api/v1/downloads/blobs/sha256/")]
            assert len(reports) == 1 and asked == reports, f"nginx passed these public reads to the server: {asked}"

            # Not in the tree: the server decides, and says 404 without a token.
            assert httpx.get(front.url + "index/vault/ledger.json").status_code == 404
            assert httpx.get(front.url + "index/vault/ledger.json",
                             headers={"Authorization": f"Bearer {reader}"}).json()["name"] == "vault/ledger"
            with_token = Agentops(tmp_path / "vault-home")
            ws2 = tmp_path / "ws2"
            ws2.mkdir()
            with_token("package", "install", "vault/ledger", "--registry", front.url, cwd=ws2,
                       env={"AGENTOPS_TOKEN": reader})
            asked = [e["path"] for e in server.log() if e.get("event") == "request"]
            assert "/index/vault/ledger.json" in asked and any(p.startswith("/blobs/") for p in asked)

            # A write reaches the tree at once: a yank, then a new version.
            agentops("package", "yank", "ops/triage@1.0.0", "--reason", "broken", "--registry", server.url,
                     env={"AGENTOPS_TOKEN": publisher})
            until(lambda: "yanked" in json.loads((tree / "index" / "ops" / "triage.json").read_bytes())["versions"]["1.0.0"])
            publish(agentops, server, build(agentops, tmp_path, "ops/triage", "1.2.0"), publisher)
            until(lambda: "1.2.0" in httpx.get(front.url + "index/ops/triage.json").json()["versions"])
            assert httpx.get(front.url + "catalog.json").json()["packages"]["ops/triage"]["latest"] == "1.2.0"
            # Downloads served from the tree are counted once, and so are those passed on.
            blob = "blobs/sha256/" + httpx.get(front.url + "index/ops/triage.json").json()["versions"]["1.2.0"]["sha256"]
            assert httpx.get(front.url + blob).status_code == 200
            for path in (blob, "blobs/sha256/" + "0" * 64):  # a report never says what exists
                assert httpx.post(server.url + "api/v1/downloads/" + path).status_code == 204
        finally:
            front.stop()
    # 1.0.0: read by the publish of 1.1.0 (its semver check), by the byte comparison above and by
    # the anonymous install through nginx; 1.1.0: by the publish of 1.2.0; 1.2.0: through nginx
    # from the tree, plus the one report by hand; the token's install, passed on: once.
    assert downloads(data) == {("ops/triage", "1.0.0"): 3, ("ops/triage", "1.1.0"): 1, ("ops/triage", "1.2.0"): 2,
                               ("vault/ledger", "1.0.0"): 1}


def downloads(data: Path) -> dict:
    from agentpack.services.registry_admin import open_server_data

    server_data = open_server_data(str(data))
    try:
        return {key: count for key, count in server_data.store.downloads().items() if count}
    finally:
        server_data.close()


def test_a_team_made_private_leaves_the_tree(agentops, tmp_path):
    """Visibility changed by another process (an administration command on the data) is seen
    within the read cache's period, and the tree loses the team's files."""
    data, tree = tmp_path / "data", tmp_path / "public"
    data.mkdir()
    admin(agentops, data, "team", "create", "ops")
    publisher = admin(agentops, data, "token", "create", "--team", "*", "--role", "publish")
    with RegistryService(data, agentops.env, "--public-tree", str(tree)) as server:
        publish(agentops, server, build(agentops, tmp_path, "ops/triage", "1.0.0"), publisher)
        until(lambda: (tree / "index" / "ops" / "triage.json").exists())
        admin(agentops, data, "team", "update", "ops", "--private")
        until(lambda: not (tree / "index" / "ops" / "triage.json").exists())
        assert not list((tree / "blobs" / "sha256").iterdir())
        assert "ops/triage" not in json.loads((tree / "catalog.json").read_bytes())["packages"]
        assert httpx.get(server.url + "index/ops/triage.json").status_code == 404


def test_a_public_tree_through_a_link_is_refused(agentops, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "public").symlink_to(tmp_path / "elsewhere")
    run = agentops("registry", "serve", "--data", tmp_path / "data", "--public-tree", tmp_path / "public",
                   "--port", "0", expect=1)
    assert f"{tmp_path / 'public'} is a symbolic link" in run.err
    assert not list((tmp_path / "elsewhere").iterdir())
