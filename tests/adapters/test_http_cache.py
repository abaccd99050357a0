"""The ETag cache of documents read over HTTP: a convenience that never fails a command."""

from __future__ import annotations

import os

from agentpack.adapters.http_cache import MAX_HEADER_BYTES, DocumentCache

URL = "http://127.0.0.1:8080/reg/index/a.json"


def test_a_kept_copy_comes_back_with_its_etag(tmp_path):
    cache = DocumentCache(str(tmp_path))
    assert cache.load(URL) is None
    cache.store(URL, 'W/"abc"', b'{"versions": {}}\n')
    assert cache.load(URL) == ('W/"abc"', b'{"versions": {}}\n')
    assert cache.path(URL).startswith(os.path.join(str(tmp_path), "http", ""))
    assert cache.load(URL.replace("a.json", "b.json")) is None


def test_a_copy_filed_under_another_url_or_damaged_is_not_used(tmp_path):
    cache = DocumentCache(str(tmp_path))
    cache.store("http://elsewhere/reg/index/a.json", '"x"', b"{}")
    os.makedirs(os.path.dirname(cache.path(URL)), exist_ok=True)
    os.replace(cache.path("http://elsewhere/reg/index/a.json"), cache.path(URL))
    assert cache.load(URL) is None
    for damage in (b"", b"{}", b'{"url": 1}\n{}', b'["x"]\n{}', b"\xff\n{}"):
        with open(cache.path(URL), "wb") as stream:
            stream.write(damage)
        assert cache.load(URL) is None


def test_an_etag_too_long_to_keep_is_not_kept_and_an_unwritable_cache_is_no_error(tmp_path):
    cache = DocumentCache(str(tmp_path))
    cache.store(URL, "x" * MAX_HEADER_BYTES, b"{}")
    assert cache.load(URL) is None
    (tmp_path / "file").write_text("not a folder")
    DocumentCache(str(tmp_path / "file")).store(URL, '"x"', b"{}")  # quietly not kept
