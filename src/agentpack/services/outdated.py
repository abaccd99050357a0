"""`agentops package outdated`: installed packages with newer versions published."""

from __future__ import annotations

from agentpack.core.release_marks import YANKED, mark_text
from agentpack.core.resolver import resolve
from agentpack.core.versions import parse_version
from agentpack.errors import AgentpackError
from agentpack.services.info import package_source
from agentpack.services.sources import highest_published
from agentpack.services.workspace import Settings, open_workspace


def outdated_packages(directory: str | None, settings: Settings) -> list[dict]:
    """For each locked package with something newer, or whose version is yanked:
    {name, current, wanted, latest, direct, yanked}.

    ``wanted`` is what `agentops package update` would install (a fresh resolution within the
    ranges); ``latest`` the highest published release, which may be outside them. Neither is ever
    a yanked version, unless the lock pins it and nothing else fits (then ``wanted`` stays on it).
    ``yanked`` is the reason the current version was yanked (cleaned for printing), or None.
    """
    ws = open_workspace(directory)
    lock = ws.load_lock()
    manifest = ws.load_manifest()
    source = package_source(directory, settings)
    requests = {n: s for n, s in lock.root.items() if not s.startswith("file:")}
    locked = {n: parse_version(p.version) for n, p in lock.packages.items() if p.source == "registry"}
    try:
        fresh = resolve(requests, source, overrides=manifest.overrides if manifest else {}, locked=locked).packages
    except AgentpackError:
        fresh = {}
    rows = []
    for name, pkg in sorted(lock.packages.items()):
        if pkg.source != "registry":
            continue
        index = source.index(name)
        latest = highest_published(index, installable=True) or pkg.version
        wanted = str(fresh[name].version) if name in fresh else pkg.version
        current = parse_version(pkg.version)
        yanked = mark_text(index.get(pkg.version) or {}, YANKED)
        if parse_version(latest) > current or parse_version(wanted) > current or yanked is not None:
            rows.append({"name": name, "current": pkg.version, "wanted": wanted, "latest": latest,
                         "direct": name in lock.root, "yanked": yanked})
    return rows
