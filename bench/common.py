"""Shared helpers of the benchmarks: run a command several times, report medians beside a reference."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def agentops() -> list[str]:
    launcher = Path(PYTHON).parent / "agentops"
    return [str(launcher)] if launcher.exists() else [PYTHON, "-m", "agentpack"]


def compile_sources() -> None:
    """Byte-compile the package first, so no run pays for compiling it (PYTHONDONTWRITEBYTECODE)."""
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(REPO / "src")], check=True, stdout=subprocess.DEVNULL)


def time_command(argv, *, runs: int = 15, cwd=None, env=None, setup=None) -> float:
    """Median wall time in seconds of ``argv`` over ``runs`` runs (``setup()`` before each, untimed)."""
    samples = []
    full_env = {**os.environ, **(env or {})}
    for _ in range(runs):
        if setup:
            setup()
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(map(str, argv))} failed: {proc.stderr.decode()[-2000:]}")
    return statistics.median(samples)


def median_seconds(action, runs: int) -> float:
    """Median wall time in seconds of calling ``action()`` ``runs`` times in this process."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def python_pass(runs: int = 15) -> float:
    return time_command([PYTHON, "-c", "pass"], runs=runs)


def report(title: str, measured: float, reference: float, reference_name: str, limit: float | None = None,
           absolute_limit: float | None = None) -> bool:
    """Print one line: measured median, reference median, the ratio, and whether targets are met."""
    ratio = measured / reference if reference else float("inf")
    verdict = []
    ok = True
    if limit is not None:
        ok &= ratio <= limit
        verdict.append(f"target ratio <= {limit}")
    if absolute_limit is not None:
        ok &= measured <= absolute_limit
        verdict.append(f"target <= {absolute_limit * 1000:.0f} ms")
    status = ("OK" if ok else "OVER") if verdict else ""
    print(f"{title:<58} {measured * 1000:9.1f} ms | {reference_name:<22} {reference * 1000:8.1f} ms | "
          f"ratio {ratio:5.2f} {status} {'(' + ', '.join(verdict) + ')' if verdict else ''}")
    return ok
