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
    return _build_resolution(
        root, overrides, {n: solver.packages[n].candidates[i] for n, i in decided.items()}
    )


class _Package:
    """The candidates of one package, lowest version first, and what the search derived about them."""

    __slots__ = (
        "name", "candidates", "full", "range_masks", "deps", "seq", "learnt", "preferred",
        "targets", "waiting_on", "counted",
    )

    def __init__(self, name: str, found: Sequence[Candidate]) -> None:
        self.name = name
        ordered = sorted((c for c in found if c.name == name), key=lambda c: (c.version, str(c.version)))
        # A source listing one version twice keeps the first after sorting, so order never matters.
        self.candidates = [c for i, c in enumerate(ordered) if i == 0 or c.version != ordered[i - 1].version]
        self.full = (1 << (len(self.candidates) + 1)) - 1
        self.range_masks: dict[str, int] = {}
        self.deps: dict[int, list[tuple[str, str, str]] | str] = {}
        self.seq = -1  # discovery order, the decision priority; -1 until first required
        self.learnt = 0  # versions whose dependencies are already incompatibilities
        self.preferred = 0  # the lockfile's version, if it is among the candidates
        self.targets: set[str] = set()  # packages that some learnt version of this one requires
        self.waiting_on = 0  # how many undecided required packages may still require this one
        self.counted = False  # whether this package is counted in its targets' ``waiting_on``

    def label(self, mask: int) -> str:
        """``name@v`` for one version, or a compact list when a set of versions is meant."""
        versions = [str(c.version) for i, c in enumerate(self.candidates) if mask >> (i + 1) & 1]
        if len(versions) <= 3:
            return f"{self.name}@{'|'.join(versions)}"
        return f"{self.name}@{versions[0]}|...|{versions[-1]} ({len(versions)} versions)"


class _Incompat:
    """Facts that cannot all hold: package -> version set (bits as in ``_Package``), with its origin.

    ``kind`` is ``root`` (the workspace requires ``dep@text``), ``dependency`` (``requirer`` at
    any of the ``versions`` requires ``dep@text``), ``unusable`` (those versions' own ranges are
    invalid; ``text`` says why) or ``derived`` (learnt from the two ``parents``).
    """

    __slots__ = ("terms", "kind", "requirer", "versions", "dep", "text", "parents")

    def __init__(self, terms, kind, requirer=None, versions=0, dep=None, text="", parents=()):
        self.terms: dict[str, int] = terms
        self.kind, self.requirer, self.versions, self.dep, self.text = kind, requirer, versions, dep, text
        self.parents: tuple[_Incompat, ...] = parents


class _Solver:
    def __init__(self, source: CandidateSource, overrides: dict[str, str], preferred: dict) -> None:
        self.source, self.overrides, self.preferred = source, overrides, preferred
        self.packages: dict[str, _Package] = {}
        # name -> a term on that package -> the incompatibilities with that term: one subset test
        # covers every fact sharing a term (say, all the dependents asking for the same range).
        self.incompats: dict[str, dict[int, list[_Incompat]]] = {}
        self.assignments: list[tuple[str, int, int, _Incompat | None]] = []  # name, set, level, cause
        self.stack: dict[str, list[tuple[int, int]]] = {}  # name -> (assignment index, set so far)
        self.current: dict[str, int] = {}  # name -> the versions still possible
        self.decided: dict[str, int] = {}  # name -> index of the chosen candidate
        self.level = 0
        self.pending: list[tuple[int, str]] = []  # (discovery order, name): packages to decide
        self.waiting: set[str] = set()  # packages to decide once their possible requirers are
        self.next_seq = 0
        self.fresh: deque[_Incompat] = deque()  # not yet checked against the partial solution
        self.added: list[tuple[int, _Incompat]] = []  # outside facts, with the level they came at

    # -- facts ---------------------------------------------------------------------------------

    def package(self, name: str) -> _Package:
        pkg = self.packages.get(name)
        if pkg is None:
            pkg = self.packages[name] = _Package(name, self.source.candidates(name))
            self.incompats[name], self.stack[name], self.current[name] = {}, [], pkg.full
            wanted = self.preferred.get(name)
            pkg.preferred = next((2 << i for i, c in enumerate(pkg.candidates) if c.version == wanted), 0)
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

    def dependencies(self, pkg: _Package, index: int) -> list[tuple[str, str, int]] | str:
        """(dep, effective range, versions in range) for a candidate, or why it is unusable."""
        deps = pkg.deps.get(index)
        if deps is None:
            deps = []
            for dep, declared in sorted(pkg.candidates[index].dependencies.items()):
                text = self.overrides.get(dep, declared)
                try:
                    deps.append((dep, text, self.range_mask(dep, text)))
                except InvalidRange:
                    deps = f"invalid range {text!r} for dependency {dep}"
                    break
            pkg.deps[index] = deps
        return deps

    def add(self, inc: _Incompat) -> None:
        for name, term in inc.terms.items():
            self.incompats[name].setdefault(term, []).append(inc)
        self.fresh.append(inc)
        if inc.kind != "derived":
            self.added.append((self.level, inc))

    def learn(self, pkg: _Package, versions: int) -> bool:
        """Add the facts that these candidates bring (dependencies, or being unusable), once each.

        Versions that require the same range of the same package share one incompatibility, as in
        pub: fewer facts to propagate, and shorter explanations. Returns whether anything was new.
        """
        versions &= ~pkg.learnt & ~_ABSENT
        if not versions:
            return False
        pkg.learnt |= versions
        shared: dict[tuple[str, str, int], int] = {}
        while versions:
            bit = versions & -versions
            versions ^= bit
            deps = self.dependencies(pkg, bit.bit_length() - 2)
            if isinstance(deps, str):
                self.add(_Incompat({pkg.name: bit}, "unusable", pkg.name, bit, text=deps))
                continue
            for dep in deps:
                shared[dep] = shared.get(dep, 0) | bit
        for (dep, text, in_range), requirers in sorted(shared.items()):
            if dep != pkg.name and dep not in pkg.targets:
                pkg.targets.add(dep)
                self.packages[dep].waiting_on += pkg.counted
            terms = {pkg.name: requirers}
            if dep == pkg.name:  # a package requiring itself: only its versions outside the range fail
                terms[dep] &= ~in_range
                if not terms[dep]:
                    continue
            elif in_range:  # with no version in range, "dep is not in range" always holds: drop it
                terms[dep] = self.packages[dep].full & ~in_range
            self.add(_Incompat(terms, "dependency", pkg.name, requirers, dep, text))
        return True

    # -- the partial solution ------------------------------------------------------------------

    def assign(self, name: str, mask: int, cause: _Incompat | None) -> None:
        so_far = self.current[name] & mask
        self.stack[name].append((len(self.assignments), so_far))
        self.assignments.append((name, mask, self.level, cause))
        self.current[name] = so_far
        if not so_far & _ABSENT and name not in self.decided:
            # Learn the dependencies of every version still possible as soon as the package is
            # required: a version whose dependencies are already ruled out is then ruled out at
            # once, instead of being found to conflict many decisions later (a long backjump).
            self.learn(self.packages[name], so_far)
            self.queue(name)
        self.count(name)

    def count(self, name: str) -> None:
        """Keep ``waiting_on`` right: a package waits while an undecided requirer may need it."""
        pkg = self.packages[name]
        pending = not self.current[name] & _ABSENT and name not in self.decided
        if pending != pkg.counted:
            pkg.counted = pending
            for target in pkg.targets:
                waiter = self.packages[target]
                waiter.waiting_on += 1 if pending else -1
                if not waiter.waiting_on and target in self.waiting:
                    self.waiting.discard(target)
                    self.queue(target)

    def queue(self, name: str) -> None:
        pkg = self.packages[name]
        if pkg.seq < 0:
            pkg.seq, self.next_seq = self.next_seq, self.next_seq + 1
        heapq.heappush(self.pending, (pkg.seq, name))

    def backtrack(self, level: int) -> None:
        touched = set()
        while self.assignments and self.assignments[-1][2] > level:
            name, _, _, cause = self.assignments.pop()
            stack = self.stack[name]
            stack.pop()
            self.current[name] = stack[-1][1] if stack else self.packages[name].full
            if cause is None:
                del self.decided[name]
            touched.add(name)
        self.level = level
        for name in sorted(touched):
            self.count(name)
            if not self.current[name] & _ABSENT and name not in self.decided:
                self.queue(name)
        # Facts added after this level may be unit here (they met a different partial solution),
        # and propagation only revisits a fact when one of its terms becomes satisfied.
        later = []
        while self.added and self.added[-1][0] > level:
            later.append(self.added.pop()[1])
        later.reverse()
        self.added.extend((level, inc) for inc in later)
        self.fresh.extend(later)

    # -- search --------------------------------------------------------------------------------

    def solve(self, root: Mapping[str, str]) -> dict[str, int]:
        for name in sorted(root):
            text = self.overrides.get(name, root[name])
            in_range = self.range_mask(name, text)
            terms = {name: self.packages[name].full & ~in_range} if in_range else {}
            inc = _Incompat(terms, "root", dep=name, text=text)
            if not terms:
                raise self.failure(inc)
            self.add(inc)
        self.propagate([])
        while self.pending or self.waiting:
            if self.pending:
                _, name = heapq.heappop(self.pending)
            else:  # everyone waits on someone: a cycle; break it in discovery order
                name = min(self.waiting, key=lambda n: self.packages[n].seq)
                self.waiting.discard(name)
            if name not in self.decided and not self.current[name] & _ABSENT:
                if self.packages[name].waiting_on and self.pending:
                    self.waiting.add(name)
                    continue
                self.decide(name)
                if name not in self.decided and not self.current[name] & _ABSENT:
                    # Ruling a version out can end in a backjump that leaves this package's own
                    # facts untouched, so nothing else would bring it back to the queue.
                    self.queue(name)
        return dict(sorted(self.decided.items()))

    def decide(self, name: str) -> None:
        pkg = self.packages[name]
        versions = self.current[name]
        bit = pkg.preferred if versions & pkg.preferred else 1 << (versions.bit_length() - 1)
        if not self.learn(pkg, bit):
            self.level += 1
            self.decided[name] = bit.bit_length() - 2
            self.assign(name, bit, None)
            self.waiting.discard(name)
        # else: the version's dependencies are new facts that may rule it out; propagate them first.
        self.propagate([name])

    def propagate(self, names: list[str]) -> None:
        """Derive every fact the incompatibilities force; on a conflict, learn and backjump first.

        A fact needs a look only when it is new or one of its terms has just become satisfied:
        otherwise it cannot have become unit or violated. That keeps each step cheap.
        """
        changed, queued = deque(names), set(names)
        while self.fresh or changed:
            if self.fresh:
                incs = [self.fresh.popleft()]
            else:
                name = changed.popleft()
                queued.discard(name)
                have = self.current[name]
                groups = [incs for term, incs in self.incompats[name].items() if not have & ~term]
                incs = [inc for group in groups for inc in reversed(group)]  # newest first
            for inc in incs:
                open_name = self.open_term(inc)
                if open_name is None:
                    continue
                conflict = open_name is _CONFLICT
                if conflict:
                    inc = self.resolve_conflict(inc)
                    open_name = next(n for n, t in inc.terms.items() if self.current[n] & ~t)
                    changed, queued = deque(), set()  # the backjump undid what they were about
                self.assign(open_name, self.packages[open_name].full & ~inc.terms[open_name], inc)
                if open_name not in queued:
                    changed.append(open_name)
                    queued.add(open_name)
                if conflict:
                    break

    def open_term(self, inc: _Incompat):
        """``_CONFLICT`` if every term holds; the one package whose term is open if the rest hold."""
        open_name = _CONFLICT
        current = self.current
        for name, term in inc.terms.items():
            have = current[name]
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
                self.backtrack(previous_level)
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
            groups[key] = groups.get(key, 0) | inc.versions
        near = self.paths(leaves)
        everything = [
            inc for groups in self.solver.incompats.values() for incs in groups.values() for inc in incs
        ]
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
                targets[inc.dep] = targets.get(inc.dep, 0) | inc.versions
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
