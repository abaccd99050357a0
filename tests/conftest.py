"""Shared fixtures: the real `agentops` command run in isolated temporary homes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import settings

# `pytest --hypothesis-profile=long`: the fuzz tests (tests/fuzz) run long (see tests/fuzz/mutations.py).
settings.register_profile("long", deadline=None)

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples" / "packages"


def find_corpus() -> Path:
    """Where the shared corpus of real agent files is: $AGENTPACK_CORPUS if set, else
    ``../shared/corpus`` beside the repository. The folder may be absent (see require_corpus)."""
    configured = os.environ.get("AGENTPACK_CORPUS")
    return Path(configured).expanduser().resolve() if configured else REPO.parent / "shared" / "corpus"


CORPUS = find_corpus()


def in_ci() -> bool:
    """True under CI (``CI`` set to anything but empty, 0 or false, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(message: str) -> NoReturn:
    """Stop a test whose input or tool is not on this machine: skipped with ``message`` (which says
    how to get it), or, under CI, failed, so that CI never skips a test silently."""
    if in_ci():
        pytest.fail(message + " (CI is set, so its absence is a failure)", pytrace=False)
    pytest.skip(message)


def require_corpus() -> Path:
    """CORPUS, for a test that reads it. Where it is absent the test is skipped with a reason saying
    how to get it; under CI it fails instead, so that CI never skips these tests silently."""
    if (CORPUS / "INVENTORY.md").is_file():
        return CORPUS
    message = (f"the shared corpus of real agent files is not at {CORPUS}: put the project's shared/ "
               "folder beside the repository (shared/corpus, holding INVENTORY.md), or set "
               "AGENTPACK_CORPUS to the corpus folder")
    missing(message)


@pytest.fixture
def shared_corpus() -> Path:
    """The shared corpus folder (skips or fails the test where it is absent: see require_corpus)."""
    return require_corpus()


# Mark a test (or with `pytestmark = needs_corpus`, a module) that reads CORPUS.
needs_corpus = pytest.mark.usefixtures("shared_corpus")


def agentops_command() -> list[str]:
    """The installed `agentops` launcher next to this interpreter, else `python -m agentpack`."""
    launcher = Path(sys.executable).parent / "agentops"
    return [str(launcher)] if launcher.exists() else [sys.executable, "-m", "agentpack"]


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


KEY_ENV = {"AGENTOPS_KEY_PASSPHRASE": "s3cret passphrase"}  # the passphrase of keys made by generate_key


class Agentops:
    """Runs the real command with an isolated data/cache home and no AGENTOPS_REGISTRY."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENTOPS_", "XDG_"))}
        self.env.update(XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"),
                        XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "config"), NO_COLOR="1")

    @property
    def default_registry(self) -> Path:
        return self.home / "data" / "agentpack" / "registry"

    def __call__(self, *args: str, cwd: Path | str | None = None, env: dict | None = None,
                 expect: int | None = 0) -> Run:
        proc = subprocess.run([*agentops_command(), *map(str, args)], cwd=cwd or self.home, capture_output=True,
                              text=True, env={**self.env, **(env or {})}, timeout=120)
        run = Run(proc.returncode, proc.stdout, proc.stderr)
        if expect is not None:
            assert run.code == expect, f"agentops {' '.join(map(str, args))} -> {run.code}\n{run.out}\n{run.err}"
        assert "Traceback" not in run.err, run.err
        return run

    def build_folder(self, folder: Path, *extra: str) -> Path:
        """Build a package folder into a dist folder of this home (``extra``: e.g. "--sign", KEY);
        the archive path. Keys made by ``generate_key`` are unlocked with KEY_ENV."""
        return Path(self("package", "build", folder, "-o", self.home / "dist", *extra, env=KEY_ENV).lines[-1])

    def publish_folder(self, folder: Path, *extra: str) -> str:
        """Build a package folder (into a dist folder of this home) and publish it; the archive path."""
        archive = str(self.build_folder(folder, *extra))
        self("package", "publish", archive)
        return archive

    def publish_folders(self, folders, *, through_cli: int = 2) -> None:
        """Build and publish many package folders to the default registry: the first ``through_cli``
        with the real commands, the rest in-process through the same services (a few hundred
        subprocesses would take minutes)."""
        from agentpack.services.build import build_package
        from agentpack.services.publish import publish_archive
        from agentpack.services.workspace import Settings

        folders = list(folders)
        for folder in folders[:through_cli]:
            self.publish_folder(folder)
        settings = Settings.from_environment({}, registry=str(self.default_registry))
        for folder in folders[through_cli:]:
            publish_archive(build_package(str(folder), str(self.home / "dist")).path, settings)

    def generate_key(self, name: str) -> dict:
        """`agentops key generate NAME --json`, encrypted with KEY_ENV's passphrase."""
        return json.loads(self("key", "generate", name, "--json", env=KEY_ENV).out)

    def publish_examples(self, *names: str) -> None:
        """Build and publish example packages to the default registry."""
        for name in names or ("core-workflow", "communication-patterns", "customer-service"):
            self.publish_folder(EXAMPLES / name)


@pytest.fixture
def agentops(tmp_path: Path) -> Agentops:
    home = tmp_path / "home"
    home.mkdir()
    return Agentops(home)


@pytest.fixture
def alice(agentops: Agentops) -> dict:
    """A signing key named alice (``generate_key``), which the ``agentops`` user trusts."""
    key = agentops.generate_key("alice")
    agentops("trust", "add", key["public_key"])
    return key


@pytest.fixture
def far(tmp_path: Path) -> Agentops:
    """A second, empty home: the far side of an air gap (its own registry, cache and trust)."""
    home = tmp_path / "far-home"
    home.mkdir()
    return Agentops(home)


@pytest.fixture
def example(tmp_path: Path):
    """Copy an example package into tmp_path so a test can change it."""

    def copy(name: str, dest_name: str | None = None) -> Path:
        dest = tmp_path / "src" / (dest_name or name)
        shutil.copytree(EXAMPLES / name, dest)
        return dest

    return copy


def changed(document: dict, path: tuple, value=None, *, delete: bool = False) -> dict:
    """A deep copy of ``document`` with the value at ``path`` (keys and indices) replaced or deleted."""
    import copy

    document = copy.deepcopy(document)
    target = document
    for key in path[:-1]:
        target = target[key]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


def write_package(root: Path, name: str, version: str, *, deps: tuple[str, ...] = (), agents: int = 1,
                  body: str = "Handle the request.") -> Path:
    """A small valid package folder: README, getting-started doc, ``agents`` agent files."""
    folder = root / f"{name.replace('/', '-')}-{version}"
    (folder / "agents").mkdir(parents=True, exist_ok=True)
    (folder / "docs").mkdir(exist_ok=True)
    (folder / "README.md").write_text(f"# {name}\n")
    (folder / "docs" / "getting-started.md").write_text("# Getting started\n")
    listed = []
    for i in range(agents):
        rel = f"agents/agent-{i}.md"
        (folder / rel).write_text(f"---\nname: agent-{i}\ndescription: Agent {i} of {name}\n---\n\n{body}\n")
        listed.append(rel)
    lines = [f"name: {name}", f"version: {version}", f"description: Test package {name}", "author: Tests",
             "license: MIT"]
    if deps:
        lines.append("dependencies:")
        lines += [f"  - {d}" for d in deps]
    lines.append("agents:")
    lines += [f"  - {rel}" for rel in listed]
    lines += ["documentation:", "  getting_started: docs/getting-started.md"]
    (folder / "package.yaml").write_text("\n".join(lines) + "\n")
    return folder
