"""docs/packages/README.md is regenerated on install/update/uninstall, deterministically, and a
user's edit to it is never overwritten silently."""

from __future__ import annotations

from conftest import write_package


def test_index_lists_packages_and_components(agentops, tmp_path):
    agentops.publish_examples()
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    agentops("package", "install", "customer-service", cwd=a)
    agentops("package", "install", "customer-service", cwd=b)
    index = (a / "docs" / "packages" / "README.md").read_text()
    assert index == (b / "docs" / "packages" / "README.md").read_text()  # no timestamps
    assert "## customer-service 1.2.0" in index and "- Source: registry (direct)" in index
    assert "## core-workflow 2.1.0" in index and "(dependency)" in index
    assert "- [handle-inquiry](../../agents/customer-service/handle-inquiry.md) — " in index
    assert "### Workflows" in index and "### Patterns" in index


def test_index_follows_uninstall_and_protects_edits(agentops, tmp_path):
    src = tmp_path / "src"
    for name in ("alpha", "beta"):
        agentops.publish_folder(write_package(src, name, "1.0.0"))
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "alpha", "beta", cwd=ws)
    index = ws / "docs" / "packages" / "README.md"
    assert "## alpha 1.0.0" in index.read_text() and "## beta 1.0.0" in index.read_text()
    agentops("package", "uninstall", "beta", cwd=ws)
    assert "## beta" not in index.read_text()
    assert not (ws / ".agentops" / "packages" / "beta.json").exists()
    index.write_text(index.read_text() + "\nmy notes\n")
    run = agentops("package", "uninstall", "alpha", cwd=ws, expect=1)
    assert "docs/packages/README.md" in run.err and "--force" in run.err
    assert "my notes" in index.read_text() and (ws / "agents" / "alpha").exists()
    agentops("package", "uninstall", "alpha", "--force", cwd=ws)
    assert "No packages are installed." in index.read_text()
