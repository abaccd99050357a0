"""Time the resolver on a large synthetic graph and on graphs built to force backtracking.

Run as ``python bench/bench_resolve.py [--runs N]``. Prints, for each graph, the time of the first
``resolve()`` and the median over N runs, next to the median of N runs of ``python3 -c pass`` (a
reference measured on the same machine, in the same process tree) and the ratio of the two. The
budget for the 2,000-package graph is 0.5 s.

The synthetic graph: package ``pNNNN`` has 3 to 10 versions and each version 0 to 5 dependencies
with ``^``/``~`` ranges on lower-numbered packages (seeded, so every run builds the same graph).
One version of every package is "planted" and every range admits the planted version of its target,
so a solution exists; versions newer than the planted one in a higher major require ranges chosen
at random, which need not fit, so the resolver meets real conflicts on the way. The root asks
either for the packages nothing else depends on (about half the graph ends up resolved) or for
all 2,000, where every package's versions are weighed.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from common import median_seconds  # noqa: E402

from agentpack.core.resolver import Candidate, resolve  # noqa: E402
from agentpack.core.versions import parse_version  # noqa: E402

Index = dict[str, dict[str, dict[str, str]]]


class TableSource:
    """A candidate source over ``{name: {version: {dependency: range}}}``."""

    def __init__(self, index: Index) -> None:
        self._candidates = {
            name: [Candidate(name, parse_version(v), deps) for v, deps in versions.items()]
            for name, versions in index.items()
        }

    def candidates(self, name: str) -> list[Candidate]:
        return self._candidates.get(name, [])


def _range_admitting(rng: random.Random, versions: list[tuple[int, int, int]], target) -> str:
    """A ``^`` or ``~`` range on some version at or below ``target`` that still admits ``target``."""
    major, minor, patch = target
    if rng.random() < 0.7:  # caret: same major (0.x: same minor; 0.0.x: exactly that version)
        lows = [v for v in versions if v <= target and v[0] == major and (major or v[1] == minor)]
        lows = lows if (major or minor) else [target]
        op = "^"
    else:  # tilde: same major and minor
        lows = [v for v in versions if v <= target and v[:2] == (major, minor)]
        op = "~"
    low = rng.choice(lows)
    return f"{op}{low[0]}.{low[1]}.{low[2]}"


def synthetic_index(size: int = 2000, seed: int = 20240601) -> tuple[Index, dict[str, str]]:
    """The seeded synthetic graph described in the module docstring, and a root requiring its tops."""
    rng = random.Random(seed)
    index: Index = {}
    triples: dict[str, list[tuple[int, int, int]]] = {}
    planted: dict[str, tuple[int, int, int]] = {}
    required: set[str] = set()
    for number in range(size):
        name = f"p{number:04d}"
        found: set[tuple[int, int, int]] = set()
        while len(found) < rng.randint(3, 10):
            found.add((rng.randint(0, 3), rng.randint(0, 6), rng.randint(0, 6)))
        triples[name] = sorted(found)
        planted[name] = rng.choice(triples[name])
        index[name] = {}
        for version in triples[name]:
            deps: dict[str, str] = {}
            for _ in range(rng.randint(0, 5) if number else 0):
                dep = f"p{rng.randrange(number):04d}"
                wild = version[0] > planted[name][0] and rng.random() < 0.5
                target = rng.choice(triples[dep]) if wild else planted[dep]
                deps[dep] = _range_admitting(rng, triples[dep], target)
                required.add(dep)
            index[name][".".join(map(str, version))] = deps
    root = {name: "*" for name in index if name not in required}
    return index, root


def backtracking_index(width: int = 50, arms: int = 3) -> tuple[Index, dict[str, str]]:
    """Graphs where the highest choices fail and only old versions work, found only by backtracking.

    ``wide`` has ``width`` versions whose dependencies conflict with ``sibling``'s except on the
    oldest. Then ``arms`` chains ``top-N -> mid-N -> bottom``: each arm's version ``1.m.0`` needs a
    band of ``bottom`` majors of its own, the bands being disjoint except that every ``1.0.0`` needs
    ``bottom@^1``; so every newer combination fails two levels down, and a chronological search
    would try ``width ** arms`` of them.
    """
    index: Index = {"wide": {}, "sibling": {"1.0.0": {"shared": "^1.0.0"}}, "shared": {}, "bottom": {}}
    for major in range(1, width + 1):
        index["shared"][f"{major}.0.0"] = {}
        index["wide"][f"{major}.0.0"] = {"shared": f"^{major}.0.0"}
    for major in range(1, arms * width + 1):
        index["bottom"][f"{major}.0.0"] = {}
    root = {"wide": "*", "sibling": "*"}
    for arm in range(arms):
        top, mid = f"top-{arm}", f"mid-{arm}"
        index[top], index[mid] = {}, {}
        for minor in range(width):
            band = 1 + arm * width + minor if minor else 1
            index[top][f"1.{minor}.0"] = {mid: f"~1.{minor}.0"}
            index[mid][f"1.{minor}.0"] = {"bottom": f"^{band}.0.0"}
        root[top] = "*"
    return index, root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    reference = median_seconds(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.runs)
    print(
        f"reference ({Path(sys.executable).name} -c pass): median {reference * 1000:.1f} ms over {args.runs} runs"
    )
    graph, tops = synthetic_index()
    for label, (index, root) in [
        ("synthetic graph, root asks for its top-level packages", (graph, tops)),
        ("synthetic graph, root asks for all 2,000 packages", (graph, dict.fromkeys(graph, "*"))),
        ("forced backtracking (50 versions; 3 arms x 50)", backtracking_index()),
    ]:
        source = TableSource(index)
        start = time.perf_counter()
        result = resolve(root, source)
        first = time.perf_counter() - start
        elapsed = median_seconds(lambda: resolve(root, source), args.runs)  # noqa: B023
        print(
            f"{label}: {len(result.packages)} packages resolved; first run {first * 1000:.1f} ms, "
            f"median {elapsed * 1000:.1f} ms over {args.runs} runs, {elapsed / reference:.2f}x the reference"
        )


if __name__ == "__main__":
    main()
