"""No typo in a workspace's adaptations is accepted silently: tiers, --set keys, local files."""

from __future__ import annotations

import json

import yaml

from conftest import write_package


def _workspace(agentops, tmp_path, *args):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "customer-service", *args, cwd=ws)
    return ws


def _local(ws, text):
    (ws / "packages").mkdir(exist_ok=True)
    (ws / "packages" / "customer-service.local.yaml").write_text(text)


def _unchanged(ws):
    return {name: (ws / name).read_bytes() for name in ("agentops.yaml", "agentops.lock")}


def test_unknown_tier_is_refused_listing_the_defined_ones(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    before = _unchanged(ws)
    run = agentops("config", "apply", "--tier", "edg", cwd=ws, expect=2)
    assert "--tier edg" in run.err and "did you mean edge" in run.err
    assert "connected, datacenter, edge" in run.err and "--allow-new-tier" in run.err
    run = agentops("package", "install", "--tier", "bogus", cwd=ws, expect=2)
    assert "connected, datacenter, edge" in run.err
    assert _unchanged(ws) == before
    agentops("config", "apply", "--tier", "bogus", "--allow-new-tier", cwd=ws)
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["tier"] == "bogus"


def test_install_with_a_tier_checks_the_packages_it_installs(agentops, tmp_path):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "customer-service", "--tier", "edg", cwd=ws, expect=2)
    assert "did you mean edge" in run.err
    assert not (ws / "agentops.yaml").exists() and not (ws / "agents").exists()
    agentops("package", "install", "customer-service", "--tier", "edge", cwd=ws)
    assert not (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()


def test_set_for_a_package_that_is_not_installed_is_refused(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    before = _unchanged(ws)
    run = agentops("config", "apply", "--set", "nosuchpkg.a=1", cwd=ws, expect=2)
    assert "nosuchpkg is not installed" in run.err and "customer-service" in run.err
    run = agentops("config", "apply", "--set", "customer-servce.defaults.currency=EUR", cwd=ws, expect=2)
    assert "did you mean customer-service" in run.err
    assert _unchanged(ws) == before


def test_set_of_a_key_that_does_not_exist_names_the_nearest(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    before = _unchanged(ws)
    run = agentops("config", "apply", "--set", "customer-service.nonexistent.key=1", cwd=ws, expect=2)
    assert "no config named 'nonexistent'" in run.err and "defaults" in run.err
    assert not (ws / "config" / "customer-service" / "nonexistent.yaml").exists()
    run = agentops("config", "apply", "--set", "customer-service.defaults.modle.primary=x", cwd=ws, expect=2)
    assert "defaults.modle" in run.err and "did you mean defaults.model" in run.err and "--set-new" in run.err
    assert _unchanged(ws) == before
    # --set-new creates a key inside an existing config file, never a new file.
    agentops("config", "apply", "--set", "customer-service.defaults.brand.name=Acme", "--set-new", cwd=ws)
    defaults = yaml.safe_load((ws / "config" / "customer-service" / "defaults.yaml").read_text())
    assert defaults["brand"] == {"name": "Acme"}
    agentops("config", "apply", "--set", "customer-service.nonexistent.key=1", "--set-new", cwd=ws, expect=2)
    # A key created with --set-new exists from then on.
    agentops("config", "apply", "--set", "customer-service.defaults.brand.name=Other", cwd=ws)


def test_local_config_key_that_names_nothing_is_an_error(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    _local(ws, "config:\n  defaults:\n    currency: EUR\n  escalaton_threshold: 1\n")
    run = agentops("config", "apply", cwd=ws, expect=1)
    assert "packages/customer-service.local.yaml:4" in run.err and "escalaton_threshold" in run.err
    assert "did you mean escalation_threshold" in run.err
    run = agentops("check", cwd=ws, expect=1)
    assert "packages/customer-service.local.yaml:4" in run.out + run.err
    assert not (ws / "config" / "customer-service" / "escalaton_threshold.yaml").exists()


def test_local_config_key_in_several_files_lists_the_candidates(agentops, tmp_path):
    src = tmp_path / "src"
    base = write_package(src, "base", "1.0.0")
    (base / "config").mkdir()
    (base / "config" / "a.yaml").write_text("retries: 3\n")
    (base / "config" / "b.yaml").write_text("retries: 1\nmode: strict\n")
    with open(base / "package.yaml", "a") as handle:
        handle.write("config:\n  a: config/a.yaml\n  b: config/b.yaml\n")
    agentops.publish_folder(base)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "base", cwd=ws)
    (ws / "packages").mkdir()
    (ws / "packages" / "base.local.yaml").write_text("config:\n  retries: 5\n")
    run = agentops("config", "apply", cwd=ws, expect=1)
    assert "packages/base.local.yaml:2" in run.err and "config.a.retries or config.b.retries" in run.err
    (ws / "packages" / "base.local.yaml").write_text("config:\n  mode: lax\n")
    agentops("config", "apply", cwd=ws)
    assert yaml.safe_load((ws / "config" / "base" / "b.yaml").read_text()) == {"retries": 1, "mode": "lax"}
    assert sorted(p.name for p in (ws / "config" / "base").iterdir()) == ["a.yaml", "b.yaml"]


def test_missing_custom_agent_fails_apply_and_check(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    _local(ws, "agents:\n  custom_agents:\n    - local/agents/vip.md\n")
    run = agentops("config", "apply", cwd=ws, expect=1)
    assert "packages/customer-service.local.yaml:3" in run.err and "local/agents/vip.md" in run.err
    run = agentops("check", cwd=ws, expect=1)
    assert "packages/customer-service.local.yaml:3" in run.out + run.err
    assert "local/agents/vip.md" in run.out + run.err and "passed" not in run.out
    report = json.loads(agentops("check", "--json", cwd=ws, expect=1).out)
    assert any(v["file"] == "packages/customer-service.local.yaml" and v["line"] == 3
               for v in report["violations"])


def test_empty_sections_in_a_local_file_mean_nothing(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    _local(ws, "config:\nagents:\nworkflows:\n  disabled:\npatterns:\n  custom_patterns:\n")
    agentops("config", "apply", cwd=ws)
    agentops("check", cwd=ws)
    assert (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
