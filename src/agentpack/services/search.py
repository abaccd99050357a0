"""`agentops package search QUERY`: the registry listing, filtered."""

from __future__ import annotations

from agentpack.services.sources import highest_published
from agentpack.services.workspace import Settings, open_workspace


def search_packages(query: str, settings: Settings, directory: str | None = None) -> list[dict]:
    """Packages whose name, description or keywords contain ``query`` (case-insensitive; empty
    matches all), as {name, latest, description, keywords, components}, sorted by name."""
    from agentpack.adapters.registry import open_registry

    ws = open_workspace(directory)
    needle = query.lower()
    found: dict[str, dict] = {}
    for location, base in settings.registry_locations(ws.load_manifest(), ws.root):
        registry = open_registry(location, base_dir=base)
        for name in registry.list_packages():
            if name in found:
                continue
            versions = registry.package_index(name).get("versions", {})
            latest = highest_published(versions)
            if latest is None:
                continue
            manifest = versions[latest].get("manifest") or {}
            keywords = [str(k) for k in manifest.get("keywords") or []]
            haystack = " ".join([name, str(manifest.get("description", ""))] + keywords).lower()
            if needle in haystack:
                found[name] = {"name": name, "latest": latest, "description": manifest.get("description", ""),
                               "keywords": keywords, "components": versions[latest].get("components", {})}
    return [found[name] for name in sorted(found)]
