"""`agentops package uninstall NAME...`: remove packages and every dependency nothing else needs."""

from __future__ import annotations

from agentpack.errors import UsageError
from agentpack.services.sync import Progress, RootEdit, SyncOptions, SyncResult, sync_workspace
from agentpack.services.workspace import Settings, open_workspace


def uninstall(directory: str | None, names: list[str], settings: Settings, options: SyncOptions | None = None,
              *, progress: Progress | None = None) -> SyncResult:
    """Remove ``names`` from agentops.yaml and their files from the workspace, with every transitive
    package no remaining package requires. Works offline: the lockfile holds the graph."""
    options = options or SyncOptions()
    ws = open_workspace(directory)

    def check(root: dict[str, str], lock) -> None:
        for name in names:
            if name in root:
                continue
            if name in lock.packages:
                users = sorted(p.name for p in lock.packages.values() if name in p.dependencies)
                raise UsageError(f"{name} is not a direct dependency; it is required by {', '.join(users)}",
                                 hint=f"uninstall {' or '.join(users)} instead")
            raise UsageError(f"{name} is not installed in {ws.root}",
                             hint="see what is installed with `agentops package list`")

    return sync_workspace(ws, settings, options, RootEdit(remove=tuple(names)), progress=progress,
                          check_edit=check)
