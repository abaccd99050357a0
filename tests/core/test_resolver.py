"""Tests for the resolver: scenario files, a brute-force property test, and the API's promises.

Each ``tests/data/resolver/*.yaml`` scenario holds an ``index`` ({name: {version: {dep: range}}}),
a ``request`` ({name: range}), optional ``overrides``, ``preferred``, ``locked`` ({name: version}: the
lock's pins, preferred or not) and ``yanked`` ({name: [version, ...]}), and either ``expected``
({name: version}, the whole resolution) or ``conflict`` (texts that must appear in the error's
message or causes); ``dependents`` ({name: [requirer, ...]}) is optional.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agentpack.core.resolver import Candidate, Resolution, resolve
from agentpack.core.versions import parse_range, parse_version
from agentpack.errors import InvalidRange, ResolutionImpossible

SCENARIOS = sorted((Path(__file__).parent.parent / "data" / "resolver").glob("*.yaml"))
SCENARIO_KEYS = {"index", "request", "overrides", "preferred", "locked", "yanked", "expected", "conflict",
                 "dependents"}


class TableSource:
    """A candidate source over ``{name: {version: {dep: range}}}`` (``yanked``: {name: [version]}),
    counting look-ups."""

    def __init__(self, index: dict, shuffle_seed: int | None = None, yanked: dict | None = None) -> None:
        self.index = index
        self.shuffle_seed = shuffle_seed
        self.yanked = {name: {str(v) for v in versions} for name, versions in (yanked or {}).items()}
        self.calls: list[str] = []

    def candidates(self, name: str) -> list[Candidate]:
        self.calls.append(name)
        found = [
            Candidate(name, parse_version(str(version)), dict(deps or {}),
                      yanked=str(version) in self.yanked.get(name, ()))
            for version, deps in (self.index.get(name) or {}).items()
        ]
        if self.shuffle_seed is not None:
            random.Random(self.shuffle_seed).shuffle(found)
        return found


def versions_of(resolution: Resolution) -> dict[str, str]:
    return {name: str(candidate.version) for name, candidate in resolution.packages.items()}


def assert_consistent(resolution: Resolution, request: dict, overrides: dict) -> None:
    """Every requirement edge is met, and the packages are exactly what the root reaches."""
    assert resolution.requirements[""] == {n: overrides.get(n, r) for n, r in request.items()}
    for requirer, deps in resolution.requirements.items():
        if requirer:
            declared = resolution.packages[requirer].dependencies
            assert deps == {n: overrides.get(n, r) for n, r in declared.items()}
        for dep, text in deps.items():
            assert dep in resolution.packages, f"{requirer or '(root)'} requires missing {dep}"
            assert parse_range(text).allows(resolution.packages[dep].version), (requirer, dep, text)
    assert set(resolution.requirements) == {"", *resolution.packages}
    assert list(resolution.packages) == sorted(resolution.packages)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path: Path) -> None:
    scenario = yaml.safe_load(path.read_text())
    assert set(scenario) <= SCENARIO_KEYS and ("expected" in scenario) != ("conflict" in scenario)
    request, overrides = scenario["request"] or {}, scenario.get("overrides") or {}
    preferred = {n: parse_version(str(v)) for n, v in (scenario.get("preferred") or {}).items()}
    locked = {n: parse_version(str(v)) for n, v in (scenario.get("locked") or {}).items()}
    source = TableSource(scenario["index"], yanked=scenario.get("yanked"))
    if "conflict" in scenario:
        with pytest.raises(ResolutionImpossible) as caught:
            resolve(request, source, overrides=overrides, preferred=preferred, locked=locked)
        report = "\n".join([caught.value.message, *map(str, caught.value.causes)])
        for text in scenario["conflict"]:
            assert text in report, f"{text!r} not in:\n{report}"
        return
    resolution = resolve(request, source, overrides=overrides, preferred=preferred, locked=locked)
    assert versions_of(resolution) == {n: str(v) for n, v in scenario["expected"].items()}
    assert_consistent(resolution, request, overrides)
    for name, requirers in (scenario.get("dependents") or {}).items():
        assert resolution.dependents(name) == requirers


def test_there_are_enough_scenarios() -> None:
    assert len(SCENARIOS) >= 25


# -- the API's promises ---------------------------------------------------------------------------

INDEX = {
    "app": {"1.0.0": {"lib": "^1.0.0"}, "1.1.0": {"lib": "^1.1.0", "util": "~2.0.0"}},
    "lib": {"1.0.0": {}, "1.1.0": {"util": "^2.0.0"}, "1.2.0": {"util": "^2.0.0"}},
    "util": {"2.0.0": {}, "2.0.3": {}, "2.1.0": {}},
}


def test_same_answer_whatever_order_the_source_lists_candidates() -> None:
    expected = resolve({"app": "*"}, TableSource(INDEX))
    for seed in range(5):
        assert resolve({"app": "*"}, TableSource(INDEX, shuffle_seed=seed)) == expected
    assert versions_of(expected) == {"app": "1.1.0", "lib": "1.2.0", "util": "2.0.3"}


def test_resolution_records_effective_edges_and_dependents() -> None:
    resolution = resolve({"app": "*"}, TableSource(INDEX), overrides={"util": "2.0.0"})
    assert resolution.requirements == {
        "": {"app": "*"},
        "app": {"lib": "^1.1.0", "util": "2.0.0"},
        "lib": {"util": "2.0.0"},
        "util": {},
    }
    assert resolution.dependents("util") == ["app", "lib"]
    assert resolution.dependents("app") == [""]
    assert resolution.dependents("nowhere") == []


def test_each_package_is_looked_up_once() -> None:
    source = TableSource(INDEX)
    resolve({"app": "*"}, source)
    assert sorted(source.calls) == sorted(set(source.calls))


def test_invalid_ranges_written_by_the_user_raise_invalid_range() -> None:
    with pytest.raises(InvalidRange):
        resolve({"app": "^^1"}, TableSource(INDEX))
    with pytest.raises(InvalidRange):
        resolve({"app": "*"}, TableSource(INDEX), overrides={"lib": "nope"})


def test_conflict_error_is_structured() -> None:
    index = {
        "a": {"1.0.0": {"c": "^1.0.0"}},
        "b": {"1.0.0": {"c": "^2.0.0"}},
        "c": {"1.0.0": {}, "2.0.0": {}},
    }
    with pytest.raises(ResolutionImpossible) as caught:
        resolve({"a": "*", "b": "*"}, TableSource(index))
    error = caught.value
    assert error.message.startswith("cannot resolve c:")
    assert error.causes[:2] == ["(root) -> a@1.0.0 -> c@^1.0.0", "(root) -> b@1.0.0 -> c@^2.0.0"]
    assert error.to_dict()["error"] == "resolution-impossible" and error.hint


def test_forced_backtracking_across_many_arms_terminates() -> None:
    # Four arms of 40 versions that agree only on their oldest: 40 ** 4 combinations for a
    # chronological search, linear work with learnt incompatibilities.
    index: dict = {"bottom": {f"{m}.0.0": {} for m in range(1, 161)}}
    for arm in range(4):
        index[f"top-{arm}"] = {f"1.{m}.0": {f"mid-{arm}": f"~1.{m}.0"} for m in range(40)}
        index[f"mid-{arm}"] = {
            f"1.{m}.0": {"bottom": f"^{1 + arm * 40 + m if m else 1}.0.0"} for m in range(40)
        }
    resolution = resolve({f"top-{arm}": "*" for arm in range(4)}, TableSource(index))
    assert set(versions_of(resolution).values()) == {"1.0.0"}


# -- property: agrees with brute force on small random indexes ------------------------------------

NAMES = ["a", "b", "c", "d"]
VERSIONS = ["0.1.0", "0.1.4", "1.0.0-beta.1", "1.0.0", "1.2.0", "2.0.0"]
RANGES = ["*", "^1.0.0", "~1.2.0", ">=1.0.0", "<1.2.0", "^0.1.0", "2.0.0", "^1.0.0-beta.1", "1.x", "??"]


@st.composite
def small_problems(draw):
    index = {}
    for name in draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True)):
        versions = draw(st.lists(st.sampled_from(VERSIONS), min_size=1, max_size=3, unique=True))
        deps = st.dictionaries(st.sampled_from(NAMES), st.sampled_from(RANGES), max_size=2)
        index[name] = {v: draw(deps) for v in versions}
    valid = [r for r in RANGES if r != "??"]
    request = draw(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(valid), min_size=1, max_size=3))
    overrides = draw(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(valid), max_size=1))
    preferred = draw(st.dictionaries(st.sampled_from(NAMES), st.sampled_from(VERSIONS), max_size=2))
    return index, request, overrides, {n: parse_version(v) for n, v in preferred.items()}


def _allows(text: str, version: str) -> bool:
    try:
        return parse_range(text).allows(parse_version(version))
    except InvalidRange:
        return False


def brute_force(index: dict, request: dict, overrides: dict) -> dict | None:
    """Some assignment (version or absent per package) meeting every requirement, if any."""
    names = sorted(set(index) | set(request))
    options = [[None, *index.get(name, {})] for name in names]
    for choice in itertools.product(*options):
        chosen = {n: v for n, v in zip(names, choice, strict=True) if v is not None}
        edges = [(n, overrides.get(n, r)) for n, r in request.items()]
        for name, version in chosen.items():
            edges += [(d, overrides.get(d, r)) for d, r in index[name][version].items()]
        if all(d in chosen and _allows(r, chosen[d]) for d, r in edges):
            return chosen
    return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_agrees_with_brute_force(problem) -> None:
    index, request, overrides, preferred = problem
    try:
        resolution = resolve(request, TableSource(index), overrides=overrides, preferred=preferred)
    except ResolutionImpossible as error:
        assert brute_force(index, request, overrides) is None, error.message
        assert error.causes
        return
    assert_consistent(resolution, request, overrides)
    shuffled = TableSource(index, shuffle_seed=1)
    assert resolve(request, shuffled, overrides=overrides, preferred=preferred) == resolution


class NamedSource(TableSource):
    """A table source that also lists its names, as registries do for suggestions."""

    def names(self) -> list[str]:
        return sorted(self.index)


HINT_INDEX = {"customer-service": {"1.2.0": {}, "1.3.0-rc.1": {}}, "core-workflow": {"2.1.0": {}},
              "app": {"1.0.0": {"core-workflow": "^3"}}, "lib": {"1.0.0": {}, "2.0.0": {}},
              "uses-lib": {"1.0.0": {"lib": "^2"}}}


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ({"custmer-service": "*"}, ["did you mean customer-service?", "agentops package search"]),
        ({"customer-service": "^9"}, ["published versions: 1.2.0, 1.3.0-rc.1", "customer-service@^1.2.0",
                                      "customer-service@latest"]),
        ({"app": "*"}, ["published versions: 2.1.0", "publish a version in that range"]),
        ({"uses-lib": "*", "lib": "^1"}, ["relax one of the ranges"]),
    ],
)
def test_hint_says_what_to_change(request_, words):
    with pytest.raises(ResolutionImpossible) as caught:
        resolve(request_, NamedSource(HINT_INDEX))
    for word in words:
        assert word in caught.value.hint
    if "custmer-service" in request_:  # a source without names() still gets a hint
        with pytest.raises(ResolutionImpossible) as caught:
            resolve(request_, TableSource(HINT_INDEX))
        assert caught.value.hint.startswith("check the name")


# -- yanked versions ------------------------------------------------------------------------------


@pytest.mark.parametrize(("request_text", "yanked", "hint"), [
    ("^1.0.0", ["1.0.0", "1.1.0"], "lib@1.1.0 is yanked, and yanked versions are skipped: ask for another version, "
                          "or for that one exactly (lib@=1.1.0) to use it knowingly"),
    ("^2.0.0", ["0.9.0", "1.0.0", "1.1.0"], "every published version of lib is yanked; ask for one exactly "
                                            "(lib@=1.1.0) to use it knowingly"),
    ("^2.0.0", ["1.1.0"], "published versions: 0.9.0, 1.0.0; ask for one of them"),
])
def test_a_failure_over_yanked_versions_says_how_to_ask_for_one_knowingly(request_text, yanked, hint):
    index = {"lib": {"0.9.0": {}, "1.0.0": {}, "1.1.0": {}}}
    with pytest.raises(ResolutionImpossible) as caught:
        resolve({"lib": request_text}, TableSource(index, yanked={"lib": yanked}))
    assert caught.value.hint.startswith(hint), caught.value.hint
    assert f"yanked: {', '.join(yanked)})" in caught.value.message


def test_yanked_versions_of_a_package_nothing_requires_cost_nothing():
    source = TableSource({"lib": {"1.0.0": {}}, "other": {"1.0.0": {}}}, yanked={"other": ["1.0.0"]})
    assert versions_of(resolve({"lib": "*"}, source)) == {"lib": "1.0.0"}
    assert source.calls == ["lib"]


@st.composite
def problems_with_yanks(draw):
    index, request, overrides, _preferred = draw(small_problems())
    published = [(n, v) for n, versions in index.items() for v in versions]
    yanked = draw(st.lists(st.sampled_from(published), max_size=4, unique=True))
    locked = draw(st.lists(st.sampled_from(published), max_size=2, unique_by=lambda pair: pair[0]))
    return index, request, overrides, yanked, dict(locked)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems_with_yanks())
def test_yanked_versions_are_used_exactly_when_accepted(problem) -> None:
    """Brute force over the versions left once the yanked ones nobody accepts are struck out: the
    resolver finds a solution exactly when there is one, and never uses a version struck out."""
    index, request, overrides, yanked, locked = problem
    exact = {n: str(parse_range(overrides.get(n, r)).exact()) for n, r in [*request.items(), *overrides.items()]}
    struck = {(n, v) for n, v in yanked if locked.get(n) != v and exact.get(n) != str(parse_version(v))}
    usable = {n: {v: deps for v, deps in versions.items() if (n, v) not in struck} for n, versions in index.items()}
    source = TableSource(index, yanked={n: [v for m, v in yanked if m == n] for n in index})
    try:
        resolution = resolve(request, source, overrides=overrides,
                             locked={n: parse_version(v) for n, v in locked.items()})
    except ResolutionImpossible as error:
        assert brute_force(usable, request, overrides) is None, error.message
        return
    assert_consistent(resolution, request, overrides)
    assert not {(n, str(c.version)) for n, c in resolution.packages.items()} & struck
