"""An oci:// registry (Debian's docker-registry on 127.0.0.1) through the real `agentops` command,
beside skopeo and beside a directory registry.

20 packages x 20 files (one depending on the other 19, bench_install.make_registry) are built once.
Runs of each command and of its reference are taken in turn, so that a change in the machine's
load falls on both:

1. publish: `agentops package publish ARCHIVE... --registry oci://…/runN` of the 20 archives in
   one command (as `twine upload dist/*` would), into a fresh prefix each run, beside `skopeo copy
   oci:LAYOUT:pkg-i docker://…/copyN/pkg-i:1.0.0` of the same 20 artifacts (copied once, untimed,
   from what agentops pushed into an OCI layout folder), one process each since `skopeo copy` takes
   one image, into a fresh prefix each run: the same bytes uploaded, by Go's reference tooling
   (target <= 2 x); and, for information, the same 20 publishes as 20 commands, to the oci://
   registry and to a directory registry (what a command costs with no network at all);
2. install: a first install of the 20 packages, cold download cache, from the oci:// registry,
   beside the same install from the directory registry (target <= 1.5 x); then, for information,
   the same install through a proxy that adds 10 ms each way (a registry 20 ms away: what round
   trips cost once the registry is not on this machine; bench/latency_proxy.py).

Needs `apt-get install -y docker-registry skopeo`. Run: .venv/bin/python bench/bench_oci.py [--quick]
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_install import first_installs, make_registry
from common import REPO, agentops, compile_sources, report, summary, time_side_by_side

sys.path.insert(0, str(REPO / "tests"))

PUBLISH_LIMIT = 2.0
INSTALL_LIMIT = 1.5


class Batch:
    """Commands run one after the other, timed together (what ``time_side_by_side`` calls
    ``run_once`` on): ``commands(n)`` gives run ``n``'s list of argv, so that each run writes to a
    fresh prefix of the registry."""

    def __init__(self, commands, env: dict) -> None:
        self.commands = commands
        self.env = {**os.environ, **env}
        self.counter = itertools.count()

    def run_once(self) -> float:
        argvs = self.commands(next(self.counter))
        start = time.perf_counter()
        for argv in argvs:
            done = subprocess.run(argv, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            if done.returncode != 0:
                raise SystemExit(f"{' '.join(map(str, argv))} failed: {done.stderr.decode()[-2000:]}")
        return time.perf_counter() - start


def publish_order(archives: list[Path]) -> list[Path]:
    """Dependencies first: pkg-0 (which needs the 19 others) last."""
    return sorted(archives, key=lambda a: a.name == "pkg-0-1.0.0.tar.gz")


def bench_publish(host: str, archives: list[Path], layout: Path, env: dict, runs: int) -> bool:
    skopeo = shutil.which("skopeo")
    ordered = publish_order(archives)
    publish = Batch(lambda n: [[*agentops(), "package", "publish", *map(str, ordered), "--registry",
                                f"oci://{host}/run{n}"]], env)
    names = [a.name[:-len("-1.0.0.tar.gz")] for a in ordered]
    copy = Batch(lambda n: [[skopeo, "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:{name}",
                             f"docker://{host}/copy{n}/{name}:1.0.0"] for name in names], env)
    measured, reference = time_side_by_side(publish, copy, runs)
    ok = report("publish 20 pkgs to oci:// (one command)", measured, reference, "skopeo copy oci: -> registry",
                PUBLISH_LIMIT)
    each = Batch(lambda n: [[*agentops(), "package", "publish", str(a), "--registry", f"oci://{host}/each{n}"]
                            for a in ordered], env)
    measured, reference = time_side_by_side(each, copy, runs)
    report("  the same as 20 commands", measured, reference, "skopeo copy oci: -> registry")
    # The floor of the command: the same 20 publishes into a directory registry, no network at all.
    local = Batch(lambda n: [[*agentops(), "package", "publish", str(a), "--registry", str(layout.parent / f"dir{n}")]
                             for a in ordered], env)
    measured, reference = time_side_by_side(local, copy, runs)
    report("  the same 20 publishes to a directory (the floor)", measured, reference, "skopeo copy oci: -> registry")
    return ok


def bench_install(host: str, registry: Path, tmp: Path, env: dict, runs: int) -> bool:
    manifest = "packages:\n  pkg-0: ^1.0.0\n"
    tmp.mkdir(parents=True)
    over_oci = first_installs(tmp / "oci", manifest, env, ("--registry", f"oci://{host}/seed"))
    from_dir = first_installs(tmp / "dir", manifest, env, ("--registry", str(registry)))
    measured, reference = time_side_by_side(over_oci, from_dir, runs)
    return report("install 20 pkgs, cold cache, from oci://", measured, reference, "the same from the directory",
                  INSTALL_LIMIT)


def bench_install_remote(host: str, registry: Path, tmp: Path, env: dict, runs: int, rtt_ms: int = 20) -> None:
    from latency_proxy import LatencyProxy

    manifest = "packages:\n  pkg-0: ^1.0.0\n"
    tmp.mkdir(parents=True)
    with LatencyProxy(int(host.rsplit(":", 1)[1]), rtt_ms / 2000) as proxy:
        over_oci = first_installs(tmp / "far", manifest, env, ("--registry", f"oci://127.0.0.1:{proxy.port}/seed"))
        from_dir = first_installs(tmp / "dir", manifest, env, ("--registry", str(registry)))
        measured, reference = time_side_by_side(over_oci, from_dir, runs)
        report(f"  the same from oci:// {rtt_ms} ms away", measured, reference, "the same from the directory")


def seed(host: str, archives: list[Path], layout: Path, env: dict) -> None:
    """Publish the archives once to ``seed`` (what install reads) and copy each artifact from there
    into the OCI layout folder ``layout`` (what skopeo uploads in the publish reference)."""
    full = {**os.environ, **env}
    for archive in publish_order(archives):
        subprocess.run([*agentops(), "package", "publish", str(archive), "--registry", f"oci://{host}/seed"],
                       env=full, check=True, stdout=subprocess.DEVNULL)
        name = archive.name[:-len("-1.0.0.tar.gz")]
        subprocess.run([shutil.which("skopeo"), "copy", "--quiet", "--src-tls-verify=false",
                        f"docker://{host}/seed/{name}:1.0.0", f"oci:{layout}:{name}"], env=full, check=True)


def main() -> int:
    from oci_registry import DockerRegistry

    for tool in ("docker-registry", "skopeo"):
        if not (shutil.which(tool) or Path(f"/usr/bin/{tool}").exists()):
            raise SystemExit(f"{tool} is not installed: apt-get install -y docker-registry skopeo")
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    compile_sources()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        env = {f"XDG_{kind}_HOME": str(tmp / "home" / kind.lower()) for kind in ("CONFIG", "DATA")}
        for key in [k for k in os.environ if k.lower().endswith("_proxy")]:
            del os.environ[key]  # the registry is on 127.0.0.1: no proxy in between
        registry, archives = make_registry(tmp / "src", 20, 20)
        with DockerRegistry(tmp / "oci") as oci:
            seed(oci.host, archives, tmp / "layout", env)
            print(f"docker-registry {oci.host}, 20 packages x 20 files, median of {runs} runs, each command "
                  "and its reference in turn")
            ok = bench_publish(oci.host, archives, tmp / "layout", env, runs)
            ok &= bench_install(oci.host, registry, tmp / "install", env, runs)
            bench_install_remote(oci.host, registry, tmp / "install-far", env, runs)
    return summary(ok)


if __name__ == "__main__":
    raise SystemExit(main())
