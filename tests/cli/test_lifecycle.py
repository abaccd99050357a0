"""The seed's story through the real `agentops` command: build, publish, install, list, and the
verbs around them (tree, info, search, outdated, update, uninstall)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import yaml

from conftest import EXAMPLES, write_package


def test_seed_story_end_to_end(agentops, tmp_path):
    agentops.publish_examples()
    sales = tmp_path / "sales"
    sales.mkdir()
    agentops("package", "install", "customer-service@^1.2.0", cwd=sales)
    today = datetime.now(UTC).date().isoformat()
    assert agentops("package", "list", cwd=sales).lines == [
        f"customer-service@1.2.0 (installed {today})",
        f"communication-patterns@1.5.3 (installed {today}, dependency)",
        f"core-workflow@2.1.0 (installed {today}, dependency)",
    ]
    # Files land byte for byte under the documented folders.
    source = EXAMPLES / "customer-service" / "agents" / "handle-inquiry.md"
    assert (sales / "agents" / "customer-service" / "handle-inquiry.md").read_bytes() == source.read_bytes()
    assert (sales / "docs" / "packages" / "customer-service" / "README.md").exists()
    # Configuration is written as the effective (layered) tree, one file per config name.
    assert (sales / "config" / "customer-service" / "escalation_thresholds.yaml").exists()
    assert (sales / "agents" / "core-workflow").is_dir()
    assert "customer-service: ^1.2.0" in (sales / "agentops.yaml").read_text()
    lock = json.loads((sales / "agentops.lock").read_text())
    assert sorted(lock["packages"]) == ["communication-patterns", "core-workflow", "customer-service"]
    assert all(len(p["sha256"]) == 64 and p["files"] for p in lock["packages"].values())
    listed = json.loads(agentops("package", "list", "--json", cwd=sales).out)
    assert {p["name"]: p["direct"] for p in listed} == {
        "customer-service": True, "communication-patterns": False, "core-workflow": False}
    assert all(datetime.fromisoformat(p["installed_at"].replace("Z", "+00:00")) for p in listed)


def test_install_again_is_a_no_op_and_lock_is_deterministic(agentops, tmp_path):
    agentops.publish_examples()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    agentops("package", "install", "customer-service", cwd=a)
    agentops("package", "install", "customer-service", cwd=b)
    assert (a / "agentops.lock").read_bytes() == (b / "agentops.lock").read_bytes()
    before = (a / "agentops.lock").read_bytes()
    run = agentops("package", "install", cwd=a)
    assert "Up to date" in run.out
    assert (a / "agentops.lock").read_bytes() == before


def test_name_without_range_records_caret(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=tmp_path)
    assert "core-workflow: ^2.1.0" in (tmp_path / "agentops.yaml").read_text()


def test_rewriting_agentops_yaml_keeps_comments_and_order(agentops, tmp_path):
    agentops.publish_examples()
    (tmp_path / "agentops.yaml").write_text(
        "# our workspace\npackages:\n  # the base workflow\n  core-workflow: ^2.0.0  # pinned major\n"
    )
    agentops("package", "install", "communication-patterns@~1.5.0", cwd=tmp_path)
    text = (tmp_path / "agentops.yaml").read_text()
    assert text.startswith("# our workspace\n")
    assert "# the base workflow" in text and "# pinned major" in text
    assert text.index("core-workflow") < text.index("communication-patterns: ~1.5.0")


def test_tree_info_search(agentops, tmp_path):
    agentops.publish_examples()
    agentops("package", "install", "customer-service", cwd=tmp_path)
    tree = agentops("package", "tree", cwd=tmp_path).out
    assert "└── customer-service@1.2.0" in tree and "core-workflow@2.1.0" in tree
    info = json.loads(agentops("package", "info", "customer-service@^1", "--json").out)
    assert info["name"] == "customer-service" and info["version"] == "1.2.0"
    assert info["versions"] == ["1.2.0"]
    assert info["dependencies"] == {"core-workflow": "^2.0.0", "communication-patterns": "^1.5.0"}
    assert info["components"]["agents"] == 4 and len(info["sha256"]) == 64
    assert info["description"]
    lines = agentops("package", "search", "customer").lines
    assert lines == ["customer-service (1.2.0) - 4 agents, 3 workflows"]
    rows = json.loads(agentops("package", "search", "", "--json").out)
    assert [r["name"] for r in rows] == ["communication-patterns", "core-workflow", "customer-service"]
    assert {"name", "latest", "description", "components"} <= set(rows[0])


def test_update_outdated_and_uninstall(agentops, tmp_path):
    reg_src = tmp_path / "pkgs"
    for version in ("1.0.0", "1.1.0"):
        folder = write_package(reg_src, "base", version)
        agentops.publish_folder(folder)
    app = write_package(reg_src, "app", "1.0.0", deps=("base@^1.0.0",))
    agentops.publish_folder(app)
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages:\n  app: ^1.0.0\noverrides:\n  base: 1.0.0\n")
    agentops("package", "install", cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["base"]["version"] == "1.0.0"
    # Drop the override: the lock still pins 1.0.0 until an update.
    (ws / "agentops.yaml").write_text("packages:\n  app: ^1.0.0\n")
    agentops("package", "install", cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["base"]["version"] == "1.0.0"
    rows = json.loads(agentops("package", "outdated", "--json", cwd=ws).out)
    assert rows == [{"name": "base", "current": "1.0.0", "wanted": "1.1.0", "latest": "1.1.0", "direct": False,
                     "yanked": None}]
    agentops("package", "update", "base", cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"]["base"]["version"] == "1.1.0"
    assert "up to date" in agentops("package", "outdated", cwd=ws).out
    agentops("package", "uninstall", "app", cwd=ws)
    assert json.loads((ws / "agentops.lock").read_text())["packages"] == {}
    assert not (ws / "agents").exists()
    assert agentops("package", "list", "--json", cwd=ws).out.strip() == "[]"


def test_uninstall_refuses_a_transitive_package(agentops, tmp_path):
    agentops.publish_examples()
    agentops("package", "install", "customer-service", cwd=tmp_path)
    run = agentops("package", "uninstall", "core-workflow", cwd=tmp_path, expect=2)
    assert "required by customer-service" in run.err


def test_install_from_archive_path(agentops, tmp_path):
    agentops.publish_examples("core-workflow", "communication-patterns")
    archive = agentops("package", "build", EXAMPLES / "customer-service", "-o", tmp_path / "dist").lines[-1]
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", archive, cwd=ws)
    recorded = yaml.safe_load((ws / "agentops.yaml").read_text())["packages"]
    assert recorded == {"customer-service": "file:../dist/customer-service-1.2.0.tar.gz"}
    lock = json.loads((ws / "agentops.lock").read_text())
    assert lock["packages"]["customer-service"]["source"] == "file:../dist/customer-service-1.2.0.tar.gz"
    assert "Up to date" in agentops("package", "install", cwd=ws).out


def test_workspace_found_upwards_and_with_C(agentops, tmp_path):
    agentops.publish_examples("core-workflow")
    agentops("package", "install", "core-workflow", cwd=tmp_path)
    deep = tmp_path / "agents" / "core-workflow"
    assert agentops("package", "list", cwd=deep).lines[0].startswith("core-workflow@2.1.0")
    assert agentops("package", "list", "-C", tmp_path).lines[0].startswith("core-workflow@2.1.0")
    assert agentops("-C", str(tmp_path), "package", "tree").out.startswith(str(tmp_path))


def test_namespaced_package(agentops, tmp_path):
    folder = write_package(tmp_path / "src", "team/triage", "1.0.0")
    archive = agentops("package", "build", folder, "-o", tmp_path / "dist").lines[-1]
    assert archive.endswith("team-triage-1.0.0.tar.gz")
    agentops("package", "publish", archive)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "team/triage@^1.0.0", cwd=ws)
    assert agentops("package", "list", cwd=ws).lines[0].startswith("team/triage@1.0.0")
    assert (ws / "agents" / "team" / "triage" / "agent-0.md").is_file()
    assert yaml.safe_load((ws / "agentops.yaml").read_text()) == {"packages": {"team/triage": "^1.0.0"}}
