"""Where a package's files land in a workspace.

A package's listed components are installed under one folder per kind, namespaced by the package
so that two packages never collide:

    agents/<pkg>/...        workflows/<pkg>/...     patterns/<pkg>/...
    validations/<pkg>/...   commands/<pkg>/...      rules/<pkg>/...
    skills/<pkg>/<skill>/...                        config/<pkg>/...
    docs/packages/<pkg>/...

A component path that already starts with its kind's folder keeps the rest of its path
(``agents/triage/inbox.md`` -> ``agents/<pkg>/triage/inbox.md``); any other path is kept whole
below the kind's folder. A skill is a folder: all of it is installed, byte for byte, under
``skills/<pkg>/<folder name>/`` (``skills/triage/references/x.md`` and
``plugins/a/skills/triage/references/x.md`` both land at ``skills/<pkg>/triage/references/x.md``).
Documentation (the ``documentation`` entries, everything under
``docs/`` and the package's README.md) goes to ``docs/packages/<pkg>/``.
"""

from __future__ import annotations

from collections.abc import Iterable

from agentpack.core.components import skill_files, skill_name
from agentpack.core.manifest import FILE_KINDS, Manifest
from agentpack.errors import ValidationError

DOCS_ROOT = "docs/packages"

# kind -> (folder in the package, folder in the workspace)
_KIND_FOLDERS = {
    "agents": ("agents", "agents"),
    "workflows": ("workflows", "workflows"),
    "patterns": ("patterns", "patterns"),
    "validations": ("validations", "validations"),
    "commands": ("commands", "commands"),
    "rules": ("rules", "rules"),
    "skills": ("skills", "skills"),
    "config": ("config", "config"),
    "docs": ("docs", DOCS_ROOT),
}


# The kinds whose files are copied from a package into the workspace (and so appear in the
# lockfile's `files`). config/<pkg>/ is not among them: it holds generated effective configuration.
COPIED_KINDS = ("agents", "workflows", "patterns", "validations", "commands", "rules", "skills", "docs")


def installed_roots(package: str) -> tuple[str, ...]:
    """The workspace folders (each ending in '/') that files copied from ``package`` may land in."""
    return tuple(f"{_KIND_FOLDERS[kind][1]}/{package}/" for kind in COPIED_KINDS)


def install_path(package: str, kind: str, relpath: str) -> str:
    """The workspace-relative POSIX path where file ``relpath`` of ``package`` is installed as ``kind``."""
    if kind == "skills":
        raise ValueError("skills are folders: use skill_install_path")
    source_folder, target_folder = _KIND_FOLDERS[kind]
    prefix = source_folder + "/"
    rest = relpath[len(prefix) :] if relpath.startswith(prefix) else relpath
    return f"{target_folder}/{package}/{rest}"


def skill_install_path(package: str, folder: str, relpath: str) -> str:
    """Where file ``relpath`` (inside the skill ``folder``) of ``package`` is installed."""
    return f"skills/{package}/{skill_name(folder)}/{relpath[len(folder) + 1:]}"


def package_path(package: str, installed: str) -> tuple[str, str] | None:
    """The inverse of ``install_path``: ``(kind, package-relative path)`` of a workspace path that
    ``package`` installed, or ``None`` when the path is not in one of its folders.

    Exact for files that sit in their kind's folder in the package (``agents/x.md``); a file listed
    from elsewhere (``prompts/x.md`` as an agent) comes back under its kind's folder
    (``agents/prompts/x.md``), which is where globs written for the installed layout expect it.
    """
    for kind, (source_folder, target_folder) in _KIND_FOLDERS.items():
        prefix = f"{target_folder}/{package}/"
        if installed.startswith(prefix) and len(installed) > len(prefix):
            return kind, f"{source_folder}/{installed[len(prefix):]}"
    return None


def installed_files(manifest: Manifest, archive_files: Iterable[str]) -> dict[str, str]:
    """Map every file the workspace receives from a package: {workspace path: path in the package}.

    Listed components are installed (every file of each skill folder), plus the documentation (listed docs, all of ``docs/`` and
    README.md). Configuration is not copied: install writes the package's *effective*
    configuration (all layers merged) to config/<package>/ instead. Other files of the archive
    (package.yaml, tier overlays) stay in the archive. The result is sorted by workspace path, so
    that plans and lockfiles are deterministic.
    """
    present = set(archive_files)
    mapping: dict[str, str] = {}
    for kind in FILE_KINDS:
        for rel in getattr(manifest, kind):
            mapping[install_path(manifest.name, kind, rel)] = rel
    for folder in manifest.skills:
        for rel in skill_files(folder, present) or [f"{folder}/SKILL.md"]:
            mapping[skill_install_path(manifest.name, folder, rel)] = rel
    docs = list(manifest.documentation.values())
    docs += [rel for rel in present if rel.startswith("docs/")]
    for rel in docs:
        mapping[install_path(manifest.name, "docs", rel)] = rel
    if "README.md" in present:
        mapping[f"{DOCS_ROOT}/{manifest.name}/README.md"] = "README.md"
    missing = sorted({rel for rel in mapping.values() if rel not in present})
    if missing:
        raise ValidationError(
            f"{manifest.name}@{manifest.version} lists files its archive does not contain: {', '.join(missing)}",
            hint="rebuild the package with `agentops package build` and publish it again",
        )
    return dict(sorted(mapping.items()))
