"""The inventory: what a source folder holds, as proposed packages plus findings over all of it.

This is phase 1 of the seed's migration (``extract --dry-run`` stops here): counts per kind and
per package, names that clash, files whose frontmatter does not parse, hidden Unicode, and the
files no package takes (listed, never dropped silently).
"""

from __future__ import annotations

from collections.abc import Iterable

from agentpack.core.frontmatter import MARKDOWN_SUFFIXES, check_markdown
from agentpack.core.hidden_unicode import scan_files
from agentpack.core.readers.base import KINDS, Component, Listing, Load, ProposedPackage
from agentpack.core.records import dataclass, replace
from agentpack.errors import Problem

_SHOWN = 5  # not-understood paths named in the summary finding; the full list is in the inventory


@dataclass(frozen=True)
class NameClash:
    """Components of one kind that share a name (case-insensitively) but come from different places.

    ``sources`` are (package, listing path) pairs, sorted. ``same_content`` is true when every copy
    has the same bytes (a duplicate: harmless, but installed twice) and false when they differ (a
    clash: two packages would write one tool file; the install side must prefix or rename).
    """

    kind: str
    name: str
    sources: tuple[tuple[str, str], ...]
    same_content: bool


@dataclass(frozen=True)
class Inventory:
    """Everything a reader found in one listing.

    ``format`` is the reader's name (``""`` when no reader applies) and ``detected_by`` the marker
    path that chose it (``""`` when the caller named the format). ``packages`` are the proposed
    packages, with valid and unique names. ``findings`` are warnings and errors (``Problem``; code
    ``hidden-unicode`` and refused listing paths are errors): refused paths first, then the
    reader's in reading order, then renamed packages, then the content checks in path order. ``not_understood`` is every listing path no package uses and the reader
    did not claim, sorted. ``clashes`` are the shared component names.
    """

    format: str
    detected_by: str
    file_count: int
    packages: tuple[ProposedPackage, ...]
    findings: tuple[Problem, ...]
    not_understood: tuple[str, ...]
    clashes: tuple[NameClash, ...]

    def counts_by_kind(self) -> dict[str, int]:
        """Distinct components per kind over all packages (every kind present, ``mcp_servers`` last).

        A component several packages carry (a skill two Copilot plugins list) counts once; MCP
        servers count once per name.
        """
        distinct = {(c.kind, c.source) for package in self.packages for c in package.components}
        counts = dict.fromkeys(KINDS, 0)
        for kind, _source in distinct:
            counts[kind] += 1
        counts["mcp_servers"] = len({name for p in self.packages for name in p.mcp_servers})
        return counts

    def counts_by_package(self) -> dict[str, dict[str, int]]:
        """Components per kind for each package (the source's domains), in package order."""
        counts = {}
        for package in self.packages:
            row = dict.fromkeys(KINDS, 0)
            for component in package.components:
                row[component.kind] += 1
            row["mcp_servers"] = len(package.mcp_servers)
            counts[package.name] = row
        return counts

    def package(self, name: str) -> ProposedPackage:
        """The proposed package called ``name``; ``KeyError`` when there is none."""
        for package in self.packages:
            if package.name == name:
                return package
        raise KeyError(name)


def unique_names(packages: list[ProposedPackage]) -> tuple[list[ProposedPackage], list[Problem]]:
    """``packages`` with names made unique: a repeat gets ``-2``, ``-3``... and a finding."""
    seen: set[str] = set()
    renamed, findings = [], []
    for package in packages:
        name, number = package.name, 1
        while name in seen:
            number += 1
            name = f"{package.name}-{number}"
        if name != package.name:
            findings.append(Problem("warning", "duplicate-package-name",
                                    f"two packages are named {package.name!r}; the one from "
                                    f"{package.source or 'the root'} is proposed as {name!r}",
                                    path=package.source or None, field="name"))
            package = _renamed(package, name)
        seen.add(name)
        renamed.append(package)
    return renamed, findings


def _renamed(package: ProposedPackage, name: str) -> ProposedPackage:
    return replace(package, name=name, original_name=package.original_name or package.name)


def not_understood(listing: Listing, packages: Iterable[ProposedPackage], claimed: set[str]) -> list[str]:
    """Every listing path no package uses and the reader did not claim, sorted."""
    used = set(claimed)
    for package in packages:
        used |= package.files()
    return sorted(path for path in listing.files if path not in used)


def content_findings(listing: Listing, load: Load) -> list[Problem]:
    """Frontmatter that does not parse (every Markdown file) and hidden Unicode (every text file)."""
    findings: list[Problem] = []
    for path in listing.paths():
        if path.endswith(MARKDOWN_SUFFIXES):
            findings += check_markdown(path, listing.read(path), load)
    findings += scan_files(listing.files)
    return findings


def summary_finding(paths: list[str]) -> list[Problem]:
    """One warning saying how many files are not understood, naming the first few."""
    if not paths:
        return []
    shown = ", ".join(paths[:_SHOWN]) + (f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else "")
    return [Problem("warning", "not-understood", f"{len(paths)} file(s) belong to no package: {shown}")]


def find_clashes(listing: Listing, packages: Iterable[ProposedPackage]) -> list[NameClash]:
    """Component names shared by different sources, per kind, sorted by kind and name."""
    groups: dict[tuple[str, str], dict[tuple[str, str], Component]] = {}
    for package in packages:
        for component in package.components:
            key = (component.kind, component.name.lower())
            groups.setdefault(key, {})[(package.name, component.source)] = component
    clashes = []
    for (kind, name), members in sorted(groups.items()):
        if len(members) < 2:
            continue
        contents = {_content(listing, component) for component in members.values()}
        clashes.append(NameClash(kind, name, tuple(sorted(members)), len(contents) == 1))
    return clashes


def _content(listing: Listing, component: Component) -> tuple:
    """A file's bytes; a skill's (path inside the folder, bytes) pairs."""
    if component.kind != "skills":
        return tuple(listing.read(path) for path in component.files)
    prefix = len(component.source) + 1 if component.source else 0
    return tuple((path[prefix:], listing.read(path)) for path in component.files)
