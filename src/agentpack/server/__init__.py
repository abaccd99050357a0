"""The web faces of agentpack: the registry server and the web catalog, Starlette routes over the
same services the command line calls.

``create_app(settings)`` builds the registry server's ASGI app. A face, like the CLI: routes parse
requests, ask core.access who may do what, call services and render results or errors. State lives
on the app (``app.state.server``), never in module globals, so that several apps (tests, one per
data directory) live in one process.
"""

from __future__ import annotations


def create_app(settings, extra_routes=()):
    """The Starlette app for ``settings`` (server.settings.ServerSettings); see server.app."""
    from agentpack.server.app import create_app as build

    return build(settings, extra_routes=extra_routes)
