"""The registry server (`agentops registry serve`, SQLite) beside Debian's nginx serving the same
packages as a static directory registry, both on 127.0.0.1, in one script.

20 packages x 20 files are published to a directory registry (served by nginx) and, over the
server's API, to the server. Then:

1. a bounded load test of the read path: a fixed number of GETs over a fixed number of keep-alive
   connections (16, then 32), for `catalog.json`, `index/<name>.json`, the same index revalidated
   with `If-None-Match` (answered 304), and blobs. Requests per second and p50 / p99 latency of
   each server, the runs of the two taken in turn; target: the server's rate >= 0.5 x nginx's;
2. a first install of the 20 packages, cold download cache, from the server beside the same from
   the directory (target <= 1.5 x), and `package info` with a warm cache, all 304s (<= 3 x).

nginx is `apt-get install -y nginx`; without it only the server's figures and the install are
printed. Run: .venv/bin/python bench/bench_server.py [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench_install import make_registry
from bench_registry_http import bench_server as bench_install_over_http
from common import REPO, LoadResult, agentops, compile_sources, load, summary

sys.path.insert(0, str(REPO / "tests"))

MIN_RATE_RATIO = 0.5


def start_server(tmp: Path, archives: list[Path]):
    """`agentops registry serve` over a fresh data directory, holding ``archives`` published over
    its API with a publish token (dependencies first)."""
    import subprocess

    import httpx

    from registry_service import RegistryService

    env = {**os.environ, **{f"XDG_{kind}_HOME": str(tmp / "home" / kind.lower())
                            for kind in ("CONFIG", "CACHE", "DATA", "STATE")}}
    for key in [k for k in env if k.lower().endswith("_proxy")]:
        del env[key]
    service = RegistryService(tmp / "server-data", env)
    service.data.mkdir(parents=True)
    secret = subprocess.run([*agentops(), "registry", "token", "create", "--team", "*", "--role", "publish",
                             "--data", str(service.data)], env=env, check=True, capture_output=True,
                            text=True).stdout.strip()
    service.start()
    for archive in sorted(archives, key=lambda a: a.name == "pkg-0-1.0.0.tar.gz"):
        answer = httpx.post(service.url + "api/v1/packages", content=archive.read_bytes(), timeout=60,
                            headers={"Authorization": f"Bearer {secret}"})
        if answer.status_code != 201:
            service.stop()
            raise SystemExit(f"publishing {archive.name} to the server: {answer.status_code} {answer.text}")
    return service


def scenarios(url: str, digests: list[str]) -> list[tuple[str, list[str], dict]]:
    """``(title, paths, headers)`` of each load, for the server or the static tree at ``url``."""
    import httpx

    etag = httpx.get(url + "index/pkg-1.json").headers["etag"]
    return [("catalog.json", ["catalog.json"], {}),
            ("index/<name>.json (20 names)", [f"index/pkg-{i}.json" for i in range(20)], {}),
            ("index/pkg-1.json If-None-Match -> 304", ["index/pkg-1.json"], {"If-None-Match": etag}),
            ("blobs/sha256/<digest> (20 blobs)", [f"blobs/sha256/{d}" for d in digests], {})]


def median_of(results: list[LoadResult]) -> tuple[float, float, float]:
    return (statistics.median(r.rate for r in results), statistics.median(r.p50 for r in results),
            statistics.median(r.p99 for r in results))


def bench_read_path(server_url: str, nginx_url: str | None, digests: list[str], *, total: int, runs: int) -> bool:
    ok = True
    ours = scenarios(server_url, digests)
    theirs = scenarios(nginx_url, digests) if nginx_url else [None] * len(ours)
    print(f"{'GET':<40} {'conns':>5} | {'agentops req/s':>14} {'p50 ms':>7} {'p99 ms':>7} | "
          f"{'nginx req/s':>11} {'p50 ms':>7} {'p99 ms':>7} | ratio")
    for concurrency in (16, 32):
        for (title, paths, headers), reference in zip(ours, theirs, strict=True):
            measured, static = [], []
            for _ in range(runs):  # in turn, so that a change in the machine's load falls on both
                measured.append(load(server_url, paths, total=total, concurrency=concurrency, headers=headers))
                if reference:
                    static.append(load(nginx_url, reference[1], total=total, concurrency=concurrency,
                                       headers=reference[2]))
            for result in measured + static:
                if set(result.statuses) - {200, 304}:
                    raise SystemExit(f"{title}: unexpected answers {result.statuses}")
            rate, p50, p99 = median_of(measured)
            line = f"{title:<40} {concurrency:>5} | {rate:14.0f} {p50 * 1000:7.2f} {p99 * 1000:7.2f} | "
            if static:
                n_rate, n_p50, n_p99 = median_of(static)
                ratio = rate / n_rate
                passed = ratio >= MIN_RATE_RATIO
                ok &= passed
                line += (f"{n_rate:11.0f} {n_p50 * 1000:7.2f} {n_p99 * 1000:7.2f} | {ratio:4.2f} x nginx, "
                         f"target >= {MIN_RATE_RATIO} x  {'PASS' if passed else 'OVER'}")
            print(line)
    return ok


def main() -> int:
    from registry_server import Nginx

    quick = "--quick" in sys.argv
    runs, total = (1, 1000) if quick else (3, 3000)
    compile_sources()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        registry, archives = make_registry(tmp / "src", 20, 20)
        digests = sorted(p.name for p in (registry / "blobs" / "sha256").iterdir())
        service = start_server(tmp, archives)
        nginx = Nginx(registry, tmp / "nginx").start() if Nginx.binary() else None
        if nginx is None:
            print("nginx is not installed: its columns are left out (apt-get install -y nginx)")
        try:
            print(f"Read path: {total} GETs per run, median of {runs} run(s), agentops and nginx in turn "
                  "(one process each, one shared 2-core machine with the load client)")
            ok = bench_read_path(service.url, nginx.url if nginx else None, digests, total=total, runs=runs)
            print()
            ok &= bench_install_over_http("agentops registry serve", service.url, registry, tmp / "install",
                                          5 if quick else 15)
        finally:
            if nginx:
                nginx.stop()
            service.stop()
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
