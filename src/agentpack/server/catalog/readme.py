"""A package's README.md as HTML that is safe to put in a page: packages are untrusted input.

Two steps, each enough on its own against the usual attacks, so that a gap in one is covered by the
other (and the catalog's Content-Security-Policy forbids scripts besides):

1. markdown-it-py renders CommonMark (with tables and strikethrough) with raw HTML *disabled*:
   ``<script>`` or ``<img onerror=...>`` written in the Markdown comes out as visible text.
2. nh3 (ammonia) keeps only an allowlist of tags and attributes: no scripts, styles, frames, forms
   or event handlers; ``href`` and ``src`` only with ``http``, ``https`` or ``mailto`` (links) or a
   relative URL. Images are kept when their ``src`` is ``http(s)`` or relative, and lose their
   ``src`` otherwise (``data:``, ``javascript:``), so they show nothing; they are loaded without a
   referrer. Relative links and images point below the catalog's own pages: the catalog serves no
   package files, so they lead nowhere rather than anywhere unexpected. Links get
   ``rel="nofollow noopener noreferrer"``.

Rendered HTML is kept per archive digest (``ReadmeCache``): a version never changes, so its README
is rendered once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "code", "pre",
        "blockquote", "hr", "br", "img", "table", "thead", "tbody", "tr", "th", "td", "s", "del"}
ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener noreferrer"


def render_readme(markdown: str) -> str:
    """``markdown`` (a package's README) as sanitised HTML: see the module's docstring for what
    survives. Never raises for any text."""
    import nh3
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).render(markdown)
    return nh3.clean(html, tags=TAGS, clean_content_tags={"script", "style"}, attributes=ATTRIBUTES,
                     url_schemes=URL_SCHEMES, link_rel=LINK_REL, strip_comments=True,
                     set_tag_attribute_values={"img": {"referrerpolicy": "no-referrer", "loading": "lazy"}})


class ReadmeCache:
    """Rendered READMEs keyed by the archive's sha256, at most ``size`` of them (least recently
    used first out). Safe to share between threads; one per catalog, never a module global."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sha256: str, load: Callable[[], str | None]) -> str | None:
        """The rendered README of the archive ``sha256``; on a miss ``load()`` gives its Markdown
        (None: the package has none), which is rendered and kept. Errors of ``load`` propagate and
        nothing is kept."""
        with self._lock:
            if sha256 in self._entries:
                self._entries.move_to_end(sha256)
                return self._entries[sha256]
        text = load()
        html = None if text is None else render_readme(text)
        with self._lock:
            self._entries[sha256] = html
            self._entries.move_to_end(sha256)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return html
