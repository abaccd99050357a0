"""`agentops package search QUERY`: the registry listing, filtered."""

from __future__ import annotations

from agentpack.services.workspace import Settings, open_workspace


def search_packages(query: str, settings: Settings, directory: str | None = None, *,
                    notes: list[str] | None = None) -> list[dict]:
    """Packages whose name, description or keywords contain ``query`` (case-insensitive; empty
    matches all), as {name, latest, description, keywords, components, deprecated, category}, sorted
    by name (``category``: the package's, or None).
    Each name is listed from a registry that answers for it (core.registry_routes): a package a
    registry holds under a team routed elsewhere is not offered.

    A package whose versions are all yanked is still found, with ``latest`` None: its name is
    taken, and a user looking for it learns why nothing installs. ``deprecated`` is the message of
    the version described (cleaned for printing), or None. ``notes``, when given, receives one
    line per registry that says how it listed its packages (an OCI registry: its ``_catalog``, or
    the catalog artifact agentops keeps there).
    """
    from agentpack.adapters.registry import open_registry

    ws = open_workspace(directory)
    found: dict[str, dict] = {}
    routing = settings.registry_routing(ws.load_manifest(), ws.root)
    options = settings.registry_options()
    for slot in routing.registries():
        registry = open_registry(slot.location, base_dir=slot.base_dir, options=options)
        for row in catalog_matches(registry.catalog(), query):
            if row["name"] not in found and slot in routing.for_name(row["name"]):
                found[row["name"]] = row  # listed already (registries of a list agree, or install stops)
        if notes is not None and getattr(registry, "listing", None):
            notes.append(f"{registry.url}: packages listed with {registry.listing}")
    return [found[name] for name in sorted(found)]


def catalog_matches(catalog: dict, query: str) -> list[dict]:
    """The search rows of a registry's ``catalog()`` whose name, description or keywords contain
    ``query`` (case-insensitive; empty matches all), in catalog order, as ``search_packages``
    describes them. Entries with neither a latest version nor any version are left out."""
    from agentpack.core.release_marks import shown_text

    needle = query.lower()
    rows = []
    for name, entry in catalog.get("packages", {}).items():
        if not (entry.get("latest") or entry.get("versions")):
            continue
        keywords = entry.get("keywords") or []
        haystack = " ".join([name, str(entry.get("description", ""))] + keywords).lower()
        if needle in haystack:
            deprecated = entry.get("deprecated")
            rows.append({"name": name, "latest": entry.get("latest"), "description": entry.get("description", ""),
                         "keywords": keywords, "components": entry.get("components", {}),
                         "deprecated": None if deprecated is None else shown_text(deprecated),
                         "category": entry.get("category")})
    return rows


def search_line(row: dict) -> str:
    """One search row as `agentops package search` prints it and the web catalog lists it, in the
    seed's words: ``customer-service (1.2.0) - 4 agents, 3 workflows``, then the skills, commands
    and rules it has, then ``[deprecated: MESSAGE]`` when the version described is deprecated."""
    latest = row["latest"] or "every version yanked"
    deprecated = "" if row["deprecated"] is None else f" [deprecated{': ' if row['deprecated'] else ''}" \
                                                      f"{row['deprecated']}]"
    counts = row["components"]
    return (f"{row['name']} ({latest}) - {counts.get('agents', 0)} agents, {counts.get('workflows', 0)} workflows"
            f"{tool_counts(counts)}{deprecated}")


def tool_counts(counts: dict) -> str:
    """``, 2 skills, 1 commands`` for the skills, commands and rules a package has (none: ``""``)."""
    return "".join(f", {counts[kind]} {kind}" for kind in ("skills", "commands", "rules") if counts.get(kind))
