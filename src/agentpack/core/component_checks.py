"""Checks of component lists that need the package's files: globs, skill names, reserved names.

``core.manifest.check_manifest`` expands the globs; this reports what the expansion cannot show
(a glob that is malformed or matches nothing) and what only the expanded lists reveal (two skills
with one name). Pure: the caller passes the parsed package.yaml, its line map and the package's
paths.
"""

from __future__ import annotations

from collections.abc import Collection

from agentpack.core.components import SKILL_FILE, SKILLS, expand_glob, is_glob, skill_files, skill_name
from agentpack.core.globs import glob_problem
from agentpack.core.manifest import (
    COMPONENT_KINDS,
    MCP_SERVERS,
    Manifest,
    describe_key_path,
    key_problem,
    line_of,
    normalize_path,
)
from agentpack.errors import Problem


def component_problems(
    data: dict, lines: dict[tuple, int], files: Collection[str], manifest: Manifest | None, source: str
) -> list[Problem]:
    """Every problem of this module's checks, for package.yaml ``data`` (see the functions below)."""
    problems = glob_entry_problems(data, lines, files, source)
    if manifest is not None:
        problems += skill_as_documentation(manifest, lines, files, source)
        problems += skill_name_problems(manifest.skills, data, lines, source)
        if MCP_SERVERS in manifest.config:  # the effective mcp_servers is written under that config name
            message = f"config.{MCP_SERVERS}: the name is reserved for the package's mcp_servers; rename it"
            problems.append(key_problem("error", "reserved-config-name", message, source,
                                        line_of(lines, ("config", MCP_SERVERS)), ("config", MCP_SERVERS)))
    return problems


def glob_entry_problems(
    data: dict, lines: dict[tuple, int], files: Collection[str] | None, source: str
) -> list[Problem]:
    """Globs in component lists that are malformed (``invalid-glob``) or match nothing
    (``empty-glob``), each naming its field. Nothing is checked without ``files``."""
    if files is None:
        return []
    problems = []
    for kind in COMPONENT_KINDS:
        entries = data.get(kind)
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if not isinstance(entry, str) or not is_glob(entry):
                continue
            path, line = (kind, index), line_of(lines, (kind, index))
            where = describe_key_path(path)
            reason = glob_problem(entry)
            if reason is not None:
                problems.append(key_problem("error", "invalid-glob", f"{where}: the glob {entry!r} {reason}",
                                            source, line, path))
            elif not expand_glob(kind, entry, files):
                what = "folder holding a SKILL.md" if kind == SKILLS else "file"
                message = f"{where}: the glob {entry!r} matches no {what} in the package"
                problems.append(key_problem("error", "empty-glob", message, source, line, path))
    return problems


def skill_name_problems(folders: Collection[str], data: dict, lines: dict[tuple, int], source: str) -> list[Problem]:
    """Skills install as skills/<package>/<folder name>/, so two skills may not share a name."""
    problems, first = [], {}
    for folder in folders:
        name = skill_name(folder)
        if name in first and first[name] != folder:
            index = next((i for i, e in enumerate(data.get(SKILLS) or []) if isinstance(e, str)
                          and normalize_path(e)[0] == folder), 0)
            message = (f"skills: {folder!r} and {first[name]!r} are both named {name!r}; skills install "
                       f"side by side under skills/<package>/<name>/, so rename one folder")
            problems.append(key_problem("error", "duplicate-skill", message, source,
                                        line_of(lines, (SKILLS, index)), (SKILLS, index)))
        first.setdefault(name, folder)
    return problems


def skill_as_documentation(manifest: Manifest, lines: dict[tuple, int], files: Collection[str],
                           source: str) -> list[Problem]:
    """A warning (``skill-as-documentation``) for a SKILL.md listed under ``documentation``: it is
    installed as a page under docs/, while the rest of its folder (references, scripts) is not."""
    problems = []
    for key, path in manifest.documentation.items():
        folder, _, name = path.rpartition("/")
        if name != SKILL_FILE or folder in manifest.skills:
            continue
        others = len(skill_files(folder, files)) - 1 if folder else 0
        message = (f"documentation.{key}: {path!r} is a skill; it installs as a page under docs/"
                   + (f" without the {others} other file(s) of its folder" if others > 0 else "")
                   + f"; list the folder under skills: ('{folder or '.'}') to install the whole skill")
        problems.append(key_problem("warning", "skill-as-documentation", message, source,
                                    line_of(lines, ("documentation", key)), ("documentation", key)))
    return problems
