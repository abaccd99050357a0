"""`agentops package outdated`: installed packages with newer versions published."""

from __future__ import annotations

from agentpack.core.resolver import resolve
from agentpack.core.versions import parse_version
from agentpack.errors import AgentpackError
from agentpack.services.info import package_source
from agentpack.services.sources import highest_published
from agentpack.services.workspace import Settings, open_workspace


def outdated_packages(directory: str | None, settings: Settings) -> list[dict]:
    """For each locked package with something newer: {name, current, wanted, latest, direct}.

    ``wanted`` is what `agentops package update` would install (a fresh resolution within the
    ranges); ``latest`` the highest published release, which may be outside them.
    """
    ws = open_workspace(directory)
    lock = ws.load_lock()
    manifest = ws.load_manifest()
    source = package_source(directory, settings)
    requests = {n: s for n, s in lock.root.items() if not s.startswith("file:")}
    try:
        fresh = resolve(requests, source, overrides=manifest.overrides if manifest else {}).packages
    except AgentpackError:
        fresh = {}
    rows = []
    for name, pkg in sorted(lock.packages.items()):
        if pkg.source != "registry":
            continue
        latest = highest_published(source.index(name)) or pkg.version
        wanted = str(fresh[name].version) if name in fresh else pkg.version
        current = parse_version(pkg.version)
        if parse_version(latest) > current or parse_version(wanted) > current:
            rows.append({"name": name, "current": pkg.version, "wanted": wanted, "latest": latest,
                         "direct": name in lock.root})
    return rows
