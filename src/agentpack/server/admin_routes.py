"""The administration API under ``/api/v1``: whoami, teams (create, list, update) and tokens
(create, revoke).

Who may do what is core.access's: creating a team and changing a team's limits (classification,
quota) is the registry admin's (an admin token scoped to ``*``); a team's owners and visibility,
and tokens for it, are its administrators' (an admin token scoped to it, or a token held by one
of its owners with at least the publish role), within ``decide_token``'s bounds. A team the caller
may not see is 404, as everywhere.
"""

from __future__ import annotations

import time

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentpack.core.access import ALL_TEAMS, EVERY_TEAM, ROLES, decide, decide_token
from agentpack.errors import PackageNotFound, UsageError
from agentpack.server.api_routes import json_body, refused, token_holder
from agentpack.server.responses import caller_of

TEAM_FIELDS = {"add_owners": "admin", "remove_owners": "admin", "private": "admin",
               "classification": "limits", "quota": "limits", "max_versions": "limits"}


def admin_routes() -> list[Route]:
    """The routes of the administration API (mounted under /api/v1 with the write API)."""
    return [
        Route("/whoami", whoami, methods=["GET"]),
        # One route for both methods: a 405 on /teams then names both in its Allow header.
        Route("/teams", teams, methods=["GET", "POST"]),
        Route("/teams/{name}", update_team, methods=["PATCH"]),
        Route("/tokens", create_token, methods=["POST"]),
        Route("/tokens/{token_id}", revoke_token, methods=["DELETE"]),
    ]


async def whoami(request) -> Response:
    """The token's row (no secret) and ``owner_of``: the teams it acts as an owner of."""
    caller, row = await caller_of(request)
    if row is None:
        return JSONResponse({"anonymous": True})
    from agentpack.services.registry_admin import public_token

    state = request.app.state.server
    teams = await run_in_threadpool(lambda: [state.team(team["name"]) for team in state.data.store.teams()])
    return JSONResponse({"anonymous": False, **public_token(row),
                         "owner_of": [team.name for team in teams if caller.owns(team)]})


async def teams(request) -> Response:
    return await (list_teams(request) if request.method in ("GET", "HEAD") else create_team(request))


async def create_team(request) -> Response:
    """Body ``{"name", "private", "classification", "quota", "max_versions", "owners"}``: 201."""
    from agentpack.services import registry_admin

    state = request.app.state.server
    caller, _row = await token_holder(request, "creating a team")
    decision = decide(state.data.levels, caller, "create-team", state.team(""))
    if not decision.allowed:
        raise refused(decision)
    body = await json_body(request, "create-team")
    owners = body.get("owners") or []
    if not isinstance(owners, list):
        raise UsageError("'owners' must be a list of user names")
    team = await run_in_threadpool(
        lambda: registry_admin.create_team(
            state.data, body.get("name"), private=body.get("private") is True,
            classification=body.get("classification"), quota=body.get("quota"),
            max_versions=body.get("max_versions"), owners=tuple(owners), now=int(time.time())))
    state.read_cache.invalidate()
    state.log("team-create", team=team["name"], owners=team["owners"], token=request.state.token_id)
    return JSONResponse(team, status_code=201)


async def list_teams(request) -> Response:
    """The teams the caller may see."""
    state = request.app.state.server
    caller, _row = await caller_of(request)
    teams = await run_in_threadpool(state.data.store.teams)
    return JSONResponse({"teams": [team for team in teams if decide(
        state.data.levels, caller, "read", state.team(team["name"])).allowed]})


async def update_team(request) -> Response:
    """Body: any of ``add_owners``, ``remove_owners`` (lists of user names), ``private``
    (owners and visibility: the team's administrators), ``classification``, ``quota``,
    ``max_versions`` (``"none"`` or null: no limit; the team's limits: the registry admin)."""
    from agentpack.services import registry_admin

    state = request.app.state.server
    caller, _row = await token_holder(request, "changing a team")
    name = request.path_params["name"]
    team = await run_in_threadpool(state.team, name)
    body = await json_body(request, "update-team")
    actions = {TEAM_FIELDS.get(key, "admin") for key in body} or {"admin"}
    for action in sorted(actions):  # "admin" first: a team administrator learns what it may not change
        decision = decide(state.data.levels, caller, action, team)
        if not decision.allowed:
            raise refused(decision, f"team {name}")
    unknown = sorted(set(body) - set(TEAM_FIELDS))
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(unknown)} (fields: {', '.join(TEAM_FIELDS)})")
    for key in ("add_owners", "remove_owners"):
        if not isinstance(body.get(key, []), list):
            raise UsageError(f"'{key}' must be a list of user names")
    given = {key: body[key] for key in ("private", "classification", "quota", "max_versions") if key in body}
    updated = await run_in_threadpool(lambda: registry_admin.update_team(
        state.data, name, add_owners=tuple(body.get("add_owners", ())),
        remove_owners=tuple(body.get("remove_owners", ())), **given))
    state.read_cache.invalidate()
    state.log("team-update", team=name, changed=sorted(body), owners=updated["owners"],
              token=request.state.token_id)
    return JSONResponse(updated)


async def create_token(request) -> Response:
    """Body ``{"teams": [...], "role", "expires", "clearance", "note", "user"}``: 201 with the
    secret (shown once). The caller must administer every team named (the registry admin for
    ``*``), with a role at least the new token's and, unless it is the registry admin, a
    clearance at least the new token's (the new token's default clearance is capped at it)."""
    from agentpack.services import registry_admin

    state = request.app.state.server
    caller, _row = await token_holder(request, "creating a token")
    body = await json_body(request, "create-token")
    teams = body.get("teams")
    if not isinstance(teams, list) or not teams or not all(isinstance(t, str) for t in teams):
        raise UsageError("'teams' must be a non-empty list of team names")
    role, clearance, user = body.get("role", "read"), body.get("clearance"), body.get("user")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
    if clearance is not None and not isinstance(clearance, str):
        raise UsageError("'clearance' must be a classification level")
    if user is not None and not isinstance(user, str):
        raise UsageError("'user' must be a user name")
    for team in teams:
        target = EVERY_TEAM if team == ALL_TEAMS else await run_in_threadpool(state.team, team)
        decision = decide_token(state.data.levels, caller, target, role, clearance)
        if not decision.allowed:
            raise refused(decision, f"team {team}")
    cap = None if caller.registry_admin else caller.clearance
    secret, row = await run_in_threadpool(
        lambda: registry_admin.create_token(state.data, teams, role, expires=body.get("expires"),
                                            clearance=clearance, note=str(body.get("note") or ""), user=user,
                                            clearance_cap=cap, now=int(time.time())))
    state.log("token-create", id=row["id"], role=row["role"], teams=row["teams"], user=row["user"],
              token=request.state.token_id)
    return JSONResponse({"token": secret, **row}, status_code=201)


async def revoke_token(request) -> Response:
    """Revoke a token: the token itself, or whoever may manage a token of its role on every team
    it names (``decide_token``)."""
    from agentpack.services import registry_admin

    state = request.app.state.server
    caller, row = await token_holder(request, "revoking a token")
    token_id = request.path_params["token_id"]
    target = next((t for t in await run_in_threadpool(state.data.store.tokens) if t["id"] == token_id), None)
    if target is None:
        raise PackageNotFound(f"token {token_id} not found")
    if row["id"] != token_id:
        for team in target["teams"]:
            where = EVERY_TEAM if team == ALL_TEAMS else await run_in_threadpool(state.team, team)
            decision = decide_token(state.data.levels, caller, where, target["role"])
            if not decision.allowed:
                raise refused(decision, f"token {token_id}")
    changed = await run_in_threadpool(lambda: registry_admin.revoke_token(state.data, token_id, now=int(time.time())))
    state.log("token-revoke", id=token_id, token=request.state.token_id)
    return JSONResponse({"id": token_id, "revoked": True, "changed": changed})
