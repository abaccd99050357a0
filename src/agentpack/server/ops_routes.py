"""Operations: ``/api/v1/`` (a pointer; ``/`` is the web catalog), ``/healthz`` (the process answers), ``/readyz`` (the database
and the blob store answer), ``/metrics`` (Prometheus text format) and the OpenAPI document of the API."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agentpack import __version__
from agentpack.server.openapi import openapi_document


def ops_routes() -> list[Route]:
    """The operations routes (at the root, next to the read protocol)."""
    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]


def api_root_routes() -> list[Route]:
    """``/openapi.json`` and ``/`` (the pointer), mounted under /api/v1 with the API."""
    return [Route("/openapi.json", openapi, methods=["GET"]), Route("/", root, methods=["GET"])]


async def root(request) -> Response:
    return JSONResponse({"service": "agentpack registry", "version": __version__, "protocol": 1,
                         "config": "config.json", "api": "api/v1/", "openapi": "api/v1/openapi.json"})


async def healthz(request) -> Response:
    return PlainTextResponse("ok\n")


async def readyz(request) -> Response:
    """Ready when the database and the blob store both answer; else 503 naming which is not."""
    from agentpack.errors import AgentpackError

    state = request.app.state.server
    for what, check in (("database", state.data.store.ping), ("blob store", state.data.blobs.check)):
        try:
            await run_in_threadpool(check)
        except AgentpackError as error:  # its message names the store, never a secret
            return PlainTextResponse(f"not ready: {what}: {error.message}\n", status_code=503)
        except Exception as error:  # noqa: BLE001 (any failure means not ready)
            return PlainTextResponse(f"not ready: {what}: {type(error).__name__}\n", status_code=503)
    return PlainTextResponse("ready\n")


async def openapi(request) -> Response:
    return JSONResponse(openapi_document(__version__, request.app.state.server.data.levels.names))


async def metrics(request) -> Response:
    """The whole server's metrics (server.metrics), whichever of its processes answers."""
    from agentpack.server.metrics import render

    state = request.app.state.server
    snapshot = state.metrics.snapshot()  # on the event loop, where the counts change

    def gather() -> str:
        downloads = state.data.store.downloads()
        packages = len({package for package, _ in downloads})
        return render(state.metrics.totals(snapshot), packages, len(downloads), downloads)

    return PlainTextResponse(await run_in_threadpool(gather), media_type="text/plain; version=0.0.4")
