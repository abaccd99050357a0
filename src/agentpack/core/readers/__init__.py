"""Foreign formats as readers: a file listing in, an inventory of proposed packages out.

Like tools are targets chosen from ``TARGETS``, formats are readers chosen from ``READERS``, and
detection happens here only. Adding a format is one module with a ``READER`` plus a row below.
Every reader is pure: the service builds the ``Listing`` from disk (with its limits) and writes
the packages; ``extract`` is one service over ``read``.

Detection order (the first reader whose marker is present wins; formats were researched on
2026-11-29 from each format's documentation as stored by the search corpus, and the shared corpus):

| # | format             | marker (at the listing root)                                   | one package per       |
|---|--------------------|----------------------------------------------------------------|-----------------------|
| 1 | claude-marketplace | .claude-plugin/marketplace.json                                | plugin entry          |
| 2 | claude-plugin      | .claude-plugin/plugin.json                                     | the folder            |
| 3 | codex-plugin       | .codex-plugin/plugin.json                                      | the folder            |
| 4 | apm                | apm.yml                                                        | the folder            |
| 5 | copilot-collection | collections/*.collection.yml or *.collection.yml               | collection            |
| 6 | copilot            | .github/copilot-instructions.md, .github/{agents,prompts,instructions,chatmodes,skills}/, {agents,prompts,instructions,chatmodes}/*.{agent,prompt,instructions,chatmode}.md, plugins/*/plugin.json | plugin, plus one for the rest |
| 7 | claude-project     | .claude/{agents,commands,skills,rules}/ or .claude/CLAUDE.md   | the folder            |
| 8 | cursor             | .cursor/rules/, .cursorrules, *.mdc at the root or in rules/   | the folder            |
| 9 | skills             | SKILL.md at the root, else any <folder>/SKILL.md               | skill folder          |
|10 | agents-md          | AGENTS.md                                                      | the folder            |

Why this order: a manifest that names its packages beats a layout that only suggests them, so
the marketplace (which lists plugins, each with a plugin.json) comes before the plugin, and the
plugin (whose folder also holds ``.codex-plugin/plugin.json`` in wshobson/agents) before Codex.
Grouping formats (collections, Copilot plugins) come before bare tool folders; Agent Skills and
AGENTS.md come last because almost every repository of the others has a ``skills/`` folder or an
``AGENTS.md`` too (wshobson/agents and awesome-copilot have both). ``--from`` skips detection.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.readers import (
    agents_md,
    apm,
    claude_marketplace,
    claude_plugin,
    claude_project,
    codex_plugin,
    copilot,
    copilot_collection,
    cursor,
    skills,
)
from agentpack.core.readers.base import (
    KINDS,
    Component,
    Listing,
    Load,
    ProposedPackage,
    Reader,
    ReadResult,
    unsafe_paths,
)
from agentpack.core.readers.inventory import (
    Inventory,
    NameClash,
    content_findings,
    find_clashes,
    not_understood,
    summary_finding,
    unique_names,
)
from agentpack.errors import Problem, UsageError

READERS: dict[str, Reader] = {
    module.READER.name: module.READER
    for module in (claude_marketplace, claude_plugin, codex_plugin, apm, copilot_collection, copilot,
                   claude_project, cursor, skills, agents_md)
}


def as_listing(source: Listing | Mapping[str, bytes], name: str = "source") -> Listing:
    """``source`` as a ``Listing``: a listing itself, or a ``{path: bytes}`` mapping named ``name``."""
    return source if isinstance(source, Listing) else Listing(dict(source), name)


def detect(listing: Listing | Mapping[str, bytes]) -> str | None:
    """The name of the first reader in ``READERS`` order whose marker the listing has, or ``None``."""
    found = detect_with_marker(as_listing(listing))
    return found[0] if found else None


def detect_with_marker(listing: Listing) -> tuple[str, str] | None:
    """(reader name, marker path found) for the first matching reader, or ``None``."""
    for name, reader in READERS.items():
        marker = reader.detect(listing)
        if marker is not None:
            return name, marker
    return None


def read(listing: Listing | Mapping[str, bytes], format: str | None = None, *, load: Load) -> Inventory:
    """Inventory ``listing`` with the reader ``format`` names, or the detected one when ``None``.

    ``load`` parses YAML text (``adapters.yamlio.load_yaml``'s data, or ``yaml.safe_load``) and
    must raise ``YamlError`` for bad YAML. Listing paths that break the ``Listing`` contract are
    left out with an ``unsafe-path`` error each. Bad content never raises: broken manifests, unsafe or
    missing paths, names that had to be normalised, frontmatter that does not parse and hidden
    Unicode are findings. When no reader applies the inventory has no packages, every file is not
    understood and an ``unknown-format`` finding says so. Raises ``UsageError`` only for a
    ``format`` that is not in ``READERS``.
    """
    listing = as_listing(listing)
    refused = unsafe_paths(listing.files)
    if refused:
        listing = listing.without(refused)
    marker = ""
    if format is None:
        found = detect_with_marker(listing)
        if found is None:
            return _unknown(listing, load, refused)
        format, marker = found
    elif format not in READERS:
        raise UsageError(f"unknown source format {format!r}", field="from",
                         hint=f"use one of: auto, {', '.join(READERS)}")
    result = READERS[format].read(listing, load)
    packages, renames = unique_names(result.packages)
    left = not_understood(listing, packages, result.claimed)
    findings = (_refused(refused) + result.findings + renames + content_findings(listing, load)
                + summary_finding(left))
    return Inventory(format=format, detected_by=marker, file_count=len(listing.files), packages=tuple(packages),
                     findings=tuple(findings), not_understood=tuple(left),
                     clashes=tuple(find_clashes(listing, packages)))


def _refused(paths: list[str]) -> list[Problem]:
    return [Problem("error", "unsafe-path", f"the listing holds {path!r}, which is not a safe relative path; "
                    "it is left out", path=path) for path in paths]


def _unknown(listing: Listing, load: Load, refused: list[str]) -> Inventory:
    problem = Problem("warning", "unknown-format", "no known agent format was found (looked for: "
                      f"{', '.join(READERS)}); name one with --from")
    return Inventory(format="", detected_by="", file_count=len(listing.files), packages=(),
                     findings=(*_refused(refused), problem, *content_findings(listing, load)),
                     not_understood=tuple(listing.paths()), clashes=())


__all__ = [
    "KINDS", "READERS", "Component", "Inventory", "Listing", "NameClash", "ProposedPackage", "ReadResult",
    "Reader", "as_listing", "detect", "read",
]
