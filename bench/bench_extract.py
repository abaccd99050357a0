"""Time `agentops package extract` over the whole shared corpus beside `cp -r` of the same folders.

Every corpus folder a reader understands (~3,600 files, ~250 packages) is extracted with the real
command into a fresh output folder: inventory, planning, writing, and validating every package it
writes. The reference is `cp -r` of the same folders into a fresh folder, run in turn with the
measured command on each round, so that a change in the machine's load falls on both alike.
Prints the median seconds of each, packages per second, and their ratio.

Run: python bench/bench_extract.py [--runs N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import agentops, compile_sources, find_corpus, report

SKIPPED = {"provenance"}  # provenance notes about the corpus, not an agent folder


def sources(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir() if p.is_dir() and p.name not in SKIPPED)


def extract_all(folders: list[Path], out: Path) -> int:
    """Extract every folder into ``out``; the number of packages written."""
    written = 0
    for folder in folders:
        proc = subprocess.run([*agentops(), "package", "extract", str(folder), "-o", str(out / folder.name),
                               "--json"], capture_output=True, text=True)
        if proc.returncode not in (0, 1):  # 1: a package holds hidden Unicode (reported, as it should be)
            raise SystemExit(f"extract of {folder} failed ({proc.returncode}): {proc.stderr[-2000:]}")
        written += len(json.loads(proc.stdout)["packages"])
    return written


def copy_all(folders: list[Path], out: Path) -> None:
    for folder in folders:
        subprocess.run(["cp", "-r", str(folder), str(out / folder.name)], check=True)


def timed(action, scratch: Path):
    if scratch.exists():
        shutil.rmtree(scratch)
    scratch.mkdir()
    start = time.perf_counter()
    value = action(scratch)
    return time.perf_counter() - start, value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    compile_sources()
    folders = sources(find_corpus())
    files = sum(1 for f in folders for p in f.rglob("*") if p.is_file())
    extract_times, copy_times, packages = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(runs):
            seconds, packages = timed(lambda out: extract_all(folders, out), Path(tmp) / "extract")
            extract_times.append(seconds)
            copy_times.append(timed(lambda out: copy_all(folders, out), Path(tmp) / "copy")[0])
    measured, reference = statistics.median(extract_times), statistics.median(copy_times)
    print(f"corpus: {len(folders)} folders, {files} files, {packages} packages; {runs} runs each")
    print(f"extract: median {measured:.2f} s, {packages / measured:.0f} packages/s | "
          f"cp -r: median {reference:.2f} s")
    report("agentops package extract (whole corpus)", measured, reference, "cp -r (same folders)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
