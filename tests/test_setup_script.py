"""scripts/setup.sh, run for real on a copy of the repository: it refuses a Python older than 3.11
with a clear message, makes again a .venv left by an older Python, installs nothing when nothing
changed, and installs no test tools unless asked (--test, as scripts/test.sh does)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO

PROJECT_FILES = ["pyproject.toml", "README.md", "scripts", "bin", "src"]


def copy_repository(dest: Path) -> Path:
    dest.mkdir()
    for name in PROJECT_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, dest / name)
    return dest


def version_of(python: str) -> tuple[int, int] | None:
    env = {k: v for k, v in os.environ.items() if k != "PYENV_VERSION"}
    proc = subprocess.run([python, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                          text=True, env=env)
    return tuple(map(int, proc.stdout.split())) if proc.returncode == 0 else None


def older_python() -> str | None:
    """A real Python 3 older than 3.11 on this machine (on PATH, or one of pyenv's), if there is one."""
    candidates = [shutil.which(f"python3.{minor}") for minor in (10, 9, 8)]
    if os.environ.get("PYENV_ROOT"):
        candidates += sorted(glob.glob(os.path.join(os.environ["PYENV_ROOT"], "versions", "3.*", "bin", "python3")))
    for candidate in filter(None, candidates):
        version = version_of(candidate)
        if version and (3, 6) <= version < (3, 11):
            return candidate
    return None


def setup(repo: Path, *args: str, python: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHON", "VIRTUAL_ENV")}
    if python:
        env["PYTHON"] = python
    return subprocess.run(["bash", str(repo / "scripts" / "setup.sh"), *args], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.mark.parametrize("which", ["older", "missing"])
def test_a_python_too_old_or_missing_is_refused_before_anything_is_made(tmp_path: Path, which: str) -> None:
    python = older_python() if which == "older" else str(tmp_path / "no-such-python3")
    if python is None:
        pytest.skip("no Python older than 3.11 on this machine")
    repo = copy_repository(tmp_path / "repo")
    run = setup(repo, python=python)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "agentpack needs Python >= 3.11" in run.stderr and python in run.stderr, run.stderr
    assert ("is 3." if which == "older" else "is not found") in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
    assert not (repo / ".venv").exists()


def test_setup_remakes_a_venv_of_an_older_python_and_then_installs_nothing(tmp_path: Path) -> None:
    repo = copy_repository(tmp_path / "repo")
    old = older_python()
    if old:  # what a failed run with an older python3 leaves behind
        subprocess.run([old, "-m", "venv", "--without-pip", str(repo / ".venv")], check=True)
    else:  # a .venv whose interpreter has gone
        (repo / ".venv" / "bin").mkdir(parents=True)
        (repo / ".venv" / "bin" / "python").symlink_to(tmp_path / "removed-python3")

    first = setup(repo)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "creating .venv" in first.stdout and "installing agentpack into .venv" in first.stdout, first.stdout
    assert "deprecated" not in first.stderr, first.stderr  # such as setuptools' about `project.license`
    python = str(repo / ".venv" / "bin" / "python")
    assert version_of(python) >= (3, 11)
    agentops = subprocess.run([str(repo / ".venv" / "bin" / "agentops"), "--version"], capture_output=True, text=True)
    assert agentops.returncode == 0, agentops.stderr
    # What the demo needs, and no test tools.
    assert subprocess.run([python, "-c", "import pytest"], capture_output=True).returncode != 0

    stamp = repo / ".venv" / "agentpack-setup.stamp"
    written = stamp.stat().st_mtime_ns
    again = setup(repo)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "up to date" in again.stdout and "installing" not in again.stdout, again.stdout
    assert stamp.stat().st_mtime_ns == written

    (repo / "pyproject.toml").write_text((repo / "pyproject.toml").read_text() + "\n# changed\n")
    changed = setup(repo)
    assert changed.returncode == 0 and "installing agentpack into .venv" in changed.stdout, changed.stdout


def test_the_scripts_ask_for_test_tools_only_to_run_tests() -> None:
    def setup_lines(script: str) -> list[str]:
        return [line.strip() for line in (REPO / "scripts" / script).read_text().splitlines()
                if "scripts/setup.sh" in line and not line.lstrip().startswith("#")]

    assert setup_lines("demo.sh") == ["./scripts/setup.sh"]
    assert setup_lines("test.sh") == ["./scripts/setup.sh --test"]

