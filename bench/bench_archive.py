"""Benchmark: reading package archives with ``read_archive`` against ``tar xzf`` of the same archives.

Generates 200 archives of 50 Markdown files (~2 KB each) with ``write_archive`` in a temporary
directory, then times each reader over all 200 archives, 5 runs each, and prints the medians and
their ratio to ``tar xzf`` (one ``tar`` process per archive, extracting into a fresh directory, as
an installer shelling out to tar would). The target is ``read_archive`` at most 2x ``tar xzf``.

Also shown, for context: ``tar xzOf`` to /dev/null (tar's decompression and parsing without the
file writes, which dominate ``tar xzf`` on most disks), Python's ``tarfile`` reading the same members into memory (what the
hand-written reader replaces), and ``read_archive`` plus writing every file to disk (roughly the
extraction half of an install). The OS page cache cannot be dropped without privileges, so every
reader sees the archives warm; all of them are measured the same way.

Run: ``python bench/bench_archive.py``
"""

from __future__ import annotations

import io
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from common import summary  # noqa: E402

from agentpack.adapters.archive import read_archive, write_archive  # noqa: E402

ARCHIVES = 200
FILES_PER_ARCHIVE = 50
FILE_SIZE = 2048
RUNS = 5


def markdown(rng: random.Random, words: list[str]) -> bytes:
    """A Markdown file with front matter, of about FILE_SIZE bytes."""
    lines = ["---", f"name: {rng.choice(words)}-{rng.choice(words)}", "description: an agent", "---", ""]
    size = 60
    while size < FILE_SIZE:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.1:
            line = "## " + line.title()
        lines.append(line)
        size += len(line) + 1
    return ("\n".join(lines) + "\n").encode()


def generate(root: str) -> list[str]:
    """Write the archives under ``root`` and return their paths."""
    rng = random.Random(42)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        for _ in range(800)
    ]
    paths = []
    for index in range(ARCHIVES):
        files = {"package.yaml": f"name: pkg-{index}\nversion: 1.0.0\n".encode()}
        for number in range(FILES_PER_ARCHIVE - 1):
            folder = ("agents", "workflows", "patterns", "docs")[number % 4]
            files[f"{folder}/file-{number:02d}.md"] = markdown(rng, words)
        paths.append(write_archive(files, os.path.join(root, f"pkg-{index}-1.0.0.tgz")).path)
    return paths


def with_tar(paths: list[str], scratch: str) -> None:
    for index, path in enumerate(paths):
        dest = os.path.join(scratch, str(index))
        os.mkdir(dest)
        subprocess.run(["tar", "xzf", path, "-C", dest], check=True)


def with_tar_to_stdout(paths: list[str], scratch: str) -> None:
    for path in paths:
        subprocess.run(["tar", "xzOf", path], check=True, stdout=subprocess.DEVNULL)


def with_read_archive(paths: list[str], scratch: str) -> None:
    for path in paths:
        read_archive(path)


def with_tarfile(paths: list[str], scratch: str) -> None:
    for path in paths:
        with open(path, "rb") as file, tarfile.open(fileobj=io.BytesIO(file.read()), mode="r:gz") as tar:
            {member.name: tar.extractfile(member).read() for member in tar if member.isfile()}


def with_read_and_write(paths: list[str], scratch: str) -> None:
    for index, path in enumerate(paths):
        dest = os.path.join(scratch, str(index))
        made = set()
        for name, content in read_archive(path).items():
            target = os.path.join(dest, name)
            folder = os.path.dirname(target)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            with open(target, "wb") as file:
                file.write(content)


def median_seconds(action: Callable[[list[str], str], None], paths: list[str], root: str) -> float:
    """The median wall time of RUNS runs of ``action``, each with an empty scratch directory."""
    times = []
    for _ in range(RUNS):
        scratch = tempfile.mkdtemp(dir=root)
        start = time.perf_counter()
        action(paths, scratch)
        times.append(time.perf_counter() - start)
        shutil.rmtree(scratch)
    return statistics.median(times)


def main() -> int:
    if not shutil.which("tar"):
        print("tar is not installed; nothing to compare against", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-archive-") as root:
        paths = generate(root)
        total = sum(os.path.getsize(p) for p in paths)
        print(
            f"{ARCHIVES} archives x {FILES_PER_ARCHIVE} files (~{FILE_SIZE} B each), {total / 1e6:.1f} MB compressed"
        )
        print(f"median of {RUNS} runs over all archives:")
        reference = median_seconds(with_tar, paths, root)
        rows = [
            ("tar xzf (one process per archive)", reference),
            ("read_archive", median_seconds(with_read_archive, paths, root)),
            ("tar xzOf >/dev/null (no files written)", median_seconds(with_tar_to_stdout, paths, root)),
            ("tarfile, members into memory", median_seconds(with_tarfile, paths, root)),
            ("read_archive + write files", median_seconds(with_read_and_write, paths, root)),
        ]
        for label, seconds in rows:
            print(f"  {label:40} {seconds * 1000:8.1f} ms   {seconds / reference:5.2f}x tar")
        ratio = rows[1][1] / reference
        print(f"read_archive / tar xzf = {ratio:.2f} (target <= 2.00): {'PASS' if ratio <= 2 else 'OVER'}")
        return summary(ratio <= 2)


if __name__ == "__main__":
    sys.exit(main())
