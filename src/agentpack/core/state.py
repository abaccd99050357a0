"""Tool state kept under .agentops/: which packages are installed, when, and whether directly.

A tab-separated text file rather than JSON: `agentops package list` reads it on every call and
must start about as fast as Python itself, which rules out importing the json module (it pulls in
the regex engine). Format, one package a line after a header line:

    # agentops installed v1
    <name>\t<version>\t<installed_at ISO 8601>\t<direct|dependency>
"""

from __future__ import annotations

HEADER = "# agentops installed v1"


class InstalledPackage:
    """One installed package as `package list` shows it.

    A plain class, not a dataclass: importing dataclasses alone costs more than the whole start-up
    budget of `agentops package list`.
    """

    __slots__ = ("name", "version", "installed_at", "direct")

    def __init__(self, name: str, version: str, installed_at: str, direct: bool) -> None:
        self.name = name
        self.version = version
        self.installed_at = installed_at  # ISO 8601, UTC
        self.direct = direct

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InstalledPackage) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"InstalledPackage({self.name!r}, {self.version!r}, {self.installed_at!r}, {self.direct!r})"

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "version": self.version,
            "installed_at": self.installed_at,
            "direct": self.direct,
        }


def parse_state(text: str) -> list[InstalledPackage]:
    """Parse the state file; unknown or malformed lines are skipped (the lockfile is the truth)."""
    packages = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) == 4:
            packages.append(InstalledPackage(parts[0], parts[1], parts[2], parts[3] == "direct"))
    return packages


def format_state(packages) -> str:
    """Serialise installed packages, sorted: direct ones first, then by name."""
    ordered = sorted(packages, key=lambda p: (not p.direct, p.name))
    lines = [HEADER] + [
        f"{p.name}\t{p.version}\t{p.installed_at}\t{'direct' if p.direct else 'dependency'}" for p in ordered
    ]
    return "\n".join(lines) + "\n"


def snapshot_problem(snapshot: object) -> str | None:
    """Why a package snapshot (``.agentops/packages/<name>.json``, written at install) does not have
    the shape its readers use, or None: an object whose ``manifest``, ``config``, ``files``,
    ``components`` and ``tiers`` are objects, with ``manifest.config``/``overrides``/``tiers``/
    ``mcp_servers`` objects (``tiers`` to file names or objects), ``agents``/``workflows``/
    ``patterns``/``commands``/``rules``/``skills`` lists of paths, ``config`` and ``files`` mapping to strings, ``components`` to lists of objects with
    a ``path`` and ``tiers`` to objects with an optional ``config`` text and a ``disabled`` list."""
    if not isinstance(snapshot, dict):
        return "expected an object"
    for key in ("manifest", "config", "files", "components", "tiers"):
        if not isinstance(snapshot.get(key, {}), dict):
            return f"'{key}' must be an object"
    manifest = snapshot.get("manifest", {})
    for key in ("config", "overrides", "tiers", "mcp_servers"):
        if not isinstance(manifest.get(key, {}), dict):
            return f"'manifest.{key}' must be an object"
    if not all(isinstance(entry, (str, dict)) for entry in manifest.get("tiers", {}).values()):
        return "'manifest.tiers' must map to file names or objects"
    for key in ("agents", "workflows", "patterns", "commands", "rules", "skills"):
        if not isinstance(manifest.get(key, []), list) or not all(isinstance(p, str) for p in manifest.get(key, [])):
            return f"'manifest.{key}' must be a list of paths"
    for key in ("config", "files"):
        if not all(isinstance(value, str) for value in snapshot.get(key, {}).values()):
            return f"'{key}' must map to strings"
    for items in snapshot.get("components", {}).values():
        if not isinstance(items, list) or not all(isinstance(c, dict) and isinstance(c.get("path"), str)
                                                  for c in items):
            return "'components' must map to lists of objects with a 'path'"
    for entry in snapshot.get("tiers", {}).values():
        if not isinstance(entry, dict) or not isinstance(entry.get("config"), (str, type(None))) \
                or not isinstance(entry.get("disabled", []), list):
            return "'tiers' must map to objects with a 'config' text and a 'disabled' list"
    return None
