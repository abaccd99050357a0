"""The directory registry's own check: what `agentops registry verify` reports and repairs.

``verify_directory`` reads everything (no lock, no writes) and returns one ``Problem`` per finding:

- every index parses, names its own package, has a sane serial, and holds well-formed records whose
  version key, name, sha256 and size agree;
- every recorded blob exists, has the recorded size and hashes to the recorded sha256;
- catalog.json agrees with the indexes (it is derived state);
- blobs no index names (orphans) and temporary files left by a killed writer are reported as
  warnings: neither is wrong, both take space;
- config.json, the read protocol's entry point, is well-formed; a registry made before it existed
  is warned about (HTTP clients read it as protocol 1 all the same).

``repair_directory`` takes the registry lock and rebuilds what can be derived from the indexes
(catalog.json, atomically), writes a missing config.json, removes temporary files (under the lock no writer is alive to own
them) and, only when asked, orphan blobs. It never touches an index or a referenced blob: those
are the registry's facts, and a damaged one is restored from a backup or a bundle, not guessed.
"""

from __future__ import annotations

import os

from agentpack.adapters.cache import is_sha256, sha256_hex
from agentpack.adapters.registry.directory import (
    DirectoryRegistry,
    _check_index,
    _checked_serial,
    _is_temporary,
    _load_json,
)
from agentpack.adapters.registry.documents import CONFIG_FILE, PROTOCOL, checked_config, is_valid_name
from agentpack.core.versions import parse_version
from agentpack.errors import AgentpackError, Problem

REPAIRABLE = frozenset({"stale-catalog", "temporary-file", "no-config"})


def verify_directory(registry: DirectoryRegistry) -> tuple[list[Problem], dict]:
    """Every problem of the registry (errors first), and counts: packages, versions, blobs."""
    registry._check_registry()
    problems: list[Problem] = []
    referenced: dict[str, str] = {}  # sha256 -> first name@version naming it
    indexes, versions = _check_indexes(registry, problems), 0
    for name, index in indexes.items():
        path = registry._index_path(name)
        for version, record in index["versions"].items():
            versions += 1
            if _check_record(name, version, record, path, problems):
                referenced.setdefault(record["sha256"], f"{name}@{version}")
                _check_blob(registry.root, f"{name}@{version}", record, problems)
    _check_catalog(registry, indexes, problems)
    _check_config(registry, problems)
    blobs = _check_blob_files(registry.root, referenced, problems)
    _check_leftovers(registry.root, problems)
    problems.sort(key=lambda p: (not p.is_error, p.path or "", p.code))
    return problems, {"packages": len(indexes), "versions": versions, "blobs": blobs}


def repair_directory(registry: DirectoryRegistry, *, delete_orphans: bool = False) -> list[str]:
    """Under the registry lock, rebuild the catalog when stale, remove temporary files and (when
    ``delete_orphans``) blobs no index names; return what was done, one sentence each."""
    done: list[str] = []
    registry._check_registry()  # never create a registry by repairing it
    had_config = os.path.exists(os.path.join(registry.root, CONFIG_FILE))
    with registry._writing():  # which writes config.json when it is missing
        if not had_config:
            done.append(f"wrote {CONFIG_FILE} (protocol {PROTOCOL}), which lets HTTP clients read the registry")
        problems, _counts = verify_directory(registry)
        if any(p.code == "stale-catalog" for p in problems):
            if any(p.code == "malformed-index" for p in problems):
                return done  # never rebuild the catalog without a package that is merely unreadable
            from agentpack.adapters.paths import write_atomic

            catalog = registry.stale_catalog()
            if catalog is not None:
                write_atomic(os.path.join(registry.root, "catalog.json"), catalog)
                done.append("rebuilt catalog.json from the package indexes")
        for problem in problems:
            if problem.code == "temporary-file" or (delete_orphans and problem.code == "orphan-blob"):
                try:
                    if os.path.isdir(problem.path) and not os.path.islink(problem.path):
                        import shutil

                        shutil.rmtree(problem.path)  # the folder of a registry's first indexes
                    else:
                        os.unlink(problem.path)
                except FileNotFoundError:
                    continue
                done.append(f"removed {problem.path}")
    return done


def _check_indexes(registry: DirectoryRegistry, problems: list[Problem]) -> dict[str, dict]:
    """The indexes that parse, by name; a problem for each that does not, and for strays."""
    top = os.path.join(registry.root, "index")
    found: dict[str, dict] = {}
    for directory, subdirs, files in os.walk(top):
        subdirs.sort()
        for file in sorted(files):
            path = os.path.join(directory, file)
            if _is_temporary(file):
                problems.append(Problem("warning", "temporary-file", "left by an interrupted write", path=path))
                continue
            name = os.path.relpath(path, top)[: -len(".json")].replace(os.sep, "/")
            if not file.endswith(".json") or not is_valid_name(name):
                problems.append(Problem("warning", "stray-file", "not a package index; readers ignore it", path=path))
                continue
            try:
                index = _load_json(path)
                _check_index(index, path)
                _checked_serial(index, path)
            except AgentpackError as error:
                problems.append(Problem("error", "malformed-index", error.message, path=path))
                continue
            if index.get("name", name) != name:
                problems.append(Problem("error", "index-name", f"names package {index.get('name')!r}, "
                                        f"but its path is that of {name}", path=path))
            if "serial" not in index:
                problems.append(Problem("warning", "no-serial", "written before index serials; the next "
                                        "publish of this package gives it one", path=path))
            found[name] = index
    return found


def _check_record(name: str, version: str, record: dict, path: str, problems: list[Problem]) -> bool:
    """Whether the record of ``name@version`` is well-formed (a problem for each way it is not)."""
    slot = f"{name}@{version}"
    wrong = []
    try:
        parse_version(version)
    except AgentpackError:
        wrong.append(f"{version!r} is not a version")
    if record.get("version") != version:
        wrong.append(f"its record says version {record.get('version')!r}")
    if record.get("name") != name:
        wrong.append(f"its record says name {record.get('name')!r}")
    if not is_sha256(record.get("sha256")):
        wrong.append("its record has no valid sha256")
    size = record.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        wrong.append("its record has no valid size")
    for reason in wrong:
        problems.append(Problem("error", "malformed-record", f"{slot}: {reason}", path=path))
    return not wrong


def _check_blob(root: str, slot: str, record: dict, problems: list[Problem]) -> None:
    path = os.path.join(root, "blobs", "sha256", record["sha256"])
    try:
        with open(path, "rb") as stream:
            data = stream.read(record["size"] + 1)
    except FileNotFoundError:
        problems.append(Problem("error", "missing-blob", f"{slot}: its archive is missing (load its bundle "
                                "again, or restore blobs/ from a backup)", path=path))
        return
    except OSError as error:
        problems.append(Problem("error", "missing-blob", f"{slot}: cannot read its archive: {error.strerror}",
                                path=path))
        return
    if len(data) != record["size"]:
        problems.append(Problem("error", "blob-size", f"{slot}: the archive has {len(data)}"
                                f"{'+' if len(data) > record['size'] else ''} bytes, the index records "
                                f"{record['size']}", path=path))
    elif sha256_hex(data) != record["sha256"]:
        problems.append(Problem("error", "blob-digest", f"{slot}: the archive does not hash to its recorded "
                                "sha256 (modified or damaged)", path=path))


def _check_catalog(registry: DirectoryRegistry, indexes: dict[str, dict], problems: list[Problem]) -> None:
    from agentpack.adapters.registry.directory import catalog_entry

    path = os.path.join(registry.root, "catalog.json")
    try:
        catalog = _load_json(path)
    except FileNotFoundError:
        problems.append(Problem("error", "stale-catalog", "missing; --repair rebuilds it", path=path))
        return
    except AgentpackError as error:
        problems.append(Problem("error", "stale-catalog", f"{error.message}; --repair rebuilds it", path=path))
        return
    listed = catalog.get("packages") if isinstance(catalog, dict) else None
    if not isinstance(listed, dict):
        problems.append(Problem("error", "stale-catalog", "malformed; --repair rebuilds it", path=path))
        return
    differ = []
    for name in sorted(set(listed) | set(indexes)):
        try:
            if name not in indexes or listed.get(name) != catalog_entry(indexes[name]):
                differ.append(name)
        except (AttributeError, TypeError, ValueError):  # a record whose manifest is not an object
            problems.append(Problem("error", "malformed-index", "a record's manifest or components is not "
                                    "an object", path=registry._index_path(name)))
    if differ:
        shown = ", ".join(differ[:10]) + (f" and {len(differ) - 10} more" if len(differ) > 10 else "")
        problems.append(Problem("error", "stale-catalog", f"disagrees with the package indexes about {shown}; "
                                "--repair rebuilds it", path=path))


def _check_config(registry: DirectoryRegistry, problems: list[Problem]) -> None:
    from agentpack.adapters.registry.directory import _malformed

    path = os.path.join(registry.root, CONFIG_FILE)
    try:
        checked_config(_load_json(path), path, registry.url, _malformed)
    except FileNotFoundError:
        problems.append(Problem("warning", "no-config", f"missing (made before the read protocol); HTTP clients "
                                f"read the registry as protocol {PROTOCOL}; --repair or the next publish writes it",
                                path=path))
    except AgentpackError as error:
        problems.append(Problem("error", "malformed-config", error.message, path=path))


def _check_leftovers(root: str, problems: list[Problem]) -> None:
    """Report what a killed writer left at the registry's top: temporary files, and the temporary
    folder in which a registry's first indexes are written before being renamed into place."""
    for entry in sorted(os.listdir(root)):
        if _is_temporary(entry):
            problems.append(Problem("warning", "temporary-file", "left by an interrupted write",
                                    path=os.path.join(root, entry)))


def _check_blob_files(root: str, referenced: dict[str, str], problems: list[Problem]) -> int:
    """Report blobs no index names and files that are not blobs; the number of blob files."""
    top = os.path.join(root, "blobs", "sha256")
    try:
        files = sorted(os.listdir(top))
    except FileNotFoundError:
        return 0
    count = 0
    for file in files:
        path = os.path.join(top, file)
        if _is_temporary(file):
            problems.append(Problem("warning", "temporary-file", "left by an interrupted write", path=path))
        elif not is_sha256(file) or not os.path.isfile(path):
            problems.append(Problem("warning", "stray-file", "not a blob; readers ignore it", path=path))
        else:
            count += 1
            if file not in referenced:
                problems.append(Problem("warning", "orphan-blob", "no package version names this blob "
                                        "(--repair --delete-orphans removes it)", path=path))
    return count
