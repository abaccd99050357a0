"""How a workspace adapts what it installs: tier, local overrides, --set values, and the files
agentops generates from them (effective configuration and the docs index).

Generated files are written through the same transaction as installed ones. Like installed
files, a generated file the user edited since agentops last wrote it is never overwritten or
removed silently: its digest is kept in .agentops/generated and compared first, and an edit is
kept as it is while what agentops would generate stays the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from agentpack.core.conffiles import CONFLICT, KEEP, SKIP, decide_delete, decide_write
from agentpack.core.docs_index import INDEX_PATH, render_index, summarize
from agentpack.core.filenames import GENERATED_STATE, SNAPSHOT_DIR
from agentpack.core.local_overrides import KINDS as LOCAL_KINDS
from agentpack.errors import WorkspaceError


def snapshot_path(name: str) -> str:
    """Where the snapshot of installed package ``name`` is kept (workspace-relative)."""
    return f"{SNAPSHOT_DIR}/{name}.json"


def read_snapshot(ws, name: str) -> dict:
    """The snapshot of installed package ``name`` ({} when absent); WorkspaceError naming the file
    when it is not JSON within bounds or does not have a snapshot's shape."""
    from agentpack.core.bounded_json import parse_json
    from agentpack.core.state import snapshot_problem

    text = ws.read_text(snapshot_path(name))
    if text is None:
        return {}
    path, hint = ws.path(snapshot_path(name)), "run `agentops package install --force` to write it again"
    snapshot = parse_json(text, source=path, error=WorkspaceError, hint=hint)
    reason = snapshot_problem(snapshot)
    if reason:
        raise WorkspaceError(f"{path} is malformed: {reason}", path=path, hint=hint)
    return snapshot


class Requested:
    """What one command asks to change, checked against the packages it leaves installed: a tier
    (``--tier``) and ``--set`` assignments, with the ``recorded`` --set values they go on top of.
    ``allow_new_tier`` accepts a tier no package defines; ``set_new`` accepts new keys."""

    def __init__(self, tier: str | None = None, assignments: tuple[str, ...] = (), *,
                 recorded: Mapping[str, dict] | None = None, allow_new_tier: bool = False,
                 set_new: bool = False) -> None:
        self.tier = tier
        self.assignments = tuple(assignments)
        self.recorded = dict(recorded or {})
        self.allow_new_tier = allow_new_tier
        self.set_new = set_new


class Adaptation:
    """The adaptations in force for one command: the tier, --set values and local override files."""

    def __init__(self, ws, *, tier: str | None, set_config: Mapping[str, dict],
                 requested: Requested | None = None) -> None:
        self.ws = ws
        self.tier = tier
        self.set_config = dict(set_config)
        self.requested = requested or Requested()
        self._raw_locals: dict[str, tuple] = {}
        self._locals: dict[str, tuple] = {}  # checked and placed, per package: read once per command
        self.snapshots: dict[str, dict] = {}  # set by generated_files: every installed package's snapshot
        self.effective: dict[str, dict] = {}  # set by generated_files: package -> effective configuration

    def _raw_local(self, name: str):
        """(data, lines) of packages/<name>.local.yaml, unchecked (None, {}) when absent."""
        if name not in self._raw_locals:
            from agentpack.adapters.yamlio import load_yaml
            from agentpack.services.configuration import local_overrides_path

            text = self.ws.read_text(local_overrides_path(name))
            self._raw_locals[name] = (None, {}) if text is None else load_yaml(
                text, source=local_overrides_path(name))
        return self._raw_locals[name]

    def disabled(self, name: str, manifest: Mapping) -> set[str]:
        """Package paths kept out of the workspace: the local file's and the tier's `disabled`."""
        data, _lines = self._raw_local(name)
        paths: set[str] = set()
        if isinstance(data, dict):
            for kind in LOCAL_KINDS:
                section = data.get(kind)
                if isinstance(section, dict) and isinstance(section.get("disabled"), list):
                    paths.update(str(p) for p in section["disabled"])
        tiers = manifest.get("tiers") or {}
        entry = tiers.get(self.tier) if self.tier else None
        if isinstance(entry, dict):
            paths.update(str(p) for p in entry.get("disabled") or ())
        return paths

    def local(self, name: str, snapshot: Mapping):
        """The checked local overrides of ``name`` (None when absent) and the file's line map.

        Its ``config`` is placed (see ``core.local_overrides.place_local_config``): each top-level
        key is a config name, and the line map follows keys that were moved into a config file.
        """
        from agentpack.core.local_overrides import parse_local_overrides, place_local_config
        from agentpack.errors import ValidationError
        from agentpack.services.configuration import local_overrides_path, package_config

        if name in self._locals:
            return self._locals[name]
        data, lines = self._raw_local(name)
        if data is None:
            return None, {}
        manifest = snapshot.get("manifest", {})
        components = [p for kind in LOCAL_KINDS for p in manifest.get(kind, [])]
        source = local_overrides_path(name)
        local, problems = parse_local_overrides(data, lines, source=source, package_components=components)
        if local.config:
            local.config, lines, local.moved, placing = place_local_config(
                local.config, lines, package_config(name, snapshot), source=source)
            problems += placing
        if problems:
            raise ValidationError(f"{source} is invalid", path=source, problems=problems,
                                  hint="fix the entries listed above; see the README for the file's format")
        self._locals[name] = local, lines
        return local, lines

    def layers(self, name: str, snapshots: Mapping[str, Mapping]) -> list:
        """The configuration layers of ``name`` (see services.configuration)."""
        from agentpack.services.configuration import package_layers

        local, lines = self.local(name, snapshots[name])
        return package_layers(name, snapshots, tier=self.tier, local=local, local_lines=lines,
                              set_config=self.set_config)

    def custom_components(self, name: str, snapshot: Mapping) -> dict[str, list[dict]]:
        """The workspace's own components listed for ``name``: {kind: [{path, name, description}]}."""
        from agentpack.core.local_overrides import missing_custom_files
        from agentpack.errors import ValidationError

        local, lines = self.local(name, snapshot)
        found: dict[str, list[dict]] = {}
        contents: dict[str, bytes | None] = {}
        for kind, paths in (local.custom.items() if local else ()):
            for path in paths:
                # A custom skill is a folder; its SKILL.md describes it (and must exist).
                described = f"{path.rstrip('/')}/SKILL.md" if kind == "skills" else path
                content = contents[path] = self.ws.read_bytes(described)
                if content is not None:
                    found.setdefault(kind, []).append(dict(path=path, **summarize(content)))
        missing = missing_custom_files(local, lines, lambda path: contents[path] is not None) if local else []
        if missing:
            raise ValidationError(f"{local.source} lists custom components that do not exist", path=local.source,
                                  problems=missing, hint="create the files, or remove their entries")
        return found

    def check_requested(self, snapshots: Mapping[str, Mapping]) -> None:
        """Refuse a ``--tier`` no package in ``snapshots`` defines and ``--set`` assignments naming
        a package that is not installed or a key its configuration does not have (``UsageError``,
        raised before anything is written), unless the request allows new ones."""
        from agentpack.core.config_merge import merge_layers
        from agentpack.core.config_set import check_assignment, check_tier
        from agentpack.services.configuration import package_layers

        request = self.requested
        if request.tier and not request.allow_new_tier:
            check_tier(request.tier, {name: snap.get("manifest", {}).get("tiers") or {}
                                      for name, snap in snapshots.items()})
        trees: dict[str, dict] = {}

        def existing(name: str) -> dict:
            if name not in trees:
                local, lines = self.local(name, snapshots[name])
                trees[name] = merge_layers(package_layers(name, snapshots, tier=self.tier, local=local,
                                                          local_lines=lines, set_config=request.recorded))
            return trees[name]

        for text in request.assignments:
            check_assignment(text, snapshots, existing, allow_new=request.set_new)

    def generated_files(self, old, new, fresh: Mapping[str, dict]
                        ) -> tuple[dict[str, str], list[str], list[str], list[str]]:
        """Snapshots, effective config files and the docs index to write; files to delete; the
        edited ones among them, which the caller must stop at (or back up under --force); and
        edited ones kept as they are because their generated content did not change (decided like
        installed files, by core.conffiles)."""
        from agentpack.core.config_merge import merge_layers
        from agentpack.services.configuration import config_files

        writes = {snapshot_path(n): json.dumps(s, indent=1, sort_keys=True) + "\n" for n, s in fresh.items()}
        deletes = [snapshot_path(n) for n in old.packages if n not in new.packages]
        snapshots = {}
        for name, pkg in new.packages.items():
            snap = fresh.get(name) or read_snapshot(self.ws, name)
            snapshots[name] = dict(snap, name=name, version=pkg.version, source=pkg.source, direct=name in new.root)
        self.check_requested(snapshots)
        generated: dict[str, str] = {}
        self.snapshots = snapshots
        for name in sorted(snapshots):
            self.effective[name] = merge_layers(self.layers(name, snapshots))
            generated.update(config_files(name, self.effective[name]))
        docs = []
        for name, snap in snapshots.items():
            disabled = self.disabled(name, snap.get("manifest", {}))
            components = {kind: [c for c in items if not _is_disabled(snap.get("files", {}).get(c["path"]), disabled)]
                          for kind, items in snap.get("components", {}).items()}
            docs.append(dict(snap, components=components, custom=self.custom_components(name, snap),
                             disabled=sorted(disabled)))
        if new.packages or old.packages:
            generated[INDEX_PATH] = render_index(docs, tier=self.tier)
        recorded = self._recorded()
        edited, kept = [], []
        for path, text in generated.items():
            action = decide_write(_digest_of(self.ws, path), recorded.get(path), _sha(text))
            if action == CONFLICT:
                edited.append(path)
            elif action == KEEP:
                kept.append(path)  # recorded as generated, but the user's version stays on disk
        for path in (path for path in recorded if path not in generated):
            action = decide_delete(_digest_of(self.ws, path), recorded[path])
            if action == CONFLICT:
                edited.append(path)
            if action != SKIP:
                deletes.append(path)
        writes.update((path, text) for path, text in generated.items() if path not in kept)
        writes[GENERATED_STATE] = "".join(f"{_sha(text)}  {path}\n" for path, text in sorted(generated.items()))
        return writes, deletes, edited, kept

    def _recorded(self) -> dict[str, str]:
        text = self.ws.read_text(GENERATED_STATE) or ""
        return {path: digest for digest, _, path in (line.partition("  ") for line in text.splitlines()) if path}


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _digest_of(ws, path: str) -> str | None:
    content = ws.read_bytes(path)
    return None if content is None else hashlib.sha256(content).hexdigest()


def _is_disabled(source: str | None, disabled: set[str]) -> bool:
    """True when the package file ``source`` is disabled, itself or as part of a disabled skill folder."""
    return source in disabled or any(str(source).startswith(path.rstrip("/") + "/") for path in disabled)
