"""Install benchmarks through the real `agentops` command.

Every target is a ratio against a reference measured in the same run, the runs of the two taken
in turn so that a change in the machine's load falls on both:

1. 20 packages x 20 Markdown files from a local registry into an empty workspace, cold cache,
   beside `tar xzf` of the same 20 archives into fresh folders (target <= 1.5 x);
2. the same install again with nothing changed, beside `python -c pass` run by the same
   interpreter as the command (target <= 2 x);
3. `config apply` with nothing changed over 100 installed packages, beside `python -c pass`
   (target <= 2 x);
4. 200 packages x 50 files from a cold cache, beside `tar xzf` of the same 200 archives
   (target <= 1.5 x).

Every cold run, of either command, writes into folders of its own that no earlier run used, and
nothing is deleted until all runs are done. On ext4 without a journal (this machine's disk), a file
created within a minute or so of many deletions costs much more: the allocator scans past every
inode freed in that time, one cache lookup each. Emptying the last run's 400 files before each run
made each command pay for the other's deletions, in proportions that changed from one run to the
next (1.2 x to 2.2 x for the same code). Where /dev/shm exists, (1) is measured there again, for
information: the same comparison with file creation nearly free, which is the command's own cost
beside tar's.

Run: .venv/bin/python bench/bench_install.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from common import (
    PYTHON_PASS,
    Command,
    agentops,
    compile_sources,
    in_new_folders,
    publish_folder,
    report,
    summary,
    time_command,
    time_side_by_side,
)


def make_registry(root: Path, packages: int, files: int, bodies: list[bytes] | None = None) -> tuple[Path, list[Path]]:
    """Publish ``packages`` packages of ``files`` agent files each (the first depends on the rest).

    Each file is a short, very repetitive agent; with ``bodies``, file j of package i is instead
    ``bodies[(i * files + j) % len(bodies)]`` (real agent files, for realistic sizes).
    """
    registry = root / "registry"
    archives = []
    body = ("Follow the escalation policy, keep the customer informed, and record every decision.\n" * 24)
    for i in range(packages):
        folder = root / "src" / f"pkg-{i}"
        (folder / "agents").mkdir(parents=True)
        (folder / "docs").mkdir()
        (folder / "README.md").write_text(f"# pkg-{i}\n")
        (folder / "docs" / "getting-started.md").write_text("# Start\n")
        names = [f"agents/agent-{j}.md" for j in range(files)]
        for j, rel in enumerate(names):
            if bodies:
                (folder / rel).write_bytes(bodies[(i * files + j) % len(bodies)])
            else:
                (folder / rel).write_text(f"---\nname: agent-{j}\ndescription: Agent {j}\n---\n\n{body}")
        deps = "".join(f"  - pkg-{k}@^1.0.0\n" for k in range(1, packages)) if i == 0 else ""
        (folder / "package.yaml").write_text(
            f"name: pkg-{i}\nversion: 1.0.0\ndescription: bench\nauthor: bench\nlicense: MIT\n"
            + (f"dependencies:\n{deps}" if deps else "")
            + "agents:\n" + "".join(f"  - {n}\n" for n in names)
            + "documentation:\n  getting_started: docs/getting-started.md\n"
        )
        archives.append(publish_folder(folder, registry, root / "dist"))
    return registry, archives


def first_installs(root: Path, manifest: str, env: dict, options: tuple[str, ...] = ()) -> Command:
    """`agentops package install [options]` into a new workspace asking for ``manifest``, with an
    empty download cache and state folder, for every run (made untimed under ``root`` and deleted
    with it: see the module docstring). After the runs, ``cwd`` and ``env`` are the last run's, an
    installed workspace."""
    def workspace(folder: Path) -> None:
        (folder / "ws").mkdir()
        (folder / "ws" / "agentops.yaml").write_text(manifest)

    return in_new_folders(root, [*agentops(), "package", "install", *options], "{folder}/ws",
                          {**env, "XDG_CACHE_HOME": "{folder}/cache", "XDG_STATE_HOME": "{folder}/state"},
                          workspace)


def tar_xzf(archives: list[Path], root: Path) -> Command:
    """The reference for a first install: `tar xzf` of each archive, one process per archive, each
    into a new folder under ``root`` for every run (made untimed)."""
    script = "set -e; i=0; for a in " + " ".join(map(str, archives)) + \
        '; do i=$((i+1)); mkdir -p {folder}/$i; tar xzf "$a" -C {folder}/$i; done'
    return in_new_folders(root, ["bash", "-c", script])


MANIFEST_20 = "packages:\n" + "".join(f"  pkg-{i}: ^1.0.0\n" for i in range(20))


def bench_small_in_memory(runs: int) -> None:
    """(1) again in a folder of /dev/shm, for information (see the module docstring)."""
    shm = Path("/dev/shm")
    if not shm.is_dir():
        print("(install 20 x 20 in memory: skipped, there is no /dev/shm)")
        return
    with tempfile.TemporaryDirectory(dir=shm) as name:
        tmp = Path(name)
        registry, archives = make_registry(tmp / "small", 20, 20)
        install = first_installs(tmp / "installs", MANIFEST_20, {"AGENTOPS_REGISTRY": str(registry)})
        cold, ref = time_side_by_side(install, tar_xzf(archives, tmp / "tar"), runs)
        report("  the same in /dev/shm (file creation nearly free)", cold, ref, "tar xzf (20 archives)")


def bench_small(tmp: Path, runs: int) -> bool:
    registry, archives = make_registry(tmp / "small", 20, 20)
    install = first_installs(tmp / "installs-small", MANIFEST_20, {"AGENTOPS_REGISTRY": str(registry)})
    cold, ref = time_side_by_side(install, tar_xzf(archives, tmp / "tar-small"), runs)
    ok = report("install 20 pkgs x 20 files, first, cold cache", cold, ref, "tar xzf (20 archives)", limit=1.5)
    again = Command(install.argv, install.cwd, install.env)  # the last run's workspace, installed
    again, floor = time_side_by_side(again, PYTHON_PASS, runs)
    ok &= report("install again, nothing changed", again, floor, "python -c pass", limit=2.0)
    return ok


def bench_large(tmp: Path, runs: int) -> bool:
    registry, archives = make_registry(tmp / "large", 200, 50)
    install = first_installs(tmp / "installs-large", "packages:\n  pkg-0: ^1.0.0\n",
                             {"AGENTOPS_REGISTRY": str(registry)})
    cold, ref = time_side_by_side(install, tar_xzf(archives, tmp / "tar-large"), runs)
    return report("install 200 pkgs x 50 files, cold cache", cold, ref, "tar xzf (200 archives)", limit=1.5)


def bench_config_apply(tmp: Path, runs: int) -> bool:
    """A no-op `agentops config apply` over 100 installed packages (a local file for every tenth)."""
    registry, _ = make_registry(tmp / "hundred", 100, 2)
    ws = tmp / "ws-hundred"
    ws.mkdir()
    env = {"AGENTOPS_REGISTRY": str(registry), "XDG_CACHE_HOME": str(tmp / "cache-hundred")}
    (ws / "agentops.yaml").write_text("packages:\n  pkg-0: ^1.0.0\n")
    (ws / "packages").mkdir()
    for i in range(0, 100, 10):
        (ws / "packages" / f"pkg-{i}.local.yaml").write_text("agents:\n  disabled: [agents/agent-1.md]\n")
    time_command([*agentops(), "package", "install"], runs=1, cwd=ws, env=env)
    noop, ref = time_side_by_side(Command([*agentops(), "config", "apply"], ws, env), PYTHON_PASS, runs)
    return report("config apply, nothing changed, 100 packages", noop, ref, "python -c pass", limit=2.0)


def main() -> int:
    quick = "--quick" in sys.argv
    runs = 5 if quick else 11
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        ok = bench_small(Path(tmp), runs)
        bench_small_in_memory(runs)
        ok &= bench_config_apply(Path(tmp), runs)
        ok &= bench_large(Path(tmp), 3 if quick else 5)
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
