"""Real agent files written by other people survive packaging byte for byte.

A package is built from a large slice of ../shared/corpus (every Markdown and Cursor rule file:
BOMs, CRLF line endings, emoji with zero-width joiners, frontmatter that strict YAML rejects,
files without a final newline), published, installed, and every installed file is compared with
its source.
"""

from __future__ import annotations

import json

from conftest import CORPUS, require_corpus

SUFFIXES = (".md", ".mdc")
# Its two stray U+200B are meant to be reported by the hidden-Unicode gate, which would refuse the
# whole package; tests/cli/test_hidden_unicode.py covers that file.
HIDDEN_UNICODE = {"github__awesome-copilot/agents/azure-verified-modules-owner-triage.agent.md"}


def corpus_files() -> list:
    require_corpus()
    return sorted(p for p in CORPUS.rglob("*") if p.is_file() and not p.is_symlink() and p.suffix in SUFFIXES
                  and p.relative_to(CORPUS).as_posix() not in HIDDEN_UNICODE)


def test_corpus_slice_round_trips_byte_for_byte(agentops, tmp_path):
    files = corpus_files()
    assert len(files) > 2000
    pkg = tmp_path / "corpus-pack"
    listed = []
    for source in files:
        rel = "agents/" + source.relative_to(CORPUS).as_posix()
        target = pkg / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(source.read_bytes())
        listed.append(rel)
    (pkg / "README.md").write_text("# Corpus pack\n")
    (pkg / "docs").mkdir()
    (pkg / "docs" / "getting-started.md").write_text("# Getting started\n")
    (pkg / "package.yaml").write_text(
        "name: corpus-pack\nversion: 1.0.0\ndescription: Real agent files\nauthor: Tests\nlicense: MIT\n"
        "agents:\n" + "".join(f"  - {json.dumps(rel)}\n" for rel in listed)
    )
    report = json.loads(agentops("package", "validate", pkg, "--json").out)
    assert not [p for p in report["problems"] if p["severity"] == "error"]
    warned = {p["path"] for p in report["problems"] if p["code"] == "bad-frontmatter"}
    assert any(path.endswith(".mdc") for path in warned)  # `globs: **/*` breaks strict YAML

    first = agentops("package", "build", pkg, "-o", tmp_path / "dist").lines[-1]
    second = agentops("package", "build", pkg, "-o", tmp_path / "dist2").lines[-1]
    assert open(first, "rb").read() == open(second, "rb").read()
    agentops("package", "publish", first)
    ws = tmp_path / "ws"
    ws.mkdir()
    agentops("package", "install", "corpus-pack", cwd=ws)
    installed = ws / "agents" / "corpus-pack"
    mismatched = [s for s in files if (installed / s.relative_to(CORPUS)).read_bytes() != s.read_bytes()]
    assert not mismatched
    lock = json.loads((ws / "agentops.lock").read_text())
    assert len(lock["packages"]["corpus-pack"]["files"]) == len(files) + 2  # + README and getting-started
