"""``agentops package init``: scaffold a new domain package in a directory.

The scaffold is the seed's package layout (agents/, workflows/, patterns/, config/, docs/,
validations/, README.md, package.yaml) with one small, working example of each component, so that
``agentops package build`` succeeds on it straight away and an author can learn the format by editing
real files. The files live under ``agentpack/templates/init/`` and carry a ``{{name}}`` placeholder
that is filled in with plain string replacement.
"""

from __future__ import annotations

import os
from pathlib import Path

from agentpack.core.names import validate_name
from agentpack.core.records import dataclass
from agentpack.errors import WorkspaceError

_TEMPLATE_PACKAGE = "agentpack"
_TEMPLATE_DIR = ("templates", "init")
_PLACEHOLDER = "{{name}}"


@dataclass(frozen=True)
class InitResult:
    """What ``init_package`` did: the package folder, the package name and the files it wrote."""

    directory: str  # absolute path of the package folder
    name: str
    created: list[str]  # relative paths (forward slashes) of the files written, sorted


def init_package(directory: str, name: str | None = None) -> InitResult:
    """Scaffold a new package in ``directory`` (created if missing) and return what was written.

    ``name`` defaults to the directory's basename and must be a valid package name (lowercase
    kebab-case, at most 64 characters, optionally one ``team/`` namespace), else ``InvalidName`` is
    raised before anything is touched. The scaffold never overwrites: if any file it would write (or
    a folder it needs) already exists as something else, ``WorkspaceError`` lists the clashes and
    nothing is written. If writing fails part-way, the files already written are removed again.
    """
    root = Path(os.path.abspath(directory))
    package_name = name if name is not None else root.name
    validate_name(package_name)

    templates = _load_templates()
    clashes = _find_clashes(root, templates)
    if clashes:
        listed = ", ".join(clashes)
        raise WorkspaceError(
            f"cannot initialise a package in {root}: these paths already exist: {listed}",
            path=str(root),
            hint="choose an empty directory (or a new one) for the package",
        )

    created = _write_all(root, templates, package_name)
    return InitResult(directory=str(root), name=package_name, created=sorted(created))


def _load_templates() -> dict[str, str]:
    """Every template file under ``templates/init/``, keyed by its relative path."""
    from importlib.resources import files

    base = files(_TEMPLATE_PACKAGE).joinpath(*_TEMPLATE_DIR)
    found: dict[str, str] = {}
    pending = [(base, "")]
    while pending:
        node, prefix = pending.pop()
        for child in node.iterdir():
            if child.name.startswith(".") or child.name == "__pycache__":
                continue
            relative = f"{prefix}{child.name}"
            if child.is_dir():
                pending.append((child, relative + "/"))
            else:
                found[relative] = child.read_text(encoding="utf-8")
    return found


def _find_clashes(root: Path, templates: dict[str, str]) -> list[str]:
    """Paths that stop the scaffold: target files that exist, or folders that are files."""
    if root.exists() and not root.is_dir():
        return [str(root)]
    clashes: set[str] = set()
    for relative in templates:
        target = root / relative
        if target.exists() or target.is_symlink():
            clashes.add(relative)
        parts = relative.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            candidate = root / folder
            if candidate.is_symlink() or (candidate.exists() and not candidate.is_dir()):
                clashes.add(folder)
    return sorted(clashes)


def _write_all(root: Path, templates: dict[str, str], name: str) -> list[str]:
    from agentpack.adapters.paths import make_dirs

    written: list[Path] = []
    try:
        for relative, text in sorted(templates.items()):
            target = root / relative
            make_dirs(str(root), str(target.parent))  # never into a folder through a link
            with open(target, "xb") as handle:  # "x": never replace a file created meanwhile
                written.append(target)
                handle.write(text.replace(_PLACEHOLDER, name).encode("utf-8"))
    except OSError as exc:
        for path in written:
            try:
                path.unlink()
            except OSError:
                pass
        raise WorkspaceError(
            f"could not write the package scaffold: {exc}",
            path=str(root),
            hint="check that the directory is writable and try again",
        ) from exc
    return list(templates)
