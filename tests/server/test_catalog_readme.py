"""README rendering (server.catalog.readme): Markdown to sanitised HTML, and the per-digest cache.

Every payload is checked the same way: the output is parsed and every tag, attribute and URL in it
must be on the allowlist, whatever went in."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("nh3", reason="the server extra is not installed (pip install -e '.[server]')")

from agentpack.server.catalog.readme import ATTRIBUTES, TAGS, ReadmeCache, render_readme  # noqa: E402

ADDED = {"a": {"rel"}, "img": {"referrerpolicy", "loading"}}  # set by the sanitiser itself


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def assert_inert(html: str) -> _Tags:
    parsed = _Tags()
    parsed.feed(html)
    for tag, attrs in parsed.tags:
        assert tag in TAGS, (tag, html)
        for name, value in attrs.items():
            assert name in ATTRIBUTES.get(tag, set()) | ADDED.get(tag, set()), (tag, name, html)
            if name in ("href", "src"):
                # What a browser takes for a scheme (WHATWG URL); anything else is a relative URL.
                found = re.match(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):", value or "")
                scheme = found[1].lower() if found else ""
                assert scheme in ("", "http", "https", "mailto"), (tag, value)
                assert scheme != "mailto" or tag == "a"
    return parsed


PAYLOADS = [
    # (markdown, text that must remain visible, or None)
    ("<script>window.__pwned = 1</script>", "<script>window.__pwned = 1</script>"),
    ('<img src="x" onerror="alert(1)">', '<img src="x" onerror="alert(1)">'),
    ("[x](javascript:alert(1))", "[x](javascript:alert(1))"),
    ("[x](JaVaScRiPt:alert(1))", None),
    ("[x](java\tscript:alert(1))", None),
    ("[x](java&#x09;script:alert(1))", None),
    ('<a href="javascript:alert(1)">raw</a>', None),
    ("[x](vbscript:msgbox(1))", None),
    ("![i](data:image/png;base64,iVBORw0KGgo=)", None),
    ("![i](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)", None),
    ("[d](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", None),
    ('[t](https://e.org "a\\" onmouseover=\\"alert(1)")', None),
    ("<iframe src=https://e.org></iframe><object data=x></object><embed src=x>", None),
    ("<style>body{display:none}</style><form action=x><input></form>", None),
    ("<svg onload=alert(1)><math><mtext><img src onerror=alert(1)>", None),
    ("<!-- <script>alert(1)</script> -->", None),
    ("<div style=\"background:url(javascript:alert(1))\">x</div>", None),
    ("```html\n<script>alert(1)</script>\n```", "<script>alert(1)</script>"),
    ("`<img src=x onerror=alert(1)>`", "<img src=x onerror=alert(1)>"),
]


@pytest.mark.parametrize(("markdown", "visible"), PAYLOADS)
def test_injection_payloads_render_inert(markdown, visible):
    html = render_readme(markdown)
    parsed = assert_inert(html)
    assert "<script" not in html.lower()  # escaped as text, if anywhere
    if visible is not None:
        assert visible in "".join(parsed.text)  # raw HTML is shown as the text it is


def test_images_keep_only_http_and_relative_sources_and_send_no_referrer():
    html = render_readme("![a](https://e.org/a.png) ![b](img/b.png) ![c](data:image/png;base64,AA==)")
    images = [attrs for tag, attrs in assert_inert(html).tags if tag == "img"]
    assert [attrs.get("src") for attrs in images] == ["https://e.org/a.png", "img/b.png", None]
    assert all(attrs["referrerpolicy"] == "no-referrer" for attrs in images)


def test_markdown_renders_as_commonmark_with_tables():
    html = render_readme("# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~x~~ **y** [l](https://e.org)\n\n1. one\n")
    tags = [tag for tag, _ in assert_inert(html).tags]
    assert tags[:1] == ["h1"] and "table" in tags and "td" in tags and "s" in tags and "strong" in tags
    assert 'rel="nofollow noopener noreferrer"' in html


PIECES = list("<>\"'=/:;()[]!` \n#*-_&x") + ["script", "img", "src", "onerror", "javascript", "a href", "data",
                                             "iframe", "svg", "onload", "](", "![", "&#x09;"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_any_text_renders_inert(text):
    assert_inert(render_readme(text))


def test_the_cache_renders_each_digest_once_and_keeps_at_most_its_size():
    cache = ReadmeCache(size=2)
    loads = []

    def loader(text):
        def load():
            loads.append(text)
            return text
        return load

    assert cache.get("a" * 64, loader("# A")) == "<h1>A</h1>\n"
    assert cache.get("a" * 64, loader("# changed")) == "<h1>A</h1>\n"  # a digest's README never changes
    assert cache.get("b" * 64, loader(None)) is None  # no README is remembered too
    assert cache.get("b" * 64, loader("# B")) is None
    cache.get("c" * 64, loader("# C"))  # "a" was used least recently... after "b": "a" goes
    cache.get("b" * 64, loader("# B"))
    assert loads == ["# A", None, "# C"]
    cache.get("a" * 64, loader("# A again"))
    assert loads[-1] == "# A again"


def test_a_failed_load_is_not_kept():
    cache = ReadmeCache()

    def broken():
        raise OSError("gone")

    with pytest.raises(OSError):
        cache.get("d" * 64, broken)
    assert cache.get("d" * 64, lambda: "ok") == "<p>ok</p>\n"
