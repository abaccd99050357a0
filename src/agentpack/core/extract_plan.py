"""From a proposed package to the files of a package folder: pure, so ``extract`` only writes.

A ``PackagePlan`` says which listing file goes where in the seed layout (copied byte for byte), and
which files are generated (``package.yaml``, ``README.md``, ``docs/getting-started.md``). Where a
component lands (the one rule for every kind):

    agents, commands, rules, workflows, patterns   <kind>/<file name>       (agents/reviewer.md)
    skills                                         skills/<name>/<path in the skill folder>

Two files of one kind with the same file name (two plugins' ``agents/reviewer.md`` in one
Copilot collection) get ``<kind>/<n>/<file name>`` for the second and later ones, and a second
skill of one name ``skills/<name>-<n>``, with a finding, so nothing is overwritten. The source's README becomes ``README.md`` as is (or one is generated),
its license file ``LICENSE``. Dependencies the source declares are kept only when they are already
agentpack references (``name`` or ``name@range``); others are dropped with a finding.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from agentpack.core.names import check_name
from agentpack.core.readers import KINDS, Listing, ProposedPackage
from agentpack.core.records import dataclass, field
from agentpack.core.type_names import Any
from agentpack.errors import Problem

_DEPENDENCY = re.compile(r"^\s*([a-z0-9]+(-[a-z0-9]+)*/)?[a-z0-9]+(-[a-z0-9]+)*\s*(@\S.*)?$")
_MANIFEST_FILE = "package.yaml"
GETTING_STARTED = "docs/getting-started.md"


@dataclass
class PackagePlan:
    """What to write for one package: ``copies`` (package path -> listing path), ``generated``
    (package path -> bytes), the manifest data, and findings about what could not be carried."""

    name: str
    manifest: dict[str, Any]
    copies: dict[str, str] = field(default_factory=dict)
    generated: dict[str, bytes] = field(default_factory=dict)
    findings: list[Problem] = field(default_factory=list)

    def component_count(self) -> int:
        """How many components the manifest lists (skills count once each)."""
        return sum(len(self.manifest.get(kind, ())) for kind in KINDS)


def plan_package(package: ProposedPackage, listing: Listing, dump: Callable[[Any], str]) -> PackagePlan:
    """The plan for ``package`` read from ``listing``; ``dump`` serialises the manifest to YAML text."""
    plan = PackagePlan(package.name, {})
    lists = _place_components(package, plan)
    plan.manifest = _manifest(package, lists, plan)
    readme = listing.read(package.readme) if package.readme and package.readme in listing else None
    plan.generated["README.md"] = readme if readme is not None else _generated_readme(package, plan).encode()
    plan.generated[GETTING_STARTED] = _getting_started(package, plan, readme).encode()
    if package.license_file and package.license_file in listing:
        plan.copies["LICENSE"] = package.license_file
    plan.generated[_MANIFEST_FILE] = dump(plan.manifest).encode()
    return plan


def _place_components(package: ProposedPackage, plan: PackagePlan) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {kind: [] for kind in KINDS}
    for component in package.components:
        if component.kind == "skills":
            folder = _free(f"skills/{component.name}", plan, component.source)
            prefix = len(component.source) + 1 if component.source else 0
            for path in component.files:
                plan.copies[f"{folder}/{path[prefix:]}"] = path
            lists["skills"].append(folder)
            continue
        for path in component.files:
            target = _free(f"{component.kind}/{path.rsplit('/', 1)[-1]}", plan, path)
            plan.copies[target] = path
            lists[component.kind].append(target)
    return lists


def _free(target: str, plan: PackagePlan, source: str) -> str:
    """``target``, or a numbered variant (``_numbered``) when a copy already uses that path or folder."""
    def taken(candidate: str) -> bool:
        return any(p == candidate or p.startswith(candidate + "/") for p in plan.copies)

    if not taken(target):
        return target
    kind, rest = target.split("/", 1)
    number = 2
    while taken(moved := _numbered(kind, rest, number)):
        number += 1
    plan.findings.append(Problem("warning", "renamed-component", f"{source} would land on {target}, which another "
                                 f"component of {plan.name} already uses; it is written to {moved}", path=source))
    return moved


def _numbered(kind: str, rest: str, number: int) -> str:
    # A skill installs under its folder's own name, so a second "pdf" skill becomes "pdf-2"; a file
    # keeps its name in a numbered folder (agents/2/reviewer.md), which install keeps apart too.
    return f"{kind}/{rest}-{number}" if kind == "skills" else f"{kind}/{number}/{rest}"


def _manifest(package: ProposedPackage, lists: dict[str, list[str]], plan: PackagePlan) -> dict[str, Any]:
    count = sum(len(v) for v in lists.values())
    description = " ".join(package.description.split()) or _fallback_description(package, lists, count)
    data: dict[str, Any] = {"name": package.name, "version": package.version, "description": description}
    for key in ("author", "license"):
        if getattr(package, key):
            data[key] = getattr(package, key)
    # package.yaml has one web address: the homepage, else the repository when it is a web URL.
    homepage = next((u for u in (package.homepage, package.repository) if u.startswith(("https://", "http://"))), "")
    if homepage:
        data["homepage"] = homepage
    keywords = list(dict.fromkeys(k for k in (*package.keywords, package.category) if k))
    if keywords:
        data["keywords"] = keywords
    dependencies = _dependencies(package, plan)
    if dependencies:
        data["dependencies"] = dependencies
    for kind in KINDS:
        if lists[kind]:
            data[kind] = lists[kind]
    servers = {name: server for name, entry in package.mcp_servers.items()
               if (server := _mcp_server(package.name, name, entry, plan)) is not None}
    if servers:
        data["mcp_servers"] = servers
    data["documentation"] = {"getting_started": GETTING_STARTED}
    return data


# Only these keys are agentpack's: a local process or a remote server. ``type`` (stdio, http, sse) is
# implied by which of the two an entry is, so it is dropped without a finding; other keys are reported.
_MCP_KEYS = {"command": ("command", "args", "env"), "url": ("url", "headers")}
_MCP_IMPLIED = {"type"}


def _mcp_server(package: str, name: str, entry: Any, plan: PackagePlan) -> dict[str, Any] | None:
    """The agentpack form of MCP server ``entry``, or ``None`` (with a finding) when it has none."""
    shape = next((keys for marker, keys in _MCP_KEYS.items() if isinstance(entry, dict) and marker in entry), None)
    if shape is None:
        plan.findings.append(Problem("warning", "mcp-server-dropped", f"MCP server {name!r} of {package} has neither "
                                     "a command nor a url; it is left out", field=f"mcp_servers.{name}"))
        return None
    kept = {key: entry[key] for key in shape if key in entry}
    for key in ("env", "headers"):
        if key in kept and isinstance(kept[key], dict):
            kept[key] = {str(k): v if isinstance(v, str) else str(v) for k, v in kept[key].items()}
    dropped = sorted(str(k) for k in entry if k not in shape and k not in _MCP_IMPLIED)
    if dropped:
        plan.findings.append(Problem("warning", "mcp-field-dropped", f"MCP server {name!r} of {package}: "
                                     f"{', '.join(dropped)} cannot be expressed in package.yaml; left out",
                                     field=f"mcp_servers.{name}"))
    return kept


def _fallback_description(package: ProposedPackage, lists: dict[str, list[str]], count: int) -> str:
    parts = [f"{len(v)} {k}" for k, v in lists.items() if v]
    where = f" from {package.source}" if package.source else ""
    return f"{package.original_name or package.name}: {', '.join(parts) or 'no components'}{where}"[:200] \
        if count else f"{package.original_name or package.name}{where}"


def _dependencies(package: ProposedPackage, plan: PackagePlan) -> list[str]:
    kept = []
    for reference in package.dependencies:
        name = reference.split("@", 1)[0].strip()
        if _DEPENDENCY.match(reference) and check_name(name) is None:
            kept.append(reference.strip())
        else:
            plan.findings.append(Problem("warning", "dependency-dropped", f"{package.name} depends on {reference!r}, "
                                         "which is not an agentpack package reference (name@range); it is left out: "
                                         "publish that source as a package and add it back", field="dependencies"))
    return kept


def _component_lines(plan: PackagePlan) -> list[str]:
    lines = []
    for kind in KINDS:
        entries = plan.manifest.get(kind, ())
        if entries:
            lines.append(f"- {kind}: " + ", ".join(e.rsplit("/", 1)[-1] for e in entries[:10])
                         + (f" and {len(entries) - 10} more" if len(entries) > 10 else ""))
    for server in plan.manifest.get("mcp_servers", {}):
        lines.append(f"- MCP server: {server}")
    return lines


def _generated_readme(package: ProposedPackage, plan: PackagePlan) -> str:
    return "\n".join([f"# {package.name}", "", plan.manifest["description"], "", "## Contents", "",
                      *_component_lines(plan), ""])


def _getting_started(package: ProposedPackage, plan: PackagePlan, readme: bytes | None) -> str:
    lines = [f"# Getting started with {package.name}", "", plan.manifest["description"], "", "## Install", "",
             "```sh", f"agentops package install {package.name}@{package.version}", "```", "",
             "## What it installs", "", *_component_lines(plan), ""]
    if readme is not None:
        lines += ["The package's README.md (installed beside this page) is the source's own documentation.", ""]
    return "\n".join(lines)
