"""A package's own quality gates applied to itself, as `validate`, `build` and `publish` do.

The components are the files the manifest lists as agents, workflows, patterns, commands, rules and
config, plus the Markdown files of its skill folders (``skills/<skill>/SKILL.md``, ...), keyed
by the path they will have relative to the package once installed (``core.layout.package_path``
of their install path), so a rule selects the same files here as `agentops check` selects in a
workspace. Problems are reported under the paths written in package.yaml.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from agentpack.core.components import skill_files, skill_name
from agentpack.core.gates import ANY_AGENT, evaluate, load_rules
from agentpack.core.layout import install_path, package_path
from agentpack.core.manifest import Manifest
from agentpack.core.type_names import Any
from agentpack.errors import Problem

GATED_KINDS = ("agents", "workflows", "patterns", "commands", "rules", "skills", "config")
# A skill folder may hold scripts and binary assets; gates read its Markdown (SKILL.md, references).
GATED_SKILL_SUFFIXES = (".md",)
RULE_FILE_SUFFIXES = (".yaml", ".yml")


def check_own_gates(
    manifest: Manifest, files: Mapping[str, bytes], load_yaml: Callable[..., tuple[Any, dict[tuple, int]]]
) -> list[Problem]:
    """Run the gates in the package's listed ``validations:`` YAML files against its components.

    ``files`` is the whole package as ``{relative POSIX path: content}``. Returns the violations
    (severity as each rule says) and the problems of the gates files themselves (``invalid-gates``
    errors). Listed files that are missing are skipped here: they are reported as ``missing-file``
    elsewhere. Steps naming an agent of a declared dependency cannot be checked without that
    package and are accepted; a step naming any other package is a violation. Never raises.
    """
    rules, problems = [], []
    for rel in manifest.validations:
        if rel in files and rel.lower().endswith(RULE_FILE_SUFFIXES):
            found, bad = load_rules(files[rel], load_yaml, source=rel)
            rules += found
            problems += bad
    if not rules:
        return problems
    components, locations = package_components(manifest, files)
    dependencies = set(manifest.dependencies)

    def agents(name: str) -> Collection[str] | None:
        return ANY_AGENT if name in dependencies else None

    return problems + evaluate(rules, components, load_yaml, package=manifest.name, agents=agents,
                               locations=locations)


def package_components(manifest: Manifest, files: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, str]]:
    """``({installed-relative path: content}, {installed-relative path: path in the package})`` for
    the listed agents, workflows, patterns, commands, rules and config files present in ``files``,
    and the Markdown of each skill (under ``skills/<skill name>/``)."""
    components: dict[str, bytes] = {}
    locations: dict[str, str] = {}
    listed = [(kind, rel) for kind in GATED_KINDS if kind not in ("skills", "config") for rel in getattr(manifest, kind)]
    listed += [("config", rel) for rel in manifest.config.values()]
    for folder in manifest.skills:
        for rel in skill_files(folder, files):
            if rel.lower().endswith(GATED_SKILL_SUFFIXES):
                components[f"skills/{skill_name(folder)}/{rel[len(folder) + 1:]}"] = files[rel]
                locations[f"skills/{skill_name(folder)}/{rel[len(folder) + 1:]}"] = rel
    for kind, rel in listed:
        if rel not in files:
            continue
        mapped = package_path(manifest.name, install_path(manifest.name, kind, rel))
        key = mapped[1] if mapped else rel
        components[key] = files[rel]
        locations[key] = rel
    return components, locations
