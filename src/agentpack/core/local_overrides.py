"""packages/<name>.local.yaml: a workspace's adaptations of one installed package, without forking it.

    config:                 # merged over the package's configuration (layer 4)
      escalation_threshold: $500
    agents:
      custom_agents:        # the workspace's own agents, listed with the package
        - local/agents/vip-customer-handler.md
      disabled:             # package components kept out of this workspace
        - agents/process-refund.md
    workflows:
      disabled: [workflows/proactive-outreach.md]
    patterns:
      custom_patterns: [...]

Component paths under ``disabled`` are the package's own paths (as its package.yaml lists them);
custom paths are relative to the workspace. Anything else is an error naming the file and line.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentpack.errors import Problem

KINDS = ("agents", "workflows", "patterns")


class LocalOverrides:
    """The parsed content of one local overrides file."""

    __slots__ = ("config", "custom", "disabled", "source")

    def __init__(self, source: str, config: dict, custom: dict[str, tuple[str, ...]],
                 disabled: dict[str, tuple[str, ...]]) -> None:
        self.source = source
        self.config = config
        self.custom = custom
        self.disabled = disabled

    def disabled_paths(self) -> set[str]:
        return {path for paths in self.disabled.values() for path in paths}


def parse_local_overrides(data, lines: dict, *, source: str, package_components: Iterable[str]
                          ) -> tuple[LocalOverrides, list[Problem]]:
    """Check a loaded local file against the package's component paths; return it and the problems.

    Errors: the file is not a mapping, an unknown key, a list that is not a list of paths, a
    disabled path the package does not have, an unsafe custom path.
    """
    problems: list[Problem] = []
    known_components = set(package_components)

    def error(code: str, message: str, path: tuple) -> None:
        line = next((lines[p] for p in (path, path[:-1], path[:1]) if p in lines), None)
        problems.append(Problem("error", code, message, path=source, line=line, field=".".join(map(str, path))))

    empty = LocalOverrides(source, {}, {}, {})
    if data is None:
        return empty, problems
    if not isinstance(data, dict):
        error("not-a-mapping", "a local overrides file must be a mapping with config/agents/workflows/patterns", ())
        return empty, problems
    config = data.get("config") or {}
    if not isinstance(config, dict):
        error("invalid-field", "`config` must be a mapping of configuration to merge", ("config",))
        config = {}
    custom: dict[str, tuple[str, ...]] = {}
    disabled: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        if key == "config":
            continue
        if key not in KINDS:
            error("unknown-key", f"unknown key {key!r} (expected config, {', '.join(KINDS)})", (key,))
            continue
        if not isinstance(value, dict):
            error("invalid-field", f"`{key}` must be a mapping with custom_{key} and/or disabled", (key,))
            continue
        for sub, paths in value.items():
            where = (key, sub)
            if sub not in (f"custom_{key}", "disabled"):
                error("unknown-key", f"unknown key {key}.{sub} (expected custom_{key} or disabled)", where)
                continue
            if not isinstance(paths, list) or not all(isinstance(p, str) and p for p in paths):
                error("invalid-field", f"{key}.{sub} must be a list of paths", where)
                continue
            for i, path in enumerate(paths):
                if path.startswith("/") or ".." in path.split("/") or "\\" in path:
                    error("unsafe-path", f"{key}.{sub}: {path!r} must be a relative path inside the workspace",
                          (*where, i))
                elif sub == "disabled" and path not in known_components:
                    error("unknown-component", f"{key}.disabled: the package has no component {path!r}",
                          (*where, i))
            target = custom if sub != "disabled" else disabled
            target[key] = tuple(paths)
    return LocalOverrides(source, config, custom, disabled), problems
