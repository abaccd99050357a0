"""Deploying agent packages into Claude Code's folders: agentops beside Microsoft APM and Vercel's `skills`.

The same files for every tool, written once per run of this script:

A. 20 packages, each 20 agents (Markdown with YAML frontmatter `name` / `description`) and 2 skills
   (a SKILL.md and 2 files under references/): 400 agents and 40 skills, 520 files;
B. the same 20 packages with their 2 skills only: 40 skills, 120 files.

Each package folder holds `package.yaml` for agentops (built and published to a local directory
registry, installed with `--target claude`: agents/<pkg>/ and skills/<pkg>/ in the workspace, and
.claude/agents/ and .claude/skills/) and `.claude-plugin/plugin.json` for APM, which installs the folder as a local-path
dependency (a Claude Code plugin: agents/ and skills/). `skills` reads the skills from the folder
that holds the packages.

Rows, for each tool: the first install into an empty project; the same command again with nothing
changed; a restore (every deployed folder and tool state deleted, the manifest, lock and .gitignore
kept, then the tool's install-from-manifest command). Each run checks that the tool deployed every
file it can into .claude/. agentops runs with a cold download cache except in the "again" row.

Prints the median of N runs per row and tool (the tools taken in turn in each run, so that a change
in the machine's load falls on all of them) and the ratio peer / agentops. No pass or fail limits:
information only. Peers are installed once into a cache folder ($XDG_CACHE_HOME/agentpack-bench, else
~/.cache/agentpack-bench, or --cache DIR): `apm-cli` from PyPI into a virtual environment, `skills`
from npm into a private prefix; a peer that cannot be installed or run is printed as skipped, with
the reason. Peers run with their telemetry and update checks off, so nothing leaves this machine.

Run: .venv/bin/python bench/bench_targets.py [--runs N] [--quick] [--no-peers] [--packages N] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from common import PYTHON, Command, agentops, compile_sources, publish_folder

ROWS = ("first install, empty project", "install again, nothing changed", "restore from lock")
AGENTS, SKILLS, REFERENCES = 20, 2, ("guide.md", "checklist.md")
BODY = "Follow the escalation policy, keep the customer informed, and record every decision.\n" * 24
INSTALL_TIMEOUT = 900  # seconds for installing a peer from its registry


@dataclass
class Workload:
    """``packages`` package folders under ``root / "src"``, published to ``root / "registry"``."""
    key: str
    title: str
    root: Path
    packages: int
    agents: int

    @property
    def src(self) -> Path:
        return self.root / "src"

    @property
    def registry(self) -> Path:
        return self.root / "registry"

    @property
    def names(self) -> list[str]:
        return [f"pkg-{i}" for i in range(self.packages)]

    def expected(self, kinds: tuple[str, ...]) -> dict[str, int]:
        """How many files a tool deploying ``kinds`` leaves under each folder of .claude/."""
        counts = {"agents": self.packages * self.agents, "skills": self.packages * SKILLS * (1 + len(REFERENCES))}
        return {f".claude/{kind}": counts[kind] for kind in kinds if counts[kind]}


def write_package(folder: Path, i: int, agents: int) -> None:
    (folder / ".claude-plugin").mkdir(parents=True)
    (folder / ".claude-plugin" / "plugin.json").write_text(
        json.dumps({"name": f"pkg-{i}", "version": "1.0.0", "description": f"Bench package {i}"}) + "\n")
    if agents:
        (folder / "agents").mkdir()
    for j in range(agents):
        (folder / "agents" / f"p{i}-agent-{j}.md").write_text(
            f"---\nname: p{i}-agent-{j}\ndescription: Agent {j} of package {i}\n---\n\n{BODY}")
    for k in range(SKILLS):
        skill = folder / "skills" / f"p{i}-skill-{k}"
        (skill / "references").mkdir(parents=True)
        (skill / "SKILL.md").write_text(f"---\nname: p{i}-skill-{k}\ndescription: Skill {k} of package {i}\n---\n\n"
                                        "Read references/guide.md, then go through references/checklist.md.\n")
        for name in REFERENCES:
            (skill / "references" / name).write_text(f"# {name[:-3].title()}\n\n{BODY}")
    (folder / "package.yaml").write_text(
        f"name: pkg-{i}\nversion: 1.0.0\ndescription: Bench package {i}\nauthor: bench\nlicense: MIT\n"
        + ("agents: [agents/*.md]\n" if agents else "") + "skills: [skills/*]\n")


def make_workload(key: str, title: str, root: Path, packages: int, agents: int) -> Workload:
    workload = Workload(key, title, root, packages, agents)
    for i, name in enumerate(workload.names):
        write_package(workload.src / name, i, agents)
        publish_folder(workload.src / name, workload.registry, root / "dist")
    return workload


def count_files(folder: Path) -> int:
    """Files below ``folder``, through symbolic links (a tool may link its skills from elsewhere)."""
    return sum(len(files) for _, _, files in os.walk(folder, followlinks=True))


def clear_except(project: Path, keep: tuple[str, ...]) -> None:
    """Delete everything in ``project`` but the entries named in ``keep``."""
    project.mkdir(parents=True, exist_ok=True)
    for entry in project.iterdir():
        if entry.name in keep:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@dataclass
class Tool:
    """A tool to time: how it installs a workload into a project, and what it can deploy."""
    name: str
    version: str = ""
    skipped: str = ""  # why it is not measured (empty: it is)
    kinds: tuple[str, ...] = ("agents", "skills")  # what it deploys into .claude/
    keep: tuple[str, ...] = ()  # its manifest and lock files, kept by a restore
    env: dict = field(default_factory=dict)
    install: Callable[[Workload, Path], list] | None = None  # the first install's argv
    restore: Callable[[Workload, Path], list] | None = None  # the install-from-manifest argv
    reset: Callable[[], None] | None = None  # what a cold run clears besides the project
    driven: str = ""  # how it is driven, for the notes

    def commands(self, workload: Workload, project: Path) -> list[Command]:
        def fresh() -> None:
            shutil.rmtree(project, ignore_errors=True)
            project.mkdir(parents=True)
            if self.reset:
                self.reset()

        def deployed_deleted() -> None:
            clear_except(project, (*self.keep, ".gitignore"))
            if self.reset:
                self.reset()

        first = self.install(workload, project)
        return [Command(first, project, self.env, fresh), Command(first, project, self.env),
                Command(self.restore(workload, project), project, self.env, deployed_deleted)]


def run_quiet(argv: list, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, **kwargs)


def version_of(argv: list, env: dict) -> str:
    proc = run_quiet(argv, env={**os.environ, **env}, timeout=120)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout.strip().splitlines()[-1].split()[-1]


def relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start``, spelt as a local path (``./`` or ``../``) as the peers want it."""
    rel = os.path.relpath(path, start)
    return rel if rel.startswith("..") else f"./{rel}"


def tool_agentops(home: Path, env: dict) -> Tool:
    cache = home / ".cache" / "agentpack"

    def install(workload: Workload, project: Path) -> list:
        return [*agentops(), "package", "install", *workload.names, "--target", "claude",
                "--registry", str(workload.registry)]

    def restore(workload: Workload, project: Path) -> list:
        return [*agentops(), "package", "install", "--registry", str(workload.registry)]

    version = version_of([*agentops(), "--version"], env)
    return Tool("agentops", version, keep=("agentops.yaml", "agentops.lock"), env=env, install=install,
                restore=restore, reset=lambda: shutil.rmtree(cache, ignore_errors=True),
                driven="`agentops package install pkg-0 ... --target claude --registry DIR` (a local directory "
                       "registry, cold download cache; archives checked against the registry's digests; "
                       "writes agents/<pkg>/, skills/<pkg>/ and .claude/; records targets: [claude]); "
                       "restore: `agentops package install --registry DIR` from agentops.yaml + "
                       "agentops.lock")


def install_apm(cache: Path) -> Path:
    """The `apm` launcher of apm-cli in a virtual environment under ``cache`` (installed from PyPI once)."""
    venv = cache / "apm-venv"
    apm = venv / "bin" / "apm"
    if apm.exists() and run_quiet([str(apm), "--version"], timeout=120).returncode == 0:
        return apm
    shutil.rmtree(venv, ignore_errors=True)
    for argv in ([PYTHON, "-m", "venv", str(venv)],
                 [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  "apm-cli"]):
        proc = run_quiet(argv, timeout=INSTALL_TIMEOUT)
        if proc.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
            raise RuntimeError(f"`pip install apm-cli` failed: {last_line(proc.stderr)}")
    return apm


def tool_apm(cache: Path, home: Path, env: dict) -> Tool:
    try:
        apm = install_apm(cache)
        # APM checks GitHub for a newer release once a day unless this stamp is fresh: keep it fresh.
        (home / ".cache" / "apm").mkdir(parents=True, exist_ok=True)
        (home / ".cache" / "apm" / "last_version_check").touch()
        version = version_of([str(apm), "--version"], env)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return Tool("APM", skipped=str(error))

    def install(workload: Workload, project: Path) -> list:
        return [str(apm), "install", "--target", "claude", *(relative(workload.src / n, project) for n in workload.names)]

    return Tool("APM", version, keep=("apm.yml", "apm.lock.yaml"), env=env, install=install,
                restore=lambda workload, project: [str(apm), "install"],
                driven="`apm install --target claude ../src/pkg-0 ...` (local-path dependencies, Claude Code "
                       "plugin folders; writes apm.yml with targets: [claude]); restore: `apm install` from "
                       "apm.yml + apm.lock.yaml")


def install_skills(cache: Path) -> Path:
    """The CLI script of npm's `skills` installed under ``cache`` (from the npm registry once)."""
    prefix = cache / "skills"
    cli = prefix / "node_modules" / "skills" / "bin" / "cli.mjs"
    if not shutil.which("node") or not shutil.which("npm"):
        raise RuntimeError("node and npm are not on PATH")
    if cli.exists():
        return cli
    proc = run_quiet(["npm", "install", "--prefix", str(prefix), "--no-fund", "--no-audit", "--no-save", "skills"],
                     timeout=INSTALL_TIMEOUT)
    if proc.returncode != 0 or not cli.exists():
        raise RuntimeError(f"`npm install skills` failed: {last_line(proc.stderr)}")
    return cli


def tool_skills(cache: Path, env: dict) -> Tool:
    env = {**env, "DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1"}  # no install telemetry
    try:
        cli = install_skills(cache)
        version = version_of(["node", str(cli), "--version"], env)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as error:
        return Tool("skills", skipped=str(error))

    def install(workload: Workload, project: Path) -> list:
        return ["node", str(cli), "add", relative(workload.src, project), "--agent", "claude-code", "--yes"]

    return Tool("skills", version, kinds=("skills",), keep=("skills-lock.json",), env=env, install=install,
                restore=install,
                driven="`skills add ../src --agent claude-code --yes` (every skill under the folder of the "
                       "packages, in one call); restore: the same command, because `skills "
                       "experimental_install` restores skills-lock.json into .agents/skills/ only, which "
                       "Claude Code does not read")


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no message"


def check_deployed(tool: Tool, workload: Workload, project: Path) -> None:
    for folder, expected in workload.expected(tool.kinds).items():
        found = count_files(project / folder)
        if found != expected:
            raise SystemExit(f"{tool.name} left {found} files under {folder}, not {expected}")


def measure(tools: list[Tool], workload: Workload, root: Path, runs: int) -> dict[str, dict[str, list]]:
    """Seconds of every run of every row, by tool and row; a peer that fails is marked skipped."""
    samples = {tool.name: {row: [] for row in ROWS} for tool in tools}
    for _ in range(runs):
        for tool in tools:
            if tool.skipped:
                continue
            project = root / "projects" / f"{tool.name.lower()}-{workload.key}"
            for row, command in zip(ROWS, tool.commands(workload, project), strict=True):
                try:
                    samples[tool.name][row].append(command.run_once())
                    check_deployed(tool, workload, project)
                except SystemExit as failure:
                    if tool is tools[0]:
                        raise
                    why = str(failure).split(" failed: ", 1)[-1]  # without the command line
                    tool.skipped = f"failed on {workload.key}, {row}: {last_line(why)}"
                    break
    return samples


def print_table(tools: list[Tool], workload: Workload, samples: dict, runs: int) -> None:
    print(f"\n{workload.key}. {workload.title}")
    print(f"{'row (median of ' + str(runs) + ')':<34}" + "".join(
        f"{tool.name:>12}" + ("" if i == 0 else f"{'ratio':>9}") for i, tool in enumerate(tools)))
    for row in ROWS:
        base = statistics.median(samples[tools[0].name][row])
        line = f"{row:<34}{base * 1000:9.0f} ms"
        for tool in tools[1:]:
            times = samples[tool.name][row]
            if tool.skipped or len(times) < runs:
                line += f"{'skipped':>12}{'':>9}"
                continue
            median = statistics.median(times)
            partial = "*" if set(tool.kinds) != {"agents", "skills"} and workload.agents else ""
            line += f"{median * 1000:9.0f} ms{median / base:7.1f}x{partial:1}"
        print(line)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, help="runs per row and tool (default 5; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="2 runs per row and tool")
    parser.add_argument("--no-peers", action="store_true", help="time agentops only")
    parser.add_argument("--packages", type=int, default=20, help="packages per workload (default 20)")
    parser.add_argument("--cache", type=Path, help="where the peers are installed (default "
                        "$XDG_CACHE_HOME/agentpack-bench, else ~/.cache/agentpack-bench)")
    args = parser.parse_args(argv)
    runs = args.runs or (2 if args.quick else 5)
    cache = args.cache or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "agentpack-bench"
    compile_sources()
    with tempfile.TemporaryDirectory(prefix="bench-targets-") as tmp:
        root = Path(tmp)
        home = root / "home"  # every tool's home: no user configuration, caches or state come in
        env = {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"),
               "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local" / "share")}
        home.mkdir()
        tools = [tool_agentops(home, env)]
        if args.no_peers:
            tools += [Tool("APM", skipped="--no-peers"), Tool("skills", skipped="--no-peers")]
        else:
            cache.mkdir(parents=True, exist_ok=True)
            tools += [tool_apm(cache, home, env), tool_skills(cache, env)]
        workloads = [
            make_workload("A", f"{args.packages} packages x ({AGENTS} agents + {SKILLS} skills of "
                          f"{1 + len(REFERENCES)} files) into .claude/", root / "A", args.packages, AGENTS),
            make_workload("B", f"{args.packages} packages x {SKILLS} skills of {1 + len(REFERENCES)} files "
                          "into .claude/skills/ (what every tool can deploy)", root / "B", args.packages, 0),
        ]
        print("versions: " + "; ".join(f"{tool.name} {tool.version or '-'}" for tool in tools))
        print("median wall time of each row; ratio = peer / agentops (above 1: agentops is faster)")
        for workload in workloads:
            samples = measure(tools, workload, root, runs)
            print_table(tools, workload, samples, runs)
        print("\nnotes:")
        for tool in tools:
            print(f"- {tool.name}: " + (f"skipped: {tool.skipped}" if tool.skipped else
                                        f"{tool.driven}; a restore keeps {', '.join((*tool.keep, '.gitignore'))}"
                                        " and deletes the rest of the project"))
        if any(set(tool.kinds) != {"agents", "skills"} for tool in tools[1:] if not tool.skipped):
            counts = workloads[0].expected(("agents", "skills"))
            print(f"- *: skills deploys skills only (no agents, no commands): in A it writes "
                  f"{counts['.claude/skills']} of the {sum(counts.values())} files, so compare it on B")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
