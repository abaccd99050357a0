"""The web catalog: server-rendered pages over any ``Registry``, as a plain list of Starlette routes.

- ``/``: every package, one a line as `agentops package search` prints it, with a search box
  (``?q=``) and a category filter (``?category=``);
- ``/categories/<category>``: the packages of one of the seed's four categories;
- ``/packages/<name>`` (``team/name`` too; ``?version=`` for another version): the package's
  README (rendered safely: see ``readme``), versions with yanked ones marked, dependencies,
  components, the install command, downloads (when counted), signature and signer, category and
  classification.

``catalog_routes`` is what a registry server mounts next to its own routes; ``create_catalog_app``
serves a registry location alone, read-only (``agentops registry catalog``). Every page is sent
with a Content-Security-Policy that allows no scripts at all.
"""

from __future__ import annotations

from collections.abc import Callable

from agentpack.server.catalog.pages import CSP, CatalogPages, install_command
from agentpack.services.catalog import Downloads

__all__ = ["CSP", "catalog_routes", "create_catalog_app", "install_command"]


def catalog_routes(registry_provider: Callable[[], object], *, downloads: Downloads = None,
                   registry_url: str | None = None, readme_cache_size: int = 256) -> list:
    """The catalog's routes (``starlette.routing.Route``), named ``catalog-index``,
    ``catalog-category`` and ``catalog-package``.

    ``registry_provider()`` gives the ``Registry`` to read, once per request; ``downloads(name)``,
    when given, gives ``{version: count}`` for the package pages; ``registry_url`` is the location
    shown in the install command (default: the registry's identity, e.g. ``file:///srv/registry``).
    Links are made below the request's ``root_path``, so the routes work mounted under a prefix.
    Rendered READMEs are kept in memory per archive digest, at most ``readme_cache_size``.
    """
    from starlette.routing import Route

    pages = CatalogPages(registry_provider, downloads=downloads, registry_url=registry_url,
                         readme_cache_size=readme_cache_size)
    return [Route("/", pages.index, name="catalog-index"),
            Route("/categories/{category}", pages.category, name="catalog-category"),
            Route("/packages/{name:path}", pages.package, name="catalog-package")]


def create_catalog_app(registry_location: str, *, registry_url: str | None = None, downloads: Downloads = None,
                       options=None):
    """A Starlette app serving only the catalog of the registry at ``registry_location`` (a directory,
    ``file://`` or ``http(s)://`` URL; see ``agentpack.adapters.registry.open_registry``, which also
    takes ``options``), read-only. The registry is opened on each request, so pages follow what is
    published meanwhile."""
    from starlette.applications import Starlette

    from agentpack.adapters.registry import open_registry

    def provider():
        return open_registry(registry_location, options=options)

    return Starlette(routes=catalog_routes(provider, downloads=downloads, registry_url=registry_url))
