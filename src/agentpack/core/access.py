"""Who may do what on a registry server: one pure function, ``decide``, over the whole matrix.

The matrix is role (anonymous, read, publish, admin) x team scope x ownership (whether the token's
holder is one of the team's owners) x team visibility (public, private) x classification (the
package's level against the caller's clearance and the team's level) x action. The rules, in the
order ``decide`` applies them (the first that matches wins):

1. ``create-team`` needs an admin token scoped to every team (``*``), a *registry admin*:
   anonymous callers get 401, other tokens 403. It names no existing team, so nothing can leak.
2. A team that does not exist is 404 for every other action.
3. Visibility: a private team is seen only by tokens scoped to it (or to ``*``); to anyone else
   it is 404, never 403, for every action, so that a private package's existence never leaks.
   Owning a team does not widen this: an owner's token not scoped to the team sees what anyone
   else sees.
4. No read up: a package classified above the caller's clearance (anonymous callers are cleared
   for the lowest level only) is 404 for reading and marking, as if it were not there.
5. ``read`` is then allowed.
6. Everything else needs a token: anonymous callers get 401.
7. ``limits`` (a team's classification level and quota) are the registry's limits on a team:
   they need a registry admin (403 for anyone else, owners and team admins included).
8. ``publish`` needs the ``publish`` or ``admin`` role and a token scoped to the team.
   ``mark`` (yank, deprecate) and ``admin`` (the team's owners and visibility, tokens for the
   team) need a token scoped to the team that either has the ``admin`` role or is held by an
   owner of the team with at least the ``publish`` role (an owner's ``read`` token stays a read
   token). Anyone else gets 403 naming what it lacks: a publisher who does not own the team may
   publish to it, but not yank, deprecate or administer.
9. No write down: publishing a package classified above the team's level is 403, and so is
   publishing one above the token's own clearance (a publisher writes only what it may read).

Tokens an owner (or a team admin) issues or revokes are bounded further by ``decide_token``: a
token below the registry admin may manage tokens only for teams it administers, only with a role
not above its own, and issue none with a clearance above its own; tokens for every team (``*``)
are the registry admin's alone.

Unknown level names count as above every level: a level the server does not know cannot be
shown to be cleared. Pure: the caller supplies the levels, the caller's token facts and the team.
"""

from __future__ import annotations

from agentpack.core.classification import Levels
from agentpack.core.records import dataclass

ROLES = ("read", "publish", "admin")
ALL_TEAMS = "*"
ACTIONS = ("read", "publish", "mark", "admin", "limits", "create-team")
PUBLIC_TEAM = "public"  # the built-in team that unscoped names (``triage``) belong to
OWNER_ROLES = ("publish", "admin")  # the roles through which an owner's token acts as an owner


@dataclass(frozen=True)
class Caller:
    """Who asks: ``role`` None for an anonymous caller; ``teams`` the token's scope (``*``: all);
    ``clearance`` the highest level it may read (None: the lowest level); ``user`` the name of
    the token's holder (None: a token held by no one in particular)."""

    role: str | None = None
    teams: frozenset[str] = frozenset()
    clearance: str | None = None
    user: str | None = None

    def scoped_to(self, team: str) -> bool:
        """Whether the token names ``team`` (or every team)."""
        return self.role is not None and (ALL_TEAMS in self.teams or team in self.teams)

    @property
    def registry_admin(self) -> bool:
        """Whether the token is an admin on every team (``*``)."""
        return self.role == "admin" and ALL_TEAMS in self.teams

    def owns(self, team: Team) -> bool:
        """Whether the token acts as an owner of ``team``: held by one of its owners, scoped to
        it, with a role of at least ``publish``."""
        return (self.user is not None and self.user in team.owners and self.scoped_to(team.name)
                and self.role in OWNER_ROLES)

    def administers(self, team: Team) -> bool:
        """Whether the token may administer ``team``: its admin role there, or an owner's."""
        return self.scoped_to(team.name) and (self.role == "admin" or self.owns(team))


@dataclass(frozen=True)
class Team:
    """What a decision needs of a team: ``exists`` False for a name no team has."""

    name: str
    exists: bool = True
    private: bool = False
    level: str | None = None  # the highest level the team may hold (None: the lowest)
    owners: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    """``status`` 200 (allowed), 401, 403 or 404; ``reason`` says why, for the error message."""

    status: int
    reason: str = ""

    @property
    def allowed(self) -> bool:
        return self.status == 200


ALLOW = Decision(200)
EVERY_TEAM = Team(ALL_TEAMS)  # what ``decide_token`` is given for a token scoped to ``*``


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
        return _registry_admin(caller, "creating a team")
    if not team.exists or (team.private and not caller.scoped_to(team.name)):
        return Decision(404, f"team {team.name} not found")
    if action != "publish" and _above(levels, package_level, caller.clearance):
        return Decision(404, "not found")
    if action == "read":
        return ALLOW
    if caller.role is None:
        return Decision(401, f"{_WHAT[action]} on team {team.name} needs a token")
    if action == "limits":
        return _registry_admin(caller, f"changing team {team.name}'s classification or quota")
    if action == "publish":
        if not caller.scoped_to(team.name) or caller.role == "read":
            return Decision(403, f"token lacks publish on {team.name}")
        return _no_write_down(levels, caller, team, package_level)
    if not caller.administers(team):
        return Decision(403, f"token lacks admin on {team.name}, and is not held by an owner of {team.name} "
                             f"with the publish role ({_WHAT[action]} needs one or the other)")
    return ALLOW


def decide_token(levels: Levels, caller: Caller, team: Team, role: str, clearance: str | None = None) -> Decision:
    """Whether ``caller`` may issue (or revoke) a token for ``team`` (``EVERY_TEAM`` for ``*``)
    with ``role`` and ``clearance`` (None: not in question, as when revoking). A registry admin
    may; anyone else needs ``admin`` on the team (``decide``), a role at least ``role`` and a
    clearance at least ``clearance``."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if team.name == ALL_TEAMS:
        return _registry_admin(caller, "a token for every team (*)")
    decision = decide(levels, caller, "admin", team)
    if not decision.allowed or caller.registry_admin:
        return decision
    if ROLES.index(role) > ROLES.index(caller.role):
        return Decision(403, f"a {caller.role} token cannot manage {role} tokens on {team.name}: "
                             "a token manages tokens of at most its own role")
    if clearance is not None and _above(levels, clearance, caller.clearance):
        return Decision(403, f"a token cleared for {caller.clearance or levels.lowest!r} cannot issue one cleared "
                             f"for {clearance!r}")
    return ALLOW


def owners_after(team: str, owners: list[str], add: list[str], remove: list[str]) -> list[str]:
    """The owners of ``team`` after adding ``add`` and removing ``remove`` (in that order of
    precedence: a name in both stays). Adding an owner twice changes nothing. Raises
    ``UsageError`` for removing a name that is not an owner (a typo would otherwise leave the
    intended owner in place), and ``RegistryConflict`` when a team that has owners would be left
    with none: a team never loses its owners by accident (a registry admin administers it anyway)."""
    from agentpack.errors import RegistryConflict, UsageError

    missing = [name for name in remove if name not in owners and name not in add]
    if missing:
        raise UsageError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not an owner of team {team}",
                         hint=f"its owners: {', '.join(owners) or 'none'}")
    result = [name for name in owners if name not in remove]
    result += [name for name in dict.fromkeys(add) if name not in result]
    if owners and not result:
        raise RegistryConflict(f"team {team} would be left without an owner; nothing was changed",
                               hint="add another owner first (--add-owner NAME), then remove this one")
    return result


_WHAT = {"publish": "publishing", "mark": "yanking or deprecating", "admin": "administering the team",
         "limits": "changing the team's limits"}


def _registry_admin(caller: Caller, what: str) -> Decision:
    if caller.role is None:
        return Decision(401, f"{what} needs an admin token")
    if not caller.registry_admin:
        return Decision(403, f"token lacks admin on every team (*), which {what} needs")
    return ALLOW


def _no_write_down(levels: Levels, caller: Caller, team: Team, package_level: str | None) -> Decision:
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
