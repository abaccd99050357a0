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


async def catalog(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    return document(request, await run_in_threadpool(state.visible_catalog, caller))


async def index(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    path = request.path_params["name"]
    name = path[:-len(".json")] if path.endswith(".json") else None
    if name is None or not documents.is_valid_name(name):
        raise PackageNotFound(f"no such document: index/{path}")

    def build() -> dict | None:
        try:
            full = state.registry.package_index(name)
        except PackageNotFound:
            return None
        return state.readable_index(caller, full)

    visible = await run_in_threadpool(build)
    if visible is None:
        raise PackageNotFound(f"package {name} not found")
    return document(request, visible)


async def blob(request) -> Response:
    caller, _row = await caller_of(request)
    state = request.app.state.server
    digest = request.path_params["digest"]
    if not is_sha256(digest) or not await run_in_threadpool(state.may_read_blob, caller, digest):
        raise PackageNotFound(f"no blob sha256:{digest}")
    stream = state.data.blobs.open(digest)
    if stream is None:
        raise PackageNotFound(f"no blob sha256:{digest}")
    state.downloads.add(digest)
    size = _size(stream)
    cache = "public, max-age=31536000, immutable" if caller.role is None else "private, max-age=31536000, immutable"

    def chunks():
        with stream:
            while chunk := stream.read(256 * 1024):
                yield chunk

    headers = {"ETag": f'"{digest}"', "Cache-Control": cache}
    if size is not None:
        headers["Content-Length"] = str(size)
    return StreamingResponse(chunks(), media_type="application/octet-stream", headers=headers)


def _size(stream) -> int | None:
    import os

    try:
        return os.fstat(stream.fileno()).st_size
    except (OSError, AttributeError, ValueError):
        return None
