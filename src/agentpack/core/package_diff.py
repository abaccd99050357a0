"""What changed between two versions of a package, and which release that change requires.

A package's public surface is what its consumers build on: the components they use, the config
keys their local overrides and tiers set, and the dependency ranges that decide what else gets
installed. Taking any of that away breaks a consumer; adding to it does not; changing content
behind the same names is a fix. The rules, one per change:

    component removed / config key removed / config key's type changed   major
    dependency removed / dependency range narrowed                        major
    package renamed                                                       major
    component added / config key added / dependency added                 minor
    dependency range widened                                              minor
    component, config value or other file changed; metadata changed;
    dependency range rewritten without changing what it allows           patch

Config types: ``null`` counts as "not set" and is compatible with every type, and integers and
floats are both numbers, so ``fallback: null -> llama-70b`` or ``temperature: 1 -> 0.5`` is a
value change, while ``5 -> "5"`` or a mapping turned into a list is a type change.

Versions below 1.0.0 follow what a caret range (``^0.3.1``) lets through, as npm and Cargo do:
in ``0.y.z`` (y >= 1) a minor bump counts as major and a patch bump as minor; in ``0.0.z`` every
bump counts as major. So ``0.3.1 -> 0.4.0`` may break things and ``0.3.1 -> 0.3.2`` may add them.

This module is pure: callers read the packages and parse their config files.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from agentpack.core.components import SKILLS
from agentpack.core.manifest import COMPONENT_KINDS, MANIFEST_FILE, Manifest
from agentpack.core.records import dataclass, field
from agentpack.core.type_names import Any
from agentpack.core.versions import Version, parse_range, parse_version
from agentpack.errors import InvalidRange, InvalidVersion

BUMP_LEVELS = ("none", "patch", "minor", "major")  # weakest first
_RANK = {level: rank for rank, level in enumerate(BUMP_LEVELS)}
_SINGULAR = {"agents": "agent", "workflows": "workflow", "patterns": "pattern", "validations": "validation",
             "commands": "command", "rules": "rule", "skills": "skill"}
_METADATA_FIELDS = ("description", "author", "license", "homepage", "keywords", "category")


@dataclass(frozen=True)
class PackageContent:
    """One version of a package as the diff sees it.

    ``files`` maps every relative POSIX path in the package to its bytes; ``config`` maps each
    config name of the manifest to the parsed content of its file. A config name missing from
    ``config`` (its file did not parse) is compared by bytes only.
    """

    manifest: Manifest
    files: Mapping[str, bytes]
    config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One difference: its ``kind`` (e.g. ``component-removed``), ``what`` it concerns (a path,
    a config key path such as ``defaults.model.tier``, a dependency name), a short human
    ``detail`` and the ``bump`` it requires ('major', 'minor' or 'patch')."""

    kind: str
    what: str
    detail: str
    bump: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "what": self.what, "detail": self.detail, "bump": self.bump}


@dataclass(frozen=True)
class PackageDiff:
    """Every change between two versions of a package, in a stable order, and the release needed."""

    changes: tuple[Change, ...]

    @property
    def required(self) -> str:
        """The strongest bump any change requires: 'major', 'minor', 'patch' or 'none'."""
        return max((c.bump for c in self.changes), key=_RANK.__getitem__, default="none")

    def requiring(self, level: str) -> list[Change]:
        """The changes that need at least a ``level`` bump (what blocks a smaller release)."""
        return [c for c in self.changes if _RANK[c.bump] >= _RANK[level]]

    def to_dict(self) -> dict:
        return {"required": self.required, "changes": [c.to_dict() for c in self.changes]}


def diff_packages(old: PackageContent, new: PackageContent) -> PackageDiff:
    """Compare ``old`` with ``new`` and list every change with the bump it requires (see the rules
    in the module docstring). Components are matched by path, config keys by key path, dependencies
    by name; a component whose bytes differ is changed. Never raises: a dependency range that
    cannot be parsed is reported as a major change rather than an error.
    """
    changes = [
        *_identity_changes(old.manifest, new.manifest),
        *_component_changes(old, new),
        *_config_changes(old, new),
        *_dependency_changes(old.manifest.dependencies, new.manifest.dependencies),
        *_other_file_changes(old, new),
        *_metadata_changes(old.manifest, new.manifest),
    ]
    return PackageDiff(tuple(changes))


def at_least(actual: str, required: str) -> bool:
    """True when a bump of level ``actual`` is enough for changes that require ``required``."""
    return _RANK[actual] >= _RANK[required]


def bump_between(old: Version | str, new: Version | str) -> str:
    """The level of the release going from ``old`` to ``new``: 'major', 'minor', 'patch', or
    'none' when ``new`` is not higher. The highest differing part decides; completing a prerelease
    (``2.0.0-rc.1 -> 2.0.0``) counts as the release it leads to (major here, as npm's
    ``semver.diff`` says). Below 1.0.0 the caret rule applies (see the module docstring).
    """
    old, new = _as_version(old), _as_version(new)
    if new <= old:
        return "none"
    if old.prerelease and (new.major, new.minor, new.patch) == (old.major, old.minor, old.patch):
        level = "patch" if old.patch else "minor" if old.minor else "major"
    elif new.major != old.major:
        level = "major"
    else:
        level = "minor" if new.minor != old.minor else "patch"
    if old.major == 0 and new.major == 0:
        if old.minor == 0 or level == "minor":
            return "major"
        return "minor" if level == "patch" else level
    return level


def next_version(old: Version | str, required: str) -> Version:
    """The lowest plain release above ``old`` whose bump is at least ``required`` (``old`` itself
    for 'none'): ``1.4.2`` needs ``2.0.0`` for major and ``1.5.0`` for minor, ``0.3.1`` needs
    ``0.4.0`` for major and ``0.3.2`` for minor. Raises ValueError for an unknown level.
    """
    old = _as_version(old)
    if required not in _RANK:
        raise ValueError(f"unknown bump {required!r}: expected one of {', '.join(BUMP_LEVELS)}")
    if required == "none":
        return old
    part = required
    if old.major == 0:  # below 1.0.0 each level sits one part further right (the caret rule)
        part = "patch" if old.minor == 0 or required != "major" else "minor"
    candidate = old.bump(part)
    return candidate if at_least(bump_between(old, candidate), required) else old.bump("major")


def _as_version(value: Version | str) -> Version:
    return value if isinstance(value, Version) else parse_version(value)


# -- components and files -------------------------------------------------------------------------


def _identity_changes(old: Manifest, new: Manifest) -> list[Change]:
    if old.name == new.name:
        return []
    return [Change("renamed", "name", f"package renamed from {old.name} to {new.name}", "major")]


def _component_changes(old: PackageContent, new: PackageContent) -> Iterator[Change]:
    for kind in COMPONENT_KINDS:
        label = _SINGULAR[kind]
        before, after = getattr(old.manifest, kind), getattr(new.manifest, kind)
        for path in sorted(set(before) | set(after)):
            if path not in after:
                yield Change("component-removed", path, f"{label} removed", "major")
            elif path not in before:
                yield Change("component-added", path, f"{label} added", "minor")
            elif _component_bytes(old, kind, path) != _component_bytes(new, kind, path):
                yield Change("component-changed", path, f"{label} content changed", "patch")


def _component_bytes(content: PackageContent, kind: str, path: str) -> object:
    """What a component is made of: its file's bytes, or for a skill every file of its folder."""
    if kind != SKILLS:
        return content.files.get(path)
    return {rel[len(path):]: data for rel, data in content.files.items() if rel.startswith(path + "/")}


def _other_file_changes(old: PackageContent, new: PackageContent) -> Iterator[Change]:
    """Documentation, README and stray files: never part of the interface, so patch at most."""
    covered = {MANIFEST_FILE}
    for content in (old, new):
        covered.update(*(getattr(content.manifest, kind) for kind in COMPONENT_KINDS))
        for folder in content.manifest.skills:  # a skill's files belong to the skill
            covered.update(path for path in content.files if path.startswith(folder + "/"))
        covered.update(content.manifest.config.values())
    paths = sorted((set(old.files) | set(new.files)) - covered)
    for path in paths:
        if path not in new.files:
            yield Change("file-removed", path, "file removed", "patch")
        elif path not in old.files:
            yield Change("file-added", path, "file added", "patch")
        elif old.files[path] != new.files[path]:
            yield Change("file-changed", path, "file changed", "patch")


def _metadata_changes(old: Manifest, new: Manifest) -> Iterator[Change]:
    for name in _METADATA_FIELDS:
        if getattr(old, name) != getattr(new, name):
            yield Change("metadata-changed", name, f"package.yaml field {name!r} changed", "patch")
    for name in sorted(set(old.extra) | set(new.extra), key=str):
        if old.extra.get(name) != new.extra.get(name):
            yield Change("metadata-changed", str(name), f"package.yaml field {name!r} changed", "patch")


# -- configuration ----------------------------------------------------------------------------------


def _config_changes(old: PackageContent, new: PackageContent) -> Iterator[Change]:
    before, after = old.manifest.config, new.manifest.config
    for name in [*before, *(n for n in after if n not in before)]:
        if name not in after:
            yield Change("config-key-removed", name, f"config {name!r} removed", "major")
        elif name not in before:
            yield Change("config-key-added", name, f"config {name!r} added", "minor")
        else:
            found = False
            if name in old.config and name in new.config:
                for change in _tree_changes(name, old.config[name], new.config[name]):
                    found = True
                    yield change
            if not found and old.files.get(before[name]) != new.files.get(after[name]):
                detail = "comments or layout changed" if name in old.config and name in new.config else (
                    "file changed (compared as text: it does not parse as YAML)")
                yield Change("config-changed", name, detail, "patch")


def _tree_changes(name: str, old: Any, new: Any) -> list[Change]:
    """Walk two parsed config trees together by key path (iteratively: configs can nest deeply).

    Mappings are compared key by key; anything else (scalars, lists) is a leaf compared whole.
    """
    changes = []
    pending = [((name,), old, new)]
    while pending:
        path, before, after = pending.pop()
        where = ".".join(map(str, path))
        if isinstance(before, Mapping) and isinstance(after, Mapping):
            for key in before:
                if key not in after:
                    changes.append(Change("config-key-removed", f"{where}.{key}", "config key removed", "major"))
            for key in after:
                if key not in before:
                    changes.append(Change("config-key-added", f"{where}.{key}", "config key added", "minor"))
            pending += [((*path, key), before[key], after[key]) for key in reversed(list(before)) if key in after]
            continue
        old_type, new_type = _type_name(before), _type_name(after)
        if old_type != new_type and "null" not in (old_type, new_type):
            detail = f"type changed from {old_type} to {new_type}"
            changes.append(Change("config-type-changed", where, detail, "major"))
        elif old_type != new_type or before != after:
            changes.append(Change("config-value-changed", where, "value changed", "patch"))
    return changes


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    return type(value).__name__  # dates and other YAML scalars: compared by their own type


# -- dependencies ---------------------------------------------------------------------------------


def _dependency_changes(before: Mapping[str, str], after: Mapping[str, str]) -> Iterator[Change]:
    for name in sorted(set(before) | set(after)):
        if name not in after:
            yield Change("dependency-removed", name, f"dependency removed (was {before[name]})", "major")
        elif name not in before:
            yield Change("dependency-added", name, f"dependency added ({after[name]})", "minor")
        elif before[name] != after[name]:
            yield _range_change(name, before[name], after[name])


def _range_change(name: str, old_text: str, new_text: str) -> Change:
    """Narrowing when some version the old range allowed is refused by the new one."""
    moved = f"{old_text} -> {new_text}"
    try:
        old, new = parse_range(old_text), parse_range(new_text)
    except InvalidRange:
        return Change("dependency-narrowed", name, f"range {moved} (cannot be compared)", "major")
    samples = _sample_versions(old, new)
    lost = next((v for v in samples if old.allows(v) and not new.allows(v)), None)
    if lost is not None:
        return Change("dependency-narrowed", name, f"range {moved} narrowed: {lost} no longer allowed", "major")
    gained = next((v for v in samples if new.allows(v) and not old.allows(v)), None)
    if gained is not None:
        return Change("dependency-widened", name, f"range {moved} widened: {gained} now allowed", "minor")
    return Change("dependency-rewritten", name, f"range {moved} (allows the same versions)", "patch")


def _sample_versions(*ranges) -> list[Version]:
    """Releases that stand for every release: membership in a range only changes at its bound
    versions, so each bound plus the lowest release above it (and 0.0.0 below them all) decides
    what both ranges allow. Prereleases are left out: a range that does not name them never
    selects them, so they cannot make a consumer's install break.
    """
    samples = {Version(0, 0, 0)}
    for rng in ranges:
        for bound in rng.bound_versions():
            if bound.prerelease:
                samples.add(Version(bound.major, bound.minor, bound.patch))
                continue
            samples.add(bound)
            try:
                samples.add(bound.bump("patch"))
            except InvalidVersion:  # the highest version there is: nothing lies above it
                pass
    return sorted(samples)
