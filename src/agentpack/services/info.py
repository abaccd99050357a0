"""`agentops package info SPEC`: what a registry knows about a package."""

from __future__ import annotations

from agentpack.core.classification import Levels
from agentpack.core.release_marks import DEPRECATED, YANKED, mark_text
from agentpack.core.spec import parse_spec
from agentpack.core.versions import max_satisfying, parse_version
from agentpack.errors import AgentpackError, InvalidVersion, PackageNotFound, RegistryError, SignatureError
from agentpack.services.keys import trusted_fingerprints
from agentpack.services.sources import PackageSource, dependency_map
from agentpack.services.workspace import Settings, open_workspace


def package_source(directory: str | None, settings: Settings, *, offline: bool = False) -> PackageSource:
    """A PackageSource over the registries the workspace at ``directory`` would use."""
    ws = open_workspace(directory)
    manifest = ws.load_manifest()
    return PackageSource(lambda: settings.registry_routing(manifest, ws.root), settings.resolved_cache_dir,
                         offline=offline, registry_options=settings.registry_options)


def package_info(spec_text: str, settings: Settings, directory: str | None = None) -> dict:
    """The highest published version satisfying ``spec_text``'s range, with every published version.

    The version shown is the one install would choose: yanked versions are passed over unless the
    range is one exact version or nothing else satisfies it (then the highest yanked one is shown,
    marked). Keys: name, version, registry (the location of the one registry that answered, see
    core.registry_routes), listing (how that registry listed the versions, when it says: an OCI
    registry's tags list; else None), versions, description, license, author, homepage, keywords,
    dependencies, sha256, size, published_at, components, classification (the declared level, else
    the lowest of the workspace's levels), signature (see ``signature_status``), yanked and
    deprecated (the shown version's reason and message, or None) and yanked_versions ({version:
    reason}). Texts from the registry's marks are cleaned (core.release_marks). Raises
    PackageNotFound when nothing matches.
    """
    spec = parse_spec(spec_text)
    ws = open_workspace(directory)
    ws_manifest = ws.load_manifest()
    source = PackageSource(lambda: settings.registry_routing(ws_manifest, ws.root), settings.resolved_cache_dir,
                           registry_options=settings.registry_options)
    index = source.index(spec.name)
    if not index:
        from agentpack.core.names import did_you_mean

        raise PackageNotFound(f"{spec.name} is not published in {source.describe(spec.name)}"
                              f"{did_you_mean(spec.name, source.names())}",
                              hint="search the registry with `agentops package search`")
    versions, yanked = [], {}
    for text in index:
        try:
            versions.append(parse_version(text))
        except InvalidVersion:
            continue
        reason = mark_text(index[text], YANKED)
        if reason is not None:
            yanked[versions[-1]] = reason
    installable = [v for v in versions if v not in yanked]
    chosen = (spec.range.exact() is None and max_satisfying(installable, spec.range)) or max_satisfying(
        versions, spec.range)
    if chosen is None:
        raise PackageNotFound(f"no version of {spec.name} satisfies {spec.range_text}",
                              hint=f"published: {', '.join(str(v) for v in sorted(versions))}")
    record = index[str(chosen)] if str(chosen) in index else next(r for t, r in index.items() if parse_version(t) == chosen)
    manifest = record.get("manifest") or {}
    try:
        dependencies = dependency_map(manifest)
    except AgentpackError as exc:
        raise RegistryError(f"the record of {spec.name}@{record['version']} in {source.answered_by(spec.name)} has "
                            f"a bad dependency: {exc.message}", path=source.answered_by(spec.name),
                            hint="the registry entry is damaged; republish the package") from None
    return {
        "name": spec.name,
        "version": record["version"],
        "registry": source.answered_by(spec.name),
        "listing": source.listing_of(spec.name),
        "versions": [str(v) for v in sorted(versions)],
        "description": manifest.get("description", ""),
        "license": manifest.get("license"),
        "author": manifest.get("author"),
        "homepage": manifest.get("homepage"),
        "keywords": manifest.get("keywords", []),
        "dependencies": dependencies,
        "sha256": record["sha256"],
        "size": record.get("size"),
        "published_at": record.get("published_at"),
        "components": record.get("components", {}),
        "classification": manifest.get("classification") or (ws_manifest.levels if ws_manifest else Levels()).lowest,
        "signature": signature_status(record, lambda: trusted_fingerprints(ws.root)),
        "yanked": mark_text(record, YANKED),
        "deprecated": mark_text(record, DEPRECATED),
        "yanked_versions": {str(v): yanked[v] for v in sorted(yanked)},
    }


def signature_status(record: dict, trusted) -> dict:
    """``{"status", "signed_by"}`` of a registry record's signature: "unsigned"; "invalid" (with a
    "reason") when it does not verify against the record's name, version and sha256; else
    "trusted" or "untrusted" by whether ``trusted()`` (fingerprints) holds its key. Never raises
    for a bad signature: info describes, install refuses."""
    from agentpack.services.signing import verify_document

    document = record.get("signature")
    if document is None:
        return {"status": "unsigned", "signed_by": None}
    try:
        key = verify_document(document, name=record["name"], version=record["version"], sha256=record["sha256"],
                              where="the registry record")
    except SignatureError as exc:
        signer = document.get("key") if isinstance(document, dict) else None
        return {"status": "invalid", "signed_by": signer if isinstance(signer, str) else None, "reason": exc.message}
    return {"status": "trusted" if key in trusted() else "untrusted", "signed_by": key}
