"""Classification levels and the boundary rules (core.classification)."""

from __future__ import annotations

import pytest

from agentpack.core.classification import (
    DEFAULT_LEVELS,
    Levels,
    above_clearance,
    chain_to,
    depends_above,
    parse_levels,
)

LEVELS = Levels()


@pytest.mark.parametrize(("higher", "lower"), [
    ("cui", "unclassified"), ("secret", "cui"), ("top-secret", "secret"), ("top-secret", "unclassified"),
    ("cui", None),
])  # fmt: skip
def test_default_order(higher, lower):
    assert LEVELS.above(higher, lower)
    assert not LEVELS.above(lower, higher)
    assert not LEVELS.above(higher, higher)


def test_default_levels_and_lowest():
    assert LEVELS.names == DEFAULT_LEVELS == ("unclassified", "cui", "secret", "top-secret")
    assert LEVELS.lowest == "unclassified"


@pytest.mark.parametrize("name", ["unclassified", "cui", "secret", "top-secret"])
def test_known_level_names_pass(name):
    assert LEVELS.check(name) is None


@pytest.mark.parametrize("name", ["SECRET", "confidential", "", None, 3])
def test_unknown_level_names_are_reported_with_the_levels(name):
    message = LEVELS.check(name)
    assert message and "unclassified, cui, secret, top-secret" in message


def test_configured_levels():
    levels, message = parse_levels(["public", "internal", "restricted"])
    assert message is None and levels.lowest == "public"
    assert levels.above("restricted", "internal")
    assert levels.check("secret") is not None


@pytest.mark.parametrize("value", [[], "secret", ["a", "a"], ["a", ""], [1, 2]])
def test_bad_configured_levels(value):
    levels, message = parse_levels(value)
    assert levels is None and "classification_levels" in message


def test_absent_configuration_gives_the_default():
    assert parse_levels(None) == (Levels(), None)


GRAPH = {"app": ("lib",), "lib": ("base",), "base": (), "tool": ()}


def test_chain_to_is_shortest_from_a_root():
    assert chain_to(GRAPH, ["app", "tool"], "base") == ("app", "lib", "base")
    assert chain_to(GRAPH, ["app"], "app") == ("app",)
    assert chain_to(GRAPH, ["tool"], "base") == ("base",)  # unreachable


def test_above_clearance_names_package_level_and_chain():
    declared = {"app": "cui", "lib": None, "base": "secret"}
    [crossing] = above_clearance(LEVELS, "cui", declared, GRAPH, ["app", "tool"])
    assert (crossing.package, crossing.level, crossing.limit) == ("base", "secret", "cui")
    assert crossing.describe_chain() == "app -> lib -> base"
    assert above_clearance(LEVELS, "secret", declared, GRAPH, ["app"]) == []


def test_depends_above_finds_the_edge_that_reads_up():
    declared = {"app": "secret", "lib": "cui", "base": "secret"}
    [crossing] = depends_above(LEVELS, declared, GRAPH, ["app"])
    assert crossing.chain == ("app", "lib", "base")
    assert (crossing.package, crossing.level, crossing.limit) == ("base", "secret", "cui")


def test_depending_on_equal_or_lower_levels_is_fine():
    declared = {"app": "secret", "lib": "secret", "base": None}
    assert depends_above(LEVELS, declared, GRAPH, ["app"]) == []
