"""Component lists as an author writes them: globs, skill folders, and their expansion.

Every component list of package.yaml (``agents``, ``workflows``, ``patterns``, ``validations``,
``commands``, ``rules`` and ``skills``) may mix plain paths and globs (``agents/*.md``, see
``core.globs``). A glob is expanded against the package's own files and its matches are sorted in
code-point order, so the same files always give the same list: the archive, the registry record and
the lock stay exact. A glob that matches nothing is an error naming the field, since it almost
always means a typo or a moved folder.

``skills`` lists folders, each holding a ``SKILL.md`` (the Agent Skills format). A glob in
``skills`` matches the folders that hold a SKILL.md (``skills/*``). The whole folder is the
component: every file under it travels, byte for byte, whatever it is (references, scripts,
assets; binary files included).

This module is pure: callers pass the package's paths.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from agentpack.core.globs import glob_matches

SKILL_FILE = "SKILL.md"
SKILLS = "skills"
_GLOB_CHARS = frozenset("*?[")


def is_glob(entry: str) -> bool:
    """True when a component entry is a glob (holds ``*``, ``?`` or ``[``) rather than a path."""
    return not _GLOB_CHARS.isdisjoint(entry)


def skill_folders(paths: Iterable[str]) -> list[str]:
    """The folders among ``paths`` that hold a ``SKILL.md``, sorted (``""`` is the package root)."""
    found = {path[: -len(SKILL_FILE)].rstrip("/") for path in paths
             if path == SKILL_FILE or path.endswith("/" + SKILL_FILE)}
    return sorted(found)


def expand_glob(kind: str, pattern: str, paths: Collection[str]) -> list[str]:
    """The sorted paths of the package that ``pattern`` matches in component list ``kind``.

    For ``skills`` the candidates are the folders that hold a SKILL.md; for every other kind, the
    package's files (package.yaml itself is never a component). Empty when nothing matches.
    """
    candidates = skill_folders(paths) if kind == SKILLS else [p for p in paths if p != "package.yaml"]
    return sorted(path for path in candidates if path and glob_matches(pattern, path))


def skill_files(folder: str, paths: Iterable[str]) -> list[str]:
    """Every path under the skill ``folder`` (the folder's whole content), sorted."""
    prefix = folder + "/"
    return sorted(path for path in paths if path.startswith(prefix))


def skill_name(folder: str) -> str:
    """The name a skill installs under: its folder's last segment (``skills/triage`` -> ``triage``)."""
    return folder.rstrip("/").rsplit("/", 1)[-1]


def expand_lists(data: dict, paths: Collection[str], kinds: Iterable[str]) -> dict | None:
    """A copy of parsed package.yaml ``data`` whose component lists (``kinds``) hold no globs.

    Each glob entry is replaced, in place, by its sorted matches; a match already listed earlier
    in the same list is not repeated. Returns ``None`` when no list holds a glob (nothing to
    rewrite). Field order and every other value are kept.
    """
    if not any(isinstance(entries, list) and any(isinstance(e, str) and is_glob(e) for e in entries)
               for entries in (data.get(kind) for kind in kinds)):
        return None
    result = dict(data)
    for kind in kinds:
        entries = data.get(kind)
        if not isinstance(entries, list):
            continue
        expanded: list = []
        for entry in entries:
            matches = expand_glob(kind, entry, paths) if isinstance(entry, str) and is_glob(entry) else [entry]
            expanded += [match for match in matches if match not in expanded or match is entry]
        result[kind] = expanded
    return result
