"""The shared corpus is found beside the repository (``../shared/corpus``) or from AGENTPACK_CORPUS;
where it is absent, the tests that read it skip and say how to get it, except under CI, where they
fail. No file of the project names a path on one particular machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import CORPUS, REPO, needs_corpus

CORPUS_TESTS = ["tests/core/test_frontmatter.py", "-k", "real_"]  # three small tests that read the corpus


def run_corpus_tests(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("CI", "AGENTPACK_CORPUS", "PYTEST_ADDOPTS")}
    return subprocess.run([sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", *CORPUS_TESTS],
                          cwd=REPO, env={**clean, **env}, capture_output=True, text=True, timeout=300)


def test_an_absent_corpus_skips_its_tests_and_says_how_to_get_it(tmp_path: Path) -> None:
    missing = tmp_path / "no-corpus"
    run = run_corpus_tests(AGENTPACK_CORPUS=str(missing))
    assert run.returncode == 0, run.stdout + run.stderr
    assert " skipped" in run.stdout and " passed" not in run.stdout, run.stdout
    assert str(missing) in run.stdout and "AGENTPACK_CORPUS" in run.stdout and "shared/corpus" in run.stdout


def test_under_ci_an_absent_corpus_is_a_failure(tmp_path: Path) -> None:
    run = run_corpus_tests(AGENTPACK_CORPUS=str(tmp_path / "no-corpus"), CI="true")
    assert run.returncode == 1, run.stdout + run.stderr
    assert " skipped" not in run.stdout and " error" in run.stdout, run.stdout
    assert "CI is set" in run.stdout


@needs_corpus
def test_agentpack_corpus_names_the_corpus_anywhere(tmp_path: Path) -> None:
    elsewhere = tmp_path / "somewhere" / "corpus"
    elsewhere.parent.mkdir()
    elsewhere.symlink_to(CORPUS, target_is_directory=True)
    run = run_corpus_tests(AGENTPACK_CORPUS=str(elsewhere), CI="true")
    assert run.returncode == 0 and " passed" in run.stdout and " skipped" not in run.stdout, run.stdout + run.stderr


def test_no_file_names_a_path_of_one_machine() -> None:
    machine_root = "/" + "work" + "/"  # spelt in two parts so that this file does not match itself
    found = []
    for top in ("src", "tests", "bench", "scripts", ".ci"):
        for path in sorted((REPO / top).rglob("*")):
            if path.is_file() and path.suffix not in (".pyc", ".json") and "__pycache__" not in path.parts:
                found += [f"{path.relative_to(REPO)}:{n}" for n, line in
                          enumerate(path.read_text(errors="replace").splitlines(), 1) if machine_root in line]
    assert not found, found
