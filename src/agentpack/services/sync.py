"""Bring a workspace to the state agentops.yaml asks for: the engine behind install, update, uninstall.

One pass, in this order, nothing written before the last step:
1. take the workspace lock and recover any interrupted transaction;
2. apply the requested edits to the root requests (new specs, removals);
3. choose pins: keep agentops.lock when it still answers the requests (no registry needed), else
   resolve the graph, preferring locked versions so a re-resolve changes as little as possible
   (a yanked version is kept only where the lock pins it or agentops.yaml asks for exactly it);
   note which of the chosen versions are yanked or deprecated, for the user;
4. fetch and verify the archives of packages whose pin changed (cache first), read them safely;
5. plan file changes: an edited file the new version does not change is kept; one it changes or
   removes stops the command, unless --force, which saves the user's version under .agentops/backup/;
6. commit every change — installed files, agentops.yaml, agentops.lock, tool state — in one
   journaled transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable

from agentpack.core.filenames import (
    DEPLOYED_STATE,
    LOCKFILE_NAME,
    STATE_DIR,
    STATE_FILE,
    SYNC_FINGERPRINT,
    WORKSPACE_MANIFEST,
)
from agentpack.core.lockfile import FILE_SOURCE_PREFIX, REGISTRY_SOURCE, LockedPackage, Lockfile
from agentpack.core.records import dataclass, field, replace
from agentpack.core.state import InstalledPackage, format_state, parse_state
from agentpack.errors import AgentpackError, EditedFiles, LockfileOutdated, Problem, WorkspaceError
from agentpack.services.adapt import Adaptation, Requested
from agentpack.services.classification import check_pins
from agentpack.services.lock_evidence import (
    agrees_with_record,
    check_locked_files,
    check_published,
    evidence_fields,
    install_record,
    proven_lock,
)
from agentpack.services.sources import PackageSource, release_notices
from agentpack.services.uptodate import fingerprint, unchanged_since_last_sync
from agentpack.services.workspace import Settings, Workspace

Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class SyncOptions:
    """How a sync may proceed. ``update``: None keeps locked versions; () re-resolves everything;
    a tuple of names re-resolves just those."""

    frozen: bool = False
    offline: bool = False
    force: bool = False
    update: tuple[str, ...] | None = None
    allow_hidden_unicode: bool = False  # install files holding hidden Unicode characters anyway
    require_signed: bool = False  # --require-signed: as `require_signatures: true` in agentops.yaml


@dataclass(frozen=True)
class PackageChange:
    name: str
    old: str | None  # version before (None: newly added)
    new: str | None  # version after (None: removed)
    origin: str | None = None  # where the new version came from: a registry's location or file:<archive>
    registry: str | None = None  # the location of the registry that answered (None: a file, or the cache)

    @property
    def kind(self) -> str:
        """add, remove, upgrade, downgrade, or replace (same version, other archive)."""
        if self.old is None or self.new is None:
            return "add" if self.old is None else "remove"
        from agentpack.core.versions import parse_version

        old, new = parse_version(self.old), parse_version(self.new)
        return "downgrade" if new < old else "upgrade" if new > old else "replace"


@dataclass
class SyncResult:
    """What a sync did; rendered by the CLI as text or JSON."""

    root: str
    changes: list[PackageChange] = field(default_factory=list)
    installed: list[InstalledPackage] = field(default_factory=list)
    files_written: int = 0
    files_removed: int = 0
    recovered: str | None = None
    up_to_date: bool = False
    resolved: bool = False
    kept: list[str] = field(default_factory=list)  # edited files left as they are: the update does not change them
    backups: dict[str, str] = field(default_factory=dict)  # edited file -> where --force saved the user's version
    gitignore: bool = False  # the tool-state entry was added to .gitignore
    targets: list[str] = field(default_factory=list)  # the agent tools deployed into
    detected: list[tuple[str, str]] = field(default_factory=list)  # (target, marker) picked on a first install
    no_target_detected: bool = False  # a first install found no agent tool folder and deployed nowhere
    deployed: dict[str, int] = field(default_factory=dict)  # target -> files it holds
    notes: list[str] = field(default_factory=list)  # what deploying decided that the user should know
    yanked: list[dict] = field(default_factory=list)  # {name, version, reason} of installed versions yanked
    deprecated: list[dict] = field(default_factory=list)  # {name, version, message} of deprecated ones

    def to_dict(self) -> dict:
        return {
            "workspace": self.root,
            "changes": [{"name": c.name, "from": c.old, "to": c.new, "kind": c.kind, "registry": c.registry}
                        for c in self.changes],
            "installed": [p.to_dict() for p in self.installed],
            "files_written": self.files_written,
            "files_removed": self.files_removed,
            "recovered": self.recovered,
            "up_to_date": self.up_to_date,
            "kept_edited": list(self.kept),
            "backups": dict(self.backups),
            "gitignore_added": self.gitignore,
            "targets": list(self.targets),
            "detected_targets": [{"target": t, "marker": m} for t, m in self.detected],
            "deployed": dict(self.deployed),
            "notes": list(self.notes),
            "yanked": [dict(entry) for entry in self.yanked],
            "deprecated": [dict(entry) for entry in self.deprecated],
        }


@dataclass
class RootEdit:
    """Changes to the root requests: specs to set (name -> spec, None = decide after resolving)
    and names to remove; plus archives given on the command line (name -> (record, bytes, spec))."""

    set_specs: dict[str, str | None] = field(default_factory=dict)
    remove: tuple[str, ...] = ()
    tier: str | None = None  # switch the workspace to this tier
    set_config: tuple[str, ...] = ()  # --set PACKAGE.path=value assignments
    allow_new_tier: bool = False  # --allow-new-tier: a tier no installed package defines
    set_new: bool = False  # --set-new: --set may create keys the configuration does not have
    local_archives: dict[str, tuple[dict, bytes, str]] = field(default_factory=dict)
    add_targets: tuple = ()  # agent tools to deploy into from now on (TargetChoice), recorded in agentops.yaml
    remove_targets: tuple[str, ...] = ()  # agent tools to stop deploying into (their files are removed)


def sync_workspace(ws: Workspace, settings: Settings, options: SyncOptions, edit: RootEdit | None = None,
                   *, progress: Progress | None = None,
                   check_edit: Callable[[dict[str, str], Lockfile], None] | None = None) -> SyncResult:
    """Run the six steps above and return what changed. Raises before writing on any failure."""
    edit = edit or RootEdit()
    with ws.lock(), contextlib.ExitStack() as on_exit:
        result = SyncResult(root=ws.root, recovered=ws.recover())
        if (not edit.set_specs and not edit.remove and not edit.tier and not edit.set_config
                and options.update is None and check_edit is None and not options.require_signed
                and not edit.add_targets and not edit.remove_targets):
            installed = unchanged_since_last_sync(ws.root)
            if installed is not None:
                result.installed, result.up_to_date = installed, True
                return result
        manifest = ws.load_manifest()
        if manifest is None and not edit.set_specs and not edit.add_targets:
            if result.recovered:  # the interrupted first install was undone: nothing is installed
                result.up_to_date = True
                return result
            raise WorkspaceError(f"nothing to install: there is no {WORKSPACE_MANIFEST} in {ws.root}",
                                 path=ws.root, hint="name a package: agentops package install NAME[@RANGE]")
        lock = ws.load_lock()
        root = dict(manifest.packages) if manifest else {}
        overrides = dict(manifest.overrides) if manifest else {}
        if check_edit:
            check_edit(root, lock)
        source = PackageSource(lambda: settings.registry_routing(manifest, ws.root),
                               settings.resolved_cache_dir, offline=options.offline,
                               registry_options=settings.registry_options, defer_serials=True)
        on_exit.push(_remembering_serials(source))
        for record, data, spec in edit.local_archives.values():
            source.add_local(record, data, spec)
        if not (manifest and manifest.classification):  # an archive is fetched only below a clearance
            source.fetch_likely({} if options.update == () else {
                name: pin.version for name, pin in lock.packages.items()
                if pin.source == REGISTRY_SOURCE and name not in (options.update or ())})
        for name in edit.remove:
            root.pop(name, None)
        root.update({name: spec or "*" for name, spec in edit.set_specs.items()})

        pins, resolved = _choose_pins(ws, root, overrides, lock, source, options, edit)
        pins = _check_signatures(ws, pins, lock, source, options, manifest)
        check_pins(manifest, root, pins, source, resolved=resolved)  # before any archive is fetched
        result.resolved = resolved
        result.yanked, result.deprecated = release_notices(
            source, {name: pin.version for name, pin in pins.items() if pin.source == REGISTRY_SOURCE})
        choices, record_targets = _choose_targets(ws, manifest, edit, result)
        recorded = {name: spec for name, spec in edit.set_specs.items() if spec is not None}
        for name, spec in edit.set_specs.items():
            if spec is None:  # like npm: record a caret range on the version chosen
                version = pins[name].version
                recorded[name] = version if "-" in version else f"^{version}"
                root[name] = recorded[name]

        adaptation = Adaptation(ws, tier=edit.tier or (manifest.tier if manifest else None),
                                set_config=_merged_set_config(manifest, edit.set_config),
                                requested=Requested(edit.tier, edit.set_config, allow_new_tier=edit.allow_new_tier,
                                                    recorded=manifest.config if manifest else {},
                                                    set_new=edit.set_new))
        new_lock, contents, fresh = _materialise(ws, pins, lock, source, adaptation, progress,
                                                 allow_hidden_unicode=options.allow_hidden_unicode)
        new_lock = Lockfile(root=root, overrides=overrides, packages=new_lock)
        writes, deletes, result.kept, edited = _plan_files(ws, proven_lock(ws, lock), new_lock, contents)
        generated, generated_deletes, edited_generated, kept_generated = adaptation.generated_files(
            lock, new_lock, fresh)
        result.kept += kept_generated
        deploy = None
        if choices or lock.deployed or ws.read_text(DEPLOYED_STATE) is not None:
            deploy = _deploy(ws, choices, new_lock, writes, adaptation, lock, fresh)
            new_lock = replace(new_lock, deployed=deploy.deployed)
            writes.update(deploy.writes)
            deletes = [*deletes, *deploy.deletes]
            edited += deploy.edited
            result.kept += deploy.kept
            result.notes, result.deployed = deploy.notes, deploy.counts
        result.targets = [choice.name for choice in choices]
        if (edited or edited_generated) and not options.force:
            _stop_at_edits(ws, edited, edited_generated, lock, new_lock)
        deletes = sorted(set(deletes) | {p for p in generated_deletes if os.path.exists(ws.path(p))})
        backups = _backups(ws, [*(p.path for p in edited), *edited_generated],
                           settings.now.strftime("%Y%m%dT%H%M%SZ"))
        result.backups = {path: where for path, (where, _data) in backups.items()}

        manifest_text = ws.manifest_text()
        new_manifest_text = manifest_text
        if recorded or edit.remove or edit.tier or edit.set_config or record_targets is not None:
            from agentpack.adapters.workspace_file import edit_workspace_manifest, new_workspace_manifest

            text = manifest_text if manifest_text is not None else new_workspace_manifest(recorded)
            new_manifest_text = edit_workspace_manifest(
                text, set_packages=recorded, remove_packages=edit.remove, tier=edit.tier,
                config=adaptation.set_config if edit.set_config else None,
                targets=None if record_targets is None else [choice.to_yaml() for choice in record_targets])
        installed = _installed_state(ws, lock, new_lock, settings)
        state_text = format_state(installed)
        lock_text = new_lock.to_text()
        if options.frozen and lock_text != ws.read_text(LOCKFILE_NAME):
            _refuse_frozen_rewrite(lock, new_lock)
        result.installed = installed
        result.changes = [_with_origin(change, new_lock, source) for change in _changes(lock, new_lock)]
        meta_writes = {
            WORKSPACE_MANIFEST: (new_manifest_text, manifest_text),
            LOCKFILE_NAME: (lock_text, ws.read_text(LOCKFILE_NAME)),
            STATE_FILE: (state_text, ws.read_text(STATE_FILE)),
            SYNC_FINGERPRINT: (fingerprint(ws.root, new_manifest_text, lock_text, new_lock.packages,
                                           [*new_lock.all_files(), *kept_generated, *(deploy.paths if deploy else ()),
                                            *(p for p in generated if not p.startswith(STATE_DIR + "/"))]),
                               ws.read_text(SYNC_FINGERPRINT)),
        }
        meta_writes.update({path: (text, ws.read_text(path)) for path, text in generated.items()})
        if deploy is not None:
            meta_writes[DEPLOYED_STATE] = (deploy.record, ws.read_text(DEPLOYED_STATE))
        if ws.read_text(STATE_FILE) is None:  # the workspace's first install
            from agentpack.core.gitignore import GITIGNORE, with_state_entry

            ignore_text = ws.read_text(GITIGNORE)
            meta_writes[GITIGNORE] = (with_state_entry(ignore_text), ignore_text)
        meta_writes = {path: new for path, (new, old) in meta_writes.items() if new is not None and new != old}
        if not writes and not deletes and not meta_writes:
            result.up_to_date = True
            return result
        from agentpack.adapters.transaction import Transaction

        source.remember_serials()  # every index is read: before the change, whose success it must not spoil
        with Transaction(ws.root) as tx:
            for where, data in backups.values():
                tx.write(where, data)
            for path, data in writes.items():
                tx.write(path, data)
            for path in deletes:
                tx.delete(path)
            for path, text in meta_writes.items():
                tx.write(path, text.encode("utf-8"))
        result.files_written = len(writes) + len([p for p in generated if p in meta_writes
                                                  and not p.startswith(STATE_DIR + "/")])
        result.files_removed = len(deletes)
        result.gitignore = ".gitignore" in meta_writes
        return result


def _remembering_serials(source: PackageSource):
    """The exit step that writes the index serials ``source`` accepted, in one go: a command that
    fails still remembers them (a failure to write them is then not raised over its own error)."""
    def on_exit(exc_type, exc, traceback) -> bool:
        try:
            source.remember_serials()
        except AgentpackError:
            if exc_type is None:
                raise
        return False
    return on_exit


def _choose_targets(ws: Workspace, manifest, edit: RootEdit, result: SyncResult):
    """The agent tools to deploy into, and the list to record in agentops.yaml (None: no change).

    In order: agentops.yaml's ``targets`` with the command's additions (``--target``, ``target
    add``, whose options replace an entry's) and removals (``target remove``), recorded; else, on a
    workspace's first install with no ``targets`` key, the tools whose folders or files are already
    there (recorded, and reported in ``result.detected``; when there is none,
    ``result.no_target_detected`` says so instead of deploying silently nowhere).
    """
    current = manifest.targets if manifest is not None else None
    if edit.add_targets or edit.remove_targets:
        added = {choice.name: choice for choice in edit.add_targets}
        kept = [added.pop(c.name, c) for c in current or () if c.name not in edit.remove_targets]
        chosen = (*kept, *added.values())
        return chosen, chosen
    if current is not None:
        return current, None
    if ws.read_text(STATE_FILE) is not None or os.path.lexists(ws.path(LOCKFILE_NAME)):
        return (), None  # not a first install: a fresh clone of a workspace keeps what its lock says
    from agentpack.core.target_markers import all_markers, detect_targets
    from agentpack.core.workspace_manifest import TargetChoice

    present = {marker for marker in all_markers() if os.path.lexists(ws.path(marker))}
    result.detected = detect_targets(present)
    result.no_target_detected = not result.detected
    chosen = tuple(TargetChoice(name) for name, _marker in result.detected)
    return chosen, (chosen or None)


def _deploy(ws: Workspace, choices, new_lock: Lockfile, writes: dict[str, bytes], adaptation: Adaptation,
            old_lock: Lockfile, fresh: dict):
    """The deployment plan into ``choices``; a file in the way that is the user's own stops the
    command here, before anything is written, whatever --force says."""
    from agentpack.services.deploy import plan_deploy

    snapshots = {**adaptation.snapshots, **fresh}
    plan = plan_deploy(ws, choices, new_lock, lambda path: writes[path] if path in writes else ws.read_bytes(path),
                       snapshots, adaptation, old_lock)
    if plan.refused:
        raise EditedFiles(
            f"{len(plan.refused)} file(s) of yours are where an agent tool target would write; nothing was changed",
            problems=plan.refused, path=ws.root,
            hint="rename or move your file, set `prefix: package` for the target in agentops.yaml "
                 "(outputs named <package>-<name>), or disable the component in packages/<name>.local.yaml",
        )
    return plan


def _check_signatures(ws: Workspace, pins, lock: Lockfile, source: PackageSource, options: SyncOptions,
                      manifest) -> dict[str, LockedPackage]:
    """Verify every recorded signature and, when required, trust; before anything is fetched."""
    from agentpack.services.signing import verify_pins

    def trusted():  # the trust stores, read (and their module imported) only if a signature asks
        from agentpack.services.keys import trusted_fingerprints

        return trusted_fingerprints(ws.root)

    require = options.require_signed or bool(manifest and manifest.require_signatures)
    for name, pin in pins.items():  # a kept archive's signature is the ARCHIVE.sig beside it now
        if require and pin.source.startswith(FILE_SOURCE_PREFIX) and source.local_spec(name) is None:
            _reload_local_archive(ws, pin.source, source, lock.packages.get(name), options.allow_hidden_unicode)
    return verify_pins(pins, lock, source, require=require, trusted=trusted)


def _merged_set_config(manifest, assignments) -> dict[str, dict]:
    """agentops.yaml's recorded --set values with this command's assignments merged on top."""
    from agentpack.core.config_merge import Layer, merge_layers
    from agentpack.core.config_set import parse_set

    merged = {name: dict(tree) for name, tree in (manifest.config if manifest else {}).items()}
    for text in assignments:
        package, path, value = parse_set(text)
        tree: dict = {}
        cursor = tree
        for key in path[:-1]:
            cursor = cursor.setdefault(key, {})
        cursor[path[-1]] = value
        merged[package] = merge_layers([Layer("set", "--set", merged.get(package, {}), {}),
                                        Layer("set", "--set", tree, {})])
    return merged


def _choose_pins(ws: Workspace, root, overrides, lock: Lockfile, source: PackageSource, options: SyncOptions,
                 edit: RootEdit) -> tuple[dict[str, LockedPackage], bool]:
    """Pins for the requested graph: the lock's own when it still answers, else a fresh resolution."""
    from agentpack.core.lock_checks import unrequested_sources

    pruned = Lockfile(root=lock.root, overrides=lock.overrides,
                      packages={n: p for n, p in lock.packages.items() if n in lock.reachable(root)})
    reasons = pruned.unsatisfied(root, overrides) + unrequested_sources(pruned, root)
    for name, (record, _data, spec) in edit.local_archives.items():
        pinned = pruned.packages.get(name)
        if pinned is None or pinned.sha256 != record["sha256"] or pinned.source != spec:
            reasons.append(f"{name} comes from a new archive")
    if options.frozen:
        if reasons or edit.set_specs or edit.remove:
            raise LockfileOutdated(
                f"{LOCKFILE_NAME} does not satisfy {WORKSPACE_MANIFEST}: " + "; ".join(reasons or ["new packages requested"]),
                hint="run `agentops package install` without --frozen to update the lock, and commit it",
            )
        return dict(pruned.packages), False
    if not reasons and options.update is None and not any(s is None for s in edit.set_specs.values()):
        return dict(pruned.packages), False

    from agentpack.core.index_serial import pins_still_wanted
    from agentpack.core.resolver import resolve
    from agentpack.core.versions import parse_version

    # A pin whose version the registry no longer lists is never re-resolved silently (rollback).
    source.check_pins_listed(pins_still_wanted({n: p.version for n, p in pruned.packages.items()
                                                if p.source == REGISTRY_SOURCE}, root, overrides))
    keep = set() if options.update == () else set(pruned.packages) - set(options.update or ())
    preferred = {n: parse_version(p.version) for n, p in pruned.packages.items() if n in keep}
    locked = {n: parse_version(p.version) for n, p in pruned.packages.items() if p.source == REGISTRY_SOURCE}
    requests = {}
    for name, spec in root.items():
        if spec.startswith(FILE_SOURCE_PREFIX):
            local = edit.local_archives.get(name)
            if local is None:
                local = _reload_local_archive(ws, spec, source, lock.packages.get(name),
                                              options.allow_hidden_unicode)
            requests[name] = local[0]["version"]
        else:
            requests[name] = spec
    resolution = resolve(requests, source, overrides=overrides, preferred=preferred, locked=locked)
    pins = {}
    for name, candidate in resolution.packages.items():
        version = str(candidate.version)
        record = source.record(name, version)
        pins[name] = LockedPackage(
            name=name, version=version, sha256=record["sha256"],
            source=source.local_spec(name) or REGISTRY_SOURCE, dependencies=dict(candidate.dependencies),
        )
    return pins, True


def _reload_local_archive(ws: Workspace, spec: str, source: PackageSource, locked: LockedPackage | None,
                          allow_hidden_unicode: bool):
    """An archive recorded as `file:` in agentops.yaml (relative to the workspace), read again,
    with its signature. The very archive the lock pins was accepted when it was installed, so its
    hidden Unicode (allowed then) does not block a re-resolve; a changed one is checked afresh."""
    from agentpack.services.local_archive import read_local_archive

    accepted = locked.sha256 if locked is not None and locked.source == spec else None
    record, data = read_local_archive(os.path.join(ws.root, spec[len(FILE_SOURCE_PREFIX):]),
                                      allow_hidden_unicode=allow_hidden_unicode, accepted_sha256=accepted)
    source.add_local(record, data, spec)
    return record, data, spec


def _materialise(ws: Workspace, pins: dict[str, LockedPackage], lock: Lockfile, source: PackageSource,
                 adaptation: Adaptation, progress: Progress | None, *, allow_hidden_unicode: bool = False):
    """Locked entries (with file digests) for every pin, and the contents of the files that changed.

    Raises ``ValidationError`` listing every hidden Unicode character (by workspace path) in the newly
    unpacked packages, unless ``allow_hidden_unicode``: a registry may hold archives that never
    went through this version's validation, and installed files are prompts.
    """
    from agentpack.core.hidden_unicode import scan_files
    from agentpack.services.unpack import unpack_package

    packages: dict[str, LockedPackage] = {}
    contents: dict[str, bytes] = {}
    snapshots: dict[str, dict] = {}
    hidden: list[Problem] = []
    todo = []
    for name, pin in sorted(pins.items()):
        old = lock.packages.get(name)
        if (old and (old.version, old.sha256, old.source) == (pin.version, pin.sha256, pin.source)
                and _still_in_place(ws, old, adaptation)):
            packages[name] = replace(old, signed_by=pin.signed_by)  # a local archive may be signed since
        else:
            todo.append(pin)
    source.fetch_ahead([(pin.name, pin.version, pin.sha256) for pin in todo
                        if not pin.source.startswith(FILE_SOURCE_PREFIX)])
    for done, pin in enumerate(todo):
        if progress:
            progress(done, len(todo), f"{pin.name}@{pin.version}")
        if pin.source.startswith(FILE_SOURCE_PREFIX) and source.local_spec(pin.name) is None:
            # Kept from the lock without being read (e.g. its files were deleted): read it again;
            # source.archive then checks it is still the archive the lock pins.
            _reload_local_archive(ws, pin.source, source, pin, allow_hidden_unicode)
        check_published(source, pin)
        archive = source.archive(pin.name, pin.version, pin.sha256)
        _manifest, files, snapshot = unpack_package(archive, pin.name, pin.version,
                                                    lambda manifest, n=pin.name: adaptation.disabled(n, manifest))
        if not allow_hidden_unicode:
            hidden += scan_files(files)
        digests = {}
        for path, data in files.items():
            digests[path] = hashlib.sha256(data).hexdigest()
            contents[path] = data
        check_locked_files(lock.packages.get(pin.name), pin, snapshot, digests)
        snapshots[pin.name] = dict(snapshot, **evidence_fields(pin, digests))
        packages[pin.name] = LockedPackage(name=pin.name, version=pin.version, sha256=pin.sha256,
                                           source=pin.source, dependencies=pin.dependencies, files=digests,
                                           signed_by=pin.signed_by)
    if hidden:
        from agentpack.errors import ValidationError

        raise ValidationError(
            f"{len(hidden)} hidden Unicode character(s) in the files to install; nothing was changed",
            problems=hidden, path=ws.root,
            hint="ask the publisher to run `agentops package validate --fix-unicode`, "
                 "or re-run with --allow-hidden-unicode to install them anyway",
        )
    if progress and todo:
        progress(len(todo), len(todo), "done")
    return packages, contents, snapshots


def _still_in_place(ws: Workspace, old: LockedPackage, adaptation: Adaptation) -> bool:
    """Whether an unchanged package's lock entry is what agentops recorded installing, its files
    are all there, and are the ones the current local overrides and tier want (a component
    disabled or re-enabled since means a re-install)."""
    snapshot = install_record(ws, old.name)
    if not agrees_with_record(old, snapshot):
        return False
    disabled = adaptation.disabled(old.name, snapshot.get("manifest", {}))
    wanted = {dest for dest, src in snapshot.get("files", {}).items() if src not in disabled}
    return wanted == set(old.files) and all(os.path.lexists(ws.path(p)) for p in old.files)


def _plan_files(ws: Workspace, old: Lockfile, new: Lockfile, contents: dict[str, bytes]):
    """Files to write and delete, edited files kept as they are, and an ``edited-file`` problem for
    each edited file the change would replace or remove (the caller stops at them, or backs them up
    under --force).

    Each file is decided by core.conffiles from its digest on disk, in the old lock and in the new
    one: an edit is kept when the new version does not change the file. An untracked file at a
    target path is treated as the user's too.
    """
    from agentpack.core.conffiles import CONFLICT, KEEP, SKIP, decide_delete, decide_write

    old_files = old.all_files()
    new_files = new.all_files()
    owners = new.owner_of()
    writes: dict[str, bytes] = {}
    kept: list[str] = []
    edited: list[Problem] = []
    for path, digest in new_files.items():
        if path not in contents:
            continue  # unchanged package, its files are in place
        action = decide_write(_disk_digest(ws.path(path)), old_files.get(path), digest)
        if action == KEEP:
            kept.append(path)
        elif action != SKIP:
            writes[path] = contents[path]
        if action == CONFLICT:
            why = "was edited after install" if path in old_files else "is not managed by agentops"
            edited.append(Problem("error", "edited-file", f"{path} {why} and {owners[path]} would replace it",
                                  path=path))
    deletes = []
    for path, digest in old_files.items():
        if path not in new_files:
            action = decide_delete(_disk_digest(ws.path(path)), digest)
            if action != SKIP:
                deletes.append(path)
            if action == CONFLICT:
                edited.append(Problem("error", "edited-file",
                                      f"{path} was edited after install and would be removed", path=path))
    return writes, sorted(deletes), kept, edited


def _refuse_frozen_rewrite(old: Lockfile, new: Lockfile) -> None:
    """--frozen promises agentops.lock is used as it is: name what the install would change in it."""
    changed = sorted(name for name in set(old.packages) | set(new.packages)
                     if old.packages.get(name) != new.packages.get(name))
    what = ", ".join(changed) if changed else "its layout (root requests or overrides)"
    raise LockfileOutdated(
        f"{LOCKFILE_NAME} would change under --frozen: the entries for {what} differ from what "
        "the archives and agentops.yaml give; nothing was changed",
        path=LOCKFILE_NAME,
        hint="run `agentops package install` without --frozen to rewrite the lock, review the change, and commit it",
    )


def _stop_at_edits(ws: Workspace, edited: list[Problem], edited_generated: list[str], old: Lockfile,
                   new: Lockfile) -> None:
    """Raise EditedFiles listing every edited file the change would lose, with the way forward."""
    from agentpack.core.conffiles import edit_hint

    problems = [*edited, *(Problem("error", "edited-file", f"{p} is generated and would be rewritten or removed",
                                   path=p) for p in sorted(edited_generated))]
    paths = [p.path for p in problems]
    owners = {**old.owner_of(), **new.owner_of(),
              **{p: name for name in new.packages for p in edited_generated if p.startswith(f"config/{name}/")}}
    raise EditedFiles(
        f"{len(problems)} file(s) changed by you would be overwritten or removed; nothing was changed",
        problems=problems, path=ws.root, hint=edit_hint(paths, owners),
    )


def _backups(ws: Workspace, paths, stamp: str) -> dict[str, tuple[str, bytes]]:
    """{edited path: (where its current content is saved, that content)} for the files --force
    replaces or removes."""
    from agentpack.core.conffiles import backup_path

    chosen: dict[str, tuple[str, bytes]] = {}
    taken: set[str] = set()
    for path in sorted(set(paths)):
        data = ws.read_bytes(path)
        if data is not None:
            where = backup_path(stamp, path, lambda c: c in taken or os.path.lexists(ws.path(c)))
            taken.add(where)
            chosen[path] = (where, data)
    return chosen


def _disk_digest(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        return "directory"


def _installed_state(ws: Workspace, old: Lockfile, new: Lockfile, settings: Settings) -> list[InstalledPackage]:
    """Install times are kept for packages whose version did not change."""
    previous = {p.name: p for p in parse_state(ws.read_text(STATE_FILE) or "")}
    now = settings.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    installed = []
    for name, pkg in sorted(new.packages.items()):
        before = previous.get(name)
        same = before is not None and before.version == pkg.version and name in old.packages
        installed.append(InstalledPackage(name, pkg.version, before.installed_at if same else now,
                                          name in new.root))
    return installed


def _with_origin(change: PackageChange, new: Lockfile, source: PackageSource) -> PackageChange:
    """``change`` with where its new version came from: the registry that answered for it (its
    index is read whenever a version is installed), the archive file, or the download cache."""
    if change.new is None:
        return change
    pin = new.packages[change.name]
    if pin.source != REGISTRY_SOURCE:
        return replace(change, origin=pin.source)
    registry = source.answered_by(change.name)
    return replace(change, origin=registry or "the download cache", registry=registry)


def _changes(old: Lockfile, new: Lockfile) -> list[PackageChange]:
    changes = []
    for name in sorted(set(old.packages) | set(new.packages)):
        before = old.packages.get(name)
        after = new.packages.get(name)
        if before is None or after is None or (before.version, before.sha256) != (after.version, after.sha256):
            changes.append(PackageChange(name, before.version if before else None, after.version if after else None))
    return changes

