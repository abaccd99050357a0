"""`agentops target add|remove|list`: the agent tools a workspace deploys its packages into.

Adding or removing a target rewrites ``targets:`` in agentops.yaml and re-deploys (or cleans up) in
the same transaction as any install, like a tier switch: every tool folder is at its old or its new
state, never in between.
"""

from __future__ import annotations

import os

from agentpack.core.records import dataclass, field
from agentpack.errors import UsageError
from agentpack.services.sync import Progress, RootEdit, SyncOptions, SyncResult, sync_workspace
from agentpack.services.workspace import Settings, open_workspace


def target_choices(names, prefix: str | None = None) -> tuple:
    """``TargetChoice``s for target ``names`` typed by a user; ``UsageError`` (exit 2) for an unknown
    one, listing the known targets and the closest match, or a repeated one."""
    if not names and prefix is None:
        return ()  # nothing asked for: no tool's rules to load
    from difflib import get_close_matches

    from agentpack.core.targets import TARGETS
    from agentpack.core.targets.base import check_prefix
    from agentpack.core.workspace_manifest import TargetChoice

    check_prefix(prefix)
    chosen = []
    for name in names:
        if name not in TARGETS:
            close = get_close_matches(name, list(TARGETS), n=1)
            raise UsageError(f"unknown target {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""),
                             field="target", hint=f"known targets: {', '.join(TARGETS)}")
        if any(choice.name == name for choice in chosen):
            continue
        chosen.append(TargetChoice(name, prefix))
    return tuple(chosen)


def add_targets(directory: str | None, names: list[str], settings: Settings, options: SyncOptions | None = None,
                *, prefix: str | None = None, progress: Progress | None = None) -> SyncResult:
    """Deploy every installed package into ``names`` too, and record them in agentops.yaml."""
    ws = open_workspace(directory)
    return sync_workspace(ws, settings, options or SyncOptions(),
                          RootEdit(add_targets=target_choices(names, prefix)), progress=progress)


def remove_targets(directory: str | None, names: list[str], settings: Settings,
                   options: SyncOptions | None = None) -> SyncResult:
    """Stop deploying into ``names``: their files go (edited ones stop the command, unless --force)."""
    ws = open_workspace(directory)
    choices = target_choices(names)
    manifest = ws.load_manifest()
    configured = {c.name for c in (manifest.targets or ())} if manifest else set()
    missing = [c.name for c in choices if c.name not in configured]
    if missing:
        raise UsageError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not a target of this "
                         "workspace", field="target",
                         hint="see the workspace's targets with `agentops target list`")
    return sync_workspace(ws, settings, options or SyncOptions(),
                          RootEdit(remove_targets=tuple(c.name for c in choices)))


@dataclass
class TargetRow:
    """One agent tool as `target list` shows it."""

    name: str
    title: str
    enabled: bool
    prefix: str | None
    files: int
    marker: str | None  # the folder or file found in the workspace that suggests the tool
    kinds: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "enabled": self.enabled, "prefix": self.prefix,
                "files": self.files, "found": self.marker, "kinds": self.kinds}


def list_targets(directory: str | None) -> list[TargetRow]:
    """Every known target: whether the workspace deploys into it, how many files it holds there, and
    which of its folders or files the workspace already has."""
    from agentpack.core.targets import TARGETS, all_markers, detect_targets

    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    lock = ws.load_lock()
    chosen = {c.name: c for c in (manifest.targets or ())} if manifest else {}
    present = {marker for marker in all_markers() if os.path.lexists(ws.path(marker))}
    found = dict(detect_targets(present))
    rows = []
    for name, target in TARGETS.items():
        kinds = sorted(target.kinds) + (["mcp_servers"] if target.mcp else []) + (
            [target.context_file] if target.context_file else [])
        rows.append(TargetRow(name, target.title, name in chosen, chosen[name].prefix if name in chosen else None,
                              len(lock.deployed.get(name, {})), found.get(name), kinds))
    return rows
