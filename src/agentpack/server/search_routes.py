"""``GET /api/v1/search``: package search answered by the database (MetadataStore.search).

Every parameter is checked before the database is asked (422 naming each one out of bounds); the
caller sees only what core.access lets it read, in the rows and in ``total`` alike.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.routing import Route

from agentpack.core import search_text
from agentpack.errors import UsageError
from agentpack.server.responses import caller_of, document


def search_routes() -> list[Route]:
    """The search route (mounted under /api/v1 by the app)."""
    return [Route("/search", search, methods=["GET"])]


async def search(request) -> Response:
    """``?q=&keyword=&category=&limit=&offset=``: ``{"results": [row], "total": N}``."""
    params = request.query_params
    query = params.get("q", "")
    keyword = params.get("keyword") or None
    category = params.get("category") or None
    limit = _integer(params, "limit", search_text.DEFAULT_LIMIT)
    offset = _integer(params, "offset", 0)
    search_text.check_search(query, keyword, category, limit, offset)
    caller, _row = await caller_of(request)
    state = request.app.state.server
    found = await run_in_threadpool(state.search, caller, query, keyword, category, limit, offset)
    return document(request, found)


def _integer(params, name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text) if text.isascii() and len(text) <= 12 else int("not a number")
    except ValueError:
        raise UsageError(f"bad search: '{name}' must be a whole number, not {text[:40]!r}") from None
