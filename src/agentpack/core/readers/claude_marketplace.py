"""Claude Code marketplaces: ``.claude-plugin/marketplace.json`` listing plugins, one package each.

Fields (code.claude.com/docs/en/plugin-marketplaces): ``name``, ``owner`` {name, email},
``metadata`` {description, version, pluginRoot}, ``plugins`` [{name, source, ...any plugin.json
field, category, tags, strict}]. A ``source`` string is a folder relative to the marketplace root
(``./plugins/x``; a bare name is looked up under ``metadata.pluginRoot``); an object source
(``github``, ``url``, ``git-subdir``, ``npm``) lives elsewhere and is reported, not fetched: the
reader is pure and extract works offline. A ``"strict": false`` entry whose source is the root
(anthropics/skills) is its own manifest: its ``skills``/``agents``/``commands`` lists are the
package. The marketplace file, the root README and the root licence are understood as the
marketplace's own; each plugin folder is read by ``claude_plugin.read_plugin_folder``.
"""

from __future__ import annotations

from agentpack.core.readers import common
from agentpack.core.readers.base import Listing, Load, Reader, ReadResult
from agentpack.core.readers.claude_plugin import read_plugin_folder

MANIFEST = ".claude-plugin/marketplace.json"


def detect(listing: Listing) -> str | None:
    """A marketplace has ``.claude-plugin/marketplace.json`` at its root."""
    return MANIFEST if MANIFEST in listing else None


def read(listing: Listing, load: Load) -> ReadResult:
    """One package per plugin entry whose source is a folder of the listing."""
    result = ReadResult()
    return read_marketplace(listing, MANIFEST, result)


def read_marketplace(listing: Listing, manifest: str, result: ReadResult) -> ReadResult:
    """Read the marketplace file at ``manifest`` into ``result``: one package per local plugin entry."""
    result.claimed.add(manifest)
    root_license = common.find_first(listing, "", common.LICENSE_NAMES)
    readme = common.find_first(listing, "", common.README_NAMES)
    result.claimed.update(p for p in (root_license, readme) if p)
    data = common.parse_json_object(listing, manifest, result)
    if data is None:
        return result
    plugins = data.get("plugins")
    if not isinstance(plugins, list):
        result.warn("bad-manifest", f"{manifest} has no 'plugins' list", manifest, "plugins")
        return result
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    plugin_root = common.text(metadata.get("pluginRoot")) or common.text(data.get("pluginRoot"))
    defaults = {"author": data.get("owner")}
    for index, entry in enumerate(plugins):
        where = f"{manifest} plugins[{index}]"
        if not isinstance(entry, dict):
            result.warn("bad-manifest", f"{where} is not an object", manifest)
            continue
        base = source_folder(entry.get("source"), plugin_root, where, result)
        if base is None:
            continue
        if base and not any(p.startswith(base) for p in listing.files):
            result.warn("missing-path", f"{where} ({entry.get('name')!r}) names folder {base.rstrip('/')!r}, "
                        "which the source does not have", manifest)
            continue
        folder_name = base.rstrip("/").rsplit("/", 1)[-1] or listing.name
        result.packages.append(read_plugin_folder(listing, base, result, entry=entry,
                                                  fallback_name=folder_name, defaults=defaults,
                                                  root_license=root_license))
    return result


def source_folder(source: object, plugin_root: str, where: str, result: ReadResult) -> str | None:
    """The plugin folder an entry's ``source`` names (``""`` for the root, else ending in ``/``)."""
    if isinstance(source, dict):
        kind = common.text(source.get("source")) or "unknown"
        place = source.get("repo") or source.get("url") or source.get("package") or source.get("path")
        result.warn("external-source", f"{where} comes from a {kind} source ({place}); it is not in this folder "
                    "and is not extracted", where.split(" ")[0])
        return None
    if not isinstance(source, str):
        result.warn("bad-manifest", f"{where} has no source", where.split(" ")[0], "source")
        return None
    if not source.startswith(("./", "../")) and source not in (".", "") and plugin_root:
        source = f"{plugin_root.rstrip('/')}/{source}"
    path = common.resolve_ref("", source, result, where.split(" ")[0])
    if path is None:
        return None
    return f"{path}/" if path else ""


READER = Reader("claude-marketplace", "Claude Code marketplace", detect, read)
