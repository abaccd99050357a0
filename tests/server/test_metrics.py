"""server.metrics: the sum over processes and the Prometheus text."""

from __future__ import annotations

from agentpack.server.metrics import ProcessMetrics, merge, render


def test_counts_of_several_processes_add_up():
    first, second = ProcessMetrics(None), ProcessMetrics(None)
    for metrics in (first, second, second):
        metrics.count_request("GET", "/healthz", 200)
        metrics.count_download()
    second.count_request("POST", "/api/v1/packages", 201)
    second.count_request("POST", "/api/v1/packages", 409)
    totals = merge([first.snapshot(), second.snapshot()])
    assert totals == {"downloads": 3,
                      "requests": [["GET", "/healthz", 200, 3], ["POST", "/api/v1/packages", 201, 1],
                                   ["POST", "/api/v1/packages", 409, 1]],
                      "publishes": [[201, 1], [409, 1]]}
    assert second.snapshot()["sequence"] == 6  # every count raises it


def test_malformed_entries_are_skipped_not_fatal():
    totals = merge([{"downloads": "7", "requests": [["GET", "/", 200], ["GET", "/", 200, -1], ["GET", "/", 200, 2]],
                     "publishes": [[201]]}, {"downloads": True}])
    assert totals == {"downloads": 0, "requests": [["GET", "/", 200, 2]], "publishes": []}


def test_the_text_format():
    totals = {"downloads": 4, "requests": [["GET", '/a"b', 200, 2]], "publishes": [[201, 1]]}
    text = render(totals, 1, 2, {("triage", "1.0.0"): 4})
    assert "agentpack_downloads_total 4\n" in text
    assert 'agentpack_publishes_total{status="201"} 1\n' in text
    assert 'agentpack_version_downloads{package="triage",version="1.0.0"} 4\n' in text
    assert 'agentpack_http_requests_total{method="GET",route="/a\\"b",status="200"} 2\n' in text
    assert text.count("# TYPE") == 6
