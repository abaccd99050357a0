"""core.registry_routes: which registry answers for a package name. Data tables."""

from __future__ import annotations

import pytest

from agentpack.adapters.yamlio import load_yaml
from agentpack.core.registry_routes import (
    RegistryRoutes,
    RegistrySlot,
    choose_answer,
    routing_from,
    team_of,
)
from agentpack.core.workspace_manifest import parse_workspace_manifest
from agentpack.errors import RegistryConflict, ValidationError

FALLBACK = RegistrySlot("/home/u/.local/share/agentpack/registry", "/cwd", "the embedded default registry")


def _manifest(text: str):
    data, lines = load_yaml(text, source="agentops.yaml")
    return parse_workspace_manifest(data, lines, source="agentops.yaml")


# -- agentops.yaml `registries` -------------------------------------------------------------------

PARSED = [
    # agentops.yaml text, the routes it gives
    ("packages: {}\n", RegistryRoutes()),
    ("registries: []\n", RegistryRoutes()),
    ("registries: {}\n", RegistryRoutes()),
    ("registries: ./registry\n", RegistryRoutes(listed=("./registry",))),
    ("registries:\n  - ./registry\n  - file:///srv/mirror\n", RegistryRoutes(listed=("./registry", "file:///srv/mirror"))),
    ("registries:\n  default: ./registry\n", RegistryRoutes(default="./registry", routed=True)),
    ("registries:\n  default: ./registry\n  teams:\n    team-alpha: /srv/alpha\n    b2: file:///srv/b2\n",
     RegistryRoutes(default="./registry", teams={"team-alpha": "/srv/alpha", "b2": "file:///srv/b2"}, routed=True)),
    ("registries:\n  teams:\n    team-alpha: /srv/alpha\n",
     RegistryRoutes(teams={"team-alpha": "/srv/alpha"}, routed=True)),
    ("registries:\n  default: ./registry\n  teams: {}\n", RegistryRoutes(default="./registry", routed=True)),
]


@pytest.mark.parametrize(("text", "routes"), PARSED)
def test_registries_are_parsed_in_both_forms(text, routes):
    assert _manifest(text).registries == routes


REFUSED = [
    # agentops.yaml text, (line, words in the message) of every problem
    ("registries:\n  default: ./r\n  temas:\n    a: ./a\n",
     [(3, "unknown key 'temas' (did you mean teams?)")]),
    ("registries:\n  default: ./r\n  fallback: ./f\n", [(3, "unknown key 'fallback'")]),
    ("registries:\n  teams:\n    Team_Alpha: ./a\n",
     [(3, "invalid team name 'Team_Alpha': it contains uppercase letters; try 'team-alpha'")]),
    ("registries:\n  teams:\n    team/alpha: ./a\n", [(3, "one namespace level")]),
    ("registries:\n  teams:\n    nul: ./a\n", [(3, "device name on Windows")]),
    ("registries:\n  teams:\n    -alpha: ./a\n", [(3, "starts or ends with '-'")]),
    ("registries:\n  teams:\n    " + "t" * 63 + ": ./a\n", [(3, "at most 62")]),
    ("registries:\n  teams:\n    7: ./a\n", [(3, "must be a string")]),
    ("registries:\n  teams:\n    team-alpha: ''\n", [(3, "registries.teams.team-alpha must be a registry path")]),
    ("registries:\n  teams:\n    team-alpha: [./a, ./b]\n", [(3, "registries.teams.team-alpha must be")]),
    ("registries:\n  default: 3\n", [(2, "registries.default must be a registry path or URL")]),
    ("registries:\n  default: [./a]\n", [(2, "registries.default must be")]),
    ("registries:\n  teams: [team-alpha]\n", [(2, "registries.teams must map team names")]),
    ("registries:\n  - ./a\n  - 3\n", [(1, "must be a list of registry paths or URLs, or the mapping")]),
    ("registries:\n  - ./a\n  - ' '\n", [(1, "must be a list")]),
    ("registries: 3\n", [(1, "must be a list")]),
    ("registries:\n  default: ./r\n  extra: 1\n  teams:\n    Bad: ./b\n    good: ''\n",
     [(3, "unknown key 'extra'"), (5, "invalid team name 'Bad'"), (6, "registries.teams.good must be")]),
]


@pytest.mark.parametrize(("text", "expected"), REFUSED)
def test_a_bad_registries_entry_is_reported_with_its_line(text, expected):
    with pytest.raises(ValidationError) as caught:
        _manifest(text)
    problems = caught.value.problems
    assert [(p.path, p.line) for p in problems] == [("agentops.yaml", line) for line, _ in expected]
    for problem, (_line, words) in zip(problems, expected, strict=True):
        assert words in problem.message, problem.message


# -- which registry answers -----------------------------------------------------------------------

ROUTED = RegistryRoutes(default="./registry", teams={"team-alpha": "/srv/alpha", "team-beta": "/srv/beta"},
                        routed=True)
LISTED = RegistryRoutes(listed=("./registry", "/srv/mirror"))
TEAMS_ONLY = RegistryRoutes(teams={"team-alpha": "/srv/alpha"}, routed=True)

ROUTES = [
    # routes, package name, the locations that may answer for it
    (ROUTED, "customer-service", ["./registry"]),
    (ROUTED, "team-alpha/triage", ["/srv/alpha"]),
    (ROUTED, "team-beta/triage", ["/srv/beta"]),
    (ROUTED, "team-gamma/triage", ["./registry"]),  # an unlisted team goes to the default
    (ROUTED, "team-alpha", ["./registry"]),  # unscoped, though it is spelt like a team
    (TEAMS_ONLY, "customer-service", [FALLBACK.location]),
    (TEAMS_ONLY, "team-alpha/triage", ["/srv/alpha"]),
    (LISTED, "customer-service", ["./registry", "/srv/mirror"]),
    (LISTED, "team-alpha/triage", ["./registry", "/srv/mirror"]),
    (RegistryRoutes(), "customer-service", [FALLBACK.location]),
    (RegistryRoutes(), "team-alpha/triage", [FALLBACK.location]),
]


@pytest.mark.parametrize(("routes", "name", "locations"), ROUTES)
def test_each_name_is_answered_by_the_registries_routed_for_it(routes, name, locations):
    routing = routing_from(routes, "/ws", lambda: FALLBACK)
    assert [slot.location for slot in routing.for_name(name)] == locations


def test_locations_of_the_file_are_relative_to_the_workspace_and_say_why_they_are_there():
    routing = routing_from(ROUTED, "/ws", lambda: FALLBACK)
    assert routing.for_name("team-alpha/x") == (RegistrySlot("/srv/alpha", "/ws", "team team-alpha"),)
    assert routing.for_name("x") == (RegistrySlot("./registry", "/ws", "default"),)
    assert [slot.location for slot in routing.registries()] == ["./registry", "/srv/alpha", "/srv/beta"]
    listed = routing_from(LISTED, "/ws", lambda: FALLBACK)
    assert [slot.why for slot in listed.registries()] == ["registries[0]", "registries[1]"]


def test_the_fallback_is_looked_up_only_when_it_is_needed():
    def fallback():
        raise AssertionError("the default registry was looked up")

    routing_from(ROUTED, "/ws", fallback)
    routing_from(LISTED, "/ws", fallback)


def test_every_route_is_its_own_slot_even_to_one_registry():
    routes = RegistryRoutes(default="./r", teams={"b": "./b", "a": "./r"}, routed=True)
    assert [slot.why for slot in routing_from(routes, "/ws", lambda: FALLBACK).registries()] == \
        ["default", "team a", "team b"]  # the defaults first, then the teams by name


@pytest.mark.parametrize(("name", "team"), [
    ("customer-service", None), ("team-alpha/triage", "team-alpha"), ("t/x", "t"),
])
def test_the_team_of_a_name_is_its_namespace(name, team):
    assert team_of(name) == team


# -- registries of a list must agree --------------------------------------------------------------

def _versions(digests: dict[str, str]) -> dict:
    return {version: {"sha256": digest} for version, digest in digests.items()}


AGREE = [
    # what each registry holding the package lists, the position of the one that answers
    ([("a", _versions({"1.0.0": "x"}))], 0),
    ([("a", _versions({"1.0.0": "x", "1.1.0": "y"})), ("b", _versions({"1.0.0": "x", "1.1.0": "y"}))], 0),
    ([("a", _versions({"1.0.0": "x"})), ("b", _versions({"1.0.0": "x"})), ("c", _versions({"1.0.0": "x"}))], 0),
]


@pytest.mark.parametrize(("found", "position"), AGREE)
def test_registries_that_agree_answer_with_the_first(found, position):
    assert choose_answer("kit", found) == position


DISAGREE = [
    # what each registry holding the package lists, words the error must hold
    ([("./a", _versions({"1.0.0": "x"})), ("./b", _versions({"1.0.0": "x", "2.0.0": "z"}))],
     ["./a lists 1.0.0", "./b lists 1.0.0, 2.0.0"]),
    ([("./a", _versions({"1.0.0": "x", "2.0.0": "z"})), ("./b", _versions({"1.0.0": "x"}))],
     ["./a lists 1.0.0, 2.0.0", "./b lists 1.0.0"]),
    ([("./a", _versions({"1.0.0": "x"})), ("./b", _versions({"1.0.0": "y"}))],
     ["1.0.0 has another sha256 in each"]),
    ([("./a", _versions({"1.0.0": "x"})), ("./b", _versions({"1.0.0": "x"})), ("./c", _versions({"1.1.0": "y"}))],
     ["./a lists 1.0.0", "./c lists 1.1.0"]),
    ([("./a", _versions({"1.0.0": "x"})), ("./b", {})], ["./b lists no versions"]),
]


@pytest.mark.parametrize(("found", "words"), DISAGREE)
def test_registries_that_disagree_stop_the_command_naming_both(found, words):
    with pytest.raises(RegistryConflict) as caught:
        choose_answer("kit", found)
    message = caught.value.message
    assert message.startswith("kit is in two registries that disagree about it")
    for word in words:
        assert word in message, message
    assert "mapping form" in caught.value.hint
