"""An http:// registry beside the same registry read as a directory, through the real `agentops` command.

The registry (20 packages x 20 files, one depending on the other 19) is served by the tests' static
server on 127.0.0.1 (a thread of this process, with ETags), and by Debian's nginx when it is
installed. Runs of the HTTP command and of the directory command are taken in turn:

1. a first install of the 20 packages, cold download cache (target <= 1.5 x the directory);
2. `package info` with a warm cache: every document revalidated, answered 304 (target <= 3 x: the
   directory command takes ~65 ms; the HTTP client, adapters/http_wire.py, adds a few ms to it).

Run: .venv/bin/python bench/bench_registry_http.py [--quick]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench_install import first_installs, make_registry
from common import Command, agentops, compile_sources, report, summary, time_side_by_side

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def bench_server(name: str, url: str, registry: Path, tmp: Path, runs: int) -> bool:
    manifest = "packages:\n  pkg-0: ^1.0.0\n"
    tmp.mkdir(parents=True)
    env = {"XDG_CACHE_HOME": str(tmp / "cache-http"), "XDG_STATE_HOME": str(tmp / "state-http")}
    local_env = {"XDG_CACHE_HOME": str(tmp / "cache-dir"), "XDG_STATE_HOME": str(tmp / "state-dir")}
    over_http = first_installs(tmp / "http", manifest, {}, ("--registry", url))
    from_dir = first_installs(tmp / "dir", manifest, {}, ("--registry", str(registry)))
    measured, reference = time_side_by_side(over_http, from_dir, runs)
    ok = report(f"install 20 pkgs, cold cache, {name}", measured, reference, "the same from the directory", 1.5)
    info_http = Command([*agentops(), "package", "info", "pkg-0", "--registry", url], tmp, env)
    info_dir = Command([*agentops(), "package", "info", "pkg-0", "--registry", str(registry)], tmp, local_env)
    measured, reference = time_side_by_side(info_http, info_dir, runs)
    ok &= report(f"package info, warm cache (304s), {name}", measured, reference, "the same from the directory", 3.0)
    return ok


def main() -> int:
    from registry_server import Nginx, StaticServer

    runs = 5 if "--quick" in sys.argv else 15
    compile_sources()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        registry, _archives = make_registry(tmp / "src", 20, 20)
        with StaticServer(registry) as server:
            ok = bench_server("python http.server + ETags", server.url, registry, tmp / "py", runs)
            print(f"  ({len(server.requests)} requests served)")
        if Nginx.binary():
            nginx = Nginx(registry, tmp / "nginx").start()
            try:
                ok &= bench_server("nginx", nginx.url, registry, tmp / "nginx-run", runs)
            finally:
                nginx.stop()
        else:
            print("nginx is not installed: its rows are left out (apt-get install -y nginx)")
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
