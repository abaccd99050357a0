"""``create_app(settings)``: the Starlette app of a registry server, built from a list of routes.

The app is the read protocol at the root (server.read_routes), the API mounted at ``/api/v1``
(server.api_routes), and operations (server.ops_routes); ``extra_routes`` (say, an HTML catalog
mounted at ``/ui``) come before them. Its state (``app.state.server``: the data, counters) is made
here, not at import; the lifespan writes download counts in batches and closes the store.
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
from agentpack.server.read_routes import read_routes
from agentpack.server.responses import error_response
from agentpack.server.state import ServerState


def create_app(settings, *, extra_routes=(), data=None) -> Starlette:
    """The app for ``settings`` (server.settings.ServerSettings); ``data`` an already opened
    services.registry_admin.ServerData (default: opened from the settings)."""
    from agentpack.services.registry_admin import open_server_data

    if data is None:
        data = open_server_data(settings.data_dir, database_url=settings.database_url, blobs_dir=settings.blobs_dir,
                                levels=settings.levels)
    state = ServerState(settings, data)
    _clear_uploads(data.data_dir)
    routes = [*extra_routes, Mount("/api/v1", routes=[*api_routes(), *api_root_routes()]), *read_routes(),
              *_catalog_routes(state), *ops_routes()]

    @contextlib.asynccontextmanager
    async def lifespan(app):
        flusher = asyncio.create_task(_flush_downloads(state))
        state.log("start", data=data.data_dir)
        try:
            yield
        finally:
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            await run_in_threadpool(state.flush_downloads)
            data.close()
            state.log("stop")

    app = Starlette(routes=routes, lifespan=lifespan,
                    exception_handlers={AgentpackError: _agentpack_error, HTTPException: _http_error,
                                        Exception: _unexpected})
    app.state.server = state
    return _Logged(app, state)


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
            self.state.requests[(scope["method"], route, status["code"])] += 1
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


def _clear_uploads(data_dir: str) -> None:
    """Remove uploads a killed server left half-received (they never became versions)."""
    import os
    import shutil

    shutil.rmtree(os.path.join(data_dir, "uploads"), ignore_errors=True)
