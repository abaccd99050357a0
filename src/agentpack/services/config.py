"""`agentops config show|apply`: a package's effective configuration, and re-applying all layers."""

from __future__ import annotations

from agentpack.errors import UsageError
from agentpack.services.adapt import Adaptation, read_snapshot
from agentpack.services.sync import Progress, RootEdit, SyncOptions, SyncResult, sync_workspace
from agentpack.services.workspace import Settings, open_workspace


def show_config(directory: str | None, package: str, *, explain: bool = False):
    """The effective configuration of installed ``package``; with ``explain``, (effective, leaves,
    moved) where each leaf says which layer and file (and line) set it and what it replaced, and
    ``moved`` maps ``(config name, key)`` to ``config.KEY`` for each key of the local file's
    ``config:`` that applies inside a config file (see core.local_overrides)."""
    from agentpack.core.config_merge import explain_layers, merge_layers

    ws = open_workspace(directory)
    lock = ws.load_lock()
    if package not in lock.packages:
        raise UsageError(f"{package} is not installed in {ws.root}",
                         hint="see what is installed with `agentops package list`")
    manifest = ws.load_manifest()
    snapshots = {name: read_snapshot(ws, name) for name in lock.packages}
    adaptation = Adaptation(ws, tier=manifest.tier if manifest else None,
                            set_config=manifest.config if manifest else {})
    layers = adaptation.layers(package, snapshots)
    if not explain:
        return merge_layers(layers)
    local, _lines = adaptation.local(package, snapshots[package])
    moved = {(name, key): f"config.{key}" for key, name in (local.moved if local else {}).items()}
    return (*explain_layers(layers), moved)


def apply_config(directory: str | None, settings: Settings, *, assignments: tuple[str, ...] = (),
                 allow_new_tier: bool = False, set_new: bool = False,
                 tier: str | None = None, force: bool = False, offline: bool = False,
                 progress: Progress | None = None) -> SyncResult:
    """Re-apply every layer (after a .local.yaml edit, a --set or a tier switch) in one atomic step."""
    ws = open_workspace(directory)
    return sync_workspace(ws, settings, SyncOptions(force=force, offline=offline),
                          RootEdit(tier=tier, set_config=tuple(assignments), allow_new_tier=allow_new_tier,
                                   set_new=set_new), progress=progress)
