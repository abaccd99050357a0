"""``agentops check``: run every installed package's quality gates against the workspace.

For each package in agentops.lock, the rules come from its installed ``validations/<pkg>/`` YAML
files and apply to what the workspace holds for that package, as it is now (local edits
included): what it installed under ``agents/<pkg>/``, ``workflows/<pkg>/``, ``patterns/<pkg>/``,
``commands/<pkg>/``, ``rules/<pkg>/`` and (their Markdown) ``skills/<pkg>/``,
its effective configuration under ``config/<pkg>/``, and the custom components that
``packages/<pkg>.local.yaml`` adds to it. Each workspace path is mapped back to its path inside
the package (``core.layout.package_path``) so rules written as ``agents/*.md`` select the same
files here as when the package validated itself; violations are reported under the workspace
path. Read-only: no lock is taken and nothing is written.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

from agentpack.core.filenames import LOCAL_OVERRIDES_DIR
from agentpack.core.gate_checks import FileView
from agentpack.core.gates import agent_names, evaluate, load_rules, rule_id_of
from agentpack.core.layout import install_path, package_path
from agentpack.core.package_gates import GATED_KINDS, GATED_SKILL_SUFFIXES, RULE_FILE_SUFFIXES
from agentpack.core.records import dataclass, field
from agentpack.errors import Problem, WorkspaceError, YamlError
from agentpack.services.workspace import Workspace, open_workspace


@dataclass(frozen=True)
class Violation:
    """One broken rule (or one unusable gates file, with ``rule`` None) at a workspace file and line."""

    package: str
    file: str
    line: int | None
    rule: str | None
    severity: str
    message: str
    check: str | None = None  # the check kind that failed (require_sections, ...)

    @classmethod
    def from_problem(cls, package: str, problem: Problem) -> Violation:
        """The violation for a gate problem (or a gates-file problem) of ``package``; the message
        loses its ``[rule]`` prefix, which ``rule`` carries."""
        rule = rule_id_of(problem)
        prefix = f"[{rule}] "
        message = problem.message[len(prefix):] if rule and problem.message.startswith(prefix) else problem.message
        return cls(package=package, file=problem.path or "", line=problem.line, rule=rule,
                   severity=problem.severity, message=message, check=problem.field if rule else None)

    @property
    def is_error(self) -> bool:
        """True for an error-level violation, which makes `agentops check` exit 1."""
        return self.severity == "error"

    def to_dict(self) -> dict:
        """A JSON-ready dict: package, file, line, rule, check, severity, message."""
        return {"package": self.package, "file": self.file, "line": self.line, "rule": self.rule,
                "check": self.check, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class CheckResult:
    """Every violation found, sorted by file and line, and the packages whose gates ran."""

    root: str
    packages: list[str]
    violations: list[Violation] = field(default_factory=list)

    @property
    def errors(self) -> int:
        """How many error-level violations were found."""
        return sum(1 for v in self.violations if v.is_error)

    @property
    def warnings(self) -> int:
        """How many warning-level violations were found."""
        return sum(1 for v in self.violations if not v.is_error)

    def to_dict(self) -> dict:
        """``{"violations": [...], "errors": n, "warnings": n, "packages": [...]}`` for ``--json``."""
        return {"violations": [v.to_dict() for v in self.violations], "errors": self.errors,
                "warnings": self.warnings, "packages": list(self.packages)}


def check_workspace(
    directory: str | None, *, custom_components: Mapping[str, Mapping[str, str]] | None = None
) -> CheckResult:
    """Apply the gates of every package installed in the workspace at ``directory`` (or found from
    the current directory) and return every violation.

    ``custom_components`` lists the workspace's own components per package:
    ``{package: {path as if inside the package (agents/x.md): workspace path}}``; each is read and
    checked with that package's installed components, under its workspace path. When it is
    ``None`` they come from the ``custom_*`` lists of each ``packages/<name>.local.yaml`` (a local
    file that cannot be read is reported as error-level violations). Installed files that were
    deleted are skipped. A gates file that cannot be used is reported as error-level violations
    (rule ``None``). Raises ``WorkspaceError`` only for an unreadable workspace or lock.
    """
    from agentpack.adapters.yamlio import load_yaml

    ws = open_workspace(directory)
    lock = ws.load_lock()
    snapshots = {name: _snapshot(ws, name) for name in sorted(lock.packages)}
    violations: list[Violation] = []
    if custom_components is None:
        custom_components, violations = local_custom_components(ws, snapshots)
    gathered = {name: _gather(ws, name, lock.packages[name].files, snapshots[name],
                              custom_components.get(name, {})) for name in snapshots}
    names: dict[str, Collection[str]] = {
        name: agent_names(FileView(path, content, load_yaml) for path, content in components.items())
        for name, (components, _, _) in gathered.items()
    }
    for name, (components, locations, rule_files) in gathered.items():
        rules = []
        for path, content in rule_files.items():
            found, problems = load_rules(content, load_yaml, source=path)
            rules += found
            violations += [Violation.from_problem(name, p) for p in problems]
        if rules:
            problems = evaluate(rules, components, load_yaml, package=name, agents=names, locations=locations)
            violations += [Violation.from_problem(name, p) for p in problems]
    violations.sort(key=lambda v: (v.file, v.line or 0, v.rule or "", v.message))
    return CheckResult(root=ws.root, packages=sorted(gathered), violations=violations)


def local_custom_components(
    ws: Workspace, snapshots: Mapping[str, dict]
) -> tuple[dict[str, dict[str, str]], list[Violation]]:
    """The custom components each installed package's ``packages/<name>.local.yaml`` lists, as
    ``{package: {kind/file name: workspace path}}``, and violations for local files that are not
    valid. A custom agent ``local/agents/vip.md`` is checked as the package's ``agents/vip.md``.
    """
    from agentpack.adapters.yamlio import load_yaml
    from agentpack.core.local_overrides import (
        KINDS,
        missing_custom_files,
        parse_local_overrides,
        place_local_config,
    )
    from agentpack.services.configuration import package_config

    found: dict[str, dict[str, str]] = {}
    violations: list[Violation] = []
    for name, snapshot in snapshots.items():
        source = f"{LOCAL_OVERRIDES_DIR}/{name}.local.yaml"
        text = ws.read_text(source)
        if text is None:
            continue
        manifest = snapshot.get("manifest") or {}
        listed = [path for kind in KINDS for path in manifest.get(kind) or ()]
        try:
            data, lines = load_yaml(text, source=source)
        except YamlError as exc:
            violations.append(Violation(name, source, exc.line, None, "error", exc.message))
            continue
        local, problems = parse_local_overrides(data, lines, source=source, package_components=listed)
        problems += missing_custom_files(local, lines, lambda path: os.path.isfile(ws.path(path)))
        if local.config and "config" in snapshot:  # a snapshot that cannot be read proves nothing
            problems += place_local_config(local.config, lines, package_config(name, snapshot), source=source)[3]
        violations += [Violation.from_problem(name, p) for p in problems]
        for kind, paths in local.custom.items():
            for path in paths:
                found.setdefault(name, {})[f"{kind}/{path.rsplit('/', 1)[-1]}"] = path
    return found, violations


def _gather(
    ws: Workspace, package: str, installed: Mapping[str, str], snapshot: Mapping, custom: Mapping[str, str]
) -> tuple[dict[str, bytes], dict[str, str], dict[str, bytes]]:
    """(components by package-relative path, their workspace paths, gates files by workspace path)."""
    components: dict[str, bytes] = {}
    locations: dict[str, str] = {}
    rule_files: dict[str, bytes] = {}

    def add(relative: str, path: str) -> None:
        content = _read(ws, path)
        if content is not None:
            components[relative] = content
            locations[relative] = path

    for path in sorted(installed):
        mapped = package_path(package, path)
        if mapped is None:
            continue
        kind, relative = mapped
        if kind == "validations" and path.lower().endswith(RULE_FILE_SUFFIXES):
            content = _read(ws, path)
            if content is not None:
                rule_files[path] = content
        elif kind == "skills" and not path.lower().endswith(GATED_SKILL_SUFFIXES):
            continue  # scripts and assets of a skill are not gated
        elif kind in GATED_KINDS:
            add(relative, path)
    for relative, path in _effective_config(package, snapshot).items():
        add(relative, path)
    for relative, path in sorted(custom.items()):
        # A custom file named like one of the package's keeps its whole path, below its kind's folder.
        kind = relative.split("/", 1)[0]
        add(relative if relative not in components else f"{kind}/{path}", path)
    return components, locations, rule_files


def _snapshot(ws: Workspace, package: str) -> dict:
    """What install recorded of ``package`` (its manifest, ...); empty when absent or unreadable."""
    from agentpack.services.adapt import read_snapshot

    try:
        return read_snapshot(ws, package)
    except WorkspaceError:
        return {}


def _effective_config(package: str, snapshot: Mapping) -> dict[str, str]:
    """{package path of a config file: workspace path of its effective configuration}.

    Install writes the merged value of each ``config:`` entry NAME to ``config/<pkg>/NAME.yaml``
    (services.configuration.config_files) rather than copying the package's file; the snapshot
    keeps the manifest that says which file each NAME came from, so rules written for
    ``config/default-settings.yaml`` check the effective ``defaults`` there.
    """
    config = (snapshot.get("manifest") or {}).get("config") or {}
    found = {}
    for key, rel in (config.items() if isinstance(config, dict) else ()):
        mapped = package_path(package, install_path(package, "config", str(rel)))
        found[mapped[1] if mapped else str(rel)] = f"config/{package}/{key}.yaml"
    return found


def _read(ws: Workspace, relpath: str) -> bytes | None:
    try:
        with open(ws.path(relpath), "rb") as handle:
            return handle.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
