"""``create_app(settings)``: the Starlette app of a registry server, built from a list of routes.

The app is the read protocol at the root (server.read_routes, in front of the routes), the API mounted at ``/api/v1``
(server.api_routes), and operations (server.ops_routes); ``extra_routes`` (say, an HTML catalog
mounted at ``/ui``) come before them. Its state (``app.state.server``: the data, counters) is made
here, not at import; the lifespan writes download counts in batches, shares this process's
metrics with the server's other processes (server.metrics), and closes the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.routing import Mount

from agentpack.errors import AgentpackError
from agentpack.server.api_routes import api_routes
from agentpack.server.ops_routes import api_root_routes, ops_routes
from agentpack.server.public_tree import PublicTree
from agentpack.server.read_routes import ReadProtocol
from agentpack.server.responses import error_response
from agentpack.server.search_routes import search_routes
from agentpack.server.state import ServerState


def create_app(settings, *, extra_routes=(), data=None) -> Starlette:
    """The app for ``settings`` (server.settings.ServerSettings); ``data`` an already opened
    services.registry_admin.ServerData (default: opened from the settings)."""
    from agentpack.services.registry_admin import open_server_data

    if data is None:
        data = open_server_data(settings.data_dir, database_url=settings.database_url, blobs=settings.blobs,
                                levels=settings.levels, options=_network_options())
    data.registry.classification = settings.classification
    state = ServerState(settings, data)
    _clear_uploads(data.data_dir)
    routes = [*extra_routes, Mount("/api/v1", routes=[*api_routes(), *search_routes(), *api_root_routes()]),
              *_catalog_routes(state), *ops_routes()]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await run_in_threadpool(state.metrics.flush, state.metrics.snapshot())  # this process joins the totals
        tasks = [asyncio.create_task(_flush_downloads(state)), asyncio.create_task(_flush_metrics(state))]
        if settings.public_tree:
            tree = PublicTree(settings.public_tree)
            await run_in_threadpool(tree.sync, state, await run_in_threadpool(state.read_cache.load))
            tasks.append(asyncio.create_task(_keep_public_tree(state, tree)))
        state.log("start", data=data.data_dir, public_tree=settings.public_tree, tier=settings.tier,
                  classification=settings.classification)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await run_in_threadpool(state.flush_downloads)
            await run_in_threadpool(state.metrics.flush, state.metrics.snapshot())
            data.close()
            state.log("stop")

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={AgentpackError: _agentpack_error, HTTPException: _http_error,
                                        Exception: _unexpected})
    app.state.server = state
    return _Logged(ReadProtocol(app, state), state)


def _network_options():
    """How the server reaches a blob store across a network (an OCI registry): the same environment
    variables as the command line's registries (AGENTOPS_HTTP_TIMEOUT, AGENTOPS_CA_FILE,
    AGENTOPS_OCI_USERNAME/PASSWORD, AGENTOPS_OCI_PLAIN_HTTP, DOCKER_CONFIG, proxies), read here at
    the edge, in each worker process."""
    import os

    from agentpack.services.workspace import Settings

    return Settings.from_environment(os.environ).registry_options()


def _catalog_routes(state) -> list:
    """The web catalog (``/``, ``/packages/...``, ``/categories/...``) over what anonymous readers may
    see: public teams at the lowest classification level only (server.public_view)."""
    from agentpack.server.catalog import catalog_routes
    from agentpack.server.public_view import PublicView, downloads_of

    view = PublicView(state, state.settings.public_url)
    return catalog_routes(lambda: view, downloads=downloads_of(state), registry_url=state.settings.public_url)


class _Logged:
    """ASGI middleware: one JSON log line and one metrics count per HTTP request."""

    def __init__(self, app: Starlette, state: ServerState) -> None:
        self.app = app
        self.state = state

    def __getattr__(self, name):  # app.state, app.routes, ... as on the Starlette app
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.monotonic(), {"code": 500}

        async def sending(message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route_label(scope)
            self.state.metrics.count_request(scope["method"], route, status["code"])
            token = (scope.get("state") or {}).get("token_id")
            self.state.log("request", method=scope["method"], path=scope["path"], status=status["code"],
                           ms=round((time.monotonic() - started) * 1000, 1), token=token,
                           client=(scope.get("client") or ("", 0))[0])


def _route_label(scope) -> str:
    path = scope["path"]
    for prefix in ("/index/", "/blobs/", "/api/v1/packages/", "/api/v1/tokens/"):
        if path.startswith(prefix):
            return prefix + "*"
    return path if len(path) < 64 else path[:64]


async def _agentpack_error(request, error: AgentpackError):
    response = error_response(error)
    state = request.app.state.server
    if response.status_code >= 500 or request.url.path.startswith("/api/"):
        state.log("refused", path=request.url.path, status=response.status_code, error=error.code,
                  message=error.message)
    return response


async def _http_error(request, error: HTTPException):
    """Starlette's own refusals (no such route, a method the route lacks): JSON errors under
    ``/api/``, as the OpenAPI document promises for every answer there; plain text elsewhere."""
    from starlette.responses import JSONResponse, PlainTextResponse

    if not request.url.path.startswith("/api/"):
        return PlainTextResponse(error.detail, status_code=error.status_code, headers=error.headers)
    code = {404: "not-found", 405: "method-not-allowed"}.get(error.status_code, "http")
    message = {404: f"no such API route: {request.method} {request.url.path}",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(error.status_code, error.detail)
    return JSONResponse({"error": code, "message": message}, status_code=error.status_code, headers=error.headers)


async def _unexpected(request, error: Exception):
    request.app.state.server.log("error", path=request.url.path, error=type(error).__name__, message=str(error))
    from starlette.responses import JSONResponse

    return JSONResponse({"error": "internal", "message": f"internal error: {type(error).__name__}"}, status_code=500)


async def _flush_downloads(state: ServerState) -> None:
    while True:
        await asyncio.sleep(state.settings.download_flush_seconds)
        try:
            await run_in_threadpool(state.flush_downloads)
        except Exception as error:  # noqa: BLE001 (kept for the next batch is not possible; log and go on)
            state.log("error", event_detail="download flush failed", error=type(error).__name__)


async def _keep_public_tree(state: ServerState, tree: PublicTree) -> None:
    """Bring the public tree up to date after each write of this server, and at least every
    read-cache period for what other processes wrote (server.public_tree)."""
    changed = asyncio.Event()
    state.read_cache.listeners.append(changed.set)
    while True:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(changed.wait(), timeout=max(state.settings.read_cache_seconds, 0.1))
        changed.clear()
        try:
            snapshot = await run_in_threadpool(state.read_cache.load)
            if snapshot.stamp != tree.synced_stamp:
                await run_in_threadpool(tree.sync, state, snapshot)
        except Exception as error:  # noqa: BLE001 (tried again at the next change or period)
            state.log("error", event_detail="public tree sync failed", error=type(error).__name__,
                      message=str(error))


async def _flush_metrics(state: ServerState) -> None:
    """Write this process's counts for the others' ``/metrics`` (when they changed)."""
    while True:
        await asyncio.sleep(state.settings.metrics_flush_seconds)
        try:
            await run_in_threadpool(state.metrics.flush, state.metrics.snapshot())
        except OSError as error:  # the next interval tries again
            state.log("error", event_detail="metrics flush failed", error=type(error).__name__)


def _clear_uploads(data_dir: str) -> None:
    """Remove uploads a killed server left half-received (they never became versions)."""
    import os
    import shutil

    shutil.rmtree(os.path.join(data_dir, "uploads"), ignore_errors=True)
