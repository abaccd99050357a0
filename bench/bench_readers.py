"""Time the inventory of the whole shared corpus (3,600 files, 25 MB) with the format readers.

For each corpus folder the files are read from disk once into a ``Listing`` (untimed), then
``readers.read`` (detection, the reader, frontmatter and hidden-Unicode scans, clashes) runs
``--runs`` times. Prints, per folder and for the whole corpus, the median seconds and packages per
second, beside the median time of reading the same files from disk (what the extract service
does before reading; ``Path.read_bytes`` over every file) and the ratio of the two. The issue's
target is "a few seconds at most" for the whole corpus.

Run: python bench/bench_readers.py [--runs N] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from common import REPO, median_seconds, report  # noqa: E402

from agentpack.adapters.yamlio import load_yaml  # noqa: E402
from agentpack.core.readers import Listing, read  # noqa: E402


def load(text: str):
    return load_yaml(text, source="frontmatter")[0]


def disk_files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and not p.is_symlink()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    default = os.environ.get("AGENTPACK_CORPUS") or str(REPO.parent / "shared" / "corpus")
    parser.add_argument("--corpus", default=default)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if not corpus.is_dir():
        raise SystemExit(f"no corpus at {corpus}; pass --corpus or set AGENTPACK_CORPUS")
    folders = sorted(p for p in corpus.iterdir() if p.is_dir() and p.name != "provenance")
    listings = [Listing(disk_files(folder), folder.name) for folder in folders]
    total_read = total_disk = 0.0
    packages = files = 0
    for folder, listing in zip(folders, listings, strict=True):
        inventory = read(listing, load=load)
        seconds = median_seconds(lambda listing=listing: read(listing, load=load), args.runs)
        disk = median_seconds(lambda folder=folder: disk_files(folder), args.runs)
        total_read, total_disk = total_read + seconds, total_disk + disk
        packages, files = packages + len(inventory.packages), files + len(listing.files)
        report(f"{folder.name[:34]} ({inventory.format or '-'}, {len(inventory.packages)} pkg)", seconds, disk,
               "read files from disk")
    report(f"whole corpus: {files} files, {packages} packages", total_read, total_disk, "read files from disk",
           absolute_limit=3.0)
    print(f"packages per second: {packages / total_read:.0f}")


if __name__ == "__main__":
    main()
