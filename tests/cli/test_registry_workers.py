"""A registry server with several worker processes (`registry serve --workers 2`), for real:
`/metrics` reports the whole server's totals whichever worker answers, and downloads counted by
each worker in memory add up in the database once each has written its batch."""

from __future__ import annotations

import json
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from conftest import Agentops, write_package
from registry_service import RegistryService, no_proxies  # noqa: F401 (an autouse fixture)

READYZ = 'agentpack_http_requests_total{method="GET",route="/readyz",status="200"}'  # not asked at start
BLOBS = 'agentpack_http_requests_total{method="GET",route="/blobs/*",status="200"}'
VERSION = 'agentpack_version_downloads{package="triage",version="1.0.0"}'


def scrape(server: RegistryService) -> dict[str, int]:
    """The metrics document as {series: value}."""
    text = httpx.get(server.url + "metrics", timeout=30).text
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _space, value = line.rpartition(" ")
            values[series] = int(value)
    return values


def worker_files(server: RegistryService) -> list[dict]:
    """What each worker process last wrote of its counts (the run's folder of adapters.process_counters)."""
    runs = list((server.data / "run" / "metrics").iterdir())
    assert len(runs) == 1, runs  # one run of the server, one folder
    return [json.loads(path.read_text()) for path in sorted(runs[0].glob("*.json"))]


def served(counts: dict, route: str) -> int:
    return sum(entry[3] for entry in counts["requests"] if entry[1] == route)


def wait_for(condition, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_metrics_and_downloads_add_up_across_two_workers(agentops: Agentops, tmp_path: Path):
    with RegistryService(tmp_path / "data", agentops.env, "--workers", "2") as server:
        assert wait_for(lambda: len(worker_files(server)) == 2)  # each worker joins the totals at start
        publisher = agentops("registry", "token", "create", "--team", "public", "--role", "publish", "--data",
                             server.data).out.strip()
        archive = agentops.build_folder(write_package(tmp_path / "src", "triage", "1.0.0")).read_bytes()
        published = httpx.post(server.url + "api/v1/packages", content=archive, timeout=60,
                               headers={"Authorization": f"Bearer {publisher}"})
        assert published.status_code == 201, published.text
        blob = server.url + "blobs/sha256/" + published.json()["sha256"]

        # Requests on fresh connections, many at once, until each worker has answered some
        # (which process accepts a connection is the kernel's choice).
        sent: Counter = Counter()
        with ThreadPoolExecutor(8) as pool:
            for _round in range(30):
                urls = [server.url + "readyz", blob] * 12
                statuses = list(pool.map(lambda url: httpx.get(url, timeout=30).status_code, urls))
                assert statuses == [200] * len(urls)
                sent["readyz"] += 12
                sent["blob"] += 12
                time.sleep(1.2)  # a worker writes its counts every second
                if all(served(counts, "/readyz") and counts["downloads"] for counts in worker_files(server)):
                    break
        files = worker_files(server)
        assert len(files) == 2 and all(served(counts, "/readyz") for counts in files), files
        assert all(served(counts, "/readyz") < sent["readyz"] for counts in files)  # each saw only part
        time.sleep(1.5)  # both have written everything they counted

        scrapes = [scrape(server) for _ in range(8)]
        for values in scrapes:  # the same totals whichever worker answers
            assert values[READYZ] == sent["readyz"]
            assert values[BLOBS] == sent["blob"]
            assert values["agentpack_downloads_total"] == sent["blob"]
            assert values['agentpack_publishes_total{status="201"}'] == 1
        for earlier, later in zip(scrapes, scrapes[1:], strict=False):  # counters never go back
            assert all(later.get(series, 0) >= value for series, value in earlier.items()
                       if "_total" in series), (earlier, later)
        assert scrapes[-1]['agentpack_http_requests_total{method="GET",route="/metrics",status="200"}'] >= 1

        # downloads per version: each worker writes its own batch; the database adds them up
        assert wait_for(lambda: scrape(server).get(VERSION) == sent["blob"]), scrape(server).get(VERSION)
    with RegistryService(tmp_path / "data", agentops.env) as again:  # kept across a restart
        values = scrape(again)
        assert values[VERSION] == sent["blob"]
        assert values["agentpack_downloads_total"] == 0  # since this start
        assert len(worker_files(again)) == 1  # the stopped run's folder is gone, counts start afresh
