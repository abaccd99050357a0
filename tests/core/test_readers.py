"""Readers on small hand-made listings: detection order, each format's rules, and bad input as findings."""

from __future__ import annotations

import json

import pytest

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.names import check_name
from agentpack.core.readers import READERS, Listing, detect, read
from agentpack.errors import UsageError


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


def agent(name: str, body: str = "Do the work.") -> bytes:
    return f"---\nname: {name}\ndescription: The {name} agent\n---\n{body}\n".encode()


def inventory(files: dict, name: str = "src", fmt: str | None = None):
    return read(Listing({k: v if isinstance(v, bytes) else v.encode() for k, v in files.items()}, name),
                fmt, load=load)


def codes(inv) -> list[str]:
    return [f.code for f in inv.findings]


def sources(package, kind: str) -> list[str]:
    return [c.source for c in package.by_kind(kind)]


# --- detection --------------------------------------------------------------------------------

DETECTION = [
    ({".claude-plugin/marketplace.json": "{}", ".claude-plugin/plugin.json": "{}", "AGENTS.md": "x"},
     "claude-marketplace"),
    ({".claude-plugin/plugin.json": "{}", ".codex-plugin/plugin.json": "{}"}, "claude-plugin"),
    ({".codex-plugin/plugin.json": "{}", "skills/a/SKILL.md": "x"}, "codex-plugin"),
    ({"apm.yml": "name: x", ".apm/agents/a.agent.md": "x"}, "apm"),
    ({"collections/a.collection.yml": "id: a", "agents/b.agent.md": "x"}, "copilot-collection"),
    ({".github/copilot-instructions.md": "x", "skills/a/SKILL.md": "x", "AGENTS.md": "x"}, "copilot"),
    ({"agents/a.agent.md": "x"}, "copilot"),
    ({"plugins/p/plugin.json": "{}"}, "copilot"),
    ({".claude/agents/a.md": "x", ".cursor/rules/r.mdc": "x"}, "claude-project"),
    ({".cursor/rules/r.mdc": "x", "AGENTS.md": "x"}, "cursor"),
    ({"rules/r.mdc": "x"}, "cursor"),
    ({".cursorrules": "x"}, "cursor"),
    ({"skills/a/SKILL.md": "x", "AGENTS.md": "x"}, "skills"),
    ({"SKILL.md": "x"}, "skills"),
    ({"AGENTS.md": "x", "README.md": "x"}, "agents-md"),
    ({"README.md": "x", "notes/a.md": "x"}, None),
]


@pytest.mark.parametrize("files, expected", DETECTION)
def test_detection_follows_the_table_order(files, expected):
    assert detect({k: v.encode() for k, v in files.items()}) == expected


def test_the_table_lists_every_format_the_command_offers():
    assert list(READERS) == ["claude-marketplace", "claude-plugin", "codex-plugin", "apm", "copilot-collection",
                             "copilot", "claude-project", "cursor", "skills", "agents-md"]


def test_no_known_format_leaves_every_file_not_understood():
    inv = inventory({"README.md": "# hi\n", "notes/a.md": "x"})
    assert inv.format == "" and inv.packages == ()
    assert inv.not_understood == ("README.md", "notes/a.md")
    assert "unknown-format" in codes(inv)


def test_a_named_format_skips_detection_and_an_unknown_one_is_a_usage_error():
    inv = inventory({".claude-plugin/plugin.json": '{"name": "p"}', "AGENTS.md": "x"}, fmt="agents-md")
    assert inv.format == "agents-md" and inv.detected_by == ""
    assert sources(inv.packages[0], "rules") == ["AGENTS.md"]
    with pytest.raises(UsageError, match="unknown source format"):
        inventory({"AGENTS.md": "x"}, fmt="word")


# --- Claude plugins and marketplaces ----------------------------------------------------------

def test_a_plugin_reads_its_manifest_and_default_folders():
    inv = inventory({
        ".claude-plugin/plugin.json": json.dumps({
            "name": "py-dev", "version": "1.2.3", "description": "Python help", "license": "MIT",
            "author": {"name": "Ann", "email": "ann@example.org"}, "keywords": ["python"],
            "commands": ["./extra/run.md"]}),
        "agents/a.md": agent("a"), "agents/b.md": agent("b"),
        "commands/go.md": "Go.\n", "commands/sub/deep.md": "Deep.\n", "extra/run.md": "Run.\n",
        "skills/s/SKILL.md": "---\nname: s\ndescription: S\n---\n", "skills/s/references/r.md": "r",
        "skills/s/assets/logo.png": b"\x89PNG\x00\xff", ".mcp.json": '{"mcpServers": {"db": {"command": "db"}}}',
        "hooks/hooks.json": "{}", "README.md": "# py-dev\n",
    })
    package, = inv.packages
    assert (package.name, package.version, package.license, package.author) == (
        "py-dev", "1.2.3", "MIT", "Ann <ann@example.org>")
    assert sources(package, "agents") == ["agents/a.md", "agents/b.md"]
    assert sources(package, "commands") == ["commands/go.md", "commands/sub/deep.md", "extra/run.md"]
    skill, = package.by_kind("skills")
    assert skill.files == ("skills/s/SKILL.md", "skills/s/assets/logo.png", "skills/s/references/r.md")
    assert package.mcp_servers == {"db": {"command": "db"}} and package.readme == "README.md"
    assert inv.not_understood == ("hooks/hooks.json",)


def test_a_malformed_plugin_manifest_is_a_finding_naming_the_file():
    inv = inventory({".claude-plugin/plugin.json": '{"name": "x", ', "agents/a.md": agent("a")}, name="My Plugin")
    package, = inv.packages
    bad = [f for f in inv.findings if f.code == "bad-manifest"]
    assert bad and bad[0].path == ".claude-plugin/plugin.json"
    assert package.name == "my-plugin" and sources(package, "agents") == ["agents/a.md"]
    assert inv.not_understood == ()


@pytest.mark.parametrize("manifest", ['[1, 2]', '"just a string"', b'\xff\xfe{}'])
def test_a_plugin_manifest_that_is_no_object_is_a_finding_too(manifest):
    inv = inventory({".claude-plugin/plugin.json": manifest, "agents/a.md": agent("a")})
    assert "bad-manifest" in codes(inv) and len(inv.packages) == 1


def test_manifest_fields_of_the_wrong_type_are_ignored_not_fatal():
    inv = inventory({".claude-plugin/plugin.json": json.dumps({
        "name": 5, "version": 2, "author": ["x"], "keywords": "a, b", "agents": 7, "license": {"x": 1}})},
        name="plug")
    package, = inv.packages
    assert (package.name, package.version, package.author, package.keywords, package.license) == (
        "plug", "2", "", ("a", "b"), "")


@pytest.mark.parametrize("ref", ["../secret.md", "./agents/../../secret.md", "/etc/passwd", "C:\\x.md",
                                 "https://example.org/a.md", 42])
def test_a_listed_path_that_leaves_the_plugin_is_refused(ref):
    inv = inventory({
        "plugins/p/.claude-plugin/plugin.json": json.dumps({"name": "p", "agents": [ref]}),
        ".claude-plugin/marketplace.json": json.dumps({"name": "m", "plugins": [{"name": "p", "source": "./plugins/p"}]}),
        "secret.md": agent("secret"),
    })
    package, = inv.packages
    assert package.components == ()
    unsafe = [f for f in inv.findings if f.code == "unsafe-path"]
    assert unsafe and unsafe[0].path == "plugins/p/.claude-plugin/plugin.json"
    assert "secret.md" in inv.not_understood


def test_a_marketplace_source_that_leaves_the_folder_is_refused():
    inv = inventory({".claude-plugin/marketplace.json": json.dumps(
        {"name": "m", "plugins": [{"name": "up", "source": "../outside"}, {"name": "gone", "source": "./nope"}]})})
    assert inv.packages == ()
    assert {"unsafe-path", "missing-path"} <= set(codes(inv))


def test_marketplace_entries_fill_what_plugin_json_lacks_and_external_sources_are_reported():
    inv = inventory({
        ".claude-plugin/marketplace.json": json.dumps({
            "name": "m", "owner": {"name": "Owner"}, "plugins": [
                {"name": "alpha", "source": "./plugins/alpha", "category": "dev", "keywords": ["k1"],
                 "version": "9.9.9"},
                {"name": "beta", "source": "beta"},
                {"name": "far", "source": {"source": "github", "repo": "o/far"}},
            ], "metadata": {"pluginRoot": "./plugins"}}),
        "plugins/alpha/.claude-plugin/plugin.json": json.dumps({"name": "alpha", "version": "1.0.0",
                                                                 "keywords": ["k0"]}),
        "plugins/alpha/agents/a.md": agent("a"),
        "plugins/beta/commands/c.md": "C\n",
        "LICENSE": "MIT License\n\nCopyright ...", "README.md": "# m\n", "CLAUDE.md": "x",
    })
    alpha, beta = inv.packages
    assert (alpha.version, alpha.category, alpha.keywords, alpha.author, alpha.license) == (
        "1.0.0", "dev", ("k0", "k1"), "Owner", "MIT")
    assert (beta.name, beta.version, sources(beta, "commands")) == ("beta", "0.1.0", ["plugins/beta/commands/c.md"])
    assert [f.code for f in inv.findings if "far" in f.message] == ["external-source"]
    assert inv.not_understood == ("CLAUDE.md",)


def test_a_non_strict_entry_at_the_root_is_its_own_manifest():
    inv = inventory({
        ".claude-plugin/marketplace.json": json.dumps({"name": "m", "plugins": [
            {"name": "docs", "source": "./", "strict": False, "skills": ["./skills/a", "./skills/b"]},
            {"name": "api", "source": "./", "strict": False, "skills": ["./skills/c"]}]}),
        "skills/a/SKILL.md": "a", "skills/b/SKILL.md": "b", "skills/c/SKILL.md": "c", "skills/d/SKILL.md": "d",
    })
    assert [(p.name, [c.name for c in p.components]) for p in inv.packages] == [("docs", ["a", "b"]),
                                                                                  ("api", ["c"])]
    assert inv.not_understood == ("skills/d/SKILL.md",)


def test_names_are_normalised_and_duplicates_made_unique():
    inv = inventory({".claude-plugin/marketplace.json": json.dumps({"name": "m", "plugins": [
        {"name": "Data_Tools", "source": "./a"}, {"name": "data-tools", "source": "./b"}]}),
        "a/agents/x.md": agent("x"), "b/agents/y.md": agent("y")})
    assert [p.name for p in inv.packages] == ["data-tools", "data-tools-2"]
    assert inv.packages[0].original_name == "Data_Tools"
    assert {"name-normalised", "duplicate-package-name"} <= set(codes(inv))
    assert all(check_name(p.name) is None for p in inv.packages)


def test_same_names_in_two_packages_are_clashes_or_duplicates():
    inv = inventory({".claude-plugin/marketplace.json": json.dumps({"name": "m", "plugins": [
        {"name": "a", "source": "./a"}, {"name": "b", "source": "./b"}]}),
        "a/agents/rev.md": agent("rev", "one"), "b/agents/rev.md": agent("rev", "two"),
        "a/commands/go.md": "same", "b/commands/go.md": "same"})
    by_name = {clash.name: clash for clash in inv.clashes}
    assert by_name["rev"].same_content is False and by_name["go"].same_content is True
    assert by_name["rev"].sources == (("a", "a/agents/rev.md"), ("b", "b/agents/rev.md"))


# --- other formats ----------------------------------------------------------------------------

def test_codex_plugin_carries_its_skills_and_mcp_servers():
    inv = inventory({".codex-plugin/plugin.json": json.dumps({
        "name": "note-taker", "version": "1.2.0", "skills": "./skills/", "mcpServers": "./.mcp.json",
        "interface": {"shortDescription": "Notes", "category": "Productivity"}}),
        "skills/notes/SKILL.md": "n", "skills/notes/scripts/x.py": "print()", ".mcp.json": '{"mcpServers": {}}',
        "hooks.json": "{}"})
    package, = inv.packages
    assert (package.name, package.description, package.category) == ("note-taker", "Notes", "Productivity")
    assert package.by_kind("skills")[0].files == ("skills/notes/SKILL.md", "skills/notes/scripts/x.py")
    assert inv.not_understood == ("hooks.json",)


def test_apm_package_reads_primitives_dependencies_and_mcp():
    inv = inventory({
        "apm.yml": "name: Team Standards\nversion: 1.0.0\ndescription: Standards\nauthor: ann\nlicense: MIT\n"
                   "dependencies:\n  apm:\n    - anthropics/skills/skills/frontend-design\n"
                   "    - {git: https://example.org/x.git, path: sub, ref: v1}\n"
                   "  mcp:\n    - io.github.github/github-mcp-server\n"
                   "    - {name: db, command: db-server, args: [--ro]}\n",
        ".apm/instructions/py.instructions.md": "---\napplyTo: '**/*.py'\n---\nUse ruff.\n",
        ".apm/prompts/review.prompt.md": "Review.\n", ".apm/agents/lead.agent.md": agent("lead"),
        ".apm/skills/lint/SKILL.md": "l", ".apm/hooks/h.json": "{}",
    })
    package, = inv.packages
    assert package.name == "team-standards" and package.version == "1.0.0"
    assert package.dependencies == ("anthropics/skills/skills/frontend-design", "https://example.org/x.git/sub#v1")
    assert package.mcp_servers == {"db": {"command": "db-server", "args": ["--ro"]}}
    assert [(c.kind, c.name) for c in package.components] == [
        ("agents", "lead"), ("commands", "review"), ("rules", "py"), ("skills", "lint")]
    assert "mcp-reference" in codes(inv) and inv.not_understood == (".apm/hooks/h.json",)


def test_a_broken_apm_yml_is_a_finding():
    inv = inventory({"apm.yml": "name: [unclosed\n", ".apm/prompts/a.prompt.md": "a"}, name="fallback")
    assert inv.packages[0].name == "fallback"
    assert [f.path for f in inv.findings if f.code == "bad-manifest"] == ["apm.yml"]


def test_skills_become_one_package_each_with_their_licence():
    inv = inventory({
        "skills/pdf/SKILL.md": "---\nname: pdf\ndescription: PDFs\nlicense: Complete terms in LICENSE.txt\n"
                               "metadata: {author: acme, version: '2.0'}\n---\n",
        "skills/pdf/LICENSE.txt": "\n   Apache License\n   Version 2.0", "skills/pdf/ref/a.md": "a",
        "skills/pdf/sub/SKILL.md": "---\nname: pdf-sub\ndescription: nested\n---\n",
        "skills/web/SKILL.md": "---\nname: Web Testing\ndescription: web\nlicense: MIT\n---\n",
        "README.md": "# skills", "stray.txt": "?",
    })
    pdf, web = inv.packages
    assert (pdf.name, pdf.version, pdf.author, pdf.license, pdf.license_file) == (
        "pdf", "2.0", "acme", "Apache-2.0", "skills/pdf/LICENSE.txt")
    assert pdf.components[0].files == ("skills/pdf/LICENSE.txt", "skills/pdf/SKILL.md", "skills/pdf/ref/a.md",
                                       "skills/pdf/sub/SKILL.md")
    assert (web.name, web.original_name, web.license) == ("web-testing", "Web Testing", "MIT")
    assert inv.not_understood == ("stray.txt",)


def test_a_root_skill_is_one_package():
    inv = inventory({"SKILL.md": "---\nname: solo\ndescription: d\n---\n", "scripts/run.sh": "echo"}, name="x")
    package, = inv.packages
    assert package.name == "solo" and package.components[0].files == ("SKILL.md", "scripts/run.sh")


def test_copilot_plugins_resolve_paths_from_the_root_and_the_rest_is_one_package():
    inv = inventory({
        "plugins/kit/plugin.json": json.dumps({"name": "kit", "version": "1.0.0", "extensions": {
            "com.github.awesome-copilot": {"agents": ["./agents/helper.md"], "skills": ["./skills/s/"],
                                           "extensions": ["./extensions/x"]}}}),
        "plugins/kit/README.md": "# kit",
        "agents/helper.agent.md": agent("helper"), "agents/other.agent.md": agent("other"),
        "instructions/py.instructions.md": "x", "prompts/p.prompt.md": "x", "skills/s/SKILL.md": "s",
        "skills/t/SKILL.md": "t", "skills/t/x.prompt.md": "inside a skill", ".github/agents/plain.md": agent("p"),
        ".github/copilot-instructions.md": "x", "workflows/report.md": "---\non: push\n---\n",
        "hooks/h/hooks.json": "{}", "LICENSE": "MIT License",
    }, name="awesome")
    kit, rest = inv.packages
    assert [c.source for c in kit.components] == ["agents/helper.agent.md", "skills/s"]
    assert kit.readme == "plugins/kit/README.md" and kit.license == "MIT"
    assert rest.name == "awesome"
    assert sorted(c.source for c in rest.components) == [
        ".github/agents/plain.md", ".github/copilot-instructions.md", "agents/other.agent.md",
        "instructions/py.instructions.md", "prompts/p.prompt.md", "skills/t", "workflows/report.md"]
    assert "unsupported-kind" in codes(inv) and inv.not_understood == ("hooks/h/hooks.json",)


def test_collections_list_items_and_report_missing_ones():
    inv = inventory({
        "collections/py.collection.yml": "id: py-tools\nname: Python Tools\ndescription: Py\ntags: [python]\n"
                                         "items:\n  - {path: prompts/a.prompt.md, kind: prompt}\n"
                                         "  - {path: agents/b.agent.md, kind: chat-mode}\n"
                                         "  - {path: gone.md, kind: instruction}\n"
                                         "  - {path: ../up.md, kind: prompt}\n  - {path: x, kind: hook}\n",
        "collections/py-tools.md": "# Python Tools", "collections/bad.collection.yml": "items: [",
        "prompts/a.prompt.md": "a", "agents/b.agent.md": "b", "agents/c.agent.md": "c",
    })
    package, = inv.packages
    assert (package.name, package.keywords, package.readme) == ("py-tools", ("python",), "collections/py-tools.md")
    assert [(c.kind, c.source) for c in package.components] == [("commands", "prompts/a.prompt.md"),
                                                                ("agents", "agents/b.agent.md")]
    assert {"missing-path", "unsafe-path", "unsupported-kind", "bad-manifest"} <= set(codes(inv))
    assert inv.not_understood == ("agents/c.agent.md", "collections/bad.collection.yml")


def test_a_collection_skill_item_naming_its_skill_md_is_the_whole_folder():
    # awesome-copilot's collections list a skill as skills/<name>/SKILL.md (copilot-sdk, ospo-sponsorship)
    inv = inventory({
        "collections/sdk.collection.yml": "id: sdk\ndescription: SDK\nitems:\n"
                                          "  - {path: skills/copilot-sdk/SKILL.md, kind: skill}\n"
                                          "  - {path: skills/finder, kind: skill}\n",
        "skills/copilot-sdk/SKILL.md": "---\nname: copilot-sdk\ndescription: SDK\n---\nUse it.\n",
        "skills/copilot-sdk/references/go.md": "# Go\n",
        "skills/finder/SKILL.md": "---\nname: finder\ndescription: Finds\n---\nFind.\n",
    })
    package, = inv.packages
    assert [(c.kind, c.source, c.files) for c in package.components] == [
        ("skills", "skills/copilot-sdk", ("skills/copilot-sdk/SKILL.md", "skills/copilot-sdk/references/go.md")),
        ("skills", "skills/finder", ("skills/finder/SKILL.md",))]
    assert "missing-path" not in codes(inv)


def test_cursor_claude_project_and_agents_md_are_one_package_each():
    cursor = inventory({".cursor/rules/a.mdc": "---\nglobs: **/*\n---\nx", ".cursorrules": "old",
                        ".cursor/mcp.json": '{"mcpServers": {"s": {"url": "https://x"}}}'}, name="proj")
    assert sources(cursor.packages[0], "rules") == [".cursor/rules/a.mdc", ".cursorrules"]
    assert "bad-frontmatter" in codes(cursor) and cursor.packages[0].mcp_servers == {"s": {"url": "https://x"}}
    claude = inventory({".claude/agents/a.md": agent("a"), ".claude/skills/s/SKILL.md": "s",
                        ".claude/settings.json": "{}", "CLAUDE.md": "memory"}, name="proj")
    assert [(c.kind, c.name) for c in claude.packages[0].components] == [
        ("agents", "a"), ("skills", "s"), ("rules", "CLAUDE")]
    assert claude.not_understood == (".claude/settings.json",)
    md = inventory({"AGENTS.md": "root", "docs/api/AGENTS.md": "nested", "LICENSE": "MIT License"}, name="repo")
    assert [(c.name, c.source) for c in md.packages[0].components] == [
        ("agents", "AGENTS.md"), ("docs-api-agents", "docs/api/AGENTS.md")]
    assert md.packages[0].license == "MIT"


# --- inventory-wide findings ------------------------------------------------------------------

def test_hidden_unicode_and_bad_frontmatter_are_found_in_every_file():
    inv = inventory({".claude-plugin/plugin.json": '{"name": "p"}',
                     "agents/a.md": b"---\nname: a\ndescription: x: y\n---\n",
                     "agents/b.md": agent("b", "hi\u200bthere"), "notes.txt": "tag\U000e0041"})
    found = {(f.code, f.path) for f in inv.findings}
    assert ("bad-frontmatter", "agents/a.md") in found
    assert ("hidden-unicode", "agents/b.md") in found and ("hidden-unicode", "notes.txt") in found


def test_not_understood_files_are_listed_and_summarised():
    inv = inventory({".claude-plugin/plugin.json": '{"name": "p"}', "agents/a.md": agent("a"),
                     **{f"misc/{i}.bin": b"\x00" for i in range(7)}})
    assert inv.not_understood == tuple(f"misc/{i}.bin" for i in range(7))
    summary, = [f for f in inv.findings if f.code == "not-understood"]
    assert "7 file(s)" in summary.message and "and 2 more" in summary.message


def test_counts_per_kind_and_per_package():
    inv = inventory({".claude-plugin/plugin.json": '{"name": "p"}', "agents/a.md": agent("a"),
                     "commands/c.md": "c", "skills/s/SKILL.md": "s", "skills/s/r.md": "r",
                     ".mcp.json": '{"mcpServers": {"x": {"command": "x"}}}'})
    expected = {"agents": 1, "commands": 1, "skills": 1, "rules": 0, "workflows": 0, "patterns": 0, "mcp_servers": 1}
    assert inv.counts_by_kind() == expected and inv.counts_by_package() == {"p": expected}


def test_a_plain_mapping_is_accepted_as_a_listing():
    inv = read({"AGENTS.md": b"x"}, load=load)
    assert inv.format == "agents-md" and inv.packages[0].name == "source"


@pytest.mark.parametrize("declared, files, expected, code", [
    ({"db": {"command": "db"}, "bad": {"args": []}}, {}, {"db": {"command": "db"}}, "bad-mcp-server"),
    ("./servers.json", {"servers.json": '{"mcpServers": {"s": {"url": "https://s"}}}'}, {"s": {"url": "https://s"}},
     None),
    ("./missing.json", {}, {}, "missing-path"),
    ("../up.json", {}, {}, "unsafe-path"),
    (None, {".mcp.json": "{broken"}, {}, "bad-manifest"),
    (None, {".mcp.json": "[" * 10_000 + "]" * 10_000}, {}, "bad-manifest"),
    (None, {".mcp.json": '{"mcpServers": {"s": {"url": "https://s"}}, "mcpServers": {}}'}, {}, "bad-manifest"),
])
def test_plugin_mcp_servers_inline_by_path_or_by_default(declared, files, expected, code):
    manifest = {"name": "p"} | ({"mcpServers": declared} if declared is not None else {})
    inv = inventory({".claude-plugin/plugin.json": json.dumps(manifest), **files})
    assert inv.packages[0].mcp_servers == expected
    assert (code in codes(inv)) if code else not [f for f in inv.findings if f.severity == "warning"]


def test_listing_paths_that_break_the_contract_are_refused_before_any_reader_sees_them():
    inv = inventory({"AGENTS.md": "x", "../evil.md": "x", "/abs/AGENTS.md": "x", "a//AGENTS.md": "x",
                     "a/./AGENTS.md": "x", "a\\AGENTS.md": "x", "C:/AGENTS.md": "x", "ok/AGENTS.md": "y"})
    refused = sorted(f.path for f in inv.findings if f.code == "unsafe-path")
    assert refused == sorted(["../evil.md", "/abs/AGENTS.md", "a//AGENTS.md", "a/./AGENTS.md", "a\\AGENTS.md",
                              "C:/AGENTS.md"])
    assert all(f.severity == "error" for f in inv.findings if f.code == "unsafe-path")
    assert [c.source for c in inv.packages[0].components] == ["AGENTS.md", "ok/AGENTS.md"]
    assert inv.not_understood == () and inv.file_count == 2


def test_a_listing_without_some_paths_is_a_view():
    listing = Listing({"a": b"1", "b": b"2"}, "x").without(["b"])
    assert listing.paths() == ["a"] and "b" not in listing and len(listing.files) == 1
    with pytest.raises(KeyError):
        listing.read("b")
