"""The documents of a registry tree, read the same way by every backend that reads one.

A directory registry on this machine and the same tree served over HTTP hold the same documents
(docs/registry-protocol.md): ``config.json``, ``registry.json``, ``catalog.json`` and one index per
package. They come from places agentpack does not control, so each is parsed within bounds
(core.bounded_json) and checked for shape (core.registry_documents) before any field is read. A
document that fails is reported by the backend's ``malformed(source, detail)``, which returns the
``RegistryError`` naming the source (a file path or a URL) with a hint that fits where it lives.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.core.bounded_json import parse_json
from agentpack.core.digests import is_sha256
from agentpack.core.index_serial import index_serial
from agentpack.core.names import check_name
from agentpack.core.registry_documents import (
    catalog_problem,
    config_problem,
    index_problem,
    settings_problem,
)
from agentpack.errors import IntegrityError, InvalidName, PackageNotFound, RegistryError

FORMAT = 1  # registry.json's "format": the directory layout this agentpack writes and reads
PROTOCOL = 1  # config.json's "protocol": the read protocol this agentpack speaks
CONFIG_FILE = "config.json"
SETTINGS_FILE = "registry.json"
CATALOG_FILE = "catalog.json"
BLOBS = "blobs/sha256/"


def config_document() -> dict:
    """What a directory registry writes as ``config.json``: the protocol version, where blobs are
    (relative to the registry's root) and where its write API is (none: a tree of static files)."""
    return {"protocol": PROTOCOL, "blobs": BLOBS, "api": None}


Malformed = Callable[[str, str], RegistryError]


def parse_document(data: bytes, source: str, malformed: Malformed) -> object:
    """Parse a registry document within bounds; anything unparseable is ``malformed``'s error."""
    return parse_json(data, source=source, error=RegistryError, hint=malformed(source, "").hint)


def checked_catalog(catalog: object, source: str, malformed: Malformed) -> dict:
    """The catalog with its shape checked, keeping only entries whose names follow the naming rule."""
    reason = catalog_problem(catalog)
    if reason:
        raise malformed(source, reason)
    catalog["packages"] = {name: entry for name, entry in catalog["packages"].items() if is_valid_name(name)}
    return catalog


def checked_index(index: object, name: str, source: str, malformed: Malformed) -> dict:
    """``{"name", "serial", "versions"}`` of a package index whose records and serial are well-formed."""
    check_index(index, source, malformed)
    return {"name": name, "serial": checked_serial(index, source, malformed), "versions": index["versions"]}


def check_index(index: object, source: str, malformed: Malformed) -> None:
    """Raise ``malformed``'s error unless ``index`` is ``{"versions": {version: record}}``."""
    reason = index_problem(index)
    if reason:
        raise malformed(source, reason)


def checked_serial(index: dict, source: str, malformed: Malformed) -> int:
    """The index's serial (0 when it has none); a value out of range is ``malformed``."""
    serial = index_serial(index)
    if serial is None:
        raise malformed(source, "'serial' must be a whole number from 0 to 2**53")
    return serial


def check_settings(settings: object, source: str, url: str, malformed: Malformed) -> None:
    """Refuse a ``registry.json`` that is malformed or of a newer format than this agentpack reads."""
    reason = settings_problem(settings)
    if reason:
        raise malformed(source, reason)
    _refuse_newer("format", settings["format"], FORMAT, source, url)


def checked_config(config: object, source: str, url: str, malformed: Malformed) -> dict:
    """``config.json`` with its shape checked; one of a newer protocol is refused (upgrade agentpack)."""
    reason = config_problem(config)
    if reason:
        raise malformed(source, reason)
    _refuse_newer("protocol", config["protocol"], PROTOCOL, source, url)
    return {"blobs": BLOBS, "api": None, **config}


def _refuse_newer(what: str, found: int, known: int, source: str, url: str) -> None:
    if found > known:
        raise RegistryError(f"registry {url} uses {what} {found}, newer than this agentpack understands ({known})",
                            path=source, hint="upgrade agentpack")


def is_valid_name(name: object) -> bool:
    """The naming rule of names typed by a user (core.names), applied to every name read from or
    written to a registry; it also keeps a name from climbing out of ``index/``."""
    return check_name(name) is None


def checked_name(name: object) -> str:
    """``name`` when it could be a package's name, else ``InvalidName``: done before any index is
    looked up, so that no name turns into a path or URL outside ``index/``."""
    if not is_valid_name(name):
        raise InvalidName(
            f"invalid package name {name!r}",
            hint="package names are lowercase letters, digits and '-', optionally 'team/name'",
        )
    return name


def archive_record(index: dict, version: str, url: str, source: str, malformed: Malformed) -> dict:
    """The record of ``version`` in a checked ``index``: ``PackageNotFound`` (listing the versions
    there are) when it has none, ``malformed`` when its sha256 is not a digest."""
    versions = index["versions"]
    record = versions.get(version)
    if record is None:
        raise PackageNotFound(f"{index['name']}@{version} not found in registry {url}",
                              hint=f"versions available: {', '.join(versions) or 'none'}")
    if not is_sha256(record["sha256"]):
        raise malformed(source, f"{version} has no valid sha256")
    return record


def verified_archive(data: bytes, record: dict, url: str, *, path: str, hint: str) -> bytes:
    """``data`` when it hashes to the record's sha256 and has its size (when one is recorded);
    else ``IntegrityError`` naming the package, the registry and both values of each."""
    import hashlib

    actual = hashlib.sha256(data).hexdigest()
    size = record.get("size")
    if actual == record["sha256"] and (size is None or size == len(data)):
        return data
    expected_size = "" if size is None else f"{size:,} bytes with "
    raise IntegrityError(
        f"{record['name']}@{record['version']} in registry {url} failed verification: expected "
        f"{expected_size}sha256 {record['sha256']}, got {len(data):,} bytes with sha256 {actual}",
        path=path, hint=hint)


def yank_chooser(name: str, version: str, mark: dict | None, url: str, visible=None) -> Callable[[dict], dict]:
    """``choose(versions)`` for a registry's mark-writing step: the new record of ``version``
    yanked with ``mark`` (None: the yank taken back); ``PackageNotFound`` when it is not there.
    ``visible(record)`` (None: every record) limits which versions count as there at all, so a
    version its caller may not see is never touched and never named."""
    from agentpack.core.release_marks import YANKED, marked

    def choose(versions: dict) -> dict:
        versions = _only(versions, visible)
        if version not in versions:
            raise PackageNotFound(f"{name}@{version} not found in registry {url}",
                                  hint=f"versions available: {', '.join(versions)}")
        return {version: marked(versions[version], YANKED, mark)}

    return choose


def deprecation_chooser(name: str, range_text: str, mark: dict | None, url: str,
                        visible=None) -> Callable[[dict], dict]:
    """``choose(versions)``: the new records of every version in ``range_text`` (prereleases too)
    deprecated with ``mark`` (None: taken back); ``PackageNotFound`` when none is in it.
    ``InvalidRange`` at once, before any lock is taken. ``visible(record)`` (None: every record)
    limits the versions to those a caller may see: the others are neither touched, nor counted,
    nor named, so a range that matches only them is answered as if they did not exist."""
    from agentpack.core.release_marks import DEPRECATED, marked
    from agentpack.core.versions import parse_range, parse_version

    wanted = parse_range(range_text)

    def choose(versions: dict) -> dict:
        versions = _only(versions, visible)
        chosen = {text: marked(record, DEPRECATED, mark) for text, record in versions.items()
                  if wanted.allows(parse_version(text), include_prerelease=True)}
        if not chosen:
            raise PackageNotFound(f"no version of {name} in {range_text} in registry {url}",
                                  hint=f"versions available: {', '.join(versions)}")
        return chosen

    return choose


def _only(versions: dict, visible) -> dict:
    return versions if visible is None else {text: record for text, record in versions.items() if visible(record)}
