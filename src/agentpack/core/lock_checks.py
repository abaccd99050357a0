"""What an agentops.lock may claim (pure). A lockfile arrives in pull requests: it is untrusted input.

The checks here run on every lock read, before any of it is believed:
- every name (a package, its dependencies, the `root` and `overrides` requests) passes the same
  naming rule as a name typed on the command line;
- a version is SemVer 2.0.0 and an archive digest is 64 lowercase hexadecimal characters, as is the
  digest of every file;
- every path under a package's `files` is a plain relative path inside that package's own install
  folders (agents/<pkg>/, workflows/<pkg>/, patterns/<pkg>/, validations/<pkg>/,
  docs/packages/<pkg>/), not inside a folder of another locked package, and claimed once. So no lock
  can name a user's file, another package's file, `..`, an absolute path, tool state under
  .agentops/, generated configuration (config/<pkg>/) or the generated docs/packages/README.md;
- a `source` is `registry` or a `file:` archive path (whether agentops.yaml asks for that very
  archive is checked against the request by ``unrequested_sources``).

Problems are collected, then one WorkspaceError lists them all; nothing has been written by then.
"""

from __future__ import annotations

import re

from agentpack.core.bundle_manifest import member_rule
from agentpack.core.digests import are_sha256, is_sha256
from agentpack.core.layout import installed_roots
from agentpack.core.lockfile import FILE_SOURCE_PREFIX, REGISTRY_SOURCE, Lockfile
from agentpack.core.names import check_name
from agentpack.core.versions import parse_version
from agentpack.errors import InvalidVersion, Problem, WorkspaceError


def check_lock(lock: Lockfile, *, source: str) -> Lockfile:
    """Return ``lock`` unchanged when every claim above holds, else raise one WorkspaceError whose
    ``problems`` name each bad entry (``source`` is the file's path, for messages)."""
    problems: list[Problem] = []

    def bad(code: str, message: str, field: str) -> None:
        problems.append(Problem("error", code, message, path=source, field=field))

    for section in ("root", "overrides"):
        for name in getattr(lock, section):
            _check_name(name, f"{section}.{name}", bad)
    owners = _root_owners(lock)
    enclosing = _enclosing_roots(owners)
    claimed: dict[str, str] = {}
    for name, pkg in lock.packages.items():
        where = f"packages.{name}"
        if not _check_name(name, where, bad):
            continue  # its paths cannot be judged against an unusable name
        try:
            parse_version(pkg.version)
        except InvalidVersion:
            bad("lock-version", f"{name} is pinned at {pkg.version!r}, which is not a SemVer version",
                f"{where}.version")
        if not is_sha256(pkg.sha256):
            bad("lock-digest", f"{name} has sha256 {pkg.sha256!r}, which is not a SHA-256 digest", f"{where}.sha256")
        if pkg.source != REGISTRY_SOURCE and not pkg.source.startswith(FILE_SOURCE_PREFIX):
            bad("lock-source", f"{name} has source {pkg.source!r} (expected {REGISTRY_SOURCE!r} or "
                f"'{FILE_SOURCE_PREFIX}PATH')", f"{where}.source")
        for dep in pkg.dependencies:
            _check_name(dep, f"{where}.dependencies.{dep}", bad)
        # A lock lists every file of every package, so what holds for all of a package's files
        # in the usual case is checked at once: well-formed digests, plain paths, and (when no
        # other package's folder lies inside its own) paths inside its own folders. Any file that
        # the quick checks do not clear is judged on its own, with the reason.
        digests_ok = are_sha256(pkg.files.values())
        paths_ok = _plain_paths(pkg.files)
        own = installed_roots(name)
        own_only = paths_ok and not enclosing.intersection(own)
        for path, digest in pkg.files.items():
            quick = own_only and path.startswith(own)
            reason = (None if quick else _path_problem(name, path, owners)) or (
                None if digests_ok or is_sha256(digest) else f"its sha256 {digest!r} is not a SHA-256 digest")
            if reason is None and path in claimed:
                reason = f"{claimed[path]} lists it too"
            claimed.setdefault(path, name)
            if reason:
                bad("lock-path", f"{name} lists the file {path!r}, which it may not claim: {reason}",
                    f"{where}.files")
    if problems:
        raise WorkspaceError(
            f"{source} makes {len(problems)} claim(s) it may not make; nothing was changed",
            path=source, problems=problems,
            hint="a lockfile is untrusted input: restore agentops.lock from a trusted commit, "
                 "or delete it and run `agentops package install` to write a new one",
        )
    return lock


def unrequested_sources(lock: Lockfile, requests: dict[str, str]) -> list[str]:
    """Why locked `file:` sources cannot be used: each must be the very archive spec that
    ``requests`` (agentops.yaml's `packages`) gives for its name, since reading an archive from a
    path only the lock names would let a lock pick files from anywhere on the machine."""
    return [f"{name} should come from {requests.get(name) or 'a registry'}, not {pkg.source}"
            for name, pkg in sorted(lock.packages.items())
            if pkg.source.startswith(FILE_SOURCE_PREFIX) and requests.get(name) != pkg.source]


def _check_name(name: object, field: str, bad) -> bool:
    message = check_name(name)
    if message is not None:
        bad("lock-name", message, field)
    return message is None


_BAD_PART = re.compile(r"(?:^|/)\.{0,2}(?:/|$)", re.MULTILINE)  # an empty, "." or ".." component


def _plain_paths(paths) -> bool:
    """Whether ``member_rule`` passes every one of ``paths``, checked together: strings with no
    backslash, no control character (none at all: anything unusual is left to ``member_rule``),
    and no empty, ``.`` or ``..`` component (so none absolute or empty either)."""
    paths = list(paths)
    if not all(type(path) is str for path in paths):
        return False
    text = "\n".join(paths)
    return "\\" not in text and "".join(paths).isprintable() and _BAD_PART.search(text) is None


def _enclosing_roots(owners: dict[str, str]) -> set[str]:
    """The install folders inside which another package's folder lies (``agents/team/`` holding
    ``agents/team/x/``). Sorted, every folder is followed at once by those it holds."""
    ordered = sorted(owners)
    return {root for root, following in zip(ordered, ordered[1:], strict=False) if following.startswith(root)}


def _root_owners(lock: Lockfile) -> dict[str, str]:
    """{install folder: package} for every locked package with a valid name."""
    return {root: name for name in lock.packages if check_name(name) is None for root in installed_roots(name)}


def _owner(path: str, owners: dict[str, str]) -> str | None:
    """The package owning the longest install folder ``path`` lies in (``team/x`` inside ``team``).
    Looked up by the path's own folder prefixes, longest first: a lock lists every file of every
    package, so comparing each path with every package's folders would be quadratic."""
    parts = path.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        owner = owners.get("/".join(parts[:depth]) + "/")
        if owner is not None:
            return owner
    return None


def _path_problem(package: str, path: object, owners: dict[str, str]) -> str | None:
    if not isinstance(path, str):
        return "it is not a string"
    rule = member_rule(path)
    if rule is not None:
        return rule
    owner = _owner(path, owners)
    if owner is None:
        return "it is outside the package's install folders (" + ", ".join(installed_roots(package)) + ")"
    if owner != package:
        return f"it is inside the folder of package {owner}"
    return None
