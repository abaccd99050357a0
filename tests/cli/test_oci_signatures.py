"""Signed packages in oci:// registries through the real command, against Debian's docker-registry
on 127.0.0.1 (no referrers API: the ``sha256-<hex>`` fallback tag): a signature is an artifact
whose subject is the package manifest, and install verifies it and the trust stores exactly as
for the other registries. The referrers API path is tested against a small registry that has it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from conftest import write_package
from oci_registry import (
    DockerRegistry,
    registry_fixture,  # noqa: F401 (a fixture)
)
from referrers_registry import ReferrersRegistry
from registry_service import no_proxies  # noqa: F401 (an autouse fixture)

SIGNATURE_TYPE = "application/vnd.agentops.package.signature.v1"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"


def _publish(agentops, tmp_path: Path, url: str, name: str, *sign: str) -> Path:
    archive = agentops.build_folder(write_package(tmp_path / "src" / name, name, "1.0.0"), *sign)
    agentops("package", "publish", archive, "--registry", url)
    return archive


def _workspace(tmp_path: Path, name: str) -> Path:
    ws = tmp_path / name
    ws.mkdir()
    return ws


def _signed_by(ws: Path, name: str) -> str | None:
    return json.loads((ws / "agentops.lock").read_text())["packages"][name].get("signed_by")


def _fallback_index(registry: DockerRegistry, repository: str, tag: str) -> tuple[dict, str]:
    _, digest = registry.manifest(repository, tag)
    status, _, body = registry.request("GET", f"{repository}/manifests/sha256-{digest[7:]}",
                                       headers={"Accept": INDEX_TYPE})
    assert status == 200, body
    return json.loads(body), digest


def test_a_signed_package_installs_with_require_signed_through_the_fallback_tag(agentops, registry, alice, tmp_path):
    url = registry.url()
    archive = _publish(agentops, tmp_path, url, "signed-pkg", "--sign", "alice")
    index, digest = _fallback_index(registry, "agents/signed-pkg", "1.0.0")
    [listed] = index["manifests"]
    assert listed["artifactType"] == SIGNATURE_TYPE
    artifact, _ = registry.manifest("agents/signed-pkg", listed["digest"])
    assert artifact["subject"]["digest"] == digest
    layer = registry.request("GET", f"agents/signed-pkg/blobs/{artifact['layers'][0]['digest']}")[2]
    assert json.loads(layer) == json.loads(Path(str(archive) + ".sig").read_text())

    ws = _workspace(tmp_path, "ws")
    agentops("package", "install", "signed-pkg", "--registry", url, "--require-signed", cwd=ws)
    assert _signed_by(ws, "signed-pkg") == alice["fingerprint"]
    info = json.loads(agentops("package", "info", "signed-pkg", "--registry", url, "--json").out)
    assert info["version"] == "1.0.0"

    # Deprecating pushes another manifest; its signature goes with it.
    agentops("package", "deprecate", "signed-pkg", "--message", "use signed-pkg2", "--registry", url)
    again = _workspace(tmp_path, "again")
    agentops("package", "install", "signed-pkg", "--registry", url, "--require-signed", cwd=again)
    assert _signed_by(again, "signed-pkg") == alice["fingerprint"]

    registry.stop()  # the far side of a cut cable: the cached index keeps the signature
    offline = _workspace(tmp_path, "offline")
    agentops("package", "install", "signed-pkg", "--registry", url, "--require-signed", "--offline", cwd=offline)
    assert (offline / "agentops.lock").read_bytes() == (again / "agentops.lock").read_bytes()


def test_a_tampered_signature_is_refused(agentops, registry, alice, tmp_path):
    url = registry.url()
    _publish(agentops, tmp_path, url, "signed-pkg", "--sign", "alice")
    index, _ = _fallback_index(registry, "agents/signed-pkg", "1.0.0")
    artifact, _ = registry.manifest("agents/signed-pkg", index["manifests"][0]["digest"])
    document = json.loads(registry.request("GET", f"agents/signed-pkg/blobs/{artifact['layers'][0]['digest']}")[2])
    document["signature"] = ("A" if document["signature"][0] != "A" else "B") + document["signature"][1:]
    # Someone with push access swaps the signature layer and lists the new artifact instead.
    artifact["layers"] = [dict(artifact["layers"][0], **registry.push_blob("agents/signed-pkg",
                                                                           json.dumps(document).encode()))]
    body = json.dumps(artifact).encode()
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    status, _, answer = registry.request("PUT", f"agents/signed-pkg/manifests/{digest}", body=body,
                                         headers={"Content-Type": artifact["mediaType"]})
    assert status == 201, answer
    index["manifests"] = [dict(index["manifests"][0], digest=digest, size=len(body))]
    tag = f"sha256-{artifact['subject']['digest'][7:]}"
    status, _, answer = registry.request("PUT", f"agents/signed-pkg/manifests/{tag}", body=json.dumps(index).encode(),
                                         headers={"Content-Type": INDEX_TYPE})
    assert status == 201, answer

    ws = _workspace(tmp_path, "ws")
    failed = agentops("package", "install", "signed-pkg", "--registry", url, cwd=ws, expect=1)
    assert "the signature of signed-pkg@1.0.0 in" in failed.err and "does not verify" in failed.err
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()


def test_a_missing_signature_or_an_untrusted_signer_is_refused_when_required(agentops, registry, alice, tmp_path):
    url = registry.url()
    _publish(agentops, tmp_path, url, "signed-pkg", "--sign", "alice")
    _publish(agentops, tmp_path, url, "plain-pkg")
    mallory = agentops.generate_key("mallory")
    _publish(agentops, tmp_path, url, "other-pkg", "--sign", "mallory")

    ws = _workspace(tmp_path, "ws")
    failed = agentops("package", "install", "signed-pkg", "plain-pkg", "--registry", url, "--require-signed",
                      cwd=ws, expect=1)
    assert "plain-pkg@1.0.0 is not signed" in failed.err and "signed-pkg@1.0.0 is not signed" not in failed.err
    failed = agentops("package", "install", "other-pkg", "--registry", url, "--require-signed", cwd=ws, expect=1)
    assert f"other-pkg@1.0.0 is signed by key {mallory['fingerprint']}, which is not trusted" in failed.err
    assert not (ws / "agents").exists() and not (ws / "agentops.lock").exists()

    # The signature's index removed behind the client's back: the package is unsigned now.
    _, digest = registry.manifest("agents/signed-pkg", "1.0.0")
    stored = registry.request("GET", f"agents/signed-pkg/manifests/sha256-{digest[7:]}", headers={"Accept": INDEX_TYPE})
    status, _, _ = registry.request("DELETE", "agents/signed-pkg/manifests/sha256:"
                                    + hashlib.sha256(stored[2]).hexdigest())
    assert status == 202
    failed = agentops("package", "install", "signed-pkg", "--registry", url, "--require-signed", cwd=ws, expect=1)
    assert "signed-pkg@1.0.0 is not signed" in failed.err
    assert not (ws / "agents").exists()


def test_signatures_through_a_registry_with_the_referrers_api(agentops, alice, tmp_path):
    with ReferrersRegistry() as registry:
        url = registry.url()
        _publish(agentops, tmp_path, url, "signed-pkg", "--sign", "alice")
        assert sorted(tag for repo, tag in registry.tags if repo == "agents/signed-pkg") == ["1.0.0"]
        ws = _workspace(tmp_path, "ws")
        agentops("package", "install", "signed-pkg", "--registry", url, "--require-signed", cwd=ws)
        assert _signed_by(ws, "signed-pkg") == alice["fingerprint"]
        assert any(method == "GET" and "/referrers/sha256:" in path for method, path in registry.requests)
