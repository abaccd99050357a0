"""Index serials: how a client tells a registry index it has seen from an older one.

Every package index a registry writes carries ``"serial"``: the writer's clock in milliseconds,
or one more than the index it replaces when that is higher, so serials only ever grow (indexes
written before serials existed have none and count as serial 0). Taking the clock rather than a
plain counter means a registry rebuilt from scratch (say, the same bundles loaded into a fresh
directory) still serves serials higher than its earlier life did, so clients do not mistake a
rebuild for an attack. A client remembers, per registry and package, the highest serial it has
accepted and refuses a lower one: TUF's defence against rollback (an attacker, a stale mirror or a
restored backup serving an index older than one already seen). It cannot detect a freeze (an old
index served to a client that never saw a newer one), nor tell a quiet package from a withheld
update: that needs signed metadata with an expiry, which registries do not have yet.

The client's record is a small JSON document, ``{"registry": IDENTITY, "serials": {name: serial}}``,
kept in the user's state directory. It is read back as untrusted input: bounded in size, every
name and serial checked, anything else refused with the file named (never silently reset, which
would turn rollback protection off).
"""

from __future__ import annotations

import json

from agentpack.core.names import check_name
from agentpack.errors import RegistryError, RollbackError

MAX_SERIAL = 2**53  # exact in every JSON implementation
MAX_SEEN_BYTES = 8 * 1024 * 1024  # ~100,000 packages; a bigger record is refused, not parsed
_FORGET_HINT = ("if the registry was restored from a backup on purpose, run `agentops registry forget "
                "--registry {url}` to accept it; otherwise stop using it and tell its operator")


def index_serial(index: dict) -> int | None:
    """The serial of a package index document: 0 when it has none (written before serials), None
    when the value is not a whole number in ``0..MAX_SERIAL`` (a malformed index)."""
    serial = index.get("serial", 0)
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= MAX_SERIAL:
        return None
    return serial


def next_serial(index: dict, now_ms: int) -> int:
    """The serial of the index that replaces ``index``, written at ``now_ms`` (milliseconds since
    the epoch): the clock, or one more than ``index``'s serial if the clock is not ahead of it."""
    return min(max((index_serial(index) or 0) + 1, now_ms), MAX_SERIAL)


def check_not_older(name: str, serial: int, seen: int | None, registry_url: str) -> None:
    """Raise ``RollbackError`` when ``serial`` is lower than the ``seen`` one for ``name``."""
    if seen is not None and serial < seen:
        raise RollbackError(
            f"registry {registry_url} served an older index of {name} (serial {serial}) than this machine "
            f"has already seen (serial {seen}); refusing it, nothing was changed",
            hint=_FORGET_HINT.format(url=registry_url),
        )


def check_still_served(name: str, seen: int | None, registry_url: str) -> None:
    """Raise ``RollbackError`` when a registry says it has no ``name`` although this machine has
    accepted an index of it (serial ``seen``): packages are never unpublished, so the index was
    removed, and falling through to another registry would quietly substitute its package."""
    if seen:
        raise RollbackError(
            f"registry {registry_url} no longer has an index of {name}, which this machine has already "
            f"seen (serial {seen}); refusing to look for it elsewhere, nothing was changed",
            hint=_FORGET_HINT.format(url=registry_url),
        )


def check_pinned_versions(pins: dict[str, str], versions_of, registry_url_of) -> None:
    """Raise ``RollbackError`` naming every ``name@version`` in ``pins`` that its index no longer lists.

    ``versions_of(name)`` gives the versions the index read now lists (None: the package is not in
    any registry), ``registry_url_of(name)`` the registry it was read from. Published versions never
    disappear, so a pinned one that did is a rolled-back, truncated or substituted index; re-resolving
    would quietly move the pin to another (usually lower) version.
    """
    missing = []
    for name, version in sorted(pins.items()):
        versions = versions_of(name)
        if versions is None or version not in versions:
            missing.append(f"{name}@{version} (registry {registry_url_of(name)})")
    if missing:
        raise RollbackError(
            f"agentops.lock pins {', '.join(missing)}, which the registry index no longer lists; "
            "refusing to move the pin silently, nothing was changed",
            causes=missing,
            hint="the registry may be serving an old or truncated index: check it with `agentops registry "
                 "verify`; to change the version on purpose, install it explicitly (NAME@VERSION)",
        )


def pins_still_wanted(pins: dict[str, str], requested: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """The ``{name: version}`` of ``pins`` (registry pins of agentops.lock) that the user still
    accepts: those whose range in ``overrides``, else in ``requested`` (the root requests after this
    command's edits), admits the pinned version, and every pin with no range there (dependencies).

    A pin outside its range is being moved on purpose (``install a@1.0.0``, an edited range); every
    other pin must still be listed by the registry (``check_pinned_versions``). A range that does not
    parse counts as admitting the pin: the resolver reports it.
    """
    from agentpack.core.lockfile import FILE_SOURCE_PREFIX
    from agentpack.core.versions import parse_range, parse_version
    from agentpack.errors import AgentpackError

    wanted = {}
    for name, version in pins.items():
        spec = overrides.get(name) or requested.get(name)
        if spec and spec.startswith(FILE_SOURCE_PREFIX):
            continue  # switched to an archive on disk
        try:
            if spec and not parse_range(spec).allows(parse_version(version), include_prerelease=True):
                continue
        except AgentpackError:
            pass  # a bad range: the resolver reports it
        wanted[name] = version
    return wanted


def parse_seen(data: bytes, path: str, identity: str) -> dict[str, int]:
    """The ``{name: serial}`` of the client's record of registry ``identity``, read from ``path``.

    Raises ``RegistryError`` naming ``path`` when the record is too large, does not parse, is about
    another registry, or holds anything but package names mapped to serials in range."""
    if len(data) > MAX_SEEN_BYTES:
        raise _bad_record(path, f"larger than {MAX_SEEN_BYTES} bytes")
    from agentpack.core.bounded_json import parse_json
    from agentpack.errors import AgentpackError

    try:  # bounded: deep nesting, NaN, duplicate keys and unpaired surrogates are refused too
        document = parse_json(data, source=path)
    except AgentpackError as error:
        raise _bad_record(path, error.message) from None
    serials = document.get("serials") if isinstance(document, dict) else None
    if not isinstance(serials, dict):
        raise _bad_record(path, "expected an object with a 'serials' object")
    if document.get("registry") != identity:
        raise _bad_record(path, f"it is about {str(document.get('registry'))[:200]!r}, not {identity!r}")
    for name, serial in serials.items():
        if check_name(name) is not None:
            raise _bad_record(path, f"not a package name: {name[:80]!r}")
        if index_serial({"serial": serial}) is None:
            raise _bad_record(path, f"serial of {name} is not a whole number in 0..{MAX_SERIAL}")
    return dict(serials)


def format_seen(identity: str, serials: dict[str, int]) -> bytes:
    """The bytes of a client's record for the registry ``identity`` (sorted, deterministic)."""
    document = {"registry": identity, "serials": dict(sorted(serials.items()))}
    return (json.dumps(document, ensure_ascii=False) + "\n").encode("utf-8")


def _bad_record(path: str, detail: str) -> RegistryError:
    return RegistryError(
        f"the record of registry index serials {path} is damaged: {detail}",
        path=path,
        hint="it protects against rolled-back registries; if you did not change it, someone else may have. "
             "Delete it to start afresh (the next read of each registry is trusted as the newest)",
    )
