"""The conflict report of a failed resolution: which package cannot be resolved, why, and who asks.

When the resolver learns that nothing can be chosen, that conclusion was derived from a handful of
outside facts: the workspace requires ``a@range``, ``b@1.0.0`` requires ``c@range``, a version's own
ranges are invalid. The report is built from exactly those facts, so it names only what took part.
Its message names one package and the reason: it is not published, no version is in the range, the
ranges required of it clash, none of its versions is usable, or none fits the rest of the graph.
Its ``causes`` are requirement chains, each from the root, such as
``"(root) -> sales-operations@0.9.0 -> core-workflow@^3.0.0"``: a fact alone says that some package
needs another, but a user edits the workspace, so each chain shows the route from what they asked
for down to the clash. Chains about the named package come first; past ``_MAX_CAUSES`` they are cut.

Version sets are the resolver's bitmasks: bit ``i + 1`` is a package's i-th lowest candidate.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence

from agentpack.core.type_names import TYPE_CHECKING, Protocol
from agentpack.errors import ResolutionImpossible

if TYPE_CHECKING:  # only a type here: at run time resolver imports this module
    from agentpack.core.resolver import Candidate
    from agentpack.core.versions import Version

_MAX_CAUSES = 20  # past this many chains, a conflict report stops helping a human


class ConflictFact(Protocol):
    """An incompatibility as the report reads it: where the knowledge came from, not its terms.

    ``kind`` is ``root`` (the workspace, whose ``requirer`` is ``None``, requires ``dep@text``),
    ``dependency`` (``requirer`` at any of ``versions`` requires ``dep@text``), ``unusable`` (those
    versions of ``requirer`` have invalid ranges; ``text`` says why) or ``derived`` (learnt from
    ``parents``; only these have parents).
    """

    @property
    def kind(self) -> str: ...
    @property
    def requirer(self) -> str | None: ...
    @property
    def versions(self) -> int: ...
    @property
    def dep(self) -> str | None: ...
    @property
    def text(self) -> str: ...
    @property
    def parents(self) -> tuple[ConflictFact, ...]: ...


def explain_conflict(
    final: ConflictFact,
    candidates: Mapping[str, Sequence[Candidate]],
    versions_in_range: Callable[[str, str], int],
    overrides: Mapping[str, str],
    known_names: Callable[[], Iterable[str]] | None = None,
    yanked: Mapping[str, Sequence[Version]] | None = None,
) -> ResolutionImpossible:
    """Build the error for a resolution that learnt ``final``, the fact that nothing can be chosen.

    ``candidates`` holds, lowest version first, the candidates of every package the search met;
    ``versions_in_range(name, range_text)`` is the bitmask of ``name``'s candidates in that range;
    ``overrides`` are the ranges that replaced declared ones (chains mark them); ``known_names``,
    when given, returns every published name, for suggesting the nearest to an unknown one;
    ``yanked`` holds, lowest first, the yanked versions the search skipped (they are not in
    ``candidates``). The error's message names the culprit and why, ``causes`` the chains from the
    root, and ``hint`` what to change: the nearest names for an unknown package, the published
    versions for a range nothing satisfies (and how to ask for a yanked one knowingly), else the
    ranges to relax. Pure and deterministic.
    """
    return _Explainer(candidates, versions_in_range, overrides, known_names, yanked or {}).explain(final)


class _Explainer:
    """Turns the learnt empty incompatibility into a message and root-to-conflict chains."""

    def __init__(self, candidates, versions_in_range, overrides, known_names=None, yanked=None) -> None:
        self.candidates, self.versions_in_range, self.overrides = candidates, versions_in_range, overrides
        self.known_names, self.yanked = known_names, yanked or {}

    def explain(self, final: ConflictFact) -> ResolutionImpossible:
        leaves, seen, todo = [], set(), [final]
        while todo:  # the outside facts the failure was derived from
            inc = todo.pop()
            if id(inc) not in seen:
                seen.add(id(inc))
                todo.extend(reversed(inc.parents)) if inc.kind == "derived" else leaves.append(inc)
        near = self.paths(leaves)
        culprit, reason = self.culprit(leaves, near)
        chains = self.chains(leaves, near, culprit)
        if len(chains) > _MAX_CAUSES:
            chains = [*chains[:_MAX_CAUSES], f"... and {len(chains) - _MAX_CAUSES} more"]
        return ResolutionImpossible(f"cannot resolve {culprit}: {reason}", causes=chains,
                                    hint=self.hint(culprit, leaves))

    def hint(self, culprit: str, leaves: list[ConflictFact]) -> str:
        """What to change: the name when nothing by it is published, the range when nothing in it
        is, else one of the ranges that clash."""
        asked = any(inc.kind == "root" and inc.dep == culprit for inc in leaves)
        found = self.candidates.get(culprit)
        ranges = [inc.text for inc in leaves if inc.kind != "unusable" and inc.dep == culprit]
        if not any(self.versions_in_range(culprit, text) for text in ranges):
            from agentpack.core.versions import parse_range

            fitting = [v for v in self.yanked.get(culprit, ()) if all(parse_range(t).allows(v) for t in ranges)]
            if fitting:
                return (f"{culprit}@{fitting[-1]} is yanked, and yanked versions are skipped: ask for another "
                        f"version, or for that one exactly ({culprit}@={fitting[-1]}) to use it knowingly")
        if not found and self.yanked.get(culprit):
            last = self.yanked[culprit][-1]
            return (f"every published version of {culprit} is yanked; ask for one exactly "
                    f"({culprit}@={last}) to use it knowingly")
        if not found:
            from agentpack.core.names import nearest

            close = nearest(culprit, self.known_names() if self.known_names else ())
            guess = f"did you mean {' or '.join(close)}? " if close else ""
            return f"{guess}check the name; `agentops package search` lists the published packages"
        if not any(self.versions_in_range(inc.dep, inc.text) for inc in leaves
                   if inc.kind != "unusable" and inc.dep == culprit):
            releases = [c.version for c in found if not c.version.prerelease] or [c.version for c in found]
            published = ", ".join(str(c.version) for c in found[-8:])
            if asked:
                return (f"published versions: {published}; ask for one of them, e.g. "
                        f"{culprit}@^{releases[-1]} or {culprit}@latest")
            return (f"published versions: {published}; publish a version in that range, or force one "
                    "with an override")
        return "relax one of the ranges in these chains, or force one version with an override"

    def culprit(self, leaves: list[ConflictFact], near: dict[str | None, list[str]]) -> tuple[str, str]:
        """The package to name, and why: it is unknown, nothing is in range, or requirements clash.

        Of clashing packages, the one with the most distinct requirers is named; on a tie the one
        deepest below the root, where the chains end.
        """
        wants = [inc for inc in leaves if inc.kind != "unusable"]
        for inc in wants:
            if not self.candidates[inc.dep] and not self.yanked.get(inc.dep):
                return inc.dep, f"no package named {inc.dep!r} is published"
        for inc in wants:
            if not self.versions_in_range(inc.dep, inc.text):
                available = ", ".join(str(c.version) for c in self.candidates[inc.dep][-8:]) or "none"
                skipped = self.yanked.get(inc.dep)
                also = f"; yanked: {', '.join(str(v) for v in skipped[-8:])}" if skipped else ""
                return inc.dep, f"no version matches {inc.text} (available: {available}{also})"
        requirers: dict[str, set[str | None]] = {}
        for inc in wants:
            requirers.setdefault(inc.dep, set()).add(inc.requirer)
        for inc in leaves:
            if inc.kind == "unusable":
                requirers.setdefault(inc.requirer, set())
        name = max(requirers, key=lambda n: (len(requirers[n]), len(near.get(n, ()))))
        ranges = sorted({inc.text for inc in wants if inc.dep == name})
        if len(ranges) > 1:
            return name, f"the ranges required of it cannot all be met ({', '.join(ranges)})"
        if any(inc.kind == "unusable" and inc.requirer == name for inc in leaves):
            return name, f"no usable version in {' '.join(ranges) or 'the graph'}"
        return name, f"no version in {ranges[0]} fits with the rest of the graph"

    def chains(
        self, leaves: list[ConflictFact], near: dict[str | None, list[str]], culprit: str
    ) -> list[str]:
        """One ``(root) -> a@1.0.0 -> b@^2`` per requirement, those on ``culprit`` first."""
        grouped: dict[tuple, int] = {}
        for inc in leaves:
            key = (inc.kind, inc.requirer, inc.dep, inc.text)
            grouped[key] = grouped.get(key, 0) | inc.versions
        chains: dict[str, bool] = {}
        for (kind, requirer, dep, text), versions in grouped.items():
            path = ["(root)"]
            if requirer:  # every requirer's own route from the root is among the leaves, too
                path = [*near.get(requirer, ["(root)", "..."]), self.label(requirer, versions)]
            if kind == "unusable":
                chain = f"{' -> '.join(path)} is unusable: {text}"
            else:
                note = " (override)" if dep in self.overrides else ""
                chain = " -> ".join([*path, f"{dep}@{text}{note}"])
            chains[chain] = chains.get(chain, False) or culprit in (dep, requirer)
        return sorted(chains, key=lambda chain: (not chains[chain], chain))

    def paths(self, incs: list[ConflictFact]) -> dict[str | None, list[str]]:
        """Shortest requirement path from the root (``None``) to each package, over these facts."""
        edges: dict[str | None, dict[str, int]] = {}
        for inc in incs:
            if inc.kind in ("root", "dependency"):
                targets = edges.setdefault(inc.requirer, {})
                targets[inc.dep] = targets.get(inc.dep, 0) | inc.versions
        paths: dict[str | None, list[str]] = {None: ["(root)"]}
        queue: deque[str | None] = deque([None])
        while queue:
            name = queue.popleft()
            for dep, versions in sorted(edges.get(name, {}).items()):
                if dep not in paths:
                    step = [self.label(name, versions)] if name is not None else []
                    paths[dep] = [*paths[name], *step]
                    queue.append(dep)
        return paths

    def label(self, name: str, versions: int) -> str:
        """``name@version``, or a compact list when a set of versions is meant."""
        found = [str(c.version) for i, c in enumerate(self.candidates[name]) if versions >> (i + 1) & 1]
        if len(found) <= 3:
            return f"{name}@{'|'.join(found)}"
        return f"{name}@{found[0]}|...|{found[-1]} ({len(found)} versions)"
