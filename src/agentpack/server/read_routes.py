"""The read protocol (docs/registry-protocol.md), served at the paths of a static registry tree,
so that the http(s):// client installs from the server unchanged. Each caller sees only what
core.access lets it read: a package it may not see is absent (404), not forbidden."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from agentpack.adapters.registry import documents
from agentpack.core.digests import is_sha256
from agentpack.errors import PackageNotFound
from agentpack.server.read_cache import BLOB_ITEM_LIMIT
from agentpack.server.responses import caller_of, document

API_PATH = "api/v1/"


def read_routes() -> list[Route]:
    """The routes of the read protocol."""
    return [
        Route("/config.json", config, methods=["GET"]),
        Route("/registry.json", settings, methods=["GET"]),
        Route("/catalog.json", catalog, methods=["GET"]),
        Route("/index/{name:path}", index, methods=["GET"]),
        Route("/blobs/sha256/{digest}", blob, methods=["GET"]),
    ]


async def config(request) -> Response:
    return document(request, {**documents.config_document(), "api": API_PATH})


async def settings(request) -> Response:
    return document(request, request.app.state.server.registry.settings())


async def snapshot_of(state):
    """The read cache's snapshot, asking the database only when it may be stale."""
    return state.read_cache.fresh() or await run_in_threadpool(state.read_cache.load)


async def catalog(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    snapshot = await snapshot_of(state)
    rendered = state.read_cache.rendered(snapshot, ("catalog", caller),
                                         lambda: state.visible_catalog(caller, snapshot))
    return document(request, rendered)


async def index(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    path = request.path_params["name"]
    name = path[:-len(".json")] if path.endswith(".json") else None
    if name is None or not documents.is_valid_name(name):
        raise PackageNotFound(f"no such document: index/{path}")
    snapshot = await snapshot_of(state)

    def build() -> dict | None:
        full = snapshot.indexes.get(name)
        return None if full is None else state.readable_index(caller, full, snapshot.teams)

    rendered = state.read_cache.rendered(snapshot, ("index", name, caller), build)
    if rendered is None:
        raise PackageNotFound(f"package {name} not found")
    return document(request, rendered)


async def blob(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    digest = request.path_params["digest"]
    if not is_sha256(digest) or not state.may_read_blob(caller, digest, await snapshot_of(state)):
        raise PackageNotFound(f"no blob sha256:{digest}")
    cache = "public, max-age=31536000, immutable" if caller.role is None else "private, max-age=31536000, immutable"
    headers = {"ETag": f'"{digest}"', "Cache-Control": cache}
    kept = state.read_cache.blob(digest)
    if kept is None:
        stream = await run_in_threadpool(state.data.blobs.open, digest)
        if stream is None:
            raise PackageNotFound(f"no blob sha256:{digest}")
        size = _size(stream)
        if size is not None and size <= BLOB_ITEM_LIMIT:
            with stream:
                kept = await run_in_threadpool(stream.read)
            state.read_cache.keep_blob(digest, kept)
    state.downloads.add(digest)
    state.metrics.count_download()
    if kept is not None:
        return Response(kept, media_type="application/octet-stream", headers=headers)

    def chunks():
        with stream:
            while chunk := stream.read(256 * 1024):
                yield chunk

    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


def _size(stream) -> int | None:
    import os

    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None
