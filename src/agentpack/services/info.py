"""`agentops package info SPEC`: what a registry knows about a package."""

from __future__ import annotations

from agentpack.core.spec import parse_spec
from agentpack.core.versions import max_satisfying, parse_version
from agentpack.errors import InvalidVersion, PackageNotFound
from agentpack.services.sources import PackageSource, dependency_map
from agentpack.services.workspace import Settings, open_workspace


def package_source(directory: str | None, settings: Settings, *, offline: bool = False) -> PackageSource:
    """A PackageSource over the registries the workspace at ``directory`` would use."""
    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    return PackageSource(lambda: settings.registry_locations(manifest, ws.root), settings.resolved_cache_dir,
                         offline=offline)


def package_info(spec_text: str, settings: Settings, directory: str | None = None) -> dict:
    """The highest published version satisfying ``spec_text``'s range, with every published version.

    Keys: name, version, versions, description, license, author, homepage, keywords, dependencies,
    sha256, size, published_at, components. Raises PackageNotFound when nothing matches.
    """
    spec = parse_spec(spec_text)
    source = package_source(directory, settings)
    index = source.index(spec.name)
    if not index:
        from agentpack.core.names import did_you_mean

        raise PackageNotFound(f"{spec.name} is not published in {source.describe()}"
                              f"{did_you_mean(spec.name, source.names())}",
                              hint="search the registry with `agentops package search`")
    versions = []
    for text in index:
        try:
            versions.append(parse_version(text))
        except InvalidVersion:
            continue
    chosen = max_satisfying(versions, spec.range)
    if chosen is None:
        raise PackageNotFound(f"no version of {spec.name} satisfies {spec.range_text}",
                              hint=f"published: {', '.join(str(v) for v in sorted(versions))}")
    record = index[str(chosen)] if str(chosen) in index else next(r for t, r in index.items() if parse_version(t) == chosen)
    manifest = record.get("manifest") or {}
    return {
        "name": spec.name,
        "version": record["version"],
        "versions": [str(v) for v in sorted(versions)],
        "description": manifest.get("description", ""),
        "license": manifest.get("license"),
        "author": manifest.get("author"),
        "homepage": manifest.get("homepage"),
        "keywords": manifest.get("keywords", []),
        "dependencies": dependency_map(manifest),
        "sha256": record["sha256"],
        "size": record.get("size"),
        "published_at": record.get("published_at"),
        "components": record.get("components", {}),
    }
