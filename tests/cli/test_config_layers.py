"""Adapting without forking, through the real command: configuration layers, the seed's local
overrides file verbatim, --explain, tier switches, --set, disabled and custom components; and no
typo in them (a tier, a --set key, a local config key, a custom file) accepted silently."""

from __future__ import annotations

import json

import yaml

from conftest import write_package

SEED_LOCAL = """\
# packages/customer-service.local.yaml
# Customizations for this specific deployment

config:
  # Override default escalation threshold
  escalation_threshold: $500

  # Add custom validation rules
  custom_validations:
    - require_satisfaction_check: true
    - enforce_follow_up: true

agents:
  # Add local agent
  custom_agents:
    - local/agents/vip-customer-handler.md

workflows:
  # Disable workflow not needed here
  disabled:
    - workflows/proactive-outreach.md
"""


def _workspace(agentops, tmp_path, *args):
    agentops.publish_examples()
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "customer-service", *args, cwd=ws)
    return ws


def _explain(agentops, ws, package="customer-service"):
    rows = json.loads(agentops("config", "show", package, "--explain", "--json", cwd=ws).out)
    return {".".join(map(str, row["path"])): row for row in rows}


def test_seed_local_overrides_file_works_verbatim(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    (ws / "packages").mkdir()
    (ws / "packages" / "customer-service.local.yaml").write_text(SEED_LOCAL)
    (ws / "local" / "agents").mkdir(parents=True)
    (ws / "local" / "agents" / "vip-customer-handler.md").write_text(
        "---\nname: vip-customer-handler\ndescription: Looks after our VIP customers\n---\n\nBe personal.\n")
    assert (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
    agentops("config", "apply", cwd=ws)
    assert not (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
    # "Override default escalation threshold": the key lands in the one config file that has it.
    assert sorted(p.name for p in (ws / "config" / "customer-service").iterdir()) == [
        "defaults.yaml", "escalation_thresholds.yaml", "validation_rules.yaml"]
    thresholds = yaml.safe_load((ws / "config" / "customer-service" / "escalation_thresholds.yaml").read_text())
    assert thresholds["escalation_threshold"] == "$500"
    effective = json.loads(agentops("config", "show", "customer-service", "--json", cwd=ws).out)
    assert effective["validation_rules"]["custom_validations"] == [
        {"require_satisfaction_check": True}, {"enforce_follow_up": True}]
    rows = _explain(agentops, ws)
    row = rows["escalation_thresholds.escalation_threshold"]
    assert row["layer"] == "local"
    assert row["source"] == "packages/customer-service.local.yaml"
    assert row["line"] == 6
    assert row["replaced"][0]["source"].endswith("config/escalation-thresholds.yaml")
    assert row["written_as"] == "config.escalation_threshold"
    assert "written_as" not in rows["defaults.model.primary"]
    text = agentops("config", "show", "customer-service", "--explain", cwd=ws).out
    assert "escalation_thresholds.escalation_threshold = '$500'  [local: packages/customer-service.local.yaml:6, " \
           "written as config.escalation_threshold]" in text
    index = (ws / "docs" / "packages" / "README.md").read_text()
    assert "vip-customer-handler (custom)" in index and "Looks after our VIP customers" in index
    assert "- workflows/proactive-outreach.md" in index  # listed as disabled here
    # Re-enabling re-installs the workflow.
    (ws / "packages" / "customer-service.local.yaml").write_text("config: {}\n")
    agentops("config", "apply", cwd=ws)
    assert (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
    thresholds = yaml.safe_load((ws / "config" / "customer-service" / "escalation_thresholds.yaml").read_text())
    assert thresholds["escalation_threshold"] == 250


def test_local_file_errors_name_file_and_line(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    (ws / "packages").mkdir()
    (ws / "packages" / "customer-service.local.yaml").write_text(
        "config: {}\nworkflows:\n  disabled:\n    - workflows/no-such-thing.md\nextras: 1\n")
    lock = (ws / "agentops.lock").read_bytes()
    run = agentops("config", "apply", cwd=ws, expect=1)
    assert "packages/customer-service.local.yaml:4" in run.err and "no-such-thing" in run.err
    assert "packages/customer-service.local.yaml:5" in run.err and "extras" in run.err
    assert (ws / "agentops.lock").read_bytes() == lock


def test_tier_switch_reapplies_config_and_components(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path, "--tier", "edge")
    defaults = ws / "config" / "customer-service" / "defaults.yaml"
    assert yaml.safe_load(defaults.read_text())["model"]["primary"] == "mistral-7b-instruct-q4"
    assert not (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()  # off at the edge
    rows = _explain(agentops, ws)
    assert rows["defaults.model.tier"]["layer"] == "tier:edge"
    agentops("package", "install", "--tier", "connected", cwd=ws)
    assert yaml.safe_load(defaults.read_text())["model"]["primary"] == "claude-sonnet-4"
    assert (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["tier"] == "connected"
    row = _explain(agentops, ws)["defaults.model.primary"]
    assert row["layer"] == "tier:connected" and row["source"].endswith("config/tiers/connected.yaml")
    assert row["replaced"][0]["value"] == "mistral-7b-instruct-q4"
    assert "Tier: connected" in (ws / "docs" / "packages" / "README.md").read_text()


def test_set_is_recorded_and_reproduced(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    agentops("config", "apply", "--set", "customer-service.defaults.currency=EUR", cwd=ws)
    assert yaml.safe_load((ws / "agentops.yaml").read_text())["config"] == {
        "customer-service": {"defaults": {"currency": "EUR"}}}
    assert yaml.safe_load((ws / "config" / "customer-service" / "defaults.yaml").read_text())["currency"] == "EUR"
    assert _explain(agentops, ws)["defaults.currency"]["layer"] == "set"
    # A fresh checkout of agentops.yaml + lock reproduces it.
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("agentops.yaml", "agentops.lock"):
        (clone / name).write_bytes((ws / name).read_bytes())
    agentops("package", "install", cwd=clone)
    assert (clone / "config" / "customer-service" / "defaults.yaml").read_bytes() == \
        (ws / "config" / "customer-service" / "defaults.yaml").read_bytes()


def test_dependents_override_their_dependencies(agentops, tmp_path):
    src = tmp_path / "src"
    base = write_package(src, "base", "1.0.0")
    (base / "config").mkdir()
    (base / "config" / "settings.yaml").write_text("retries: 3\nmode: strict\n")
    with open(base / "package.yaml", "a") as handle:
        handle.write("config:\n  settings: config/settings.yaml\n")
    app = write_package(src, "app", "1.0.0", deps=("base@^1.0.0",))
    with open(app / "package.yaml", "a") as handle:
        handle.write("overrides:\n  base:\n    settings:\n      retries: 5\n      mode: null\n")
    for folder in (base, app):
        agentops.publish_folder(folder)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "app", cwd=ws)
    assert yaml.safe_load((ws / "config" / "base" / "settings.yaml").read_text()) == {"retries": 5}
    row = _explain(agentops, ws, "base")["settings.retries"]
    assert row["layer"] == "dependents" and row["source"].startswith("app@1.0.0")


def test_custom_and_disabled_survive_other_packages_changes(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    src = tmp_path / "src"
    other = write_package(src, "other", "1.0.0")
    agentops.publish_folder(other)
    (ws / "packages").mkdir()
    (ws / "packages" / "customer-service.local.yaml").write_text(SEED_LOCAL)
    custom = ws / "local" / "agents" / "vip-customer-handler.md"
    custom.parent.mkdir(parents=True)
    custom.write_text("---\nname: vip\ndescription: VIP\n---\n")
    agentops("package", "install", "other", cwd=ws)
    agentops("package", "uninstall", "other", cwd=ws)
    agentops("package", "update", cwd=ws)
    assert custom.read_text().startswith("---\nname: vip")
    assert not (ws / "workflows" / "customer-service" / "proactive-outreach.md").exists()
    assert "vip (custom)" in (ws / "docs" / "packages" / "README.md").read_text()


def test_edited_generated_config_is_not_overwritten(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    defaults = ws / "config" / "customer-service" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "mine: true\n")
    run = agentops("config", "apply", "--set", "customer-service.defaults.currency=EUR", cwd=ws, expect=1)
    assert "config/customer-service/defaults.yaml" in run.err and "local.yaml" in run.err
    assert "mine: true" in defaults.read_text()


def test_no_op_install_notices_a_deleted_generated_file(agentops, tmp_path):
    ws = _workspace(agentops, tmp_path)
    defaults = ws / "config" / "customer-service" / "defaults.yaml"
    before = defaults.read_bytes()
    assert "Up to date" in agentops("package", "install", cwd=ws).out
    defaults.unlink()
    agentops("config", "apply", cwd=ws)
    assert defaults.read_bytes() == before
    assert "Up to date" in agentops("config", "apply", cwd=ws).out


# -- typos are refused, with the nearest names ------------------------------------------------

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
