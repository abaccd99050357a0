"""core.package_diff: what changed between two package versions, and the release it requires."""

from __future__ import annotations

import json

import pytest

from agentpack.core.manifest import Manifest
from agentpack.core.package_diff import (
    PackageContent,
    at_least,
    bump_between,
    diff_packages,
    next_version,
)

BASE = {
    "agents": {"agents/a.md": "A", "agents/b.md": "B"},
    "workflows": {"workflows/w.md": "W"},
    "validations": {},
    "config": {"settings": {"model": {"name": "m", "context": 8192, "fallback": None},
                            "limits": {"max": 5, "tags": ["x"]}}},
    "deps": {"core": "^1.2.0"},
    "files": {"README.md": "# readme"},
    "description": "a package",
}


def package(version: str = "1.0.0", **changes) -> PackageContent:
    """A package built from BASE with some parts replaced; config bytes follow the tree unless
    ``config_bytes`` overrides them (for comment-only edits)."""
    spec = {**BASE, **changes}
    files = {path: body.encode() for path, body in spec["files"].items()}
    components = {}
    for kind in ("agents", "workflows", "validations"):
        components[kind] = tuple(spec[kind])
        files.update({path: body.encode() for path, body in spec[kind].items()})
    config_paths = {name: f"config/{name}.yaml" for name in spec["config"]}
    for name, tree in spec["config"].items():
        files[config_paths[name]] = spec.get("config_bytes", {}).get(name, json.dumps(tree).encode())
    manifest = Manifest(name=spec.get("name", "pkg"), version=version, description=spec["description"],
                        dependencies=dict(spec["deps"]), config=config_paths, **components)
    return PackageContent(manifest=manifest, files=files, config=dict(spec["config"]))


def settings(**overrides) -> dict:
    tree = json.loads(json.dumps(BASE["config"]["settings"]))
    for dotted, value in overrides.items():
        *parents, last = dotted.split("__")
        node = tree
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[last] = value
    return {"settings": tree}


_DELETE = object()

CASES = [
    # (id, new package, expected [(kind, what, bump)], required)
    ("identical", package(), [], "none"),
    ("agent removed", package(agents={"agents/a.md": "A"}),
     [("component-removed", "agents/b.md", "major")], "major"),
    ("agent added", package(agents={**BASE["agents"], "agents/c.md": "C"}),
     [("component-added", "agents/c.md", "minor")], "minor"),
    ("agent content changed", package(agents={"agents/a.md": "A2", "agents/b.md": "B"}),
     [("component-changed", "agents/a.md", "patch")], "patch"),
    ("workflow removed", package(workflows={}), [("component-removed", "workflows/w.md", "major")], "major"),
    ("validation added", package(validations={"validations/v.yaml": "rules: []"}),
     [("component-added", "validations/v.yaml", "minor")], "minor"),
    ("config key removed", package(config=settings(model__fallback=_DELETE)),
     [("config-key-removed", "settings.model.fallback", "major")], "major"),
    ("config key added", package(config=settings(model__temperature=0.2)),
     [("config-key-added", "settings.model.temperature", "minor")], "minor"),
    ("config int to string", package(config=settings(model__context="8k")),
     [("config-type-changed", "settings.model.context", "major")], "major"),
    ("config mapping to list", package(config=settings(limits=["max"])),
     [("config-type-changed", "settings.limits", "major")], "major"),
    ("config value changed", package(config=settings(model__name="other")),
     [("config-value-changed", "settings.model.name", "patch")], "patch"),
    ("config list changed", package(config=settings(limits__tags=["x", "y"])),
     [("config-value-changed", "settings.limits.tags", "patch")], "patch"),
    ("config int to float is a value change", package(config=settings(model__context=0.5)),
     [("config-value-changed", "settings.model.context", "patch")], "patch"),
    ("config null to string is a value change", package(config=settings(model__fallback="llama")),
     [("config-value-changed", "settings.model.fallback", "patch")], "patch"),
    ("config boolean to number", package(config=settings(limits__max=True)),
     [("config-type-changed", "settings.limits.max", "major")], "major"),
    ("config file removed", package(config={}), [("config-key-removed", "settings", "major")], "major"),
    ("config file added", package(config={**settings(), "tiers": {"edge": 1}}),
     [("config-key-added", "tiers", "minor")], "minor"),
    ("config comments only", package(config_bytes={"settings": b"# new comment\n" + json.dumps(
        BASE["config"]["settings"]).encode()}), [("config-changed", "settings", "patch")], "patch"),
    ("dependency added", package(deps={**BASE["deps"], "extra": "^2.0.0"}),
     [("dependency-added", "extra", "minor")], "minor"),
    ("dependency removed", package(deps={}), [("dependency-removed", "core", "major")], "major"),
    ("dependency narrowed", package(deps={"core": "^1.4.0"}), [("dependency-narrowed", "core", "major")], "major"),
    ("dependency narrowed at the top", package(deps={"core": ">=1.2.0 <1.9.0"}),
     [("dependency-narrowed", "core", "major")], "major"),
    ("dependency widened", package(deps={"core": ">=1.0.0"}), [("dependency-widened", "core", "minor")], "minor"),
    ("dependency rewritten", package(deps={"core": ">=1.2.0 <2.0.0-0"}),
     [("dependency-rewritten", "core", "patch")], "patch"),
    ("readme changed", package(files={"README.md": "# better readme"}),
     [("file-changed", "README.md", "patch")], "patch"),
    ("doc added", package(files={**BASE["files"], "docs/faq.md": "faq"}),
     [("file-added", "docs/faq.md", "patch")], "patch"),
    ("description changed", package(description="better"), [("metadata-changed", "description", "patch")],
     "patch"),
    ("renamed", package(name="other"), [("renamed", "name", "major")], "major"),
    ("strongest change wins", package(agents={"agents/a.md": "A2", "agents/c.md": "C"}),
     [("component-changed", "agents/a.md", "patch"), ("component-removed", "agents/b.md", "major"),
      ("component-added", "agents/c.md", "minor")], "major"),
]


@pytest.mark.parametrize(("new", "expected", "required"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_diff_classifies_each_change(new, expected, required):
    result = diff_packages(package(), new)
    assert [(c.kind, c.what, c.bump) for c in result.changes] == expected
    assert result.required == required


def test_changes_carry_details_and_serialise():
    result = diff_packages(package(), package(deps={"core": "^1.4.0"}, config=settings(model__context="8k")))
    details = {c.what: c.detail for c in result.changes}
    assert details["core"] == "range ^1.2.0 -> ^1.4.0 narrowed: 1.2.0 no longer allowed"
    assert details["settings.model.context"] == "type changed from number to string"
    assert result.to_dict()["required"] == "major"
    assert [c["what"] for c in result.to_dict()["changes"]] == ["settings.model.context", "core"]
    assert [c.what for c in result.requiring("major")] == ["settings.model.context", "core"]


def test_unparsed_config_is_compared_as_bytes():
    old, new = package(), package(config_bytes={"settings": b"{not yaml"})
    new = PackageContent(new.manifest, new.files, config={})  # the caller could not parse it
    [change] = diff_packages(old, new).changes
    assert (change.kind, change.bump) == ("config-changed", "patch")


RANGES = [
    # (old, new, kind)
    ("^1.0.0", "^1.2.0", "dependency-narrowed"),
    ("^1.2.0", "^1.0.0", "dependency-widened"),
    ("1.x", "1.0.0 || 1.5.x", "dependency-narrowed"),
    ("*", "^1.0.0", "dependency-narrowed"),
    ("^1.0.0", "*", "dependency-widened"),
    ("~1.2", "^1.2", "dependency-widened"),
    ("^1.2", "~1.2", "dependency-narrowed"),
    ("^0.2.1", "~0.2.1", "dependency-rewritten"),
    (">1.2.3", ">=1.2.4", "dependency-rewritten"),
    ("<=1.2", "<1.3.0-0", "dependency-rewritten"),
    ("1.2.3", "1.2.3 || 1.2.5", "dependency-widened"),
    ("1.2.3 - 2", ">=1.2.3 <2.5.0", "dependency-narrowed"),
    ("^1.0.0", "not a range", "dependency-narrowed"),
]


@pytest.mark.parametrize(("old", "new", "kind"), RANGES)
def test_range_changes_are_decided_on_boundary_versions(old, new, kind):
    [change] = diff_packages(package(deps={"d": old}), package(deps={"d": new})).changes
    assert change.kind == kind


BUMPS = [
    ("1.2.3", "2.0.0", "major"),
    ("1.2.3", "1.3.0", "minor"),
    ("1.2.3", "1.2.4", "patch"),
    ("1.2.3", "1.2.3", "none"),
    ("1.2.3", "1.2.3+build", "none"),
    ("2.0.0", "1.9.0", "none"),
    ("1.9.9", "3.0.0", "major"),
    ("2.0.0-rc.1", "2.0.0", "major"),
    ("1.3.0-rc.1", "1.3.0", "minor"),
    ("1.2.4-rc.1", "1.2.4", "patch"),
    ("1.2.3", "2.0.0-rc.1", "major"),
    # below 1.0.0: the caret rule (^0.3.1 allows 0.3.x; ^0.0.3 allows 0.0.3 only)
    ("0.3.1", "0.4.0", "major"),
    ("0.3.1", "0.3.2", "minor"),
    ("0.0.3", "0.0.4", "major"),
    ("0.0.3", "0.1.0", "major"),
    ("0.9.0", "1.0.0", "major"),
]


@pytest.mark.parametrize(("old", "new", "expected"), BUMPS)
def test_bump_between(old, new, expected):
    assert bump_between(old, new) == expected


NEXT = [
    ("1.4.2", "major", "2.0.0"),
    ("1.4.2", "minor", "1.5.0"),
    ("1.4.2", "patch", "1.4.3"),
    ("1.4.2", "none", "1.4.2"),
    ("0.3.1", "major", "0.4.0"),
    ("0.3.1", "minor", "0.3.2"),
    ("0.3.1", "patch", "0.3.2"),
    ("0.0.3", "minor", "0.0.4"),
    ("2.0.0-rc.1", "major", "2.0.0"),
    ("1.3.0-rc.1", "major", "2.0.0"),
]


@pytest.mark.parametrize(("old", "required", "expected"), NEXT)
def test_next_version_is_the_lowest_big_enough_release(old, required, expected):
    found = next_version(old, required)
    assert str(found) == expected
    assert at_least(bump_between(old, found), required)


def test_next_version_rejects_unknown_levels():
    with pytest.raises(ValueError):
        next_version("1.0.0", "huge")
