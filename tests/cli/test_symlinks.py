"""Nothing agentops writes is written through a symbolic link.

A workspace or a registry may come from anywhere (a cloned repository, an unpacked archive, a
shared drive), so a link planted at any folder or file agentops writes below its root (.agentops/,
its lock, the transaction's staging area, installed folders, agentops.yaml / agentops.lock, a
registry's .lock, blobs/ and index/, the download cache, key folders and trust stores, build output)
is refused with an error naming the link, and whatever the link points to stays untouched. Links at
or above a root (a workspace reached through a linked home folder, `-o` naming a linked folder) are
the user's choice and are followed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import KEY_ENV, write_package


@pytest.fixture
def outside(tmp_path) -> Path:
    """Where every planted link points (a folder outside every root); see ``tree``."""
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under ``folder`` with its bytes (None for a folder), to prove nothing changed."""
    return {p.relative_to(folder).as_posix(): None if p.is_dir() else p.read_bytes()
            for p in sorted(folder.rglob("*"))}


def plant(base: Path, rel: str, outside: Path, kind: str) -> Path:
    """Make ``base/rel`` a symbolic link into ``outside``: to what was there, moved out ("moved",
    what a user's own link looks like); to an empty folder ("dir"); to a file ("file"); to a file
    that does not exist ("dangling"). Parent folders are created."""
    link = base / rel
    link.parent.mkdir(parents=True, exist_ok=True)
    target = outside / f"{len(os.listdir(outside))}-{link.name}"
    if kind == "moved":
        shutil.move(link, target)
    elif kind == "dir":
        if link.is_dir():
            shutil.rmtree(link)
        target.mkdir()
    else:
        if link.is_file() or link.is_symlink():
            link.unlink()
        if kind == "file":
            target.write_bytes(b"precious\n")
    os.symlink(target, link)
    return link


def refused(run, link: Path) -> None:
    assert run.code == 1, run
    assert f"{link} is a symbolic link" in run.err, run.err
    assert f"remove the link {link}" in run.err, run.err


@pytest.fixture
def demo(agentops, tmp_path):
    """`demo` 1.0.0 and 2.0.0 (every file differs) published to the default registry."""
    for version in ("1.0.0", "2.0.0"):
        agentops.publish_folder(write_package(tmp_path / "src", "demo", version, body=f"Body of {version}."))
    return agentops


WORKSPACE_LINKS = [
    (".agentops", "dir"),
    (".agentops/lock", "file"),
    (".agentops/lock", "dangling"),
    (".agentops/txn", "dir"),
    (".agentops/installed", "file"),
    (".agentops/installed", "dangling"),
    (".agentops/packages", "dir"),
    ("agents", "dir"),
    ("agents/demo", "dir"),
    ("agents/demo/agent-0.md", "dangling"),
    ("docs", "dir"),
    ("docs/packages", "dir"),
    ("docs/packages/README.md", "dangling"),
    ("agentops.yaml", "dangling"),
    ("agentops.lock", "dangling"),
    (".gitignore", "file"),
    (".gitignore", "dangling"),
]


@pytest.mark.parametrize(("rel", "kind"), WORKSPACE_LINKS)
def test_first_install_refuses_a_link_in_the_workspace(demo, tmp_path, outside, rel, kind):
    ws = tmp_path / "ws"
    link = plant(ws, rel, outside, kind)
    before = tree(outside)
    refused(demo("package", "install", "demo@1.0.0", cwd=ws, expect=None), link)
    assert tree(outside) == before and link.is_symlink()
    assert not (ws / "agentops.yaml").exists() or (ws / "agentops.yaml").is_symlink()


@pytest.mark.parametrize(("rel", "kind"), [
    (".agentops", "moved"), (".agentops/lock", "moved"), (".agentops/installed", "moved"),
    (".agentops/synced", "moved"), (".agentops/packages", "moved"), ("agents", "moved"), ("agents/demo", "moved"),
    ("agents/demo/agent-0.md", "moved"), ("agentops.yaml", "moved"), ("agentops.lock", "moved"),
    ("docs/packages", "moved"), ("docs/packages/README.md", "moved"),
])
def test_upgrade_refuses_a_link_in_an_installed_workspace(demo, tmp_path, outside, rel, kind):
    ws = tmp_path / "ws"
    ws.mkdir()
    demo("package", "install", "demo@1.0.0", cwd=ws)
    link = plant(ws, rel, outside, kind)
    before = tree(outside)
    refused(demo("package", "install", "demo@2.0.0", "--force", cwd=ws, expect=None), link)
    assert tree(outside) == before


def test_force_refuses_a_linked_backup_folder(demo, tmp_path, outside):
    ws = tmp_path / "ws"
    ws.mkdir()
    demo("package", "install", "demo@1.0.0", cwd=ws)
    (ws / "agents" / "demo" / "agent-0.md").write_text("my own edit\n")
    link = plant(ws, ".agentops/backup", outside, "dir")
    refused(demo("package", "install", "demo@2.0.0", "--force", cwd=ws, expect=None), link)
    assert tree(outside) == {link.resolve().name: None}
    assert (ws / "agents" / "demo" / "agent-0.md").read_text() == "my own edit\n"


def test_a_workspace_reached_through_a_link_is_fine(demo, tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    demo("-C", tmp_path / "alias", "package", "install", "demo@1.0.0")
    assert (real / "agents" / "demo" / "agent-0.md").is_file()


@pytest.mark.parametrize(("rel", "kind"), [
    (".lock", "moved"), (".lock", "file"), (".lock", "dangling"), ("blobs", "moved"), ("blobs/sha256", "moved"),
    ("index", "moved"), ("index/demo.json", "moved"), ("catalog.json", "moved"),
])
def test_publish_refuses_a_link_in_the_registry(demo, tmp_path, outside, rel, kind):
    link = plant(demo.default_registry, rel, outside, kind)
    before = tree(outside)
    archive = demo.build_folder(write_package(tmp_path / "src", "demo", "3.0.0"))
    refused(demo("package", "publish", archive, expect=None), link)
    assert tree(outside) == before


def test_a_registry_reached_through_a_link_is_fine(agentops, tmp_path):
    real = tmp_path / "real-registry"
    real.mkdir()
    os.symlink(real, tmp_path / "registry")
    archive = agentops.build_folder(write_package(tmp_path / "src", "demo", "1.0.0"))
    agentops("package", "publish", archive, "--registry", tmp_path / "registry")
    assert (real / "index" / "demo.json").is_file()


@pytest.mark.parametrize("rel", ["blobs", "blobs/sha256", "index"])
def test_install_refuses_a_link_in_the_download_cache(demo, tmp_path, outside, rel):
    link = plant(demo.home / "cache" / "agentpack", rel, outside, "dir")
    ws = tmp_path / "ws"
    ws.mkdir()
    refused(demo("package", "install", "demo@1.0.0", cwd=ws, expect=None), link)
    assert tree(outside) == {link.resolve().name: None}
    assert os.listdir(ws) == []


def test_key_generate_refuses_a_linked_keys_folder(agentops, outside):
    link = plant(agentops.home / "data" / "agentpack", "keys", outside, "dir")
    refused(agentops("key", "generate", "alice", env={"AGENTOPS_KEY_PASSPHRASE": "pw"}, expect=None), link)
    assert tree(outside) == {link.resolve().name: None}


def test_key_generate_follows_a_linked_out_folder_the_user_names(agentops, tmp_path):
    real = tmp_path / "real-keys"
    real.mkdir()
    os.symlink(real, tmp_path / "keys")
    agentops("key", "generate", "alice", "--out", tmp_path / "keys", env={"AGENTOPS_KEY_PASSPHRASE": "pw"})
    assert sorted(os.listdir(real)) == ["alice.key", "alice.pub"]


@pytest.mark.parametrize(("store", "rel"), [("user", "trust"), ("workspace", ".agentops-trust")])
def test_trust_add_refuses_a_linked_trust_store(agentops, tmp_path, outside, store, rel):
    pub = agentops.generate_key("ops")["public_key"]
    ws = tmp_path / "ws"
    ws.mkdir()
    link = plant(agentops.home / "data" / "agentpack" if store == "user" else ws, rel, outside, "dir")
    extra = ("--workspace",) if store == "workspace" else ()
    refused(agentops("trust", "add", pub, *extra, cwd=ws, expect=None), link)
    assert tree(outside) == {link.resolve().name: None}


@pytest.mark.parametrize("suffix", ["", ".sha256", ".sig"])
def test_build_refuses_a_linked_output_file(agentops, tmp_path, outside, suffix):
    agentops.generate_key("alice")
    link = plant(tmp_path / "dist", "demo-1.0.0.tar.gz" + suffix, outside, "file")
    before = tree(outside)
    run = agentops("package", "build", write_package(tmp_path / "src", "demo", "1.0.0"), "-o", tmp_path / "dist",
                   "--sign", "alice", env=KEY_ENV, expect=None)
    refused(run, link)
    assert tree(outside) == before


def test_build_into_a_linked_output_folder_the_user_names(agentops, tmp_path):
    real = tmp_path / "real-dist"
    real.mkdir()
    os.symlink(real, tmp_path / "dist")
    agentops("package", "build", write_package(tmp_path / "src", "demo", "1.0.0"), "-o", tmp_path / "dist")
    assert (real / "demo-1.0.0.tar.gz").is_file()


@pytest.mark.parametrize("suffix", ["", ".sha256"])
def test_bundle_collect_refuses_a_linked_output_file(demo, tmp_path, outside, suffix):
    link = plant(tmp_path / "out", "demo.bundle" + suffix, outside, "file")
    before = tree(outside)
    refused(demo("bundle", "collect", "demo@1.0.0", "-o", tmp_path / "out" / "demo.bundle", expect=None), link)
    assert tree(outside) == before


@pytest.mark.parametrize("where", ["workspace", "registry"])
def test_a_hard_linked_lock_file_is_refused(demo, tmp_path, outside, where):
    victim = outside / "victim"
    victim.write_bytes(b"precious\n")
    if where == "workspace":
        lock = tmp_path / "ws" / ".agentops" / "lock"
        lock.parent.mkdir(parents=True)
        os.link(victim, lock)
        run = demo("package", "install", "demo@1.0.0", cwd=tmp_path / "ws", expect=None)
    else:
        lock = demo.default_registry / ".lock"
        lock.unlink()
        os.link(victim, lock)
        run = demo("package", "publish", demo.build_folder(write_package(tmp_path / "src", "demo", "3.0.0")),
                   expect=None)
    assert run.code == 1 and f"lock file {lock} has other hard links" in run.err, run
    assert victim.read_bytes() == b"precious\n"


@pytest.mark.parametrize("rel", ["agents", "docs", "config"])
def test_package_init_refuses_a_linked_folder(agentops, tmp_path, outside, rel):
    folder = tmp_path / "pkg"
    folder.mkdir()
    plant(folder, rel, outside, "dir")
    before = tree(outside)
    run = agentops("package", "init", folder, expect=1)
    assert rel in run.err
    assert tree(outside) == before
