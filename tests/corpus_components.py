"""Target components made from real files of the shared corpus (see conftest.CORPUS).

A file kind's component carries the file's bytes; a skill's carries every file of its folder. The
component name is the file stem without the tool suffixes (``x.agent.md`` -> ``x``) or the skill's
folder name; ``source`` is the path inside the package root, as the targets expect.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.targets import Component

_SUFFIXES = (".agent.md", ".prompt.md", ".instructions.md", ".md", ".mdc")


def load(text: str):
    """The YAML loader the targets get (``Context.load``): the project's own safe loader."""
    return load_yaml(text, source="frontmatter")[0]


def stem(path: Path) -> str:
    """A component file's name without its tool suffix."""
    name = path.name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def skill_component(package: str, folder: Path, root: Path) -> Component:
    """The skill in ``folder`` (every regular file, symlinks left out), its source relative to ``root``."""
    files = tuple(sorted((p.relative_to(folder).as_posix(), p.read_bytes())
                         for p in folder.rglob("*") if p.is_file() and not p.is_symlink()))
    return Component(package, "skills", folder.name, files=files, source=folder.relative_to(root).as_posix())


def file_components(package: str, kind: str, paths: Iterable[Path], root: Path) -> list[Component]:
    """One component of ``kind`` per file of ``paths`` (sorted), sources relative to ``root``."""
    return [Component(package, kind, stem(p), p.read_bytes(), source=p.relative_to(root).as_posix())
            for p in sorted(paths)]
