"""core.access.decide over its whole matrix: role x team scope x ownership x visibility x
classification x action, as one data table, plus properties that must hold in every cell of the
full product; and decide_token, which bounds the tokens a team's administrators manage."""

from __future__ import annotations

import itertools

import pytest

from agentpack.core.access import ACTIONS, EVERY_TEAM, ROLES, Caller, Team, decide, decide_token, team_of
from agentpack.core.classification import Levels

LEVELS = Levels()  # unclassified < cui < secret < top-secret

CALLERS = {
    "anon": Caller(),
    "read@alpha": Caller("read", frozenset({"alpha"}), "secret"),
    "publish@alpha": Caller("publish", frozenset({"alpha"}), "secret", user="bob"),  # bob owns nothing
    "publish@alpha/low": Caller("publish", frozenset({"alpha"}), "unclassified"),
    "admin@alpha": Caller("admin", frozenset({"alpha"}), "secret"),
    "publish@beta": Caller("publish", frozenset({"beta"}), "top-secret"),
    "publish@pub": Caller("publish", frozenset({"pub"}), "cui"),
    "admin@*": Caller("admin", frozenset({"*"}), "top-secret"),
    # the owner dimension: alice owns alpha, paula owns pub
    "alice:publish@alpha": Caller("publish", frozenset({"alpha"}), "secret", user="alice"),
    "alice:publish@alpha/low": Caller("publish", frozenset({"alpha"}), "unclassified", user="alice"),
    "alice:read@alpha": Caller("read", frozenset({"alpha"}), "secret", user="alice"),  # a read token stays one
    "alice:publish@beta": Caller("publish", frozenset({"beta"}), "top-secret", user="alice"),  # not scoped to alpha
    "alice:admin@alpha,pub": Caller("admin", frozenset({"alpha", "pub"}), "secret", user="alice"),
    "paula:publish@pub": Caller("publish", frozenset({"pub"}), "cui", user="paula"),
    "paula:publish@*": Caller("publish", frozenset({"*"}), "cui", user="paula"),
}
TEAMS = {
    "pub": Team("pub", private=False, level="cui", owners=frozenset({"paula"})),  # public, up to cui
    "alpha": Team("alpha", private=True, level="secret", owners=frozenset({"alice"})),  # private, up to secret
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
    # owning a team widens neither the scope nor the clearance
    ("alice:publish@beta", "read", "alpha", U, 404),
    ("alice:publish@alpha/low", "read", "alpha", C, 404),
    ("alice:read@alpha", "read", "alpha", S, 200),
    # a team that does not exist
    ("anon", "read", "gone", None, 404),
    ("admin@*", "read", "gone", None, 404),
    ("admin@*", "publish", "gone", U, 404),
    ("alice:publish@alpha", "admin", "gone", None, 404),
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
    ("alice:publish@beta", "publish", "alpha", U, 404),  # an owner through another team's token
    ("read@alpha", "publish", "alpha", U, 403),  # "token lacks publish on alpha"
    ("alice:read@alpha", "publish", "alpha", U, 403),  # owning gives no role the token lacks
    ("publish@alpha", "publish", "alpha", S, 200),
    ("publish@alpha", "publish", "alpha", T, 403),  # above the team's level
    ("publish@alpha/low", "publish", "alpha", C, 403),  # above the token's clearance
    ("alice:publish@alpha/low", "publish", "alpha", C, 403),  # also for an owner
    ("admin@alpha", "publish", "alpha", U, 200),
    # unknown levels count as above everything
    ("admin@*", "publish", "pub", "cosmic", 403),
    ("admin@*", "read", "pub", "cosmic", 404),
    # yank / deprecate: an owner (publish role or more) or an admin of the team
    ("anon", "mark", "pub", U, 401),
    ("read@alpha", "mark", "alpha", U, 403),
    ("publish@alpha", "mark", "alpha", S, 403),  # a publisher who owns nothing may not mark
    ("publish@pub", "mark", "pub", U, 403),
    ("alice:publish@alpha", "mark", "alpha", S, 200),
    ("alice:publish@alpha", "mark", "alpha", T, 404),  # cannot see it, cannot mark it
    ("alice:publish@alpha/low", "mark", "alpha", C, 404),
    ("alice:read@alpha", "mark", "alpha", U, 403),
    ("alice:publish@alpha", "mark", "pub", U, 403),  # owns alpha, not pub
    ("alice:publish@beta", "mark", "alpha", U, 404),
    ("alice:admin@alpha,pub", "mark", "pub", U, 200),  # the admin role, not ownership
    ("paula:publish@pub", "mark", "pub", C, 200),
    ("paula:publish@*", "mark", "pub", U, 200),  # scoped to every team, pub included
    ("paula:publish@*", "mark", "alpha", U, 403),  # sees alpha (scope *), owns nothing there
    ("admin@alpha", "mark", "alpha", S, 200),
    ("publish@beta", "mark", "alpha", U, 404),
    ("publish@beta", "mark", "pub", U, 403),
    ("admin@*", "mark", "alpha", T, 200),
    # team administration (owners, visibility, tokens for the team)
    ("anon", "admin", "alpha", None, 404),
    ("anon", "admin", "pub", None, 401),
    ("publish@alpha", "admin", "alpha", None, 403),
    ("alice:publish@alpha", "admin", "alpha", None, 200),
    ("alice:publish@alpha/low", "admin", "alpha", None, 200),
    ("alice:read@alpha", "admin", "alpha", None, 403),
    ("alice:publish@beta", "admin", "alpha", None, 404),
    ("alice:publish@alpha", "admin", "pub", None, 403),
    ("paula:publish@pub", "admin", "pub", None, 200),
    ("paula:publish@pub", "admin", "alpha", None, 404),
    ("admin@alpha", "admin", "alpha", None, 200),
    ("admin@alpha", "admin", "pub", None, 403),
    ("admin@*", "admin", "alpha", None, 200),
    # a team's limits (classification, quota): the registry admin only
    ("anon", "limits", "pub", None, 401),
    ("anon", "limits", "alpha", None, 404),
    ("alice:publish@alpha", "limits", "alpha", None, 403),
    ("admin@alpha", "limits", "alpha", None, 403),
    ("publish@beta", "limits", "alpha", None, 404),
    ("admin@*", "limits", "alpha", None, 200),
    ("admin@*", "limits", "gone", None, 404),
    # creating a team
    ("anon", "create-team", "gone", None, 401),
    ("admin@alpha", "create-team", "gone", None, 403),
    ("publish@beta", "create-team", "gone", None, 403),
    ("alice:admin@alpha,pub", "create-team", "gone", None, 403),
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


def test_a_publisher_who_owns_nothing_is_told_what_marking_needs():
    reason = decide(LEVELS, CALLERS["publish@alpha"], "mark", TEAMS["alpha"], U).reason
    assert reason.startswith("token lacks admin on alpha, and is not held by an owner of alpha")


FULL = list(itertools.product(CALLERS, ACTIONS, TEAMS, (None, U, C, S, T)))


def _owner(who: Caller, where: Team) -> bool:
    return who.user in where.owners and who.scoped_to(where.name) and who.role in ("publish", "admin")


@pytest.mark.parametrize(("caller", "action", "team", "level"), FULL)
def test_properties_of_every_cell(caller, action, team, level):
    who, where = CALLERS[caller], TEAMS[team]
    status = decide(LEVELS, who, action, where, level).status
    assert status in (200, 401, 403, 404)
    hidden = action != "create-team" and (not where.exists or (where.private and not who.scoped_to(where.name)))
    if hidden:
        assert status == 404  # a private team's existence never leaks
    above = action != "publish" and LEVELS.above(level, who.clearance)
    if not hidden and above and action != "create-team":
        assert status == 404  # what it cannot read is absent, for marking and administering too
    if who.role is None and action != "read" and not hidden:
        assert status == (404 if above and action != "create-team" else 401)
    if who.role is None and action == "read" and not hidden:
        assert status == (200 if level in (None, U) else 404)
    if status == 200 and action == "publish":
        assert who.role in ("publish", "admin") and who.scoped_to(where.name)
        assert not LEVELS.above(level, where.level) and not LEVELS.above(level, who.clearance)
    if status == 200 and action in ("mark", "admin"):
        # every allowed cell is an admin of the team or an owner; every other caller is denied
        assert who.scoped_to(where.name) and (who.role == "admin" or _owner(who, where))
    if action in ("mark", "admin") and not hidden and not above and who.role is not None:
        assert status == (200 if who.role == "admin" and who.scoped_to(where.name) or _owner(who, where) else 403)
    if status == 200 and action in ("limits", "create-team"):
        assert who.registry_admin
    if action == "limits" and not hidden and who.role is not None and not above:
        assert status == (200 if who.registry_admin else 403)


# caller, team, role of the token managed, its clearance (None: revoking), expected status
TOKENS = [
    ("admin@*", "*", "admin", T, 200),
    ("admin@alpha", "*", "read", None, 403),  # tokens for every team are the registry admin's
    ("anon", "*", "read", None, 401),
    ("alice:publish@alpha", "*", "read", None, 403),
    ("alice:publish@alpha", "alpha", "publish", S, 200),
    ("alice:publish@alpha", "alpha", "read", C, 200),
    ("alice:publish@alpha", "alpha", "read", None, 200),
    ("alice:publish@alpha", "alpha", "admin", None, 403),  # no role above its own
    ("alice:publish@alpha", "alpha", "read", T, 403),  # no clearance above its own
    ("alice:publish@alpha/low", "alpha", "read", C, 403),
    ("alice:publish@alpha", "pub", "read", U, 403),  # owns alpha, not pub
    ("alice:publish@beta", "alpha", "read", U, 404),  # cannot see alpha through a beta token
    ("alice:read@alpha", "alpha", "read", U, 403),
    ("publish@alpha", "alpha", "read", U, 403),  # a publisher who owns nothing
    ("paula:publish@pub", "pub", "publish", C, 200),
    ("paula:publish@pub", "pub", "publish", S, 403),
    ("admin@alpha", "alpha", "admin", S, 200),
    ("admin@alpha", "alpha", "admin", T, 403),
    ("admin@*", "alpha", "admin", T, 200),
    ("anon", "pub", "read", None, 401),
    ("anon", "alpha", "read", None, 404),
    ("admin@*", "gone", "read", None, 404),
]


@pytest.mark.parametrize(("caller", "team", "role", "clearance", "expected"), TOKENS,
                         ids=[f"{c}-{t}-{r}-{cl}" for c, t, r, cl, _ in TOKENS])
def test_who_manages_which_tokens(caller, team, role, clearance, expected):
    where = EVERY_TEAM if team == "*" else TEAMS[team]
    decision = decide_token(LEVELS, CALLERS[caller], where, role, clearance)
    assert decision.status == expected, decision.reason


@pytest.mark.parametrize(("caller", "team", "role", "clearance"),
                         list(itertools.product(CALLERS, [*TEAMS, "*"], ROLES, (None, U, C, S, T))))
def test_no_token_manages_a_token_beyond_itself(caller, team, role, clearance):
    who = CALLERS[caller]
    where = EVERY_TEAM if team == "*" else TEAMS[team]
    decision = decide_token(LEVELS, who, where, role, clearance)
    if decision.allowed and not who.registry_admin:
        assert team != "*" and who.administers(where)
        assert ROLES.index(role) <= ROLES.index(who.role)
        assert clearance is None or not LEVELS.above(clearance, who.clearance)
    if team != "*" and not decide(LEVELS, who, "admin", where).allowed:
        assert decision == decide(LEVELS, who, "admin", where)  # never more than administering allows


def test_unscoped_names_belong_to_the_public_team():
    assert team_of("triage") == "public"
    assert team_of("team-alpha/triage") == "team-alpha"


def test_unknown_actions_and_roles_are_programming_errors():
    with pytest.raises(ValueError):
        decide(LEVELS, Caller(), "delete", TEAMS["pub"])
    with pytest.raises(ValueError):
        decide(LEVELS, Caller("owner", frozenset({"pub"})), "read", TEAMS["pub"])
    with pytest.raises(ValueError):
        decide_token(LEVELS, CALLERS["admin@*"], TEAMS["pub"], "owner")
