"""The server's packages as an anonymous reader sees them, in the shape the web catalog reads.

The catalog pages are public: they must never show a private team's package, or a version above
the lowest classification level, whatever the page's URL asks. So the catalog is not given the
server's registry but this view, which asks ``core.access`` for every index and archive with an
anonymous caller, exactly as the read protocol does for a request without a token.
"""

from __future__ import annotations

from agentpack.core.access import Caller
from agentpack.errors import PackageNotFound

ANONYMOUS = Caller()


class PublicView:
    """A read-only ``Registry``-like view of ``state.registry`` (catalog, package_index,
    fetch_archive, settings, search) limited to what an anonymous caller may read."""

    def __init__(self, state, url: str | None = None) -> None:
        self._state = state
        self.url = self.identity = url or "this registry"

    def catalog(self) -> dict:
        return self._state.visible_catalog(ANONYMOUS)

    def package_index(self, name: str) -> dict:
        visible = self._state.readable_index(ANONYMOUS, self._state.registry.package_index(name))
        if visible is None:
            raise PackageNotFound(f"package {name} not found")
        return visible

    def fetch_archive(self, name: str, version: str) -> bytes:
        if version not in self.package_index(name)["versions"]:
            raise PackageNotFound(f"{name}@{version} not found")
        return self._state.registry.fetch_archive(name, version)

    def settings(self) -> dict:
        return self._state.registry.settings()

    def search(self, query: str, *, keyword: str | None = None, category: str | None = None) -> list[dict]:
        """Every package an anonymous caller may read that matches, from the database's search
        (ServerState.search), ranked: the catalog's search box and category pages."""
        from agentpack.core.search_text import MAX_OFFSET

        return self._state.search(ANONYMOUS, query, keyword, category, limit=MAX_OFFSET)["results"]


def downloads_of(state):
    """``downloads(name) -> {version: count}`` for the catalog pages, from the flushed counts."""

    def downloads(name: str) -> dict[str, int]:
        return {version: count for (package, version), count in state.data.store.downloads().items()
                if package == name}

    return downloads
