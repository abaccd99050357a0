"""Shared helpers of the benchmarks: run a command several times, report medians beside a reference."""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def agentops() -> list[str]:
    launcher = Path(PYTHON).parent / "agentops"
    return [str(launcher)] if launcher.exists() else [PYTHON, "-m", "agentpack"]


def publish_folder(folder: Path, registry: Path, dist: Path) -> Path:
    """Build the package in ``folder`` into ``dist``, publish it to the directory registry ``registry``;
    the archive's path."""
    from agentpack.services.build import build_package
    from agentpack.services.publish import publish_archive
    from agentpack.services.workspace import Settings

    built = build_package(str(folder), str(dist))
    publish_archive(built.path, Settings(registry=str(registry)))
    return Path(built.path)


def compile_sources() -> None:
    """Byte-compile the package first, so no run pays for compiling it (PYTHONDONTWRITEBYTECODE)."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(REPO / "src")], check=True, stdout=subprocess.DEVNULL)


@dataclass
class Command:
    """One command to time: ``setup()`` runs before each run, untimed."""
    argv: list
    cwd: Path | str | None = None
    env: dict | None = None
    setup: Callable[[], None] | None = None

    def run_once(self) -> float:
        if self.setup:
            self.setup()
        start = time.perf_counter()
        proc = subprocess.run(self.argv, cwd=self.cwd, env={**os.environ, **(self.env or {})},
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, self.argv))} failed: {proc.stderr.decode()[-2000:]}")
        return elapsed


def in_new_folders(root: Path, argv: list[str], cwd=None, env=None, prepare=None) -> Command:
    """A command whose ``argv``, ``cwd`` and ``env`` values may mention ``{folder}``: before each
    run (untimed) a new empty folder is made under ``root``, ``prepare(folder)`` is called if
    given, and the command is pointed there; after the runs it names the last run's folder.
    Nothing is deleted until ``root`` is: on ext4 without a journal (this machine's disk), creating
    files within a minute or so of many deletions is slow, the allocator scanning past every inode
    freed meanwhile, so emptying the last run's output first would make each command pay for the
    other's deletions."""
    runs = itertools.count()
    command = Command(list(argv), cwd, dict(env) if env else env)

    def setup() -> None:
        folder = root / f"run-{next(runs)}"
        folder.mkdir(parents=True)
        if prepare:
            prepare(folder)

        def placed(value):
            return str(value).replace("{folder}", str(folder))

        command.argv = [placed(part) for part in argv]
        command.cwd = placed(cwd) if cwd is not None else None
        command.env = {key: placed(value) for key, value in env.items()} if env else env

    command.setup = setup
    return command


def time_command(argv, *, runs: int = 15, cwd=None, env=None, setup=None) -> float:
    """Median wall time in seconds of ``argv`` over ``runs`` runs (``setup()`` before each, untimed)."""
    return statistics.median(Command(argv, cwd, env, setup).run_once() for _ in range(runs))


def time_side_by_side(measured: Command, reference: Command, runs: int) -> tuple[float, float]:
    """Medians of ``measured`` and ``reference``, their runs taken in turn (one of each, ``runs``
    times), so that a change in the machine's load falls on both alike and their ratio holds."""
    pairs = [(measured.run_once(), reference.run_once()) for _ in range(runs)]
    return statistics.median(m for m, _ in pairs), statistics.median(r for _, r in pairs)


def median_seconds(action, runs: int) -> float:
    """Median wall time in seconds of calling ``action()`` ``runs`` times in this process."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


PYTHON_PASS = Command([PYTHON, "-c", "pass"])  # the floor of any command written in Python


def python_pass(runs: int = 15) -> float:
    return time_command(PYTHON_PASS.argv, runs=runs)


def find_corpus() -> Path:
    """The shared corpus of real agent files, found the way the tests find it: $AGENTPACK_CORPUS, else
    ``../shared/corpus`` beside the repository. Exits with how to get it when it is absent."""
    configured = os.environ.get("AGENTPACK_CORPUS")
    corpus = Path(configured).expanduser().resolve() if configured else REPO.parent / "shared" / "corpus"
    if not (corpus / "INVENTORY.md").is_file():
        raise SystemExit(f"the shared corpus is not at {corpus}: put the project's shared/ folder beside the "
                         "repository, or set AGENTPACK_CORPUS to the corpus folder")
    return corpus


def report(title: str, measured: float, reference: float, reference_name: str,
           limit: float | None = None) -> bool:
    """Print one line: the measured median, the reference median (measured in the same run), their
    ratio and, with ``limit``, the target ratio and PASS or OVER. False when over the target.

    Targets are ratios only: on a shared machine absolute times swing 2x from run to run, while a
    command and its reference measured side by side move together."""
    ratio = measured / reference if reference else float("inf")
    ok = limit is None or ratio <= limit
    target = f"target <= {limit:.1f} x  {'PASS' if ok else 'OVER'}" if limit is not None else "(for information)"
    print(f"{title:<52} {measured * 1000:9.1f} ms | {reference_name:<32} {reference * 1000:8.1f} ms | "
          f"ratio {ratio:5.2f} {target}")
    return ok


def summary(ok: bool) -> int:
    """Print the closing PASS / OVER line of a bench script; its exit status (0 or 1)."""
    print("PASS: every ratio is within its target" if ok else "OVER: at least one ratio is above its target")
    return 0 if ok else 1


@dataclass
class LoadResult:
    """What a bounded load run measured: requests per second over the whole run, and the median
    and 99th percentile latency of one request, in seconds; ``statuses`` counts the answers."""
    requests: int
    seconds: float
    p50: float
    p99: float
    statuses: dict

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(url: str, paths: list[str], *, total: int, concurrency: int, headers: dict | None = None) -> LoadResult:
    """GET ``paths`` (taken in turn, relative to ``url``, an ``http://host:port/`` root) ``total``
    times over ``concurrency`` keep-alive connections, all open at once; each answer is read whole.

    A hand-written HTTP/1.1 client on asyncio, so that the client costs little of the machine the
    servers share with it, and the same for every server measured."""
    import asyncio
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host, port, base = parts.hostname, parts.port or 80, parts.path.rstrip("/")
    extra = "".join(f"{name}: {value}\r\n" for name, value in (headers or {}).items())
    requests = [(f"GET {base}/{path.lstrip('/')} HTTP/1.1\r\nHost: {host}:{port}\r\n{extra}\r\n").encode("ascii")
                for path in paths]
    latencies: list[float] = []
    statuses: dict = {}
    counter = iter(range(total))

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for number in counter:
                start = time.perf_counter()
                writer.write(requests[number % len(requests)])
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                    elif name.strip().lower() == b"transfer-encoding":
                        raise RuntimeError("the load client reads only answers with a Content-Length")
                if length:
                    await reader.readexactly(length)
                latencies.append(time.perf_counter() - start)
                statuses[status] = statuses.get(status, 0) + 1
        finally:
            writer.close()

    async def run() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - start

    seconds = asyncio.run(run())
    latencies.sort()
    return LoadResult(len(latencies), seconds, statistics.median(latencies),
                      latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], statuses)


def tree_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) used so far by process ``pid`` and every descendant still
    running (Linux /proc); a load's cost is the difference before and after it."""
    tick = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    pending += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
    return total
