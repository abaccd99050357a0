"""The hidden-Unicode gate from the command line, on real agent files from ../shared/corpus.

The corpus holds emoji built with zero-width joiners and files with a BOM, which must pass, and
one file with two stray U+200B characters in front of code fences, which must be reported.
"""

from __future__ import annotations

import json
import shutil

from conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

EMOJI_ZWJ = CORPUS / "github__awesome-copilot" / "agents" / "salesforce-flow.agent.md"
BOM = CORPUS / "github__awesome-copilot@history-quirks" / "prompts" / "csharp-tunit.prompt.md"
STRAY_ZWSP = CORPUS / "github__awesome-copilot" / "agents" / "azure-verified-modules-owner-triage.agent.md"


def corpus_package(root, name, *sources):
    """A package folder in ``root`` whose agents are copies of the given corpus files."""
    pkg = root / name
    (pkg / "agents").mkdir(parents=True)
    (pkg / "docs").mkdir()
    listed = []
    for source in sources:
        shutil.copyfile(source, pkg / "agents" / source.name)
        listed.append(f"agents/{source.name}")
    (pkg / "README.md").write_text(f"# {name}\n")
    (pkg / "docs" / "getting-started.md").write_text("# Getting started\n")
    (pkg / "package.yaml").write_text(
        f"name: {name}\nversion: 1.0.0\ndescription: Corpus files\nauthor: Tests\nlicense: MIT\n"
        "agents:\n" + "".join(f"  - {rel}\n" for rel in listed)
    )
    return pkg


def hidden(report):
    return [(p["path"], p["line"]) for p in report["problems"] if p["code"] == "hidden-unicode"]


def test_emoji_joiners_and_a_leading_bom_validate_clean(agentops, tmp_path):
    assert "\u200d" in EMOJI_ZWJ.read_text(encoding="utf-8")
    assert BOM.read_bytes().startswith(b"\xef\xbb\xbf")
    pkg = corpus_package(tmp_path, "clean-pack", EMOJI_ZWJ, BOM)
    report = json.loads(agentops("package", "validate", pkg, "--json").out)
    assert report["errors"] == 0 and hidden(report) == []
    agentops("package", "build", pkg, "-o", tmp_path / "dist")


def test_stray_zero_width_space_is_reported_and_blocks_build(agentops, tmp_path):
    pkg = corpus_package(tmp_path, "zwsp-pack", STRAY_ZWSP)
    rel = f"agents/{STRAY_ZWSP.name}"
    run = agentops("package", "validate", pkg, expect=1)
    assert f"{rel}:506: hidden zero-width character U+200B ZERO WIDTH SPACE" in run.out
    assert f"{rel}:511: hidden zero-width character U+200B ZERO WIDTH SPACE" in run.out
    report = json.loads(agentops("package", "validate", pkg, "--json", expect=1).out)
    assert hidden(report) == [(rel, 506), (rel, 511)]
    agentops("package", "build", pkg, "-o", tmp_path / "dist", expect=1)
    assert not (tmp_path / "dist").exists() or not list((tmp_path / "dist").iterdir())


def test_fix_unicode_strips_the_package_source_then_validates(agentops, tmp_path):
    pkg = corpus_package(tmp_path, "zwsp-pack", STRAY_ZWSP)
    rel = f"agents/{STRAY_ZWSP.name}"
    untouched = (pkg / "README.md").stat().st_mtime_ns
    run = agentops("package", "validate", "--fix-unicode", pkg)
    assert f"fixed {rel}: removed 2 hidden character(s)" in run.out
    assert "zwsp-pack@1.0.0: valid" in run.out
    original = STRAY_ZWSP.read_bytes()
    assert (pkg / rel).read_bytes() == original.replace("\u200b".encode(), b"")
    assert (pkg / "README.md").stat().st_mtime_ns == untouched  # files without findings are not rewritten
    again = json.loads(agentops("package", "validate", "--fix-unicode", pkg, "--json").out)
    assert again["fixed"] == [] and again["ok"]


def hidden_archive_registry(tmp_path):
    """A registry holding an archive with a U+200B, written by hand because validate would refuse it."""
    from agentpack.adapters.archive import write_archive
    from agentpack.adapters.registry.directory import DirectoryRegistry

    manifest = ("name: sneaky\nversion: 1.0.0\ndescription: Hidden text\nauthor: Tests\nlicense: MIT\n"
                "agents:\n  - agents/helper.md\ndocumentation:\n  getting_started: docs/getting-started.md\n")
    files = {
        "package.yaml": manifest.encode(),
        "README.md": b"# sneaky\n",
        "docs/getting-started.md": b"# Getting started\n",
        "agents/helper.md": "---\nname: helper\ndescription: Helps\n---\n\nBe nice.\u200b\n".encode(),
    }
    built = write_archive(files, str(tmp_path / "sneaky-1.0.0.tgz"))
    data = open(built.path, "rb").read()
    registry = tmp_path / "registry"
    DirectoryRegistry(str(registry)).publish(data, {
        "name": "sneaky", "version": "1.0.0", "components": {"agents": 1},
        "manifest": {"name": "sneaky", "version": "1.0.0", "description": "Hidden text"},
    })
    return registry


def test_install_refuses_hidden_characters_unless_allowed(agentops, tmp_path):
    registry = hidden_archive_registry(tmp_path)
    ws = tmp_path / "ws"
    ws.mkdir()
    run = agentops("package", "install", "sneaky", "--registry", registry, cwd=ws, expect=1)
    assert "agents/sneaky/helper.md:6" in run.err and "U+200B" in run.err
    assert "--allow-hidden-unicode" in run.err
    # Nothing written: no manifest, lock, state or files, not even the workspace lock file.
    assert list(ws.rglob("*")) == []

    agentops("package", "install", "sneaky", "--registry", registry, "--allow-hidden-unicode", cwd=ws)
    assert "\u200b" in (ws / "agents" / "sneaky" / "helper.md").read_text(encoding="utf-8")
