"""Helpers every reader shares: safe manifest paths, skill folders, metadata fields, names.

Nothing here raises for bad content: a manifest that does not parse, a path that leaves its base
folder, a name that is not kebab-case all become findings on the ``ReadResult`` and reading goes on.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentpack.core.frontmatter import parse_frontmatter
from agentpack.core.names import suggest_name
from agentpack.core.readers.base import DEFAULT_VERSION, Component, Listing, Load, ProposedPackage, ReadResult
from agentpack.core.type_names import Any
from agentpack.errors import YamlError

README_NAMES = ("README.md", "README.markdown", "README.txt", "README", "readme.md", "Readme.md")
LICENSE_NAMES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "COPYING")
# Suffixes that name a component's kind by themselves (Copilot and APM naming), longest first.
TYPED_SUFFIXES = (
    (".instructions.md", "rules"),
    (".chatmode.md", "agents"),
    (".agent.md", "agents"),
    (".prompt.md", "commands"),
)
MARKDOWN = (".md", ".mdc", ".markdown")
# The first words of well-known licence texts, matched on the first lines of a LICENSE file.
_LICENSE_MARKERS = (
    ("Apache License", "Apache-2.0"),
    ("MIT License", "MIT"),
    ("Permission is hereby granted, free of charge", "MIT"),
    ("CC0 1.0 Universal", "CC0-1.0"),
    ("Creative Commons Legal Code", "CC0-1.0"),
    ("BSD 3-Clause", "BSD-3-Clause"),
    ("BSD 2-Clause", "BSD-2-Clause"),
    ("Mozilla Public License Version 2.0", "MPL-2.0"),
    ("GNU GENERAL PUBLIC LICENSE", "GPL-3.0-or-later"),
    ("This is free and unencumbered software", "Unlicense"),
)


def stem(path: str) -> str:
    """The component name of a file: its base name without ``.agent.md``, ``.md``, ``.mdc``..."""
    base = path.rsplit("/", 1)[-1]
    for suffix, _kind in TYPED_SUFFIXES:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    for suffix in MARKDOWN:
        if base.endswith(suffix):
            return base[: -len(suffix)]
    return base.rsplit(".", 1)[0] if "." in base[1:] else base


def typed_kind(path: str) -> str | None:
    """The kind a file's suffix names (``x.agent.md`` -> agents), or ``None``."""
    base = path.rsplit("/", 1)[-1]
    for suffix, kind in TYPED_SUFFIXES:
        if base.endswith(suffix):
            return kind
    return None


def file_component(kind: str, path: str) -> Component:
    """The component of one file of a file kind."""
    return Component(kind=kind, name=stem(path), source=path, files=(path,))


def join(base: str, rel: str) -> str:
    """``base`` folder (``""`` or ending in ``/``) joined with a relative path."""
    return f"{base}{rel}" if base else rel


def under(paths: Iterable[str], folder: str) -> list[str]:
    """The paths inside ``folder`` (``""`` for the root, else without a trailing ``/``), sorted."""
    if not folder:
        return sorted(paths)
    prefix = folder.rstrip("/") + "/"
    return sorted(p for p in paths if p.startswith(prefix))


def children(paths: Iterable[str], folder: str, suffixes: tuple[str, ...] = MARKDOWN,
             recursive: bool = True) -> list[str]:
    """Files below ``folder`` whose names end with one of ``suffixes`` (all of them, or direct only)."""
    prefix = folder.rstrip("/") + "/" if folder else ""
    found = []
    for path in under(paths, folder):
        rest = path[len(prefix):]
        if (recursive or "/" not in rest) and rest.endswith(suffixes):
            found.append(path)
    return found


def skill_folders(paths: Iterable[str], root: str) -> list[Component]:
    """Every skill below ``root``: each top-most folder holding a ``SKILL.md``, with all its files.

    A folder counts once: a ``SKILL.md`` nested inside another skill's folder (sub-skills, as in
    the qdrant skills) travels with the outer skill. ``root`` itself is never a skill here (a root
    ``SKILL.md`` is the single-skill layout, handled by the skills reader).
    """
    listed = under(paths, root)
    prefix = root.rstrip("/") + "/" if root else ""
    folders = sorted({p[: -len("/SKILL.md")] for p in listed if p.endswith("/SKILL.md")})
    topmost: list[str] = []
    for folder in folders:
        if not any(folder.startswith(outer + "/") for outer in topmost):
            topmost.append(folder)
    skills = []
    for folder in topmost:
        files = tuple(under(listed, folder))
        name = folder[len(prefix):] if folder.startswith(prefix) else folder
        skills.append(Component(kind="skills", name=name.rsplit("/", 1)[-1], source=folder, files=files))
    return skills


def skill_at(paths: Iterable[str], folder: str) -> Component | None:
    """The skill whose folder is exactly ``folder`` (it must hold ``SKILL.md``), or ``None``."""
    folder = folder.rstrip("/")
    files = tuple(under(paths, folder))
    if f"{folder}/SKILL.md" not in files:
        return None
    return Component(kind="skills", name=folder.rsplit("/", 1)[-1], source=folder, files=files)


def resolve_ref(base: str, ref: object, result: ReadResult, manifest: str) -> str | None:
    """A path a manifest lists, made relative to the listing root, or ``None`` with a finding.

    ``ref`` is relative to the ``base`` folder (``""`` or ending in ``/``); a leading ``./`` is
    dropped and a trailing ``/`` too. Refused, each with an ``unsafe-path`` finding naming the
    manifest: anything not a string, absolute paths, backslashes, URLs and any ``..`` segment
    (manifest paths must stay inside their plugin, as Claude Code and Codex require).
    """
    if not isinstance(ref, str) or not ref.strip():
        result.warn("unsafe-path", f"{manifest} lists a path that is not a non-empty string: {ref!r}", manifest)
        return None
    if ref.startswith("/") or "\\" in ref or "://" in ref or (len(ref) > 1 and ref[1] == ":"):
        result.warn("unsafe-path", f"{manifest} lists {ref!r}, which is not a relative path; refused", manifest)
        return None
    parts = [part for part in ref.split("/") if part not in ("", ".")]
    if ".." in parts:
        result.warn("unsafe-path", f"{manifest} lists {ref!r}, which climbs out of its folder with '..'; "
                    "refused", manifest)
        return None
    return join(base, "/".join(parts))


def parse_json(listing: Listing, path: str, result: ReadResult) -> Any:
    """The JSON value of ``path``, or ``None`` with a ``bad-manifest`` finding naming the file (read
    within the bounds of ``core.bounded_json``: a document nested 10,000 deep is a finding too)."""
    from agentpack.core import bounded_json
    from agentpack.errors import AgentpackError

    try:
        return bounded_json.parse_json(listing.read(path), source=path)
    except AgentpackError as exc:
        result.warn("bad-manifest", f"{exc.message}; read as if it were absent", path)
        return None


def parse_json_object(listing: Listing, path: str, result: ReadResult) -> dict | None:
    """Like ``parse_json``, but a value that is not an object is a ``bad-manifest`` finding too."""
    data = parse_json(listing, path, result)
    if data is not None and not isinstance(data, dict):
        result.warn("bad-manifest", f"{path} holds a JSON {type(data).__name__}, not an object; "
                    "read as if it were absent", path)
        return None
    return data


def parse_yaml_mapping(listing: Listing, path: str, load: Load, result: ReadResult) -> dict | None:
    """The YAML mapping of ``path``, or ``None`` with a ``bad-manifest`` finding naming the file."""
    try:
        data = load(listing.read(path).decode("utf-8-sig"))
    except (UnicodeDecodeError, YamlError) as exc:
        message = getattr(exc, "message", str(exc))
        result.warn("bad-manifest", f"{path} is not valid YAML ({message}); read as if it were absent", path)
        return None
    if not isinstance(data, dict):
        result.warn("bad-manifest", f"{path} is not a YAML mapping; read as if it were absent", path)
        return None
    return data


def frontmatter(listing: Listing, path: str, load: Load) -> dict:
    """The frontmatter mapping of a Markdown file, ``{}`` when absent or unparsable.

    Parse problems are reported once for the whole inventory (``bad-frontmatter``), not here.
    """
    try:
        return parse_frontmatter(listing.read(path).decode("utf-8"), load).data or {}
    except (UnicodeDecodeError, YamlError):
        return {}


def text(value: object) -> str:
    """A manifest value as a one-line string: strings stripped, other values empty."""
    return " ".join(value.split()) if isinstance(value, str) else ""


def str_list(value: object) -> tuple[str, ...]:
    """A list of strings from a manifest value: a list (non-strings dropped), a comma string, or ()."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list):
        return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())
    return ()


def author_text(value: object) -> str:
    """An author as one string: ``"Name <email>"`` from ``{name, email}``, or the string itself."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        name, email = text(value.get("name")), text(value.get("email"))
        return f"{name} <{email}>" if name and email else name or email
    return ""


def version_text(value: object) -> str:
    """A manifest's version as a string (``1.2`` numbers too), or ``""``."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return text(value)


def find_first(listing: Listing, base: str, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` present directly in folder ``base`` (``""`` or ending in ``/``)."""
    return next((join(base, name) for name in names if join(base, name) in listing), None)


def license_from_text(content: bytes) -> str:
    """The SPDX identifier a licence file's first lines name, or ``""`` when not recognised."""
    head = content[:2000].decode("utf-8", "replace")
    return next((spdx for marker, spdx in _LICENSE_MARKERS if marker in head), "")


def license_of(listing: Listing, declared: object, license_file: str | None) -> str:
    """The package licence: the declared SPDX-like value, else what the licence file says."""
    value = text(declared)
    if value and " " not in value:
        return value
    if license_file is not None:
        return license_from_text(listing.read(license_file)) or value
    return value


def package_name(result: ReadResult, where: str, *candidates: object) -> tuple[str, str]:
    """(valid package name, original) from the first non-empty candidate, normalising it if needed.

    A name that is not lowercase kebab-case (``Python MCP Development``, ``my_tools``) becomes the
    closest valid one (``python-mcp-development``) with a ``name-normalised`` finding at ``where``.
    A namespace (``team/x``) is not something a source can ask for: the ``/`` becomes ``-``.
    """
    original = next((c.strip() for c in candidates if isinstance(c, str) and c.strip()), "package")
    name = suggest_name(original.replace("/", "-"))
    if name != original:
        result.warn("name-normalised", f"package name {original!r} (from {where or 'the root'}) is not a valid "
                    f"package name; proposed as {name!r}", where or None, "name")
    return name, original


def base_fields(manifest: dict, listing: Listing, license_file: str | None) -> dict:
    """The package fields most manifests share (Claude, Codex, Copilot plugin.json and apm.yml)."""
    return {
        "version": version_text(manifest.get("version")) or DEFAULT_VERSION,
        "description": text(manifest.get("description")),
        "author": author_text(manifest.get("author")),
        "license": license_of(listing, manifest.get("license"), license_file),
        "keywords": str_list(manifest.get("keywords")) + str_list(manifest.get("tags")),
        "homepage": text(manifest.get("homepage")),
        "repository": _repository(manifest.get("repository")),
    }


def _repository(value: object) -> str:
    if isinstance(value, dict):
        return text(value.get("url"))
    return text(value)


def mcp_servers(data: object, path: str, result: ReadResult) -> dict[str, dict]:
    """The servers of an MCP document (``{"mcpServers": {...}}``, ``{"servers": ...}`` or the map).

    Each kept entry is a mapping with ``command`` or ``url``; anything else is an ``bad-mcp-server``
    finding naming the server.
    """
    if isinstance(data, dict) and isinstance(data.get("mcpServers"), dict):
        data = data["mcpServers"]
    elif isinstance(data, dict) and isinstance(data.get("servers"), dict):
        data = data["servers"]
    servers = {}
    if not isinstance(data, dict):
        result.warn("bad-mcp-server", f"{path}: MCP servers are not a mapping of names to servers", path)
        return servers
    for name, entry in data.items():
        if isinstance(entry, dict) and (isinstance(entry.get("command"), str) or isinstance(entry.get("url"), str)):
            servers[str(name)] = entry
        else:
            result.warn("bad-mcp-server", f"{path}: MCP server {name!r} has neither a command nor a url", path)
    return servers


def dedupe(components: list[Component]) -> list[Component]:
    """``components`` without repeats of the same (kind, source), first kept (manifests supplement)."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for component in components:
        key = (component.kind, component.source)
        if key not in seen:
            seen.add(key)
            kept.append(component)
    return kept


def mcp_file(listing: Listing, path: str, result: ReadResult, manifests: list[str]) -> dict[str, dict]:
    """The servers of the MCP JSON document at ``path`` (recorded in ``manifests``); ``{}`` if absent."""
    if path not in listing:
        return {}
    manifests.append(path)
    data = parse_json(listing, path, result)
    return mcp_servers(data, path, result) if data is not None else {}


def folder_package(listing: Listing, result: ReadResult, components: list[Component],
                   mcp_path: str | None = None) -> ProposedPackage:
    """The whole listing as one package named after the folder (project-style formats).

    The root README and licence describe it; ``mcp_path`` is the tool's MCP document, if any.
    """
    manifests: list[str] = []
    servers = mcp_file(listing, mcp_path, result, manifests) if mcp_path else {}
    license_file = find_first(listing, "", LICENSE_NAMES)
    name, original = package_name(result, "", listing.name)
    return ProposedPackage(
        name=name, original_name=original, license=license_of(listing, None, license_file),
        readme=find_first(listing, "", README_NAMES), license_file=license_file,
        components=tuple(components), mcp_servers=servers, manifests=tuple(manifests),
    )


def declared_servers(listing: Listing, base: str, declared: object, where: str, result: ReadResult,
                     manifests: list[str]) -> dict[str, dict]:
    """A plugin's MCP servers: ``mcpServers`` as an inline map or a path, else ``<base>.mcp.json``.

    Claude Code, Codex and Copilot CLI plugins all read ``.mcp.json`` at the plugin root unless the
    manifest names another file or gives the servers inline. A named file that is missing is a
    ``missing-path`` finding; an unsafe path an ``unsafe-path`` one.
    """
    if isinstance(declared, dict):
        return mcp_servers(declared, where, result)
    if declared is None:
        return mcp_file(listing, base + ".mcp.json", result, manifests)
    path = resolve_ref(base, declared, result, where)
    if path is not None and path not in listing:
        result.warn("missing-path", f"{where} names MCP servers in {declared!r}, which is missing", where)
    return mcp_file(listing, path, result, manifests) if path is not None else {}
