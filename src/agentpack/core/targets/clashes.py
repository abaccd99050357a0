"""Name clashes between packages, found before anything is written into a tool's folders.

Two packages may ship components with the same name (the corpus has 30 agent file names shared by
several plugins). For one target, every component's output paths are computed; a path claimed by
two components is a clash, reported with both packages. The way out is deterministic: the
per-target option ``prefix: package`` names every output ``<package>-<name>`` (or the local file
disables one component and lists a copy under another name as a custom one). MCP servers clash the same way, by server name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from agentpack.core.records import dataclass
from agentpack.core.targets.base import Component, Load, Target, TargetFile, output_paths, translate
from agentpack.core.type_names import Any
from agentpack.errors import Problem, ValidationError


@dataclass(frozen=True)
class Clash:
    """One output path (or MCP server name) claimed by two components: who and which."""

    target: str
    path: str
    first: tuple[str, str, str]  # (package, kind, name)
    second: tuple[str, str, str]

    def message(self) -> str:
        (p1, k1, n1), (p2, k2, n2) = self.first, self.second
        return (f"{self.target}: {self.path} is written by both {p1} ({k1[:-1]} {n1!r}) and "
                f"{p2} ({k2[:-1]} {n2!r})")


def find_clashes(target: Target, components: Iterable[Component], prefix: str | None = None) -> list[Clash]:
    """Every output path of ``target`` claimed by more than one component, sorted by path.

    Components are taken in package, kind and name order, so the first claimant reported is the
    same on every run. Two components of one package can clash too (``x.md`` and ``x.mdc`` rules).
    """
    claimed: dict[str, tuple[str, str, str, str]] = {}
    clashes = []
    for component in sorted(components, key=lambda c: (c.package, c.kind, c.name, c.source)):
        who = (component.package, component.kind, component.name, component.source)
        for path in output_paths(target, component, prefix):
            owner = claimed.setdefault(path, who)
            if owner != who:
                clashes.append(Clash(target.name, path, owner[:3], who[:3]))
    return sorted(clashes, key=lambda c: (c.path, c.second))


def find_server_clashes(target: str, servers: Mapping[str, Mapping[str, Any]]) -> list[Clash]:
    """MCP server names offered by two packages; ``servers`` maps package -> {server name: spec}."""
    claimed: dict[str, str] = {}
    clashes = []
    for package in sorted(servers):
        for name in sorted(servers[package]):
            owner = claimed.setdefault(name, package)
            if owner != package:
                clashes.append(Clash(target, f"MCP server {name!r}", (owner, "mcp_servers", name),
                                     (package, "mcp_servers", name)))
    return clashes


def raise_for_clashes(clashes: list[Clash]) -> None:
    """Raise one ``ValidationError`` naming every clash, with the way out; nothing when there is none."""
    if not clashes:
        return
    problems = [Problem("error", "name-clash", clash.message(), path=clash.path) for clash in clashes]
    targets = sorted({clash.target for clash in clashes})
    raise ValidationError(
        f"{len(clashes)} name clash(es) between packages for target(s) {', '.join(targets)}",
        problems=problems,
        hint="set 'prefix: package' for the target (`agentops target add TARGET --prefix package`) to name "
             "outputs <package>-<name>, or disable one of the two in packages/<name>.local.yaml and list your "
             "own copy under another name as a custom component",
    )


def plan_files(target: Target, components: Iterable[Component], load: Load,
               prefix: str | None = None) -> list[TargetFile]:
    """Every file ``target`` gets for ``components``, after checking that no two claim one path.

    Raises ``ValidationError`` listing every clash (both packages named) before translating
    anything; otherwise returns the translated files sorted by path.
    """
    components = list(components)
    raise_for_clashes(find_clashes(target, components, prefix))
    files = [made for component in components for made in translate(target, component, load, prefix)]
    return sorted(files, key=lambda f: f.path)
