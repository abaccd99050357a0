"""The catalog's request handlers: read through services.catalog, render with Jinja2 (autoescaped).

Handlers are plain functions, so Starlette runs them in its thread pool: registries read files and
networks synchronously. What a registry holds is untrusted: every text reaches the page through
Jinja2's escaping, except the README, which is sanitised HTML (``readme``).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Callable

from agentpack.core.manifest import CATEGORIES
from agentpack.errors import AgentpackError, InvalidName, PackageNotFound
from agentpack.server.catalog.readme import ReadmeCache
from agentpack.services import catalog as service
from agentpack.services.search import tool_counts

TEMPLATES = os.path.join(os.path.dirname(__file__), "templates")
# Pages run no scripts at all; styles are inline; images may come from anywhere a README names.
CSP = ("default-src 'none'; img-src 'self' http: https:; style-src 'unsafe-inline'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")


def install_command(name: str, version: str, registry_url: str) -> str:
    """``agentops package install NAME@^VERSION --registry URL``, the URL quoted for a shell when needed."""
    return f"agentops package install {name}@^{version} --registry {shlex.quote(registry_url)}"


class CatalogPages:
    """The three pages over one registry provider; holds the template environment and README cache."""

    def __init__(self, registry_provider: Callable[[], object], *, downloads: service.Downloads,
                 registry_url: str | None, readme_cache_size: int) -> None:
        from jinja2 import Environment, FileSystemLoader, StrictUndefined

        self.registry_provider = registry_provider
        self.downloads = downloads
        self.registry_url = registry_url
        self.readmes = ReadmeCache(readme_cache_size)
        self.templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                                     trim_blocks=True, lstrip_blocks=True)

    def index(self, request):
        """``/``: every package matching ``?q=``, of ``?category=`` when given."""
        category = request.query_params.get("category") or None
        return self._listing(request, category)

    def category(self, request):
        """``/categories/<category>``: the packages of one category (404 for anything but the four)."""
        category = request.path_params["category"]
        if category not in CATEGORIES:
            return self._error(request, 404, "No such category",
                               f"The categories are {', '.join(CATEGORIES)}.")
        return self._listing(request, category)

    def package(self, request):
        """``/packages/<name>``: one package, at ``?version=`` or the version install would choose."""
        name = request.path_params["name"]
        version = request.query_params.get("version") or None
        try:
            registry = self.registry_provider()
            page = service.package_page(registry, name, version, downloads=self.downloads,
                                        levels=service.registry_levels(registry))
            readme = self.readmes.get(page["sha256"],
                                      lambda: service.package_readme(registry, name, page["version"]))
        except (PackageNotFound, InvalidName):
            return self._error(request, 404, "No such package",
                               f"This registry has no package {name}" + (f" at version {version}." if version else "."))
        except AgentpackError as exc:
            return self._unreadable(request, exc)
        from markupsafe import Markup

        counts = page["components"]
        components = (f"{counts.get('agents', 0)} agents, {counts.get('workflows', 0)} workflows, "
                      f"{counts.get('patterns', 0)} patterns, {counts.get('validations', 0)} validations"
                      f"{tool_counts(counts)}")
        homepage = page["homepage"] if str(page["homepage"] or "").startswith(("https://", "http://")) else None
        install = install_command(name, page["version"], self.registry_url or registry.identity)
        return self._render(request, "package.html", p=page, readme=None if readme is None else Markup(readme),
                            components=components, homepage=homepage, install=install)

    def _listing(self, request, category: str | None):
        query = request.query_params.get("q", "")
        try:
            registry = self.registry_provider()
            rows = service.listing(registry, query, category)
            categories = service.category_counts(registry)
        except AgentpackError as exc:
            return self._unreadable(request, exc)
        heading = f"{category.capitalize()} packages" if category else "Packages"
        return self._render(request, "index.html", rows=rows, categories=categories, heading=heading,
                            query=query, category=category)

    def _unreadable(self, request, exc: AgentpackError):
        return self._error(request, 502, "The registry could not be read", exc.message)

    def _error(self, request, status: int, heading: str, message: str):
        return self._render(request, "error.html", status=status, heading=heading, message=message)

    def _render(self, request, template: str, *, status: int = 200, **context):
        from starlette.responses import HTMLResponse

        context.setdefault("query", request.query_params.get("q", ""))
        context.setdefault("category", None)
        html = self.templates.get_template(template).render(base=request.scope.get("root_path", "").rstrip("/"),
                                                            **context)
        return HTMLResponse(html, status_code=status, headers={"Content-Security-Policy": CSP,
                                                               "X-Content-Type-Options": "nosniff",
                                                               "Referrer-Policy": "no-referrer"})
