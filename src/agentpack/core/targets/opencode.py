"""OpenCode: ``.opencode/agents``, ``.opencode/commands``, ``.opencode/skills``, ``AGENTS.md``, ``opencode.json``.

An agent needs ``description``; ``mode: subagent`` is added when no mode is given (so a package's
agents are called with ``@name`` rather than crowding the primary agents). Values OpenCode rejects
are dropped: Claude's ``tools`` string or list (OpenCode's ``tools`` is a mapping), a named
``color`` (OpenCode wants ``#RGB``/``#RRGGBB`` or a theme name such as ``accent``) and a ``model`` without a ``provider/`` part. Commands share
Claude's ``$ARGUMENTS`` and are unchanged. MCP servers go under ``mcp`` in ``opencode.json``.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.target_markers import MARKERS
from agentpack.core.targets.base import Context, KindRule, McpRule, Target
from agentpack.core.targets.markdown import MarkdownFile, ensure_description, skill
from agentpack.core.type_names import Any

_HEX = frozenset("0123456789abcdefABCDEF")
_THEME_COLORS = frozenset({"primary", "secondary", "accent", "success", "warning", "error", "info"})


def agent(content: bytes, context: Context) -> bytes:
    """An OpenCode agent: ``description``, ``mode``; incompatible ``tools``/``color``/``model`` dropped."""
    document = MarkdownFile(content, context.load)
    fields = document.fields
    if "tools" in fields and not isinstance(fields["tools"], dict):
        document.remove("tools")
    if "color" in fields and not _opencode_color(fields["color"]):
        document.remove("color")
    model = fields.get("model")
    if model is not None and not (isinstance(model, str) and "/" in model):
        document.remove("model")
    ensure_description(document, context.name)
    if not document.has("mode"):
        document.set("mode", "subagent")
    if context.prefixed and document.has("name"):
        document.set("name", context.name)
    return document.to_bytes()


def _opencode_color(color: object) -> bool:
    """``#RGB``, ``#RRGGBB`` or a theme color name: what OpenCode's agent schema accepts."""
    if not isinstance(color, str):
        return False
    if color in _THEME_COLORS:
        return True
    return len(color) in (4, 7) and color[0] == "#" and set(color[1:]) <= _HEX


def mcp_entry(spec: Mapping[str, Any]) -> dict:
    """An ``opencode.json`` ``mcp`` entry: ``local`` with a command array, or ``remote`` with a URL."""
    if "url" in spec:
        entry: dict = {"type": "remote", "url": spec["url"]}
        if spec.get("headers"):
            entry["headers"] = dict(spec["headers"])
        return entry
    entry = {"type": "local", "command": [spec["command"], *spec.get("args", [])]}
    if spec.get("env"):
        entry["environment"] = dict(spec["env"])
    return entry


TARGET = Target(
    name="opencode",
    title="OpenCode",
    markers=MARKERS["opencode"],
    kinds={
        "agents": KindRule(".opencode/agents", "{name}.md", agent),
        "commands": KindRule(".opencode/commands", "{name}.md"),
        "skills": KindRule(".opencode/skills", "{name}", skill, folder=True),
    },
    mcp=McpRule("opencode.json", "json", ("mcp",), mcp_entry),
    context_file="AGENTS.md",
    notes={
        "rules": "OpenCode has no rule folder; rules are listed in AGENTS.md by the agents-md section",
        "workflows": "OpenCode has no workflow folder; workflows stay in workflows/<package>/",
        "patterns": "OpenCode has no pattern folder; patterns stay in patterns/<package>/",
    },
)
