"""A directory registry copied behind Debian's nginx, read through the real command.

nginx is what a team would really put in front of the folder: its own ETags (mtime and size), its
own 304s, keep-alive. Where nginx is not installed these tests are skipped with a reason saying how
to get it; under CI they fail instead (.ci/run installs it).
"""

from __future__ import annotations

import json

import pytest

from conftest import missing
from registry_server import Nginx


def require_nginx() -> str:
    binary = Nginx.binary()
    if binary:
        return binary
    message = "nginx is not installed: `apt-get install -y nginx` (Debian) puts it in /usr/sbin"
    missing(message)


@pytest.fixture
def nginx(agentops, tmp_path):
    require_nginx()
    for key in [k for k in agentops.env if k.lower().endswith("_proxy")]:
        del agentops.env[key]
    agentops.publish_examples()
    server = Nginx(agentops.default_registry, tmp_path / "nginx").start()
    yield server
    server.stop()


def _locked(ws) -> dict[str, str]:
    return {name: pkg["version"] for name, pkg in json.loads((ws / "agentops.lock").read_text())["packages"].items()}


def test_install_info_search_revalidate_and_offline_behind_nginx(agentops, nginx, tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text(f"registries:\n  - {nginx.url}\npackages: {{}}\n")
    agentops("package", "install", "customer-service", cwd=ws)
    assert _locked(ws) == {"communication-patterns": "1.5.3", "core-workflow": "2.1.0", "customer-service": "1.2.0"}
    found = json.loads(agentops("package", "search", "customer", "--json", cwd=ws).out)
    assert [entry["name"] for entry in found] == ["customer-service"]

    seen = len(nginx.log())
    info = json.loads(agentops("package", "info", "customer-service", "--json", cwd=ws).out)
    assert info["version"] == "1.2.0"
    again = nginx.log()[seen:]
    assert [(path, status) for path, status, _ in again] == [("/config.json", 304), ("/index/customer-service.json", 304)]
    assert all(etag != "-" for _, _, etag in again)

    nginx.stop()
    other = tmp_path / "other"
    other.mkdir()
    agentops("package", "install", "customer-service", "--offline", "--registry", nginx.url, cwd=other)
    assert _locked(other) == _locked(ws)


def test_a_tampered_archive_behind_nginx_is_refused(agentops, nginx, tmp_path):
    index = json.loads((agentops.default_registry / "index" / "core-workflow.json").read_text())
    record = index["versions"]["2.1.0"]
    blob = agentops.default_registry / "blobs" / "sha256" / record["sha256"]
    blob.write_bytes(blob.read_bytes()[:-1] + b"!")
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "core-workflow", "--registry", nginx.url, cwd=ws, expect=1)
    assert record["sha256"] in run.err and "failed verification" in run.err
    assert not (ws / "agentops.lock").exists()
