"""Dependency resolution: one version of each package for the whole graph, the highest that fits.

Semantics. The workspace asks for packages by name and npm range; each candidate names its own
dependencies the same way. The answer holds one version of every package actually required (the
closure from the root through the chosen versions, nothing more), satisfying every range on it.
``overrides`` replaces a package's range everywhere, the root included (npm ``overrides``);
``preferred`` versions (a lockfile's pins) are tried before the highest while they still fit.
Prereleases are chosen only where a range admits them under npm rules (``VersionRange.allows``).
A yanked candidate is skipped, as Cargo and pip (PEP 592) skip them, unless the lockfile pins it
(``locked``) or the workspace asks for exactly that version (a root request or override such as
``=1.0.0``); even then it is chosen only when no version that is not yanked fits, or when it is
the preferred pin.

Algorithm. Conflict-driven search after PubGrub (the solver of Dart's pub): unit propagation over
incompatibilities (facts that cannot all hold), one decision per package, and on a conflict,
resolution of the facts involved into a learnt one plus a backjump to the decision to blame. Learnt
facts are kept, so no dead end is explored twice: graphs built to force backtracking stay cheap.
A package's versions are finite and known, so a term is a bitmask over them (bit ``i + 1`` for the
i-th lowest, bit 0 for "not installed") and set algebra is integer arithmetic. Three choices keep
large graphs fast: a package's dependencies (all its still-possible versions) are learnt as soon as
it is required; a package is decided only once no undecided package may still require it (top-down,
so requested packages keep their newest versions); and a conflict with a fact that was only just
learnt undoes one level (chronological backtracking) instead of every level since the fact became
relevant, with such facts checked again after each backjump so that none is missed. When nothing
can be chosen, ``resolver_explain`` turns the facts behind that into the error a user reads.

Why not resolvelib: it was measured first, through a provider over the same graphs. resolvelib 1.2
copies its state and re-checks every pinned requirement each round, so its cost grows with the
square of the graph: on ``bench/bench_resolve.py``'s 2,000-package graph it took 3.5 s for the
top-level request and over ten minutes when the root asks for every package; the budget is 0.5 s.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Mapping, Sequence

from agentpack.core.records import dataclass, field
from agentpack.core.resolver_explain import explain_conflict
from agentpack.core.type_names import Protocol
from agentpack.core.versions import Version, parse_range
from agentpack.errors import InvalidRange, ResolutionImpossible

ROOT = ""  # the requirer name of the workspace's own requirements
_ABSENT = 1  # bit 0 of a version set: "the package is not installed"
_CONFLICT = object()


@dataclass(frozen=True)
class Candidate:
    """One published version of a package and its dependencies (name -> npm range text)."""

    name: str
    version: Version
    dependencies: Mapping[str, str] = field(default_factory=dict)
    yanked: bool = False  # withdrawn by its publisher: a candidate only where the module docstring says

    def __hash__(self) -> int:  # the generated hash would fail on the dependencies dict
        return hash((self.name, self.version))


class CandidateSource(Protocol):
    """Where the resolver learns which versions exist (a registry index, a lockfile, a test table)."""

    def candidates(self, name: str) -> Sequence[Candidate]:
        """Return every published version of ``name``, in any order, each with its dependencies.

        An unknown package yields an empty sequence, not an error: the resolver reports it with the
        chain of requirements that led to it. Called at most once per name during one ``resolve``,
        so an implementation need not cache. A source may also offer ``names()``, every package
        name it knows: a failure over an unknown name then suggests the nearest ones.
        """
        ...


@dataclass(frozen=True)
class Resolution:
    """The chosen version of every required package, and who requires what (after overrides)."""

    packages: dict[str, Candidate]
    requirements: dict[str, dict[str, str]]

    def dependents(self, name: str) -> list[str]:
        """Return, sorted, who requires ``name`` in this resolution (``""`` for the root).

        Only edges of the resolution count; a name that is not in it yields an empty list.
        """
        return sorted(requirer for requirer, deps in self.requirements.items() if name in deps)


def resolve(
    root: Mapping[str, str],
    source: CandidateSource,
    *,
    overrides: Mapping[str, str] | None = None,
    preferred: Mapping[str, Version] | None = None,
    locked: Mapping[str, Version] | None = None,
) -> Resolution:
    """Choose one version of each package required from ``root`` so that every range holds.

    ``root`` maps names to npm range texts; ``overrides`` replaces a package's range wherever it is
    required (root included); ``preferred`` names versions to keep when they still fit; ``locked``
    names the versions the lockfile pins (preferred or not), which stay candidates when yanked.
    Yanked candidates are otherwise skipped, except the one an exact root range or override names,
    and a yanked candidate that is not preferred is chosen only as a last resort. Packages get
    the highest versions the search can keep, deciding requirers before what they require; only
    packages reachable from the root through the chosen versions are returned. A candidate whose own
    ranges do not parse is skipped (and named if that leads to failure). Raises
    ``ResolutionImpossible`` when nothing works: the message names the package that cannot be
    resolved and ``causes`` lists the requirement chains involved, each from the root, e.g.
    ``"(root) -> sales-operations@0.9.0 -> core-workflow@^3.0.0"``. Raises ``InvalidRange`` when a
    range in ``root`` or ``overrides`` (text the user wrote) does not parse. Pure and deterministic.
    """
    overrides = dict(overrides or {})
    for text in [*root.values(), *overrides.values()]:
        parse_range(text)  # the user's own ranges must be valid: fail with their error, early
    preferred = dict(preferred or {})
    # Yanked versions the workspace still accepts: pinned by the lock, or asked for exactly.
    accepted: dict[str, set[Version]] = {}
    for name, version in [*preferred.items(), *(locked or {}).items()]:
        accepted.setdefault(name, set()).add(version)
    for name, text in [*root.items(), *overrides.items()]:
        exact = parse_range(overrides.get(name, text)).exact()
        if exact is not None:
            accepted.setdefault(name, set()).add(exact)
    solver = _Solver(source, overrides, preferred, accepted)
    chosen = {name: solver.packages[name].candidates[i] for name, i in solver.solve(root).items()}
    return _build_resolution(root, overrides, chosen)


class _Package:
    """The candidates of one package, lowest version first, and the search's bookkeeping on it."""

    __slots__ = ("name", "candidates", "full", "masks", "deps", "seq", "learnt", "preferred", "targets",
                 "waiting_on", "counted", "yanked", "last_resort")  # fmt: skip

    def __init__(self, name: str, found: Sequence[Candidate], preferred: Version | None,
                 accepted: set[Version] | frozenset = frozenset()) -> None:
        self.name = name
        ordered = sorted((c for c in found if c.name == name), key=lambda c: (c.version, str(c.version)))
        # A version listed twice (builds differ) keeps its first after sorting: order never matters.
        ordered = [c for i, c in enumerate(ordered) if not i or c.version != ordered[i - 1].version]
        self.candidates = [c for c in ordered if not c.yanked or c.version in accepted]
        self.yanked = [c.version for c in ordered if c.yanked and c.version not in accepted]  # skipped
        self.last_resort = sum(2 << i for i, c in enumerate(self.candidates) if c.yanked)
        self.full = (1 << (len(self.candidates) + 1)) - 1
        self.masks: dict[str, int] = {}  # range text -> versions in it
        self.deps: dict[int, list[tuple[str, str, int]] | str] = {}
        self.seq = -1  # discovery order, the tie-break between packages ready to decide
        self.learnt = 0  # versions whose dependencies are already incompatibilities
        self.preferred = next((2 << i for i, c in enumerate(self.candidates) if c.version == preferred), 0)
        self.targets: set[str] = set()  # packages that some learnt version of this one requires
        self.waiting_on = 0  # undecided required packages that may still require this one
        self.counted = False  # whether this package counts in its targets' ``waiting_on``


class _Incompat:
    """Terms (package -> version set) that cannot all hold, and where that knowledge came from.

    ``kind`` is ``root`` (the workspace requires ``dep@text``), ``dependency`` (``requirer`` at any
    of ``versions`` requires ``dep@text``), ``unusable`` (those versions' own ranges are invalid;
    ``text`` says why) or ``derived`` (learnt from the two ``parents``).
    """

    __slots__ = ("terms", "kind", "requirer", "versions", "dep", "text", "parents")

    def __init__(self, terms, kind, requirer=None, versions=0, dep=None, text="", parents=()):
        self.terms: dict[str, int] = terms
        self.kind, self.requirer, self.versions, self.dep, self.text = kind, requirer, versions, dep, text
        self.parents: tuple[_Incompat, ...] = parents


class _Solver:
    def __init__(self, source: CandidateSource, overrides: dict[str, str], preferred: dict,
                 accepted: dict[str, set[Version]]) -> None:
        self.source, self.overrides, self.preferred, self.accepted = source, overrides, preferred, accepted
        self.packages: dict[str, _Package] = {}
        # name -> term on it -> incompatibilities with that term: one subset test covers every fact
        # sharing a term (all the dependents asking for the same range, say).
        self.incompats: dict[str, dict[int, list[_Incompat]]] = {}
        self.assignments: list[tuple[str, int, int, _Incompat | None]] = []  # name, set, level, cause
        self.stack: dict[str, list[tuple[int, int]]] = {}  # name -> (assignment index, set so far)
        self.current: dict[str, int] = {}  # name -> versions still possible
        self.decided: dict[str, int] = {}  # name -> index of the chosen candidate
        self.level = 0
        self.ready: list[tuple[int, str]] = []  # heap of (discovery order, name) to decide
        self.waiting: set[str] = set()  # to decide once nothing undecided may require them
        self.parked: list[tuple[int, str]] = []  # heap of the waiting, for breaking cycles
        self.next_seq = 0
        self.fresh: deque[_Incompat] = deque()  # not yet checked against the partial solution
        self.added: list[tuple[int, _Incompat]] = []  # outside facts and the level they came at

    def package(self, name: str) -> _Package:
        pkg = self.packages.get(name)
        if pkg is None:
            pkg = self.packages[name] = _Package(name, self.source.candidates(name), self.preferred.get(name),
                                                 self.accepted.get(name, frozenset()))
            self.incompats[name], self.stack[name], self.current[name] = {}, [], pkg.full
        return pkg

    def range_mask(self, name: str, text: str) -> int:
        """The versions of ``name`` that ``text`` allows (never the "not installed" bit)."""
        pkg = self.package(name)
        mask = pkg.masks.get(text)
        if mask is None:
            rng, mask = parse_range(text), 0
            for i, cand in enumerate(pkg.candidates):
                if rng.allows(cand.version):
                    mask |= 2 << i
            pkg.masks[text] = mask
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
                except (InvalidRange, TypeError):
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
        """Add, once, the facts these candidates bring (dependencies, or being unusable).

        Versions requiring the same range of the same package share one incompatibility, as in pub:
        fewer facts to propagate and shorter explanations. Returns whether anything was new.
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
            else:
                for dep in deps:
                    shared[dep] = shared.get(dep, 0) | bit
        for (dep, text, in_range), requirers in sorted(shared.items()):
            terms = {pkg.name: requirers}
            if dep == pkg.name:  # requiring itself: only its versions outside the range fail
                terms[dep] &= ~in_range
                if not terms[dep]:
                    continue
            else:
                if dep not in pkg.targets:
                    pkg.targets.add(dep)
                    self.packages[dep].waiting_on += pkg.counted
                if in_range:  # with nothing in range, "dep is not in range" always holds: omit it
                    terms[dep] = self.packages[dep].full & ~in_range
            self.add(_Incompat(terms, "dependency", pkg.name, requirers, dep, text))
        return True

    def assign(self, name: str, mask: int, cause: _Incompat | None) -> None:
        so_far = self.current[name] & mask
        self.stack[name].append((len(self.assignments), so_far))
        self.assignments.append((name, mask, self.level, cause))
        self.current[name] = so_far
        if not so_far & _ABSENT and name not in self.decided:
            # Learning every possible version's dependencies now rules out at once a version whose
            # dependencies are already ruled out, instead of meeting it as a conflict much later.
            self.learn(self.packages[name], so_far)
            self.queue(name)
        self.count(name)

    def count(self, name: str) -> None:
        """Keep ``waiting_on`` exact as ``name`` becomes or stops being required and undecided."""
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
        heapq.heappush(self.ready, (pkg.seq, name))

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
        # Facts added above this level met another partial solution and may be unit here, while
        # propagation looks at a fact again only when one of its terms becomes satisfied.
        later = []
        while self.added and self.added[-1][0] > level:
            later.append(self.added.pop()[1])
        later.reverse()
        self.added.extend((level, inc) for inc in later)
        self.fresh.extend(later)

    def solve(self, root: Mapping[str, str]) -> dict[str, int]:
        for name in sorted(root):
            text = self.overrides.get(name, root[name])
            in_range = self.range_mask(name, text)
            terms = {name: self.packages[name].full & ~in_range} if in_range else {}
            inc = _Incompat(terms, "root", dep=name, text=text)
            if not inc.terms:
                raise self.failure(inc)
            self.add(inc)
        self.propagate([])
        while self.ready or self.parked:
            if self.ready:
                _, name = heapq.heappop(self.ready)
            else:  # all wait on one another: a cycle, broken in discovery order
                _, name = heapq.heappop(self.parked)
                if name not in self.waiting:
                    continue
                self.waiting.discard(name)
            if name in self.decided or self.current[name] & _ABSENT:
                continue  # a stale entry
            if self.packages[name].waiting_on and self.ready:
                self.waiting.add(name)
                heapq.heappush(self.parked, (self.packages[name].seq, name))
                continue
            self.decide(name)
            if name not in self.decided and not self.current[name] & _ABSENT:
                self.queue(name)  # a version was ruled out; the backjump may not have requeued it
        return dict(sorted(self.decided.items()))

    def decide(self, name: str) -> None:
        pkg = self.packages[name]
        versions = self.current[name]
        choice = versions & ~pkg.last_resort or versions  # a yanked version only when nothing else is left
        bit = pkg.preferred if versions & pkg.preferred else 1 << (choice.bit_length() - 1)
        if not self.learn(pkg, bit):  # else its new facts may rule it out: propagate them first
            self.level += 1
            self.decided[name] = bit.bit_length() - 2
            self.waiting.discard(name)
            self.assign(name, bit, None)
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
                have, incs = self.current[name], []
                for term, group in self.incompats[name].items():
                    if not have & ~term:
                        incs += reversed(group)  # newest first: learnt facts tend to prune most
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
        """``_CONFLICT`` if every term holds; the package whose term is open if all others hold."""
        open_name, current = _CONFLICT, self.current
        for name, term in inc.terms.items():
            have = current[name]
            if have & ~term:
                if not have & term or open_name is not _CONFLICT:
                    return None  # contradicted, or two terms open: nothing follows
                open_name = name
        return open_name

    def satisfier(self, name: str, term: int) -> int:
        """Index of the earliest assignment after which ``name``'s facts lie inside ``term``."""
        return next(index for index, so_far in self.stack[name] if not so_far & ~term)

    def resolve_conflict(self, inc: _Incompat) -> _Incompat:
        """Learn from a violated ``inc``: resolve it with its causes until one decision is to blame.

        Backjumps, and returns a fact with exactly one open term, whose negation the caller derives.
        Raises ``ResolutionImpossible`` on learning the empty fact (nothing can be chosen).
        """
        learnt = False
        while inc.terms:
            found = sorted((self.satisfier(n, t), n) for n, t in inc.terms.items())
            sat_index, sat_name = found[-1]
            previous = found[-2][0] if len(found) > 1 else -1
            _, sat_mask, sat_level, cause = self.assignments[sat_index]
            leftover = sat_mask & ~inc.terms[sat_name]  # what the satisfier allows beyond the term
            if leftover:  # then an earlier assignment helped it satisfy the term
                helper = next(i for i, so_far in self.stack[sat_name] if not so_far & leftover)
                previous = max(previous, helper)
            previous_level = self.assignments[previous][2] if previous >= 0 else 0
            if cause is None or previous_level != sat_level:
                if learnt:
                    self.add(inc)
                # A fact learnt by resolution jumps back to where it becomes unit. An outside fact
                # violated as it stands (typically just learnt, about a package only now required)
                # undoes only the last level: it may have become unit many levels earlier, and
                # redoing all of them costs far more than meeting it again after a later backjump.
                self.backtrack(previous_level if learnt else sat_level - 1)
                return inc
            terms = {n: t for n, t in inc.terms.items() if n != sat_name}
            for n, t in cause.terms.items():
                if n != sat_name:
                    terms[n] = terms.get(n, -1) & t
            if leftover:
                terms[sat_name] = ~leftover
            terms = {n: t & self.packages[n].full for n, t in terms.items()}
            terms = {n: t for n, t in terms.items() if t != self.packages[n].full}
            inc, learnt = _Incompat(terms, "derived", parents=(inc, cause)), True
        raise self.failure(inc)

    def failure(self, inc: _Incompat) -> ResolutionImpossible:
        candidates = {name: pkg.candidates for name, pkg in self.packages.items()}
        yanked = {name: pkg.yanked for name, pkg in self.packages.items() if pkg.yanked}
        return explain_conflict(inc, candidates, self.range_mask, self.overrides,
                                known_names=getattr(self.source, "names", None), yanked=yanked)


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
