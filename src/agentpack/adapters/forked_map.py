"""Running one CPU-bound function over many items in forked child processes, results in order.

A bundle load validates every package of the bundle as publish would (its archive inflated, its
manifest and every Markdown file's frontmatter parsed): seconds of pure Python for a large bundle,
which one process spends on one core. The items are independent, so ``forked_map`` splits them
over one child per usable CPU.

Written over ``os.fork`` and pipes rather than with ``concurrent.futures`` or ``multiprocessing``:
importing ``concurrent.futures.process`` alone costs ~28 ms, a noticeable part of a whole load,
and a forked child already holds the items and every imported module, so nothing but results has
to cross a pipe. Each child takes every N-th item and writes each outcome as soon as it has it, so
the parent can report progress. Where forking is not possible or not safe (no ``os.fork``, a single
CPU, other threads running, too few items, ``AGENTOPS_JOBS=1``) the items are run here, in order:
the outcomes are the same either way. A child that dies or writes something unreadable does not
lose work: whatever it did not deliver is run here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from agentpack.core.type_names import Any

MIN_ITEMS = 4  # below this, forking costs more than it saves
MAX_WORKERS = 8
_HEADER = 8  # item index and payload length, 4 bytes each, big-endian


def workers_for(count: int) -> int:
    """How many processes ``count`` items are split over: ``AGENTOPS_JOBS`` when set (1: none),
    else the CPUs this process may run on, at most ``MAX_WORKERS`` and never more than the items."""
    jobs = os.environ.get("AGENTOPS_JOBS", "").strip()
    if jobs.isdigit() and int(jobs) > 0:
        wanted = int(jobs)
    else:
        try:
            wanted = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            wanted = os.cpu_count() or 1
        wanted = min(wanted, MAX_WORKERS)
    return max(1, min(wanted, count))


def forked_map(function: Callable[[Any], Any], items: Sequence[Any],
               on_outcome: Callable[[int], None] | None = None,
               meanwhile: Callable[[], None] | None = None) -> list[tuple[bool, Any]]:
    """``[(True, function(item)) or (False, the exception it raised)]`` for every item, in order.

    ``function`` and the items must not need this process's other threads or open files beyond
    reading them; results and exceptions must pickle. ``on_outcome(index)`` is called in this
    process as each outcome arrives (in completion order). ``meanwhile()`` is run in this process
    while the children work (before the items, when they run here); what it raises propagates,
    children killed. Only ``Exception`` is caught: an interrupt stops everything, children included.
    """
    workers = workers_for(len(items))
    if workers < 2 or len(items) < MIN_ITEMS or not hasattr(os, "fork") or _other_threads():
        if meanwhile:
            meanwhile()
        return [_run_here(function, item, index, on_outcome) for index, item in enumerate(items)]
    outcomes: list[tuple[bool, Any] | None] = [None] * len(items)
    children: dict[int, int] = {}  # read end of the pipe -> pid
    try:
        for worker in range(workers):
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:  # the child: never returns into the caller
                os.close(read_end)
                _child(function, items, range(worker, len(items), workers), write_end)
            os.close(write_end)
            children[read_end] = pid
        if meanwhile:
            meanwhile()
        _collect(children, outcomes, on_outcome)
    except BaseException:
        _reap(children, kill=True)
        raise
    _reap(children, kill=False)
    for index, outcome in enumerate(outcomes):
        if outcome is None:  # its child died or wrote something unreadable: run it here
            outcomes[index] = _run_here(function, items[index], index, on_outcome)
    return outcomes  # type: ignore[return-value]


def _other_threads() -> bool:
    # A fork copies only the calling thread; a lock another thread holds would stay held forever
    # in the child. Checked without importing threading when nothing has imported it.
    import sys

    threading = sys.modules.get("threading")
    return threading is not None and threading.active_count() > 1


def _run_here(function, item, index: int, on_outcome) -> tuple[bool, Any]:
    outcome = _outcome(function, item)
    if on_outcome:
        on_outcome(index)
    return outcome


def _outcome(function, item) -> tuple[bool, Any]:
    try:
        return True, function(item)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller, who raises it
        return False, exc


def _child(function, items, indexes, write_end: int) -> None:
    import pickle

    status = 1
    try:
        for index in indexes:
            try:
                payload = pickle.dumps(_outcome(function, items[index]), protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an outcome that does not pickle: the parent runs it again
                continue
            _write_all(write_end, index.to_bytes(4, "big") + len(payload).to_bytes(4, "big") + payload)
        status = 0
    finally:
        os._exit(status)  # no atexit handlers, no flushing of the parent's buffered output


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _collect(children: dict[int, int], outcomes: list, on_outcome) -> None:
    """Read every child's framed outcomes until each pipe ends (a child that stops early leaves
    its remaining outcomes None)."""
    import pickle
    import select

    buffers = {fd: bytearray() for fd in children}
    open_ends = list(children)
    while open_ends:
        ready, _, _ = select.select(open_ends, [], [])
        for fd in ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                open_ends.remove(fd)
                continue
            buffer = buffers[fd]
            buffer += chunk
            while len(buffer) >= _HEADER:
                index, size = int.from_bytes(buffer[:4], "big"), int.from_bytes(buffer[4:_HEADER], "big")
                if len(buffer) < _HEADER + size:
                    break
                payload = bytes(buffer[_HEADER : _HEADER + size])
                del buffer[: _HEADER + size]
                try:
                    outcomes[index] = pickle.loads(payload)  # from our own child, never from input
                except Exception:  # noqa: BLE001 - left None: run again here
                    continue
                if on_outcome:
                    on_outcome(index)


def _reap(children: dict[int, int], *, kill: bool) -> None:
    """Close the pipes and wait for every child; with ``kill`` (an interrupt, an error here) each
    is killed first, so none outlives this call."""
    import signal

    for fd, pid in children.items():
        try:
            os.close(fd)
        except OSError:
            pass
        try:
            if kill:
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ChildProcessError, ProcessLookupError):
            pass
