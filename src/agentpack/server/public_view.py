"""The server's packages as one caller may see them, in the shape of a ``Registry``.

The catalog pages are public: they must never show a private team's package, or a version above
the lowest classification level, whatever the page's URL asks. So the catalog is not given the
server's registry but a view for an anonymous caller (``PublicView``), which asks ``core.access``
for every index and archive exactly as the read protocol does for a request without a token.

Publishing checks an upload against what the publisher may read in the same way
(``CallerView``): a dependency the publisher may not see is as unresolved as a missing one, and
the semver check compares with the previous version it may see, so that a refusal never tells a
publisher of a private package (another team's, or one above its clearance) that it exists.
"""

from __future__ import annotations

from agentpack.core.access import Caller
from agentpack.errors import PackageNotFound

ANONYMOUS = Caller()


class CallerView:
    """A read-only ``Registry``-like view of ``state.registry`` (catalog, list_packages,
    package_index, fetch_archive, settings, search) limited to what ``caller`` may read. Its ``url`` is
    the registry's own, so what it says of a package it hides reads exactly as what the
    registry says of a package it does not hold."""

    def __init__(self, state, caller: Caller, url: str | None = None) -> None:
        self._state = state
        self._caller = caller
        self.url = self.identity = url or state.registry.url

    def catalog(self) -> dict:
        return self._state.visible_catalog(self._caller)

    def list_packages(self) -> list[str]:
        return sorted(self.catalog()["packages"])

    def package_index(self, name: str) -> dict:
        index = self._state.registry.package_index(name)
        visible = self._state.readable_index(self._caller, index)
        if visible is None:
            raise PackageNotFound(f"package {name} not found in registry {self.url}",
                                  hint="check the package name and the registry")
        return visible

    def fetch_archive(self, name: str, version: str) -> bytes:
        if version not in self.package_index(name)["versions"]:
            raise PackageNotFound(f"{name}@{version} not found")
        return self._state.registry.fetch_archive(name, version)

    def settings(self) -> dict:
        return self._state.registry.settings()

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> list[dict]:
        """Every package the caller may read that matches, from the database's search
        (ServerState.search), ranked: the catalog's search box and category pages."""
        from agentpack.core.search_text import MAX_OFFSET

        return self._state.search(self._caller, query, keyword, category, limit=MAX_OFFSET)["results"]


class PublicView(CallerView):
    """What an anonymous caller may read, named by ``url`` (default: "this registry")."""

    def __init__(self, state, url: str | None = None) -> None:
        super().__init__(state, ANONYMOUS, url or "this registry")


def downloads_of(state):
    """``downloads(name) -> {version: count}`` for the catalog pages, from the flushed counts."""

    def downloads(name: str) -> dict[str, int]:
        return {version: count for (package, version), count in state.data.store.downloads().items()
                if package == name}

    return downloads
