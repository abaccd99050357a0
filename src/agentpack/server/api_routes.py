"""The write API under ``/api/v1``: publish, yank, deprecate (teams, tokens and whoami are in
server.admin_routes).

Every route authenticates the caller, asks core.access.decide, then calls a service. Errors are
agentpack errors, rendered by the app's handler (server.responses.error_response). What a caller
may not see is absent for it here too: a publish judges dependencies only against what the
publisher may read, and a yank or deprecation touches, counts and names only visible versions.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
import time
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agentpack.core.access import decide, team_of
from agentpack.errors import (
    AccessDenied,
    AgentpackError,
    AuthenticationRequired,
    PackageNotFound,
    UploadTooLarge,
    UsageError,
)
from agentpack.server.openapi import MAX_JSON_BODY
from agentpack.server.public_view import CallerView
from agentpack.server.responses import caller_of

SIGNATURE_HEADER = "X-Agentpack-Signature"  # base64 of the signature document's JSON


def api_routes() -> list[Route]:
    """The routes of the write API (mounted under /api/v1 by the app)."""
    from agentpack.server.admin_routes import admin_routes

    return [
        Route("/packages", publish, methods=["POST"]),
        Route("/packages/{name:path}/yank", yank, methods=["POST"]),
        Route("/packages/{name:path}/deprecate", deprecate, methods=["POST"]),
        *admin_routes(),
    ]


def refused(decision, what: str = "") -> AgentpackError:
    """The error for a refused ``decision`` about ``what`` (404: "``what`` not found")."""
    if decision.status == 404:
        return PackageNotFound(f"{what or 'it'} not found")
    if decision.status == 401:
        return AuthenticationRequired(decision.reason, hint="log in first: agentops login URL")
    return AccessDenied(decision.reason)


async def token_holder(request, doing: str):
    """``(Caller, token row)`` for a route that needs a token: an anonymous caller is refused
    (401) before anything else is looked at, so it learns nothing of what exists."""
    caller, row = await caller_of(request)
    if row is None:
        raise AuthenticationRequired(f"{doing} needs a token", hint="log in first: agentops login URL")
    return caller, row


def _flag(request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


async def publish(request) -> Response:
    """POST the archive's bytes as the body; ``?allow_breaking=1``, ``?allow_unresolved=1``; the
    signature document (base64 JSON) in ``X-Agentpack-Signature``. 201 with the stored record."""
    from agentpack.services.server_publish import check_upload, publish_upload

    state = request.app.state.server
    caller, _row = await token_holder(request, "publishing")
    signature = _signature(request.headers.get(SIGNATURE_HEADER))
    data = await _receive(request, state)
    inspected, signature = await run_in_threadpool(check_upload, data, signature)
    name = inspected.record["name"]
    team_name = team_of(name)
    team = await run_in_threadpool(state.team, team_name)
    level = inspected.record["manifest"].get("classification")
    decision = decide(state.data.levels, caller, "publish", team, level)
    if not decision.allowed:
        raise refused(decision, f"team {team_name}")
    row = await run_in_threadpool(state.data.store.team, team_name)
    result = await run_in_threadpool(
        lambda: publish_upload(state.registry, inspected, signature, now=datetime.now(UTC),
                               allow_breaking=_flag(request, "allow_breaking"),
                               allow_unresolved=_flag(request, "allow_unresolved"),
                               quota=(row["quota_bytes"], row["quota_versions"]),
                               readable=CallerView(state, caller)))
    state.read_cache.invalidate()
    state.log("publish", name=result.name, version=result.version, sha256=result.sha256,
              token=request.state.token_id)
    return JSONResponse(result.to_dict(), status_code=201)


async def _receive(request, state) -> bytes:
    """The body, streamed into a temporary file under the data directory within the upload limit
    (413 as soon as it says or sends more); nothing of it is kept if the upload breaks off."""
    limit = state.settings.max_upload
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(f"the upload is {int(declared):,} bytes; this registry accepts at most {limit:,}")
    folder = os.path.join(state.data.data_dir, "uploads")
    os.makedirs(folder, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder) as spool:
        received = 0
        try:
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise UploadTooLarge(f"the upload is larger than this registry accepts ({limit:,} bytes)")
                spool.write(chunk)
        except ClientDisconnect:
            raise UsageError("the upload broke off before it was complete; nothing was published") from None
        spool.seek(0)
        return spool.read()


def _signature(header: str | None) -> dict | None:
    if not header:
        return None
    try:
        document = json.loads(base64.b64decode(header, validate=True))
    except (binascii.Error, ValueError):
        raise UsageError(f"{SIGNATURE_HEADER} is not base64 of a JSON signature document") from None
    if not isinstance(document, dict):
        raise UsageError(f"{SIGNATURE_HEADER} must hold a JSON object")
    return document


async def json_body(request, operation: str) -> dict:
    """The JSON object in the body, checked against the schema the OpenAPI document gives for
    ``operation`` (server.openapi.request_schemas): 413 past MAX_JSON_BODY (as soon as it says or
    sends more), 422 for anything else wrong, with every violation listed."""
    from agentpack.core.bounded_json import parse_json

    raw = await _read_limited(request, MAX_JSON_BODY, f"a request body here is at most {MAX_JSON_BODY:,} bytes")
    value = parse_json(raw or b"{}", source="the request body", error=UsageError, max_bytes=MAX_JSON_BODY)
    if not isinstance(value, dict):
        raise UsageError("the request body must be a JSON object")
    problems = request.app.state.server.body_problems(operation, value)
    if problems:
        raise UsageError(f"the request body is invalid: {problems[0].message}"
                         + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), problems=problems,
                         hint="see the request schemas in /api/v1/openapi.json")
    return value


async def _read_limited(request, limit: int, too_large: str) -> bytes:
    """The whole body, refused (UploadTooLarge) once its declared or received size passes ``limit``:
    never more than ``limit`` bytes are held."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise UploadTooLarge(too_large)
    chunks, received = [], 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise UploadTooLarge(too_large)
            chunks.append(chunk)
    except ClientDisconnect:
        raise UsageError("the request body broke off before it was complete") from None
    return b"".join(chunks)


async def _marking(request, caller, name: str):
    """``(server state, the index ``caller`` can see, visible(record))`` once it may mark
    versions of ``name``: a package it cannot see is 404, a role, team or ownership it lacks 403."""
    state = request.app.state.server
    try:
        index = await run_in_threadpool(state.registry.package_index, name)
    except PackageNotFound:
        index = None
    team = await run_in_threadpool(state.team, team_of(name))
    visible = index is not None and await run_in_threadpool(state.readable_index, caller, index)
    if not visible:
        raise PackageNotFound(f"package {name} not found")
    decision = decide(state.data.levels, caller, "mark", team)
    if not decision.allowed:
        raise refused(decision, f"package {name}")
    return state, visible, state.may_read(caller, team)


def _mark(body: dict, key: str, kind: str) -> dict | None:
    from agentpack.core.release_marks import new_mark, text_problem

    if body.get("undo") is True:
        return None
    text = body.get(key, "")
    if not isinstance(text, str) or text_problem(text, key):
        raise UsageError(f"'{key}': {text_problem(text, key) if isinstance(text, str) else 'must be a string'}")
    return new_mark(kind, text, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))


async def yank(request) -> Response:
    """Body ``{"version", "reason"}`` or ``{"version", "undo": true}``: ``{"changed": bool}``."""
    from agentpack.core.release_marks import YANKED

    name = request.path_params["name"]
    caller, _row = await token_holder(request, "yanking")
    body = await json_body(request, "yank")
    state, visible, may_read = await _marking(request, caller, name)
    version = body.get("version")
    if not isinstance(version, str):
        raise UsageError("'version' must be the version to yank")
    if version not in visible["versions"]:
        raise PackageNotFound(f"{name}@{version} not found",
                              hint=f"versions available: {', '.join(visible['versions'])}")
    if body.get("undo") is not True and not body.get("reason"):
        raise UsageError("'reason' says why the version is yanked")
    changed = await run_in_threadpool(lambda: state.registry.mark_yanked(
        name, version, _mark(body, "reason", YANKED), visible=may_read))
    state.read_cache.invalidate()
    state.log("yank", name=name, version=version, undo=body.get("undo") is True, changed=changed,
              token=request.state.token_id)
    return JSONResponse({"name": name, "version": version, "changed": changed})


async def deprecate(request) -> Response:
    """Body ``{"range", "message"}`` or ``{"range", "undo": true}``: ``{"versions": {v: changed}}``."""
    from agentpack.core.release_marks import DEPRECATED

    name = request.path_params["name"]
    caller, _row = await token_holder(request, "deprecating")
    body = await json_body(request, "deprecate")
    state, _visible, may_read = await _marking(request, caller, name)
    range_text = body.get("range", "*")
    if not isinstance(range_text, str):
        raise UsageError("'range' must be a version range")
    outcome = await run_in_threadpool(lambda: state.registry.mark_deprecated(
        name, range_text, _mark(body, "message", DEPRECATED), visible=may_read))
    state.read_cache.invalidate()
    state.log("deprecate", name=name, range=range_text, undo=body.get("undo") is True,
              token=request.state.token_id)
    return JSONResponse({"name": name, "range": range_text, "versions": outcome})
