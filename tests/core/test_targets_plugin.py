"""core.targets.plugin: plugin.json, the plugin's files and marketplace.json, from values alone."""

from __future__ import annotations

import json

import yaml

from agentpack.core.targets import Component
from agentpack.core.targets.plugin import (
    marketplace_document,
    plugin_files,
    plugin_manifest,
    skipped_kinds,
)


def load(text):
    return yaml.safe_load(text)


def test_plugin_manifest_keeps_claude_fields_only():
    manifest = {"name": "team/desk", "version": "1.0.0", "description": "d", "author": "A", "license": "MIT",
                "keywords": ["x"], "homepage": "https://e.org", "dependencies": {"b": "^1"}}
    assert plugin_manifest(manifest) == {"name": "team-desk", "version": "1.0.0", "description": "d",
                                         "author": {"name": "A"}, "license": "MIT", "homepage": "https://e.org",
                                         "keywords": ["x"]}
    assert plugin_manifest({"name": "a", "version": "0.1.0"}) == {"name": "a", "version": "0.1.0"}


def test_plugin_files_are_deterministic_and_skip_kinds_a_plugin_lacks():
    components = [
        Component("desk", "commands", "go", content=b"Go\n"),
        Component("desk", "skills", "s", files=(("SKILL.md", b"---\nname: s\ndescription: d\n---\n"),
                                                ("references/r.md", b"\xff\x00"))),
        Component("desk", "workflows", "w", content=b"# W\n"),
    ]
    servers = {"kb": {"url": "https://kb"}, "a": {"command": "x"}}
    first = plugin_files({"name": "desk", "version": "1.0.0"}, components, servers, load)
    assert first == plugin_files({"name": "desk", "version": "1.0.0"}, list(reversed(components)), servers, load)
    assert list(first) == [".claude-plugin/plugin.json", ".mcp.json", "commands/go.md", "skills/s/SKILL.md",
                           "skills/s/references/r.md"]
    assert first["skills/s/references/r.md"] == b"\xff\x00"
    assert json.loads(first[".mcp.json"]) == {"mcpServers": {"a": {"command": "x"},
                                                             "kb": {"type": "http", "url": "https://kb"}}}
    assert skipped_kinds(components) == ["workflows"]


def test_marketplace_lists_plugins_by_relative_folder():
    document = marketplace_document("ws", "ws", [{"name": "b", "version": "1.0.0"}, {"name": "a", "description": "d"}],
                                    "all of ws")
    assert document == {"name": "ws", "owner": {"name": "ws"}, "metadata": {"description": "all of ws"},
                        "plugins": [{"name": "a", "source": "./a", "description": "d"},
                                    {"name": "b", "source": "./b", "version": "1.0.0"}]}
