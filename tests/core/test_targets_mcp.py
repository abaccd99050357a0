"""Merging package MCP servers into .mcp.json, .vscode/mcp.json, .cursor/mcp.json and Codex config.toml."""

from __future__ import annotations

import json
import tomllib

import pytest

from agentpack.core.targets import TARGETS
from agentpack.core.targets.mcp import merge_mcp_json, merge_mcp_toml
from agentpack.errors import WorkspaceError

STDIO = {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}}
REMOTE = {"url": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer x"}}


@pytest.mark.parametrize(("target", "stdio", "remote"), [
    ("claude", {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}},
     {"type": "http", "url": REMOTE["url"], "headers": REMOTE["headers"]}),
    ("copilot", {"type": "stdio", "command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}},
     {"type": "http", "url": REMOTE["url"], "headers": REMOTE["headers"]}),
    ("cursor", {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}},
     {"url": REMOTE["url"], "headers": REMOTE["headers"]}),
    ("gemini", {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}},
     {"httpUrl": REMOTE["url"], "headers": REMOTE["headers"]}),
    ("opencode", {"type": "local", "command": ["npx", "-y", "srv"], "environment": {"TOKEN": "${TOKEN}"}},
     {"type": "remote", "url": REMOTE["url"], "headers": REMOTE["headers"]}),
    ("codex", {"command": "npx", "args": ["-y", "srv"], "env": {"TOKEN": "${TOKEN}"}},
     {"url": REMOTE["url"], "http_headers": REMOTE["headers"]}),
])
def test_server_entries_per_tool(target, stdio, remote):
    rule = TARGETS[target].mcp
    assert rule.entry(STDIO) == stdio
    assert rule.entry(REMOTE) == remote


USER_DOC = '{\n    "mcpServers": {\n        "mine": {"command": "mine"},\n        "db": {"command": "old"},\n        "gone": {"command": "g"}\n    },\n    "other": true\n}\n'


def test_json_merge_keeps_user_entries_order_and_other_keys():
    result = merge_mcp_json(USER_DOC, ("mcpServers",), {"db": {"command": "new"}, "added": {"command": "a"}},
                            owned={"db", "gone"}, path=".mcp.json")
    document = json.loads(result.text)
    assert list(document) == ["mcpServers", "other"]
    assert list(document["mcpServers"].items()) == [
        ("mine", {"command": "mine"}), ("db", {"command": "new"}), ("added", {"command": "a"})]
    assert result.text.startswith('{\n    "mcpServers"')  # the document's own indentation
    assert result.changed and result.clashes == () and result.written == ("added", "db")


def test_json_clash_with_a_user_entry_is_reported_and_the_entry_kept():
    result = merge_mcp_json(USER_DOC, ("mcpServers",), {"mine": {"command": "pkg"}}, owned=set())
    assert result.clashes == ("mine",)
    assert result.text == USER_DOC and not result.changed


def test_json_no_change_returns_the_same_text():
    text = '{"servers": {"a": {"type": "stdio", "command": "x"}}}'
    result = merge_mcp_json(text, ("servers",), {"a": {"type": "stdio", "command": "x"}}, owned={"a"})
    assert result.text == text and not result.changed


def test_json_new_file_and_removing_everything():
    created = merge_mcp_json(None, ("mcp",), {"b": {"type": "local"}, "a": {"type": "local"}}, owned=())
    assert created.text == '{\n  "mcp": {\n    "a": {\n      "type": "local"\n    },\n    "b": {\n      "type": "local"\n    }\n  }\n}\n'
    emptied = merge_mcp_json(created.text, ("mcp",), {}, owned={"a", "b"})
    assert json.loads(emptied.text) == {"mcp": {}}


@pytest.mark.parametrize("text", ['{"mcpServers": {} // c\n}', "[1]", '{"mcpServers": []}', '{"a": 1, "a": 2}',
                                  '{"a": ' + "[" * 10_000 + "]" * 10_000 + "}", '{"a": NaN}', '{"a": "\\ud800"}'])
def test_json_documents_agentops_cannot_rewrite(text):
    with pytest.raises(WorkspaceError):
        merge_mcp_json(text, ("mcpServers",), {"x": {"command": "x"}}, owned=())


CONFIG = '''model = "gpt-5"  # mine

[mcp_servers.mine]
command = "mine"

[mcp_servers.db]
command = "old"

[mcp_servers.db.env]
A = "1"

[profiles.fast]
model = "mini"
'''


def test_toml_merge_replaces_owned_tables_in_place_and_keeps_every_other_line():
    result = merge_mcp_toml(CONFIG, {"db": {"command": "new", "args": ["x"]}, "web": {"url": "https://w"}},
                            owned={"db"})
    assert result.text == '''model = "gpt-5"  # mine

[mcp_servers.mine]
command = "mine"

[mcp_servers.db]
command = "new"
args = ["x"]

[profiles.fast]
model = "mini"

[mcp_servers.web]
url = "https://w"
'''
    data = tomllib.loads(result.text)
    assert data["mcp_servers"]["mine"] == {"command": "mine"} and data["profiles"] == {"fast": {"model": "mini"}}


def test_toml_clash_removal_and_identity():
    clash = merge_mcp_toml(CONFIG, {"mine": {"command": "pkg"}}, owned=())
    assert clash.clashes == ("mine",) and clash.text == CONFIG and not clash.changed
    removed = merge_mcp_toml(CONFIG, {}, owned={"db"})
    assert "db" not in tomllib.loads(removed.text)["mcp_servers"]
    assert removed.text.startswith('model = "gpt-5"  # mine\n\n[mcp_servers.mine]\ncommand = "mine"\n\n[profiles.fast]')
    again = merge_mcp_toml(removed.text, {}, owned=())
    assert again.text == removed.text and not again.changed


def test_toml_new_file_and_quoted_names():
    result = merge_mcp_toml(None, {"my.server": {"command": "x", "env": {"A B": "1"}}}, owned=())
    assert result.text == '[mcp_servers."my.server"]\ncommand = "x"\nenv = { "A B" = "1" }\n'
    again = merge_mcp_toml(result.text, {"my.server": {"command": "y"}}, owned={"my.server"})
    assert tomllib.loads(again.text) == {"mcp_servers": {"my.server": {"command": "y"}}}


@pytest.mark.parametrize("text", [
    'mcp_servers = { db = { command = "old" } }\n',
    '[mcp_servers]\ndb = { command = "old" }\n',
    "not toml =\n",
])
def test_toml_documents_agentops_cannot_edit(text):
    with pytest.raises(WorkspaceError):
        merge_mcp_toml(text, {"db": {"command": "new"}}, owned={"db"})


def test_no_document_and_no_servers_is_nothing_to_write():
    assert merge_mcp_json(None, ("mcpServers",), {}, owned=()) == merge_mcp_json(None, ("x",), {}, owned=())
    assert not merge_mcp_json(None, ("mcpServers",), {}, owned=()).changed
    assert not merge_mcp_toml(None, {}, owned=()).changed
