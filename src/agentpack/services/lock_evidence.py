"""Checking a lock's claims against evidence instead of believing them.

agentops.lock arrives in pull requests, so what it says about a package (version, archive sha256,
source, the digest of every installed file) is a claim. The evidence is:
- agentops's own record of each package it installed, kept under .agentops/packages/ (written in
  the same transaction as the files, never in a pull request): a package is left in place only when
  its lock entry is exactly what that record says was installed;
- the registry's record of name@version (its published sha256) and the archive itself (its digest,
  and the name and version its package.yaml declares), whenever a package is installed;
- the files that archive installs, which the lock's `files` must agree with.
Only files agentops's records show it installed are ever replaced as "ours" or deleted.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.lockfile import REGISTRY_SOURCE, LockedPackage, Lockfile
from agentpack.errors import AgentpackError, IntegrityError, Problem

_RESTORE_HINT = ("agentops.lock was changed by hand or does not come from this registry: restore it from a "
                 "trusted commit, or delete it and run `agentops package install` to write a new one")


def install_record(ws, name: str) -> dict:
    """What agentops recorded when it installed ``name`` ({} when nothing, or nothing readable:
    read within the JSON bounds and checked for a snapshot's shape by ``read_snapshot``)."""
    from agentpack.errors import WorkspaceError
    from agentpack.services.adapt import read_snapshot

    try:
        return read_snapshot(ws, name)
    except WorkspaceError:
        return {}


def evidence_fields(pin: LockedPackage, installed: Mapping[str, str]) -> dict:
    """The fields added to a package's install record when it is installed: what the lock entry
    written with it says, so that a later lock can be compared with it."""
    return {"source": pin.source, "sha256": pin.sha256, "installed": dict(installed)}


def agrees_with_record(pkg: LockedPackage, record: Mapping) -> bool:
    """Whether a lock entry is exactly what agentops recorded installing: version, archive sha256,
    source and the digest of every file.

    A record written before install recorded digests has no sha256: it must then agree on the
    version and source, and list every path the lock names (the lock's digests are taken as
    they were before; the next re-install writes a full record).
    """
    if declared_dependencies(record) != pkg.dependencies:
        return False
    if "sha256" not in record:
        mapped = record.get("files")
        return ((record.get("version"), record.get("source")) == (pkg.version, pkg.source)
                and isinstance(mapped, dict) and all(path in mapped for path in pkg.files))
    return (record.get("version"), record.get("sha256"), record.get("source"), record.get("installed")) == (
        pkg.version, pkg.sha256, pkg.source, pkg.files)


def declared_dependencies(record: Mapping) -> dict[str, str] | None:
    """{name: range} that the package.yaml kept in an install record declares (None if unreadable)."""
    from agentpack.services.sources import dependency_map

    manifest = record.get("manifest")
    try:
        return dependency_map(manifest) if isinstance(manifest, dict) else None
    except AgentpackError:
        return None


def proven_lock(ws, lock: Lockfile) -> Lockfile:
    """``lock`` with each package's `files` cut down to those agentops's records show it installed
    with that digest: the only files an install may treat as its own (replace or delete unasked).

    Records written before install recorded digests list only the paths their archive installs;
    for those the lock's digests are kept for paths in that list.
    """
    packages = {}
    for name, pkg in lock.packages.items():
        record = install_record(ws, name)
        installed = record.get("installed")
        if isinstance(installed, dict):
            files = {path: digest for path, digest in pkg.files.items() if installed.get(path) == digest}
        else:
            mapped = record.get("files") if isinstance(record.get("files"), dict) else {}
            files = {path: digest for path, digest in pkg.files.items() if path in mapped}
        packages[name] = LockedPackage(name=name, version=pkg.version, sha256=pkg.sha256, source=pkg.source,
                                       dependencies=pkg.dependencies, files=files, signed_by=pkg.signed_by)
    return Lockfile(root=lock.root, overrides=lock.overrides, packages=packages)


def check_published(source, pin: LockedPackage) -> None:
    """Refuse a registry pin whose sha256 is not the one the registry publishes for its version.

    When no registry record can be read (offline, with no copy of the index), the archive is still
    verified against the pin's sha256 and its package.yaml against the pin's name and version.
    """
    if pin.source != REGISTRY_SOURCE:
        return
    try:
        published = source.record(pin.name, pin.version).get("sha256")
    except AgentpackError:
        return
    if published != pin.sha256:
        owner = next((version for version, record in source.index(pin.name).items()
                      if isinstance(record, dict) and record.get("sha256") == pin.sha256), None)
        raise IntegrityError(
            f"agentops.lock pins {pin.name}@{pin.version} with sha256 {pin.sha256}, but {source.describe(pin.name)} "
            f"publishes {pin.name}@{pin.version} with sha256 {published}"
            + (f" (the lock's sha256 is that of {pin.name}@{owner}: version {pin.version} in the lock, "
               f"{owner} in the archive)" if owner else "") + "; nothing was changed",
            path="agentops.lock", hint=_RESTORE_HINT)


def check_locked_files(locked: LockedPackage | None, pin: LockedPackage, snapshot: Mapping,
                       installed: Mapping[str, str]) -> None:
    """Refuse a lock entry for this very archive (same version, sha256 and source as ``pin``) that
    disagrees with it: `files` naming a path it does not install or another digest, or
    `dependencies` other than its package.yaml declares.

    ``snapshot`` is the archive's install record (its "files" map every workspace path the
    archive installs, disabled components included); ``installed`` the digests installed now.
    """
    if locked is None or (locked.version, locked.sha256, locked.source) != (pin.version, pin.sha256, pin.source):
        return
    archive_paths = snapshot.get("files") or {}
    problems = []
    declared = declared_dependencies(snapshot)
    if declared != locked.dependencies:
        problems.append(Problem("error", "lock-dependencies", f"agentops.lock says {pin.name}@{pin.version} "
                                f"depends on {_listed(locked.dependencies)}, but its package.yaml declares "
                                f"{_listed(declared or {})}"))
    for path, digest in sorted(locked.files.items()):
        if path not in archive_paths:
            problems.append(Problem("error", "lock-file", f"agentops.lock lists {path} for {pin.name}@{pin.version}, "
                                    "which its archive does not install", path=path))
        elif path in installed and installed[path] != digest:
            problems.append(Problem("error", "lock-file", f"agentops.lock records sha256 {digest} for {path}, but "
                                    f"{pin.name}@{pin.version} installs it with sha256 {installed[path]}", path=path))
    if problems:
        raise IntegrityError(
            f"agentops.lock does not agree with the archive of {pin.name}@{pin.version} in {len(problems)} "
            "place(s); nothing was changed", path="agentops.lock", problems=problems, hint=_RESTORE_HINT)


def _listed(dependencies: Mapping[str, str]) -> str:
    return ", ".join(f"{name}@{spec}" for name, spec in sorted(dependencies.items())) or "nothing"
