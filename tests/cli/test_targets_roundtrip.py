"""The corpus round trip through the real commands: extract, build, publish, install --target.

Every plugin of wshobson/agents, every VoltAgent category, the anthropics skills, every
awesome-copilot plugin and legacy collection, and the Cursor rules folder is extracted with one
`agentops package extract` per source folder; each package is built and published (see
``Agentops.publish_folders``) and installed with the target of the tool it was written for
(``claude``, ``copilot``, ``cursor``). Then every component must be in the tool's folder, checked
twice: against ``core.targets.translate`` of the source file's own bytes (byte for byte where the
tool reads the file as it is), and against the README's rules ("Where each tool reads what") written
out here: file names, required fields, only ``name`` changed under ``prefix: package``. The lock's
``deployed`` digests must match the disk.

Packages that share a component name (30 agent names among wshobson's plugins, items shared by
awesome-copilot's plugins and collections) cannot share one tool folder. Each source is installed
into as few workspaces as keep them apart, without a prefix, and once more all together under
``prefix: package``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_extract_cli import SOURCES, extract_json

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.targets import KINDS, TARGETS, Component, Target, output_paths, translate
from agentpack.core.targets.agents_md import BEGIN, END
from agentpack.core.targets.base import components_of
from agentpack.core.targets.markdown import MarkdownFile
from conftest import CORPUS, needs_corpus

pytestmark = needs_corpus

TARGET_OF = {
    "wshobson__agents": "claude",
    "VoltAgent__awesome-claude-code-subagents": "claude",
    "anthropics__skills": "claude",
    "github__awesome-copilot": "copilot",
    "github__awesome-copilot@dc4be7d-collections": "copilot",
    "PatrickJS__awesome-cursorrules": "cursor",
}
# Extract writes this package and reports it invalid, as it reports every file hiding characters:
# agents/azure-verified-modules-owner-triage.agent.md holds two U+200B, which the hidden-Unicode
# gate refuses (tests/cli/test_unicode_gate.py). Nothing is rewritten, so it cannot be built.
EXCLUDED = {"github__awesome-copilot": {"github-awesome-copilot"}}
# Where each tool reads each kind, as the README's table says ({} is the output name).
README_PATHS = {
    ("claude", "agents"): ".claude/agents/{}.md",
    ("claude", "commands"): ".claude/commands/{}.md",
    ("claude", "skills"): ".claude/skills/{}",
    ("copilot", "agents"): ".github/agents/{}.agent.md",
    ("copilot", "commands"): ".github/prompts/{}.prompt.md",
    ("copilot", "rules"): ".github/instructions/{}.instructions.md",
    ("copilot", "skills"): ".github/skills/{}",
    ("cursor", "rules"): ".cursor/rules/{}.mdc",
}
LEGACY = "github__awesome-copilot@dc4be7d-collections"
# The legacy snapshot holds the collection files only. The items they list are taken from the
# same repository's other snapshots, as the collections' commit had them beside it: prompts from
# the last commit with prompts/, agents, instructions and skills from HEAD.
ITEM_SNAPSHOTS = ("github__awesome-copilot@e13e02b-prompts", "github__awesome-copilot")


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def legacy_collections(root: Path) -> tuple[Path, set[str]]:
    """A legacy awesome-copilot checkout: the collections with the items they list; and the item
    paths found in no snapshot (extract must report exactly those)."""
    shutil.copytree(CORPUS / LEGACY, root)
    absent = set()
    for collection in sorted((root / "collections").glob("*.collection.yml")):
        for item in yaml.safe_load(collection.read_bytes()).get("items") or ():
            path = item["path"]
            wanted = path.removesuffix("/SKILL.md") if item.get("kind") == "skill" else path  # the whole skill
            found = next((CORPUS / snap / wanted for snap in ITEM_SNAPSHOTS if (CORPUS / snap / wanted).exists()), None)
            if found is None:
                absent.add(path)
            elif found.is_dir():
                shutil.copytree(found, root / wanted, dirs_exist_ok=True)
            else:
                (root / wanted).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(found, root / wanted)
    return root, absent


def source_components(source: Path, package: dict) -> list[Component]:
    """The package's components with the bytes of the source files extract copied them from."""
    folder = Path(package["directory"])
    manifest = yaml.safe_load((folder / "package.yaml").read_text(encoding="utf-8"))
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    copied = package["copied_from"]
    components = components_of(manifest, {p: (source / copied[p]).read_bytes() for p in written if p in copied})
    assert len(components) == sum(len(manifest.get(kind) or ()) for kind in KINDS), package["name"]
    for skill in (c for c in components if c.kind == "skills"):  # no file of a skill left out
        assert {f"{skill.source}/{p}" for p, _ in skill.files} == {p for p in written
                                                                   if p.startswith(skill.source + "/")}
    return components


def clash_free_groups(target: Target, components: dict[str, list[Component]]) -> list[list[str]]:
    """The packages in groups (first fit) in which no two write one path for ``target``."""
    groups: list[tuple[list[str], set[str]]] = []
    for name in sorted(components):
        paths = {p for c in components[name] for p in output_paths(target, c)}
        group = next((g for g in groups if not g[1] & paths), None)
        if group is None:
            groups.append(([], set()))
            group = groups[-1]
        group[0].append(name)
        group[1].update(paths)
    return [names for names, _ in groups]


def without(content: bytes, keys: set[str]) -> bytes:
    """``content`` less its top-level frontmatter entries ``keys`` (key line and indented lines)."""
    lines = content.splitlines(keepends=True)
    if not lines or lines[0].removeprefix(b"\xef\xbb\xbf").rstrip() != b"---":
        return content
    kept, dropping = [lines[0]], False
    for index, line in enumerate(lines[1:], 1):
        if line.rstrip() == b"---":
            return b"".join(kept + lines[index:])
        if line[:1] not in (b" ", b"\t", b"\r", b"\n"):
            dropping = any(line.startswith(key.encode() + b":") for key in keys)
        if not dropping:
            kept.append(line)
    return content


def readme_rules(target: str, component: Component, prefix: str | None, deployed: dict[str, bytes]) -> list[str]:
    """What the README promises for ``component`` in ``target``, checked on the deployed bytes;
    the broken promises."""
    out_name = f"{component.package}-{component.name}" if prefix else component.name
    where = README_PATHS[target, component.kind].format(out_name)
    if component.kind == "skills":
        originals = {f"{where}/{p}": b for p, b in component.files}
    else:
        originals = {where: component.content}
    broken = [f"{path} missing" for path in originals if path not in deployed]
    for path, original in originals.items():
        data = deployed.get(path)
        if data is None:
            continue
        named = component.kind == "agents" or path.endswith(f"{where}/SKILL.md")
        if not named:  # commands, rules, skill files: as they are
            if data != original:
                broken.append(f"{path} is not its source byte for byte")
            continue
        fields, before = MarkdownFile(data, load).fields, MarkdownFile(original, load).fields
        changed = set()  # the fields the README lets change
        if (prefix and (target != "copilot" or "name" in before or component.kind == "skills")
                or component.kind == "agents" and target != "copilot" and not before.get("name")):
            changed.add("name")  # follows a prefixed name; or added (Claude, Cursor agents)
        if component.kind == "agents" and not str(before.get("description") or "").strip():
            changed.add("description")  # added from the body's first line
        if without(data, changed) != without(original, changed):
            broken.append(f"{path} differs from its source in more than {sorted(changed)}")
        if "name" in changed and fields.get("name") != out_name:
            broken.append(f"{path} has name {fields.get('name')!r}, not {out_name!r}")
        if component.kind == "agents" and not str(fields.get("description") or "").strip():
            broken.append(f"{path} has no description")
    if target == "cursor" and component.kind == "rules":
        head = deployed.get(where, b"").split(b"---", 2)[1]
        missing = [k for k in ("description", "globs", "alwaysApply") if f"\n{k}:".encode() not in head]
        broken += [f"{where} has no {k}" for k in missing]
    return broken


def deployed_digest(ws: Path, target: str, path: str) -> str:
    """The digest the lock records for a deployed ``path``: the file's, the generated section's
    (AGENTS.md), or that of the servers agentops wrote (an MCP document, all of it agentops's here)."""
    data = (ws / path).read_bytes()
    if path == "AGENTS.md":
        text = data.decode("utf-8")
        return sha(text[text.index(BEGIN):text.index(END)].encode("utf-8"))
    rule = TARGETS[target].mcp
    if rule is not None and path == rule.path:
        node = json.loads(data)
        for key in rule.container:
            node = node[key]
        entries = {name: sha(json.dumps(entry, sort_keys=True, ensure_ascii=False).encode("utf-8"))
                   for name, entry in node.items()}
        return sha(json.dumps(entries, sort_keys=True).encode("utf-8"))
    return sha(data)


def check_workspace(ws: Path, target: str, components: dict[str, list[Component]], prefix: str | None,
                    servers: dict[str, dict], failed: dict[str, list[str]]) -> int:
    """Compare what install deployed into ``ws`` with ``translate`` of the sources and the README's
    rules, recording what differs per package in ``failed``; the number of files byte for byte."""
    tool = TARGETS[target]
    folders = {rule.directory for rule in tool.kinds.values()}
    deployed = {p.relative_to(ws).as_posix(): p.read_bytes() for folder in folders if (ws / folder).is_dir()
                for p in (ws / folder).rglob("*") if p.is_file()}
    expected, unchanged = {}, 0
    for package, mine in components.items():
        for component in mine:
            originals = dict(component.files) if component.kind == "skills" else None
            for made in translate(tool, component, load, prefix):
                expected[made.path] = made.content
                original = originals[made.path.split("/", 3)[3]] if originals is not None else component.content
                unchanged += made.content == original
                if deployed.get(made.path) != made.content:
                    failed.setdefault(package, []).append(f"{ws.name}: {made.path} is not what translate gives")
            failed_rules = readme_rules(target, component, prefix, deployed)
            if failed_rules:
                failed.setdefault(package, []).extend(f"{ws.name}: {why}" for why in failed_rules)
    assert sorted(set(deployed) - set(expected)) == [], "files no component accounts for"

    lock = json.loads((ws / "agentops.lock").read_text(encoding="utf-8"))
    recorded = lock.get("deployed", {}).get(target, {})
    for path, digest in recorded.items():
        assert deployed_digest(ws, target, path) == digest, (ws.name, path)
    whole = {p for p in recorded if p != "AGENTS.md" and (tool.mcp is None or p != tool.mcp.path)}
    assert whole == set(expected)
    if tool.context_file == "AGENTS.md":
        section = (ws / "AGENTS.md").read_text(encoding="utf-8")
        listed = [package for package, mine in components.items() if mine]
        assert "AGENTS.md" in recorded and all(f"/{package}/" in section for package in listed)
    offered = {name: spec for package in components for name, spec in servers.get(package, {}).items()}
    if tool.mcp is not None and offered:
        document = json.loads((ws / tool.mcp.path).read_text(encoding="utf-8"))
        written = document[tool.mcp.container[0]]
        assert written == {name: tool.mcp.entry(spec) for name, spec in offered.items()}
        for name, spec in offered.items():  # the README: every Copilot server with its type
            if target == "copilot":
                assert written[name].pop("type") == ("http" if "url" in spec else "stdio")
            assert written[name] == {k: v for k, v in spec.items() if k != "type" and v}
    return unchanged


@pytest.mark.parametrize(("name", "count"), SOURCES)
def test_corpus_source_round_trips_into_its_tool(agentops, tmp_path, record_property, name, count):
    target = TARGET_OF[name]
    if name == LEGACY:
        source, absent = legacy_collections(tmp_path / "legacy")
    else:
        source, absent = CORPUS / name, set()
    data = extract_json(agentops, source, "-o", tmp_path / "out", expect=None)
    assert data["package_count"] == count
    excluded = {p["name"] for p in data["packages"] if not p["ok"]}
    assert excluded == EXCLUDED.get(name, set())
    for package in data["packages"]:
        if not package["ok"]:
            assert {p["code"] for p in package["problems"] if p["severity"] == "error"} == {"hidden-unicode"}
    missing = {f["message"].split("'")[1] for f in data["findings"] if f["code"] == "missing-path"}
    assert missing == absent

    packages = [p for p in data["packages"] if p["ok"]]
    agentops.publish_folders(Path(p["directory"]) for p in packages)
    components = {p["name"]: source_components(source, p) for p in packages}
    servers = {p["name"]: yaml.safe_load(Path(p["directory"], "package.yaml").read_text()).get("mcp_servers") or {}
               for p in packages}
    failed: dict[str, list[str]] = {}

    groups = clash_free_groups(TARGETS[target], components)
    unchanged = 0
    for index, group in enumerate(groups):
        ws = tmp_path / f"ws-{index}"
        ws.mkdir()
        agentops("package", "install", *group, "--target", target, cwd=ws)
        unchanged += check_workspace(ws, target, {n: components[n] for n in group}, None, servers, failed)

    ws = tmp_path / "ws-prefixed"
    ws.mkdir()
    if len(groups) > 1:  # together without a prefix, they clash: refused before anything is written
        run = agentops("package", "install", *components, "--target", target, cwd=ws, expect=1)
        assert "name clash" in run.err and "prefix: package" in run.err
        assert list(ws.iterdir()) == []
    agentops("target", "add", target, "--prefix", "package", cwd=ws)
    agentops("package", "install", *components, cwd=ws)
    kept = check_workspace(ws, target, components, "package", servers, failed)

    files = sum(len(c.files) if c.kind == "skills" else 1 for cs in components.values() for c in cs)
    round_trip = sorted(set(components) - set(failed))
    empty = sum(not components[package] for package in round_trip)  # e.g. plugins of Copilot extensions only
    summary = (f"{name}: {len(round_trip)}/{count} packages round-trip into {target}, {empty} of them without "
               f"components ({files} component files, {unchanged} byte for byte without a prefix; "
               f"{len(groups)} workspace(s) without a prefix; {files - kept} with their name translated in 1 workspace "
               f"under prefix: package; excluded: {sorted(excluded) or 'none'})")
    print(summary)
    record_property("round_trip", summary)
    assert not failed, json.dumps(failed, indent=1)[:5000]
    assert len(round_trip) == count - len(EXCLUDED.get(name, ()))
    assert unchanged == files  # no file of these sources needs a change to be read by its own tool
