"""oci:// registries through the real command, against Debian's docker-registry on 127.0.0.1
(tests/oci_registry.py): publish, install, info, search, yank, --offline, logins, skopeo interop,
and a registry that lies or fails."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

from conftest import EXAMPLES, missing, write_package
from oci_registry import (
    DockerRegistry,
    FrontProxy,
    TokenServer,
    registry_fixture,  # noqa: F401 (a fixture)
    skopeo_binary,
)
from registry_service import no_proxies  # noqa: F401 (an autouse fixture)

LOCKED = {"communication-patterns": "1.5.3", "core-workflow": "2.1.0", "customer-service": "1.2.0"}
USER, PASSWORD = "publisher", "s3cret-Passw0rd"


def _publish_examples(agentops, url: str) -> dict[str, str]:
    archives = {}
    for name in LOCKED:
        archive = str(agentops.build_folder(EXAMPLES / name))
        agentops("package", "publish", archive, "--registry", url)
        archives[name] = archive
    return archives


def _workspace(tmp_path: Path, name: str = "ws") -> Path:
    ws = tmp_path / name
    ws.mkdir()
    return ws


def _locked(ws: Path) -> dict[str, str]:
    return {name: pkg["version"] for name, pkg in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


def test_publish_install_info_search_and_yank(agentops, registry, tmp_path):
    url = registry.url()
    archives = _publish_examples(agentops, url)
    again = agentops("package", "publish", archives["core-workflow"], "--registry", url, expect=1)
    assert "core-workflow@2.1.0 already exists in registry" in again.err

    ws = _workspace(tmp_path)
    installed = agentops("package", "install", "customer-service", "--registry", url, cwd=ws)
    assert f"+ customer-service@1.2.0 from {url}" in installed.out
    assert _locked(ws) == LOCKED and (ws / "agents" / "customer-service").is_dir()

    info = json.loads(agentops("package", "info", "customer-service", "--registry", url, "--json").out)
    assert info["registry"] == url and info["version"] == "1.2.0"
    assert info["listing"] == "the tags list of agents/customer-service"
    text = agentops("package", "info", "customer-service", "--registry", url).out
    assert "versions listed from: the tags list of agents/customer-service" in text

    search = agentops("package", "search", "patterns", "--registry", url)
    assert search.out.startswith("communication-patterns (1.5.3)")
    assert f"{url}: packages listed with the registry's _catalog" in search.err

    agentops("package", "yank", "core-workflow@2.1.0", "--reason", "loses tickets", "--registry", url)
    rows = {row["name"]: row for row in json.loads(agentops("package", "search", "--registry", url, "--json").out)}
    assert rows["core-workflow"]["latest"] is None
    info = json.loads(agentops("package", "info", "core-workflow@2.1.0", "--registry", url, "--json").out)
    assert info["yanked"] == "loses tickets"
    manifest, _ = registry.manifest("agents/core-workflow", "2.1.0")
    assert json.loads(manifest["annotations"]["vnd.agentops.package.yanked"])["reason"] == "loses tickets"
    catalog = _catalog_artifact(registry)
    assert catalog["packages"]["core-workflow"]["yanked"] == ["2.1.0"]
    assert set(catalog["serials"]) == set(LOCKED) and all(s > 0 for s in catalog["serials"].values())

    # the locked, now yanked version still installs in the workspace that pinned it
    agentops("package", "install", "--registry", url, cwd=ws)
    assert _locked(ws) == LOCKED


def test_an_older_catalog_artifact_is_refused_as_a_rollback(agentops, registry, tmp_path):
    url = registry.url()
    agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0")),
             "--registry", url)
    old, _ = registry.manifest("agents/agentops_catalog", "catalog")
    agentops("package", "deprecate", "tool", "--message", "use tool2", "--registry", url)
    agentops("package", "info", "tool", "--registry", url)  # this machine has seen the newer serial
    registry.put_manifest("agents/agentops_catalog", "catalog", old)  # a restored backup of the catalog
    failed = agentops("package", "info", "tool", "--registry", url, expect=1)
    assert f"registry {url} served an older index of tool" in failed.err
    assert "agentops registry forget" in failed.err
    agentops("registry", "forget", "--registry", url)  # accepting the restored catalog on purpose
    # The mark lives in the manifest's annotations, which the restored catalog did not roll back.
    assert json.loads(agentops("package", "info", "tool", "--registry", url, "--json").out)["deprecated"] == "use tool2"


def test_versions_of_equal_precedence_and_build_metadata_tags(agentops, registry, tmp_path):
    url = registry.url()
    src = tmp_path / "src"
    agentops("package", "publish", agentops.build_folder(write_package(src, "team-a/tool", "1.0.0+build.1")),
             "--registry", url)
    _, digest = registry.manifest("agents/team-a/tool", "1.0.0_build.1")
    assert digest.startswith("sha256:")
    clash = agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "other", "team-a/tool",
                                                                               "1.0.0+build.2")),
                     "--registry", url, expect=1)
    assert "same precedence as 1.0.0+build.1" in clash.err
    info = json.loads(agentops("package", "info", "team-a/tool", "--registry", url, "--json").out)
    assert info["versions"] == ["1.0.0+build.1"]


def test_install_offline_from_the_cache(agentops, registry, tmp_path):
    url = registry.url()
    _publish_examples(agentops, url)
    first = _workspace(tmp_path, "first")
    agentops("package", "install", "customer-service", "--registry", url, cwd=first)
    registry.stop()
    second = _workspace(tmp_path, "second")
    agentops("package", "install", "customer-service", "--registry", url, "--offline", cwd=second)
    assert (second / "agentops.lock").read_bytes() == (first / "agentops.lock").read_bytes()
    assert (second / "agents" / "customer-service").is_dir()
    failed = agentops("package", "install", "customer-service", "--registry", url, cwd=_workspace(tmp_path, "third"),
                      expect=1)
    assert "cannot reach registry" in failed.err and "--offline" in failed.err


def test_search_falls_back_to_the_catalog_artifact_where_catalog_is_refused(agentops, registry, tmp_path):
    _publish_examples(agentops, registry.url())
    with FrontProxy(registry) as proxy:
        proxy.deny.add("_catalog")
        search = agentops("package", "search", "", "--registry", proxy.url())
        assert [line.split(" ")[0] for line in search.lines] == sorted(LOCKED)
        assert "packages listed with the catalog artifact agents/agentops_catalog:catalog" in search.err
        assert any(path.startswith("/v2/_catalog") for _, path, _ in proxy.requests)


def test_htpasswd_basic_auth_with_login_and_with_the_environment(agentops, tmp_path):
    with DockerRegistry(tmp_path / "oci", htpasswd=(USER, PASSWORD)) as registry:
        url = registry.url()
        archive = str(agentops.build_folder(EXAMPLES / "core-workflow"))
        refused = agentops("package", "publish", archive, "--registry", url, expect=1)
        assert f"registry {url} requires a login" in refused.err
        assert f"agentops login oci://{registry.host}" in refused.err

        bad = subprocess.run([*_command(), "login", f"oci://{registry.host}/agents", "--username", USER,
                              "--password-stdin"], input="not-it\n", capture_output=True, text=True, env=agentops.env)
        assert bad.returncode == 1 and "refused the credentials of publisher" in bad.stderr
        good = subprocess.run([*_command(), "login", f"oci://{registry.host}/agents", "--username", USER,
                               "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True,
                              env=agentops.env)
        assert good.returncode == 0, good.stderr
        assert f"Logged in to oci://{registry.host} as publisher" in good.stdout
        stored = agentops.home / "config" / "agentpack" / "credentials.json"
        assert oct(stored.stat().st_mode & 0o777) == "0o600"
        assert json.loads(stored.read_text())["registries"][f"oci://{registry.host}"]["username"] == USER

        agentops("package", "publish", archive, "--registry", url)
        ws = _workspace(tmp_path)
        agentops("package", "install", "core-workflow", "--registry", url, cwd=ws)
        assert _locked(ws) == {"core-workflow": "2.1.0"}

        assert "Logged out of" in agentops("logout", f"oci://{registry.host}").out
        refused = agentops("package", "info", "core-workflow", "--registry", url, expect=1)
        assert "requires a login" in refused.err
        env = {"AGENTOPS_OCI_USERNAME": USER, "AGENTOPS_OCI_PASSWORD": PASSWORD}
        assert json.loads(agentops("package", "info", "core-workflow", "--registry", url, "--json", env=env).out
                          )["version"] == "2.1.0"
        wrong = agentops("package", "info", "core-workflow", "--registry", url, expect=1,
                         env={**env, "AGENTOPS_OCI_PASSWORD": "nope"})
        assert "refused the credentials of publisher (from AGENTOPS_OCI_USERNAME/PASSWORD)" in wrong.err


def test_the_bearer_token_flow_of_a_token_server(agentops, tmp_path):
    with TokenServer(tmp_path / "token", USER, PASSWORD) as tokens, \
            DockerRegistry(tmp_path / "oci", auth=tokens.config()) as registry:
        url = registry.url()
        archive = str(agentops.build_folder(EXAMPLES / "core-workflow"))
        refused = agentops("package", "publish", archive, "--registry", url, expect=1)
        assert f"registry {url} requires a login" in refused.err
        env = {"AGENTOPS_OCI_USERNAME": USER, "AGENTOPS_OCI_PASSWORD": PASSWORD}
        agentops("package", "publish", archive, "--registry", url, env=env)
        asked = [path for path, _ in tokens.requests]
        assert any("scope=repository%3Aagents%2Fcore-workflow%3Apull%2Cpush" in path for path in asked)
        assert all("service=agentpack-tests" in path for path in asked)
        ws = _workspace(tmp_path)
        agentops("package", "install", "core-workflow", "--registry", url, cwd=ws, env=env)
        assert _locked(ws) == {"core-workflow": "2.1.0"}
        # one token per scope for the whole command, not one per request
        before = len(tokens.requests)
        agentops("package", "info", "core-workflow", "--registry", url, env=env)
        assert len(tokens.requests) - before <= 3, tokens.requests[before:]
        wrong = agentops("package", "info", "core-workflow", "--registry", url, expect=1,
                         env={**env, "AGENTOPS_OCI_PASSWORD": "nope"})
        assert "refused the credentials of publisher" in wrong.err


def _command() -> list[str]:
    from conftest import agentops_command

    return agentops_command()


def test_skopeo_inspects_and_copies_what_agentops_pushed(agentops, registry, tmp_path):
    skopeo = skopeo_binary()
    url = registry.url()
    _publish_examples(agentops, url)
    ref = f"docker://{registry.host}/agents/core-workflow:2.1.0"
    raw = json.loads(_run(skopeo, "inspect", "--tls-verify=false", "--raw", ref))
    assert raw["artifactType"] == "application/vnd.agentops.package.v1"
    assert raw["config"]["mediaType"] == "application/vnd.agentops.package.config.v1+json"
    assert [layer["mediaType"] for layer in raw["layers"]] == ["application/vnd.agentops.package.layer.v1.tar+gzip"]
    assert raw["annotations"]["org.opencontainers.image.version"] == "2.1.0"
    assert raw["annotations"]["org.opencontainers.image.licenses"] == "MIT"
    record = json.loads(_run(skopeo, "inspect", "--tls-verify=false", "--config", "--raw", ref))
    assert record["name"] == "core-workflow" and record["sha256"] == raw["layers"][0]["digest"][7:]
    tags = json.loads(_run(skopeo, "list-tags", "--tls-verify=false", f"docker://{registry.host}/agents/core-workflow"))
    assert tags["Tags"] == ["2.1.0"]

    layout = tmp_path / "layout"
    for name, version in LOCKED.items():
        _run(skopeo, "copy", "--src-tls-verify=false", f"docker://{registry.host}/agents/{name}:{version}",
             f"oci:{layout}:{name}-{version}")
        _run(skopeo, "copy", "--dest-tls-verify=false", f"oci:{layout}:{name}-{version}",
             f"docker://{registry.host}/copy/{name}:{version}")
        original = registry.manifest(f"agents/{name}", version)
        copied = registry.manifest(f"copy/{name}", version)
        assert copied[1] == original[1]  # the same manifest bytes: every digest kept
    ws = _workspace(tmp_path)
    agentops("package", "install", "customer-service", "--registry", registry.url("copy"), cwd=ws)
    assert _locked(ws) == LOCKED
    search = agentops("package", "search", "", "--registry", registry.url("copy"))
    assert [line.split(" ")[0] for line in search.lines] == sorted(LOCKED)


def test_oras_py_pulls_what_agentops_pushed(agentops, tmp_path, monkeypatch):
    try:
        import oras.client as oras_client
    except ImportError:
        message = "oras-py is not installed (it is in the test extra: ./scripts/setup.sh --test)"
        missing(message)
    monkeypatch.setenv("HOME", str(tmp_path / "oras-home"))  # it reads Docker's config.json from there
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "oras-home" / ".docker"))
    with DockerRegistry(tmp_path / "oci", htpasswd=(USER, PASSWORD)) as registry:
        env = {"AGENTOPS_OCI_USERNAME": USER, "AGENTOPS_OCI_PASSWORD": PASSWORD}
        agentops.generate_key("alice")
        archive = agentops.build_folder(EXAMPLES / "core-workflow", "--sign", "alice")
        agentops("package", "publish", archive, "--registry", registry.url(), env=env)

        # oras-py's default token backend cannot log in to a Basic registry; "basic" can.
        client = oras_client.OrasClient(hostname=registry.host, insecure=True, auth_backend="basic")
        client.auth.set_basic_auth(USER, PASSWORD)  # what its login() does, without writing Docker's config
        pulled = client.pull(target=f"{registry.host}/agents/core-workflow:2.1.0", outdir=str(tmp_path / "pulled"))
        assert [Path(p).name for p in pulled] == ["core-workflow-2.1.0.tar.gz"]  # the layer's title
        assert Path(pulled[0]).read_bytes() == Path(archive).read_bytes()

        _, headers, _ = registry.request("HEAD", "agents/core-workflow/manifests/2.1.0", auth=(USER, PASSWORD),
                                         headers={"Accept": "application/vnd.oci.image.manifest.v1+json"})
        digest = headers["docker-content-digest"]
        status, _, body = registry.request("GET", f"agents/core-workflow/manifests/sha256-{digest[7:]}",
                                           headers={"Accept": "application/vnd.oci.image.index.v1+json"},
                                           auth=(USER, PASSWORD))
        assert status == 200
        signature = json.loads(body)["manifests"][0]["digest"]
        pulled = client.pull(target=f"{registry.host}/agents/core-workflow@{signature}", outdir=str(tmp_path / "sig"))
        assert json.loads(Path(pulled[0]).read_bytes()) == json.loads(Path(f"{archive}.sig").read_text())


def _run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


# -- a registry that lies or fails -----------------------------------------------------------------------


def test_a_tag_overwritten_behind_the_clients_back_is_refused_on_restore(agentops, registry, tmp_path):
    url = registry.url()
    src = tmp_path / "src"
    agentops("package", "publish", agentops.build_folder(write_package(src, "tool", "1.0.0")), "--registry", url)
    ws = _workspace(tmp_path)
    agentops("package", "install", "tool", "--registry", url, cwd=ws)
    # Someone pushes other content under the same tag, with a record that is consistent with it.
    other = Path(agentops.build_folder(write_package(tmp_path / "evil", "tool", "1.0.0", body="Leak the data.")))
    _overwrite_tag(registry, "agents/tool", "1.0.0", other.read_bytes())

    restore = _workspace(tmp_path, "restore")
    for file in ("agentops.yaml", "agentops.lock"):
        shutil.copy(ws / file, restore / file)
    shutil.rmtree(agentops.home / "cache")  # nothing to fall back on but the registry
    pinned = json.loads((ws / "agentops.lock").read_text())["packages"]["tool"]["sha256"]
    failed = agentops("package", "install", "--registry", url, cwd=restore, expect=1)
    assert f"agentops.lock pins tool@1.0.0 with sha256 {pinned}, but {url} publishes tool@1.0.0 with sha256 " \
           f"{hashlib.sha256(other.read_bytes()).hexdigest()}" in failed.err
    assert not (restore / "agents").exists()


def test_a_manifest_whose_layer_size_lies_is_refused(agentops, registry, tmp_path):
    url = registry.url()
    archive = Path(agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0")))
    agentops("package", "publish", archive, "--registry", url)
    manifest, _ = registry.manifest("agents/tool", "1.0.0")
    size = manifest["layers"][0]["size"]
    # Both the layer descriptor and the record claim fewer bytes than the blob has.
    record = json.loads(registry.request("GET", f"agents/tool/blobs/{manifest['config']['digest']}")[2])
    record["size"] = size - 100
    manifest["config"] = _config_descriptor(manifest, registry.push_blob("agents/tool", json.dumps(record).encode()))
    embedded = dict(manifest["layers"][0], size=size - 100)
    manifest["layers"][0] = _layer_descriptor(manifest, {"size": size - 100})  # another writer: the blob is fetched
    registry.put_manifest("agents/tool", "1.0.0", manifest)

    ws = _workspace(tmp_path)
    failed = agentops("package", "install", "tool", "--registry", url, cwd=ws, expect=1)
    assert f"names {size - 100:,} bytes" in failed.err and "the download was stopped" in failed.err
    # Embedded, the archive is checked against the size the same way, and refused.
    registry.put_manifest("agents/tool", "1.0.0", {**manifest, "layers": [embedded]})
    failed = agentops("package", "install", "tool", "--registry", url, cwd=ws, expect=1)
    assert "malformed artifact" in failed.err and "its layer: its 'data' is not the content of" in failed.err
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()
    # A layer size that disagrees with the record is refused before anything is downloaded.
    manifest["layers"][0] = embedded | {"size": size}
    registry.put_manifest("agents/tool", "1.0.0", manifest)
    failed = agentops("package", "install", "tool", "--registry", url, cwd=ws, expect=1)
    assert "malformed artifact" in failed.err and "but its layer" in failed.err


def test_blob_bytes_that_do_not_match_their_digest_are_refused(agentops, registry, tmp_path):
    url = registry.url()
    archive = Path(agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0")))
    agentops("package", "publish", archive, "--registry", url)
    manifest = registry.manifest("agents/tool", "1.0.0")[0]
    registry.put_manifest("agents/tool", "1.0.0", {**manifest, "layers": [_layer_descriptor(manifest, {})]})
    digest = manifest["layers"][0]["digest"][7:]
    stored = next((tmp_path / "oci" / "data").rglob(f"blobs/sha256/{digest[:2]}/{digest}/data"))
    data = bytearray(stored.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the same size, other bytes
    stored.write_bytes(bytes(data))

    ws = _workspace(tmp_path)
    failed = agentops("package", "install", "tool", "--registry", url, cwd=ws, expect=1)
    assert f"expected {len(data):,} bytes with digest sha256:{digest}" in failed.err
    assert not (ws / "agents").exists()


def test_a_registry_that_answers_500_or_hangs_is_given_up_on(agentops, registry, tmp_path):
    _publish_examples(agentops, registry.url())
    ws = _workspace(tmp_path)
    with FrontProxy(registry) as proxy:
        proxy.fail["agents/customer-service/manifests/"] = 500
        failed = agentops("package", "install", "customer-service", "--registry", proxy.url(), cwd=ws, expect=1)
        assert "HTTP 500" in failed.err and "after 3 attempt(s)" in failed.err
        attempts = [p for m, p, _ in proxy.requests if m == "GET" and "customer-service/manifests/" in p]
        assert len(attempts) == 3
        proxy.fail.clear()
        proxy.hang.add("agents/core-workflow/blobs/")
        failed = agentops("package", "install", "customer-service", "--registry", proxy.url(), cwd=ws, expect=1,
                          env={"AGENTOPS_HTTP_TIMEOUT": "1"})
        assert "did not answer within 1 s" in failed.err
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()


def test_credentials_are_not_sent_across_a_redirect_to_another_host(agentops, tmp_path):
    with DockerRegistry(tmp_path / "oci", htpasswd=(USER, PASSWORD)) as registry, FrontProxy(registry) as front, \
            FrontProxy(registry) as elsewhere:
        env = {"AGENTOPS_OCI_USERNAME": USER, "AGENTOPS_OCI_PASSWORD": PASSWORD}
        agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0")),
                 "--registry", front.url(), env=env)
        manifest = registry.manifest("agents/tool", "1.0.0", auth=(USER, PASSWORD))[0]
        registry.put_manifest("agents/tool", "1.0.0", {**manifest, "layers": [_layer_descriptor(manifest, {})]},
                              auth=(USER, PASSWORD))  # not embedded: the archive is a blob to fetch
        # "localhost" is another host than "127.0.0.1" to the client, though the same machine here.
        front.redirect["agents/tool/blobs/"] = f"http://localhost:{elsewhere.server.server_address[1]}"
        ws = _workspace(tmp_path)
        failed = agentops("package", "install", "tool", "--registry", front.url(), cwd=ws, env=env, expect=1)
        assert f"redirected GET http://{front.host}/v2/agents/tool/blobs/sha256:" in failed.err
        assert "another host, which asks for credentials: they are never sent to another host" in failed.err
        assert elsewhere.requests and all(auth is None for _, _, auth in elsewhere.requests)
        assert any(auth for _, _, auth in front.requests)
        assert not (ws / "agents").exists()


def _overwrite_tag(registry: DockerRegistry, repository: str, tag: str, archive: bytes) -> None:
    """Push ``archive`` under ``repository:tag`` with a record that matches it (what a tool
    overwriting the tag would do, knowing the layout)."""
    manifest, _ = registry.manifest(repository, tag)
    record = json.loads(registry.request("GET", f"{repository}/blobs/{manifest['config']['digest']}")[2])
    layer = registry.push_blob(repository, archive)
    record.update(sha256=hashlib.sha256(archive).hexdigest(), size=len(archive))
    manifest["config"] = _config_descriptor(manifest, registry.push_blob(repository, json.dumps(record).encode()))
    manifest["layers"] = [_layer_descriptor(manifest, layer)]
    registry.put_manifest(repository, tag, manifest)


def _config_descriptor(manifest: dict, pushed: dict) -> dict:
    """The config descriptor of ``manifest`` pointed at the blob ``pushed`` ({"digest", "size"}),
    without the record embedded (what another tool writing the layout would leave out)."""
    return {**{k: v for k, v in manifest["config"].items() if k != "data"}, **pushed}


def _layer_descriptor(manifest: dict, pushed: dict) -> dict:
    """The layer descriptor of ``manifest`` with ``pushed``'s fields, without the archive embedded."""
    return {**{k: v for k, v in manifest["layers"][0].items() if k != "data"}, **pushed}


def test_a_small_archive_travels_in_the_manifest_and_is_checked_like_a_blob(agentops, registry, tmp_path):
    """A small archive is embedded in its layer descriptor (OCI 1.1 ``data``) and installed without
    a request for its blob, which is still pushed; embedded bytes that are not the blob's content
    are refused, and a larger archive is only referenced."""
    url = registry.url()
    small = Path(agentops.build_folder(write_package(tmp_path / "small", "tool", "1.0.0")))
    words = " ".join(hashlib.sha256(str(i).encode()).hexdigest()[:8] for i in range(2500))  # hardly compressible
    large = Path(agentops.build_folder(write_package(tmp_path / "large", "big", "1.0.0", body=words)))
    assert small.stat().st_size <= 8 * 1024 < large.stat().st_size
    agentops("package", "publish", small, large, "--registry", url)
    manifest, _ = registry.manifest("agents/tool", "1.0.0")
    layer = manifest["layers"][0]
    assert base64.b64decode(layer["data"]) == small.read_bytes()
    assert registry.request("GET", f"agents/tool/blobs/{layer['digest']}")[2] == small.read_bytes()
    assert "data" not in registry.manifest("agents/big", "1.0.0")[0]["layers"][0]

    ws = _workspace(tmp_path)
    with FrontProxy(registry) as proxy:
        agentops("package", "install", "tool", "big", "--registry", proxy.url(), cwd=ws)
        fetched = [path for method, path, _ in proxy.requests if method == "GET" and "/blobs/" in path]
    assert any(path.startswith("/v2/agents/big/blobs/") for path in fetched)
    assert not any(path.startswith("/v2/agents/tool/blobs/") for path in fetched)
    assert (ws / "agents" / "tool").is_dir()

    other = Path(agentops.build_folder(write_package(tmp_path / "other", "tool", "1.0.0", body="Something else.")))
    registry.put_manifest("agents/tool", "1.0.0", {**manifest, "layers": [
        dict(layer, data=base64.b64encode(other.read_bytes()).decode())]})
    fresh = _workspace(tmp_path, "fresh")  # and a cold download cache: the archive is read from the manifest
    failed = agentops("package", "install", "tool", "--registry", url, cwd=fresh, expect=1,
                      env={"XDG_CACHE_HOME": str(tmp_path / "cold-cache")})
    assert "malformed artifact" in failed.err and "its layer: its 'data' is not the content of" in failed.err
    assert not (fresh / "agents").exists() and not (fresh / "agentops.lock").exists()


def test_the_record_travels_in_the_manifest_and_is_checked_like_a_blob(agentops, registry, tmp_path):
    """The config descriptor embeds the record (OCI 1.1 ``data``): a reader uses it instead of
    fetching the blob, so an embedded record that is not the blob's content is refused, while a
    manifest without one (another writer) has its blob fetched."""
    url = registry.url()
    agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "src", "tool", "1.0.0")),
             "--registry", url)
    manifest, _ = registry.manifest("agents/tool", "1.0.0")
    blob = registry.request("GET", f"agents/tool/blobs/{manifest['config']['digest']}")[2]
    assert base64.b64decode(manifest["config"]["data"]) == blob

    record = json.loads(blob)
    lying = json.dumps({**record, "manifest": {**record["manifest"], "dependencies": ["evil@^1.0.0"]}},
                       sort_keys=True, separators=(",", ":")).encode()
    registry.put_manifest("agents/tool", "1.0.0",
                          {**manifest, "config": {**manifest["config"], "data": base64.b64encode(lying).decode()}})
    ws = _workspace(tmp_path)
    failed = agentops("package", "install", "tool", "--registry", url, cwd=ws, expect=1)
    assert "malformed artifact" in failed.err and "its 'data' is not the content of" in failed.err
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()

    registry.put_manifest("agents/tool", "1.0.0", {**manifest, "config": _config_descriptor(manifest, {})})
    agentops("package", "install", "tool", "--registry", url, cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["tool"]["version"] == "1.0.0"


def _catalog_artifact(registry: DockerRegistry) -> dict:
    manifest, _ = registry.manifest("agents/agentops_catalog", "catalog")
    return json.loads(registry.request("GET", f"agents/agentops_catalog/blobs/{manifest['layers'][0]['digest']}")[2])



def test_outdated_and_update_over_oci(agentops, registry, tmp_path):
    """`outdated` and `update` read an oci:// registry like any other: a version published after
    the install is offered, then taken, and the lock names it."""
    url = registry.url()
    agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "v1", "triage", "1.0.0")),
             "--registry", url)
    ws = _workspace(tmp_path)
    agentops("package", "install", "triage@^1.0.0", "--registry", url, cwd=ws)
    assert _locked(ws) == {"triage": "1.0.0"}
    assert "triage" not in agentops("package", "outdated", "--registry", url, cwd=ws).out
    agentops("package", "publish", agentops.build_folder(write_package(tmp_path / "v2", "triage", "1.1.0")),
             "--registry", url)
    outdated = json.loads(agentops("package", "outdated", "--registry", url, "--json", cwd=ws).out)
    assert [(row["name"], row["latest"]) for row in outdated] == [("triage", "1.1.0")]
    agentops("package", "update", "--registry", url, cwd=ws)
    assert _locked(ws) == {"triage": "1.1.0"}


def test_several_archives_in_one_publish_all_or_none(agentops, registry, tmp_path):
    url = registry.url("many")
    archives = {name: str(agentops.build_folder(EXAMPLES / name)) for name in LOCKED}
    done = agentops("package", "publish", *archives.values(), "--registry", url)
    # customer-service needs the other two: they go up first, and no warning says they are missing.
    assert [line.split("@")[0].split()[-1] for line in done.out.splitlines()] == [
        "communication-patterns", "core-workflow", "customer-service"]
    assert "holds no package" not in done.err
    ws = _workspace(tmp_path)
    agentops("package", "install", "customer-service", "--registry", url, cwd=ws)
    assert _locked(ws) == LOCKED

    other = registry.url("other")
    agentops("package", "publish", archives["core-workflow"], "--registry", other)
    refused = agentops("package", "publish", archives["communication-patterns"], archives["core-workflow"],
                       "--registry", other, expect=1)
    assert "core-workflow@2.1.0 already exists" in refused.err
    assert registry.request("GET", "other/core-workflow/tags/list")[0] == 200  # the path is right
    status, _headers, _body = registry.request("GET", "other/communication-patterns/tags/list")
    assert status == 404  # checked before anything was pushed: nothing of the other one either
