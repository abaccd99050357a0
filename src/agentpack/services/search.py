"""`agentops package search QUERY`: the registry listing, filtered."""

from __future__ import annotations

from agentpack.services.workspace import Settings, open_workspace


def search_packages(query: str, settings: Settings, directory: str | None = None, *, keyword: str | None = None,
                    category: str | None = None, notes: list[str] | None = None) -> list[dict]:
    """Packages matching ``query`` (every word begins a word of the name, keywords or
    description: core.search_text), and when given with the keyword ``keyword`` and of the
    category ``category``, ranked as core.search_text says (exact name, where the words were
    found, name), as {name, latest, description, keywords, components, deprecated, category,
    downloads} (``category``: the package's, or None; ``downloads``: None where the registry does
    not count them). ``UsageError`` for a parameter out of bounds (core.search_text.check_search).

    A registry server searches its database (``Registry.search``); any other registry's catalog
    is filtered here by the same rules, so both find the same rows. Each name is listed from a
    registry that answers for it (core.registry_routes): a package a registry holds under a team
    routed elsewhere is not offered.

    A package whose versions are all yanked is still found, with ``latest`` None: its name is
    taken, and a user looking for it learns why nothing installs. ``deprecated`` is the message of
    the version described (cleaned for printing), or None. ``notes``, when given, receives one
    line per registry that says how it listed its packages (an OCI registry: its ``_catalog``, or
    the catalog artifact agentops keeps there).
    """
    from agentpack.adapters.registry import open_registry
    from agentpack.core.search_text import check_search, rank_key

    check_search(query, keyword, category)
    ws = open_workspace(directory)
    found: dict[str, dict] = {}
    routing = settings.registry_routing(ws.load_manifest(), ws.root)
    options = settings.registry_options()
    for slot in routing.registries():
        registry = open_registry(slot.location, base_dir=slot.base_dir, options=options)
        rows = registry.search(query, keyword=keyword, category=category)
        if rows is None:
            rows = catalog_matches(registry.catalog(), query, keyword=keyword, category=category)
        for row in rows:
            if row["name"] not in found and slot in routing.for_name(row["name"]):
                found[row["name"]] = row  # listed already (registries of a list agree, or install stops)
        if notes is not None and getattr(registry, "listing", None):
            notes.append(f"{registry.url}: packages listed with {registry.listing}")
    return sorted(found.values(), key=lambda row: rank_key(query, row))


def catalog_matches(catalog: dict, query: str, *, keyword: str | None = None,
                    category: str | None = None) -> list[dict]:
    """The search rows of a registry's ``catalog()`` matching ``query`` (core.search_text: every
    word of the query begins a word of the name, keywords or description; no words: every
    package), with the keyword ``keyword`` and of ``category`` when given, ranked as
    core.search_text ranks them, as ``search_packages`` describes them (``downloads`` None: a
    catalog does not count them). Entries with neither a latest version nor any version are left
    out."""
    from agentpack.core.release_marks import shown_text
    from agentpack.core.search_text import has_keyword, query_words, rank_key, tier

    terms = query_words(query)
    rows = []
    for name, entry in catalog.get("packages", {}).items():
        if not (entry.get("latest") or entry.get("versions")):
            continue
        keywords = [str(k) for k in entry.get("keywords") or []]
        description = str(entry.get("description", ""))
        if tier(terms, name, keywords, description) is None:
            continue
        if keyword is not None and not has_keyword(keyword, keywords):
            continue
        if category is not None and entry.get("category") != category:
            continue
        deprecated = entry.get("deprecated")
        rows.append({"name": name, "latest": entry.get("latest"), "description": entry.get("description", ""),
                     "keywords": keywords, "components": entry.get("components", {}),
                     "deprecated": None if deprecated is None else shown_text(deprecated),
                     "category": entry.get("category"), "downloads": None})
    return sorted(rows, key=lambda row: rank_key(query, row))


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
