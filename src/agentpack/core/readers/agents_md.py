"""AGENTS.md: plain Markdown instructions at a repository's root (and nested folders).

AGENTS.md (agents.md) has no frontmatter and no manifest: every ``AGENTS.md`` becomes a ``rules``
component of one package named after the folder. The root file is named ``agents``; a nested one
is named after its folder (``docs/api/AGENTS.md`` -> ``docs-api-agents``) so names stay unique.
"""

from __future__ import annotations

from agentpack.core.names import suggest_name
from agentpack.core.readers import common
from agentpack.core.readers.base import Component, Listing, Load, Reader, ReadResult

FILE = "AGENTS.md"


def detect(listing: Listing) -> str | None:
    """An ``AGENTS.md`` at the root."""
    return FILE if FILE in listing else None


def read(listing: Listing, load: Load) -> ReadResult:
    """Every AGENTS.md as a rule of one package; the README and licence describe it."""
    result = ReadResult()
    components = []
    for path in listing.paths():
        if path == FILE or path.endswith("/" + FILE):
            folder = path[: -len(FILE)].rstrip("/")
            name = f"{suggest_name(folder.replace('/', '-'))}-agents" if folder else "agents"
            components.append(Component("rules", name, path, (path,)))
    result.packages.append(common.folder_package(listing, result, components))
    return result


READER = Reader("agents-md", "AGENTS.md", detect, read)
