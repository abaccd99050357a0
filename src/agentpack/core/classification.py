"""Classification levels and the two boundary rules: no read up, no write down.

Levels are an ordered list, lowest first; by default ``unclassified < cui < secret < top-secret``,
and a workspace may name its own in agentops.yaml (``classification_levels:``). A package without
a ``classification`` is at the lowest level. The rules checked here:

- a package may not depend on a package classified above itself (``depends_above``);
- a reader (a workspace, a bundle) may not take in anything above its own level (``above_clearance``);
- a store (a registry) may not receive anything above its own level (the same comparison).

Pure: the caller supplies the levels, every package's level and the dependency graph.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from agentpack.core.records import dataclass

DEFAULT_LEVELS = ("unclassified", "cui", "secret", "top-secret")


@dataclass(frozen=True)
class Levels:
    """An ordered set of classification level names, lowest first."""

    names: tuple[str, ...] = DEFAULT_LEVELS

    @property
    def lowest(self) -> str:
        """The level of a package that declares none."""
        return self.names[0]

    def check(self, name: object) -> str | None:
        """None when ``name`` is one of the levels, else a message saying which levels exist."""
        if isinstance(name, str) and name in self.names:
            return None
        return f"unknown classification level {name!r} (levels, lowest first: {', '.join(self.names)})"

    def rank(self, name: str | None) -> int:
        """The position of ``name`` (None means the lowest level); raises ValueError if unknown."""
        return 0 if name is None else self.names.index(name)

    def above(self, level: str | None, other: str | None) -> bool:
        """Whether ``level`` is strictly higher than ``other`` (None counts as the lowest)."""
        return self.rank(level) > self.rank(other)


def record_level(record: Mapping) -> str | None:
    """The level a version record's manifest declares (None: none, meaning the lowest level)."""
    manifest = record.get("manifest") or {}
    level = manifest.get("classification") if isinstance(manifest, Mapping) else None
    return level if isinstance(level, str) else None


def parse_levels(value: object) -> tuple[Levels | None, str | None]:
    """``(Levels, None)`` for a list of distinct non-empty level names, else ``(None, message)``.

    ``None`` (the key is absent) gives the default levels.
    """
    if value is None:
        return Levels(), None
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v.strip() for v in value)):
        return None, "`classification_levels` must be a non-empty list of level names, lowest first"
    if len(set(value)) != len(value):
        return None, "`classification_levels` lists a level more than once"
    return Levels(tuple(value)), None


@dataclass(frozen=True)
class Crossing:
    """One boundary crossed: ``package`` at ``level`` is above ``limit`` (the level of what
    receives it: a workspace, a registry, or the package that depends on it), reached by ``chain``."""

    package: str
    level: str
    limit: str
    chain: tuple[str, ...]

    def describe_chain(self) -> str:
        """The chain as ``a -> b -> c``."""
        return " -> ".join(self.chain)


def level_of(levels: Levels, declared: Mapping[str, str | None], name: str) -> str:
    """The effective level of ``name``: what it declares, or the lowest level."""
    return declared.get(name) or levels.lowest


def above_clearance(levels: Levels, clearance: str, declared: Mapping[str, str | None],
                    graph: Mapping[str, Iterable[str]], roots: Sequence[str]) -> list[Crossing]:
    """Every package of ``graph`` classified above ``clearance`` (no read up), sorted by name.

    ``declared`` maps each package to its declared level (None or absent: the lowest); ``graph``
    maps each package to the names it depends on; ``roots`` are the requested packages. Each
    crossing carries the shortest chain from a root to the package.
    """
    found = []
    for name in sorted(graph):
        level = level_of(levels, declared, name)
        if levels.above(level, clearance):
            found.append(Crossing(name, level, clearance, chain_to(graph, roots, name)))
    return found


def depends_above(levels: Levels, declared: Mapping[str, str | None], graph: Mapping[str, Iterable[str]],
                  roots: Sequence[str]) -> list[Crossing]:
    """Every dependency edge that reads up: a package depending on one classified above it.

    The crossing's ``limit`` is the level of the depending package and its chain runs from a root
    through the depending package to the dependency. Sorted by chain.
    """
    found = []
    for name in sorted(graph):
        own = level_of(levels, declared, name)
        for dep in sorted(graph[name]):
            level = level_of(levels, declared, dep)
            if levels.above(level, own):
                found.append(Crossing(dep, level, own, (*chain_to(graph, roots, name), dep)))
    return sorted(found, key=lambda c: c.chain)


def chain_to(graph: Mapping[str, Iterable[str]], roots: Sequence[str], target: str) -> tuple[str, ...]:
    """The shortest dependency chain from one of ``roots`` to ``target`` (just ``(target,)`` when
    it is a root or unreachable). Roots are tried in sorted order, so the result is deterministic."""
    parents: dict[str, str | None] = {}
    queue = [r for r in sorted(set(roots)) if r in graph or r == target]
    for root in queue:
        parents[root] = None
    index = 0
    while index < len(queue):
        node = queue[index]
        index += 1
        if node == target:
            chain = [node]
            while parents[chain[-1]] is not None:
                chain.append(parents[chain[-1]])  # type: ignore[arg-type]
            return tuple(reversed(chain))
        for dep in sorted(graph.get(node, ())):
            if dep not in parents:
                parents[dep] = node
                queue.append(dep)
    return (target,)
