"""Bundle benchmarks through the real `agentops` command, 200 packages x 50 files.

1. `agentops bundle collect --lock -o b.tar` in an installed workspace, beside
   `tar cf ref.tar` of a folder holding the same 200 package archives (target <= 3 x).
2. `agentops bundle load b.tar --registry <fresh dir>`, beside `tar xf ref.tar` into a
   fresh directory (target <= 3 x).

Setup (untimed): a local registry of 200 packages (pkg-0 depends on the rest), a workspace
asking for pkg-0, one `agentops package install` so agentops.lock exists.

Run: .venv/bin/python bench/bench_bundle.py [--quick]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from bench_install import make_registry
from common import agentops, compile_sources, report, time_command


def bench_bundle(tmp: Path, runs: int) -> bool:
    registry, archives = make_registry(tmp / "large", 200, 50)
    ws = tmp / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages:\n  pkg-0: ^1.0.0\n")
    env = {"AGENTOPS_REGISTRY": str(registry), "XDG_CACHE_HOME": str(tmp / "cache")}
    time_command([*agentops(), "package", "install"], runs=1, cwd=ws, env=env)
    if not (ws / "agentops.lock").exists():
        raise SystemExit("agentops package install wrote no agentops.lock")

    # The same bytes for the reference: the 200 archives copied into one folder.
    ref_src = tmp / "ref-src"
    ref_src.mkdir()
    for archive in archives:
        shutil.copy2(archive, ref_src / archive.name)
    if len(list(ref_src.iterdir())) != len(archives):
        raise SystemExit("archive names collide; the reference would not hold the same bytes")

    bundle = tmp / "b.tar"
    ref_tar = tmp / "ref.tar"
    loaded = tmp / "loaded-registry"
    extracted = tmp / "ref-out"

    def clear_bundle() -> None:
        bundle.unlink(missing_ok=True)
        Path(f"{bundle}.sha256").unlink(missing_ok=True)

    def clear_ref_tar() -> None:
        ref_tar.unlink(missing_ok=True)

    def fresh(folder: Path):
        def setup() -> None:
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
        return setup

    ref_collect = time_command(["tar", "cf", str(ref_tar), "-C", str(ref_src), "."], runs=runs,
                               setup=clear_ref_tar)
    collect = time_command([*agentops(), "bundle", "collect", "--lock", "-o", str(bundle)], runs=runs,
                           cwd=ws, env=env, setup=clear_bundle)
    ok = report("bundle collect --lock, 200 pkgs x 50 files", collect, ref_collect,
                "tar cf (200 archives)", limit=3.0)

    ref_load = time_command(["tar", "xf", str(ref_tar), "-C", str(extracted)], runs=runs,
                            setup=fresh(extracted))
    load = time_command([*agentops(), "bundle", "load", str(bundle), "--registry", str(loaded)], runs=runs,
                        cwd=tmp, env=env, setup=fresh(loaded))
    ok &= report("bundle load into a fresh registry, 200 pkgs", load, ref_load,
                 "tar xf (ref.tar)", limit=3.0)
    print(f"  sizes: b.tar {bundle.stat().st_size / 1e6:.1f} MB, ref.tar {ref_tar.stat().st_size / 1e6:.1f} MB")
    return ok


def main() -> int:
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        ok = bench_bundle(Path(tmp), runs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
