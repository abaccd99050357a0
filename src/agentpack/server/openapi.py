"""The OpenAPI 3.1 document of the registry server's API (``GET /api/v1/openapi.json``)."""

from __future__ import annotations

_ERROR = {"description": "an agentpack error: {error, message, hint?, problems?}",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, responses: dict, *, body: dict | None = None, params: list | None = None) -> dict:
    operation = {"summary": summary, "responses": {**responses, "default": _ERROR}}
    if body is not None:
        operation["requestBody"] = body
    if params:
        operation["parameters"] = params
    return operation


def _json_body(properties: dict, required: list[str]) -> dict:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "properties": properties, "required": required}}}}


_NAME = {"name": "name", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "package name, `name` or `team/name`"}


def openapi_document(version: str) -> dict:
    """The document, for server ``version``."""
    text = {"type": "string"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "agentpack registry API", "version": version,
                 "description": "Writes and administration. Reads use the read protocol at the registry's root "
                                "(config.json, catalog.json, index/<name>.json, blobs/sha256/<hex>)."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": text, "message": text, "hint": text,
                "problems": {"type": "array", "items": {"type": "object"}}}}},
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/whoami": {"get": _op("the token's id, role, teams, clearance, expiry, holder (user) and the teams it "
                                   "acts as an owner of (owner_of)", {"200": {"description": "ok"}})},
            "/packages": {"post": _op(
                "publish an archive (the body, streamed); 409 existing version, 403 role/team/classification/"
                "quota, 413 too large, 422 invalid (every problem listed)",
                {"201": {"description": "the published version"}},
                body={"required": True, "content": {"application/gzip": {"schema": {"type": "string",
                                                                                   "format": "binary"}}}},
                params=[{"name": "allow_breaking", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "allow_unresolved", "in": "query", "schema": {"type": "boolean"}},
                        {"name": "X-Agentpack-Signature", "in": "header", "schema": text,
                         "description": "base64 of the detached signature document (ARCHIVE.sig)"}])},
            "/packages/{name}/yank": {"post": _op(
                "yank one version, or take the yank back (an owner of the package's team, or an admin of it); "
                "a version the caller may not see is 404, as one that does not exist",
                {"200": {"description": "{changed}"}}, params=[_NAME],
                body=_json_body({"version": text, "reason": text, "undo": {"type": "boolean"}}, ["version"]))},
            "/packages/{name}/deprecate": {"post": _op(
                "deprecate the versions in a range, or take it back (an owner of the package's team, or an admin "
                "of it): only versions the caller may see are touched and listed; a range matching none is 404",
                {"200": {"description": "{versions}"}},
                params=[_NAME],
                body=_json_body({"range": text, "message": text, "undo": {"type": "boolean"}}, []))},
            "/teams": {
                "get": _op("the teams the caller may see", {"200": {"description": "{teams}"}}),
                "post": _op("create a team (admin token scoped to *)", {"201": {"description": "the team"}},
                            body=_json_body({"name": text, "private": {"type": "boolean"}, "classification": text,
                                             "quota": text, "max_versions": {"type": "integer"},
                                             "owners": {"type": "array", "items": text}}, ["name"]))},
            "/teams/{name}": {"patch": _op(
                "change a team: owners and visibility (an owner's token, or admin on the team), classification "
                "and quota (admin on *); 409 when a team that has owners would be left without one, or its level "
                "would drop below a version it holds",
                {"200": {"description": "the team"}},
                params=[{"name": "name", "in": "path", "required": True, "schema": text}],
                body=_json_body({"add_owners": {"type": "array", "items": text},
                                 "remove_owners": {"type": "array", "items": text},
                                 "private": {"type": "boolean"}, "classification": text,
                                 "quota": {"type": ["string", "null"], "description": "a size, or none"},
                                 "max_versions": {"type": ["integer", "string", "null"],
                                                  "description": "a count, or none"}}, []))},
            "/tokens": {"post": _op(
                "create a token (an administrator of every team named: admin on it, or an owner's token with a role "
                "at least the new one's and a clearance at least its clearance; admin on * for *); the secret is in "
                "the answer only",
                {"201": {"description": "{token, id, role, teams, clearance, expires_at, user}"}},
                body=_json_body({"teams": {"type": "array", "items": text}, "role": {"enum": ["read", "publish", "admin"]},
                                 "expires": text, "clearance": text, "note": text,
                                 "user": {"type": "string", "description": "who holds the token"}}, ["teams", "role"]))},
            "/tokens/{token_id}": {"delete": _op(
                "revoke a token (the token itself, or whoever may create one like it)",
                {"200": {"description": "{id, revoked}"}},
                params=[{"name": "token_id", "in": "path", "required": True, "schema": text}])},
            "/openapi.json": {"get": _op("this document", {"200": {"description": "OpenAPI 3.1"}})},
        },
    }
