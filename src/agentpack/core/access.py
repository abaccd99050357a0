"""Who may do what on a registry server: one pure function, ``decide``, over the whole matrix.

The matrix is role (anonymous, read, publish, admin) x team scope x team visibility (public,
private) x classification (the package's level against the caller's clearance and the team's
level) x action. The rules, in the order ``decide`` applies them (the first that matches wins):

1. ``create-team`` needs an admin token scoped to every team (``*``): anonymous callers get 401,
   other tokens 403. It names no existing team, so nothing can leak.
2. A team that does not exist is 404 for every other action.
3. Visibility: a private team is seen only by tokens scoped to it (or to ``*``); to anyone else
   it is 404, never 403, for every action, so that a private package's existence never leaks.
4. No read up: a package classified above the caller's clearance (anonymous callers are cleared
   for the lowest level only) is 404 for reading and marking, as if it were not there.
5. ``read`` is then allowed.
6. Writing (``publish``, ``mark``: yank and deprecate, ``admin``: tokens for the team) needs a
   token: anonymous callers get 401. A token not scoped to the team, or whose role is below the
   action's (read < publish < admin), gets 403 naming the role it lacks.
7. No write down: publishing a package classified above the team's level is 403, and so is
   publishing one above the token's own clearance (a publisher writes only what it may read).

Unknown level names count as above every level: a level the server does not know cannot be
shown to be cleared. Pure: the caller supplies the levels, the caller's token facts and the team.
"""

from __future__ import annotations

from dataclasses import dataclass

from agentpack.core.classification import Levels

ROLES = ("read", "publish", "admin")
ALL_TEAMS = "*"
ACTIONS = ("read", "publish", "mark", "admin", "create-team")
_NEEDS = {"publish": "publish", "mark": "publish", "admin": "admin", "create-team": "admin"}
PUBLIC_TEAM = "public"  # the built-in team that unscoped names (``triage``) belong to


@dataclass(frozen=True)
class Caller:
    """Who asks: ``role`` None for an anonymous caller; ``teams`` the token's scope (``*``: all);
    ``clearance`` the highest level it may read (None: the lowest level)."""

    role: str | None = None
    teams: frozenset[str] = frozenset()
    clearance: str | None = None

    def scoped_to(self, team: str) -> bool:
        """Whether the token names ``team`` (or every team)."""
        return self.role is not None and (ALL_TEAMS in self.teams or team in self.teams)


@dataclass(frozen=True)
class Team:
    """What a decision needs of a team: ``exists`` False for a name no team has."""

    name: str
    exists: bool = True
    private: bool = False
    level: str | None = None  # the highest level the team may hold (None: the lowest)


@dataclass(frozen=True)
class Decision:
    """``status`` 200 (allowed), 401, 403 or 404; ``reason`` says why, for the error message."""

    status: int
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.status == 200


ALLOW = Decision(200)


def team_of(name: str) -> str:
    """The team a package name belongs to: ``team`` of ``team/name``, else the built-in public team."""
    team, slash, _rest = name.partition("/")
    return team if slash else PUBLIC_TEAM


def decide(levels: Levels, caller: Caller, action: str, team: Team, package_level: str | None = None) -> Decision:
    """Whether ``caller`` may do ``action`` on ``team`` (for a package at ``package_level``, None
    meaning the lowest level or no package at all). See the module docstring for the rules."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    if caller.role is not None and caller.role not in ROLES:
        raise ValueError(f"unknown role {caller.role!r}")
    if action == "create-team":
        if caller.role is None:
            return Decision(401, "creating a team needs an admin token")
        if caller.role != "admin" or ALL_TEAMS not in caller.teams:
            return Decision(403, "token lacks admin on every team (*), which creating a team needs")
        return ALLOW
    missing = Decision(404, f"team {team.name} not found")
    if not team.exists or (team.private and not caller.scoped_to(team.name)):
        return missing
    if action != "publish" and _above(levels, package_level, caller.clearance):
        return Decision(404, "not found")
    if action == "read":
        return ALLOW
    needed = _NEEDS[action]
    if caller.role is None:
        return Decision(401, f"{action} on team {team.name} needs a token with the {needed} role")
    if not caller.scoped_to(team.name) or ROLES.index(caller.role) < ROLES.index(needed):
        return Decision(403, f"token lacks {needed} on {team.name}")
    if action == "publish":
        level = package_level or levels.lowest
        if _above(levels, package_level, team.level):
            return Decision(403, f"write down refused: the package is classified {level!r}, above the level "
                                 f"{team.level or levels.lowest!r} of team {team.name}")
        if _above(levels, package_level, caller.clearance):
            return Decision(403, f"the package is classified {level!r}, above the token's clearance "
                                 f"{caller.clearance or levels.lowest!r}")
    return ALLOW


def _above(levels: Levels, level: str | None, limit: str | None) -> bool:
    """Whether ``level`` is above ``limit`` (None: the lowest); an unknown name counts as above."""
    if level is not None and level not in levels.names:
        return True
    if limit is not None and limit not in levels.names:
        return level is not None and level != levels.lowest
    return levels.above(level, limit)
