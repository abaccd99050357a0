"""Bundle benchmarks through the real `agentops` command, 200 packages x 50 files.

Each figure is a ratio against a reference that does the same work with standard tools, measured
in the same run, the runs of the two taken in turn (absolute times swing 2x from run to run on a
shared machine):

1. `agentops bundle collect --lock -o b.tar` in an installed workspace, beside `tar cf ref.tar` of
   a folder holding the same 200 package archives + `sha256sum` of it (collect writes
   FILE.sha256): target <= 2 x;
2. `agentops bundle load b.tar --registry <fresh dir>`, with every check the bundle's trust rules
   ask for, beside `tar xf ref.tar` into a fresh folder + `sha256sum -c` of the 200 archives +
   `sync` (load checks every archive and flushes the registry to disk before it reports
   success): target <= 3 x.

Payloads: "corpus" (the default, the one with targets) fills the files with the real agent files
of the shared corpus (~8 KB each, archives of ~100 KB; found as the tests find it:
$AGENTPACK_CORPUS, else ../shared/corpus); "synthetic" files are a short paragraph repeated
(~2.5 KB archives, so fixed costs dominate; for information, no targets).

Setup (untimed): a local registry of 200 packages (pkg-0 depends on the rest), a workspace
asking for pkg-0, one `agentops package install` so agentops.lock exists.

Run: .venv/bin/python bench/bench_bundle.py [--quick] [--payload corpus|synthetic]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench_install import make_registry
from common import (
    Command,
    agentops,
    compile_sources,
    find_corpus,
    in_new_folders,
    python_pass,
    report,
    summary,
    time_command,
    time_side_by_side,
)

# Reported by the hidden-Unicode gate on purpose (see the corpus's QUIRKS.md): it would stop the build.
_HIDDEN_UNICODE = "azure-verified-modules-owner-triage.agent.md"
TARGETS = {"collect": 2.0, "load": 3.0}


def corpus_bodies() -> list[bytes]:
    files = sorted(p for p in find_corpus().rglob("*.md") if p.is_file() and p.name != _HIDDEN_UNICODE)
    return [p.read_bytes() for p in files]


def bench_bundle(tmp: Path, runs: int, payload: str) -> bool:
    bodies = corpus_bodies() if payload == "corpus" else None
    targets = TARGETS if payload == "corpus" else {"collect": None, "load": None}
    registry, archives = make_registry(tmp / "large", 200, 50, bodies)
    ws = tmp / "ws"
    ws.mkdir()
    (ws / "agentops.yaml").write_text("packages:\n  pkg-0: ^1.0.0\n")
    env = {"AGENTOPS_REGISTRY": str(registry), "XDG_CACHE_HOME": str(tmp / "cache")}
    time_command([*agentops(), "package", "install"], runs=1, cwd=ws, env=env)
    if not (ws / "agentops.lock").exists():
        raise SystemExit("agentops package install wrote no agentops.lock")

    # The same bytes for the reference: the 200 archives copied into one folder, and their sums.
    ref_src = tmp / "ref-src"
    ref_src.mkdir()
    for archive in archives:
        shutil.copy2(archive, ref_src / archive.name)
    if len(list(ref_src.iterdir())) != len(archives):
        raise SystemExit("archive names collide; the reference would not hold the same bytes")
    sums = tmp / "ref.sums"
    subprocess.run(f"sha256sum *.tar.gz > {sums}", shell=True, cwd=ref_src, check=True)

    bundle, ref_tar = tmp / "b.tar", tmp / "ref.tar"

    def clear_bundle() -> None:
        bundle.unlink(missing_ok=True)
        Path(f"{bundle}.sha256").unlink(missing_ok=True)

    def clear_ref_tar() -> None:
        ref_tar.unlink(missing_ok=True)

    collect_ref = Command(["sh", "-c", f"tar cf {ref_tar} -C {ref_src} . && sha256sum {ref_tar} > {ref_tar}.sha256"],
                          setup=clear_ref_tar)
    collect_cmd = Command([*agentops(), "bundle", "collect", "--lock", "-o", str(bundle)], ws, env, clear_bundle)
    collect, ref_collect = time_side_by_side(collect_cmd, collect_ref, runs)
    ok = report(f"[{payload}] bundle collect --lock", collect, ref_collect, "tar cf + sha256sum",
                limit=targets["collect"])

    # each run into a new folder: see common.in_new_folders
    load_ref = in_new_folders(tmp / "ref-out", ["sh", "-c", f"tar xf {ref_tar} -C {{folder}} && cd {{folder}} && "
                                                f"sha256sum -c --quiet {sums} && sync"])
    load_cmd = in_new_folders(tmp / "loaded", [*agentops(), "bundle", "load", str(bundle), "--registry",
                                               "{folder}"], tmp, env)
    load, ref_load = time_side_by_side(load_cmd, load_ref, runs)
    ok &= report(f"[{payload}] bundle load into a fresh registry", load, ref_load, "tar xf + sha256sum -c + sync",
                 limit=targets["load"])
    floor = python_pass(runs)
    print(f"  sizes: b.tar {bundle.stat().st_size / 1e6:.1f} MB, ref.tar {ref_tar.stat().st_size / 1e6:.1f} MB; "
          f"python -c pass ({floor * 1000:.1f} ms) is {floor / ref_collect:.2f} x the collect reference and "
          f"{floor / ref_load:.2f} x the load reference")
    return ok


def main() -> int:
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    payload = sys.argv[sys.argv.index("--payload") + 1] if "--payload" in sys.argv else "corpus"
    if payload not in ("corpus", "synthetic"):
        raise SystemExit("--payload is corpus or synthetic")
    compile_sources()
    with tempfile.TemporaryDirectory() as tmp:
        return summary(bench_bundle(Path(tmp), runs, payload))


if __name__ == "__main__":
    raise SystemExit(main())
