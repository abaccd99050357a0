"""Which files and folders suggest a workspace uses which agent tool (the targets' markers), and
which shared documents the tools read (their context files), alone.

The target descriptions (core.targets) take their ``markers`` from this table, so it is the one
place they are written, and check that ``CONTEXT_FILES`` names every context file they have. It
lives outside that package because a workspace without targets only needs to know whether a tool
is there or was deployed to, and importing every tool's translation rules for that would cost
every such install some 10 ms of start-up. Pure.
"""

from __future__ import annotations

# In the order of core.targets.TARGETS, which is the order detection reports them in. A bare
# .github/ is not a Copilot marker: nearly every repository has one for Actions.
MARKERS: dict[str, tuple[str, ...]] = {
    "claude": (".claude", "CLAUDE.md", ".mcp.json"),
    "copilot": (".github/copilot-instructions.md", ".github/agents", ".github/prompts",
                ".github/instructions", ".github/skills", ".vscode/mcp.json"),
    "cursor": (".cursor", ".cursorrules"),
    "codex": (".codex",),
    "gemini": (".gemini", "GEMINI.md"),
    "opencode": (".opencode", "opencode.json", "opencode.jsonc"),
    "agents-md": ("AGENTS.md",),
}

# Every ``context_file`` of core.targets.TARGETS: documents several tools read, where agentops
# keeps one section of its own.
CONTEXT_FILES = ("AGENTS.md", "GEMINI.md")


def detect_targets(present: set[str] | frozenset[str]) -> list[tuple[str, str]]:
    """The targets a workspace suggests: (target name, the marker found), in table order.

    ``present`` holds the workspace-relative paths that exist among every target's markers (the
    caller checks the disk). A target is suggested once, for its first marker present.
    """
    found = []
    for name, markers in MARKERS.items():
        marker = next((m for m in markers if m in present), None)
        if marker is not None:
            found.append((name, marker))
    return found


def all_markers() -> list[str]:
    """Every marker path of every target, deduplicated, in table order: what the caller checks."""
    seen: dict[str, None] = {}
    for markers in MARKERS.values():
        for marker in markers:
            seen.setdefault(marker, None)
    return list(seen)
