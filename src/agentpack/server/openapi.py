"""The OpenAPI 3.1 document of the registry server's API (``GET /api/v1/openapi.json``).

The request bodies' schemas are also what the server checks bodies against (``request_schema``,
used by server.api_routes): a body the document calls invalid is refused with 422 and every
violation listed, so the document cannot promise more than the server accepts, and the services
behind the routes only ever see values of the documented types and ranges. Responses list every
status a route answers with; errors are JSON (``Error``) whatever the status.
"""

from __future__ import annotations

from agentpack.core.access import ALL_TEAMS, ROLES
from agentpack.core.classification import DEFAULT_LEVELS
from agentpack.core.limits import MAX_MARK_TEXT, MAX_QUOTA_VERSIONS
from agentpack.core.manifest import CATEGORIES
from agentpack.core.names import MAX_USER_LENGTH
from agentpack.core.search_text import DEFAULT_LIMIT, MAX_KEYWORD, MAX_LIMIT, MAX_OFFSET, MAX_QUERY

# The largest JSON request body (yank, deprecate, teams, tokens); an archive has its own limit.
MAX_JSON_BODY = 64 * 1024

_TEXT = {"type": "string"}
_KEBAB = "[a-z0-9]+(-[a-z0-9]+)*"
PACKAGE_NAME = {"type": "string", "minLength": 1, "maxLength": 64, "pattern": f"^{_KEBAB}(/{_KEBAB})?$",
                "description": "`name` or `team/name`: lowercase letters, digits and single hyphens, at most "
                               "64 characters; no part may be a Windows device name (con, nul, com1, ...)"}
TEAM_NAME = {"type": "string", "minLength": 1, "maxLength": 62, "pattern": f"^{_KEBAB}$",
             "description": "a team: lowercase letters, digits and single hyphens, at most 62 characters"}
_MARK_TEXT = {"type": "string", "minLength": 1, "maxLength": MAX_MARK_TEXT,
              "description": "one line of plain text (no control characters or hidden Unicode)"}
_NULLABLE_TEXT = {"type": ["string", "null"]}
USER_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_USER_LENGTH, "pattern": "^[A-Za-z0-9][A-Za-z0-9._@+-]*$",
             "description": "a user (a token's holder, a team's owner): ASCII letters, digits and . _ @ + -"}
_USERS = {"type": "array", "maxItems": 100, "items": USER_NAME}


def request_schemas(levels=DEFAULT_LEVELS) -> dict[str, dict]:
    """The JSON bodies' schemas, by operation: ``yank``, ``deprecate``, ``create-team``,
    ``update-team``, ``create-token``; ``levels`` the server's classification levels, lowest first."""
    level = {"type": ["string", "null"], "enum": [*levels, None],
             "description": "a classification level (null: the default)"}
    return {
        "yank": _object({"version": {"type": "string", "minLength": 1, "maxLength": 256},
                         "reason": _MARK_TEXT, "undo": {"type": "boolean"}}, ["version"],
                        any_of=[{"required": ["reason"]}, {"required": ["undo"], "properties": {
                            "undo": {"const": True}}}],
                        description="`reason` yanks the version; `undo: true` takes the yank back"),
        "deprecate": _object({"range": {"type": "string", "minLength": 1, "maxLength": 1024,
                                        "description": "an npm-style version range (default `*`)"},
                              "message": {**_MARK_TEXT, "minLength": 0}, "undo": {"type": "boolean"}}, [],
                             description="deprecates the range with `message` (default empty); `undo: true` "
                                         "takes the deprecation back"),
        "create-team": _object({
            "name": TEAM_NAME, "private": {"type": ["boolean", "null"]}, "classification": level,
            "quota": {"type": ["string", "null"], "maxLength": 64,
                      "description": "bytes its versions may take, e.g. `10GiB` (null: no limit)"},
            "max_versions": {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_QUOTA_VERSIONS,
                             "description": "versions it may hold (null: no limit)"},
            "owners": {**_USERS, "type": ["array", "null"]}}, ["name"]),
        "update-team": _object({
            "add_owners": _USERS, "remove_owners": _USERS, "private": {"type": "boolean"}, "classification": level,
            "quota": {"type": ["string", "null"], "maxLength": 64,
                      "description": "bytes its versions may take, e.g. `10GiB` (`none` or null: no limit)"},
            "max_versions": {"anyOf": [{"type": "integer", "minimum": 0, "maximum": MAX_QUOTA_VERSIONS},
                                       {"const": "none"}, {"type": "null"}],
                             "description": "versions it may hold (`none` or null: no limit)"}}, [],
            description="owners and visibility: the team's administrators; classification and quotas: an "
                        f"admin token scoped to `{ALL_TEAMS}`"),
        "create-token": _object({
            "teams": {"type": "array", "minItems": 1, "maxItems": 100,
                      "items": {"anyOf": [TEAM_NAME, {"const": ALL_TEAMS}]},
                      "description": f"the teams it is scoped to (`{ALL_TEAMS}`: every team)"},
            "role": {"enum": list(ROLES), "description": "default `read`"},
            "expires": {"type": ["string", "null"], "maxLength": 16,
                        "description": "e.g. `90d`, `12h`, `1y`, or `never` (null: never)"},
            "clearance": level, "note": {**_NULLABLE_TEXT, "maxLength": 1000},
            "user": {**USER_NAME, "type": ["string", "null"],
                     "description": "who holds the token (a team's owner administers it; null: no one)"}}, ["teams"]),
    }


def _object(properties: dict, required: list[str], *, any_of: list | None = None, description: str = "") -> dict:
    # Unknown fields are refused (422), not ignored: a misspelt field would otherwise be dropped unseen.
    schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if any_of:
        schema["anyOf"] = any_of
    if description:
        schema["description"] = description
    return schema


def _json(schema: dict, description: str, **extra) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


_ERROR_REF = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": "the request cannot be carried out as it is",
    "401": "no token where one is needed, or the token is unknown, expired or revoked",
    "403": "the token lacks the role, team, clearance or quota",
    "404": "no such package, version, team or token (or the caller may not see it)",
    "409": "it exists already (version, team), or a concurrent write won",
    "413": "the body is larger than this server accepts",
    "422": "the body or a parameter is invalid (every problem listed)",
}


def _errors(*codes: str) -> dict:
    responses = {code: _json(_ERROR_REF, _ERRORS[code]) for code in codes}
    if "401" in responses:
        responses["401"]["headers"] = {"WWW-Authenticate": {"schema": _TEXT, "description": "`Bearer`"}}
    return responses


def _op(operation_id: str, summary: str, ok: dict, errors: tuple[str, ...], *, body: dict | None = None,
        params: list | None = None, security: list | None = None) -> dict:
    operation = {"operationId": operation_id, "summary": summary, "responses": {**ok, **_errors(*errors)}}
    if body is not None:
        operation["requestBody"] = body
    if params:
        operation["parameters"] = params
    if security is not None:
        operation["security"] = security
    return operation


def _body(schema: dict, *, required: bool = True) -> dict:
    # A missing body reads as {}: optional only where {} is a whole request (deprecate every version).
    return {"required": required, "content": {"application/json": {"schema": schema}}}


_NAME = {"name": "name", "in": "path", "required": True, "schema": PACKAGE_NAME}
_TOKEN_ROW = {"type": "object", "required": ["id", "role", "teams", "clearance", "expires_at"], "properties": {
    "id": _TEXT, "role": {"enum": list(ROLES)}, "teams": {"type": "array", "items": _TEXT},
    "clearance": _NULLABLE_TEXT, "note": _NULLABLE_TEXT, "created_at": {"type": "integer"},
    "expires_at": {"type": ["integer", "null"]}, "revoked_at": {"type": ["integer", "null"]},
    "user": _NULLABLE_TEXT}}
_TEAM = {"type": "object", "required": ["name", "private", "classification", "quota_bytes", "quota_versions",
                                        "owners"], "properties": {
    "name": _TEXT, "private": {"type": "boolean"}, "classification": _NULLABLE_TEXT,
    "quota_bytes": {"type": ["integer", "null"]}, "quota_versions": {"type": ["integer", "null"]},
    "owners": {"type": "array", "items": _TEXT}, "created_at": {"type": "integer"}}}
_PUBLISHED = {"type": "object", "required": ["name", "version", "sha256"], "properties": {
    "name": _TEXT, "version": _TEXT, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    "registry": _TEXT, "warnings": {"type": "array", "items": {"type": "object"}}, "release": {"type": "object"}}}
_BEARER_ONLY = [{"bearer": []}]
_WRITE = ("401", "403", "404", "413", "422")


def openapi_document(version: str, levels=DEFAULT_LEVELS) -> dict:
    """The document, for server ``version`` with classification ``levels`` (lowest first)."""
    bodies = request_schemas(levels)
    return {
        "openapi": "3.1.0",
        "info": {"title": "agentpack registry API", "version": version,
                 "description": "Writes, administration and search. Reads use the read protocol at the registry's root "
                                "(config.json, catalog.json, index/<name>.json, blobs/sha256/<hex>). Every "
                                "error is JSON: {error, message, hint?, problems?}."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": _TEXT, "message": _TEXT, "hint": _TEXT, "path": _TEXT, "field": _TEXT,
                "line": {"type": "integer"}, "problems": {"type": "array", "items": {"type": "object"}},
                "causes": {"type": "array"}}},
                "SearchResult": {"type": "object", "required": ["results", "total"], "properties": {
                    "total": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "name": _TEXT, "latest": _NULLABLE_TEXT, "description": _TEXT,
                        "keywords": {"type": "array", "items": _TEXT}, "category": _NULLABLE_TEXT,
                        "components": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "deprecated": _NULLABLE_TEXT, "downloads": {"type": "integer"}}}}}}},
        },
        # Anonymous callers may read what public teams hold; writes need a token (401 without one).
        "security": [{"bearer": []}, {}],
        "paths": {
            "/": {"get": _op("root", "where the registry's documents are", {"200": _json(
                {"type": "object", "required": ["service", "version"]}, "the service and its documents")}, (),
                security=[{}])},
            "/whoami": {"get": _op(
                "whoami", "the token's id, role, teams, clearance, expiry, holder (user) and the teams it acts as "
                "an owner of (owner_of)", {"200": _json(
                    {"oneOf": [{"type": "object", "required": ["anonymous"],
                                "properties": {"anonymous": {"const": True}}, "additionalProperties": False},
                               {**_TOKEN_ROW, "required": ["anonymous", *_TOKEN_ROW["required"]],
                                "properties": {"anonymous": {"const": False}, **_TOKEN_ROW["properties"],
                                               "owner_of": {"type": "array", "items": _TEXT}}}]},
                    "the caller")}, ("401",))},
            "/downloads/blobs/sha256/{digest}": {"post": _op(
                "downloaded", "a front server's report of a public blob it sent from the public tree (counted "
                "when an anonymous reader may read it); 204 whatever blob it names, 422 for what is no digest",
                {"204": {"description": "noted"}}, ("422",),
                params=[{"name": "digest", "in": "path", "required": True,
                         "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                         "description": "the blob's SHA-256, 64 lower-case hex digits"}], security=[{}])},
            "/search": {"get": _op(
                "search", "search packages (the database's full-text index): every word of q must begin a word "
                "of the name, keywords or description of the version a bare install would choose; ranked exact "
                "name, then words in the name, then in name or keywords, then the rest, then by name. Only what "
                "the caller may read is searched or counted",
                {"200": _json({"$ref": "#/components/schemas/SearchResult"},
                              "{results: [{name, latest, description, keywords, category, components, deprecated, "
                              "downloads}], total}")}, ("401", "422"),
                params=[{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY},
                         "description": "words (none: every package)"},
                        {"name": "keyword", "in": "query", "schema": {"type": "string", "maxLength": MAX_KEYWORD},
                         "description": "only packages with this keyword (whole, case-insensitive)"},
                        {"name": "category", "in": "query", "schema": {"enum": list(CATEGORIES)}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                                      "maximum": MAX_OFFSET, "default": 0}}])},
            "/packages": {"post": _op(
                "publish", "publish an archive (the body, streamed): 409 an existing version, 403 role/team/"
                "classification/quota, 413 too large, 422 invalid (every problem listed)",
                {"201": _json(_PUBLISHED, "the published version")}, ("400", "401", "403", "404", "409", "413", "422"),
                body={"required": True, "content": {media: {"schema": {"type": "string", "format": "binary"}}
                                                    for media in ("application/gzip", "application/octet-stream")}},
                params=[{"name": "allow_breaking", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "allow_unresolved", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "X-Agentpack-Signature", "in": "header", "schema": _TEXT,
                         "description": "base64 of the detached signature document (ARCHIVE.sig)"}],
                security=_BEARER_ONLY)},
            "/packages/{name}/yank": {"post": _op(
                "yank", "yank one version, or take the yank back", {"200": _json(
                    {"type": "object", "required": ["name", "version", "changed"], "properties": {
                        "name": _TEXT, "version": _TEXT, "changed": {"type": "boolean"}}}, "whether anything changed")},
                _WRITE, params=[_NAME], body=_body(bodies["yank"]), security=_BEARER_ONLY)},
            "/packages/{name}/deprecate": {"post": _op(
                "deprecate", "deprecate the versions in a range, or take it back", {"200": _json(
                    {"type": "object", "required": ["name", "range", "versions"], "properties": {
                        "name": _TEXT, "range": _TEXT,
                        "versions": {"type": "object", "additionalProperties": {"type": "boolean"}}}},
                    "each version in the range: whether it changed")},
                _WRITE, params=[_NAME], body=_body(bodies["deprecate"], required=False), security=_BEARER_ONLY)},
            "/teams": {
                "get": _op("list-teams", "the teams the caller may see", {"200": _json(
                    {"type": "object", "required": ["teams"], "properties": {"teams": {"type": "array",
                                                                                       "items": _TEAM}}},
                    "the teams")}, ("401",)),
                "post": _op("create-team", f"create a team (an admin token scoped to {ALL_TEAMS})",
                            {"201": _json(_TEAM, "the team")}, ("401", "403", "409", "413", "422"),
                            body=_body(bodies["create-team"]), security=_BEARER_ONLY)},
            "/teams/{name}": {"patch": _op(
                "update-team", "change a team: owners and visibility (an owner's token, or admin on the team), "
                f"classification and quota (admin on {ALL_TEAMS}); 409 when a team that has owners would be left "
                "without one, or its level would drop below a version it holds",
                {"200": _json(_TEAM, "the team")}, ("401", "403", "404", "409", "413", "422"),
                params=[{"name": "name", "in": "path", "required": True, "schema": TEAM_NAME}],
                body=_body(bodies["update-team"]), security=_BEARER_ONLY)},
            "/tokens": {"post": _op(
                "create-token", "create a token (an administrator of every team named: admin on it, or an owner's "
                "token with a role and clearance at least the new one's; admin on * for *); the secret is in the "
                "answer only",
                {"201": _json({**_TOKEN_ROW, "required": ["token", *_TOKEN_ROW["required"]],
                               "properties": {"token": _TEXT, **_TOKEN_ROW["properties"]}}, "the token")},
                _WRITE, body=_body(bodies["create-token"]), security=_BEARER_ONLY)},
            "/tokens/{token_id}": {"delete": _op(
                "revoke-token", "revoke a token (the token itself, or whoever may create one like it)",
                {"200": _json({"type": "object", "required": ["id", "revoked", "changed"], "properties": {
                    "id": _TEXT, "revoked": {"const": True}, "changed": {"type": "boolean"}}},
                    "revoked (changed: false when it was already)")},
                ("401", "403", "404"),
                params=[{"name": "token_id", "in": "path", "required": True,
                         "schema": {"type": "string", "minLength": 1, "maxLength": 64}}],
                security=_BEARER_ONLY)},
            "/openapi.json": {"get": _op("openapi", "this document", {"200": _json({"type": "object"}, "OpenAPI 3.1")},
                                         (), security=[{}])},
        },
    }
