"""Rendering for the server's routes: errors as JSON with the status their kind calls for,
documents with strong ETags, and the caller behind a request's bearer token."""

from __future__ import annotations

import hashlib
import json
import time

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, Response

from agentpack.core.access import Caller
from agentpack.errors import AgentpackError

# An error's code -> the HTTP status it is answered with. Anything else agentpack raises on
# purpose is 400 (the request cannot be carried out as it is); an unexpected exception is 500.
STATUS_OF = {
    "unauthenticated": 401,
    "forbidden": 403,
    "quota-exceeded": 403,
    "classification": 403,
    "not-found": 404,
    "version-exists": 409,
    "registry-conflict": 409,
    "too-large": 413,
    "invalid-package": 422,
    "unsafe-archive": 422,
    "bad-signature": 422,
    "integrity": 422,
    "semver-violation": 422,
    "invalid-name": 422,
    "invalid-version": 422,
    "invalid-range": 422,
    "usage": 422,
    "storage-unavailable": 503,
}


def error_response(error: AgentpackError) -> JSONResponse:
    """``error.to_dict()`` with the status of its kind; 401 says how to authenticate."""
    status = STATUS_OF.get(error.code, 400)
    headers = {"WWW-Authenticate": 'Bearer realm="agentpack"'} if status == 401 else None
    return JSONResponse(error.to_dict(), status_code=status, headers=headers)


def document(request, body, *, cache: str = "no-cache") -> Response:
    """A JSON document (bytes, a dict, or a server.read_cache.Rendered) with a strong ETag of its
    bytes; 304 when the client holds them already."""
    if hasattr(body, "etag"):
        data, etag = body.body, body.etag
    else:
        data = body if isinstance(body, bytes) else (json.dumps(body, ensure_ascii=False, default=str) + "\n").encode()
        etag = '"' + hashlib.sha256(data).hexdigest()[:40] + '"'
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Authorization"}
    if etag in [tag.strip() for tag in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="application/json", headers=headers)


def bearer(request) -> str | None:
    """The token of ``Authorization: Bearer TOKEN`` (None when absent)."""
    return bearer_of(request.scope["headers"])


def bearer_of(headers: list) -> str | None:
    """``bearer`` over an ASGI scope's raw ``headers`` (names are lower case bytes)."""
    for name, value in headers:
        if name == b"authorization":
            scheme, _space, token = value.decode("latin-1").partition(" ")
            return token.strip() or None if scheme.lower() == "bearer" else None
    return None


async def caller_of(request):
    """``(Caller, token row or None)`` for the request (AuthenticationRequired for a bad token)."""
    from agentpack.services.registry_admin import authenticate

    state = request.app.state.server
    secret = bearer(request)
    if secret is None:  # anonymous: nothing to look up
        request.state.token_id = None
        return Caller(), None
    caller, row = await run_in_threadpool(authenticate, state.data, secret, now=int(time.time()))
    request.state.token_id = row["id"] if row else None
    return caller, row
