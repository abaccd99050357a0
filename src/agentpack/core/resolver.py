"""Dependency resolution: one version of each package for the whole graph, the highest that fits.

Semantics. The workspace asks for packages by name and npm-style range; each candidate version names
its own dependencies the same way. The answer holds exactly one version of every package that is
actually required (the transitive closure from the root, nothing more), and that version satisfies
every range placed on it. ``overrides`` replaces the range for a package everywhere it is required,
the root included (npm ``overrides``). ``preferred`` holds versions pinned in an existing lockfile:
when one still fits it is tried before the highest version, so a re-resolve changes little.
Prereleases are chosen only where a range admits them under npm rules (``VersionRange.allows``).

Algorithm. Conflict-driven search in the manner of PubGrub (Natalie Weizenbaum's algorithm for
Dart's pub): unit propagation over "incompatibilities" (sets of facts that cannot all hold), a
decision per package, and on a conflict, resolution of the incompatibilities involved into a new
learnt one followed by a backjump to the decision that caused it. Learnt incompatibilities are
kept, so a dead end is never explored twice; that is what keeps graphs built to force backtracking
cheap. Because every package's versions are finite and fetched once, a fact about a package is
a bitmask over its versions (bit ``i + 1`` for the i-th lowest) plus bit 0 for "not installed";
intersection, union and negation of version sets are then plain integer operations.

Why not resolvelib: it is the natural choice and was measured first, but resolvelib 1.2 copies its
whole state and re-checks every pinned requirement in each round, so its cost grows with the square
of the graph: 3.3 s for a 1,000-package graph and 10 s for 2,000 on the reference machine, against a
budget of 0.5 s (``bench/bench_resolve.py``). This module resolves the same graph in a few tens of
milliseconds.

Decision order: the root's requirements (by name), then packages in the order they were first found
to be required. Earlier decisions keep their highest version; a later conflict is settled by the
learnt incompatibilities, which move whichever choice caused it. Everything iterates in sorted or
insertion order, so the same input always gives the same answer, whatever order the source lists
candidates in.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from agentpack.core.versions import Version, parse_range
from agentpack.errors import InvalidRange, ResolutionImpossible

ROOT = ""  # the requirer name used for the workspace's own requirements
_ABSENT = 1  # bit 0 of a version set: "the package is not installed"
_MAX_CAUSES = 20  # beyond this, a conflict report stops helping a human
_CONFLICT = object()
_JUMP = int(__import__("os").environ.get("JUMP", "1000000"))


@dataclass(frozen=True)
class Candidate:
    """One published version of a package and its dependencies (name -> npm range text)."""

    name: str
    version: Version
    dependencies: Mapping[str, str] = field(default_factory=dict)


class CandidateSource(Protocol):
    """Where the resolver learns which versions exist (a registry index, a lockfile, a test table)."""

    def candidates(self, name: str) -> Sequence[Candidate]:
        """Return every published version of ``name``, in any order, each with its dependencies.

        An unknown package yields an empty sequence rather than an error: the resolver reports it
        with the chain of requirements that led to it. The resolver calls this at most once per name
        during one ``resolve`` call, so an implementation need not cache.
        """
        ...


@dataclass(frozen=True)
class Resolution:
    """The chosen version of every required package, and who requires what (after overrides)."""

    packages: dict[str, Candidate]
    requirements: dict[str, dict[str, str]]

    def dependents(self, name: str) -> list[str]:
        """Return, sorted, the requirers of ``name`` in this resolution (``""`` is the root).

        A package appears here only if it is in ``packages``; an unknown name yields an empty list.
        """
        return sorted(requirer for requirer, deps in self.requirements.items() if name in deps)


def resolve(
    root: Mapping[str, str],
    source: CandidateSource,
    *,
    overrides: Mapping[str, str] | None = None,
    preferred: Mapping[str, Version] | None = None,
) -> Resolution:
    """Choose one version of each package required by ``root`` so that every range is satisfied.

    ``root`` maps package names to npm range texts; ``overrides`` replaces the range for a package
    wherever it is required (root included); ``preferred`` names versions to try first when they
    still fit (a lockfile's pins). Each package gets the highest version the search can keep, and
    only packages reachable from the root through the chosen versions are returned. A candidate
    whose dependency ranges do not parse is skipped (and named if that leads to failure). Raises
    ``ResolutionImpossible`` when no choice works: its message names the package that cannot be
    resolved and ``causes`` lists every requirement chain involved, each from the root, e.g.
    ``"(root) -> sales-operations@0.9.0 -> core-workflow@^3.0.0"``. Raises ``InvalidRange`` when a
    range in ``root`` or ``overrides`` (text the user wrote) does not parse. Pure and deterministic.
    """
    overrides = dict(overrides or {})
    for text in [*root.values(), *overrides.values()]:
        parse_range(text)  # the user's own ranges must be valid; fail early with their error
    solver = _Solver(source, overrides, dict(preferred or {}))
    decided = solver.solve(root)
    return _build_resolution(root, overrides, {n: solver.packages[n].candidates[i] for n, i in decided.items()})


class _Package:
    """The candidates of one package, lowest version first, and what the search derived about them."""

    __slots__ = ("name", "candidates", "full", "range_masks", "deps", "seq")

    def __init__(self, name: str, found: Sequence[Candidate]) -> None:
        self.name = name
        ordered = sorted((c for c in found if c.name == name), key=lambda c: (c.version, str(c.version)))
        # A source listing one version twice keeps the first after sorting, so order never matters.
        self.candidates = [c for i, c in enumerate(ordered) if i == 0 or c.version != ordered[i - 1].version]
        self.full = (1 << (len(self.candidates) + 1)) - 1
        self.range_masks: dict[str, int] = {}
        self.deps: dict[int, list[tuple[str, str, str]] | str] = {}
        self.seq = -1  # discovery order, the decision priority; -1 until first required

    def label(self, mask: int) -> str:
        """``name@v`` for one version, or a compact list when a set of versions is meant."""
        versions = [str(c.version) for i, c in enumerate(self.candidates) if mask >> (i + 1) & 1]
        if len(versions) <= 3:
            return f"{self.name}@{'|'.join(versions)}"
        return f"{self.name}@{versions[0]}|...|{versions[-1]} ({len(versions)} versions)"


class _Incompat:
    """Facts that cannot all hold: package -> version set (bits as in ``_Package``), with its origin.

    ``kind`` is ``root`` (the workspace requires ``dep@text``), ``dependency`` (``requirer`` at
    version index ``index`` requires ``dep@text``), ``unusable`` (that candidate's own ranges are
    invalid; ``text`` says why) or ``derived`` (learnt from the two ``parents``).
    """

    __slots__ = ("terms", "kind", "requirer", "index", "dep", "text", "parents")

    def __init__(self, terms, kind, requirer=None, index=-1, dep=None, text="", parents=()):
        self.terms: dict[str, int] = terms
        self.kind, self.requirer, self.index, self.dep, self.text = kind, requirer, index, dep, text
        self.parents: tuple[_Incompat, ...] = parents


class _Solver:
    def __init__(self, source: CandidateSource, overrides: dict[str, str], preferred: dict) -> None:
        self.source, self.overrides, self.preferred = source, overrides, preferred
        self.packages: dict[str, _Package] = {}
        self.incompats: dict[str, list[_Incompat]] = {}
        self.assignments: list[tuple[str, int, int, _Incompat | None]] = []  # name, set, level, cause
        self.stack: dict[str, list[tuple[int, int]]] = {}  # name -> (assignment index, set so far)
        self.decided: dict[str, int] = {}
        self.level = 0
        self.pending: list[tuple[int, str]] = []
        self.next_seq = 0
        self.deps_added: set[tuple[str, int]] = set()

    # -- facts ---------------------------------------------------------------------------------

    def package(self, name: str) -> _Package:
        pkg = self.packages.get(name)
        if pkg is None:
            pkg = self.packages[name] = _Package(name, self.source.candidates(name))
            self.incompats[name], self.stack[name] = [], []
        return pkg

    def range_mask(self, name: str, text: str) -> int:
        """The set of ``name``'s versions that ``text`` allows (never the "not installed" bit)."""
        pkg = self.package(name)
        mask = pkg.range_masks.get(text)
        if mask is None:
            rng, mask = parse_range(text), 0
            for i, cand in enumerate(pkg.candidates):
                if rng.allows(cand.version):
                    mask |= 2 << i
            pkg.range_masks[text] = mask
        return mask

    def dependencies(self, pkg: _Package, index: int) -> list[tuple[str, str, str]] | str:
        """(dep, effective range, declared range) for a candidate, or why the candidate is unusable."""
        deps = pkg.deps.get(index)
        if deps is None:
            deps = []
            for dep, declared in sorted(pkg.candidates[index].dependencies.items()):
                text = self.overrides.get(dep, declared)
                try:
                    self.range_mask(dep, text)
                except InvalidRange:
                    deps = f"invalid range {text!r} for dependency {dep}"
                    break
                deps.append((dep, text, declared))
            pkg.deps[index] = deps
        return deps

    def allowed(self, name: str) -> int:
        entries = self.stack[name]
        return entries[-1][1] if entries else self.packages[name].full

    def add(self, inc: _Incompat) -> None:
        for name in inc.terms:
            self.incompats[name].append(inc)

    def requirement(self, kind: str, dep: str, text: str, requirer=None, index=-1) -> _Incompat | None:
        """"``requirer``@index needs ``dep`` in ``text``": the requirer's term and "dep not in range"."""
        dep_pkg = self.package(dep)
        terms = {}
        not_in_range = dep_pkg.full & ~self.range_mask(dep, text)
        if not_in_range != dep_pkg.full:  # a term that always holds adds nothing
            terms[dep] = not_in_range
        if requirer is not None:
            version = 2 << index
            terms[requirer] = terms.get(requirer, version) & version
            if not terms[requirer]:
                return None  # a package requiring a range its own version is in: always true
        return _Incompat(terms, kind, requirer, index, dep, text)

    # -- the partial solution ------------------------------------------------------------------

    def assign(self, name: str, mask: int, cause: _Incompat | None) -> None:
        so_far = self.allowed(name) & mask
        self.stack[name].append((len(self.assignments), so_far))
        self.assignments.append((name, mask, self.level, cause))
        if not so_far & _ABSENT and name not in self.decided:
            pkg = self.packages[name]
            if pkg.seq < 0:
                pkg.seq, self.next_seq = self.next_seq, self.next_seq + 1
            heapq.heappush(self.pending, (pkg.seq, name))

    def backtrack(self, level: int) -> None:
        touched = set()
        while self.assignments and self.assignments[-1][2] > level:
            name, _, _, cause = self.assignments.pop()
            self.stack[name].pop()
            if cause is None:
                del self.decided[name]
            touched.add(name)
        self.level = level
        for name in sorted(touched):
            if not self.allowed(name) & _ABSENT and name not in self.decided:
                heapq.heappush(self.pending, (self.packages[name].seq, name))

    # -- search --------------------------------------------------------------------------------

    def solve(self, root: Mapping[str, str]) -> dict[str, int]:
        names = []
        for name in sorted(root):
            inc = self.requirement("root", name, self.overrides.get(name, root[name]))
            if not inc.terms:
                raise self.failure(inc)
            self.add(inc)
            names.append(name)
        self.propagate(names)
        while self.pending:
            _, name = heapq.heappop(self.pending)
            if name not in self.decided and not self.allowed(name) & _ABSENT:
                self.decide(name)
        return dict(sorted(self.decided.items()))

    def decide(self, name: str) -> None:
        pkg = self.packages[name]
        versions = self.allowed(name)
        index = versions.bit_length() - 2
        wanted = self.preferred.get(name)
        if wanted is not None:
            for i, cand in enumerate(pkg.candidates):
                if cand.version == wanted and versions >> (i + 1) & 1:
                    index = i
        deps = self.dependencies(pkg, index)
        if isinstance(deps, str):
            self.add(_Incompat({name: 2 << index}, "unusable", name, index, text=deps))
            self.propagate([name])
            return
        conflicting = False
        if (name, index) not in self.deps_added:
            self.deps_added.add((name, index))
            for dep, text, _ in deps:
                inc = self.requirement("dependency", dep, text, name, index)
                if inc is not None:
                    self.add(inc)
                    # Deciding a version whose dependency is already ruled out would only make a
                    # conflict to undo; propagation will instead rule the version out.
                    conflicting |= all(not self.allowed(n) & ~t for n, t in inc.terms.items() if n != name)
        if not conflicting:
            self.level += 1
            self.decided[name] = index
            self.assign(name, 2 << index, None)
        self.propagate([name])

    def propagate(self, names: list[str]) -> None:
        """Derive every fact the incompatibilities force; on a conflict, learn and backjump first."""
        changed, queued = deque(names), set(names)
        while changed:
            name = changed.popleft()
            queued.discard(name)
            for inc in reversed(self.incompats[name]):  # newest first: learnt facts prune most
                open_name = self.open_term(inc)
                if open_name is None:
                    continue
                if open_name is _CONFLICT:
                    inc = self.resolve_conflict(inc)
                    open_name = next(n for n, t in inc.terms.items() if self.allowed(n) & ~t)
                    self.assign(open_name, self.packages[open_name].full & ~inc.terms[open_name], inc)
                    # The backjump undid what the queue was about; only the learnt fact is news.
                    changed, queued = deque([open_name]), {open_name}
                    break
                self.assign(open_name, self.packages[open_name].full & ~inc.terms[open_name], inc)
                if open_name not in queued:
                    changed.append(open_name)
                    queued.add(open_name)

    def open_term(self, inc: _Incompat):
        """``_CONFLICT`` if every term holds; the one package whose term is open if the rest hold."""
        open_name = _CONFLICT
        for name, term in inc.terms.items():
            have = self.allowed(name)
            if not have & ~term:
                continue
            if not have & term or open_name is not _CONFLICT:
                return None  # contradicted, or two terms still open: nothing follows
            open_name = name
        return open_name

    def satisfier(self, name: str, term: int) -> int:
        """Index of the earliest assignment after which ``name``'s facts lie inside ``term``."""
        for index, so_far in self.stack[name]:
            if not so_far & ~term:
                return index
        raise AssertionError(f"{name} is not satisfied")  # conflict resolution only sees satisfied terms

    def resolve_conflict(self, inc: _Incompat) -> _Incompat:
        """Learn from a conflict: resolve ``inc`` with its causes until one decision is to blame.

        Returns an incompatibility that, after the backjump done here, has exactly one open term;
        the caller derives its negation. Raises ``ResolutionImpossible`` when it learns the empty one.
        """
        learnt = False
        while True:
            if not inc.terms:
                raise self.failure(inc)
            found = sorted((self.satisfier(n, t), n) for n, t in inc.terms.items())
            sat_index, sat_name = found[-1]
            previous = found[-2][0] if len(found) > 1 else -1
            _, sat_mask, sat_level, cause = self.assignments[sat_index]
            term = inc.terms[sat_name]
            leftover = sat_mask & ~term  # what the satisfier allows beyond the term, if anything
            if leftover:
                for index, so_far in self.stack[sat_name]:
                    if index >= sat_index:
                        break
                    if not so_far & leftover:
                        previous = max(previous, index)
                        break
            previous_level = self.assignments[previous][2] if previous >= 0 else 0
            if cause is None or previous_level != sat_level:
                if learnt:
                    self.add(inc)
                self.backtrack(previous_level if sat_level - previous_level <= _JUMP else sat_level - 1)
                return inc
            terms = {n: t for n, t in inc.terms.items() if n != sat_name}
            for n, t in cause.terms.items():
                if n != sat_name:
                    terms[n] = terms.get(n, -1) & t
            if leftover:
                terms[sat_name] = self.packages[sat_name].full & ~leftover
            terms = {n: t for n, t in terms.items() if t != self.packages[n].full}
            inc, learnt = _Incompat(terms, "derived", parents=(inc, cause)), True

    def failure(self, inc: _Incompat) -> ResolutionImpossible:
        return _Explainer(self).explain(inc)


class _Explainer:
    """Turns the learnt empty incompatibility into a message and root-to-conflict chains."""

    def __init__(self, solver: _Solver) -> None:
        self.solver = solver

    def explain(self, final: _Incompat) -> ResolutionImpossible:
        leaves, seen, todo = [], set(), [final]
        while todo:  # the external facts the failure was derived from, in derivation order
            inc = todo.pop()
            if id(inc) not in seen:
                seen.add(id(inc))
                todo.extend(reversed(inc.parents)) if inc.kind == "derived" else leaves.append(inc)
        culprit, reason = self.culprit(leaves)
        leaves.sort(key=lambda inc: inc.dep != culprit and inc.requirer != culprit)  # stable
        chains = self.chains(leaves)
        if len(chains) > _MAX_CAUSES:
            chains = [*chains[:_MAX_CAUSES], f"... and {len(chains) - _MAX_CAUSES} more"]
        return ResolutionImpossible(
            f"cannot resolve {culprit}: {reason}",
            causes=chains,
            hint="relax one of the ranges in these chains, or force one version with an override",
        )

    def culprit(self, leaves: list[_Incompat]) -> tuple[str, str]:
        """The package to name in the message, and why: unknown, nothing in range, or a clash."""
        packages = self.solver.packages
        wants = [inc for inc in leaves if inc.kind != "unusable"]
        for inc in wants:
            if not packages[inc.dep].candidates:
                return inc.dep, f"no package named {inc.dep!r} is published"
        for inc in wants:
            if not self.solver.range_mask(inc.dep, inc.text):
                available = ", ".join(str(c.version) for c in packages[inc.dep].candidates[-8:])
                return inc.dep, f"no version matches {inc.text} (available: {available})"
        requirers: dict[str, set[str]] = {}
        for inc in wants:
            requirers.setdefault(inc.dep, set()).add(inc.requirer or ROOT)
        if requirers:
            order = list(requirers)
            name = max(order, key=lambda n: (len(requirers[n]), -order.index(n)))
            ranges = sorted({inc.text for inc in wants if inc.dep == name})
            if len(ranges) > 1:
                return name, f"the ranges required of it cannot all be met ({', '.join(ranges)})"
            return name, f"no version in {ranges[0]} can be used with the rest of the graph"
        name = leaves[0].requirer if leaves else "?"
        return name, "none of its versions can be used"

    def chains(self, leaves: list[_Incompat]) -> list[str]:
        """One ``(root) -> a@1.0.0 -> b@^2`` string per requirement, grouping a package's versions."""
        groups: dict[tuple, int] = {}
        for inc in leaves:
            key = (inc.kind, inc.requirer, inc.dep, inc.text)
            groups[key] = groups.get(key, 0) | (2 << inc.index if inc.requirer else 0)
        near = self.paths(leaves)
        everything = [inc for incs in self.solver.incompats.values() for inc in incs if inc.kind != "derived"]
        far = self.paths(everything)
        chains = []
        for (kind, requirer, dep, text), versions in groups.items():
            path = ["(root)"]
            if requirer:
                path = near.get(requirer) or far.get(requirer) or ["(root)", "..."]
                path = [*path, self.solver.packages[requirer].label(versions)]
            if kind == "unusable":
                chains.append(f"{' -> '.join(path)} is unusable: {text}")
                continue
            note = " (override)" if dep in self.solver.overrides else ""
            chain = " -> ".join([*path, f"{dep}@{text}{note}"])
            if chain not in chains:
                chains.append(chain)
        return chains

    def paths(self, incs: list[_Incompat]) -> dict[str, list[str]]:
        """Shortest requirement path from the root to each package, over these requirement facts."""
        edges: dict[str, dict[str, int]] = {}
        for inc in incs:
            if inc.kind in ("root", "dependency"):
                targets = edges.setdefault(inc.requirer or ROOT, {})
                targets[inc.dep] = targets.get(inc.dep, 0) | (2 << inc.index if inc.requirer else 0)
        paths = {ROOT: ["(root)"]}
        queue = deque([ROOT])
        while queue:
            name = queue.popleft()
            for dep, versions in sorted(edges.get(name, {}).items()):
                if dep not in paths:
                    step = [self.solver.packages[name].label(versions)] if name != ROOT else []
                    paths[dep] = [*paths[name], *step]
                    queue.append(dep)
        return paths


def _build_resolution(root: Mapping[str, str], overrides: Mapping[str, str], chosen: dict) -> Resolution:
    """Keep only what the root reaches through the chosen versions, and record every edge."""
    requirements = {ROOT: {name: overrides.get(name, text) for name, text in sorted(root.items())}}
    queue = deque(requirements[ROOT])
    while queue:
        name = queue.popleft()
        if name not in requirements:
            deps = sorted(chosen[name].dependencies.items())
            requirements[name] = {dep: overrides.get(dep, text) for dep, text in deps}
            queue.extend(requirements[name])
    packages = {name: chosen[name] for name in sorted(requirements) if name != ROOT}
    return Resolution(packages=packages, requirements=dict(sorted(requirements.items())))
