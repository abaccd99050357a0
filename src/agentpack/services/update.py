"""`agentops package update [NAME...]`: move packages to the highest versions their ranges allow."""

from __future__ import annotations

from agentpack.core.records import replace
from agentpack.errors import UsageError
from agentpack.services.sync import Progress, RootEdit, SyncOptions, SyncResult, sync_workspace
from agentpack.services.workspace import Settings, open_workspace


def update(directory: str | None, names: list[str], settings: Settings, options: SyncOptions | None = None,
           *, progress: Progress | None = None, tier: str | None = None,
           assignments: tuple[str, ...] = (), allow_new_tier: bool = False, set_new: bool = False) -> SyncResult:
    """Re-resolve ``names`` (every package when empty) ignoring their locked versions, within the
    ranges agentops.yaml and the packages' own dependencies allow; other packages stay pinned."""
    options = options or SyncOptions()
    ws = open_workspace(directory)

    def check(root: dict[str, str], lock) -> None:
        unknown = [name for name in names if name not in lock.packages]
        if unknown:
            raise UsageError(f"not installed: {', '.join(unknown)}",
                             hint="see what is installed with `agentops package list`")

    return sync_workspace(ws, settings, replace(options, update=tuple(names)),
                          RootEdit(tier=tier, set_config=tuple(assignments), allow_new_tier=allow_new_tier,
                                   set_new=set_new), progress=progress, check_edit=check)
