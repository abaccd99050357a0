"""`agentops package search QUERY`: the registry listing, filtered."""

from __future__ import annotations

from agentpack.services.workspace import Settings, open_workspace


def search_packages(query: str, settings: Settings, directory: str | None = None) -> list[dict]:
    """Packages whose name, description or keywords contain ``query`` (case-insensitive; empty
    matches all), as {name, latest, description, keywords, components}, sorted by name."""
    from agentpack.adapters.registry import open_registry

    ws = open_workspace(directory)
    needle = query.lower()
    found: dict[str, dict] = {}
    for location, base in settings.registry_locations(ws.load_manifest(), ws.root):
        registry = open_registry(location, base_dir=base, options=settings.registry_options())
        packages = registry.catalog().get("packages", {})
        for name, entry in packages.items():
            if name in found or not entry.get("latest"):
                continue  # an earlier registry wins, as it does for install
            keywords = entry.get("keywords") or []
            haystack = " ".join([name, str(entry.get("description", ""))] + keywords).lower()
            if needle in haystack:
                found[name] = {"name": name, "latest": entry["latest"], "description": entry.get("description", ""),
                               "keywords": keywords, "components": entry.get("components", {})}
    return [found[name] for name in sorted(found)]
