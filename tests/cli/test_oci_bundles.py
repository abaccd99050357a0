"""Bundles and oci:// registries through the real command, against Debian's docker-registry on
127.0.0.1: `bundle collect` from one, `bundle load` into one, and the seed's air-gap playbook with
the far side in a network namespace that has nothing but loopback."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import EXAMPLES, KEY_ENV, agentops_command, in_ci, write_package
from oci_registry import (
    DockerRegistry,
    FrontProxy,
    registry_fixture,  # noqa: F401 (a fixture)
)
from registry_server import free_port

LOCKED = {"communication-patterns": "1.5.3", "core-workflow": "2.1.0", "customer-service": "1.2.0"}


@pytest.fixture(autouse=True)
def no_proxies(agentops, far):
    for side in (agentops, far):
        for key in [k for k in side.env if k.lower().endswith("_proxy")]:
            del side.env[key]


def _workspace(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    return ws


def _tags(registry: DockerRegistry, repository: str) -> list[str] | None:
    status, _, body = registry.request("GET", f"{repository}/tags/list")
    return sorted(json.loads(body)["tags"]) if status == 200 else None


def test_collect_from_oci_and_load_into_oci_blobs_then_manifests_then_the_catalog(agentops, registry, alice,
                                                                                    tmp_path):
    url = registry.url()
    for name in LOCKED:
        agentops("package", "publish", agentops.build_folder(EXAMPLES / name, "--sign", "alice"), "--registry", url)
    agentops("package", "deprecate", "core-workflow", "--message", "use core-workflow 3", "--registry", url)
    near = _workspace(tmp_path, "near")
    agentops("package", "install", "customer-service", "--registry", url, cwd=near)
    bundle = tmp_path / "site.bundle"
    collected = json.loads(agentops("bundle", "collect", "--lock", "-o", bundle, "--registry", url, "--sign", "alice",
                                    "--json", cwd=near, env=KEY_ENV).out)
    assert {p["name"]: p["signed_by"] for p in collected["packages"]} == dict.fromkeys(LOCKED, alice["fingerprint"])
    assert {p["name"]: p["deprecated"] for p in collected["packages"]}["core-workflow"] == "use core-workflow 3"

    with FrontProxy(registry) as proxy:
        site = proxy.url("site")
        loaded = agentops("bundle", "load", bundle, "--registry", site)
        assert f"into {site}: 3 imported, 0 already present" in loaded.out
        writes = [(method, path.split("?")[0]) for method, path, _ in proxy.requests if method in ("POST", "PUT", "PATCH")]
        manifests = [i for i, (method, path) in enumerate(writes) if "/manifests/" in path]
        blobs = [i for i, (method, path) in enumerate(writes) if "/blobs/" in path and "agentops_catalog" not in path]
        assert max(blobs) < min(manifests)  # every blob is there before any manifest names it
        signatures = [i for i in manifests if "/manifests/sha256" in writes[i][1]]  # by digest, and fallback tags
        tags = [i for i in manifests if writes[i][1].rsplit("/", 1)[1] in LOCKED.values()]
        assert len(tags) == 3 and max(signatures) < min(tags)  # a tag never appears unsigned
        assert writes[-1] == ("PUT", "/v2/site/agentops_catalog/manifests/catalog")
        assert len([w for w in writes if w[1].endswith("/manifests/catalog")]) == 1  # once for the whole load
        proxy.requests.clear()
        again = agentops("bundle", "load", bundle, "--registry", site)
        assert "0 imported, 3 already present" in again.out
        assert not [p for m, p, _ in proxy.requests if m in ("POST", "PUT", "PATCH")]  # nothing to write

    far = _workspace(tmp_path, "far")
    shutil.copy(near / "agentops.yaml", far / "agentops.yaml")
    agentops("package", "install", "--registry", registry.url("site"), "--require-signed", cwd=far)
    assert (far / "agentops.lock").read_bytes() == (near / "agentops.lock").read_bytes()
    info = json.loads(agentops("package", "info", "core-workflow", "--registry", registry.url("site"), "--json").out)
    assert info["deprecated"] == "use core-workflow 3"

    into_directory = agentops("bundle", "load", bundle, "--registry", tmp_path / "dir-registry")
    assert "3 imported" in into_directory.out


def test_load_names_every_conflict_before_pushing_anything(agentops, registry, tmp_path):
    url = registry.url()
    near = _workspace(tmp_path, "near")
    for name in LOCKED:
        agentops("package", "publish", agentops.build_folder(EXAMPLES / name), "--registry", url)
    agentops("package", "install", "customer-service", "--registry", url, cwd=near)
    bundle = tmp_path / "site.bundle"
    agentops("bundle", "collect", "--lock", "-o", bundle, "--registry", url, cwd=near)

    site = registry.url("site")
    other = agentops.build_folder(write_package(tmp_path / "other", "core-workflow", "2.1.0", body="Other content."))
    agentops("package", "publish", other, "--registry", site)
    refused = agentops("bundle", "load", bundle, "--registry", site, expect=1)
    assert f"bundle {bundle} not loaded: core-workflow@2.1.0 (other content: registry sha256" in refused.err
    assert "nothing was imported" in refused.err
    assert _tags(registry, "site/customer-service") is None and _tags(registry, "site/communication-patterns") is None


def _unshare_or_skip() -> tuple[str, str]:
    """``(unshare, ip)`` where this process may make a network namespace; else skip (fail under CI)."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip") or next(
        (p for p in ("/usr/sbin/ip", "/sbin/ip") if Path(p).is_file()), None)
    reason = None
    if unshare is None or ip is None:
        reason = "unshare (util-linux) and ip (iproute2) are needed to cut the network"
    else:
        probe = subprocess.run([unshare, "--net", ip, "link", "set", "lo", "up"], capture_output=True, text=True,
                               timeout=30)
        if probe.returncode != 0:
            reason = f"this process may not make a network namespace: {probe.stderr.strip()[:200]}"
    if reason is not None:
        if in_ci():
            pytest.fail(reason + " (CI is set, so this is a failure)", pytrace=False)
        pytest.skip(reason)
    return unshare, ip


# The far side, run whole inside `unshare --net`: nothing but loopback, and a registry of its own.
FAR_SIDE = r"""
set -eu
ip link set lo up
test "$(ip -o link show | wc -l)" = 1 || { echo "an interface besides lo: $(ip -o link show)" >&2; exit 3; }
"$@" 2>"$WORK/registry.log" &
registry=$!
trap 'kill $registry 2>/dev/null || true' EXIT
tries=0
until $PYTHON -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1).close()" 2>/dev/null; do
    tries=$((tries + 1)); [ $tries -lt 150 ] || { echo "docker-registry did not start" >&2; exit 4; }; sleep 0.1
done
$AGENTOPS bundle verify "$MEDIA/site.bundle" --trust "$MEDIA/alice.pub"
$AGENTOPS bundle load "$MEDIA/site.bundle" --registry "$URL" --trust "$MEDIA/alice.pub"
$AGENTOPS trust add "$MEDIA/alice.pub"
cd "$FIRST" && $AGENTOPS package install --registry "$URL" --require-signed
kill $registry && wait $registry || true
cd "$OFFLINE" && $AGENTOPS package install --registry "$URL" --require-signed --offline
"""


def test_the_air_gap_playbook_onto_an_oci_registry_in_a_namespace_without_network(agentops, far, alice, tmp_path):
    unshare, ip = _unshare_or_skip()
    # The near side: a directory registry, a signed lock bundle.
    for name in LOCKED:
        agentops.publish_folder(EXAMPLES / name, "--sign", "alice")
    near = _workspace(tmp_path, "near")
    agentops("package", "install", "customer-service", cwd=near)
    media = tmp_path / "media"  # what crosses the gap
    agentops("bundle", "collect", "--lock", "-o", media / "site.bundle", "--sign", "alice", cwd=near, env=KEY_ENV)
    shutil.copy(alice["public_key"], media / "alice.pub")

    first, offline = _workspace(tmp_path, "far-first"), _workspace(tmp_path, "far-offline")
    for ws in (first, offline):
        shutil.copy(near / "agentops.yaml", ws / "agentops.yaml")
    server = DockerRegistry(tmp_path / "far-oci")
    server.port = free_port()  # any port: the namespace has its own
    command = server.command()
    env = {**far.env, "PATH": f"{Path(ip).parent}:{os.environ.get('PATH', '')}", "WORK": str(server.work),
           "PYTHON": shlex.quote(sys.executable), "PORT": str(server.port), "URL": server.url(),
           "AGENTOPS": shlex.join(agentops_command()), "MEDIA": str(media), "FIRST": str(first),
           "OFFLINE": str(offline)}
    done = subprocess.run([unshare, "--net", "sh", "-c", FAR_SIDE, "far-side", *command], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n{(server.work / 'registry.log').read_text()}"
    assert "Bundle verified: checksums and contents match; signatures match trusted keys" in done.stdout
    assert f"into {server.url()}: 3 imported, 0 already present" in done.stdout
    assert "Traceback" not in done.stderr
    for ws in (first, offline):
        assert (ws / "agentops.lock").read_bytes() == (near / "agentops.lock").read_bytes()
        assert (ws / "agents" / "customer-service").is_dir()
    # Everything the far side pushed is in its registry's storage, written inside the namespace.
    assert list((server.work / "data").rglob("_manifests/tags/1.2.0"))
