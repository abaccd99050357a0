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
    skills:
      custom_skills: [local/skills/refunds]   # a folder holding a SKILL.md
      disabled: [skills/legacy-triage]        # a package's skill, by its folder
    commands:
      custom_commands: [local/commands/deploy.md]
    rules:
      disabled: [rules/style.md]

Component paths under ``disabled`` are the package's own paths (as its package.yaml lists them);
custom paths are relative to the workspace. A section left empty (``workflows:`` with nothing under
it) means nothing. Anything else is an error naming the file and line.

Each top-level key of ``config:`` names one of the package's config files, so that a typo never
turns into a new file that overrides nothing. A key that is not a config name but a top-level key
of exactly one config file applies inside that file (the seed's ``escalation_threshold: $500``);
see ``place_local_config``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from agentpack.core.names import did_you_mean
from agentpack.errors import Problem

KINDS = ("agents", "workflows", "patterns", "skills", "commands", "rules")


class LocalOverrides:
    """The parsed content of one local overrides file."""

    __slots__ = ("config", "custom", "disabled", "source", "moved")

    def __init__(self, source: str, config: dict, custom: dict[str, tuple[str, ...]],
                 disabled: dict[str, tuple[str, ...]]) -> None:
        self.source = source
        self.config = config
        self.custom = custom
        self.disabled = disabled
        self.moved: dict[str, str] = {}  # config keys placed inside a config file: {key: config name}

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
        error("not-a-mapping", f"a local overrides file must be a mapping with config/{'/'.join(KINDS)}", ())
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
        if value is None:
            continue  # a section left empty means nothing
        if not isinstance(value, dict):
            error("invalid-field", f"`{key}` must be a mapping with custom_{key} and/or disabled", (key,))
            continue
        for sub, paths in value.items():
            where = (key, sub)
            if sub not in (f"custom_{key}", "disabled"):
                error("unknown-key", f"unknown key {key}.{sub} (expected custom_{key} or disabled)", where)
                continue
            if paths is None:
                continue  # an empty list, written as nothing
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


def missing_custom_files(local: LocalOverrides, lines: Mapping[tuple, int], exists: Callable[[str], bool]
                         ) -> list[Problem]:
    """An error for each custom component the local file lists that ``exists`` says is not there.

    Each names the local file and the line of the entry, and the missing workspace path.
    """
    problems = []
    for kind, paths in local.custom.items():
        for index, path in enumerate(paths):
            if not exists(path):
                where = (kind, f"custom_{kind}", index)
                problems.append(Problem("error", "missing-file", f"{kind}.custom_{kind}: {path} does not exist",
                                        path=local.source, line=lines.get(where) or lines.get(where[:2]),
                                        field=".".join(map(str, where))))
    return problems


def place_local_config(config: Mapping, lines: Mapping[tuple, int], package_config: Mapping[str, object], *,
                       source: str) -> tuple[dict, dict[tuple, int], dict[str, str], list[Problem]]:
    """Put each top-level key of a local file's ``config:`` in the config file it is meant for.

    ``package_config`` is the package's own configuration, ``{config name: content}``; ``lines``
    maps key paths of the local file (``("config", ...)``) to lines. A key that is a config name
    stays as it is. A key that is a top-level key of exactly one config file's content moves under
    that config name (``escalation_threshold`` -> ``escalation_thresholds.escalation_threshold``).
    Any other key is an error listing the candidates: never a new config file. Returns the placed
    tree, the line map with moved paths renamed, ``{moved key: config name}`` and the problems.
    """
    placed: dict = {}
    moved: dict[str, str] = {}
    problems: list[Problem] = []
    holders: dict[object, list[str]] = {}
    for name, content in package_config.items():
        for key in content if isinstance(content, dict) else ():
            holders.setdefault(key, []).append(name)
    for key, value in config.items():
        if key in package_config:
            target = (key,)
        elif len(holders.get(key, ())) == 1:
            moved[key] = holders[key][0]
            target = (moved[key], key)
        else:
            problems.append(_misplaced(key, holders.get(key, []), package_config, holders, source,
                                       lines.get(("config", key))))
            continue
        node = placed
        for part in target[:-1]:
            node = node.setdefault(part, {})
        node[target[-1]] = value
    placed_lines = dict(lines)
    for key, name in moved.items():
        for path, line in lines.items():
            if path[:2] == ("config", key):
                placed_lines[("config", name, *path[1:])] = line
    return placed, placed_lines, moved, problems


def _misplaced(key, holders: list[str], package_config: Mapping, all_keys: Mapping, source: str,
               line: int | None) -> Problem:
    names = ", ".join(map(str, package_config)) or "none"
    if holders:
        where = " or ".join(f"config.{name}.{key}" for name in holders)
        message = (f"config.{key} is not one of the package's config names, and several config files "
                   f"have a key {key!r}: write it as {where}")
    else:
        message = (f"config.{key} is not one of the package's config names ({names}) nor a key of any "
                   f"of its config files; it would override nothing{did_you_mean(key, [*package_config, *all_keys])}")
    return Problem("error", "unknown-config", message, path=source, line=line, field=f"config.{key}")
