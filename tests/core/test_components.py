"""Component lists: glob expansion, skill folders, MCP servers, and where the new kinds install."""

import pytest

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.components import expand_glob, expand_lists, is_glob, skill_folders
from agentpack.core.layout import installed_files
from agentpack.core.manifest import COMPONENT_KINDS, Manifest
from agentpack.core.package_check import check_package
from agentpack.services.validate import load_schema

SCHEMA = load_schema()
BASE = "name: kit\nversion: 1.0.0\nlicense: MIT\n"
FILES = {
    "README.md": b"# kit\n",
    "docs/getting-started.md": b"# gs\n",
    "agents/b.md": b"---\nname: b\ndescription: B\n---\nB\n",
    "agents/a.md": b"---\nname: a\ndescription: A\n---\nA\n",
    "agents/deep/c.md": b"---\nname: c\ndescription: C\n---\nC\n",
    "skills/one/SKILL.md": b"---\nname: one\ndescription: One\n---\n",
    "skills/one/references/r.md": b"# r\n",
    "skills/one/assets/a.bin": b"\x00\xff",
    "skills/two/SKILL.md": b"---\nname: two\ndescription: Two\n---\n",
    "plugins/p/skills/two/SKILL.md": b"---\nname: two\ndescription: Other two\n---\n",
}


def check(manifest: str, files: dict | None = None):
    return check_package({**FILES, **(files or {}), "package.yaml": (BASE + manifest).encode()}, SCHEMA, load_yaml)


def errors(problems):
    return [(p.code, p.field) for p in problems if p.is_error]


@pytest.mark.parametrize(("entry", "glob"), [("agents/*.md", True), ("skills/[ab]*", True), ("a?.md", True),
                                             ("agents/a.md", False), ("skills/one", False)])
def test_an_entry_is_a_glob_when_it_holds_a_wildcard(entry, glob):
    assert is_glob(entry) is glob


def test_globs_expand_to_sorted_files_and_skill_globs_to_folders_holding_skill_md():
    paths = list(FILES)
    assert expand_glob("agents", "agents/*.md", paths) == ["agents/a.md", "agents/b.md"]
    assert expand_glob("agents", "agents/**/*.md", paths) == ["agents/a.md", "agents/b.md", "agents/deep/c.md"]
    assert expand_glob("skills", "skills/*", paths) == ["skills/one", "skills/two"]
    assert expand_glob("skills", "**/skills/*", paths) == ["plugins/p/skills/two", "skills/one", "skills/two"]
    assert skill_folders(paths) == ["plugins/p/skills/two", "skills/one", "skills/two"]


def test_a_manifest_with_globs_lists_the_sorted_matches_once():
    manifest, problems = check("agents: [agents/b.md, agents/*.md]\nskills: [skills/*]\n")
    assert errors(problems) == []
    assert manifest.agents == ("agents/b.md", "agents/a.md")
    assert manifest.skills == ("skills/one", "skills/two")
    assert manifest.component_counts()["skills"] == 2


def test_expand_lists_rewrites_only_globs_and_keeps_the_other_fields():
    data = {"name": "kit", "agents": ["agents/b.md", "agents/*.md"], "skills": ["skills/*"], "x": 1}
    expanded = expand_lists(data, list(FILES), COMPONENT_KINDS)
    assert expanded == {"name": "kit", "agents": ["agents/b.md", "agents/a.md"],
                        "skills": ["skills/one", "skills/two"], "x": 1}
    assert expand_lists({"agents": ["agents/a.md"]}, list(FILES), COMPONENT_KINDS) is None


@pytest.mark.parametrize(("manifest", "expected"), [
    ("agents: [agent/*.md]\n", [("empty-glob", "agents")]),
    ("commands: [commands/*.md]\n", [("empty-glob", "commands")]),
    ("skills: [nothing/*]\n", [("empty-glob", "skills")]),
    ("rules: ['rules/[a.md']\n", [("invalid-glob", "rules")]),
    ("skills: [skills/one/references]\n", [("missing-skill-file", "skills")]),
    ("skills: [skills/one/SKILL.md]\n", [("not-a-skill", "skills")]),
    ("skills: [skills/three]\n", [("missing-file", "skills")]),
    ("skills: [skills/two, plugins/p/skills/two]\n", [("duplicate-skill", "skills")]),
    ("config: {mcp_servers: docs/getting-started.md}\n", [("reserved-config-name", "config")]),
    ("mcp_servers: {x: {command: npx, url: http://x}}\n", [("invalid-field", "mcp_servers")]),
    ("mcp_servers: {x: {args: [a]}}\n", [("invalid-field", "mcp_servers")]),
    ("mcp_servers: {x: {command: npx, env: {PORT: 80}}}\n", [("invalid-field", "mcp_servers")]),
])
def test_component_list_errors_name_their_field(manifest, expected):
    _, problems = check(manifest)
    assert errors(problems) == expected


def test_mcp_servers_of_either_form_are_valid_and_kept():
    manifest, problems = check("mcp_servers:\n  a: {command: npx, args: [x], env: {K: v}}\n"
                               "  b: {url: 'https://b/mcp', headers: {H: v}}\n")
    assert errors(problems) == []
    assert manifest.mcp_servers == {"a": {"command": "npx", "args": ["x"], "env": {"K": "v"}},
                                    "b": {"url": "https://b/mcp", "headers": {"H": "v"}}}
    assert Manifest.from_dict(manifest.to_dict()) == manifest


def test_files_in_a_listed_skill_folder_are_listed_and_others_are_not():
    _, problems = check("skills: [skills/one]\n")
    unlisted = sorted(p.path for p in problems if p.code == "unlisted-file" and p.path.startswith("skills/"))
    assert unlisted == ["skills/two/SKILL.md"]


def test_new_kinds_install_under_their_folders_and_a_skill_by_its_folder_name():
    manifest = Manifest(name="kit", version="1.0.0", agents=("agents/a.md",), commands=("commands/c.md",),
                        rules=("style.md",), skills=("skills/one", "plugins/p/skills/two"))
    files = [*FILES, "commands/c.md", "style.md"]
    mapping = installed_files(manifest, files)
    assert mapping["commands/kit/c.md"] == "commands/c.md"
    assert mapping["rules/kit/style.md"] == "style.md"
    assert mapping["skills/kit/one/assets/a.bin"] == "skills/one/assets/a.bin"
    assert mapping["skills/kit/one/references/r.md"] == "skills/one/references/r.md"
    assert mapping["skills/kit/two/SKILL.md"] == "plugins/p/skills/two/SKILL.md"
    assert list(mapping) == sorted(mapping)


def test_a_server_of_neither_form_gets_a_message_naming_both():
    _, problems = check("mcp_servers: {x: {command: npx, url: http://x}}\n")
    message = next(p.message for p in problems if p.field == "mcp_servers")
    assert message.startswith("mcp_servers.x: must be either {command, args, env}")
