"""The OpenAPI 3.1 document of the registry server's API (``GET /api/v1/openapi.json``)."""

from __future__ import annotations

from agentpack.core.manifest import CATEGORIES
from agentpack.core.search_text import DEFAULT_LIMIT, MAX_KEYWORD, MAX_LIMIT, MAX_OFFSET, MAX_QUERY

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
                 "description": "Writes, administration and search. Reads use the read protocol at the "
                                "registry's root (config.json, catalog.json, index/<name>.json, "
                                "blobs/sha256/<hex>)."},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "required": ["error", "message"], "properties": {
                "error": text, "message": text, "hint": text,
                "problems": {"type": "array", "items": {"type": "object"}}}},
                "SearchResult": {"type": "object", "required": ["results", "total"], "properties": {
                    "total": {"type": "integer"},
                    "results": {"type": "array", "items": {"type": "object", "properties": {
                        "name": text, "latest": {"type": ["string", "null"]}, "description": text,
                        "keywords": {"type": "array", "items": text}, "category": {"type": ["string", "null"]},
                        "components": {"type": "object", "additionalProperties": {"type": "integer"}},
                        "deprecated": {"type": ["string", "null"]}, "downloads": {"type": "integer"}}}}}}},
        },
        "security": [{"bearer": []}, {}],
        "paths": {
            "/downloads/blobs/sha256/{digest}": {"post": _op(
                "a front server's report of a public blob it sent from the public tree (counted when an "
                "anonymous reader may read it); always 204, whatever it names",
                {"204": {"description": "noted"}},
                params=[{"name": "digest", "in": "path", "required": True, "schema": text,
                         "description": "the blob's SHA-256, 64 lower-case hex digits"}])},
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
            "/search": {"get": _op(
                "search packages (the database's full-text index): every word of q must begin a word of the "
                "name, keywords or description of the version a bare install would choose; ranked exact name, "
                "then words in the name, then in name or keywords, then the rest, then by name. Only what the "
                "caller may read is searched or counted. 422 for a parameter out of bounds",
                {"200": {"description": "{results: [{name, latest, description, keywords, category, components, "
                                        "deprecated, downloads}], total}",
                         "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SearchResult"}}}}},
                params=[{"name": "q", "in": "query", "schema": {"type": "string", "maxLength": MAX_QUERY},
                         "description": "words (none: every package)"},
                        {"name": "keyword", "in": "query", "schema": {"type": "string", "maxLength": MAX_KEYWORD},
                         "description": "only packages with this keyword (whole, case-insensitive)"},
                        {"name": "category", "in": "query", "schema": {"enum": list(CATEGORIES)}},
                        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                                     "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}},
                        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0,
                                                                      "maximum": MAX_OFFSET, "default": 0}}])},
            "/openapi.json": {"get": _op("this document", {"200": {"description": "OpenAPI 3.1"}})},
        },
    }
