"""The tier reaches the registry server: `registry serve --classification LEVEL` (or
AGENTPACK_CLASSIFICATION, which the Helm chart sets from the tier's global.classification) is the
highest level the registry may hold."""

from __future__ import annotations

import httpx

from conftest import write_package
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)


def test_the_sites_level_bounds_what_the_registry_holds(agentops, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    agentops("registry", "team", "create", "ops", "--classification", "secret", "--data", data)
    secret = agentops("registry", "token", "create", "--team", "ops", "--role", "publish", "--clearance", "secret",
                      "--data", data).out.strip()
    env = {**agentops.env, "AGENTPACK_CLASSIFICATION": "cui", "AGENTPACK_TIER": "datacenter"}
    with RegistryService(data, env) as server:
        assert httpx.get(server.url + "registry.json").json()["classification"] == "cui"
        for version, level, code in (("1.0.0", "cui", 0), ("1.1.0", "secret", 1)):
            folder = write_package(tmp_path / "src" / version, "ops/triage", version)
            manifest = folder / "package.yaml"
            manifest.write_text(manifest.read_text() + f"classification: {level}\n")
            run = agentops("package", "publish", agentops.build_folder(folder), "--registry", server.url,
                           env={"AGENTOPS_TOKEN": secret}, expect=code)
        assert "above the level 'cui' of registry" in run.err  # the client reads registry.json first
        answer = httpx.post(server.url + "api/v1/packages", content=agentops.build_folder(folder).read_bytes(),
                            headers={"Authorization": f"Bearer {secret}"}, timeout=60)  # and the server holds too
        assert answer.status_code == 403 and "above this registry's level 'cui'" in answer.json()["message"]
        assert list(httpx.get(server.url + "index/ops/triage.json",
                              headers={"Authorization": f"Bearer {secret}"}).json()["versions"]) == ["1.0.0"]
        start = next(e for e in server.log() if e.get("event") == "start")
        assert (start["tier"], start["classification"]) == ("datacenter", "cui")
    bad = agentops("registry", "serve", "--data", data, "--port", "0", env={"AGENTPACK_CLASSIFICATION": "cosmic"},
                   expect=2)
    assert "AGENTPACK_CLASSIFICATION" in bad.err and "cosmic" in bad.err
