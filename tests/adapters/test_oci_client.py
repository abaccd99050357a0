"""The OCI distribution client against a real docker-registry on 127.0.0.1 (tests/oci_registry.py):
uploads (skipped, monolithic, chunked, mounted), manifests by tag and by digest, paginated tags,
``_catalog``, referrers through the fallback tag, and where credentials come from."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat

import pytest

from agentpack.adapters.oci.auth import parse_challenge
from agentpack.adapters.oci.client import OciClient
from agentpack.adapters.oci.credentials import docker_credentials
from agentpack.adapters.registry.base import RegistryOptions
from agentpack.core import oci_artifacts as oci
from agentpack.errors import AuthenticationRequired, IntegrityError, RegistryError
from oci_registry import DockerRegistry, FrontProxy, isolated_config, registry_fixture  # noqa: F401 (fixtures: the first autouse)

USER, PASSWORD = "reader", "pa55-word"


def _client(registry, **options) -> OciClient:
    return OciClient("http", registry.host, RegistryOptions(backoff=0.01, **options), registry.url(), chunk_size=1024)


def test_blob_upload_skips_existing_chunks_large_ones_and_mounts(registry):
    client = _client(registry)
    small = b"x" * 100
    first = client.push_blob("agents/a", small)
    assert first["pushed"] is True and first["size"] == 100
    assert client.push_blob("agents/a", small)["pushed"] is False  # HEAD found it

    large = os.urandom(5000)  # above the 1 KiB chunk size: five PATCHes and a PUT
    with FrontProxy(registry) as proxy:
        via = OciClient("http", proxy.host, RegistryOptions(), proxy.url(), chunk_size=1024)
        pushed = via.push_blob("agents/a", large)
        patches = [p for m, p, _ in proxy.requests if m == "PATCH"]
        assert len(patches) == 5
        mounted = via.push_blob("agents/b", large, mount_from="agents/a")
        assert mounted["pushed"] is False
        assert not [p for m, p, _ in proxy.requests if m in ("PATCH", "PUT") and "agents/b" in p]
    digest = pushed["digest"]
    assert client.fetch_blob("agents/b", digest, len(large), "the blob") == large
    assert client.blob_size("agents/b", digest) == len(large)
    assert client.fetch_blob("agents/a", "sha256:" + "0" * 64, 1, "nothing") is None


def test_a_blob_is_refused_past_its_size_and_for_another_digest(registry):
    client = _client(registry)
    pushed = client.push_blob("agents/a", b"y" * 300)
    with pytest.raises(IntegrityError, match="names 299 bytes .* but the registry sent 300 bytes"):
        client.fetch_blob("agents/a", pushed["digest"], 299, "the blob")
    with pytest.raises(IntegrityError, match="expected 301 bytes"):
        client.fetch_blob("agents/a", pushed["digest"], 301, "the blob")


def test_manifests_by_tag_and_by_digest_tags_pages_and_catalog(registry):
    client = _client(registry)
    config = client.push_blob("agents/a", b"{}")
    layer = client.push_blob("agents/a", b"layer")
    manifest = oci.catalog_manifest(oci.descriptor(oci.EMPTY_MEDIA_TYPE, config["digest"][7:], 2),
                                    oci.descriptor(oci.CATALOG_MEDIA_TYPE, layer["digest"][7:], 5))
    body = oci.encode(manifest)
    digest = "sha256:" + hashlib.sha256(body).hexdigest()
    client.put_manifest("agents/a", digest, body)  # by digest: untagged
    assert client.manifest("agents/a", digest) == (body, digest)
    assert not client.tags("agents/a")  # distribution 2.8 answers 404 for a repository without tags
    tags = [f"1.0.{i}" for i in range(7)]
    for tag in tags:
        client.put_manifest("agents/a", tag, body)
    assert client.manifest_digest("agents/a", "1.0.3") == digest
    assert client.manifest_digest("agents/a", "9.9.9") is None
    assert sorted(client.tags("agents/a")) == sorted(tags)
    assert client.tags("agents/none") is None
    for i in range(6):
        client.push_blob(f"agents/r{i}", b"{}")
        client.push_blob(f"agents/r{i}", b"layer")
        client.put_manifest(f"agents/r{i}", "1.0.0", body)
    # distribution 2.8 pages _catalog (not tags lists) by ?n=: the Link: rel="next" pages are followed
    with FrontProxy(registry) as proxy:
        paged = OciClient("http", proxy.host, RegistryOptions(), proxy.url())
        repositories = _with_page_size(paged, 3, paged.catalog)
        assert sorted(repositories) == ["agents/a", *(f"agents/r{i}" for i in range(6))]
        assert len([p for _, p, _ in proxy.requests if p.startswith("/v2/_catalog")]) >= 3


def _with_page_size(client, size: int, call):
    import agentpack.adapters.oci.client as module

    kept, module._PAGE = module._PAGE, size
    try:
        return call()
    finally:
        module._PAGE = kept


def test_referrers_fall_back_to_the_sha256_tag_without_the_api(registry):
    client = _client(registry)
    config = client.push_blob("agents/a", b"{}")
    layer = client.push_blob("agents/a", b"signed")
    subject_body = oci.encode(oci.catalog_manifest(oci.descriptor(oci.EMPTY_MEDIA_TYPE, config["digest"][7:], 2),
                                                   oci.descriptor(oci.CATALOG_MEDIA_TYPE, layer["digest"][7:], 6)))
    client.put_manifest("agents/a", "1.0.0", subject_body)
    subject = "sha256:" + hashlib.sha256(subject_body).hexdigest()
    assert client.referrers("agents/a", subject) == []
    referrer = dict(json.loads(subject_body), subject={"mediaType": oci.MANIFEST_MEDIA_TYPE, "digest": subject,
                                                       "size": len(subject_body)},
                    artifactType="application/vnd.agentops.signature.v1")
    body = oci.encode(referrer)
    descriptor = {"mediaType": oci.MANIFEST_MEDIA_TYPE, "digest": "sha256:" + hashlib.sha256(body).hexdigest(),
                  "size": len(body), "artifactType": "application/vnd.agentops.signature.v1"}
    client.push_referrer("agents/a", body, descriptor, subject)
    client.push_referrer("agents/a", body, descriptor, subject)  # listed once, however often pushed
    assert client.referrers("agents/a", subject) == [descriptor]
    assert oci.fallback_tag(subject[7:]) in client.tags("agents/a")


def test_basic_auth_follows_the_challenge(tmp_path, monkeypatch):
    with DockerRegistry(tmp_path / "auth", htpasswd=(USER, PASSWORD)) as registry:
        with pytest.raises(AuthenticationRequired, match="requires a login"):
            _client(registry).tags("agents/a")
        client = _client(registry, oci_username=USER, oci_password=PASSWORD)
        assert client.tags("agents/a") is None
        client.ping()
        wrong = _client(registry, oci_username=USER, oci_password="wrong")
        with pytest.raises(AuthenticationRequired, match=r"refused the credentials of reader \(from AGENTOPS_OCI"):
            wrong.ping()


def test_docker_config_auths_and_credential_helpers(tmp_path, monkeypatch):
    folder = tmp_path / "docker"
    folder.mkdir()
    auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (folder / "config.json").write_text(json.dumps({"auths": {"https://reg.example:5000": {"auth": auth}}}))
    found = docker_credentials("reg.example:5000", str(folder))
    assert (found.username, found.password) == (USER, PASSWORD)
    assert docker_credentials("other.example", str(folder)) is None

    helper = tmp_path / "bin" / "docker-credential-fake"
    helper.parent.mkdir()
    helper.write_text("#!/bin/sh\nread host\n[ \"$1\" = get ] && [ \"$host\" = reg.example:5000 ] && "
                      "echo '{\"Username\": \"from-helper\", \"Secret\": \"helped\"}' && exit 0\n"
                      "echo 'credentials not found in native keychain'; exit 1\n")
    helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{helper.parent}{os.pathsep}{os.environ['PATH']}")
    (folder / "config.json").write_text(json.dumps({"credHelpers": {"reg.example:5000": "fake"}}))
    found = docker_credentials("reg.example:5000", str(folder))
    assert (found.username, found.password, found.source) == ("from-helper", "helped", "docker-credential-fake")
    (folder / "config.json").write_text(json.dumps({"credsStore": "fake"}))
    assert docker_credentials("reg.example:5000", str(folder)).username == "from-helper"
    assert docker_credentials("other.example", str(folder)) is None  # the helper has nothing for it
    (folder / "config.json").write_text(json.dumps({"credsStore": "missing"}))
    with pytest.raises(RegistryError, match="docker-credential-missing .* which is not installed"):
        docker_credentials("reg.example:5000", str(folder))
    (folder / "config.json").write_text(json.dumps({"auths": {"reg.example:5000": {"auth": "%%%"}}}))
    with pytest.raises(RegistryError, match="is not base64 of USER:PASSWORD"):
        docker_credentials("reg.example:5000", str(folder))


def test_docker_config_logs_in_to_a_real_registry(tmp_path):
    with DockerRegistry(tmp_path / "auth", htpasswd=(USER, PASSWORD)) as registry:
        folder = tmp_path / "docker"
        folder.mkdir()
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        (folder / "config.json").write_text(json.dumps({"auths": {registry.host: {"auth": auth}}}))
        _client(registry, docker_config=str(folder)).ping()


@pytest.mark.parametrize(("header", "expected"), [
    ('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull,push"',
     ("bearer", {"realm": "https://auth.example/token", "service": "registry.example",
                 "scope": "repository:a/b:pull,push"})),
    ('Basic realm="agentpack-tests"', ("basic", {"realm": "agentpack-tests"})),
    ('Bearer realm=https://auth.example/token, service=reg', ("bearer", {"realm": "https://auth.example/token",
                                                                         "service": "reg"})),
    ("", ("", {})),
])
def test_challenges_are_parsed(header, expected):
    assert parse_challenge(header) == expected


def test_a_token_service_over_http_is_refused_for_an_https_registry():
    client = OciClient("https", "reg.example", RegistryOptions(), "oci://reg.example/agents")
    client.auth._challenge = {"realm": "http://auth.example/token", "service": "reg"}
    with pytest.raises(RegistryError, match="not an https:// URL"):
        client.auth._token("repository:agents/a:pull")


def test_requests_side_by_side_meet_the_first_basic_challenge_together_and_answer_it_once(tmp_path):
    from agentpack.adapters.background import Background

    with DockerRegistry(tmp_path / "auth", htpasswd=(USER, PASSWORD)) as registry:
        client = _client(registry, oci_username=USER, oci_password=PASSWORD)
        blobs = [os.urandom(100) for _ in range(8)]
        # The first requests of this client, refused at once: one answers the challenge, the others
        # find its header in place (a second answer would take it for refused credentials).
        pushed = Background().run_all([lambda b=b: client.push_blob("agents/a", b) for b in blobs])
        assert [p["pushed"] for p in pushed] == [True] * 8
        assert [client.fetch_blob("agents/a", p["digest"], 100, "the blob") for p in pushed] == blobs


def test_referrers_through_the_api_where_the_registry_has_it():
    from referrers_registry import ReferrersRegistry

    with ReferrersRegistry() as registry:
        client = OciClient("http", registry.host, RegistryOptions(backoff=0.01), registry.url())
        subject_body = _subject(client)
        subject = "sha256:" + hashlib.sha256(subject_body).hexdigest()
        assert client.referrers("agents/a", subject) == [] and client.referrers_api is True
        signature = oci.encode({"key": "k" * 64, "signature": "c2ln"})
        client.push_blob("agents/a", oci.EMPTY_CONFIG)
        client.push_blob("agents/a", signature)
        artifact = oci.signature_manifest(signature, "k" * 64, subject_body)
        body = oci.encode(artifact)
        descriptor = oci.referrer_descriptor(body, artifact)
        client.push_referrer("agents/a", body, descriptor, subject)
        # The registry indexed it (OCI-Subject): no fallback tag is written, and the API lists it.
        assert client.tags("agents/a") == ["1.0.0"]
        assert client.referrers("agents/a", subject) == [descriptor]
        assert descriptor["artifactType"] == oci.SIGNATURE_ARTIFACT_TYPE
        assert descriptor["annotations"] == {oci.SIGNATURE_KEY_ANNOTATION: "k" * 64}
        assert not [path for method, path in registry.requests if "sha256-" in path]


def test_without_the_api_only_the_fallback_tag_is_asked_and_only_when_listed(registry):
    with FrontProxy(registry) as proxy:
        client = OciClient("http", proxy.host, RegistryOptions(backoff=0.01), proxy.url())
        subject_body = _subject(client)
        subject = "sha256:" + hashlib.sha256(subject_body).hexdigest()
        assert client.referrers("agents/a", subject, tags=["1.0.0"]) == []
        assert client.referrers_api is False
        assert client.referrers("agents/a", subject, tags=["1.0.0"]) == []
        asked = [path for method, path, _ in proxy.requests if "referrers" in path or "sha256-" in path]
        assert asked == [f"/v2/agents/a/referrers/{subject}"]  # once; and no fallback tag that is not listed


def _subject(client) -> bytes:
    config = client.push_blob("agents/a", b"{}")
    layer = client.push_blob("agents/a", b"signed")
    body = oci.encode(oci.catalog_manifest(oci.descriptor(oci.EMPTY_MEDIA_TYPE, config["digest"][7:], 2),
                                           oci.descriptor(oci.CATALOG_MEDIA_TYPE, layer["digest"][7:], 6)))
    client.put_manifest("agents/a", "1.0.0", body)
    return body
