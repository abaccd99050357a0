"""`agentops registry mirror SOURCE DEST`: copy packages from any readable registry into a directory.

For staging an air-gapped site: SOURCE is any registry agentops reads (a directory, a static or
served http(s):// one), DEST a directory registry (created when missing) that can then be carried,
served on the far network, or installed from with ``--offline``. Runs are incremental:

1. *Plan* from documents only: the source's catalog names the packages (``--team`` keeps
   ``T/*``), each package's index is read and its serial checked against the serials this machine
   has accepted (services.index_serials: a source that went backwards is refused), and each
   version compared with DEST's index: absent (copied, when ``--since`` admits its
   ``published_at``), held with the same sha256 (skipped; the source's yank and deprecation marks
   that DEST lacks are added, whatever ``--since`` says) or held with another sha256 (a conflict,
   which stops the run). The packages to copy are checked against DEST's classification level.
2. *Fetch* each archive to copy through the source registry, verified against its record's
   sha256 and size, and validate it as publish would; the record imported is rebuilt from the
   archive (services.registry_import), the signature verified.
3. *Import* everything at once through ``DirectoryRegistry.import_versions``, the path of
   ``bundle load``: all or nothing under DEST's lock, blobs before indexes before the catalog, so
   no index ever names a blob that is not there, wherever a run is killed; the catalog a killed
   run leaves behind is rebuilt by the next run (or ``registry verify --repair``); indexes get
   higher serials.

A second run over an unchanged source reads documents only, fetches nothing and writes nothing.
Archives are held in memory until the import, so one run copies at most ``MAX_MIRROR_BYTES``;
``--team`` and ``--since`` split a larger mirror into runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from agentpack.core.names import check_team
from agentpack.core.records import dataclass, field
from agentpack.core.registry_documents import is_timestamp
from agentpack.core.registry_routes import team_of
from agentpack.core.release_marks import carried_marks, with_marks_of
from agentpack.errors import IntegrityError, PackageNotFound, UsageError
from agentpack.services.bundle_verify import MAX_BUNDLE_CONTENT

MAX_MIRROR_BYTES = MAX_BUNDLE_CONTENT  # what one run holds in memory, as one bundle load does
Progress = Callable[[int, int, str], None]
_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass
class MirrorResult:
    """What a mirror run did (``dry_run``: would do). Versions are ``name@version`` texts."""

    source: str
    destination: str
    dry_run: bool
    packages: list[str] = field(default_factory=list)  # read from the source (after --team)
    added: list[str] = field(default_factory=list)  # copied into DEST
    marked: list[str] = field(default_factory=list)  # held already; yank or deprecation marks added
    skipped: list[str] = field(default_factory=list)  # held already, identical
    conflicts: list[str] = field(default_factory=list)  # dry run only: held with other content
    bytes: int = 0  # of the archives copied

    @property
    def up_to_date(self) -> bool:
        return not (self.added or self.marked or self.conflicts)

    def to_dict(self) -> dict:
        return {"source": self.source, "destination": self.destination, "dry_run": self.dry_run,
                "packages": len(self.packages), "added": self.added, "marked": self.marked,
                "skipped": len(self.skipped), "conflicts": self.conflicts, "bytes": self.bytes,
                "up_to_date": self.up_to_date}


@dataclass
class _Plan:
    """Versions as (name, version, the source's record), by what the run does with them."""

    copy: list[tuple[str, str, dict]] = field(default_factory=list)
    remark: list[tuple[str, str, dict]] = field(default_factory=list)  # held identical: marks to add
    conflicts: list[tuple[str, str, dict]] = field(default_factory=list)  # held with other content
    held: dict[str, str] = field(default_factory=dict)  # name@version of a conflict -> DEST's sha256


def since_cutoff(text: str, now: datetime) -> str:
    """The UTC timestamp (``YYYY-MM-DDTHH:MM:SSZ``, comparable as text with ``published_at``)
    that ``--since TEXT`` names: an ISO date or date and time (UTC unless it carries an offset), or
    a duration before ``now``: a whole number of hours, days or weeks (``12h``, ``7d``, ``2w``).
    ``UsageError`` for anything else."""
    text = text.strip()
    amount, unit = text[:-1], _UNITS.get(text[-1:].lower())
    try:
        if unit is not None and amount.isascii() and amount.isdigit():
            moment = now - timedelta(seconds=int(amount) * unit)
        else:
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        raise UsageError(f"--since: not a date, time or duration: {text!r}",
                         hint="e.g. --since 2026-01-31, --since 2026-01-31T12:00:00Z, --since 7d or --since 12h") from None


def mirror_registry(source: str, destination: str, settings, *, teams: list[str] | tuple[str, ...] = (),
                    since: str | None = None, dry_run: bool = False, directory: str | None = None,
                    progress: Progress | None = None, state_dir: Callable[[], str] | None = None) -> MirrorResult:
    """Copy what the registry ``source`` holds (``teams``: only their ``T/*`` packages; ``since``:
    only versions published at or after it, see ``since_cutoff``) into the directory registry
    ``destination``, as the module docstring describes; with ``dry_run`` only plan, reading DEST
    but writing nothing. ``settings`` (services.workspace.Settings) give the clock and how to reach
    http(s):// registries; ``directory`` is the workspace whose classification levels apply;
    ``state_dir`` where the accepted index serials are kept (default: the user's state directory).

    Raises ``RollbackError`` for a source index older than one seen, ``VersionExists`` naming both
    digests for a version DEST holds with other content, ``ClassificationError`` for a package
    above DEST's level, ``IntegrityError`` for an archive that fails verification; in each case
    nothing is written.
    """
    from agentpack.adapters.registry import open_registry
    from agentpack.services.classification import check_publish_all
    from agentpack.services.index_serials import IndexSerials
    from agentpack.services.registry_import import directory_registry
    from agentpack.services.workspace import open_workspace

    for team in teams:
        if check_team(team):
            raise UsageError(f"--team: {check_team(team)}")
    cutoff = since_cutoff(since, settings.now) if since is not None else None
    target = directory_registry(destination, "registry mirror")
    origin = open_registry(source, options=settings.registry_options())
    if origin.identity == target.identity:
        raise UsageError(f"registry mirror copies from one registry into another, and {source} is {destination}")
    result = MirrorResult(origin.url, target.url, dry_run)
    plan = _plan(origin, target, set(teams), cutoff, IndexSerials(state_dir), result)
    workspace_manifest = open_workspace(directory).load_manifest()
    check_publish_all(workspace_manifest, [dict(record.get("manifest") or {}, name=name, version=version)
                                           for name, version, record in plan.copy], target)
    result.bytes = sum(record.get("size") or 0 for _name, _version, record in plan.copy)
    if dry_run:
        result.added = [f"{name}@{version}" for name, version, _record in plan.copy]
        result.marked = [f"{name}@{version}" for name, version, _record in plan.remark]
        result.conflicts = [f"{name}@{version} (destination sha256 {plan.held[f'{name}@{version}']}, source "
                            f"sha256 {record['sha256']})" for name, version, record in plan.conflicts]
        return result
    if result.bytes > MAX_MIRROR_BYTES:
        raise UsageError(f"registry mirror would copy {result.bytes:,} bytes in one run, more than "
                         f"{MAX_MIRROR_BYTES:,}; nothing was copied",
                         hint="split it into runs with --team or --since")
    _import(origin, target, plan, workspace_manifest, result, progress)
    return result


def _plan(origin, target, teams: set[str], cutoff: str | None, serials, result: MirrorResult) -> _Plan:
    """Compare every version the source lists (of ``teams``' packages, when given) with DEST."""
    plan = _Plan()
    dest_exists = bool(target.settings())
    for name in origin.list_packages():
        if teams and team_of(name) not in teams:
            continue
        try:
            index = origin.package_index(name)
        except PackageNotFound:  # listed by a catalog ahead of (or behind) its indexes
            serials.check_still_served(origin, name)
            continue
        serials.check(origin, name, index)
        result.packages.append(name)
        held_versions = _held(target, name) if dest_exists else {}
        for version, record in index["versions"].items():
            entry, held = (name, version, record), held_versions.get(version)
            if held is None:
                published = record.get("published_at")
                if cutoff is None or (is_timestamp(published) and published >= cutoff):
                    plan.copy.append(entry)
            elif held.get("sha256") != record["sha256"]:
                plan.conflicts.append(entry)
                plan.held[f"{name}@{version}"] = str(held.get("sha256"))
            elif with_marks_of(held, carried_marks(record)) is not held:
                plan.remark.append(entry)
            else:
                result.skipped.append(f"{name}@{version}")
    return plan


def _held(target, name: str) -> dict:
    try:
        return target.package_index(name)["versions"]
    except PackageNotFound:
        return {}


def _import(origin, target, plan: _Plan, workspace_manifest, result: MirrorResult,
            progress: Progress | None) -> None:
    """Fetch, verify and validate what the plan copies, then import it with the marks to add.
    A conflict is imported alone first, so that DEST's refusal names both digests before any
    archive is fetched for nothing."""
    from agentpack.services.registry_import import import_into

    items: dict[str, tuple[bytes, dict]] = {}
    fetched = plan.conflicts or plan.copy
    for done, (name, version, record) in enumerate(fetched, 1):
        items[f"{name}@{version}"] = _fetched(origin, name, version, record)
        if progress:
            progress(done, len(fetched), f"{name}@{version}")
    for name, version, record in plan.remark if not plan.conflicts else ():
        # DEST's own archive, which it holds with this sha256: only the source's marks are taken
        items[f"{name}@{version}"] = (target.fetch_archive(name, version),
                                      {"name": name, "version": version, **carried_marks(record)})
    # Even with nothing to add: DEST is created when missing (as `registry init` does), and a
    # catalog left behind by a run killed after the indexes is rebuilt (written only when stale).
    imported, kept = import_into(
        target, items, workspace_manifest, what=f"registry mirror of {origin.url} into {target.url} stopped",
        hint="published versions never change: find out which registry holds the right archive before "
             "mirroring that version")
    remarked = {f"{name}@{version}" for name, version, _record in plan.remark}
    result.added = imported
    result.marked = [key for key in kept if key in remarked]
    result.skipped += [key for key in kept if key not in remarked]
    result.bytes = sum(len(items[key][0]) for key in imported)


def _fetched(origin, name: str, version: str, record: dict) -> tuple[bytes, dict]:
    """(archive, record to import) of one version: fetched through the source registry (verified
    against its record's sha256 and size), validated as publish would, the record rebuilt from it."""
    from agentpack.services.local_archive import inspect_archive_data
    from agentpack.services.registry_import import imported_record

    archive = origin.fetch_archive(name, version)
    where = f"registry {origin.url}: {name}@{version}"
    checked = inspect_archive_data(archive, where, sha256=record["sha256"], warnings=False).record
    if (checked["name"], str(checked["version"])) != (name, version):
        raise IntegrityError(f"{where}: the archive holds {checked['name']}@{checked['version']}; nothing was copied",
                             hint="the registry serves a damaged or substituted archive; tell whoever runs it")
    return archive, imported_record(checked, record, where=where)[0]
