"""`agentops package export`: write a package as a Claude Code plugin, or the workspace as a marketplace.

Where the package comes from (``SOURCE``): a package folder (its files as a build would pack them,
globs expanded), a built archive (read with the safe archive reader), an installed package of the
workspace (its installed files as they are now and its effective MCP servers from
``config/<pkg>/mcp_servers.yaml``), or else a published package (fetched from the workspace's
registries and checked against its digest like install does). The files of the plugin come from
``core.targets.plugin``; the folder is written in one atomic step (``adapters.export_folder``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from agentpack.core.components import skill_name
from agentpack.core.records import dataclass, field
from agentpack.core.targets.base import components_of
from agentpack.errors import AgentpackError, PackageNotFound, UsageError

FORMATS = ("claude-plugin", "claude-marketplace")
_REGISTRY_ONLY = frozenset({"no-license"})  # validation errors that only publishing cares about


@dataclass(frozen=True)
class ExportedPlugin:
    """One plugin written: its name, version, where it came from and what it holds."""

    name: str
    version: str
    source: str
    files: dict[str, bytes]
    skipped: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """``{name, version, source, files: [paths], skipped: [kinds a plugin cannot hold]}``."""
        return {"name": self.name, "version": self.version, "source": self.source,
                "files": sorted(self.files), "skipped": self.skipped}


@dataclass(frozen=True)
class ExportResult:
    """The folder written, its format, and the plugins in it."""

    out: str
    format: str
    plugins: list[ExportedPlugin]

    def to_dict(self) -> dict:
        """``{out, format, plugins: [...]}``."""
        return {"out": self.out, "format": self.format, "plugins": [p.to_dict() for p in self.plugins]}


@dataclass(frozen=True)
class _Package:
    manifest: dict
    files: Mapping[str, bytes]  # package path -> bytes (components only need to be present)
    mcp_servers: dict
    source: str


def export_package(source: str, out: str, settings, *, directory: str | None = None,
                   force: bool = False) -> ExportResult:
    """Write the package named by ``source`` as a Claude Code plugin folder at ``out``.

    ``directory`` is the -C directory: relative paths and the workspace are found from there.
    Raises ``PackageNotFound`` when ``source`` is no folder, file, installed or published package,
    the reading and validation errors of each source, and the errors of ``write_folder``.
    """
    from agentpack.adapters.export_folder import write_folder

    package = _read_source(source, settings, directory)
    plugin = _plugin(package)
    write_folder(out, plugin.files, force=force)
    return ExportResult(os.path.abspath(out), "claude-plugin", [plugin])


def export_marketplace(out: str, *, directory: str | None = None, force: bool = False) -> ExportResult:
    """Write the workspace's installed packages as a local marketplace folder at ``out``.

    ``.claude-plugin/marketplace.json`` (named after the workspace folder) lists one plugin per
    installed package, each in its own folder ``./<plugin name>``. Raises ``WorkspaceError`` when
    no workspace is found and ``AgentpackError`` when nothing is installed.
    """
    from agentpack.adapters.export_folder import write_folder
    from agentpack.core.targets.plugin import MARKETPLACE_PATH, marketplace_bytes, marketplace_document
    from agentpack.services.workspace import open_workspace

    ws = open_workspace(directory)
    lock = ws.load_lock()
    if not lock.packages:
        raise AgentpackError("no packages are installed in this workspace", path=ws.root,
                             hint="install packages first: agentops package install NAME")
    plugins = [_plugin(_installed(ws, lock, name)) for name in sorted(lock.packages)]
    files: dict[str, bytes] = {}
    for plugin in plugins:
        files.update({f"{plugin.name}/{path}": data for path, data in plugin.files.items()})
    root_name = _marketplace_name(os.path.basename(os.path.abspath(ws.root)))
    manifests = [{"name": p.name, "version": p.version, "description": _description(p)} for p in plugins]
    files[MARKETPLACE_PATH] = marketplace_bytes(marketplace_document(
        root_name, root_name, manifests, f"The agentops packages installed in {root_name}"))
    write_folder(out, dict(sorted(files.items())), force=force)
    return ExportResult(os.path.abspath(out), "claude-marketplace", plugins)


def _description(plugin: ExportedPlugin) -> str:
    import json

    from agentpack.core.targets.plugin import MANIFEST_PATH

    return json.loads(plugin.files[MANIFEST_PATH]).get("description", "")


def _marketplace_name(text: str) -> str:
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")
    return cleaned or "agentops-workspace"


def _plugin(package: _Package) -> ExportedPlugin:
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.targets.plugin import plugin_files, plugin_name, skipped_kinds

    def load(text):
        return load_yaml(text, source=package.source)[0]

    components = components_of(package.manifest, package.files)
    files = plugin_files(package.manifest, components, package.mcp_servers, load)
    return ExportedPlugin(plugin_name(package.manifest["name"]), str(package.manifest["version"]),
                          package.source, files, skipped_kinds(components))


def _read_source(source: str, settings, directory: str | None) -> _Package:
    path = source if directory is None or os.path.isabs(source) else os.path.join(directory, source)
    if os.path.isdir(path):
        return _from_files(_folder_files(path), source)
    if os.path.isfile(path):
        from agentpack.services.package_content import content_from_archive_file

        content = content_from_archive_file(path)
        return _from_files(content.files, source)
    installed = _installed_package(source, directory)
    if installed is not None:
        return installed
    from agentpack.services.diff import published_content
    from agentpack.services.info import package_source

    try:
        content = published_content(package_source(directory, settings), source)
    except PackageNotFound as exc:
        exc.hint = "give a package folder, a built archive, an installed package or a published name[@range]"
        raise
    return _from_files(content.files, source)


def _folder_files(path: str) -> dict[str, bytes]:
    """The files a build of folder ``path`` would pack, globs expanded.

    Raises ``ValidationError`` with every problem `package validate` finds, except those that only
    matter to a registry (``_REGISTRY_ONLY``: a plugin needs no license), so a glob that matches
    nothing or a listed file that is missing stops the export instead of leaving a hole.
    """
    from agentpack.errors import ValidationError
    from agentpack.services.build import expand_manifest_globs
    from agentpack.services.validate import collect_package_files, validate_files

    files = collect_package_files(path)
    problems = [p for p in validate_files(files, source=path).errors if p.code not in _REGISTRY_ONLY]
    if problems:
        raise ValidationError(f"{path} is not a valid package", path=path, problems=problems,
                              hint="run `agentops package validate` and fix what it reports")
    return expand_manifest_globs(files)


def _from_files(files: Mapping[str, bytes], source: str) -> _Package:
    from agentpack.services.package_content import content_from_files

    content = content_from_files(files, source)
    manifest = content.manifest.to_dict()
    return _Package(manifest, content.files, dict(manifest.get("mcp_servers") or {}), source)


def _installed_package(name: str, directory: str | None) -> _Package | None:
    from agentpack.errors import WorkspaceError
    from agentpack.services.workspace import open_workspace

    try:
        ws = open_workspace(directory)
        lock = ws.load_lock()
    except WorkspaceError:
        return None
    if name not in lock.packages:
        return None
    return _installed(ws, lock, name)


def _installed(ws, lock, name: str) -> _Package:
    """An installed package: the files it installed as they are now, and its effective MCP servers."""
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.layout import package_path
    from agentpack.services.adapt import read_snapshot

    manifest = read_snapshot(ws, name).get("manifest")
    if not isinstance(manifest, dict) or "name" not in manifest:
        raise UsageError(f"{name} is installed but its install record is missing",
                         hint="run `agentops package install --force` to write it again")
    files: dict[str, bytes] = {}
    for installed in lock.packages[name].files:
        mapped = package_path(name, installed)
        data = ws.read_bytes(installed)
        if mapped is None or data is None:
            continue
        files[_listed_path(manifest, *mapped)] = data
    servers_text = ws.read_bytes(f"config/{name}/mcp_servers.yaml")
    servers = load_yaml(servers_text, source=f"config/{name}/mcp_servers.yaml")[0] if servers_text else None
    return _Package(manifest, files, dict(servers or {}), name)


def _listed_path(manifest: Mapping, kind: str, path: str) -> str:
    """The manifest's own path for an installed file mapped back to ``kind``/``path``.

    ``package_path`` maps a file listed from outside its kind's folder (``prompts/x.md`` as an
    agent) to ``agents/prompts/x.md``; the manifest still names it ``prompts/x.md``.
    """
    if kind == "skills":
        for folder in manifest.get("skills") or ():
            prefix = f"skills/{skill_name(folder)}/"
            if path.startswith(prefix):
                return f"{folder}/{path[len(prefix):]}"
        return path
    for listed in manifest.get(kind) or ():
        if path == listed or path == f"{kind}/{listed}":
            return listed
    return path
