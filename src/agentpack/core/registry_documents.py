"""The shapes of the registry's JSON documents (pure): what a reader may rely on once checked.

A registry (or a cache of one, or a bundle carrying its records) is read from places agentpack
does not control, so every document is checked for the types its readers use before anything
reads a field: a string where an object is expected, or a missing ``sha256``, is then an error
naming the file, never an ``AttributeError`` deep inside a command.

- ``registry.json``: ``{"format": int, ...}``;
- ``config.json``: ``{"protocol": int, "blobs"?: str, "api"?: str | null, ...}``, the read
  protocol's entry point (docs/registry-protocol.md);
- an index, ``index/<name>.json``: ``{"versions": {version: record}, ...}``;
- a record: ``{"name": str, "version": str, "sha256": str, "size"?: int, "manifest"?: object,
  "components"?: {kind: int}, "published_at"?: str, "allow_breaking"?: bool, "signature"?: object,
  "yanked"?: {"reason": str, "at"?: str}, "deprecated"?: {"message": str, "at"?: str}}`` (none of
  them null; the marks are described in core.release_marks) where the manifest's ``dependencies`` and ``keywords`` are lists,
  ``description``, ``classification`` strings, ``config`` and ``tiers`` objects, or null;
- ``catalog.json``: ``{"packages": {name: {"latest": str | null, "description"?: str,
  "keywords"?: [str], "components"?: object, "versions"?: [str], "yanked"?: [str],
  "deprecated"?: str, "category"?: str}}}``.

Each function returns why the document does not have its shape, or None when it does.
"""

from __future__ import annotations

_RECORD_TYPES = {
    "name": str, "version": str, "sha256": str, "size": int, "manifest": dict, "components": dict,
    "published_at": str, "allow_breaking": bool, "signature": dict,
}
_MANIFEST_TYPES = {
    "dependencies": list, "keywords": list, "description": str, "classification": str, "config": dict,
    "tiers": dict, "name": str, "version": str,
}
_CATALOG_ENTRY_TYPES = {"latest": str, "description": str, "keywords": list, "components": dict, "versions": list,
                        "yanked": list, "deprecated": str, "category": str}
_REQUIRED = ("name", "version", "sha256")
MARK_TEXT_KEYS = {"yanked": "reason", "deprecated": "message"}  # a mark's field -> the key of its text


def settings_problem(settings: object) -> str | None:
    """Why ``registry.json``'s content is not ``{"format": int, ...}``."""
    if not isinstance(settings, dict) or not _is_int(settings.get("format")):
        return "expected an object with an integer 'format'"
    return None


def config_problem(config: object) -> str | None:
    """Why ``config.json``'s content is not ``{"protocol": int >= 1, "blobs"?: str, "api"?: str | null}``
    (``blobs`` a non-empty location ending in "/"); other keys are for later protocol versions."""
    if not isinstance(config, dict) or not _is_int(config.get("protocol")) or config["protocol"] < 1:
        return "expected an object with a whole number 'protocol' (1 or more)"
    blobs = config.get("blobs", "blobs/sha256/")
    if not isinstance(blobs, str) or not blobs.endswith("/"):
        return "'blobs' must be a location ending in '/'"
    if config.get("api") is not None and not isinstance(config["api"], str):
        return "'api' must be a URL or null"
    return None


def index_problem(index: object) -> str | None:
    """Why a package index is not ``{"versions": {version: record}}`` with well-formed records."""
    if not isinstance(index, dict) or not isinstance(index.get("versions"), dict):
        return "expected an object with a 'versions' object"
    for version, record in index["versions"].items():
        reason = record_problem(record)
        if reason:
            return f"version {version!r}: {reason}"
    return None


def record_problem(record: object) -> str | None:
    """Why a version record lacks ``name``/``version``/``sha256`` strings or has a field of the wrong type."""
    if not isinstance(record, dict):
        return "a version record must be an object"
    for key in _REQUIRED:
        if key not in record:
            return f"the record has no {key!r}"
    reason = _typed_fields(record, _RECORD_TYPES, "", nullable=())
    if reason:
        return reason
    components = record.get("components") or {}
    if not all(_is_int(count) for count in components.values()):
        return "'components' must map each kind to a count"
    reason = _mark_problem(record)
    if reason:
        return reason
    return _typed_fields(record.get("manifest") or {}, _MANIFEST_TYPES, "manifest.", nullable=_MANIFEST_TYPES)


def catalog_problem(catalog: object) -> str | None:
    """Why a catalog is not ``{"packages": {name: entry}}`` with well-formed entries."""
    if not isinstance(catalog, dict) or not isinstance(catalog.get("packages"), dict):
        return "expected an object with a 'packages' object"
    for name, entry in catalog["packages"].items():
        if not isinstance(entry, dict):
            return f"the entry of {name!r} must be an object"
        reason = _typed_fields(entry, _CATALOG_ENTRY_TYPES, f"{name}: ", nullable=("latest",))
        if reason:
            return reason
        for key in ("keywords", "versions", "yanked"):
            if not all(isinstance(item, str) for item in entry.get(key) or ()):
                return f"{name}: '{key}' must be a list of strings"
    return None


def is_timestamp(value: object) -> bool:
    """Whether ``value`` is a UTC timestamp as agentops writes them (2026-01-31T12:00:00Z)."""
    if not isinstance(value, str) or len(value) != 20 or not value.isascii():
        return False
    shape = "".join("9" if char.isdigit() else char for char in value)
    return shape == "9999-99-99T99:99:99Z"


def _mark_problem(record: dict) -> str | None:
    """Why a record's ``yanked`` or ``deprecated`` (each optional) is not an object with a string
    reason or message and, optionally, a string ``at``."""
    for kind, key in MARK_TEXT_KEYS.items():
        if kind not in record:
            continue
        mark = record[kind]
        if not isinstance(mark, dict) or not isinstance(mark.get(key), str):
            return f"'{kind}' must be an object with a string '{key}'"
        if not isinstance(mark.get("at", ""), str):
            return f"'{kind}.at' must be a string"
    return None


def _typed_fields(document: dict, types: dict[str, type], prefix: str, *, nullable) -> str | None:
    """Why a field of ``document`` named in ``types`` has another type; absent fields are fine, and
    so is null for a field in ``nullable`` (readers write ``record.get("components", {})``, which a
    null would break)."""
    for key, expected in types.items():
        if key not in document or (document[key] is None and key in nullable):
            continue
        value = document[key]
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            return f"'{prefix}{key}' must be {_TYPE_NAMES[expected]}, not {_type_name(value)}"
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_TYPE_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list", bool: "true or false"}


def _type_name(value: object) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "a list",
            dict: "an object", type(None): "null"}.get(type(value), type(value).__name__)
