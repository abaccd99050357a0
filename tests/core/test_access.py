"""core.access.decide over its whole matrix: role x team scope x visibility x classification x
action, as one data table, plus properties that must hold in every cell of the full product."""

from __future__ import annotations

import itertools

import pytest

from agentpack.core.access import ACTIONS, Caller, Team, decide, team_of
from agentpack.core.classification import Levels

LEVELS = Levels()  # unclassified < cui < secret < top-secret

CALLERS = {
    "anon": Caller(),
    "read@alpha": Caller("read", frozenset({"alpha"}), "secret"),
    "publish@alpha": Caller("publish", frozenset({"alpha"}), "secret"),
    "publish@alpha/low": Caller("publish", frozenset({"alpha"}), "unclassified"),
    "admin@alpha": Caller("admin", frozenset({"alpha"}), "secret"),
    "publish@beta": Caller("publish", frozenset({"beta"}), "top-secret"),
    "publish@pub": Caller("publish", frozenset({"pub"}), "cui"),
    "admin@*": Caller("admin", frozenset({"*"}), "top-secret"),
}
TEAMS = {
    "pub": Team("pub", private=False, level="cui"),  # a public team holding up to cui
    "alpha": Team("alpha", private=True, level="secret"),  # a private team holding up to secret
    "gone": Team("gone", exists=False),
}
U, C, S, T = "unclassified", "cui", "secret", "top-secret"

# caller, action, team, package level, expected status
MATRIX = [
    # reading a public team: anyone, up to their clearance (anonymous: the lowest level)
    ("anon", "read", "pub", U, 200),
    ("anon", "read", "pub", C, 404),  # no read up, and no leak: 404
    ("read@alpha", "read", "pub", C, 200),
    ("publish@beta", "read", "pub", C, 200),
    ("publish@alpha/low", "read", "pub", C, 404),
    # reading a private team: only tokens scoped to it, within clearance
    ("anon", "read", "alpha", U, 404),
    ("publish@beta", "read", "alpha", U, 404),
    ("publish@pub", "read", "alpha", U, 404),
    ("read@alpha", "read", "alpha", S, 200),
    ("read@alpha", "read", "alpha", T, 404),
    ("publish@alpha/low", "read", "alpha", C, 404),
    ("admin@*", "read", "alpha", T, 200),
    # a team that does not exist
    ("anon", "read", "gone", None, 404),
    ("admin@*", "read", "gone", None, 404),
    ("admin@*", "publish", "gone", U, 404),
    # publishing to a public team
    ("anon", "publish", "pub", U, 401),
    ("read@alpha", "publish", "pub", U, 403),  # visible, but the token is not scoped to it
    ("publish@alpha", "publish", "pub", U, 403),
    ("publish@pub", "publish", "pub", U, 200),
    ("publish@pub", "publish", "pub", C, 200),
    ("publish@pub", "publish", "pub", S, 403),  # no write down: above the team's level
    ("admin@*", "publish", "pub", C, 200),
    # publishing to a private team: outsiders see nothing
    ("anon", "publish", "alpha", U, 404),
    ("publish@beta", "publish", "alpha", U, 404),
    ("read@alpha", "publish", "alpha", U, 403),  # "token lacks publish on alpha"
    ("publish@alpha", "publish", "alpha", S, 200),
    ("publish@alpha", "publish", "alpha", T, 403),  # above the team's level
    ("publish@alpha/low", "publish", "alpha", C, 403),  # above the token's clearance
    ("admin@alpha", "publish", "alpha", U, 200),
    # unknown levels count as above everything
    ("admin@*", "publish", "pub", "cosmic", 403),
    ("admin@*", "read", "pub", "cosmic", 404),
    # yank / deprecate
    ("anon", "mark", "pub", U, 401),
    ("read@alpha", "mark", "alpha", U, 403),
    ("publish@alpha", "mark", "alpha", S, 200),
    ("publish@alpha", "mark", "alpha", T, 404),  # cannot see it, cannot mark it
    ("publish@beta", "mark", "alpha", U, 404),
    ("publish@beta", "mark", "pub", U, 403),
    ("publish@pub", "mark", "pub", U, 200),
    # team administration (tokens for a team)
    ("anon", "admin", "alpha", None, 404),
    ("anon", "admin", "pub", None, 401),
    ("publish@alpha", "admin", "alpha", None, 403),
    ("admin@alpha", "admin", "alpha", None, 200),
    ("admin@alpha", "admin", "pub", None, 403),
    ("admin@*", "admin", "alpha", None, 200),
    # creating a team
    ("anon", "create-team", "gone", None, 401),
    ("admin@alpha", "create-team", "gone", None, 403),
    ("publish@beta", "create-team", "gone", None, 403),
    ("admin@*", "create-team", "gone", None, 200),
]


@pytest.mark.parametrize(("caller", "action", "team", "level", "expected"), MATRIX,
                         ids=[f"{c}-{a}-{t}-{lv}" for c, a, t, lv, _ in MATRIX])
def test_matrix(caller, action, team, level, expected):
    decision = decide(LEVELS, CALLERS[caller], action, TEAMS[team], level)
    assert decision.status == expected, decision.reason
    assert decision.allowed == (expected == 200)
    if expected in (401, 403):
        assert decision.reason


def test_a_role_too_low_is_named_with_the_team():
    decision = decide(LEVELS, CALLERS["read@alpha"], "publish", TEAMS["alpha"], U)
    assert decision.reason == "token lacks publish on alpha"


FULL = list(itertools.product(CALLERS, ACTIONS, TEAMS, (None, U, C, S, T)))


@pytest.mark.parametrize(("caller", "action", "team", "level"), FULL)
def test_properties_of_every_cell(caller, action, team, level):
    who, where = CALLERS[caller], TEAMS[team]
    status = decide(LEVELS, who, action, where, level).status
    assert status in (200, 401, 403, 404)
    hidden = action != "create-team" and (not where.exists or (where.private and not who.scoped_to(where.name)))
    if hidden:
        assert status == 404  # a private team's existence never leaks
    if who.role is None and action != "read" and not hidden:
        above = action in ("mark", "admin") and level not in (None, U)  # what it cannot see is absent
        assert status == (404 if above else 401)
    if who.role is None and action == "read" and not hidden:
        assert status == (200 if level in (None, U) else 404)
    if status == 200 and action in ("publish", "mark"):
        assert who.role in ("publish", "admin") and who.scoped_to(where.name)
    if status == 200 and action == "publish":
        assert not LEVELS.above(level, where.level)


def test_unscoped_names_belong_to_the_public_team():
    assert team_of("triage") == "public"
    assert team_of("team-alpha/triage") == "team-alpha"


def test_unknown_actions_and_roles_are_programming_errors():
    with pytest.raises(ValueError):
        decide(LEVELS, Caller(), "delete", TEAMS["pub"])
    with pytest.raises(ValueError):
        decide(LEVELS, Caller("owner", frozenset({"pub"})), "read", TEAMS["pub"])
