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
    return JSONResponse(openapi_document(__version__))


async def metrics(request) -> Response:
    state = request.app.state.server
    store = state.data.store

    def gather() -> tuple[int, int, dict]:
        downloads = store.downloads()
        return len({package for package, _ in downloads}), len(downloads), downloads

    packages, versions, downloads = await run_in_threadpool(gather)
    lines = ["# HELP agentpack_packages Packages held.", "# TYPE agentpack_packages gauge",
             f"agentpack_packages {packages}",
             "# HELP agentpack_versions Versions held.", "# TYPE agentpack_versions gauge",
             f"agentpack_versions {versions}",
             "# HELP agentpack_downloads_total Archive downloads since start (counted before they are stored).",
             "# TYPE agentpack_downloads_total counter", f"agentpack_downloads_total {state.downloads.total}",
             "# HELP agentpack_version_downloads Downloads per version, as last written in a batch.",
             "# TYPE agentpack_version_downloads gauge"]
    for (package, version), count in sorted(downloads.items()):
        lines.append(f'agentpack_version_downloads{{package="{package}",version="{_label(version)}"}} {count}')
    lines += ["# HELP agentpack_http_requests_total Requests answered.", "# TYPE agentpack_http_requests_total counter"]
    for (method, route, status), count in sorted(state.requests.items()):
        lines.append(f'agentpack_http_requests_total{{method="{method}",route="{_label(route)}",status="{status}"}} {count}')
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
