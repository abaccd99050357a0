"""Validation of a whole package: its manifest, plus the files it lists, holds and documents.

Works on ``{relative POSIX path: content}`` so that one function checks a source folder and the
content of an archive alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from agentpack.core.component_checks import component_problems
from agentpack.core.components import SKILL_FILE, SKILLS, skill_files
from agentpack.core.frontmatter import MARKDOWN_SUFFIXES, check_markdown
from agentpack.core.manifest import (
    COMPONENT_KINDS,
    MANIFEST_FILE,
    Manifest,
    check_manifest,
    describe_key_path,
    finish_problems,
    key_problem,
    normalize_path,
    path_entries,
)
from agentpack.core.type_names import Any
from agentpack.errors import Problem, YamlError

FRONTMATTER_KINDS = ("agents", "workflows", "patterns", "commands", "rules")
CONTENT_DIRS = (*COMPONENT_KINDS, "config")
GETTING_STARTED_KEY = "getting_started"
GETTING_STARTED_FILE = "docs/getting-started.md"


def check_package(
    files: Mapping[str, bytes],
    schema: dict,
    load_yaml: Callable[..., tuple[Any, dict[tuple, int]]],
    *,
    strict: bool = False,
    warnings: bool = True,
) -> tuple[Manifest | None, list[Problem]]:
    """Validate a whole package given as ``{relative POSIX path: content}`` and report every problem.

    ``load_yaml(text, source=...)`` must behave like ``adapters.yamlio.load_yaml``. On top of
    ``check_manifest`` this reports: no package.yaml (``missing-manifest``) or one that does not
    parse (``invalid-yaml``); listed files that are not in the package (``missing-file``, error);
    files in agents/, workflows/, patterns/, validations/ or config/ that the manifest does not list
    (``unlisted-file``, warning); no README.md or no getting-started guide (``incomplete-docs``,
    warning); agent, workflow and pattern Markdown whose frontmatter is not a YAML mapping
    (``bad-frontmatter``) or that is not UTF-8 (``not-utf8``), both warnings. ``strict`` turns every
    warning into an error. Without ``warnings`` (and without ``strict``) the frontmatter checks,
    which can only warn, are skipped: for callers that only decide whether the package passes.
    Problems are sorted by path, line and code. Never raises for bad content.
    """
    problems: list[Problem] = []
    manifest = None
    data: Any = None
    raw = files.get(MANIFEST_FILE)
    if raw is None:
        message = f"the package has no {MANIFEST_FILE} at its top level"
        near = sorted(p for p in files if p.rsplit("/", 1)[-1] in (MANIFEST_FILE, "package.yml"))
        if near:
            message += f" (found {near[0]}; the manifest must be named {MANIFEST_FILE} and sit at the top)"
        problems.append(Problem("error", "missing-manifest", message, path=MANIFEST_FILE))
    else:
        try:
            data, lines = load_yaml(raw, source=MANIFEST_FILE)
        except YamlError as exc:
            problems.append(Problem("error", "invalid-yaml", exc.message, path=MANIFEST_FILE, line=exc.line))
        else:
            manifest, found = check_manifest(data, lines, schema, source=MANIFEST_FILE, files=list(files))
            problems += found
            if isinstance(data, dict):
                problems += component_problems(data, lines, list(files), manifest, MANIFEST_FILE)
                problems += _file_problems(data, lines, files)
                problems += _docs_problems(data, files)
    if warnings or strict:
        problems += _markdown_problems(data if isinstance(data, dict) else {}, files, load_yaml)
    return manifest, finish_problems(problems, strict)


def _file_problems(data: dict, lines: dict[tuple, int], files: Mapping[str, bytes]) -> list[Problem]:
    """Listed files that are missing, and content files that are not listed."""
    problems = []
    by_lowercase = {path.lower(): path for path in files}
    listed = set()
    for entry_path, raw, line in path_entries(data, lines, files):
        normalized, reason = normalize_path(raw)
        if reason is not None:
            continue  # reported as unsafe-path
        listed.add(normalized)
        if entry_path[0] == SKILLS:
            listed.update(skill_files(normalized, files))
            problem = _skill_problem(describe_key_path(entry_path), raw, normalized, files)
            if problem:
                problems.append(key_problem("error", problem[0], problem[1], MANIFEST_FILE, line, entry_path))
            continue
        if normalized in files:
            continue
        where = describe_key_path(entry_path)
        if any(path.startswith(normalized + "/") for path in files):
            message = f"{where}: {raw!r} is a folder; list the files in it one by one"
        elif normalized.lower() in by_lowercase:
            actual = by_lowercase[normalized.lower()]
            message = f"{where}: {raw!r} is not in the package (paths are case-sensitive; found {actual!r})"
        else:
            message = f"{where}: {raw!r} is listed but not in the package"
        problems.append(key_problem("error", "missing-file", message, MANIFEST_FILE, line, entry_path))
    tier_listed, tier_problems = _tier_problems(data, lines, files, listed)
    problems += tier_problems
    listed |= tier_listed
    for path in files:
        top, _, rest = path.partition("/")
        if (
            top in CONTENT_DIRS
            and rest
            and path not in listed
            and not rest.rsplit("/", 1)[-1].startswith(".")
        ):
            message = f"{path} is not listed under '{top}' in {MANIFEST_FILE}, so it will not be installed"
            problems.append(Problem("warning", "unlisted-file", message, path=path))
    return problems


def _skill_problem(where: str, raw: str, folder: str, files: Mapping[str, bytes]) -> tuple[str, str] | None:
    """``(code, message)`` when the skill entry ``folder`` is not a folder holding a SKILL.md."""
    if f"{folder}/{SKILL_FILE}" in files:
        return None
    if folder in files:
        parent = folder.rpartition("/")[0]
        hint = f"list its folder {parent!r}" if folder.endswith("/" + SKILL_FILE) and parent else \
            "a skill is a folder holding a SKILL.md"
        return "not-a-skill", f"{where}: {raw!r} is a file; {hint}"
    if skill_files(folder, files):
        return "missing-skill-file", f"{where}: the skill folder {raw!r} has no {SKILL_FILE}"
    return "missing-file", f"{where}: {raw!r} is listed but not in the package"


def _docs_problems(data: dict, files: Mapping[str, bytes]) -> list[Problem]:
    """The seed's "Documentation complete": a README.md and a getting-started guide."""
    missing = []
    if not any(path.lower() == "readme.md" for path in files):
        missing.append("a README.md at the top of the package")
    documentation = data.get("documentation")
    has_entry = isinstance(documentation, dict) and GETTING_STARTED_KEY in documentation
    if not has_entry and GETTING_STARTED_FILE not in files:
        missing.append(
            f"a getting-started guide ({GETTING_STARTED_FILE}, or a '{GETTING_STARTED_KEY}' entry under documentation)"
        )
    if not missing:
        return []
    message = "documentation is incomplete: add " + " and ".join(missing)
    return [Problem("warning", "incomplete-docs", message, path=MANIFEST_FILE, field="documentation")]


def _markdown_problems(
    data: dict, files: Mapping[str, bytes], load_yaml: Callable[..., Any]
) -> list[Problem]:
    """Frontmatter warnings for agent, workflow and pattern Markdown, listed or in their folders."""
    candidates = {path for path in files if path.partition("/")[0] in FRONTMATTER_KINDS}
    for (kind, _), raw, _ in path_entries(data, {}, files):
        normalized, reason = normalize_path(raw)
        if kind in FRONTMATTER_KINDS and reason is None and normalized in files:
            candidates.add(normalized)
    problems = []
    for path in sorted(candidates):
        if path.lower().endswith(MARKDOWN_SUFFIXES):
            problems += check_markdown(
                path, files[path], lambda text, path=path: load_yaml(text, source=path, build=False)[0]
            )
    return problems


def _tier_problems(data: dict, lines: dict[tuple, int], files: Mapping[str, bytes],
                   listed: set[str]) -> tuple[set[str], list[Problem]]:
    """Tier overlays must exist in the package; components a tier disables must be listed ones."""
    tiers = data.get("tiers")
    if not isinstance(tiers, dict):
        return set(), []
    overlays, problems = set(), []
    for tier, entry in tiers.items():
        path = ("tiers", tier)
        overlay = entry if isinstance(entry, str) else entry.get("config") if isinstance(entry, dict) else None
        if isinstance(overlay, str):
            normalized, reason = normalize_path(overlay)
            if reason is None and normalized in files:
                overlays.add(normalized)
            else:
                message = f"tiers.{tier}: overlay {overlay!r} {reason or 'is not in the package'}"
                problems.append(key_problem("error", "missing-file", message, MANIFEST_FILE,
                                            lines.get(path), path))
        disabled = entry.get("disabled") if isinstance(entry, dict) else None
        for i, raw in enumerate(disabled if isinstance(disabled, list) else []):
            normalized, reason = normalize_path(str(raw))
            if reason is not None or normalized not in listed:
                message = f"tiers.{tier}.disabled: {raw!r} is not a component this package lists"
                problems.append(key_problem("error", "unknown-component", message, MANIFEST_FILE,
                                            lines.get((*path, "disabled", i)) or lines.get(path), path))
    return overlays, problems
