"""The effective configuration of installed packages, and the local adaptations of a workspace.

A package's configuration is one tree, {config name: content of that file}. Its effective value
in a workspace is the merge, later layers winning (see core.config_merge for the rule), of:

1. the package's own configuration;
2. what packages that depend on it set for it (their package.yaml `overrides:`), by dependent name;
3. its overlay for the workspace's tier (package.yaml `tiers:`);
4. the `config:` section of packages/<name>.local.yaml;
5. values set with --set, recorded under `config:` in agentops.yaml.

Install writes each top-level entry of the effective tree to config/<package>/<name>.yaml.

The package's ``mcp_servers:`` (package.yaml) is one more entry of that tree, under the reserved
name ``mcp_servers``: every layer applies to it like to any config file (a tier overlay's or local
file's ``mcp_servers:`` key, ``--set <pkg>.mcp_servers.<server>.env.<VAR>=...``), and install writes
the effective servers to config/<package>/mcp_servers.yaml.
"""

from __future__ import annotations

from collections.abc import Mapping

from agentpack.core.config_merge import Layer, render_yaml
from agentpack.core.filenames import LOCAL_OVERRIDES_DIR, WORKSPACE_MANIFEST
from agentpack.core.local_overrides import LocalOverrides
from agentpack.core.manifest import MCP_SERVERS


def local_overrides_path(name: str) -> str:
    """packages/<name>.local.yaml (namespaced names keep their folder: packages/team/x.local.yaml)."""
    return f"{LOCAL_OVERRIDES_DIR}/{name}.local.yaml"


def _subtree_lines(lines: Mapping[tuple, int], prefix: tuple) -> dict[tuple, int]:
    return {path[len(prefix):]: line for path, line in lines.items() if path[:len(prefix)] == prefix}


def package_config(name: str, snapshot: Mapping) -> dict:
    """The package's own configuration, ``{config name: content}``, as its config files hold it,
    plus its MCP servers under ``mcp_servers`` when it declares any."""
    from agentpack.adapters.yamlio import load_yaml
    version = snapshot.get("version")
    manifest = snapshot.get("manifest", {})
    manifest_config = manifest.get("config", {})
    tree = {key: load_yaml(text, source=f"{name}@{version} {manifest_config.get(key, key)}")[0]
            for key, text in snapshot.get("config", {}).items()}
    if manifest.get(MCP_SERVERS):
        tree[MCP_SERVERS] = json_copy(manifest[MCP_SERVERS])
    return tree


def json_copy(value):
    """A deep copy of JSON-ready data, so merging never changes the snapshot it came from."""
    import json

    return json.loads(json.dumps(value))


def package_layers(name: str, snapshots: Mapping[str, Mapping], *, tier: str | None,
                   local: LocalOverrides | None, local_lines: Mapping[tuple, int],
                   set_config: Mapping[str, dict]) -> list[Layer]:
    """The five layers of ``name``'s configuration, in merge order (empty layers left out)."""
    from agentpack.adapters.yamlio import load_yaml

    snapshot = snapshots[name]
    layers = []
    manifest_config = snapshot.get("manifest", {}).get("config", {})
    for key, text in snapshot.get("config", {}).items():
        # One layer per config file, so that --explain names the file each value came from.
        source = f"{name}@{snapshot.get('version')} {manifest_config.get(key, key)}"
        data, lines = load_yaml(text, source=source)
        layers.append(Layer("package", source, {key: data}, {(key, *path): line for path, line in lines.items()}))
    servers = snapshot.get("manifest", {}).get(MCP_SERVERS)
    if servers:
        layers.append(Layer("package", f"{name}@{snapshot.get('version')} package.yaml ({MCP_SERVERS})",
                            {MCP_SERVERS: json_copy(servers)}, {}))
    for dependent in sorted(snapshots):
        overrides = snapshots[dependent].get("manifest", {}).get("overrides", {})
        if isinstance(overrides, dict) and isinstance(overrides.get(name), dict):
            layers.append(Layer("dependents", f"{dependent}@{snapshots[dependent].get('version')} package.yaml",
                                overrides[name], {}))
    overlay = (snapshot.get("tiers", {}).get(tier) or {}).get("config") if tier else None
    if overlay:
        entry = snapshot.get("manifest", {}).get("tiers", {}).get(tier)
        path = entry if isinstance(entry, str) else (entry or {}).get("config", f"tier {tier}")
        source = f"{name}@{snapshot.get('version')} {path}"
        data, lines = load_yaml(overlay, source=source)
        layers.append(Layer(f"tier:{tier}", source, data or {}, lines))
    if local is not None and local.config:
        layers.append(Layer("local", local.source, local.config, _subtree_lines(local_lines, ("config",))))
    if set_config.get(name):
        layers.append(Layer("set", f"{WORKSPACE_MANIFEST} (config.{name}, from --set)", set_config[name], {}))
    return layers


def config_files(name: str, effective: Mapping) -> dict[str, str]:
    """{workspace path: YAML text} for each top-level entry of ``name``'s effective configuration."""
    return {f"config/{name}/{key}.yaml": render_yaml(value) for key, value in effective.items()}
