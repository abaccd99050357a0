"""The registry server (`agentops registry serve`, SQLite) beside Debian's nginx serving the same
packages as a static directory registry, both on 127.0.0.1, in one script.

20 packages x 20 files are published to a directory registry (served by nginx) and, over the
server's API, to the server. Then:

1. a bounded load test of the read path: a fixed number of GETs over a fixed number of keep-alive
   connections (16, then 32), for `catalog.json`, `index/<name>.json`, the same index revalidated
   with `If-None-Match` (answered 304), and blobs. Requests per second and p50 / p99 latency of
   the server on its own, of the documented deployment (nginx with deploy/nginx/agentpack-front.conf
   in front of the server started with --public-tree), and of nginx serving the directory, the
   runs taken in turn; target: >= 0.5 x nginx's rate. The server's CPU per request beside
   nginx's is printed too: unlike the rates, it does not depend on what else the machine runs;
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
from common import REPO, LoadResult, agentops, compile_sources, load, summary, tree_cpu

sys.path.insert(0, str(REPO / "tests"))

MIN_RATE_RATIO = 0.5


def start_server(tmp: Path, archives: list[Path], *extra: str):
    """`agentops registry serve` over a fresh data directory, holding ``archives`` published over
    its API with a publish token (dependencies first)."""
    import subprocess

    import httpx

    from registry_service import RegistryService

    env = {**os.environ, **{f"XDG_{kind}_HOME": str(tmp / "home" / kind.lower())
                            for kind in ("CONFIG", "CACHE", "DATA", "STATE")}}
    for key in [k for k in env if k.lower().endswith("_proxy")]:
        del env[key]
    service = RegistryService(tmp / "server-data", env, *extra)
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


def bench_read_path(targets: list[tuple[str, str, int | None]], digests: list[str], *, total: int,
                    runs: int) -> bool:
    """Load each of ``targets`` (``(label, url, pid)``, the last the reference, nginx serving the
    directory) in turn; print rates, latencies, CPU per request (of the process tree ``pid``) and
    each rate's ratio to the reference's. True when the documented deployment (or, without nginx,
    nothing) meets the target."""
    ok = True
    plans = [(label, url, pid, scenarios(url, digests)) for label, url, pid in targets]
    print(f"{'GET':<40} {'conns':>5} | {'':<22} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'CPU us/req':>10} | ratio")
    for concurrency in (16, 32):
        for number, (title, _paths, _headers) in enumerate(plans[0][3]):
            results: dict[str, list] = {label: [] for label, *_ in plans}
            cpu: dict[str, float] = dict.fromkeys(results, 0.0)
            for _ in range(runs):  # in turn, so that a change in the machine's load falls on all
                for label, url, pid, scenario in plans:
                    before = tree_cpu(pid) if pid else 0.0
                    results[label].append(load(url, scenario[number][1], total=total, concurrency=concurrency,
                                               headers=scenario[number][2]))
                    cpu[label] += (tree_cpu(pid) - before) if pid else 0.0
            for label, measured in results.items():
                for result in measured:
                    if set(result.statuses) - {200, 304}:
                        raise SystemExit(f"{label}, {title}: unexpected answers {result.statuses}")
            reference = median_of(results[plans[-1][0]])[0] if len(plans) > 1 else None
            for index, (label, _url, pid, _scenario) in enumerate(plans):
                rate, p50, p99 = median_of(results[label])
                per_request = f"{cpu[label] / (total * runs) * 1e6:10.1f}" if pid else f"{'':>10}"
                line = (f"{title if index == 0 else '':<40} {concurrency if index == 0 else '':>5} | {label:<22} "
                        f"{rate:7.0f} {p50 * 1000:7.2f} {p99 * 1000:7.2f} {per_request} | ")
                if reference and index < len(plans) - 1:
                    ratio = rate / reference
                    passed = ratio >= MIN_RATE_RATIO
                    if label.startswith("nginx + agentops"):
                        ok &= passed
                    line += f"{ratio:4.2f} x nginx, target >= {MIN_RATE_RATIO} x  {'PASS' if passed else 'OVER'}"
                print(line)
    return ok


def main() -> int:
    from registry_server import FrontNginx, Nginx

    quick = "--quick" in sys.argv
    runs, total = (1, 1000) if quick else (3, 3000)
    compile_sources()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        registry, archives = make_registry(tmp / "src", 20, 20)
        digests = sorted(p.name for p in (registry / "blobs" / "sha256").iterdir())
        service = start_server(tmp, archives, "--public-tree", str(tmp / "public"))
        nginx = front = None
        if Nginx.binary():
            nginx = Nginx(registry, tmp / "nginx").start()
            front = FrontNginx(tmp / "public", f"127.0.0.1:{service.port}", tmp / "front").start()
        else:
            print("nginx is not installed: its rows are left out (apt-get install -y nginx)")
        try:
            print(f"Read path: {total} GETs per run, median of {runs} run(s), taken in turn; one process each "
                  "(nginx: one worker), one shared 2-core machine with the load client")
            targets = [("agentops registry serve", service.url, service.process.pid)]
            if nginx:
                targets += [("nginx + agentops (tree)", front.url, front.process.pid),
                            ("nginx, static directory", nginx.url, nginx.process.pid)]
            ok = bench_read_path(targets, digests, total=total, runs=runs)
            print()
            ok &= bench_install_over_http("agentops registry serve", service.url, registry, tmp / "install",
                                          5 if quick else 15)
        finally:
            for web in (front, nginx):
                if web:
                    web.stop()
            service.stop()
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
