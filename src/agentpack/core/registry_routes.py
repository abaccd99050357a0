"""Which registry answers for a package: agentops.yaml ``registries``, routed by team like npm's
``@scope:registry``.

Two forms are accepted::

    registries:                 # the mapping form: exactly one registry answers for each name
      default: ./registry       # unscoped names, and teams not listed below
      teams:
        team-alpha: file:///srv/alpha   # team-alpha/<name> is read from here, and only here

    registries:                 # the list form (older workspaces): every listed registry is asked
      - ./registry
      - /srv/mirror

In the mapping form a name ``team/name`` goes to its team's registry when ``teams`` lists the team,
else to ``default``; an unscoped name goes to ``default``. There is no fall-through: a package the
routed registry does not hold is not found, whatever other registries hold, so adding a registry
never changes which version is chosen. Without ``default``, the default is the one a workspace
without ``registries`` uses ($AGENTOPS_REGISTRY, else the embedded default registry).

In the list form every listed registry is asked for each package, and those that hold it must hold
exactly the same versions with the same sha256 (a mirror); then the first of them answers. When
they differ the command stops naming both (``RegistryConflict``) instead of letting the order of
the list decide: a registry added later can never silently change the version chosen.

This module is pure: locations are text, resolved against their base folder by the adapters.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.core.names import check_team, did_you_mean
from agentpack.core.records import dataclass, field
from agentpack.errors import RegistryConflict

MAPPING_KEYS = ("default", "teams")


@dataclass(frozen=True)
class RegistryRoutes:
    """agentops.yaml ``registries``, validated: the list form (``listed``) or, when ``routed``, the
    mapping form (``default``, None when absent, and ``teams``: team -> location)."""

    listed: tuple[str, ...] = ()
    default: str | None = None
    teams: dict[str, str] = field(default_factory=dict)
    routed: bool = False

    def __bool__(self) -> bool:
        """Whether agentops.yaml names any registry at all."""
        return bool(self.listed or self.default or self.teams)


@dataclass(frozen=True)
class RegistrySlot:
    """One registry a command may read: its location as written, the folder a relative path is
    taken from, and what put it there (for messages: "team team-alpha", "--registry", ...)."""

    location: str
    base_dir: str
    why: str


@dataclass(frozen=True)
class Routing:
    """The registries a command reads and which of them answer for a name.

    ``defaults`` answer for unscoped names and unrouted teams: one registry, or in the list form
    every listed one (which must then agree, see ``choose_answer``). ``teams`` maps a team to the
    one registry that answers for its names.
    """

    defaults: tuple[RegistrySlot, ...]
    teams: dict[str, RegistrySlot] = field(default_factory=dict)

    def for_name(self, name: str) -> tuple[RegistrySlot, ...]:
        """The registries that may answer for ``name``: its team's, else the defaults."""
        team = team_of(name)
        if team is not None and team in self.teams:
            return (self.teams[team],)
        return self.defaults

    def registries(self) -> tuple[RegistrySlot, ...]:
        """Every registry of the routing once, the defaults first (publish, search and verify use
        the first when nothing else decides)."""
        seen: list[RegistrySlot] = []
        for slot in (*self.defaults, *(self.teams[team] for team in sorted(self.teams))):
            if slot not in seen:
                seen.append(slot)
        return tuple(seen)


def team_of(name: str) -> str | None:
    """The team (namespace) of ``team/name``; None for an unscoped name."""
    team, slash, _rest = name.partition("/")
    return team if slash else None


def routing_from(routes: RegistryRoutes, base_dir: str, fallback: Callable[[], RegistrySlot]) -> Routing:
    """The routing agentops.yaml's ``routes`` ask for; locations in it are relative to ``base_dir``.

    ``fallback()`` (the registry a workspace without ``registries`` uses) answers when the file
    names none, and for the defaults of a mapping without ``default``; it is called only then.
    """
    if routes.routed:
        default = RegistrySlot(routes.default, base_dir, "default") if routes.default else fallback()
        teams = {team: RegistrySlot(location, base_dir, f"team {team}") for team, location in routes.teams.items()}
        return Routing((default,), teams)
    if routes.listed:
        return Routing(tuple(RegistrySlot(location, base_dir, f"registries[{index}]")
                             for index, location in enumerate(routes.listed)))
    return Routing((fallback(),))


def choose_answer(name: str, found: list[tuple[str, dict]]) -> int:
    """Which of the registries holding ``name`` answers: the position in ``found`` (pairs of the
    registry's location and its ``{version: record}``) of the first, when every one lists exactly
    the same versions with the same sha256. Otherwise raise ``RegistryConflict`` naming the first
    registry that differs from the first one and the versions of each: the order of a list never
    decides.
    """
    first_location, first_versions = found[0]
    first = _digests(first_versions)
    for location, versions in found[1:]:
        other = _digests(versions)
        if other == first:
            continue
        raise RegistryConflict(
            f"{name} is in two registries that disagree about it: {first_location} lists "
            f"{_listed(first)}; {location} lists {_listed(other)}{_other_content(first, other)}; nothing "
            "decides which answers, so nothing was changed",
            hint="route it in agentops.yaml with the mapping form (registries: {default: LOCATION, teams: "
                 "{TEAM: LOCATION}}), so that exactly one registry answers for each name, or remove one "
                 "of the registries from the list",
        )
    return 0


def parse_registries(value, problem) -> RegistryRoutes:
    """agentops.yaml ``registries``: a location, a list of locations, or the mapping
    ``{default: LOCATION, teams: {TEAM: LOCATION}}``. Every problem is reported through
    ``problem(message, key_path, code)``; what is valid is returned."""
    if not value:  # absent, empty or null: the workspace names no registry
        return RegistryRoutes()
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        if all(isinstance(item, str) and item.strip() for item in value):
            return RegistryRoutes(listed=tuple(value))
        problem("`registries` must be a list of registry paths or URLs, or the mapping "
                "{default: LOCATION, teams: {TEAM: LOCATION}}", ("registries",), "invalid-field")
        return RegistryRoutes()
    if not isinstance(value, dict):
        problem("`registries` must be a list of registry paths or URLs, or the mapping "
                "{default: LOCATION, teams: {TEAM: LOCATION}}", ("registries",), "invalid-field")
        return RegistryRoutes()
    for key in value:
        if key not in MAPPING_KEYS:
            problem(f"registries: unknown key {key!r}{did_you_mean(key, MAPPING_KEYS)}; the keys are "
                    "default and teams", ("registries", key), "unknown-field")
    default = value.get("default")
    if default is not None and not _is_location(default):
        problem("registries.default must be a registry path or URL", ("registries", "default"), "invalid-field")
        default = None
    return RegistryRoutes(default=default, teams=_parse_teams(value.get("teams"), problem), routed=True)


def _parse_teams(value, problem) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problem("registries.teams must map team names to registry paths or URLs", ("registries", "teams"),
                "invalid-field")
        return {}
    teams = {}
    for team, location in value.items():
        key_path = ("registries", "teams", team)
        message = check_team(team)
        if message:
            problem(f"registries.teams: {message}", key_path, "invalid-name")
        elif not _is_location(location):
            problem(f"registries.teams.{team} must be a registry path or URL", key_path, "invalid-field")
        else:
            teams[team] = location
    return teams


def _is_location(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _digests(versions: dict) -> dict[str, object]:
    return {version: record.get("sha256") if isinstance(record, dict) else None
            for version, record in versions.items()}


def _listed(digests: dict) -> str:
    return ", ".join(digests) or "no versions"


def _other_content(these: dict, others: dict) -> str:
    """"" or "; 1.0.0 has another sha256 in each" for the versions both list with other content."""
    changed = [version for version in these if version in others and these[version] != others[version]]
    return f"; {', '.join(changed)} {'has' if len(changed) == 1 else 'have'} another sha256 in each" if changed else ""
