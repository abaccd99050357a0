"""`agentops package search QUERY`: the registry listing, filtered."""

from __future__ import annotations

from agentpack.services.workspace import Settings, open_workspace


def search_packages(query: str, settings: Settings, directory: str | None = None) -> list[dict]:
    """Packages whose name, description or keywords contain ``query`` (case-insensitive; empty
    matches all), as {name, latest, description, keywords, components, deprecated}, sorted by name.
    Each name is listed from a registry that answers for it (core.registry_routes): a package a
    registry holds under a team routed elsewhere is not offered.

    A package whose versions are all yanked is still found, with ``latest`` None: its name is
    taken, and a user looking for it learns why nothing installs. ``deprecated`` is the message of
    the version described (cleaned for printing), or None.
    """
    from agentpack.adapters.registry import open_registry
    from agentpack.core.release_marks import shown_text

    ws = open_workspace(directory)
    needle = query.lower()
    found: dict[str, dict] = {}
    routing = settings.registry_routing(ws.load_manifest(), ws.root)
    options = settings.registry_options()
    for slot in routing.registries():
        registry = open_registry(slot.location, base_dir=slot.base_dir, options=options)
        packages = registry.catalog().get("packages", {})
        for name, entry in packages.items():
            if (name in found or not (entry.get("latest") or entry.get("versions"))
                    or slot not in routing.for_name(name)):
                continue  # listed already (registries of a list agree, or install stops), or routed elsewhere
            keywords = entry.get("keywords") or []
            haystack = " ".join([name, str(entry.get("description", ""))] + keywords).lower()
            if needle in haystack:
                deprecated = entry.get("deprecated")
                found[name] = {"name": name, "latest": entry.get("latest"), "description": entry.get("description", ""),
                               "keywords": keywords, "components": entry.get("components", {}),
                               "deprecated": None if deprecated is None else shown_text(deprecated)}
    return [found[name] for name in sorted(found)]
