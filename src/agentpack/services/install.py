"""`agentops package install [SPEC ...]`: add packages to a workspace, or install what it asks for."""

from __future__ import annotations

import os

from agentpack.core.lockfile import FILE_SOURCE_PREFIX
from agentpack.core.spec import looks_like_archive_path, parse_spec
from agentpack.services.sync import Progress, RootEdit, SyncOptions, SyncResult, sync_workspace
from agentpack.services.workspace import Settings, open_workspace


def install(directory: str | None, specs: list[str], settings: Settings, options: SyncOptions | None = None,
            *, progress: Progress | None = None, tier: str | None = None,
            assignments: tuple[str, ...] = (), allow_new_tier: bool = False, set_new: bool = False,
            targets: tuple[str, ...] = ()) -> SyncResult:
    """Install ``specs`` (name, name@version, name@range, or a path to a built archive) into the
    workspace at or above ``directory``, recording them in agentops.yaml; with no specs, install
    what agentops.yaml and agentops.lock ask for. ``targets`` names agent tools to deploy into from
    now on, added to agentops.yaml's ``targets``. See services.sync for the steps and guarantees."""
    from agentpack.services.targets import target_choices

    options = options or SyncOptions()
    ws = open_workspace(directory)
    edit = RootEdit(tier=tier, set_config=tuple(assignments), allow_new_tier=allow_new_tier, set_new=set_new,
                    add_targets=target_choices(targets))
    for text in specs:
        if looks_like_archive_path(text) or os.path.isfile(text):
            from agentpack.services.local_archive import read_local_archive

            # Validated and its ARCHIVE.sig verified now, before the workspace is locked or written.
            record, data = read_local_archive(text, allow_hidden_unicode=options.allow_hidden_unicode)
            relative = os.path.relpath(os.path.abspath(text), ws.root).replace(os.sep, "/")
            spec = FILE_SOURCE_PREFIX + relative
            edit.set_specs[record["name"]] = spec
            edit.local_archives[record["name"]] = (record, data, spec)
        else:
            parsed = parse_spec(text)
            explicit = "@" in text.lstrip("@") and not parsed.latest  # else: record ^ the version chosen
            edit.set_specs[parsed.name] = parsed.range_text if explicit else None
    return sync_workspace(ws, settings, options, edit, progress=progress)
