"""The read protocol (docs/registry-protocol.md), served at the paths of a static registry tree,
so that the http(s):// client installs from the server unchanged. Each caller sees only what
core.access lets it read: a package it may not see is absent (404), not forbidden.

These GETs are nearly all of a registry's traffic, so they are answered by a plain ASGI layer in
front of the Starlette app rather than by its routes: no request object, no router walk over the
API and catalog routes, and, while the read cache is current, no work beyond a dictionary lookup
and two ``send`` calls. Everything else (the API, the web catalog, operations) passes through to
the app. Errors and large blobs are still answered by Starlette's responses.
"""

from __future__ import annotations

import os
import time

from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from agentpack.adapters.registry import documents
from agentpack.core.access import Caller
from agentpack.core.digests import is_sha256
from agentpack.errors import AgentpackError, PackageNotFound
from agentpack.server.read_cache import BLOB_ITEM_LIMIT, Rendered
from agentpack.server.responses import error_response

API_PATH = "api/v1/"
ANONYMOUS = Caller()
_JSON = b"application/json"
_BLOB = b"application/octet-stream"
_FIXED = {"/config.json", "/registry.json", "/catalog.json"}
_INDEX, _BLOBS = "/index/", "/blobs/sha256/"
# A front server that sent a public blob from the public tree tells the server so (server.
# public_tree): POST here with the blob's path, answered 204 whatever blob it names (422 for what
# is no digest), counted only when an anonymous caller may read that blob. A request it passes on after a miss in the tree says
# ``X-Agentpack-Download: mirror``: the front counts that one itself, so the GET does not.
DOWNLOADED = "/api/v1/downloads" + _BLOBS
_COUNTED_BY_FRONT = (b"x-agentpack-download", b"mirror")


class ReadProtocol:
    """ASGI middleware answering GET and HEAD of ``config.json``, ``registry.json``,
    ``catalog.json``, ``index/<name>.json`` and ``blobs/sha256/<digest>``; ``app`` answers the rest."""

    def __init__(self, app, state) -> None:
        self.app = app
        self.server = state
        self._config = config_rendered()

    def __getattr__(self, name):  # app.state, app.routes, ... as on the Starlette app
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path in _FIXED or path.startswith(_INDEX) or path.startswith(_BLOBS)):
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await _send(send, 405, b"", [(b"allow", b"GET, HEAD")], head=False)
            return
        try:
            await self._answer(scope, send, path)
        except AgentpackError as error:
            await error_response(error)(scope, receive, send)
        except Exception as error:  # noqa: BLE001 (answered as the app answers it: a 500, logged)
            self.server.log("error", path=path, error=type(error).__name__, message=str(error))
            body = b'{"error": "internal", "message": "internal error: ' + type(error).__name__.encode() + b'"}'
            await _send(send, 500, body, [(b"content-type", _JSON)], head=False)

    async def _caller(self, scope) -> Caller:
        """The caller behind the request's bearer token (anonymous without one). Tokens are looked
        up on every request, never cached: a revoked token is refused at once."""
        from agentpack.server.responses import bearer_of

        secret = bearer_of(scope["headers"])
        scope.setdefault("state", {})["token_id"] = None
        if secret is None:
            return ANONYMOUS
        from agentpack.services.registry_admin import authenticate

        caller, row = await run_in_threadpool(authenticate, self.server.data, secret, now=int(time.time()))
        scope["state"]["token_id"] = row["id"] if row else None
        return caller

    async def _answer(self, scope, send, path: str) -> None:
        state = self.server
        head = scope["method"] == "HEAD"
        if path == "/config.json":  # the same for every caller: no token is looked at
            await _document(scope, send, self._config, head)
            return
        if path == "/registry.json":
            await _document(scope, send, Rendered.of(state.registry.settings()), head)
            return
        caller = await self._caller(scope)
        snapshot = state.read_cache.fresh() or await run_in_threadpool(state.read_cache.load)
        if path == "/catalog.json":
            await _document(scope, send, catalog_rendered(state, snapshot, caller), head)
        elif path.startswith(_INDEX):
            await _document(scope, send, self._index(snapshot, path[len(_INDEX):], caller), head)
        else:
            await self._blob(scope, send, snapshot, path[len(_BLOBS):], caller, head)

    def _index(self, snapshot, path: str, caller: Caller) -> Rendered:
        name = path[:-len(".json")] if path.endswith(".json") else None
        if name is None or not documents.is_valid_name(name):
            raise PackageNotFound(f"no such document: index/{path}")
        rendered = index_rendered(self.server, snapshot, name, caller)
        if rendered is None:
            raise PackageNotFound(f"package {name} not found")
        return rendered

    async def _blob(self, scope, send, snapshot, digest: str, caller: Caller, head: bool) -> None:
        state = self.server
        if not is_sha256(digest):
            raise PackageNotFound(f"no blob sha256:{digest}")
        key = ("blob", digest, caller)
        allowed = snapshot.rendered.get(key)
        if allowed is None:
            allowed = snapshot.rendered[key] = state.may_read_blob(caller, digest, snapshot)
        if not allowed:
            raise PackageNotFound(f"no blob sha256:{digest}")
        cache = b"public, max-age=31536000, immutable" if caller.role is None else \
            b"private, max-age=31536000, immutable"
        headers = [(b"etag", f'"{digest}"'.encode()), (b"cache-control", cache)]
        kept = state.read_cache.blob(digest)
        stream = size = None
        if kept is None:
            stream = await run_in_threadpool(state.data.blobs.open, digest)
            if stream is None:
                raise PackageNotFound(f"no blob sha256:{digest}")
            size = _size(stream)
            if size is not None and size <= BLOB_ITEM_LIMIT:
                with stream:
                    kept = await run_in_threadpool(stream.read)
                state.read_cache.keep_blob(digest, kept)
        if not head:
            state.downloads.add(digest)
            state.metrics.count_download()
        if kept is not None:
            await _send(send, 200, kept, [(b"content-type", _BLOB), *headers], head=head)
            return

        def chunks():
            with stream:
                while chunk := stream.read(256 * 1024):
                    yield chunk

        extra = {"Content-Length": str(size)} if size is not None else {}
        response = StreamingResponse(chunks(), media_type="application/octet-stream",
                                     headers={"ETag": f'"{digest}"', "Cache-Control": cache.decode(), **extra})
        if head:
            stream.close()
            response = StreamingResponse(iter(()), headers=dict(response.headers))
        await response(scope, None, send)


def config_rendered() -> Rendered:
    """``config.json`` of a registry server: the same for every caller."""
    return Rendered.of({**documents.config_document(), "api": API_PATH})


def catalog_rendered(state, snapshot, caller: Caller) -> Rendered:
    """``catalog.json`` as ``caller`` may see it, rendered once per snapshot."""
    return state.read_cache.rendered(snapshot, ("catalog", caller), lambda: state.visible_catalog(caller, snapshot))


def index_rendered(state, snapshot, name: str, caller: Caller) -> Rendered | None:
    """``index/<name>.json`` as ``caller`` may see it (None: nothing of it), rendered once per snapshot."""

    def build() -> dict | None:
        full = snapshot.indexes.get(name)
        return None if full is None else state.readable_index(caller, full, snapshot.teams)

    return state.read_cache.rendered(snapshot, ("index", name, caller), build)


async def _document(scope, send, rendered: Rendered, head: bool) -> None:
    """A JSON document with its strong ETag; 304 when the client holds it already."""
    etag = rendered.etag.encode()
    headers = [(b"etag", etag), (b"cache-control", b"no-cache"), (b"vary", b"Authorization")]
    for name, value in scope["headers"]:
        if name == b"if-none-match" and etag in [tag.strip() for tag in value.split(b",")]:
            await _send(send, 304, b"", headers, head=True, length=False)
            return
    await _send(send, 200, rendered.body, [(b"content-type", _JSON), *headers], head=head)


async def _send(send, status: int, body: bytes, headers: list, *, head: bool, length: bool = True) -> None:
    if length:
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})


def _size(stream) -> int | None:
    """The bytes ``stream`` holds: a blob store's stream that is no file states it (``size``)."""
    stated = getattr(stream, "size", None)
    if isinstance(stated, int) and not isinstance(stated, bool):
        return stated
    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None
